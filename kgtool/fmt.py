"""``kgtool fmt``: rewrite the files under ``data/`` and ``ontology/`` into one canonical layout.

The layout is the one of :mod:`kgtool.turtle` (N-Triples files: sorted lines), so that a diff of
two revisions shows only real changes. Each file keeps its own triples: fmt never moves a statement
from one file to another, so one node per file stays one node per file.

Comment policy. Comments are not data, so a round trip through RDF loses them; fmt keeps the ones
that have a defined place and refuses to touch a file whose other comments it would lose:

- the **header**, the comment lines before the first statement or ``@prefix``, is kept verbatim
  (trailing spaces removed) at the top of the file, followed by one blank line;
- a **section banner**, a run of whole-line comments between two statements, is kept verbatim and
  starts a section: sections stay in the file's order, and the statements under a banner are laid out
  canonically (sorted) under it. A subject stated in several sections is gathered into the first.
  The ontology and the shapes use banners to group classes, properties and shapes;
- any other comment (inside a statement, or after a statement on the same line) would be lost: fmt
  stops with an error that names the file and the line, and changes nothing. Move the comment into
  the header or a banner, or make it data (``rdfs:comment``, ``skos:editorialNote``).

Data files (``data/``) carry no blank nodes (rule ``no-blank-nodes``): fmt refuses one. Ontology and
shapes files may use them; a blank node used once is written inline (``( ... )`` for an RDF list).

Safety: a file is rewritten only after its new text has been parsed back and found isomorphic to the
original graph, with the same comments. The new text goes to a temporary file next to the original,
which is flushed, synced, read back and parsed again before ``os.replace`` swaps it in (with the
original's permission bits). On any failure the original is untouched, the temporary file removed,
and the error names the file. A read-only file is refused, not replaced. Nothing is written until
every file has been formatted in memory, so one broken file stops the run before any change.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from .errors import DataError, InputFileError, KgtoolError, RdfSyntaxError, UsageError
from .load import parse_bytes, project_files, read_file, without_bom
from .project import Project, find_project
from .terms import exact_key
from .turtle import NODE_TYPES, Section, serialize_sections
from .vocab import PREFIXES

_COMMENT_HINT = ("move it into the header (the comments at the top) or a section banner (whole-line comments "
                 "between statements), or make it data with rdfs:comment or skos:editorialNote")
_DIRECTIVE = re.compile(r"(?is)^(@prefix|@base|prefix\s|base\s)")
_SPARQL_DIRECTIVE = re.compile(r"(?i)(prefix|base)\s")
_PREFIX_DECL = re.compile(r"(?is)^(?:@prefix|prefix)\s+([A-Za-z0-9_.\-]*):\s*<([^>]*)>")


@dataclass(frozen=True)
class FmtResult:
    """What ``format_files`` did: the files that changed (or would change, with ``check``)."""

    changed: list[str]
    files: int
    check: bool

    def summary(self) -> str:
        verb = "would be reformatted" if self.check else "reformatted"
        n = len(self.changed)
        return f"{n} file{'s' if n != 1 else ''} {verb}, {self.files - n} unchanged"


@dataclass(frozen=True)
class _Comment:
    line: int
    text: str


@dataclass(frozen=True)
class _Statement:
    line: int
    text: str

    @property
    def is_directive(self) -> bool:
        return bool(_DIRECTIVE.match(self.text))


@dataclass
class _Layout:
    header: list[str] = field(default_factory=list)
    directives: list[str] = field(default_factory=list)
    sections: list[tuple[list[str], list[str]]] = field(default_factory=lambda: [([], [])])
    comments: list[str] = field(default_factory=list)


def _string_end(text: str, i: int, line: int) -> tuple[int, int]:
    quote = text[i]
    n = len(text)
    if text.startswith(quote * 3, i):
        j = i + 3
        while j < n and not text.startswith(quote * 3, j):
            j += 2 if text[j] == "\\" else 1
        end = min(j + 3, n)
    else:
        j = i + 1
        while j < n and text[j] != quote and text[j] != "\n":
            j += 2 if text[j] == "\\" else 1
        end = min(j + 1, n)
    return end, line + text.count("\n", i, end)


def _statement_end(text: str, i: int, line: int, display: str) -> tuple[int, int]:
    """Where the statement starting at ``i`` ends (after its final ``.``), and the line there."""
    n = len(text)
    sparql_directive = bool(_SPARQL_DIRECTIVE.match(text, i))
    depth = 0
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
        elif ch == "#":
            raise DataError(display, f"line {line}: a comment inside a statement would be lost", hint=_COMMENT_HINT)
        elif ch == "<":
            j = text.find(">", i + 1)
            j = n - 1 if j < 0 else j
            line += text.count("\n", i, j)
            if sparql_directive:
                return j + 1, line
            i = j
        elif ch in "\"'":
            i, line = _string_end(text, i, line)
            continue
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "." and depth <= 0 and (i + 1 == n or text[i + 1] in " \t\r\n#"):
            return i + 1, line
        i += 1
    return n, line  # not terminated: the parser has already reported it


def _scan(text: str, display: str) -> list[_Comment | _Statement]:
    """Split a Turtle or N-Triples text into whole-line comments and statements."""
    items: list[_Comment | _Statement] = []
    i, n, line = 0, len(text), 1
    code_on_line = False
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            code_on_line = False
            i += 1
        elif ch in " \t\r\ufeff":
            i += 1
        elif ch == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            if code_on_line:
                raise DataError(display, f"line {line}: a comment after a statement on the same line would be lost",
                                hint=_COMMENT_HINT)
            items.append(_Comment(line, text[i:end]))
            i = end
        else:
            start, start_line = i, line
            i, line = _statement_end(text, i, line, display)
            items.append(_Statement(start_line, text[start:i]))
            code_on_line = True
    return items


def _layout(text: str, display: str) -> _Layout:
    lines = text.split("\n")
    items = _scan(text, display)
    layout = _Layout()
    layout.comments = [c.text.rstrip() for c in items if isinstance(c, _Comment)]
    index = 0
    while index < len(items) and isinstance(items[index], _Comment):
        index += 1
    if index:
        layout.header = [lines[k].rstrip() for k in range(items[0].line - 1, items[index - 1].line)]
    previous_was_comment, banner_end = False, 0
    for item in items[index:]:
        if isinstance(item, _Comment):
            if previous_was_comment:
                banner = layout.sections[-1][0]
                banner.extend(lines[k].rstrip() for k in range(banner_end, item.line))
            else:
                layout.sections.append(([item.text.rstrip()], []))
            banner_end = item.line
            previous_was_comment = True
            continue
        previous_was_comment = False
        if item.is_directive:
            layout.directives.append(item.text)
        else:
            layout.sections[-1][1].append(item.text)
    if not layout.sections[0][1] and len(layout.sections) > 1:
        layout.sections.pop(0)
    return layout


def _parse(content: bytes, *, suffix: str, base: str, display: str) -> Graph:
    graph = Graph()
    for triple in parse_bytes(content, suffix=suffix, base=base, display=display):
        graph.add(triple)
    return graph


def _has_blank_nodes(graph: Graph) -> bool:
    return any(isinstance(t, BNode) for triple in graph for t in triple)


def same_graph(a: Graph, b: Graph) -> bool:
    """The same triples, term for term (lexical forms, datatypes and language tags exactly as written),
    or isomorphic with the same exact ground terms when blank nodes are involved."""
    def exact(graph: Graph) -> set[tuple]:
        return {tuple(exact_key(t) for t in triple) for triple in graph}

    if _has_blank_nodes(a) or _has_blank_nodes(b):
        ground = lambda g: sorted(exact_key(t) for triple in g for t in triple if not isinstance(t, BNode))  # noqa: E731
        return len(a) == len(b) and ground(a) == ground(b) and isomorphic(a, b)
    return len(a) == len(b) and exact(a) == exact(b)


def _copy_closure(source: Graph, subject, target: Graph, copied: set) -> None:
    """Copy ``subject``'s triples and those of the blank nodes it reaches (iteratively: a list of
    10,000 items or 2,000 nested blank nodes is as deep as the walk goes)."""
    pending = [subject]
    while pending:
        node = pending.pop()
        if node in copied:
            continue
        copied.add(node)
        for _, p, o in source.triples((node, None, None)):
            target.add((node, p, o))
            if isinstance(o, BNode) and o not in copied:
                pending.append(o)


def _section_graphs(layout: _Layout, *, suffix: str, base: str, display: str) -> list[Graph]:
    prelude = "\n".join(layout.directives) + "\n"
    parsed = []
    for _, statements in layout.sections:
        content = (prelude + "\n".join(statements) + "\n").encode("utf-8")
        try:
            parsed.append(_parse(content, suffix=suffix, base=base, display=display))
        except RdfSyntaxError as exc:
            raise DataError(display, f"cannot split the file into its sections ({exc.detail})",
                            hint="a section banner may cut a statement in two; move the comment") from None
    first: dict[URIRef, int] = {}
    for index, graph in enumerate(parsed):
        for subject in graph.subjects():
            if isinstance(subject, URIRef):
                first.setdefault(subject, index)
    out = [Graph() for _ in parsed]
    for index, graph in enumerate(parsed):
        copied: set = set()
        for subject in sorted({s for s in graph.subjects() if isinstance(s, URIRef)}):
            _copy_closure(graph, subject, out[first[subject]], copied)
        for subject in sorted({s for s in graph.subjects() if isinstance(s, BNode)}):
            if subject not in copied:
                _copy_closure(graph, subject, out[index], copied)
    return out


def _local_namespace(graph: Graph, directives: list[str]) -> str | None:
    """``<node-iri>#`` for a file that defines one node, else the file's own empty prefix, if any."""
    nodes = {s for t in NODE_TYPES for s in graph.subjects(RDF.type, t) if isinstance(s, URIRef)}
    if len(nodes) == 1:
        return str(next(iter(nodes))) + "#"
    declared = dict(m.groups() for d in directives if (m := _PREFIX_DECL.match(d)))
    value = declared.get("")
    return value if value and ":" in value else None


def _prefixes(directives: list[str]) -> dict[str, str]:
    """The project's prefixes, then the file's own ones that clash with none of them, by name."""
    extra = {}
    for directive in directives:
        m = _PREFIX_DECL.match(directive)
        if m and m.group(1) and ":" in m.group(2):
            name, namespace = m.groups()
            if name not in PREFIXES and namespace not in PREFIXES.values():
                extra[name] = namespace
    return {**PREFIXES, **dict(sorted(extra.items()))}


def _ntriples_sections(sections: list[Section], header: list[str], display: str) -> str:
    from .export import ntriples_lines

    chunks = ["\n".join(header)] if header else []
    for section in sections:
        if section.banner:
            chunks.append("\n".join(section.banner))
        try:
            lines = ntriples_lines(section.graph)
        except ValueError as exc:
            raise DataError(display, f"cannot write N-Triples: {exc}") from None
        if lines:
            chunks.append("".join(lines).rstrip("\n"))
    return "\n\n".join(chunks) + "\n" if chunks else ""


def canonical_text(content: bytes, *, suffix: str, role: str, base: str, display: str) -> tuple[str, Graph]:
    """The canonical text of one file's ``content`` and the graph it holds.

    Raises :class:`RdfSyntaxError` for a file that does not parse, :class:`DataError` for a comment
    that would be lost or a term that cannot be written; both name ``display``.
    """
    content = without_bom(content)  # a byte-order mark is not data: the canonical layout has none
    original = _parse(content, suffix=suffix, base=base, display=display)
    text = content.decode("utf-8")
    layout = _layout(text, display)
    graphs = _section_graphs(layout, suffix=suffix, base=base, display=display)
    sections = [Section(tuple(banner), graph) for (banner, _), graph in zip(layout.sections, graphs)]
    if suffix == ".nt":
        new_text = _ntriples_sections(sections, layout.header, display)
    else:
        if role == "data" and _has_blank_nodes(original):
            raise DataError(display, "a data file carries a blank node (rule no-blank-nodes); fmt leaves it untouched",
                            hint="give the resource an IRI under its node, such as <node-iri#fact-7>")
        new_text = serialize_sections(sections, header=layout.header, local_namespace=_local_namespace(original, layout.directives),
                                      prefixes=_prefixes(layout.directives), source=display, blank_nodes=role != "data")
    _verify(new_text.encode("utf-8"), original, layout.comments, suffix=suffix, base=base, display=display)
    return new_text, original


def _verify(content: bytes, original: Graph, comments: list[str], *, suffix: str, base: str, display: str) -> None:
    """Parse ``content`` back: it must hold the same graph and the same comments, or nothing is written."""
    try:
        again = _parse(content, suffix=suffix, base=base, display=f"{display} (new layout)")
    except RdfSyntaxError as exc:
        raise DataError(display, f"the new layout does not parse back ({exc.line}:{exc.column}: {exc.detail}); "
                        "the file is untouched", hint="report this as a kgtool bug") from None
    if not same_graph(original, again):
        raise DataError(display, "the new layout would not hold the same graph; the file is untouched",
                        hint="report this as a kgtool bug")
    kept = [c.text.rstrip() for c in _scan(content.decode("utf-8"), display) if isinstance(c, _Comment)]
    if kept != comments:
        raise DataError(display, "the new layout would not keep every comment; the file is untouched",
                        hint="report this as a kgtool bug")


def _write_bytes(handle, data: bytes) -> None:
    handle.write(data)


@dataclass(frozen=True)
class _Seen:
    """What a file was when fmt read it: checked again just before the new text replaces it."""

    inode: int
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path, content: bytes) -> "_Seen":
        info = path.resolve().stat()
        return cls(info.st_ino, info.st_size, info.st_mtime_ns, hashlib.sha256(content).hexdigest())

    def still(self, path: Path) -> bool:
        try:
            info = path.stat()
            if (info.st_ino, info.st_size, info.st_mtime_ns) != (self.inode, self.size, self.mtime_ns):
                return False
            return hashlib.sha256(path.read_bytes()).hexdigest() == self.sha256
        except OSError:
            return False


def _replace(path: Path, text: str, original: Graph, *, suffix: str, base: str, display: str,
             seen: "_Seen | None" = None) -> None:
    """Write ``text`` to a temporary file, check it, then swap it in atomically, unless the file changed
    since fmt read it (``seen``): then it is left alone and the error says so."""
    target = path.resolve()
    try:
        info = target.stat()
    except OSError as exc:
        raise InputFileError(display, f"cannot read: {exc.strerror or exc}") from None
    if not info.st_mode & stat.S_IWUSR or not os.access(target, os.W_OK):
        raise InputFileError(display, "the file is read-only; fmt leaves it untouched",
                             hint="make it writable (chmod u+w) to format it, or run `kgtool fmt --check`")
    data = text.encode("utf-8")
    try:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".fmt-tmp")
    except OSError as exc:
        raise InputFileError(display, f"cannot create a temporary file next to it: {exc.strerror or exc}; "
                             "the file is untouched") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_bytes(handle, data)
            handle.flush()
            os.fsync(handle.fileno())
        written = tmp.read_bytes()
        _verify(written, original, [c.text.rstrip() for c in _scan(text, display) if isinstance(c, _Comment)],
                suffix=suffix, base=base, display=display)
        if written != data:
            raise DataError(display, "the temporary copy does not hold the new layout; the file is untouched")
        os.chmod(tmp, stat.S_IMODE(info.st_mode))
        if seen is not None and not seen.still(target):
            raise InputFileError(display, "the file changed while fmt ran; it is left as it is now",
                                 hint="run kgtool fmt again once the edit is saved")
        os.replace(tmp, target)
    except KgtoolError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputFileError(display, f"cannot write: {exc.strerror or exc}; the file is untouched") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _select(project: Project, paths: Iterable[str | Path] | None) -> list[tuple[Path, str]]:
    files = project_files(project)
    if paths is None:
        return files
    wanted = []
    for given in paths:
        p = Path(given)
        p = (p if p.is_absolute() else Path.cwd() / p).resolve()
        if not p.exists():
            raise InputFileError(given, "no such file or directory")
        if not any(p == d.resolve() or d.resolve() in p.parents or p in d.resolve().parents
                   for d in (project.data_dir, project.ontology_dir)):
            raise UsageError(f"{given}: not under data/ or ontology/", hint="fmt formats the project's RDF files only")
        wanted.append(p)
    return [(path, role) for path, role in files
            if any(path.resolve() == w or w in path.resolve().parents for w in wanted)]


def format_files(project: Project | Path | str | None = None, *, check: bool = False,
                 paths: Iterable[str | Path] | None = None) -> FmtResult:
    """Rewrite the project's ``data/`` and ``ontology/`` files (or only ``paths``) in the canonical layout.

    With ``check``, write nothing and report the files that would change. Every file is formatted
    and verified in memory before the first one is written.
    """
    if not isinstance(project, Project):
        project = find_project(project)
    base = project.settings.base
    planned: list[tuple[Path, str, str, Graph, _Seen]] = []
    selected = _select(project, paths)
    for path, role in selected:
        display = project.relative(path)
        raw = read_file(path, display=display, inside=project.root, limit=project.settings.max_file_bytes)
        try:
            seen = _Seen.of(path, raw)
        except OSError as exc:
            raise InputFileError(display, f"cannot read: {exc.strerror or exc}") from None
        text, original = canonical_text(raw, suffix=path.suffix, role=role, base=base, display=display)
        if text.encode("utf-8") != raw:
            planned.append((path, display, text, original, seen))
    if not check:
        for path, display, text, original, seen in planned:
            _replace(path, text, original, suffix=path.suffix, base=base, display=display, seen=seen)
    return FmtResult(changed=[planned_[1] for planned_ in planned], files=len(selected), check=check)


__all__ = ["FmtResult", "canonical_text", "format_files", "same_graph"]
