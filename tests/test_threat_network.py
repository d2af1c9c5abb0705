"""Threat: a query, a check file or a shape that tries to reach the network (issue 13).

Every form of ``SERVICE`` and ``FROM`` the sandbox refuses, also written with SPARQL's codepoint
escapes, on every path a query takes (the CLI, named queries, check files, SHACL-SPARQL shapes,
``/sparql``, remote endpoints), with a listener on 127.0.0.1 that proves no connection is made. And
the second lock: the engines evaluate in a place that cannot open a socket, so a query that got past
the sandbox still could not call out.
"""

from __future__ import annotations

import shutil
import socket
import threading
import warnings
from pathlib import Path

import pyoxigraph as ox
import pytest

import kgtool
from kgtool import netguard
from kgtool.errors import QueryExecutionError
from kgtool.sparql import normalise, sandbox

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, socket.timeout, OSError):
                continue
            conn.settimeout(0.5)
            try:
                self.connections.append(conn.recv(4096) or b"(connected)")
            except OSError:
                self.connections.append(b"(connected)")
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()
    assert server.connections == [], f"a connection was made: {server.connections[:1]}"


# The forms: {url} is the listener. Each must be refused by the sandbox, and none may connect.
SERVICE_FORMS = {
    "plain": "SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    "lower-case": "select * where { service <{url}> { ?s ?p ?o } }",
    "silent": "SELECT * WHERE { SERVICE SILENT <{url}> { ?s ?p ?o } }",
    "comment-between": "SELECT * WHERE { SERVICE # a comment\n <{url}> { ?s ?p ?o } }",
    "variable": "SELECT * WHERE { VALUES ?e { <{url}> } SERVICE ?e { ?s ?p ?o } }",
    "prefixed-name": "PREFIX e: <{url}>\nSELECT * WHERE { SERVICE e: { ?s ?p ?o } }",
    "nested-optional": "SELECT * WHERE { ?x ?y ?z OPTIONAL { { SERVICE <{url}> { ?s ?p ?o } } } }",
    "in-exists": "SELECT * WHERE { ?x ?y ?z FILTER EXISTS { SERVICE <{url}> { ?s ?p ?o } } }",
    "escaped-keyword-u": "SELECT * WHERE { \\u0053ERVICE <{url}> { ?s ?p ?o } }",
    "escaped-keyword-U": "SELECT * WHERE { \\U00000053ERVICE <{url}> { ?s ?p ?o } }",
    "escaped-middle": "SELECT * WHERE { SERV\\u0049CE <{url}> { ?s ?p ?o } }",
    "escaped-lower-hex": "SELECT * WHERE { \\u0073ervice <{url}> { ?s ?p ?o } }",
    "escaped-iri": "SELECT * WHERE { SERVICE <http\\u003A//127.0.0.1:{port}/sparql> { ?s ?p ?o } }",
}
FROM_FORMS = {
    "from": "SELECT * FROM <{url}> WHERE { ?s ?p ?o }",
    "from-named": "SELECT * FROM NAMED <{url}> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "from-lower": "select * from <{url}> where { ?s ?p ?o }",
    "from-escaped": "SELECT * \\u0046ROM <{url}> WHERE { ?s ?p ?o }",
    "from-named-escaped": "SELECT * FROM \\u004EAMED <{url}> WHERE { ?s ?p ?o }",
    "ask-from": "ASK FROM <{url}> { ?s ?p ?o }",
    "construct-from": "CONSTRUCT { ?s ?p ?o } FROM <{url}> WHERE { ?s ?p ?o }",
}
UPDATE_FORMS = {
    "load": "LOAD <{url}>",
    "load-escaped": "\\u004COAD <{url}>",
}
FORMS = {**SERVICE_FORMS, **FROM_FORMS, **UPDATE_FORMS}
# For rdflib (the sandbox's parser) \u005C is a backslash before parsing, so the string literal runs to
# the quote in the comment; for pyoxigraph, reading the raw text, it is a backslash *character* inside
# the string, the string ends at once and SERVICE is live. Normalised, both read one string: harmless,
# and the normalised text is what runs.
SMUGGLED = {
    "hidden-in-string": 'SELECT * WHERE { BIND("\\u005C" AS ?a) SERVICE <{url}> { ?s ?p ?o } } # " AS ?a) }',
    "hidden-in-long-string": 'SELECT * WHERE { BIND("""\\u005C""" AS ?a) SERVICE <{url}> { ?s ?p ?o } } # """ AS ?a) }',
    "hidden-single-quote": "SELECT * WHERE { BIND('\\u005C' AS ?a) SERVICE <{url}> { ?s ?p ?o } } # ' AS ?a) }",
}
FORMS_AND_SMUGGLED = {**FORMS, **SMUGGLED}


def _text(form: str, server: Listener) -> str:
    return FORMS_AND_SMUGGLED[form].replace("{url}", server.url).replace("{port}", str(server.port))


@pytest.mark.parametrize("form", sorted(FORMS))
def test_the_sandbox_refuses_every_form(form, listener):
    with pytest.raises(kgtool.QueryError):
        sandbox(_text(form, listener))


@pytest.mark.parametrize("form", sorted(SMUGGLED))
def test_a_smuggled_service_is_live_for_pyoxigraph_only_without_normalisation(listener, form):
    """The exploit itself: on the raw text pyoxigraph connects; on the text the sandbox read (the one
    every engine now runs) it binds one string and connects nowhere, guard or not."""
    text = _text(form, listener)
    with pytest.raises(OSError):
        list(ox.Store().query(text))
    assert listener.connections
    listener.connections.clear()
    normalised = sandbox(text)
    assert normalised != text
    rows = list(ox.Store().query(normalised))  # unguarded, in this thread
    assert len(rows) == 1 and "SERVICE <" in rows[0]["a"].value


@pytest.mark.parametrize("form", sorted(SMUGGLED))
def test_a_smuggled_service_connects_nowhere_on_any_path(cli, root, tmp_path, client, listener, form):
    query = tmp_path / "smuggled.rq"
    query.write_text(_text(form, listener), encoding="utf-8")
    for engine in ("oxigraph", "rdflib"):
        result = cli("--project", str(root), "--engine", engine, "query", "--file", str(query), "--format", "json")
        assert result.exit_code == 0, result.output
        assert "SERVICE <" in result.output
    response = client.get("/sparql", params={"query": _text(form, listener)},
                          headers={"accept": "application/sparql-results+json"})
    assert response.status_code == 200 and "SERVICE <" in response.text


def test_normalised_text_is_what_runs():
    assert normalise('SELECT ("caf\\u00E9" AS ?x) {}') == 'SELECT ("café" AS ?x) {}'
    assert normalise("SELECT * { ?s ?p ?o }") == "SELECT * { ?s ?p ?o }"
    with pytest.raises(kgtool.QueryError, match="writes another escape"):
        normalise('SELECT ("\\u005Cu0041" AS ?x) {}')
    with pytest.raises(kgtool.QueryError, match="surrogate"):
        normalise('SELECT ("\\uD800" AS ?x) {}')


def test_escapes_in_an_honest_query_still_work(cli, root):
    result = cli("--project", str(root), "query", "--file", "-", "--format", "json",
                 input='SELECT ?t WHERE { ?n <http://purl.org/dc/terms/identifier> "vendor.hightouch" ; '
                       '<http://purl.org/dc/terms/title> ?t FILTER(CONTAINS(?t, "\\u0048ightouch")) }')
    assert result.exit_code == 0, result.output
    assert "Hightouch" in result.output


# --- every path --------------------------------------------------------------------------------

PATH_FORMS = ["plain", "variable", "escaped-keyword-u", "escaped-iri", "from", "from-escaped"]


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
@pytest.mark.parametrize("form", PATH_FORMS + ["load-escaped"])
def test_cli_query_file_refuses_and_connects_nowhere(cli, root, tmp_path, listener, form, engine):
    query = tmp_path / "evil.rq"
    query.write_text(_text(form, listener), encoding="utf-8")
    result = cli("--project", str(root), "--engine", engine, "query", "--file", str(query))
    assert result.exit_code == 2, result.output
    assert "not allowed" in result.output or "syntax error" in result.output


@pytest.mark.parametrize("form", PATH_FORMS)
def test_named_query_refuses_and_connects_nowhere(cli, make_project, listener, form):
    project = make_project({"vendor/x.ttl": ""})
    (project / "queries" / "evil.rq").write_text("# title: evil\n" + _text(form, listener), encoding="utf-8")
    result = cli("--project", str(project), "query", "evil")
    assert result.exit_code == 2, result.output
    check = cli("--project", str(project), "check")
    assert check.exit_code != 0, check.output
    assert "evil" in check.output


@pytest.mark.parametrize("form", PATH_FORMS)
def test_check_file_refuses_and_connects_nowhere(cli, make_project, root, listener, form):
    project = make_project()
    shutil.rmtree(project / "data")
    shutil.copytree(root / "data", project / "data")
    (project / "queries" / "checks" / "evil.rq").write_text(
        "# title: evil\n# severity: violation\n" + _text(form, listener), encoding="utf-8")
    for command in ("check", "validate"):
        result = cli("--project", str(project), command, "--full")
        assert result.exit_code == 3, result.output
        assert "evil.rq" in result.output


SHAPE = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix kg: <https://cdp.composablestack.ai/kg/ontology#> .
@prefix ex: <https://example.org/shapes#> .
ex:EvilShape a sh:NodeShape ; sh:targetClass kg:Vendor ;
  sh:sparql [ sh:message "evil" ; sh:select {text} ] .
"""


@pytest.mark.parametrize("form", PATH_FORMS)
def test_shacl_sparql_shape_refuses_and_connects_nowhere(cli, make_project, root, listener, form):
    project = make_project({"vendor/vendor.hightouch.ttl": root / "data" / "vendor" / "vendor.hightouch.ttl"})
    text = _text(form, listener).replace("SELECT *", "SELECT $this").replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\n", "\\n")
    (project / "ontology" / "shapes-evil.ttl").write_text(SHAPE.replace("{text}", f'"{text}"'), encoding="utf-8")
    result = cli("--project", str(project), "validate", "--full")
    assert result.exit_code == 3, result.output


@pytest.mark.parametrize("form", PATH_FORMS)
def test_remote_endpoint_is_never_sent_a_refused_query(cli, root, tmp_path, form):
    service, endpoint = Listener(), Listener()
    try:
        query = tmp_path / "evil.rq"
        query.write_text(_text(form, service), encoding="utf-8")
        result = cli("--project", str(root), "query", "--endpoint", endpoint.url, "--file", str(query))
        assert result.exit_code == 2, result.output
    finally:
        service.close()
        endpoint.close()
    assert service.connections == [] and endpoint.connections == []


@pytest.fixture(scope="module")
def client(root):
    from kgtool.serve import create_app

    with TestClient(create_app(root, query_timeout=5.0, workers=1)) as c:
        yield c


@pytest.mark.parametrize("form", sorted(FORMS))
def test_sparql_endpoint_refuses_and_connects_nowhere(client, listener, form):
    text = _text(form, listener)
    for response in (client.get("/sparql", params={"query": text}),
                     client.post("/sparql", content=text.encode(), headers={"content-type": "application/sparql-query"}),
                     client.post("/sparql", data={"query": text})):
        assert response.status_code == 400, (response.status_code, response.text)


# --- the second lock: no socket where queries are evaluated ------------------------------------

needs_guard = pytest.mark.skipif(not netguard.AVAILABLE, reason=netguard.REASON)


@needs_guard
def test_offline_code_cannot_open_a_socket(listener):
    def connect():
        socket.create_connection(("127.0.0.1", listener.port), timeout=1)

    with pytest.raises(PermissionError):
        netguard.offline(connect)
    # the calling thread keeps its network
    socket.create_connection(("127.0.0.1", listener.port), timeout=1).close()
    import time

    for _ in range(20):
        if listener.connections:
            break
        time.sleep(0.05)
    assert listener.connections
    listener.connections.clear()


@needs_guard
def test_the_oxigraph_engine_cannot_call_out_even_past_the_sandbox(kg, listener, monkeypatch):
    """Take the sandbox away: pyoxigraph's own HTTP client is still refused a socket."""
    from kgtool import engine as engine_module
    from kgtool.query import query_graph

    target = query_graph(kg, engine="oxigraph")
    monkeypatch.setattr(engine_module, "sandbox", lambda text, name=None: text)
    with pytest.raises(QueryExecutionError, match="not permitted|Permission"):
        target.run(_text("plain", listener))


@needs_guard
def test_the_rdflib_engine_cannot_call_out_even_past_the_sandbox(qgraph, listener, monkeypatch):
    from kgtool import sparql as sparql_module

    real = sparql_module.check_query
    monkeypatch.setattr(sparql_module, "check_query", lambda text, name=None: sparql_module._rdflib_sparql()[0](text))
    sparql_module._prepare_cached.cache_clear()
    try:
        with pytest.raises(QueryExecutionError):
            sparql_module.run(qgraph.graph, _text("plain", listener))
    finally:
        monkeypatch.setattr(sparql_module, "check_query", real)
        sparql_module._prepare_cached.cache_clear()


@needs_guard
def test_the_server_workers_cannot_call_out_even_past_the_sandbox(client, listener):
    """The pool's workers are sent a SERVICE query directly (as if the sandbox had missed it)."""
    pool = client.app.state.pool
    with pytest.raises(QueryExecutionError):
        pool.run(_text("plain", listener))


# --- remote endpoints: redirects ------------------------------------------------------------------

class Recorder:
    """An HTTP server on 127.0.0.1: ``routes`` maps a path to (status, headers, body); every request is
    recorded as (method, path, headers, body)."""

    def __init__(self, routes: dict[str, tuple[int, dict[str, str], bytes]]) -> None:
        import http.server

        recorder = self
        self.routes = routes
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append((self.command, self.path, dict(self.headers.items()), body))
                status, headers, payload = recorder.routes.get(self.path.split("?")[0], (404, {}, b"no"))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value.replace("{port}", str(recorder.port)))
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _any

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


EMPTY_RESULTS = b'{"head": {"vars": ["s"]}, "results": {"bindings": []}}'
ONE_ROW = b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "value": "urn:x"}}]}}'


@pytest.fixture
def elsewhere():
    server = Recorder({"/sparql": (200, {"content-type": "application/sparql-results+json"}, EMPTY_RESULTS)})
    yield server
    server.close()


@pytest.mark.parametrize("code", [301, 302, 303])
def test_a_redirect_that_turns_the_query_post_into_a_get_is_an_error(code, elsewhere):
    from kgtool.stores import Endpoint, StoreError

    store = Recorder({"/query": (code, {"location": "/sparql"}, b""),
                      "/sparql": (200, {"content-type": "application/sparql-results+json"}, EMPTY_RESULTS)})
    try:
        with pytest.raises(StoreError, match="into a GET"):
            Endpoint(store.base + "/query").run("SELECT ?s WHERE { ?s ?p ?o }")
        assert [r[1].split("?")[0] for r in store.requests] == ["/query"]  # never followed
    finally:
        store.close()


@pytest.mark.parametrize("scheme", ["basic", "digest"])
def test_credentials_are_never_sent_to_another_origin(scheme, elsewhere, cli, root, tmp_path, monkeypatch):
    from kgtool.stores import Credentials, Endpoint, StoreError

    store = Recorder({"/query": (307, {"location": elsewhere.base + "/sparql"}, b""),
                      "/store": (302, {"location": elsewhere.base + "/sparql"}, b"")})
    try:
        creds = Credentials("user", "s3cret", scheme)
        with pytest.raises(StoreError, match="another origin"):
            Endpoint(store.base + "/query", creds=creds).run("SELECT ?s WHERE { ?s ?p ?o }")
        monkeypatch.setenv("KG_TEST_PASSWORD", "s3cret")
        result = cli("--project", str(root), "query", "node-list", "--endpoint", store.base + "/query",
                     "--user", "user", "--password-env", "KG_TEST_PASSWORD", "--auth", scheme)
        assert result.exit_code == 3 and "another origin" in result.stderr and "s3cret" not in result.output
        pushed = cli("--project", str(root), "push", "--endpoint", store.base + "/store",
                     "--user", "user", "--password-env", "KG_TEST_PASSWORD", "--auth", scheme, "--timeout", "5")
        assert pushed.exit_code == 3 and "redirected" in pushed.stderr
    finally:
        store.close()
    assert elsewhere.requests == []


def test_a_redirect_that_keeps_the_method_and_the_query_is_followed(elsewhere):
    from kgtool.stores import Endpoint

    store = Recorder({"/query": (307, {"location": "/final"}, b""),
                      "/final": (200, {"content-type": "application/sparql-results+json"}, ONE_ROW)})
    try:
        result = Endpoint(store.base + "/query").run("SELECT ?s WHERE { ?s ?p ?o }")
        assert [str(row["s"]) for row in result.rows] == ["urn:x"]
        (first, second) = store.requests
        assert (first[0], second[0]) == ("POST", "POST") and second[1].startswith("/final")
        assert first[3] == second[3] and b"SELECT" in urllib_unquote(second[3])
    finally:
        store.close()


def urllib_unquote(body: bytes) -> bytes:
    from urllib.parse import unquote_plus

    return unquote_plus(body.decode()).encode()
