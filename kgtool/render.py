"""Render typed results as text: tables, CSV/TSV, W3C SPARQL JSON, Markdown, Turtle.

Formats are an enum shared by every command; ``format_for`` picks one from an explicit choice or
from the output file's extension.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from enum import Enum
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from .errors import InputFileError, UsageError
from .sparql import AskResult, GraphResult, QueryResult, SelectResult
from .turtle import serialize
from .vocab import PREFIXES


class Format(str, Enum):
    TABLE = "table"
    CSV = "csv"
    TSV = "tsv"
    JSON = "json"
    MARKDOWN = "markdown"
    TURTLE = "turtle"
    TEXT = "text"
    JUNIT = "junit"
    SARIF = "sarif"
    GITHUB = "github"


_EXTENSIONS = {".csv": Format.CSV, ".tsv": Format.TSV, ".json": Format.JSON, ".md": Format.MARKDOWN,
               ".ttl": Format.TURTLE, ".xml": Format.JUNIT, ".sarif": Format.SARIF, ".txt": Format.TEXT}


def format_for(choice: str | None, output: str | None, *, default: Format, allowed: tuple[Format, ...]) -> Format:
    """The explicit ``choice``, else the one ``output``'s extension implies, else ``default``."""
    if choice:
        fmt = Format(choice)
    elif output and output != "-" and Path(output).suffix.lower() in _EXTENSIONS:
        fmt = _EXTENSIONS[Path(output).suffix.lower()]
    else:
        fmt = default
    if fmt not in allowed:
        raise UsageError(f"format {fmt.value!r} is not available here",
                         hint="choose one of " + ", ".join(f.value for f in allowed))
    return fmt


def write_output(text: str, output: str | None) -> None:
    """Print ``text`` or write it to ``output`` atomically (a temporary file, then a rename)."""
    if output is None or output == "-":
        print(text, end="" if text.endswith("\n") else "\n")
        return
    target = Path(output)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise InputFileError(output, "the folder does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text if text.endswith("\n") else text + "\n")
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except PermissionError:
        raise InputFileError(output, "permission denied") from None
    except OSError as exc:
        raise InputFileError(output, f"cannot write: {exc.strerror or exc}") from None


def short(term) -> str:
    """A term as a person reads it: prefixed IRIs, plain literal values."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        value = str(term)
        for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if value.startswith(ns) and value != ns:
                return f"{prefix}:{value[len(ns):]}"
        return value
    return str(term)


def sparql_json_term(term) -> dict:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype is not None and term.datatype != XSD.string:
        out["datatype"] = str(term.datatype)
    return out


def _tsv_term(term) -> str:
    """A term as the SPARQL TSV results format writes it: its N-Triples form, on one line."""
    from .export import nt_term

    return "" if term is None else nt_term(term)


def table(headers: list[str], rows: list[list[str]], *, width: int | None = None) -> str:
    """A plain text table; long cells are cut to keep it within the terminal width."""
    width = width or shutil.get_terminal_size((160, 24)).columns
    if not headers:
        return ""
    cells = [[c.replace("\n", " ") for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    budget = max(width - 2 * (len(headers) - 1), 20)
    while sum(widths) > budget and max(widths) > 12:
        widest = widths.index(max(widths))
        widths[widest] -= 1
    def fit(text: str, w: int) -> str:
        return text if len(text) <= w else text[: max(w - 1, 0)] + "…"
    lines = ["  ".join(fit(h, w).ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(fit(c, w).ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines) + "\n"


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(esc(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def render_query_result(result: QueryResult, fmt: Format) -> str:
    if isinstance(result, GraphResult) and fmt not in (Format.TABLE, Format.TURTLE):
        raise UsageError(f"a CONSTRUCT or DESCRIBE query gives a graph: --format {fmt.value} does not apply",
                         hint="use --format turtle (the default) or -o FILE.ttl")
    if isinstance(result, SelectResult) and fmt == Format.TURTLE:
        raise UsageError("a SELECT query gives a table, not a graph: --format turtle does not apply",
                         hint="use table, csv, tsv, json or markdown")
    if isinstance(result, AskResult):
        if fmt == Format.JSON:
            return json.dumps({"head": {}, "boolean": result.value}) + "\n"
        return ("true" if result.value else "false") + "\n"
    if isinstance(result, GraphResult):
        return render_graph(result.graph)
    assert isinstance(result, SelectResult)
    if fmt == Format.JSON:
        bindings = [{v: sparql_json_term(row[v]) for v in result.variables if row.get(v) is not None}
                    for row in result.rows]
        return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": bindings}},
                          indent=2, ensure_ascii=False) + "\n"
    if fmt == Format.CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(result.variables)
        for row in result.rows:
            writer.writerow(["" if row.get(v) is None else str(row[v]) for v in result.variables])
        return buffer.getvalue()
    if fmt == Format.TSV:
        lines = ["\t".join("?" + v for v in result.variables)]
        lines += ["\t".join(_tsv_term(row.get(v)) for v in result.variables) for row in result.rows]
        return "\n".join(lines) + "\n"
    rows = [[short(row.get(v)) for v in result.variables] for row in result.rows]
    if fmt == Format.MARKDOWN:
        return markdown_table(result.variables, rows)
    footer = f"{len(result.rows)} row{'s' if len(result.rows) != 1 else ''}\n"
    return table(result.variables, rows) + footer


def render_graph(graph: Graph) -> str:
    if any(isinstance(t, BNode) for triple in graph for t in triple):
        return graph.serialize(format="longturtle", canon=True)
    return serialize(graph)


def render_info(info, *, fmt: str, nodes: bool) -> str:
    from dataclasses import asdict

    if fmt == "json":
        payload = asdict(info)
        if not nodes:
            payload.pop("node_list")
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    lines = [f"project   {info.root}",
             "files     " + ", ".join(f"{n} {role}" for role, n in sorted(info.files.items())),
             f"triples   {info.triples}",
             f"nodes     {sum(info.nodes.values())} (" + ", ".join(f"{n} {k}" for k, n in info.nodes.items()) + ")",
             f"relations {sum(info.relations_by_type.values())} by type: "
             + ", ".join(f"{k} {n}" for k, n in info.relations_by_type.items()),
             "          by status: " + ", ".join(f"{k} {n}" for k, n in info.relations_by_status.items()),
             f"sources   {info.sources}"]
    text = "\n".join(lines) + "\n"
    if nodes:
        text += "\n" + table(["id", "kind", "title"], [[n["id"], n["kind"], n["title"]] for n in info.node_list])
    return text


def render_queries(queries, *, fmt: str) -> str:
    rows = [[q.name, q.form, q.title, " ".join(p.signature() for p in q.params)] for q in queries]
    if fmt == "json":
        return json.dumps([{"name": q.name, "form": q.form, "title": q.title, "description": q.description,
                            "params": [{"name": p.name, "type": p.type, "required": p.required, "default": p.default,
                                        "multi": p.multi, "description": p.description} for p in q.params],
                            "examples": list(q.examples)} for q in queries], indent=2, ensure_ascii=False) + "\n"
    headers = ["name", "form", "title", "parameters"]
    return markdown_table(headers, rows) if fmt == "markdown" else table(headers, rows)


def render_rules(rules: list[dict[str, str]], *, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rules, indent=2, ensure_ascii=False) + "\n"
    headers = ["rule", "kind", "severity", "description"]
    rows = [[r[h] for h in headers] for r in rules]
    return markdown_table(headers, rows) if fmt == "markdown" else table(headers, rows)


def _percent(value) -> str:
    return "" if value is None else f"{round(value * 100)}%"


def render_recommendation(rec, fmt: Format, *, explain: bool = True) -> str:
    """Verdicts as a table with explanations, Markdown, or the stable JSON the agent reads."""
    if fmt == Format.JSON:
        payload = {"format": "kgtool-recommendation/1", **rec.to_json()}
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    profile = ", ".join(p["id"] for p in rec.profile)
    headers = ["verdict", "kind", "target", "title", "score", "confidence", "notes"]
    rows = [[v.verdict, v.kind, v.target, v.title, f"{v.score:.2f}", _percent(v.confidence), "; ".join(v.annotations)]
            for v in rec.verdicts]
    if fmt == Format.MARKDOWN:
        out = [f"**Profile:** {profile} (as of {rec.as_of})\n", markdown_table(headers, rows)]
        if explain:
            for v in rec.verdicts:
                out.append(f"\n#### {v.title} (`{v.target}`): {v.verdict}\n")
                for s in v.signals:
                    srcs = ", ".join(f"[{x.id}]({x.url})" if x.url else x.id for x in s.sources)
                    qual = ", ".join(filter(None, [s.strength, s.status]))
                    out.append(f"- **{s.effect}**: `{s.source}` {s.type} ({qual}). {s.rationale}"
                               + (f" Sources: {srcs}" if srcs else "") + "\n")
        return "".join(out)
    out = [f"profile: {profile}   (as of {rec.as_of})\n\n", table(headers, rows)]
    if explain:
        for v in rec.verdicts:
            out.append(f"\n{v.verdict.upper()}  {v.target}  {v.title}\n")
            for s in v.signals:
                qual = ", ".join(filter(None, [s.strength, s.status]))
                cond = []
                if s.unless:
                    cond.append("unless " + " ".join(s.unless))
                if s.needs:
                    cond.append("needs " + " ".join(s.needs))
                ids = " ".join(x.id for x in s.sources)
                out.append(f"  - {s.effect}: {s.source} {s.type} ({qual})"
                           + (f" [{'; '.join(cond)}]" if cond else "") + f"\n      {s.rationale}"
                           + (f"\n      sources: {ids}" if ids else "") + "\n")
    return "".join(out)


def render_push(result) -> str:
    inferred = " (with inferred triples)" if result.with_inferred else ""
    return (f"pushed {result.sent} triples{inferred} to {result.store}, graph <{result.graph}>; "
            f"the store holds {result.stored} ({result.seconds:.2f} s)")
