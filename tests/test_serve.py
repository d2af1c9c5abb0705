"""The web app (``kgtool serve``) and the static site (``kgtool site``), in-process: Starlette's TestClient
talks to the ASGI app without a socket. Only the query workers are processes (that is the time limit)."""

from __future__ import annotations

import threading
import time
import warnings
from datetime import date

import click
import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

pytest.importorskip("starlette")
with warnings.catch_warnings():  # Starlette 1.x suggests httpx2; httpx is what its TestClient runs on here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

from kgtool.cli import KgtoolGroup  # noqa: E402
from kgtool.cli_serve import COMMANDS  # noqa: E402
from kgtool.serve import create_app  # noqa: E402
from kgtool.svg import Neighbourhood, render_svg  # noqa: E402

SEED = "org-dim.operational-profile.engineering-led-cdp"
BASE = "https://cdp.composablestack.ai/kg/"


@pytest.fixture(scope="module")
def client(root):
    app = create_app(root, query_timeout=5.0, row_cap=50, today=date(2026, 11, 26))
    with TestClient(app) as c:
        yield c


# -- node pages --------------------------------------------------------------------------------------

def test_seed_page_has_every_part_of_the_layout(client):
    r = client.get(f"/kg/{SEED}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    for part in ("Organization Dimension", f"<code>{SEED}</code>", "<h1>Engineering-Led CDP Operations</h1>",
                 "An organization where data engineering or IT owns", "confidence 85%", ">v2<",
                 'datetime="2026-06-03">Jun 3, 2026', '<span class="tag">sql-first</span>',
                 "<strong>Distinguishing signal.</strong>", "<strong>Agent behavior when this dimension matches.</strong>",
                 "<h2>Sources</h2>", "This node →", "← Referenced by", "<svg"):
        assert part in html, part
    assert 'class="badge stale"' not in html  # 176 days: inside the 180-day window
    # Body sections in order, agent-behaviour items as an ordered list in order.
    order = [html.index(h) for h in ("Distinguishing signal.", "Contrast with marketing-led", "Agent behavior when",
                                     "External validation (CMSWire", "Where this dimension does NOT apply",
                                     "Named engineering-led CDPs")]
    assert order == sorted(order)
    items = html.index("<ol class=\"items\">")
    assert html.index("Surface SQL-first", items) < html.index("Frame the evaluation", items) \
        < html.index("Caution against recommending", items) < html.index("Identify risk of marketing", items)
    # Sources with links; outgoing relations grouped by type, with rationale, status and strength.
    assert '<a href="https://www.hightouch.com/docs/getting-started/concepts">' in html
    assert 'data-type="enables"' in html and 'data-type="counter-indicates"' in html
    assert '<a href="/kg/vendor.hightouch">vendor.hightouch</a>' in html
    assert "directly match Hightouch&#39;s SQL-first composable CDP architecture" in html
    assert '<span class="badge contested">contested</span> <span class="badge soft">soft</span>' in html
    # Backlinks: another node that points at the seed.
    backlinks = html[html.index("← Referenced by"):]
    assert 'href="/kg/org-dim.operational-profile.marketing-led-cdp"' in backlinks


def test_stale_badge_after_180_days(root):
    app = create_app(root, today=date(2026, 12, 5), workers=1)
    with TestClient(app) as c:
        html = c.get(f"/kg/{SEED}").text
    assert 'class="badge stale"' in html and "reviewed 185 days before 2026-12-05" in html


def test_unknown_node_is_404(client):
    r = client.get("/kg/vendor.nope")
    assert r.status_code == 404 and "no node with id &#39;vendor.nope&#39;" in r.text
    assert client.get("/kg/vendor.nope.svg").status_code == 404
    assert client.get("/kg/vendor.nope", headers={"accept": "text/turtle"}).status_code == 404
    assert client.get("/no/such/page").status_code == 404


def test_node_turtle_by_content_negotiation(client):
    r = client.get(f"/kg/{SEED}", headers={"accept": "text/turtle, text/html;q=0.5"})
    assert r.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=r.text, format="turtle")
    node = URIRef(BASE + SEED)
    assert (node, DCTERMS.title, Literal("Engineering-Led CDP Operations")) in graph
    assert len(set(graph.subjects(URIRef(BASE + "ontology#subject"), node))) >= 10  # its qualified relations
    assert client.get(f"/kg/{SEED}", headers={"accept": "text/html"}).headers["content-type"].startswith("text/html")


def test_svg(client):
    r = client.get(f"/kg/{SEED}.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    svg = r.text
    assert svg.startswith("<svg") and 'class="edge edge-counter-indicates"' in svg and 'stroke-dasharray="6 4"' in svg
    assert 'href="/kg/vendor.hightouch"' in svg
    assert client.get(f"/kg/{SEED}.svg").text == svg  # deterministic


def test_svg_escapes_text_and_is_deterministic():
    edges = [("a", "enables", "b<&>", "proposed"), ("b<&>", "counter-indicates", "c", "contested")]
    hood = Neighbourhood.around("a", list(reversed(edges)), titles={"a": 'A "quoted" <title>'}, kinds={"a": "vendor"})
    svg = render_svg(hood, link=lambda i: f"/kg/{i}")
    assert "b&lt;&amp;&gt;" in svg and "<title>" in svg and 'A &quot;quoted&quot; &lt;title&gt;' in svg
    assert "b<&>" not in svg
    assert svg == render_svg(Neighbourhood.around("a", edges, titles={"a": 'A "quoted" <title>'}, kinds={"a": "vendor"}),
                             link=lambda i: f"/kg/{i}")


EVIL = """@prefix kg: <https://cdp.composablestack.ai/kg/ontology#> .
@prefix cdp: <https://cdp.composablestack.ai/kg/> .
@prefix rel: <https://cdp.composablestack.ai/kg/relation/> .
@prefix doc: <https://cdp.composablestack.ai/kg/doc/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema: <http://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

cdp:vendor.evil a kg:Vendor ;
    dcterms:identifier "vendor.evil" ;
    dcterms:title "<script>alert(1)</script>" ;
    dcterms:abstract "a & b <b>bold</b>" ;
    kg:confidence 0.5 ;
    kg:version "v1" ;
    kg:reviewDate "2020-01-01"^^xsd:date ;
    kg:tag "x\\"><img src=x onerror=alert(1)>" ;
    dcterms:source doc:S1 , doc:S2 , doc:S3 ;
    kg:enables cdp:vendor.good .

rel:vendor.evil--enables--vendor.good a kg:Relation ;
    kg:subject cdp:vendor.evil ;
    kg:relationType kg:enables ;
    kg:object cdp:vendor.good ;
    kg:rationale "<i onmouseover=alert(2)>why</i>" ;
    kg:status kg:Proposed ;
    kg:evidence doc:S1 .

cdp:vendor.good a kg:Vendor ;
    dcterms:identifier "vendor.good" ;
    dcterms:title "Good" .

doc:S1 a kg:Source ; dcterms:identifier "S1" ; dcterms:title "Script link" ; schema:url <javascript:alert(1)> .
doc:S2 a kg:Source ; dcterms:identifier "S2" ; dcterms:title "File link" ; schema:url <file:///etc/passwd> .
doc:S3 a kg:Source ; dcterms:identifier "S3" ; dcterms:title "Web link" ; schema:url <https://example.com/a?b=1&c=2> .
"""


@pytest.fixture
def evil_client(make_project):
    project = make_project({"vendor/vendor.evil.ttl": EVIL})
    app = create_app(project, workers=1, today=date(2026, 11, 26))
    with TestClient(app) as c:
        yield c


def test_everything_from_the_graph_is_escaped(evil_client):
    html = evil_client.get("/kg/vendor.evil").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html and "a &amp; b &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<img src=x" not in html and "<i onmouseover" not in html
    assert 'class="badge stale"' in html
    # Only http(s) IRIs become links; the others are shown as text.
    assert 'href="javascript:' not in html and 'href="file:' not in html
    assert "<code>javascript:alert(1)</code>" in html and "<code>file:///etc/passwd</code>" in html
    assert '<a href="https://example.com/a?b=1&amp;c=2">Web link</a>' in html
    index = evil_client.get("/").text
    assert "<script>alert" not in index and "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    svg = evil_client.get("/kg/vendor.good.svg").text
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    sparql = evil_client.get("/queries/node-list", headers={"accept": "text/html"}).text
    assert "<script>alert" not in sparql


# -- index, validation, queries, recommend -----------------------------------------------------------

def test_index_search_and_kind_filter(client):
    html = client.get("/").text
    assert "52 nodes" in html and f'href="/kg/{SEED}"' in html
    found = client.get("/", params={"q": "hightouch"}).text
    assert 'href="/kg/vendor.hightouch"' in found and 'href="/kg/vendor.mparticle"' not in found
    by_tag = client.get("/", params={"q": "reverse-etl"}).text  # a tag
    assert f'href="/kg/{SEED}"' in by_tag
    patterns = client.get("/", params={"kind": "pattern"}).text
    assert "11 nodes" in patterns and "vendor.hightouch" not in patterns


def test_validation_page(client):
    r = client.get("/validation")
    assert r.status_code == 200 and "As of 2026-11-26" in r.text and "The graph conforms" in r.text
    data = client.get("/validation", headers={"accept": "application/json"}).json()
    assert data["format"] == "kgtool-validation/1" and data["conforms"] is True


def test_queries_list_and_run(client):
    html = client.get("/queries").text
    assert 'action="/queries/backlinks"' in html and '<input name="node"' in html
    r = client.get("/queries/backlinks", params={"node": "hightouch"})
    assert r.status_code == 200 and '<table class="results">' in r.text and f'href="/kg/{SEED}"' in r.text
    data = client.get("/queries/backlinks", params={"node": "hightouch"},
                      headers={"accept": "application/sparql-results+json"}).json()
    assert "relation" in data["head"]["vars"] and data["results"]["bindings"]
    assert client.get("/queries/nope").status_code == 404
    missing = client.get("/queries/backlinks")
    assert missing.status_code == 400 and "missing required parameter" in missing.text
    unknown = client.get("/queries/backlinks", params={"node": "no-such-node"}, headers={"accept": "application/json"})
    assert unknown.status_code == 400 and "no node" in unknown.json()["error"]


def test_recommend(client):
    r = client.get("/recommend", params={"dim": "engineering-led-cdp"})
    assert r.status_code == 200 and 'href="/kg/vendor.hightouch"' in r.text and "recommended" in r.text
    data = client.get("/recommend", params={"dim": "engineering-led-cdp"}, headers={"accept": "application/json"}).json()
    verdicts = {v["target"]: v for v in data["verdicts"]}
    assert verdicts["vendor.hightouch"]["verdict"] == "recommended" and verdicts["vendor.hightouch"]["signals"]
    assert client.get("/recommend", params={"dim": "no-such-dim"}).status_code == 400
    assert client.get("/recommend").status_code == 200  # the empty form


# -- /sparql -----------------------------------------------------------------------------------------

VENDORS = "SELECT ?id WHERE { ?n a kg:Vendor ; dcterms:identifier ?id } ORDER BY ?id LIMIT 3"


def test_sparql_get_and_post(client):
    r = client.get("/sparql", params={"query": VENDORS})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/sparql-results+json")
    ids = [b["id"]["value"] for b in r.json()["results"]["bindings"]]
    assert ids == ["vendor.actionable-audiences", "vendor.adobe-rtcdp", "vendor.amperity"] or len(ids) == 3
    posted = client.post("/sparql", content=VENDORS, headers={"content-type": "application/sparql-query"})
    assert posted.json() == r.json()
    form = client.post("/sparql", data={"query": VENDORS})
    assert form.json() == r.json()
    assert client.get("/sparql").status_code == 200  # the HTML form
    assert client.post("/sparql", content="x", headers={"content-type": "text/plain"}).status_code == 415


def test_sparql_result_formats(client):
    csv_ = client.get("/sparql", params={"query": VENDORS}, headers={"accept": "text/csv"})
    assert csv_.headers["content-type"].startswith("text/csv") and csv_.text.startswith("id\r\n")
    tsv = client.get("/sparql", params={"query": VENDORS}, headers={"accept": "text/tab-separated-values"})
    assert tsv.text.startswith("?id\n\"vendor.")
    xml = client.get("/sparql", params={"query": VENDORS}, headers={"accept": "application/sparql-results+xml"})
    assert xml.headers["content-type"].startswith("application/sparql-results+xml")
    assert '<variable name="id"/>' in xml.text and "<literal>vendor." in xml.text
    ask = client.get("/sparql", params={"query": "ASK { ?s a kg:Vendor }"})
    assert ask.json() == {"head": {}, "boolean": True}
    ask_xml = client.get("/sparql", params={"query": "ASK { ?s a kg:Nothing }"}, headers={"accept": "application/xml"})
    assert "<boolean>false</boolean>" in ask_xml.text
    construct = client.get("/sparql", params={"query": f"CONSTRUCT {{ ?n dcterms:title ?t }} WHERE {{ <{BASE}{SEED}> "
                                                        "dcterms:title ?t BIND(<" + BASE + SEED + "> AS ?n) }"})
    assert construct.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=construct.text, format="turtle")
    assert (URIRef(BASE + SEED), DCTERMS.title, Literal("Engineering-Led CDP Operations")) in graph
    assert client.get("/sparql", params={"query": VENDORS}, headers={"accept": "image/png"}).status_code == 406


@pytest.mark.parametrize("text, message", [
    ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "FROM and FROM NAMED are not allowed"),
    ("SELECT * FROM NAMED <http://example.com/g> WHERE { GRAPH ?g { ?s ?p ?o } }", "FROM and FROM NAMED"),
    ("SELECT * WHERE { SERVICE <http://example.com/sparql> { ?s ?p ?o } }", "SERVICE is not allowed"),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "updates"),
    ("LOAD <file:///etc/passwd>", "updates"),
    ("DROP ALL", "updates"),
    ("SELECT * WHERE { ?s ?p }", "syntax error"),
])
def test_sparql_sandbox_refusals(client, text, message):
    r = client.get("/sparql", params={"query": text})
    assert r.status_code == 400 and message in r.text


def test_sparql_update_channels_refused(client):
    assert client.post("/sparql", content="INSERT DATA { <urn:a> <urn:b> <urn:c> }",
                       headers={"content-type": "application/sparql-update"}).status_code == 400
    assert client.post("/sparql", data={"update": "DROP ALL"}).status_code == 400
    assert client.get("/sparql", params={"update": "DROP ALL"}).status_code == 400
    r = client.get("/sparql", params={"query": VENDORS, "default-graph-uri": "file:///etc/passwd"})
    assert r.status_code == 400 and "default-graph-uri" in r.text
    # Nothing changed.
    assert client.get("/sparql", params={"query": "ASK { <urn:a> <urn:b> <urn:c> }"}).json()["boolean"] is False


def test_sparql_row_cap(client):
    ok = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 50"})
    assert ok.status_code == 200 and len(ok.json()["results"]["bindings"]) == 50
    over = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 51"})
    assert over.status_code == 400 and "row cap" in over.text
    graph = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    assert graph.status_code == 400 and "row cap" in graph.text


RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def test_runaway_query_is_stopped_while_others_are_answered(root):
    app = create_app(root, query_timeout=1.5, workers=2)
    with TestClient(app) as c:
        pool = app.state.pool
        outcome = {}

        def runaway():
            started = time.monotonic()
            outcome["response"] = c.get("/sparql", params={"query": RUNAWAY})
            outcome["seconds"] = time.monotonic() - started

        thread = threading.Thread(target=runaway)
        thread.start()
        time.sleep(0.3)
        quick = c.get("/sparql", params={"query": VENDORS})  # answered by the other worker meanwhile
        assert quick.status_code == 200 and "runaway" not in outcome
        thread.join(30)
        assert outcome["response"].status_code == 503 and "limit" in outcome["response"].text
        assert outcome["seconds"] < 5
        assert pool.killed == 1
        # The killed worker is replaced: queries keep working.
        for _ in range(3):
            assert c.get("/sparql", params={"query": VENDORS}).status_code == 200


# -- the static site ---------------------------------------------------------------------------------

def _cli() -> click.Group:
    group = KgtoolGroup(name="kgtool")

    @group.result_callback()
    def _noop(*_a, **_k):
        return None

    for command in COMMANDS:
        group.add_command(command)
    return group


def test_site_writes_pages_svgs_and_index(root, tmp_path):
    out = tmp_path / "public"
    runner = CliRunner()
    result = runner.invoke(_cli(), ["site", "-o", str(out)], obj={"project": str(root)}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "wrote 52 node pages" in result.output
    page = (out / f"{SEED}.html").read_text(encoding="utf-8")
    assert "<h1>Engineering-Led CDP Operations</h1>" in page and '<a href="vendor.hightouch.html">' in page
    assert "<svg" in page and (out / f"{SEED}.svg").read_text(encoding="utf-8").startswith("<svg")
    assert 'href="/' not in page.replace('href="https://', "")  # relative links only
    assert f'<a href="{SEED}.html">' in (out / "index.html").read_text(encoding="utf-8")
    assert len(list(out.glob("*.html"))) == 53
    # A second run replaces the folder as a whole and leaves no temporary folder behind.
    (out / "stale-file.html").write_text("old", encoding="utf-8")
    assert runner.invoke(_cli(), ["site", "-o", str(out)], obj={"project": str(root)}).exit_code == 0
    assert not (out / "stale-file.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]


def test_help_texts():
    runner = CliRunner()
    for name in ("serve", "site"):
        result = runner.invoke(_cli(), [name, "--help"])
        assert result.exit_code == 0 and "Exit codes" in result.output
    assert "127.0.0.1" in runner.invoke(_cli(), ["serve", "--help"]).output


def test_serve_refuses_a_taken_port(root):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(_cli(), ["serve", "--port", str(port)], obj={"project": str(root)})
    assert result.exit_code == 3 and f"cannot listen on 127.0.0.1:{port}" in result.output
