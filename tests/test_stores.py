"""Issue 6: push to real SPARQL servers (Oxigraph, Virtuoso 7) started on 127.0.0.1, and get the same answers there."""

from __future__ import annotations

import socket
import threading
import time
from datetime import date
from decimal import Decimal, InvalidOperation

import pytest
from rdflib import Literal
from rdflib.compare import isomorphic

import kgtool
from kgtool.query import execute, named_queries, query_graph
from kgtool.sparql import AskResult, GraphResult
from kgtool.stores import Endpoint, StoreError, StoreOptions, credentials, push
from support.servers import oxigraph_binary, start_oxigraph, start_virtuoso, virtuoso_available
from test_engines import PROFILES, example_params

AS_OF = date(2026, 11, 26)
GRAPH = "https://cdp.composablestack.ai/kg/graph"


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    if oxigraph_binary() is None:
        pytest.fail("the oxigraph server binary is missing: scripts/test installs it (pip oxigraph)")
    server = start_oxigraph(tmp_path_factory.mktemp("oxigraph"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    if not virtuoso_available():
        pytest.fail("virtuoso-t is missing: scripts/test installs Debian's virtuoso-opensource-7-bin")
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def pushed(request, kg):
    """A server holding the shipped graph with its inferred triples, and the push result."""
    server = request.getfixturevalue(request.param)
    result = push(kg, store_url=server.store_url, graph=GRAPH, with_inferred=True, timeout=60)
    return server, result


def _value(term):
    """Compare by value: stores canonicalise literals (0.80 -> 0.8, en-US -> en-us, true -> 1)."""
    if isinstance(term, Literal):
        if term.language:
            return ("lang", str(term), term.language.lower())
        python = term.toPython()
        if isinstance(python, bool):
            return ("bool", python)
        if isinstance(python, (Decimal, float, int)):
            return ("number", Decimal(str(python)).normalize())
        try:
            if term.datatype and str(term.datatype).endswith(("#decimal", "#integer", "#double")):
                return ("number", Decimal(str(term)).normalize())
        except InvalidOperation:
            pass
        return ("literal", str(term))
    return None if term is None else ("term", str(term))


def _rows(result):
    return [tuple(_value(row.get(v)) for v in result.variables) for row in result.rows]


def test_push_replaces_the_graph_and_verifies_the_count(pushed, kg):
    server, first = pushed
    assert first.sent == first.stored == len(kg.graph("ontology", "data")) + len(kgtool.infer(kg).graph)
    second = push(kg, store_url=server.store_url, graph=GRAPH, with_inferred=True, timeout=60)
    assert second.stored == first.stored  # pushing twice leaves one copy
    endpoint = Endpoint(server.query_url, graph=GRAPH)
    count = endpoint.run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(count.rows[0]["n"]) == first.stored  # the default graph is exactly our graph


@pytest.mark.parametrize("name", sorted(named_queries(kgtool.load()).keys()))
def test_every_named_query_answers_the_same_on_the_server(pushed, kg, qgraph, name):
    server, _ = pushed
    query = named_queries(kg)[name]
    params = example_params(query)
    embedded = execute(qgraph, query, params, today=AS_OF)
    remote = execute(Endpoint(server.query_url, graph=GRAPH), query, params, today=AS_OF)
    if isinstance(embedded, AskResult):
        assert remote == embedded, f"{name} on {server.name}"
    elif isinstance(embedded, GraphResult):
        assert isomorphic(embedded.graph, remote.graph) or \
            {tuple(map(_value, t)) for t in embedded.graph} == {tuple(map(_value, t)) for t in remote.graph}, \
            f"{name} on {server.name}: graphs differ"
    else:
        missing = [r for r in _rows(embedded) if r not in _rows(remote)]
        extra = [r for r in _rows(remote) if r not in _rows(embedded)]
        assert remote.variables == embedded.variables
        assert _rows(remote) == _rows(embedded), \
            f"query {name} on {server.name}: rows only embedded {missing[:5]}, rows only on the server {extra[:5]}"


@pytest.mark.parametrize("dims", PROFILES, ids=["+".join(p) for p in PROFILES])
def test_recommendations_are_the_same_on_the_server(pushed, kg, dims):
    server, _ = pushed
    embedded = kgtool.recommend(kg, dims=dims, as_of=AS_OF)
    remote = kgtool.recommend(kg, dims=dims, as_of=AS_OF, endpoint=Endpoint(server.query_url, graph=GRAPH))
    assert remote.to_json() == embedded.to_json(), f"profile {dims} on {server.name}"


def test_cli_push_and_query_through_a_named_store(make_project, root, oxigraph, cli, monkeypatch):
    project = make_project()
    import shutil

    shutil.rmtree(project / "data")
    shutil.copytree(root / "data", project / "data")
    (project / "pyproject.toml").write_text(
        f'[tool.kgtool.stores.local]\nendpoint = "{oxigraph.query_url}"\nstore = "{oxigraph.store_url}"\n'
        f'graph = "urn:kgtool:test:cli"\n')
    pushed_ = cli("--project", str(project), "push", "--store", "local", "--with-inferred")
    assert pushed_.exit_code == 0, pushed_.output
    assert "the store holds" in pushed_.stdout
    remote = cli("--project", str(project), "query", "is-enabled", "--store", "local",
                 "-p", "dim", "engineering-led-cdp", "-p", "target", "hightouch")
    assert (remote.exit_code, remote.stdout) == (0, "true\n")
    monkeypatch.setenv("KGTOOL_STORE_LOCAL_GRAPH", "urn:kgtool:test:empty")  # the environment overrides settings
    empty = cli("--project", str(project), "query", "-", "--store", "local", input="ASK { ?s ?p ?o }")
    assert (empty.exit_code, empty.stdout) == (1, "false\n")


def test_unreachable_store_fails_fast_with_exit_3(cli, root):
    port = _closed_port()
    started = time.monotonic()
    result = cli("--project", str(root), "push", "--endpoint", f"http://127.0.0.1:{port}/store", "--timeout", "3")
    assert result.exit_code == 3
    assert "cannot reach the store" in result.stderr and "Traceback" not in result.output
    assert time.monotonic() - started < 5
    query = cli("--project", str(root), "query", "node-list", "--endpoint", f"http://127.0.0.1:{port}/query",
                "--timeout", "3")
    assert query.exit_code == 3 and "cannot reach the store" in query.stderr


def test_wrong_path_is_a_clear_refusal(cli, root, oxigraph):
    result = cli("--project", str(root), "push", "--endpoint", oxigraph.base_url + "/no-such-path", "--timeout", "5")
    assert result.exit_code == 3
    assert "HTTP 404" in result.stderr


def test_a_server_that_never_answers_is_cut_off_by_the_timeout(cli, root):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    accepted = []
    stop = threading.Event()

    def accept_and_hang():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])  # keep the connection open, never answer
            except OSError:
                continue

    thread = threading.Thread(target=accept_and_hang, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    try:
        started = time.monotonic()
        result = cli("--project", str(root), "query", "node-list", "--endpoint", f"http://127.0.0.1:{port}/query",
                     "--timeout", "1.5")
        elapsed = time.monotonic() - started
        assert result.exit_code == 3
        assert "no answer within" in result.stderr or "timed out" in result.stderr.lower()
        assert elapsed < 6
        pushed_ = cli("--project", str(root), "push", "--endpoint", f"http://127.0.0.1:{port}/store", "--timeout", "1.5")
        assert pushed_.exit_code == 3 and "no answer within" in pushed_.stderr
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


def test_credentials_are_used_and_never_printed(kg, virtuoso, cli, root, monkeypatch):
    digest_store = virtuoso.base_url + "/sparql-graph-crud-auth"
    monkeypatch.setenv("KG_TEST_PASSWORD", "dba")
    result = push(kg, store_url=digest_store, graph="urn:kgtool:test:auth", creds=credentials("dba", "KG_TEST_PASSWORD", "digest"),
                  timeout=60)
    assert result.stored == len(kg.graph("ontology", "data"))  # a large PUT through Digest auth
    monkeypatch.setenv("KG_TEST_PASSWORD", "s3cret-wrong-password")
    refused = cli("--project", str(root), "push", "--endpoint", digest_store, "--graph", "urn:kgtool:test:auth",
                  "--user", "dba", "--password-env", "KG_TEST_PASSWORD", "--auth", "digest", "--timeout", "20")
    assert refused.exit_code == 3
    assert "s3cret" not in refused.output
    assert "credentials" in refused.stderr or "401" in refused.stderr
    missing = cli("--project", str(root), "push", "--endpoint", digest_store, "--user", "dba",
                  "--password-env", "KG_TEST_UNSET_VARIABLE")
    assert missing.exit_code == 2 and "KG_TEST_UNSET_VARIABLE is not set" in missing.stderr


def test_a_result_cut_by_the_store_is_an_error_not_an_answer(kg, tmp_path):
    if not virtuoso_available():
        pytest.fail("virtuoso-t is missing")
    with start_virtuoso(tmp_path / "capped", max_rows=10) as capped:
        # the store takes the whole graph, but reading it back is cut too: push notices
        with pytest.raises(StoreError, match="sent 6184 triples but the store holds"):
            push(kg, store_url=capped.store_url, graph=GRAPH, timeout=60)
        endpoint = Endpoint(capped.query_url, graph=GRAPH)
        with pytest.raises(StoreError, match="row limit|partial"):
            endpoint.run("SELECT ?s WHERE { ?s a ?t }")
        small = endpoint.run("SELECT ?s WHERE { ?s a <https://cdp.composablestack.ai/kg/ontology#Pattern> } LIMIT 3")
        assert len(small.rows) == 3  # under the cap: a complete answer


def test_store_options_need_a_known_store(root):
    with pytest.raises(kgtool.UsageError, match="no store named"):
        kgtool.query(root, name="node-list", store=StoreOptions(store="nowhere"))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
