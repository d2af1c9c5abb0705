"""Issue 4: parameters are bound as terms (injection-proof) and queries cannot read files or the network."""

from __future__ import annotations

import socket
import sys

import pytest
from rdflib import Graph, Literal, URIRef

import kgtool
from kgtool.queries import parse_header
from kgtool.sparql import Bindings, bound_text, check_query, where_brace

HEADER = """# title: Nodes by tag
# param: tag string required -- a tag
# param: asOf date default=today -- a date
# param: limit number optional -- ignored
PREFIX kg: <https://cdp.composablestack.ai/kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?id WHERE {
  ?node kg:tag ?tag ; dcterms:identifier ?id .
} ORDER BY ?id
"""


@pytest.fixture(scope="module")
def tag_query():
    from pathlib import Path

    return parse_header(HEADER, name="by-tag", path=Path("by-tag.rq"))


@pytest.mark.parametrize("evil", [
    '> } UNION { ?s ?p ?o } #',
    '" } UNION { ?s ?p ?o } #',
    "' } UNION { ?s ?p ?o } #",
    '"""  } UNION { ?s ?p ?o } # """',
    'sql-first"^^<http://x/}> . ?s ?p ?o } #',
    "\\\" } UNION { ?s ?p ?o } #",
    "line\nbreak } UNION { ?s ?p ?o }",
])
def test_injection_attempts_are_bound_as_one_harmless_value(qgraph, tag_query, evil):
    from kgtool.query import execute

    result = execute(qgraph, tag_query, {"tag": [evil]})
    assert result.rows == []  # one literal that no node has as a tag; nothing else matched
    honest = execute(qgraph, tag_query, {"tag": ["sql-first"]})
    rows = qgraph.graph.query('SELECT ?id WHERE { ?n <https://cdp.composablestack.ai/kg/ontology#tag> "sql-first" ; '
                              '<http://purl.org/dc/terms/identifier> ?id }')
    expected = sorted(str(r.id) for r in rows)
    assert [str(r["id"]) for r in honest.rows] == expected
    assert "org-dim.operational-profile.engineering-led-cdp" in expected


def test_bound_text_contains_the_value_only_as_an_escaped_literal(qgraph, tag_query):
    from kgtool.sparql import bind_parameters

    bindings = bind_parameters(tag_query, {"tag": ['> } UNION { ?s ?p ?o } #']}, index=qgraph.node_index)
    text = bound_text(tag_query.text, bindings)
    assert 'VALUES (?asOf ?limit ?tag) {' in text
    assert '"> } UNION { ?s ?p ?o } #"' in text
    assert "UNDEF" in text  # the optional parameter with no value


def test_a_datatype_iri_with_a_brace_is_refused():
    bindings = Bindings(values={"x": [Literal("1", datatype=URIRef("http://x/}> . } INSERT DATA { <a> <b> <c> "))]})
    with pytest.raises(kgtool.QueryError, match="invalid datatype"):
        bound_text("SELECT * WHERE { ?s ?p ?x }", bindings)


def test_an_iri_with_a_brace_is_refused():
    bindings = Bindings(values={"x": [URIRef("http://x/> } UNION { ?s ?p ?o")]})
    with pytest.raises(kgtool.QueryError, match="invalid IRI"):
        bound_text("SELECT * WHERE { ?s ?p ?x }", bindings)


def test_node_parameter_rejects_a_crafted_iri(qgraph):
    from kgtool.sparql import resolve_node

    with pytest.raises(kgtool.NodeLookupError):
        resolve_node("http://x/> } UNION { ?s ?p ?o } #", qgraph.node_index())


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { ?s ?p ?o }",
    "SELECT (1 AS ?x) { ?s ?p ?o }",
    "PREFIX x: <http://x/> SELECT * WHERE { ?s x:p ?o FILTER(?o != \"{\" && ?o != '}') }",
    "SELECT (EXISTS { ?a ?b ?c } AS ?e) WHERE { ?s ?p ?o }",
    "# a { comment\nSELECT * WHERE { ?s ?p ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "ASK { ?s ?p ?o }",
])
def test_values_block_goes_into_the_top_level_where_group(text):
    at = where_brace(text)
    bound = text[:at] + " VALUES ?v { 1 } " + text[at:]
    check_query(bound)
    assert bound[at - 1] == "{"
    assert "WHERE" in text.upper()[: at] or text.lstrip().upper().startswith(("ASK", "SELECT (1"))


@pytest.mark.parametrize("text, message", [
    ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "FROM"),
    ("SELECT * FROM NAMED <http://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }", "FROM"),
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE"),
    ("SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }", "SERVICE"),
    ("LOAD <file:///etc/passwd>", "updates"),
    ("INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }", "updates"),
    ("DELETE WHERE { ?s ?p ?o }", "updates"),
    ("SELECT * WHERE { ?s ?p }", "syntax"),
])
def test_sandbox_refuses_before_running_and_touches_nothing(root, cli, qgraph, text, message, tmp_path):
    query_file = tmp_path / "q.rq"
    query_file.write_text(text)
    events = []

    def hook(event, args):
        if event in ("socket.connect", "socket.getaddrinfo", "urllib.Request"):
            events.append(event)
        if event == "open" and isinstance(args[0], str) and "passwd" in args[0]:
            events.append(event)

    sys.addaudithook(hook)
    from kgtool.query import adhoc_query, execute

    with pytest.raises(kgtool.QueryError, match=message):
        execute(qgraph, adhoc_query(text))
    assert events == []
    result = cli("--project", str(root), "query", "--file", str(query_file))
    assert result.exit_code == 2
    assert message.lower() in result.stderr.lower()


def test_adhoc_query_from_stdin(cli, root):
    result = cli("--project", str(root), "query", "-", "--format", "csv",
                 input="SELECT ?id WHERE { cdp:vendor.hightouch dcterms:identifier ?id }")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["id", "vendor.hightouch"]


def test_ask_sets_the_exit_code(cli, root):
    yes = cli("--project", str(root), "query", "-", input="ASK { cdp:vendor.hightouch a kg:Vendor }")
    assert (yes.exit_code, yes.stdout) == (0, "true\n")
    no = cli("--project", str(root), "query", "-", input="ASK { cdp:vendor.hightouch a kg:Pattern }")
    assert (no.exit_code, no.stdout) == (1, "false\n")


def test_construct_gives_turtle(cli, root):
    result = cli("--project", str(root), "query", "-",
                 input="CONSTRUCT { cdp:vendor.hightouch dcterms:title ?t } WHERE { cdp:vendor.hightouch dcterms:title ?t }")
    assert result.exit_code == 0
    graph = Graph().parse(data=result.stdout, format="turtle")
    assert len(graph) == 1


def test_no_socket_is_opened_by_a_query(qgraph, tag_query, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket, "socket", refuse)
    from kgtool.query import execute

    execute(qgraph, tag_query, {"tag": ["sql-first"]})


def test_csv_follows_the_w3c_results_format():
    from kgtool.render import Format, render_query_result
    from kgtool.sparql import SelectResult

    result = SelectResult(variables=["a", "b"], rows=[{"a": Literal('say "hi", then'), "b": None}])
    assert render_query_result(result, Format.CSV) == 'a,b\r\n"say ""hi"", then",\r\n'
