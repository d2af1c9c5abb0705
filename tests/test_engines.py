"""Issue 7 (equality first): the pyoxigraph engine gives the same rows as rdflib, the reference."""

from __future__ import annotations

import shlex
from pathlib import Path
from datetime import date
from decimal import Decimal

import pytest
from rdflib import Literal
from rdflib.compare import isomorphic

import kgtool
from kgtool.query import execute, named_queries, query_graph
from kgtool.sparql import AskResult, GraphResult

PROFILES = [
    ["engineering-led-cdp"], ["engineering-led-cdp", "de-staffing.thin"],
    ["engineering-led-cdp", "dw.snowflake", "de-staffing.thin"], ["marketing-led-cdp", "dw.none"],
    ["marketing-led-cdp", "dw.bigquery"], ["regulatory.hipaa"], ["regulatory.hipaa", "budget.enterprise"],
    ["realtime.in-session"], ["budget.smb"], ["stack.salesforce-centric"], ["industry.b2c-retail"],
]


def example_params(query) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    if not query.examples:
        return params
    words = shlex.split(query.examples[0])
    for i, word in enumerate(words):
        if word in ("-p", "--param"):
            params.setdefault(words[i + 1], []).append(words[i + 2])
    return params


def value(term):
    if isinstance(term, Literal):
        python = term.toPython()
        if isinstance(python, (Decimal, float, int)) and not isinstance(python, bool):
            return ("number", Decimal(str(python)).normalize())
        return ("literal", str(term), term.language)
    return ("term", str(term)) if term is not None else None


def rows_by_value(result):
    return [tuple(value(row.get(v)) for v in result.variables) for row in result.rows]


@pytest.fixture(scope="module")
def engines(kg):
    return {"rdflib": query_graph(kg, engine="rdflib"), "oxigraph": query_graph(kg, engine="oxigraph")}


@pytest.mark.parametrize("name", sorted(named_queries(kgtool.load()).keys()))
def test_every_named_query_gives_the_same_answer_on_both_engines(kg, engines, name):
    query = named_queries(kg)[name]
    params = example_params(query)
    today = date(2026, 11, 26)
    reference = execute(engines["rdflib"], query, params, today=today)
    fast = execute(engines["oxigraph"], query, params, today=today)
    if isinstance(reference, AskResult):
        assert fast == reference
    elif isinstance(reference, GraphResult):
        assert isomorphic(reference.graph, fast.graph)
    else:
        assert fast.variables == reference.variables
        assert rows_by_value(fast) == rows_by_value(reference), f"{name}: rows differ between engines"


@pytest.mark.parametrize("dims", PROFILES, ids=["+".join(p) for p in PROFILES])
def test_recommendations_are_the_same_on_both_engines(kg, dims):
    reference = kgtool.recommend(kg, dims=dims, as_of=date(2026, 11, 26), engine="rdflib")
    fast = kgtool.recommend(kg, dims=dims, as_of=date(2026, 11, 26), engine="oxigraph")
    assert fast.to_json() == reference.to_json()


def test_oxigraph_engine_keeps_the_sandbox(engines):
    from kgtool.query import adhoc_query

    with pytest.raises(kgtool.QueryError, match="SERVICE"):
        execute(engines["oxigraph"], adhoc_query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"))


def _by_value(text: str | None):
    """Findings carry values as text: compare numbers by value (pyoxigraph writes 0.50 as 0.5)."""
    if text is None:
        return None
    try:
        return ("number", Decimal(text).normalize())
    except ArithmeticError:
        return ("text", text)


def _findings(report):
    return sorted((f.rule, f.severity, f.focus, f.path or "", _by_value(f.value), f.kind) for f in report.findings)


RULE_FIXTURES = sorted((Path(__file__).parent / "fixtures" / "rules").glob("*.ttl"))


@pytest.mark.parametrize("fixture", RULE_FIXTURES, ids=[p.name for p in RULE_FIXTURES])
def test_validation_findings_are_the_same_on_both_engines(make_project, fixture):
    project = make_project({"x.ttl": fixture})
    kg = kgtool.load(project)
    reference = kgtool.validate(kg, as_of=date(2026, 11, 26), engine="rdflib")
    fast = kgtool.validate(kg, as_of=date(2026, 11, 26), engine="oxigraph")
    assert _findings(fast) == _findings(reference)


def test_validation_of_the_shipped_and_the_verbatim_seed_graphs_on_both_engines(kg, make_project, root):
    import shutil

    assert _findings(kgtool.validate(kg, as_of=date(2026, 11, 26), engine="oxigraph")) == \
        _findings(kgtool.validate(kg, as_of=date(2026, 11, 26), engine="rdflib"))
    project = make_project()
    shutil.rmtree(project / "data")
    shutil.copytree(root / "data", project / "data")
    seed = "data/org-dim/org-dim.operational-profile.engineering-led-cdp.ttl"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "seed-verbatim.ttl", project / seed)
    verbatim = kgtool.load(project)
    fast = kgtool.validate(verbatim, as_of=date(2026, 11, 26), engine="oxigraph")
    assert _findings(fast) == _findings(kgtool.validate(verbatim, as_of=date(2026, 11, 26), engine="rdflib"))
    assert ("node-source", "violation") in {(f.rule, f.severity) for f in fast.findings}
