"""Run SPARQL safely: sandbox checks, typed parameter binding and typed results.

Parameters are never pasted into query text as strings. Each value is validated for its declared type
and turned into an RDF term (an IRI that passes IRI validation, or a literal whose lexical form kgtool
wrote itself); the terms go into a ``VALUES`` block that is inserted right after the opening brace of
the query's WHERE clause, and the result is parsed again before it runs. The same bound text runs
embedded (rdflib) and on remote stores.

Queries cannot read files or reach the network: dataset clauses (``FROM``, ``FROM NAMED``),
``SERVICE`` and every update (``LOAD`` included) are refused before anything runs, on the text every
engine then runs (:func:`normalise`); and queries are evaluated in a thread that cannot open a socket
(:mod:`kgtool.netguard`), so a query the sandbox missed still could not call out.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import Graph, Literal, URIRef, Variable
from rdflib.namespace import XSD

from .errors import NodeLookupError, QueryError, QueryExecutionError
from .netguard import killable
from .queries import NamedQuery, Parameter
from .vocab import PREFIXES


@functools.cache
def _rdflib_sparql():
    """rdflib's SPARQL parser, imported on first use (it costs ~50 ms, which a warm fast-engine query
    does not pay). rdflib follows FROM / FROM NAMED / LOAD to files and URLs unless told not to: kgtool
    refuses those queries itself, and this is the second lock on the same door."""
    import rdflib.plugins.sparql as rdflib_sparql
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
    from rdflib.plugins.sparql.parserutils import CompValue

    rdflib_sparql.SPARQL_LOAD_GRAPHS = False
    return parseQuery, parseUpdate, CompValue

_IRI = re.compile(r'^[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>"{}|^`\\]*$')
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PREFIX_DECLS = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


@dataclass(frozen=True)
class SelectResult:
    variables: list[str]
    rows: list[dict[str, object]]

    def values(self, variable: str) -> list[object]:
        return [row.get(variable) for row in self.rows]


@dataclass(frozen=True)
class AskResult:
    value: bool


@dataclass(frozen=True)
class GraphResult:
    graph: Graph


QueryResult = SelectResult | AskResult | GraphResult


@dataclass
class Bindings:
    """Validated terms per parameter name (several for a ``multi`` parameter, None for UNDEF)."""

    values: dict[str, list[object]] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------
# Sandbox
# ---------------------------------------------------------------------------------------------------

def _walk(node) -> Iterable[object]:
    CompValue = _rdflib_sparql()[2]
    yield node
    if isinstance(node, CompValue):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _walk(value)
    elif hasattr(node, "asList") and not isinstance(node, (str, bytes)):
        for value in node:
            yield from _walk(value)


_CODEPOINT_ESCAPE = re.compile(r"\\u", re.I)


def normalise(text: str, *, name: str | None = None) -> str:
    """The query as the sandbox's parser reads it: SPARQL 1.1 codepoint escapes (``\\u0053``,
    ``\\U00000053``) expanded everywhere in the text, by rdflib's own function.

    pyoxigraph reads escapes differently (only inside strings and IRIs, where ``\\u005C`` is a
    backslash *character*), so a text with escapes can parse into different queries: one that rdflib
    sees as a string literal can hold a live ``SERVICE`` for pyoxigraph. Every engine therefore runs
    the normalised text, and the normalised text is a fixed point (an escape that writes another
    escape is refused), so each parser sees the same characters with no escape left to read.
    """
    if "\\" not in text or not _CODEPOINT_ESCAPE.search(text):
        return text
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes

    try:
        expanded = expandUnicodeEscapes(text)
        again = expandUnicodeEscapes(expanded)
    except ValueError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}", query=name) from None
    if again != expanded:
        raise QueryError("a codepoint escape (\\u...) writes another escape; write the character itself",
                         query=name)
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in expanded):
        raise QueryError("a codepoint escape writes a lone surrogate (U+D800..U+DFFF), which is not a character",
                         query=name)
    return expanded


def check_query(text: str, *, name: str | None = None):
    """Parse ``text`` (normalised: :func:`normalise`) and refuse anything that could read files or
    reach the network.

    Returns rdflib's parse tree. Raises :class:`QueryError` (a usage error) for a syntax error, an
    update, a dataset clause or SERVICE.
    """
    parseQuery, parseUpdate, CompValue = _rdflib_sparql()
    text = normalise(text, name=name)
    try:
        parsed = parseQuery(text)
    except Exception as exc:
        try:
            parseUpdate(text)
        except Exception:
            raise QueryError(f"SPARQL syntax error: {_parse_message(exc)}", query=name) from None
        raise QueryError("updates (INSERT, DELETE, LOAD, CLEAR, ...) are not allowed: kgtool queries are read-only",
                         query=name) from None
    for node in _walk(parsed):
        if isinstance(node, CompValue):
            if node.name == "DatasetClause":
                raise QueryError("FROM and FROM NAMED are not allowed: a query runs over the project's graph only",
                                 query=name, hint="remove the FROM clause; use GRAPH or the named queries instead")
            if node.name == "ServiceGraphPattern":
                raise QueryError("SERVICE is not allowed: queries cannot reach other endpoints", query=name)
    return parsed


def _parse_message(exc: Exception) -> str:
    message = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return message[:200]


# ---------------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NodeIndex:
    """Node ids (dcterms:identifier of typed resources) -> IRI, and old ids (kg:alias) -> IRIs."""

    ids: dict[str, URIRef]
    aliases: dict[str, frozenset[URIRef]] = field(default_factory=dict)

    def only(self, prefix: str) -> "NodeIndex":
        """The nodes whose id starts with ``prefix`` (``org-dim.``)."""
        return NodeIndex({i: iri for i, iri in self.ids.items() if i.startswith(prefix)},
                         {a: frozenset(v for v in iris if str(v).split("/")[-1].startswith(prefix))
                          for a, iris in self.aliases.items()})


NODE_INDEX_QUERY = """SELECT DISTINCT ?node ?id ?alias WHERE {
  ?node <http://purl.org/dc/terms/identifier> ?id ; a ?type .
  OPTIONAL { ?node <https://cdp.composablestack.ai/kg/ontology#alias> ?alias }
}"""


def index_from_rows(rows: Iterable[Mapping[str, object]]) -> NodeIndex:
    ids: dict[str, URIRef] = {}
    aliases: dict[str, set[URIRef]] = {}
    for row in rows:
        node = row.get("node")
        if not isinstance(node, URIRef):
            continue
        ids[str(row["id"])] = node
        if row.get("alias") is not None:
            aliases.setdefault(str(row["alias"]), set()).add(node)
    return NodeIndex(ids, {a: frozenset(v) for a, v in aliases.items()})


def index_via(run_query: Callable[..., "QueryResult"]) -> NodeIndex:
    """The node index of any target, from its ``run(text, name=...)``."""
    result = run_query(NODE_INDEX_QUERY, name="node-index")
    assert isinstance(result, SelectResult)
    return index_from_rows(result.rows)


def node_index(graph: Graph) -> NodeIndex:
    return index_via(lambda text, name=None: run(graph, text, name=name))


def resolve_node(ref: str, index: NodeIndex) -> URIRef:
    """Resolve a node reference: a full IRI, a full dotted id, a unique suffix of one, or an old id.

    ``engineering-led-cdp`` and ``org-dim.operational-profile.engineering-led-cdp`` both resolve;
    a reference that matches nothing, or several nodes, raises :class:`NodeLookupError` with the
    closest ids.
    """
    ids = index.ids
    ref = ref.strip()
    if "://" in ref or ref.startswith("urn:"):
        if not _IRI.match(ref):
            raise NodeLookupError(ref, f"{ref!r} is not a valid IRI", [])
        iri = URIRef(ref)
        if iri in ids.values():
            return iri
        raise NodeLookupError(ref, f"no node has the IRI {ref}", _close(ref.rsplit("/", 1)[-1], ids))
    if ref in ids:
        return ids[ref]
    matches = sorted(i for i in ids if i.endswith("." + ref) or i.split(".", 1)[-1] == ref)
    if len(matches) == 1:
        return ids[matches[0]]
    if len(matches) > 1:
        raise NodeLookupError(ref, f"{ref!r} matches several nodes", matches[:10])
    aliased = sorted(index.aliases.get(ref, ()), key=str)
    if len(aliased) == 1:
        return aliased[0]
    raise NodeLookupError(ref, f"no node with id {ref!r}", _close(ref, ids))


def _close(ref: str, index: Mapping[str, URIRef]) -> list[str]:
    ids = list(index)
    tails = {i.split(".", 1)[-1]: i for i in ids}
    found = difflib.get_close_matches(ref, ids, n=5, cutoff=0.5)
    found += [tails[t] for t in difflib.get_close_matches(ref, list(tails), n=5, cutoff=0.5)]
    found += [i for i in ids if ref and ref.lower() in i.lower()]
    return list(dict.fromkeys(found))[:8]


def coerce(param: Parameter, raw: str, *, index: Callable[[], NodeIndex] | None, query: str,
           today: date | None = None):
    """Turn one raw string into a validated RDF term for ``param`` (``index`` looks nodes up)."""
    kind = param.type
    if kind == "node":
        if index is None:
            raise QueryError(f"parameter {param.name}: node parameters need a graph to look ids up in", query=query)
        return resolve_node(raw, index())
    if kind == "date":
        if raw == "today":
            return Literal((today or date.today()).isoformat(), datatype=XSD.date)
        try:
            if not _DATE.match(raw):
                raise ValueError
            value = date.fromisoformat(raw)
        except ValueError:
            raise QueryError(f"parameter {param.name}: {raw!r} is not a date", query=query, parameter=param.name,
                             hint="write dates as YYYY-MM-DD, e.g. 2026-11-26") from None
        return Literal(value.isoformat(), datatype=XSD.date)
    if kind == "number":
        try:
            number = Decimal(raw)
            if not number.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            raise QueryError(f"parameter {param.name}: {raw!r} is not a number", query=query,
                             parameter=param.name, hint="write a number such as 180 or 0.6") from None
        if number == number.to_integral_value() and "." not in raw and "e" not in raw.lower():
            return Literal(str(int(number)), datatype=XSD.integer)
        return Literal(format(number, "f"), datatype=XSD.decimal)
    if kind == "boolean":
        lowered = raw.lower()
        if lowered not in ("true", "false", "1", "0", "yes", "no"):
            raise QueryError(f"parameter {param.name}: {raw!r} is not a boolean", query=query,
                             parameter=param.name, hint="write true or false")
        return Literal("true" if lowered in ("true", "1", "yes") else "false", datatype=XSD.boolean)
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in raw):
        raise QueryError(f"parameter {param.name}: the value contains a lone surrogate", query=query,
                         parameter=param.name)
    return Literal(raw)


def bind_parameters(query: NamedQuery, given: Mapping[str, list[str]], *, index: Callable[[], NodeIndex] | None,
                    today: date | None = None) -> Bindings:
    """Validate raw ``-p name value`` strings against ``query``'s declared parameters."""
    for name in given:
        query.param(name)
    bindings = Bindings()
    missing = []
    for param in query.params:
        raw_given = given.get(param.name, [])
        raws = [raw_given] if isinstance(raw_given, str) else list(raw_given)
        if len(raws) > 1 and not param.multi:
            raise QueryError(f"parameter {param.name} takes one value, got {len(raws)}", query=query.name,
                             parameter=param.name, hint=f"give -p {param.name} once")
        if not raws and param.default is not None:
            raws = [param.default]
        if not raws:
            if param.required:
                missing.append(param)
            else:
                bindings.values[param.name] = [None]
            continue
        terms = [coerce(param, raw, index=index, query=query.name, today=today) for raw in raws]
        bindings.values[param.name] = list(dict.fromkeys(terms))  # a repeated value is one value
    if missing:
        expected = "; ".join(f"-p {p.name} <{p.type}>" + (f" ({p.description})" if p.description else "")
                             for p in missing)
        raise QueryError("missing required parameter" + ("s" if len(missing) > 1 else "") + ": "
                         + ", ".join(p.name for p in missing), query=query.name, hint=f"give {expected}")
    return bindings


# ---------------------------------------------------------------------------------------------------
# Inserting the VALUES block
# ---------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r'(?P<comment>\#[^\n]*)'
    r'|(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')'
    r'|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)'
    r'|(?P<word>[A-Za-z_][A-Za-z0-9_]*)'
    r'|(?P<punct>[{}()])'
    r'|(?P<other>.)', re.S)


def where_brace(text: str) -> int:
    """Offset just after the opening brace of the query's WHERE clause."""
    depth_paren = depth_brace = 0
    first_brace = None
    after_where = False
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "word" and depth_paren == 0 and depth_brace == 0 and match.group().upper() == "WHERE":
            after_where = True
        elif kind == "punct":
            ch = match.group()
            if ch == "(":
                depth_paren += 1
            elif ch == ")":
                depth_paren -= 1
            elif ch == "{":
                if depth_paren == 0 and depth_brace == 0:
                    if after_where:
                        return match.end()
                    if first_brace is None:
                        first_brace = match.end()
                depth_brace += 1
            elif ch == "}":
                depth_brace -= 1
    if first_brace is None:
        raise QueryError("cannot find the WHERE clause to bind parameters into")
    return first_brace


def term_sparql(term) -> str:
    """SPARQL text of a validated term (``UNDEF`` for None)."""
    if term is None:
        return "UNDEF"
    if isinstance(term, URIRef):
        if not _IRI.match(str(term)):
            raise QueryError(f"refusing to bind the invalid IRI {str(term)!r}")
        return f"<{term}>"
    if isinstance(term, Literal):
        if term.datatype is not None and not _IRI.match(str(term.datatype)):
            raise QueryError(f"refusing to bind a literal with the invalid datatype {str(term.datatype)!r}")
        return term.n3()
    raise QueryError(f"cannot bind {term!r}")


def values_block(bindings: Bindings) -> str:
    names = sorted(bindings.values)
    if not names:
        return ""
    rows = [[]]
    for name in names:
        rows = [row + [value] for row in rows for value in bindings.values[name]]
    header = " ".join(f"?{n}" for n in names)
    body = " ".join("(" + " ".join(term_sparql(v) for v in row) + ")" for row in rows)
    return f" VALUES ({header}) {{ {body} }} "


def bound_text(text: str, bindings: Bindings, *, name: str | None = None) -> str:
    """The query text, normalised (:func:`normalise`), with its parameters bound.

    The query is sandbox-checked first; every bound value is one token that ``term_sparql`` has
    validated (an IRI without ``<>"{}|^`\\`` or spaces, a literal written by rdflib with its quotes
    escaped), so the block cannot change the query's shape. The result is remembered as vetted.
    """
    text = sandbox(text, name=name)  # refuse an unsafe query before binding anything into it
    block = values_block(bindings)
    if not block:
        return text
    at = where_brace(text)
    result = text[:at] + block + text[at:]
    _remember(result, result)
    return result


# Texts that passed the sandbox -> their normalised text: in this process (bounded), and (by content
# hash) on disk across runs, so a warm query does not pay for importing rdflib's SPARQL parser.
_VETTED: dict[str, str] = {}
_VETTED_MAX = 4096
_VERDICT_DIR: list[Path] = []
SANDBOX_VERSION = "2"


def _remember(text: str, normalised: str) -> None:
    if len(_VETTED) >= _VETTED_MAX:
        _VETTED.clear()
    _VETTED[text] = normalised


def remember_verdicts(directory: Path) -> None:
    """Keep sandbox verdicts (passes only) in ``directory`` (the project's cache)."""
    _VERDICT_DIR[:] = [directory / "sandbox"]


def sandbox(text: str, *, name: str | None = None) -> str:
    """Refuse a query that is not one read-only query over the project's graph (see :func:`check_query`);
    return the text every engine must run: the normalised one (:func:`normalise`)."""
    known = _VETTED.get(text)
    if known is not None:
        return known
    normalised = normalise(text, name=name)
    marker = None
    if _VERDICT_DIR:
        digest = hashlib.sha256(f"{SANDBOX_VERSION}\0{normalised}".encode()).hexdigest()
        marker = _VERDICT_DIR[0] / digest
        if marker.is_file():
            _remember(text, normalised)
            return normalised
    try:
        check_query(normalised, name=name)
    except QueryError as exc:
        raise QueryError(exc.message, query=name, hint=exc.hint) from None
    _remember(text, normalised)
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass
    return normalised


@functools.lru_cache(maxsize=512)
def _prepare_cached(text: str):
    from rdflib.plugins.sparql.algebra import translateQuery

    return translateQuery(check_query(text))


def prepare(text: str, *, name: str | None = None):
    """Parse, sandbox-check and translate ``text`` once; the prepared query is reused (parsing costs
    as much as running a query on rdflib). Errors are raised with the query's name."""
    try:
        return _prepare_cached(text)
    except QueryError as exc:
        raise QueryError(exc.message, query=name, hint=exc.hint) from None


# ---------------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------------

def with_prefixes(text: str) -> str:
    """Give ad-hoc queries the project's standard prefixes (their own PREFIX lines still win)."""
    declared = {m.group(1) for m in re.finditer(r"PREFIX\s+([A-Za-z0-9_\-]*):", text, re.I)}
    missing = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items() if p not in declared)
    return missing + text


def run(graph: Graph, text: str, *, name: str | None = None) -> QueryResult:
    """Run a (bound) query on an rdflib graph and return a typed result, in the thread that cannot
    reach the network (:func:`kgtool.netguard.offline`)."""
    _rdflib_sparql()
    prepared = prepare(text, name=name)
    return killable(_evaluate, graph, prepared, name)


def _evaluate(graph: Graph, prepared, name: str | None) -> QueryResult:
    try:  # rdflib evaluates lazily: reading the rows is where a query fails
        return _results(graph.query(prepared))
    except QueryError:
        raise
    except RecursionError:
        raise QueryExecutionError(f"query {name or ''} is nested too deeply to run") from None
    except Exception as exc:
        raise QueryExecutionError(f"query {name or '(ad hoc)'} failed: {exc}") from None


def _results(result) -> QueryResult:
    kind = result.type
    if kind == "ASK":
        return AskResult(value=bool(result.askAnswer))
    if kind in ("CONSTRUCT", "DESCRIBE"):
        out = Graph()
        for prefix, namespace in PREFIXES.items():
            out.bind(prefix, namespace)
        for triple in result.graph:
            out.add(triple)
        return GraphResult(graph=out)
    variables = [str(v) for v in result.vars]
    rows = []
    for binding in result.bindings:
        rows.append({v: binding.get(Variable(v)) for v in variables})
    return SelectResult(variables=variables, rows=rows)
