"""``kgtool serve``: the graph as a web site and a read-only SPARQL endpoint (a Starlette ASGI app).

:func:`create_app` loads the project once (asserted + inferred, queried with pyoxigraph) and serves:

- ``/kg/<id>`` a node page (``Accept: text/turtle`` gives the node's triples), ``/kg/<id>.svg`` its
  neighbourhood; ``/`` the index (``?q=`` searches ids, titles and tags, ``?kind=`` filters);
- ``/validation`` the current findings; ``/queries`` the named queries with a form each, and
  ``/queries/<name>?param=...`` their results (HTML, or JSON/CSV/TSV by ``Accept``);
- ``/recommend?dim=...`` verdicts with their explanations;
- ``/sparql`` the SPARQL 1.1 Protocol (GET ``?query=``, POST form or ``application/sparql-query``).

Every query that reaches the graph from a request (``/sparql``, named queries, recommendations) runs
in a :class:`QueryPool`: worker processes that each hold a copy of the graph in pyoxigraph. The
request waits at most ``query_timeout`` seconds; a worker that has not answered by then is killed
(SIGKILL, so the runaway evaluation stops and frees its CPU and memory) and replaced by a fresh one in
the background, and the request gets HTTP 503. Other requests keep being answered by the other
workers in the meantime. A result with more than ``row_cap`` rows (or triples) is refused with HTTP
400 rather than cut silently. Queries pass :func:`kgtool.sparql.prepare` first: updates, ``FROM``,
``FROM NAMED``, ``SERVICE`` and ``LOAD`` are refused before anything runs.
"""

from __future__ import annotations

import atexit
import os
import queue
import subprocess
import sys
import threading
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs
from xml.sax.saxutils import escape as xml_escape, quoteattr

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from . import api, netguard
from .errors import KgtoolError, QueryError, QueryExecutionError, QueryTimeout, UsageError
from .load import KnowledgeGraph, load
from .query import Target, named_queries, prepared_text, query_graph
from .render import Format, render_graph, render_query_result
from .site import Pages, filter_nodes, safe_url
from .sparql import AskResult, GraphResult, NodeIndex, QueryResult, SelectResult, prepare, sandbox, with_prefixes
from .vocab import PREFIXES

MAX_QUERY_BYTES = 100_000
# rdflib's SPARQL parser (pyparsing) is not known to be thread-safe: requests parse one at a time.
# Only parsing and binding hold this lock, never the evaluation in a worker.
PARSE_LOCK = threading.RLock()
RESULT_TYPES = {  # media type -> format name
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {"text/turtle": "turtle", "application/x-turtle": "turtle", "application/n-triples": "nt",
               "text/plain": "nt"}


class RowCapExceeded(QueryError):
    """A result has more rows than the server's row cap."""


# ---------------------------------------------------------------------------------------------------
# Worker processes
# ---------------------------------------------------------------------------------------------------

# The worker runs this source with ``python -c``: it imports pyoxigraph only (not kgtool, not the
# caller's ``__main__``), and sends terms back as plain tuples that the parent turns into rdflib terms.
# Once the graph is loaded it loads kgtool/netguard.py (by path) and denies itself the network.
_WORKER_SOURCE = r"""
import os, sys
from multiprocessing.connection import Connection
import pyoxigraph as ox

def term(t):
    if isinstance(t, ox.NamedNode):
        return ("u", t.value)
    if isinstance(t, ox.BlankNode):
        return ("b", t.value)
    if isinstance(t, ox.Literal):
        return ("l", t.value, t.language, t.datatype.value)
    return ("?", str(t))

def main():
    out_fd = os.dup(1)
    os.dup2(2, 1)  # whatever a library prints goes to stderr, never into the channel
    sys.stdout = sys.stderr
    inbox, outbox = Connection(0, writable=False), Connection(out_fd, readable=False)
    store = ox.Store()
    store.bulk_load(inbox.recv_bytes(), format=ox.RdfFormat.N_QUADS)
    if len(sys.argv) > 1:  # kgtool/netguard.py: from here on this process cannot open a socket
        import importlib.util
        spec = importlib.util.spec_from_file_location("kgtool_netguard", sys.argv[1])
        guard = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(guard)
        guard.deny_process()
    outbox.send(("ready",))
    while True:
        try:
            message = inbox.recv()
        except EOFError:
            return
        if message is None:
            return
        text, cap = message
        try:
            result = store.query(text)
            if isinstance(result, ox.QueryBoolean):
                outbox.send(("ask", bool(result)))
                continue
            if isinstance(result, ox.QueryTriples):
                out = []
                for t in result:
                    if cap is not None and len(out) >= cap:
                        outbox.send(("cap", cap))
                        break
                    out.append((term(t.subject), term(t.predicate), term(t.object)))
                else:
                    outbox.send(("graph", out))
                continue
            variables = [v.value for v in result.variables]
            out = []
            for solution in result:
                if cap is not None and len(out) >= cap:
                    outbox.send(("cap", cap))
                    break
                out.append([None if solution[v] is None else term(solution[v]) for v in variables])
            else:
                outbox.send(("select", variables, out))
        except Exception as exc:
            outbox.send(("error", exc.__class__.__name__ + ": " + str(exc)))

main()
"""

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _term(data):
    """An rdflib term from the worker's tuple."""
    if data is None:
        return None
    if data[0] == "u":
        return URIRef(data[1])
    if data[0] == "b":
        return BNode(data[1])
    if data[0] == "l":
        if data[2]:
            return Literal(data[1], lang=data[2])
        return Literal(data[1]) if data[3] == _XSD_STRING else Literal(data[1], datatype=URIRef(data[3]))
    raise QueryExecutionError(f"unexpected term from the query worker: {data!r}")


@dataclass
class _Duplex:
    inbox: object
    outbox: object

    def send(self, obj) -> None:
        self.outbox.send(obj)

    def recv(self):
        return self.inbox.recv()

    def poll(self, timeout: float) -> bool:
        return self.inbox.poll(timeout)

    def close(self) -> None:
        for end in (self.inbox, self.outbox):
            try:
                end.close()
            except OSError:
                pass


class _Worker:
    """One worker process (``python -c``, so nothing of the caller's ``__main__`` is re-imported)."""

    def __init__(self, nquads: bytes) -> None:
        from multiprocessing.connection import Connection

        self.process = subprocess.Popen([sys.executable, "-c", _WORKER_SOURCE, netguard.__file__], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, close_fds=True)
        self.conn = _Duplex(Connection(os.dup(self.process.stdout.fileno()), writable=False),
                            Connection(os.dup(self.process.stdin.fileno()), readable=False))
        self.process.stdin.close()
        self.process.stdout.close()
        self.conn.outbox.send_bytes(nquads)

    def wait_ready(self, timeout: float) -> bool:
        try:
            return self.conn.poll(timeout) and self.conn.recv() == ("ready",)
        except (EOFError, OSError):
            return False

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(5)
        finally:
            self.conn.close()


class QueryPool:
    """Worker processes that run SPARQL with a time limit; a worker over time is killed and replaced.

    ``run`` blocks the calling thread (the server calls it from its thread pool) for at most
    ``timeout`` seconds while waiting for a free worker and at most ``timeout`` for the answer.
    """

    def __init__(self, store_dump: bytes, *, size: int = 2, timeout: float = 5.0) -> None:
        self._dump = store_dump
        self.size = size
        self.timeout = timeout
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self.killed = 0

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            workers = [_Worker(self._dump) for _ in range(self.size)]
        for worker in workers:
            if not worker.wait_ready(60):
                worker.kill()
                raise QueryExecutionError("a query worker did not start", hint="see the server log")
            self._all.add(worker)
            self._idle.put(worker)

    def _replace(self) -> None:
        worker = _Worker(self._dump)
        if worker.wait_ready(60) and not self._closed:
            self._all.add(worker)
            self._idle.put(worker)
        else:
            worker.kill()

    def run(self, text: str, *, row_cap: int | None = None, name: str | None = None) -> QueryResult:
        if not self._started:
            self.start()
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise QueryTimeout(f"query {name or '(ad hoc)'}: every query worker stayed busy for {self.timeout:g} s",
                               hint="try again later") from None
        deadline = time.monotonic() + self.timeout
        try:
            worker.conn.send((text, row_cap))
            ready = worker.conn.poll(max(deadline - time.monotonic(), 0.05))
        except (OSError, EOFError):
            ready = False
        if not ready:
            # Over time: kill the process (this stops the evaluation) and start a replacement.
            self._all.discard(worker)
            worker.kill()
            self.killed += 1
            if not self._closed:
                threading.Thread(target=self._replace, daemon=True).start()
            raise QueryTimeout(f"query {name or '(ad hoc)'} ran longer than the {self.timeout:g} s limit and was "
                               "stopped", hint="make the query more selective or add a LIMIT")
        try:
            message = worker.conn.recv()
        except (OSError, EOFError):
            self._all.discard(worker)
            worker.kill()
            threading.Thread(target=self._replace, daemon=True).start()
            raise QueryExecutionError(f"query {name or '(ad hoc)'}: the query worker died") from None
        self._idle.put(worker)
        kind = message[0]
        if kind == "ask":
            return AskResult(value=message[1])
        if kind == "graph":
            graph = Graph()
            for prefix, namespace in PREFIXES.items():
                graph.bind(prefix, namespace)
            for s_, p_, o_ in message[1]:
                graph.add((_term(s_), _term(p_), _term(o_)))
            return GraphResult(graph=graph)
        if kind == "select":
            variables = message[1]
            return SelectResult(variables=variables,
                                rows=[dict(zip(variables, map(_term, row))) for row in message[2]])
        if kind == "cap":
            raise RowCapExceeded(f"the result has more than {message[1]} rows, the server's row cap", query=name,
                                 hint="add a LIMIT (and OFFSET to page) or make the query more selective")
        raise QueryExecutionError(f"query {name or '(ad hoc)'} failed: {message[1]}")

    def close(self) -> None:
        self._closed = True
        for worker in list(self._all):
            try:
                worker.conn.send(None)
            except OSError:
                pass
            worker.kill()
        self._all.clear()


@dataclass
class PoolTarget:
    """A :class:`~kgtool.query.Target` that runs sandboxed queries in the pool (ids resolve in-process)."""

    pool: QueryPool
    index_from: Target
    row_cap: int | None = None

    def run(self, text: str, *, name: str | None = None) -> QueryResult:
        with PARSE_LOCK:
            text = sandbox(text, name=name)  # no FROM, no SERVICE, no update; the text as the sandbox read it
            prepare(text, name=name)
        return self.pool.run(text, row_cap=self.row_cap, name=name)

    def node_index(self) -> NodeIndex:
        return self.index_from.node_index()


# ---------------------------------------------------------------------------------------------------
# Result formats
# ---------------------------------------------------------------------------------------------------

def _xml_term(term) -> str:
    if isinstance(term, URIRef):
        return f"<uri>{xml_escape(str(term))}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{xml_escape(str(term))}</bnode>"
    attrs = ""
    if term.language:
        attrs = f" xml:lang={quoteattr(term.language)}"
    elif term.datatype is not None and term.datatype != XSD.string:
        attrs = f" datatype={quoteattr(str(term.datatype))}"
    return f"<literal{attrs}>{xml_escape(str(term))}</literal>"


def results_xml(result: SelectResult | AskResult) -> str:
    """The SPARQL Query Results XML Format."""
    out = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if isinstance(result, AskResult):
        out += ["<head/>", f"<boolean>{'true' if result.value else 'false'}</boolean>", "</sparql>"]
        return "\n".join(out) + "\n"
    out.append("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in result.variables) + "</head>")
    out.append("<results>")
    for row in result.rows:
        cells = "".join(f"<binding name={quoteattr(v)}>{_xml_term(row[v])}</binding>"
                        for v in result.variables if row.get(v) is not None)
        out.append(f"<result>{cells}</result>")
    out += ["</results>", "</sparql>"]
    return "\n".join(out) + "\n"


def _accepted(request: Request) -> list[str]:
    """Media types of the Accept header, best first (q-values honoured, order kept on ties)."""
    entries = []
    for i, part in enumerate(request.headers.get("accept", "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            entries.append((-q, i, fields[0].lower()))
    return [media for _q, _i, media in sorted(entries)]


def _negotiate(request: Request, offered: dict[str, str], default: str) -> tuple[str, str] | None:
    """(format, media type) for the request's Accept header; None when nothing offered is acceptable."""
    accepted = _accepted(request)
    if not accepted:
        return default, next(m for m, f in offered.items() if f == default)
    for media in accepted:
        if media in offered:
            return offered[media], media
        if media in ("*/*", "application/*", "text/*"):
            return default, next(m for m, f in offered.items() if f == default)
    return None


def result_response(request: Request, result: QueryResult) -> Response:
    if isinstance(result, GraphResult):
        chosen = _negotiate(request, GRAPH_TYPES, "turtle")
        if chosen is None:
            return PlainTextResponse("a CONSTRUCT or DESCRIBE result is a graph: accept text/turtle or "
                                     "application/n-triples\n", status_code=406)
        fmt, media = chosen
        body = render_graph(result.graph) if fmt == "turtle" else "".join(
            f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in sorted(result.graph))
        return Response(body, media_type=media if fmt == "turtle" else "application/n-triples")
    chosen = _negotiate(request, RESULT_TYPES, "json")
    if chosen is None:
        return PlainTextResponse("accept application/sparql-results+json, application/sparql-results+xml, text/csv "
                                 "or text/tab-separated-values\n", status_code=406)
    fmt, _media = chosen
    if fmt == "xml":
        return Response(results_xml(result), media_type="application/sparql-results+xml")
    if isinstance(result, AskResult) or fmt == "json":
        return Response(render_query_result(result, Format.JSON), media_type="application/sparql-results+json")
    if fmt == "csv":
        return Response(render_query_result(result, Format.CSV), media_type="text/csv; charset=utf-8")
    return Response(render_query_result(result, Format.TSV), media_type="text/tab-separated-values; charset=utf-8")


def _error_status(exc: KgtoolError) -> int:
    if isinstance(exc, QueryTimeout):
        return 503
    if isinstance(exc, UsageError):  # bad query, parameter or node id; the row cap
        return 400
    return 500


# ---------------------------------------------------------------------------------------------------
# The application
# ---------------------------------------------------------------------------------------------------

def create_app(project=None, *, engine: str = "oxigraph", query_timeout: float = 5.0, row_cap: int = 10000,
               workers: int = 2, today: date | None = None) -> Starlette:
    """The ASGI app for ``project`` (a folder, a :class:`~kgtool.project.Project`, a loaded graph or None
    to find it from the working directory). The graph is loaded once, here."""
    kg = project if isinstance(project, KnowledgeGraph) else load(project)
    local = query_graph(kg, engine=engine)
    dump = _dump(local)
    pool = QueryPool(dump, size=workers, timeout=query_timeout)
    atexit.register(pool.close)
    # The in-process pyoxigraph store is only used here, on this thread (its results cannot cross
    # threads); requests query the workers. Ids are resolved from the index built now.
    local.node_index()
    trusted = PoolTarget(pool, local)  # named queries, backlinks, recommendations: time limit, no row cap
    pages = Pages(kg, trusted, today=today, parse_lock=PARSE_LOCK)
    queries = named_queries(kg)
    state: dict[str, object] = {}
    validation_lock = threading.Lock()
    link = lambda ident: f"/kg/{ident}"  # noqa: E731

    def html(template: str, status_code: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(pages.render(template, link=link, **context), status_code=status_code)

    def error_page(status: int, heading: str, message: str, hint: str | None = None,
                   suggestions: list[str] | None = None) -> HTMLResponse:
        return html("error.html", status, status=status, heading=heading, message=message, hint=hint,
                    suggestions=[s for s in (suggestions or []) if s in pages.nodes])

    def node_page(request: Request) -> Response:
        ident = request.path_params["node_id"]
        if ident not in pages.nodes:
            close = [n for n in pages.nodes if ident.lower() in n.lower()][:8]
            return error_page(404, "Not found", f"no node with id {ident!r}", suggestions=close)
        chosen = _negotiate(request, {"text/html": "html", "application/xhtml+xml": "html", "text/turtle": "turtle",
                                      "application/x-turtle": "turtle"}, "html")
        if chosen and chosen[0] == "turtle":
            return Response(pages.node_turtle(ident), media_type="text/turtle; charset=utf-8")
        return HTMLResponse(pages.node_html(ident, link=link, svg_href=f"/kg/{ident}.svg"))

    def node_svg(request: Request) -> Response:
        ident = request.path_params["node_id"]
        if ident not in pages.nodes:
            return PlainTextResponse(f"no node with id {ident!r}\n", status_code=404)
        return Response(pages.node_svg(ident, link=link), media_type="image/svg+xml")

    def index(request: Request) -> Response:
        q = request.query_params.get("q", "")
        kind = request.query_params.get("kind", "")
        nodes = filter_nodes(pages.node_list(), q=q, kind=kind)
        return html("index.html", nodes=nodes, q=q, kind=kind, kinds=[("dimension", "Organization Dimension"),
                    ("vendor", "Vendor"), ("pattern", "Pattern"), ("source", "Source Node")])

    def current_validation():
        as_of = today or date.today()
        # Computed on first use and once per day, in-process (SHACL and the checks, ~3 s on the shipped
        # graph); the checks parse SPARQL, so this holds the parse lock too.
        with validation_lock, PARSE_LOCK:
            cached = state.get("validation")
            if cached is None or cached.as_of != as_of:
                cached = state["validation"] = api.validate(kg, as_of=as_of)
        return cached

    def validation(request: Request) -> Response:
        cached = current_validation()
        if "application/json" in _accepted(request)[:1]:
            from .report import render_json
            return Response(render_json(cached, "violation"), media_type="application/json")
        return html("validation.html", report=cached, findings=cached.findings, known=set(pages.nodes))

    def query_list(request: Request) -> Response:
        return html("queries.html", queries=list(queries.values()))

    def query_run(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in queries:
            return error_page(404, "Not found", f"no named query {name!r}", hint="see /queries for the list")
        named = queries[name]
        params = {k: [v for v in request.query_params.getlist(k) if v != ""] for k in request.query_params}
        params = {k: v for k, v in params.items() if v}
        wants = _negotiate(request, {"text/html": "html", **RESULT_TYPES, **GRAPH_TYPES}, "html")
        try:
            with PARSE_LOCK:
                text = prepared_text(trusted, named, params, today=today)
            result = trusted.run(text, name=named.name)
        except KgtoolError as exc:
            status = _error_status(exc)
            if wants and wants[0] != "html":
                return JSONResponse({"error": exc.message, "hint": exc.hint}, status_code=status)
            return html("query.html", status, query=named, params=params, error=exc.message, hint=exc.hint,
                        rows=None, ask=None, turtle=None)
        if wants and wants[0] != "html":
            return result_response(request, result)
        rows = variables = turtle = ask = None
        if isinstance(result, SelectResult):
            variables = result.variables
            rows = [[_cell(row.get(v), pages) for v in variables] for row in result.rows]
        elif isinstance(result, AskResult):
            ask = result.value
        else:
            turtle = render_graph(result.graph)
        return html("query.html", query=named, params=params, rows=rows, variables=variables, ask=ask,
                    turtle=turtle, error=None, hint=None)

    def recommend(request: Request) -> Response:
        dims = [d for d in request.query_params.getlist("dim") if d.strip()]
        dimensions = sorted(i for i in pages.nodes if i.startswith("org-dim."))
        rec = error = hint = None
        status = 200
        if dims:
            try:
                with PARSE_LOCK:  # held for the few fast, trusted queries of one recommendation
                    rec = api.recommend(kg, dims=dims, as_of=today, endpoint=trusted)
            except KgtoolError as exc:
                status, error, hint = _error_status(exc), exc.message, exc.hint
        if "application/json" in _accepted(request)[:1]:
            if error:
                return JSONResponse({"error": error, "hint": hint}, status_code=status)
            return JSONResponse({"format": "kgtool-recommendation/1", **rec.to_json()} if rec else {"verdicts": []})
        return html("recommend.html", status, rec=rec, dims=dims, dimensions=dimensions, error=error, hint=hint)

    async def sparql(request: Request) -> Response:
        text = None
        if request.method == "GET":
            if "update" in request.query_params:
                return _refuse("updates are not allowed: this endpoint is read-only", 400)
            text = request.query_params.get("query")
            if text is None:
                return html("sparql.html", timeout=query_timeout, row_cap=row_cap)
        else:
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = await request.body()
            if len(body) > MAX_QUERY_BYTES:
                return _refuse(f"the query is larger than {MAX_QUERY_BYTES} bytes", 413)
            if ctype == "application/sparql-update":
                return _refuse("updates are not allowed: this endpoint is read-only", 400)
            if ctype == "application/sparql-query":
                text = body.decode("utf-8", errors="replace")
            elif ctype == "application/x-www-form-urlencoded":
                form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
                if "update" in form:
                    return _refuse("updates are not allowed: this endpoint is read-only", 400)
                if len(form.get("query", [])) > 1:
                    return _refuse("give one query", 400)
                text = form.get("query", [None])[0]
            else:
                return _refuse("POST a query as application/sparql-query or as the form field query", 415)
        if not text:
            return _refuse("no query given: pass ?query=... or POST one", 400)
        if len(text.encode("utf-8")) > MAX_QUERY_BYTES:
            return _refuse(f"the query is larger than {MAX_QUERY_BYTES} bytes", 413)
        for param in ("default-graph-uri", "named-graph-uri"):
            if param in request.query_params:
                return _refuse(f"{param} is not allowed: queries run over this server's graph only", 400)
        from starlette.concurrency import run_in_threadpool
        try:
            full = with_prefixes(text)
            full = await run_in_threadpool(_prepare_locked, full)
            result = await run_in_threadpool(pool.run, full, row_cap=row_cap)
        except KgtoolError as exc:
            return _refuse(str(exc), _error_status(exc))
        return result_response(request, result)

    def _not_found(request: Request, exc) -> Response:
        return error_page(404, "Not found", f"nothing at {request.url.path}")

    @asynccontextmanager
    async def lifespan(app):
        from starlette.concurrency import run_in_threadpool
        await run_in_threadpool(pool.start)
        yield
        pool.close()

    routes = [
        Route("/", index),
        Route("/kg/{node_id:str}.svg", node_svg),
        Route("/kg/{node_id:str}", node_page),
        Route("/validation", validation),
        Route("/queries", query_list),
        Route("/queries/{name:str}", query_run),
        Route("/recommend", recommend),
        Route("/sparql", sparql, methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: _not_found})
    app.state.pool = pool
    app.state.pages = pages
    app.state.kg = kg
    return app


def _prepare_locked(text: str) -> str:
    """The sandbox's verdict on ``text``, and the text as it read it (the only one a worker may run)."""
    with PARSE_LOCK:
        text = sandbox(text)
        prepare(text)
        return text


def _refuse(message: str, status: int) -> Response:
    return PlainTextResponse(message.rstrip("\n") + "\n", status_code=status)


def _cell(term, pages: Pages) -> dict[str, object]:
    if term is None:
        return {"text": ""}
    if isinstance(term, URIRef):
        ident = pages.ids.get(term)
        if ident is not None:
            return {"text": ident, "node": ident}
        from .render import short
        return {"text": short(term), "href": safe_url(term)}
    if str(term) in pages.nodes:  # an id column
        return {"text": str(term), "node": str(term)}
    return {"text": str(term)}


def _dump(target: Target) -> bytes:
    """The query graph as N-Quads, for the worker processes."""
    import pyoxigraph as ox

    from .engine import OxigraphGraph, to_ox, union_ntriples

    if isinstance(target, OxigraphGraph):  # its union (or default) graph, as N-Triples (valid N-Quads)
        return union_ntriples(target.graph_store(), union=target.union)
    store = ox.Store()
    store.bulk_extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.DefaultGraph()) for s, p, o in target.graph)
    return store.dump(format=ox.RdfFormat.N_QUADS)


def serve(project=None, *, host: str = "127.0.0.1", port: int = 8000, engine: str = "oxigraph",
          query_timeout: float = 5.0, row_cap: int = 10000) -> None:
    """Run the app with uvicorn (blocking). A port that cannot be bound is a :class:`KgtoolError` (exit 3)."""
    import socket

    import uvicorn

    try:  # fail before loading anything when the address is taken (uvicorn would only log and exit 1)
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise KgtoolError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                          hint="choose another --port, or stop the program that uses it") from None
    app = create_app(project, engine=engine, query_timeout=query_timeout, row_cap=row_cap)
    try:
        uvicorn.run(app, host=host, port=port, log_level="info")
    except SystemExit as exc:
        if exc.code:
            raise KgtoolError(f"the server on {host}:{port} stopped with an error (see the log above)") from None
