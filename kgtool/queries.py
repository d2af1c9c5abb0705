"""The named-query catalogue: ``queries/*.rq`` files with a comment header.

A header is a block of ``# key: value`` lines at the top of the file; a line that starts with
``#   `` continues the previous value. Keys: ``title``, ``description``, ``param`` (repeatable),
``example`` (repeatable) and, for quality checks (``queries/checks/``), ``severity`` and ``fix``.
A parameter reads ``NAME TYPE (required|optional|default=VALUE) [multi] -- description`` with TYPE
one of node, date, string, number, boolean. Listing, running, testing and serving all read this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import QueryError

PARAM_TYPES = ("node", "date", "string", "number", "boolean")
SEVERITIES = ("violation", "warning", "info")
_HEADER_LINE = re.compile(r"^#\s?([a-z][a-z-]*):\s?(.*)$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<type>[a-z]+)\s+(?P<req>required|optional|default=\S+)"
    r"(?P<multi>\s+multi)?\s*(?:--\s*(?P<desc>.*))?$"
)
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.I)


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    required: bool
    default: str | None
    multi: bool
    description: str

    def signature(self) -> str:
        text = f"{self.name}:{self.type}"
        if self.multi:
            text += "..."
        if not self.required:
            text = f"[{text}{'=' + self.default if self.default else ''}]"
        return text


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    text: str
    title: str
    description: str = ""
    params: tuple[Parameter, ...] = ()
    examples: tuple[str, ...] = ()
    severity: str | None = None
    fix: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def form(self) -> str:
        """SELECT, ASK, CONSTRUCT or DESCRIBE (the first query-form keyword after the header)."""
        body = "\n".join(line for line in self.text.splitlines() if not line.lstrip().startswith("#"))
        match = _FORM.search(body)
        return match.group(1).upper() if match else "SELECT"

    def param(self, name: str) -> Parameter:
        for p in self.params:
            if p.name == name:
                return p
        expected = ", ".join(p.signature() for p in self.params) or "none"
        raise QueryError(f"unknown parameter {name!r}", query=self.name, parameter=name,
                         hint=f"parameters: {expected}")


def parse_header(text: str, *, name: str, path: Path) -> NamedQuery:
    """Read a query file's header; a malformed header is a :class:`QueryError` naming the line."""
    values: dict[str, list[str]] = {}
    last: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            if line.strip() == "":
                last = None
                continue
            break
        if line.startswith("#   ") and last:
            values[last][-1] += " " + line[4:].strip()
            continue
        match = _HEADER_LINE.match(line)
        if match:
            last = match.group(1)
            values.setdefault(last, []).append(match.group(2).strip())
        else:
            last = None
    params = []
    for raw in values.get("param", []):
        match = _PARAM.match(raw)
        if not match or match.group("type") not in PARAM_TYPES:
            raise QueryError(f"{path}: bad param line {raw!r}", query=name,
                             hint="write `# param: NAME TYPE required|optional|default=VALUE [multi] -- description`"
                                  f" with TYPE one of {', '.join(PARAM_TYPES)}")
        req = match.group("req")
        params.append(Parameter(
            name=match.group("name"), type=match.group("type"), required=req == "required",
            default=req.split("=", 1)[1] if req.startswith("default=") else None,
            multi=bool(match.group("multi")), description=(match.group("desc") or "").strip(),
        ))
    severity = (values.get("severity") or [None])[0]
    if severity is not None and severity not in SEVERITIES:
        raise QueryError(f"{path}: severity must be one of {', '.join(SEVERITIES)}, not {severity!r}", query=name)
    known = {"title", "description", "param", "example", "severity", "fix"}
    return NamedQuery(
        name=name, path=path, text=text,
        title=(values.get("title") or [name])[0],
        description=(values.get("description") or [""])[0],
        params=tuple(params),
        examples=tuple(values.get("example", [])),
        severity=severity,
        fix=(values.get("fix") or [None])[0],
        extra={k: v[0] for k, v in values.items() if k not in known},
    )


def read_query(path: Path, *, name: str | None = None) -> NamedQuery:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise QueryError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise QueryError(f"{path}: not valid UTF-8") from None
    return parse_header(text, name=name or path.stem, path=path)


def catalog(directory: Path) -> dict[str, NamedQuery]:
    """The queries of one folder (not its sub-folders), by name."""
    if not directory.is_dir():
        return {}
    return {p.stem: read_query(p) for p in sorted(directory.glob("*.rq"))}
