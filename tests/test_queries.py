"""Tests of the named queries (``queries/*.rq``) and of ``kgtool query`` / ``kgtool queries``.

1. Golden tests: every named query's ``example`` call on the shipped graph, compared with
   ``tests/golden/<name>.json``. Regenerate with ``KGTOOL_UPDATE_GOLDEN=1 pytest tests/test_queries.py``
   and review the diff: the sanity checks below re-check by hand the facts the goldens must show.
2. Fixture tests: every query on ``tests/fixtures/mini`` (a tiny made-up, schema-valid data set), with
   hand-written expectations.
3. Usage errors through the CLI (exit 2 with a helpful message) and the forms a node parameter accepts.
4. Output formats of ``kgtool query`` and the ``kgtool queries`` listing.

Known bugs are marked ``xfail(strict=True)`` with the reason; fixing one makes its test pass and
pytest then reports XPASS as a failure, so remove the marker with the fix.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import os
import re
import shlex
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

import kgtool
from kgtool.query import QueryGraph, execute, get_query, query_graph
from kgtool.sparql import AskResult, GraphResult, QueryResult, SelectResult

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GOLDEN = HERE / "golden"
MINI = HERE / "fixtures" / "mini"
TODAY = date(2026, 11, 26)  # "today" for every golden: a query whose date defaults to today stays stable
UPDATE = os.environ.get("KGTOOL_UPDATE_GOLDEN") == "1"

CDP = "https://cdp.composablestack.ai/kg/"
KG = CDP + "ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"  # a string: pytest trips over rdflib's XSD namespace object
REL = CDP + "relation/"
ENG = "org-dim.operational-profile.engineering-led-cdp"

QUERY_NAMES = [q.name for q in kgtool.list_queries(ROOT)]

# queries/README.md: example calls take 10-285 ms on rdflib. A generous budget that still catches a query
# written against the README's rules for rdflib (a blind join can cost 100x).
EXAMPLE_BUDGET_S = 5.0
SLOW: dict[str, str] = {}  # queries known to break the time budget, with the reason


# ---------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------

def lexical(term) -> str | None:
    return None if term is None else str(term)


def rows(result: QueryResult, *columns: str) -> list[tuple]:
    """The rows of a SELECT result as tuples of lexical strings (None when unbound), in order."""
    assert isinstance(result, SelectResult), result
    columns = columns or tuple(result.variables)
    for column in columns:
        assert column in result.variables, f"no column {column!r} in {result.variables}"
    return [tuple(lexical(row.get(c)) for c in columns) for row in result.rows]


def as_params(params: dict) -> dict[str, list[str]]:
    return {k: [v] if isinstance(v, str) else list(v) for k, v in params.items()}


def parse_example(example: str) -> tuple[str, dict[str, list[str]]]:
    """``kgtool query NAME -p a b -p c d`` -> (NAME, {a: [b], c: [d]})."""
    tokens = shlex.split(example)
    if len(tokens) < 3 or tokens[:2] != ["kgtool", "query"]:
        raise ValueError(f"example is not `kgtool query NAME ...`: {example!r}")
    name, rest = tokens[2], tokens[3:]
    params: dict[str, list[str]] = {}
    while rest:
        if rest[0] not in ("-p", "--param") or len(rest) < 3:
            raise ValueError(f"cannot read the parameters of the example {example!r} at {rest!r}")
        params.setdefault(rest[1], []).append(rest[2])
        rest = rest[3:]
    return name, params


def has_final_order_by(text: str) -> bool:
    """Whether the query ends with an ORDER BY (after the WHERE clause's closing brace)."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return bool(re.search(r"\bORDER\s+BY\b", body[body.rfind("}") + 1:], re.I))


def snapshot(name: str, example: str, params: dict[str, list[str]], result: QueryResult, *,
             form: str, ordered: bool) -> dict:
    payload: dict = {"query": name, "example": example, "params": params, "today": TODAY.isoformat(),
                     "form": form}
    if isinstance(result, SelectResult):
        payload["ordered"] = ordered
        payload["variables"] = list(result.variables)
        payload["rows"] = [{v: lexical(row.get(v)) for v in result.variables} for row in result.rows]
    elif isinstance(result, AskResult):
        payload["boolean"] = result.value
    else:
        assert isinstance(result, GraphResult)
        payload["triples"] = sorted(line for line in result.graph.serialize(format="nt").splitlines() if line.strip())
    return payload


def dump(payload: dict) -> str:
    """JSON with one row (or triple) per line, so that a golden's git diff and a failure's diff read well."""
    lines = ["{"]
    items = list(payload.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if key in ("rows", "triples") and value:
            lines.append(f"  {json.dumps(key)}: [")
            lines += ["    " + json.dumps(item, ensure_ascii=False) + ("," if j < len(value) - 1 else "")
                      for j, item in enumerate(value)]
            lines.append("  ]" + comma)
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    return "\n".join(lines + ["}"]) + "\n"


def describe_differences(expected: dict, actual: dict, *, limit: int = 40) -> list[str]:
    """A field-level summary of how two golden payloads differ (shown above the line diff)."""
    out: list[str] = []
    for key in ("form", "variables", "boolean", "params"):
        if expected.get(key) != actual.get(key):
            out.append(f"{key}: {expected.get(key)!r} -> {actual.get(key)!r}")
    if "triples" in expected or "triples" in actual:
        old, new = set(expected.get("triples", [])), set(actual.get("triples", []))
        out += [f"missing triple:    {t}" for t in sorted(old - new)]
        out += [f"unexpected triple: {t}" for t in sorted(new - old)]
        return out[:limit]
    old_rows = [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in expected.get("rows", [])]
    new_rows = [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in actual.get("rows", [])]
    missing = [r for r in old_rows if r not in new_rows]
    unexpected = [r for r in new_rows if r not in old_rows]
    if len(missing) == len(unexpected):  # changed rows: pair them and name the changed fields
        for before, after in zip(missing, unexpected):
            b, a = json.loads(before), json.loads(after)
            label = next(iter(b.values()), "") if b else ""
            keys = ("dimId", "id", "subjectId", "source", "target", "issue")
            label = " / ".join(str(b[k]) for k in keys if b.get(k)) or label
            for field in sorted(set(b) | set(a)):
                if b.get(field) != a.get(field):
                    row = old_rows.index(before) + 1
                    out.append(f"row {row} ({label}): {field}: {b.get(field)!r} -> {a.get(field)!r}")
    else:
        out += [f"missing row:    {r}" for r in missing] + [f"unexpected row: {r}" for r in unexpected]
    if not missing and not unexpected and old_rows != new_rows:
        out.append("same rows, different order")
    return out[:limit] + ([f"... {len(out) - limit} more"] if len(out) > limit else [])


def comparable(payload: dict) -> dict:
    """Rows of a query without a final ORDER BY compare as a multiset."""
    if payload.get("rows") and not payload.get("ordered", True):
        payload = dict(payload, rows=sorted(payload["rows"], key=lambda r: json.dumps(r, sort_keys=True)))
    return payload


# ---------------------------------------------------------------------------------------------------
# 1. Golden tests on the shipped graph
# ---------------------------------------------------------------------------------------------------

def test_every_query_has_a_golden_and_every_golden_a_query():
    goldens = {p.stem for p in GOLDEN.glob("*.json")}
    orphans = sorted(goldens - set(QUERY_NAMES))
    if UPDATE:
        for name in orphans:
            (GOLDEN / f"{name}.json").unlink()
        return
    assert not orphans, f"goldens without a query (delete them, or regenerate with KGTOOL_UPDATE_GOLDEN=1): {orphans}"
    missing = sorted(set(QUERY_NAMES) - goldens)
    assert not missing, f"queries without a golden (run KGTOOL_UPDATE_GOLDEN=1 pytest {__file__}): {missing}"


_SHIPPED: dict[tuple, tuple[QueryResult, float]] = {}


def shipped(kg, qgraph, name: str, params: dict[str, list[str]]) -> tuple[QueryResult, float]:
    """Run a query on the shipped graph once per session: (result, seconds). Golden, speed and sanity
    tests share the runs."""
    key = (name, tuple(sorted((k, tuple(v)) for k, v in params.items())))
    if key not in _SHIPPED:
        start = time.perf_counter()
        result = execute(qgraph, get_query(kg, name), params, today=TODAY)
        _SHIPPED[key] = (result, time.perf_counter() - start)
    return _SHIPPED[key]


def example_of(kg, name: str) -> tuple[str, dict[str, list[str]]]:
    query = get_query(kg, name)
    assert query.examples, f"queries/{name}.rq has no `# example:` line"
    example_name, params = parse_example(query.examples[0])
    assert example_name == name, f"the example of {name} runs another query: {query.examples[0]!r}"
    return query.examples[0], params


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_golden(name, kg, qgraph):
    query = get_query(kg, name)
    example, params = example_of(kg, name)
    result, _ = shipped(kg, qgraph, name, params)
    actual = snapshot(name, example, params, result, form=query.form, ordered=has_final_order_by(query.text))
    path = GOLDEN / f"{name}.json"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(dump(actual), encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"no golden {path.relative_to(ROOT)}: run KGTOOL_UPDATE_GOLDEN=1 pytest {__file__} and review it")
    expected = json.loads(path.read_text(encoding="utf-8"))
    if comparable(expected) != comparable(actual):
        diff = list(difflib.unified_diff(dump(comparable(expected)).splitlines(), dump(comparable(actual)).splitlines(),
                                         fromfile=f"tests/golden/{name}.json", tofile=f"actual ({example})",
                                         lineterm="", n=1))
        shown = "\n".join(diff[:120]) + (f"\n... {len(diff) - 120} more diff lines" if len(diff) > 120 else "")
        counts = (f"{len(expected.get('rows', expected.get('triples', [])))} expected, "
                  f"{len(actual.get('rows', actual.get('triples', [])))} actual")
        summary = "\n".join("  " + line for line in describe_differences(comparable(expected), comparable(actual)))
        pytest.fail(f"{name}: result differs from its golden ({counts}); if the change is intended, regenerate with "
                    f"KGTOOL_UPDATE_GOLDEN=1 and review the diff\n{summary}\n{shown}", pytrace=False)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=SLOW[n])) if n in SLOW
                                  else n for n in QUERY_NAMES])
def test_example_runs_within_budget(name, request):
    kg, qgraph = request.getfixturevalue("kg"), request.getfixturevalue("qgraph")
    _, params = example_of(kg, name)
    _, seconds = shipped(kg, qgraph, name, params)
    assert seconds < EXAMPLE_BUDGET_S, f"{name}: the example call took {seconds:.1f} s (budget {EXAMPLE_BUDGET_S} s)"


def test_readme_catalogue_matches_the_goldens():
    """queries/README.md lists every query with the row count of its example; the goldens must agree."""
    counts = {}
    for line in (ROOT / "queries" / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"`[a-z0-9-]+`", cells[0]):
            counts[cells[0].strip("`")] = cells[4]
    assert sorted(counts) == sorted(QUERY_NAMES)
    for name, cell in counts.items():
        path = GOLDEN / f"{name}.json"
        if not path.exists():
            continue  # reported by test_every_query_has_a_golden_and_every_golden_a_query
        golden = json.loads(path.read_text(encoding="utf-8"))
        if "boolean" in golden:
            assert cell == str(golden["boolean"]).lower(), name
        else:
            assert int(cell.split()[0]) == len(golden.get("rows", golden.get("triples", []))), (name, cell)


def test_every_select_has_a_final_order_by(kg):
    """The README promises a full ORDER BY on every SELECT (so goldens compare in order)."""
    unordered = [q.name for q in kgtool.list_queries(kg) if q.form == "SELECT" and not has_final_order_by(q.text)]
    assert unordered == []


def test_parse_example():
    assert parse_example("kgtool query x -p dim a -p dim 'b c' --param n 1") == ("x", {"dim": ["a", "b c"], "n": ["1"]})
    with pytest.raises(ValueError):
        parse_example("kgtool query x -p dim")


# ---------------------------------------------------------------------------------------------------
# Sanity checks of the shipped graph (checked by hand against data/ before the goldens were frozen;
# they run live, so a regenerated golden cannot silently accept a regression of these facts)
# ---------------------------------------------------------------------------------------------------

def run_shipped(kg, qgraph, name: str, **params) -> QueryResult:
    return shipped(kg, qgraph, name, as_params(params))[0]


def test_shipped_profile_enables(kg, qgraph):
    result = run_shipped(kg, qgraph, "profile-enables", dim="engineering-led-cdp")
    status = {vid: st for _, vid, st in rows(result, "dimId", "id", "status")}
    assert {r[0] for r in rows(result, "dimId")} == {ENG}
    assert status == {"vendor.hightouch": "existing", "vendor.twilio-segment": "existing",
                      "vendor.fivetran-activations": "proposed", "vendor.mparticle": "proposed",
                      "vendor.adobe-rtcdp": "proposed", "vendor.rudderstack": "proposed", "vendor.snowplow": "proposed"}
    by_id = {r[0]: r[1:] for r in rows(result, "id", "sources", "strength", "unless")}
    assert by_id["vendor.hightouch"] == ("S01 S02 S13", None, None)
    assert by_id["vendor.adobe-rtcdp"][0] == "S51 S57 S124"  # sorted by number, not as text


def test_shipped_profile_counter_indicates(kg, qgraph):
    result = run_shipped(kg, qgraph, "profile-counter-indicates", dim=["engineering-led-cdp", "de-staffing.thin"])
    got = rows(result, "dimId", "id", "strength", "status")
    assert [r for r in got if r[0] == ENG] == [
        (ENG, "vendor.braze-decisioning-studio", "soft", "contested"),
        (ENG, "vendor.growthloop", "soft", "proposed"),
    ]
    thin = [r for r in got if r[0] == "org-dim.de-staffing.thin"]
    assert thin[0] == ("org-dim.de-staffing.thin", "vendor.snowplow", "hard", "proposed")  # hard before soft
    assert [r[2] for r in thin[1:]] == ["soft"] * 6
    titles = {t for (t,) in rows(result, "title")}
    assert {"GrowthLoop", "BrazeAI Decisioning Studio (formerly OfferFit)"} <= titles


def test_shipped_backlinks(kg, qgraph):
    seed = rows(run_shipped(kg, qgraph, "backlinks", node="engineering-led-cdp"), "id", "relType", "direction")
    assert ("org-dim.operational-profile.marketing-led-cdp", "contrasts-with", "incoming") in seed
    assert ("org-dim.operational-profile.hybrid-cdp", "alternative-to", "symmetric") in seed
    agent = rows(run_shipped(kg, qgraph, "backlinks", node="pattern.agentification"),
                 "id", "relType", "direction", "strength")
    assert len(agent) == 8
    assert ("pattern.platformization", "contrasts-with", "symmetric", None) in agent
    assert ("org-dim.de-staffing.thin", "counter-indicates", "incoming", "hard") in agent


def test_shipped_resolve_alias(kg, qgraph):
    got = rows(run_shipped(kg, qgraph, "resolve-alias", alias="vendor.census"), "id", "matchedBy", "matchedId", "resolvedBy")
    assert got == [("vendor.fivetran-activations", "alias", "vendor.fivetran-activations", "direct"),
                   ("vendor.fivetran-activations", "identifier", "vendor.census", "superseded-by")]


def test_shipped_stale_nodes(kg, qgraph):
    on_day = rows(run_shipped(kg, qgraph, "stale-nodes", asOf="2026-11-26"), "id", "reviewDate", "daysSinceReview")
    assert on_day == [("org-dim.operational-profile", "2026-05-13", "197")]
    later = rows(run_shipped(kg, qgraph, "stale-nodes", asOf="2026-12-01"), "id", "daysSinceReview")
    assert (ENG, "181") in later and len(later) == 3  # reviewed 2026-06-03: day 181 is stale
    assert "pattern.agentification" not in {r[0] for r in later}  # README: its review date says 2026-11-26


def test_shipped_signals_for_target_and_ask(kg, qgraph):
    got = rows(run_shipped(kg, qgraph, "signals-for-target", target="growthloop"),
               "direction", "otherId", "relType", "strength")
    assert ("outgoing", "org-dim.dw", "requires", "hard") in got
    assert ("incoming", "org-dim.dw.none", "counter-indicates", "hard") in got
    assert ("incoming", ENG, "counter-indicates", "soft") in got
    assert run_shipped(kg, qgraph, "is-enabled", dim="engineering-led-cdp", target="hightouch") == AskResult(True)
    assert run_shipped(kg, qgraph, "is-enabled", dim="engineering-led-cdp", target="growthloop") == AskResult(False)


def test_shipped_profile_matrix_none_never_meets_a_requirement(kg, qgraph):
    snowflake = rows(run_shipped(kg, qgraph, "profile-matrix", dim="dw.snowflake"), "id", "signal")
    assert ("vendor.growthloop", "vendor-requires") in snowflake
    none = rows(run_shipped(kg, qgraph, "profile-matrix", dim="dw.none"), "id", "signal")
    assert none and all(signal != "vendor-requires" for _, signal in none)


def test_shipped_counts_match_the_data_files(kg, qgraph):
    kinds = [k for (k,) in rows(run_shipped(kg, qgraph, "node-list"), "nodeKind")]
    for kind, folder in (("dimension", "org-dim"), ("vendor", "vendor"), ("pattern", "pattern"), ("source", "source-node")):
        assert kinds.count(kind) == len(list((ROOT / "data" / folder).glob("*.ttl"))), kind
    sources = (ROOT / "data" / "sources.ttl").read_text(encoding="utf-8").count("a kg:Source ;")
    assert len(rows(run_shipped(kg, qgraph, "source-list"))) == sources
    eng = kg.data.value(URIRef(CDP + ENG), DCTERMS.identifier)
    assert str(eng) == ENG
    cited = set(kg.data.objects(URIRef(CDP + ENG), DCTERMS.source))
    of_node = rows(run_shipped(kg, qgraph, "sources-of-node", node="engineering-led-cdp"), "id", "nodeSource")
    assert len(of_node) == len(cited) and {n for _, n in of_node} == {"1"}


def test_shipped_quality_and_taxonomy(kg, qgraph):
    assert rows(run_shipped(kg, qgraph, "unsourced-or-low-confidence"), "issue", "id", "confidence") == [
        ("low-confidence", "pattern.platformization", "0.50")]
    for parent, child in rows(run_shipped(kg, qgraph, "dimension-taxonomy"), "parent", "child"):
        assert child.startswith(parent + ".")


def test_shipped_node_card(kg, qgraph):
    result = run_shipped(kg, qgraph, "node-card", node="vendor.census")
    assert isinstance(result, GraphResult) and len(result.graph) == 65
    census, fivetran = URIRef(CDP + "vendor.census"), URIRef(CDP + "vendor.fivetran-activations")
    assert (census, URIRef(KG + "supersededBy"), fivetran) in result.graph
    assert (fivetran, DCTERMS.title, Literal("Fivetran Activations (formerly Census)")) in result.graph


# ---------------------------------------------------------------------------------------------------
# 2. The mini fixture (tests/fixtures/mini): hand-written expectations
# ---------------------------------------------------------------------------------------------------
#
# Nodes: org-dim.crew (parent) with children org-dim.crew.small (seed, stale: reviewed 2025-01-10) and
# org-dim.crew.none; vendor.acme, vendor.oldco (superseded-by acme, kept as acme's kg:alias, altLabel
# "Old Company"), vendor.bolt (confidence 0.55); pattern.widget and pattern.gizmo (part-of widget).
# Sources S1, S2, S10. Relations:
#   crew.small  enables            vendor.acme     existing            evidence S10 S2
#   crew.small  enables            pattern.widget  proposed            needs crew; evidence S1
#   crew.small  counter-indicates  vendor.bolt     soft, proposed      relation confidence 0.40; S1
#   crew.none   counter-indicates  vendor.acme     hard, proposed      unless crew.small crew; needs crew; S1
#   crew.none   counter-indicates  pattern.widget  hard, contested     two editorial notes; S10 S1
#   crew.small / crew.none child-of crew           existing / proposed (the second kg:unsourced true)
#   vendor.acme implements widget; vendor.bolt implements gizmo; gizmo part-of widget
#   vendor.bolt requires crew (hard); pattern.widget requires gizmo
#   vendor.oldco superseded-by vendor.acme; vendor.bolt alternative-to vendor.acme (two-line rationale)

MINI_FILES = {p.name: p for p in sorted(MINI.glob("*.ttl"))}
BOLT_ACME = "Both serve the same buyer.\nThey differ in who runs them."

# Undated node and an enables edge without rationale: not schema-valid, on purpose.
INCOMPLETE_TTL = """\
@prefix kg: <https://cdp.composablestack.ai/kg/ontology#> .
@prefix cdp: <https://cdp.composablestack.ai/kg/> .
@prefix rel: <https://cdp.composablestack.ai/kg/relation/> .
@prefix dcterms: <http://purl.org/dc/terms/> .

cdp:pattern.undated a kg:Pattern ; dcterms:identifier "pattern.undated" ; dcterms:title "Undated Pattern" .

cdp:org-dim.crew.none kg:enables cdp:vendor.bolt .
rel:org-dim.crew.none--enables--vendor.bolt
    a kg:Relation ;
    kg:subject cdp:org-dim.crew.none ;
    kg:relationType kg:enables ;
    kg:object cdp:vendor.bolt ;
    kg:status kg:Proposed .
"""
# A second publisher for S2: schema-valid (the shape asks for at least one).
TWO_PUBLISHERS_TTL = """\
@prefix doc: <https://cdp.composablestack.ai/kg/doc/> .
@prefix dcterms: <http://purl.org/dc/terms/> .

doc:S2 dcterms:publisher "Second Publisher" .
"""


@dataclass(repr=False)
class Mini:
    path: Path
    kg: kgtool.KnowledgeGraph
    qg: QueryGraph

    def __repr__(self) -> str:  # rdflib's Dataset repr warns (shown in the xfail tracebacks)
        return f"Mini({self.path})"

    def run(self, name: str, **params) -> QueryResult:
        return execute(self.qg, get_query(self.kg, name), as_params(params), today=TODAY)


_PROJECTS: dict[str, Mini] = {}


def _project(make_project, key: str, extra: dict[str, str] | None = None) -> Mini:
    """A project built with make_project once per session (loading and inference cost ~0.5 s)."""
    if key not in _PROJECTS:
        path = make_project({**MINI_FILES, **(extra or {})})
        kg = kgtool.load(path)
        _PROJECTS[key] = Mini(path=path, kg=kg, qg=query_graph(kg, engine="rdflib"))
    return _PROJECTS[key]


@pytest.fixture
def mini(make_project) -> Mini:
    return _project(make_project, "mini")


@pytest.fixture
def incomplete(make_project) -> Mini:
    return _project(make_project, "incomplete", {"extra.ttl": INCOMPLETE_TTL})


@pytest.fixture
def two_publishers(make_project) -> Mini:
    return _project(make_project, "two-publishers", {"publisher.ttl": TWO_PUBLISHERS_TTL})


def test_every_query_has_a_mini_fixture_test():
    """A new query needs hand-written expectations on the mini fixture too (found in this file's calls)."""
    source = Path(__file__).read_text(encoding="utf-8")
    covered = set(re.findall(r'\.run\("([a-z0-9-]+)"', source)) | set(re.findall(r'name="([a-z0-9-]+)"', source))
    assert sorted(set(QUERY_NAMES) - covered) == []


def test_mini_fixture_is_schema_valid(mini):
    report = kgtool.validate(mini.kg, as_of=TODAY)
    assert report.passes("violation")
    assert sorted((f.rule, f.severity) for f in report.findings) == [
        ("low-confidence", "info"), ("low-confidence", "info"), ("stale", "warning")]


def test_mini_profile_enables(mini):
    result = mini.run("profile-enables", dim=["small", "none"])
    assert rows(result, "dimId", "id", "title", "status", "strength", "unless", "needs", "sources",
                "relationConfidence", "confidence", "relation") == [
        ("org-dim.crew.small", "vendor.acme", "Acme Suite", "existing", None, None, None, "S2 S10", None, "0.80",
         REL + "org-dim.crew.small--enables--vendor.acme"),
    ]


def test_mini_profile_counter_indicates(mini):
    result = mini.run("profile-counter-indicates", dim=["small", "none"])
    assert rows(result, "dimId", "id", "strength", "status", "rationale", "unless", "needs", "sources",
                "relationConfidence", "confidence") == [
        ("org-dim.crew.none", "vendor.acme", "hard", "proposed", "Someone has to own the tool.",
         "org-dim.crew org-dim.crew.small", "org-dim.crew", "S1", None, "0.80"),
        ("org-dim.crew.small", "vendor.bolt", "soft", "proposed", "The toolkit needs more hands than a small crew has.",
         None, None, "S1", "0.40", "0.55"),
    ]


def test_mini_profile_patterns(mini):
    enables = mini.run("profile-patterns-enables", dim=["small", "none"])
    assert rows(enables, "dimId", "id", "title", "status", "strength", "unless", "needs", "sources", "confidence") == [
        ("org-dim.crew.small", "pattern.widget", "Widget Pattern", "proposed", None, None, "org-dim.crew", "S1", "0.90")]
    counter = mini.run("profile-patterns-counter-indicates", dim=["small", "none"])
    assert rows(counter, "dimId", "id", "strength", "status", "unless", "needs", "sources", "confidence") == [
        ("org-dim.crew.none", "pattern.widget", "hard", "contested", None, None, "S1 S10", "0.90")]


def test_mini_profile_dimensions(mini):
    result = mini.run("profile-dimensions", dim=["small", "org-dim.crew.none", CDP + "org-dim.crew"])
    assert rows(result) == [
        ("org-dim.crew", "Crew Size (parent)", "dimension", None, "0.80"),
        ("org-dim.crew.none", "Crew Size: Nobody Assigned", "dimension", "org-dim.crew", "0.75"),
        ("org-dim.crew.small", "Crew Size: Small", "dimension", "org-dim.crew", "0.70"),
    ]


def test_mini_profile_matrix(mini):
    result = mini.run("profile-matrix", dim=["small", "none"])
    assert rows(result, "id", "dimId", "signal", "status") == [
        ("vendor.acme", "org-dim.crew.none", "counter-indicates-hard", "proposed"),
        ("vendor.acme", "org-dim.crew.small", "enables", "existing"),
        ("vendor.bolt", "org-dim.crew.small", "counter-indicates-soft", "proposed"),
        # bolt requires org-dim.crew: met by the child crew.small, never by crew.none
        ("vendor.bolt", "org-dim.crew.small", "vendor-requires", "proposed"),
    ]
    assert rows(mini.run("profile-matrix", dim="crew"), "id", "dimId", "signal", "relation") == [
        ("vendor.bolt", "org-dim.crew", "vendor-requires", REL + "vendor.bolt--requires--org-dim.crew")]


def test_mini_profile_signals(mini):
    result = mini.run("profile-signals", dim=["small", "none"])
    assert rows(result, "hop", "source", "sourceKind", "relType", "target", "targetKind", "strength", "status",
                "unless", "needs", "evidence", "targetConfidence", "confidence") == [
        ("1", "org-dim.crew.none", "dimension", "counter-indicates", "pattern.widget", "pattern", "hard", "contested",
         None, None, "S1 S10", "0.90", None),
        ("1", "org-dim.crew.none", "dimension", "counter-indicates", "vendor.acme", "vendor", "hard", "proposed",
         "org-dim.crew org-dim.crew.small", "org-dim.crew", "S1", "0.80", None),
        ("1", "org-dim.crew.small", "dimension", "counter-indicates", "vendor.bolt", "vendor", "soft", "proposed",
         None, None, "S1", "0.55", "0.40"),
        ("1", "org-dim.crew.small", "dimension", "enables", "pattern.widget", "pattern", None, "proposed",
         None, "org-dim.crew", "S1", "0.90", None),
        ("1", "org-dim.crew.small", "dimension", "enables", "vendor.acme", "vendor", None, "existing",
         None, None, "S2 S10", "0.80", None),
        # hop 2: widget is reached from both dimensions, its requires edge is listed once
        ("2", "pattern.widget", "pattern", "requires", "pattern.gizmo", "pattern", None, "proposed",
         None, None, "S10", "0.70", None),
        ("2", "vendor.bolt", "vendor", "requires", "org-dim.crew", "dimension", "hard", "proposed",
         None, None, "S10", "0.80", None),
    ]


def test_mini_signals_for_target(mini):
    widget = mini.run("signals-for-target", target="widget")
    assert rows(widget, "direction", "otherId", "otherKind", "relType", "strength", "status", "needs", "evidence") == [
        ("incoming", "org-dim.crew.none", "dimension", "counter-indicates", "hard", "contested", None, "S1 S10"),
        ("incoming", "org-dim.crew.small", "dimension", "enables", None, "proposed", "org-dim.crew", "S1"),
        ("outgoing", "pattern.gizmo", "pattern", "requires", None, "proposed", None, "S10"),
    ]
    bolt = mini.run("signals-for-target", target="vendor.bolt")
    assert rows(bolt, "direction", "otherId", "otherTitle", "relType", "strength") == [
        ("incoming", "org-dim.crew.small", "Crew Size: Small", "counter-indicates", "soft"),
        ("outgoing", "org-dim.crew", "Crew Size (parent)", "requires", "hard"),
    ]


def test_mini_is_enabled(mini):
    # through the public API, which loads the graph itself
    assert kgtool.query(mini.kg, name="is-enabled", params={"dim": ["small"], "target": ["acme"]}) == AskResult(True)
    assert kgtool.query(mini.kg, name="is-enabled", params={"dim": ["small"], "target": ["widget"]}) == AskResult(True)
    assert kgtool.query(mini.kg, name="is-enabled", params={"dim": ["none"], "target": ["acme"]}) == AskResult(False)


def test_mini_backlinks(mini):
    assert rows(mini.run("backlinks", node="acme"), "id", "kind", "relType", "direction", "status", "strength") == [
        ("vendor.bolt", "vendor", "alternative-to", "incoming", "proposed", None),
        ("org-dim.crew.none", "dimension", "counter-indicates", "incoming", "proposed", "hard"),
        ("org-dim.crew.small", "dimension", "enables", "incoming", "existing", None),
        ("vendor.oldco", "vendor", "superseded-by", "incoming", "proposed", None),
    ]
    # bolt states the symmetric alternative-to itself: acme refers to it from the other side
    assert rows(mini.run("backlinks", node="bolt"), "id", "relType", "direction", "rationale", "relation") == [
        ("vendor.acme", "alternative-to", "symmetric", BOLT_ACME, REL + "vendor.bolt--alternative-to--vendor.acme"),
        ("org-dim.crew.small", "counter-indicates", "incoming", "The toolkit needs more hands than a small crew has.",
         REL + "org-dim.crew.small--counter-indicates--vendor.bolt"),
    ]
    assert rows(mini.run("backlinks", node="gizmo"), "id", "relType", "direction") == [
        ("vendor.bolt", "implements", "incoming"), ("pattern.widget", "requires", "incoming")]


def test_mini_alternatives(mini):
    assert rows(mini.run("alternatives", node="acme"), "id", "title", "kind", "confidence", "stated", "rationale",
                "status") == [("vendor.bolt", "Bolt Toolkit", "vendor", "0.55", "other-node", BOLT_ACME, "proposed")]
    assert rows(mini.run("alternatives", node="bolt"), "id", "kind", "confidence", "stated") == [
        ("vendor.acme", "vendor", "0.80", "this-node")]
    assert rows(mini.run("alternatives", node="widget")) == []


def test_mini_node_list(mini):
    assert rows(mini.run("node-list"), "id", "nodeKind", "status", "confidence", "version", "reviewDate", "sources") == [
        ("org-dim.crew", "dimension", "new", "0.80", "v1", "2026-11-01", "1"),
        ("org-dim.crew.none", "dimension", "new", "0.75", "v1", "2026-11-01", "1"),
        ("org-dim.crew.small", "dimension", "seed", "0.70", "v2", "2025-01-10", "2"),
        ("pattern.gizmo", "pattern", "new", "0.70", "v1", "2026-11-01", "1"),
        ("pattern.widget", "pattern", "new", "0.90", "v1", "2026-11-01", "1"),
        ("vendor.acme", "vendor", "new", "0.80", "v1", "2026-11-01", "3"),
        ("vendor.bolt", "vendor", "new", "0.55", "v1", "2026-11-01", "1"),
        ("vendor.oldco", "vendor", "alias", "0.85", "v1", "2026-11-01", "1"),
    ]
    assert rows(mini.run("node-list", kind="Vendor"), "id") == [("vendor.acme",), ("vendor.bolt",), ("vendor.oldco",)]


def test_mini_nodes_by_tag(mini):
    assert rows(mini.run("nodes-by-tag", tag="MINI-CDP"), "id", "kind", "confidence", "matched") == [
        ("pattern.widget", "pattern", "0.90", "mini-cdp"),
        ("vendor.acme", "vendor", "0.80", "mini-cdp"),
        ("vendor.oldco", "vendor", "0.85", "mini-cdp"),
    ]
    assert rows(mini.run("nodes-by-tag", tag="lean"), "id", "title") == [("org-dim.crew.small", "Crew Size: Small")]
    assert rows(mini.run("nodes-by-tag", tag="lea")) == []


def test_mini_node_card(mini):
    result = mini.run("node-card", node="acme")
    assert isinstance(result, GraphResult)
    g = result.graph
    acme = URIRef(CDP + "vendor.acme")

    def node(i):
        return URIRef(CDP + i)

    expected = [
        (acme, DCTERMS.title, Literal("Acme Suite")),
        (acme, URIRef(KG + "alias"), Literal("vendor.oldco")),
        # inferred: inverse links and the symmetric closure
        (acme, URIRef(KG + "enabledBy"), node("org-dim.crew.small")),
        (acme, URIRef(KG + "counterIndicatedBy"), node("org-dim.crew.none")),
        (acme, URIRef(KG + "supersedes"), node("vendor.oldco")),
        (acme, URIRef(KG + "alternativeTo"), node("vendor.bolt")),
        # body section, fact, outgoing qualified relation and cited documents
        (URIRef(CDP + "vendor.acme#section-1"), URIRef(KG + "text"),
         Literal("The suite collects events and builds audiences.")),
        (URIRef(CDP + "vendor.acme#fact-1"), DCTERMS.source, URIRef(CDP + "doc/S2")),
        (URIRef(REL + "vendor.acme--implements--pattern.widget"), URIRef(KG + "rationale"),
         Literal("The suite has a widget module.")),
        (URIRef(CDP + "doc/S10"), DCTERMS.title, Literal("Forum thread on crew sizes")),
        # id and title of every linked node
        (node("vendor.bolt"), DCTERMS.title, Literal("Bolt Toolkit")),
        (node("vendor.oldco"), DCTERMS.identifier, Literal("vendor.oldco")),
        (node("org-dim.crew.none"), DCTERMS.title, Literal("Crew Size: Nobody Assigned")),
        (node("pattern.widget"), DCTERMS.title, Literal("Widget Pattern")),
    ]
    missing = [t for t in expected if t not in g]
    assert missing == []
    assert not list(g.triples((acme, URIRef(KG + "relatedTo"), None)))
    assert not list(g.triples((acme, URIRef(KG + "referencedBy"), None)))
    # incoming relations belong to the other node's card; linked nodes bring only their id and title
    assert not list(g.triples((URIRef(REL + "org-dim.crew.small--enables--vendor.acme"), None, None)))
    assert set(g.predicates(node("vendor.bolt"), None)) == {DCTERMS.identifier, DCTERMS.title}


def test_mini_resolve_alias(mini):
    cols = ("id", "title", "matchedBy", "matchedId", "resolvedBy")
    assert rows(mini.run("resolve-alias", alias="vendor.oldco"), *cols) == [
        ("vendor.acme", "Acme Suite", "alias", "vendor.acme", "direct"),
        ("vendor.acme", "Acme Suite", "identifier", "vendor.oldco", "superseded-by"),
    ]
    assert rows(mini.run("resolve-alias", alias="OLD COMPANY"), *cols) == [
        ("vendor.acme", "Acme Suite", "alt-label", "vendor.oldco", "superseded-by")]
    assert rows(mini.run("resolve-alias", alias="acme suite"), *cols) == [
        ("vendor.acme", "Acme Suite", "title", "vendor.acme", "direct")]
    assert rows(mini.run("resolve-alias", alias="S1")) == []  # documents are not nodes
    assert rows(mini.run("resolve-alias", alias="acme")) == []  # exact match only


def test_mini_vendors_implementing_pattern(mini):
    assert rows(mini.run("vendors-implementing-pattern", pattern="widget"), "id", "implements", "status", "evidence",
                "confidence") == [
        ("vendor.acme", "pattern.widget", "proposed", "S1", "0.80"),
        ("vendor.bolt", "pattern.gizmo", "proposed", "S2", "0.55"),  # through gizmo part-of widget
    ]
    assert rows(mini.run("vendors-implementing-pattern", pattern="gizmo"), "id") == [("vendor.bolt",)]


def test_mini_relations_by_type(mini):
    cols = ("subjectId", "objectId", "strength", "relationStatus", "evidence")
    assert rows(mini.run("relations-by-type", type="requires"), *cols) == [
        ("pattern.widget", "pattern.gizmo", None, "proposed", "S10"),
        ("vendor.bolt", "org-dim.crew", "hard", "proposed", "S10"),
    ]
    assert rows(mini.run("relations-by-type", type="counter-indicates"), "subjectId", "objectId", "strength") == [
        ("org-dim.crew.none", "pattern.widget", "hard"),
        ("org-dim.crew.none", "vendor.acme", "hard"),
        ("org-dim.crew.small", "vendor.bolt", "soft"),
    ]
    assert rows(mini.run("relations-by-type", type="Counter-Indicates", status="CONTESTED"), "subjectId", "objectId") == [
        ("org-dim.crew.none", "pattern.widget")]
    assert rows(mini.run("relations-by-type", type="child-of", status="proposed"), *cols) == [
        ("org-dim.crew.none", "org-dim.crew", None, "proposed", None)]
    assert rows(mini.run("relations-by-type", type="superseded-by"), "subjectId", "subjectTitle", "objectId") == [
        ("vendor.oldco", "OldCo (legacy identifier)", "vendor.acme")]


def test_mini_contested_relations(mini):
    assert rows(mini.run("contested-relations")) == [(
        "org-dim.crew.none", "Crew Size: Nobody Assigned", "counter-indicates", "pattern.widget", "Widget Pattern",
        "hard", "Nobody would maintain the widget pattern.", "S1 S10",
        "A: the vendor says it runs itself. | B: the forum thread disagrees.",
        REL + "org-dim.crew.none--counter-indicates--pattern.widget")]


def test_mini_dimension_taxonomy(mini):
    assert rows(mini.run("dimension-taxonomy")) == [
        ("org-dim.crew", "Crew Size (parent)", "org-dim.crew.none", "Crew Size: Nobody Assigned", "proposed"),
        ("org-dim.crew", "Crew Size (parent)", "org-dim.crew.small", "Crew Size: Small", "existing"),
    ]


def test_mini_sources(mini):
    cols = ("id", "nodeSource", "facts", "relations")
    assert rows(mini.run("sources-of-node", node="acme"), *cols) == [
        ("S1", "1", "0", "1"), ("S2", "1", "1", "0"), ("S10", "1", "0", "0")]
    assert rows(mini.run("sources-of-node", node="small"), *cols) == [
        ("S1", "1", "0", "3"), ("S2", "1", "0", "1"), ("S10", "0", "0", "1")]
    assert rows(mini.run("sources-of-node", node="widget"), *cols) == [("S1", "1", "0", "0"), ("S10", "0", "0", "1")]
    assert rows(mini.run("sources-of-node", node="acme"), "title", "publisher", "url", "sourceKind", "date")[1] == (
        "An analyst's survey of small data teams", "Analyst Example", "https://analyst.example/survey", "third-party",
        "n.d.")
    # citedBy: S1 is the dcterms:source of 6 nodes and the evidence of 8 relations; S2 of 3 nodes, 1 fact and
    # 3 relations; S10 of 2 nodes and 4 relations
    assert rows(mini.run("source-list"), "id", "publisher", "sourceKind", "date", "citedBy") == [
        ("S1", "Acme", "vendor-doc", "2026-01-15", "14"),
        ("S2", "Analyst Example", "third-party", "n.d.", "7"),
        ("S10", "Forum Example", "community", "2025", "6"),
    ]


def test_mini_stale_nodes(mini):
    cols = ("id", "kind", "reviewDate", "daysSinceReview")
    assert (TODAY - date(2025, 1, 10)).days == 685
    assert rows(mini.run("stale-nodes", asOf="2026-11-26"), *cols) == [
        ("org-dim.crew.small", "dimension", "2025-01-10", "685")]
    # the default asOf is today (passed explicitly to execute here)
    assert rows(mini.run("stale-nodes"), *cols) == rows(mini.run("stale-nodes", asOf="2026-11-26"), *cols)
    # day 180 is not stale, day 181 is; reviews after asOf are not stale either
    assert rows(mini.run("stale-nodes", asOf="2025-07-09"), *cols) == []
    assert rows(mini.run("stale-nodes", asOf="2025-07-10"), *cols) == [
        ("org-dim.crew.small", "dimension", "2025-01-10", "181")]
    # staleDays: 25 days since 2026-11-01 is stale with a 24-day window, not with a 25-day one
    assert [r[0] for r in rows(mini.run("stale-nodes", asOf="2026-11-26", staleDays="25"), *cols)] == [
        "org-dim.crew.small"]
    assert rows(mini.run("stale-nodes", asOf="2026-11-26", staleDays="24"), "id", "daysSinceReview") == [
        ("org-dim.crew.small", "685"), ("org-dim.crew", "25"), ("org-dim.crew.none", "25"), ("pattern.gizmo", "25"),
        ("pattern.widget", "25"), ("vendor.acme", "25"), ("vendor.bolt", "25"), ("vendor.oldco", "25")]


def test_mini_unsourced_or_low_confidence(mini):
    cols = ("issue", "kind", "id", "title", "confidence", "item")
    declared = ("declared-unsourced", "relation", "org-dim.crew.none--child-of--org-dim.crew", None, None,
                REL + "org-dim.crew.none--child-of--org-dim.crew")
    low_relation = ("low-confidence", "relation", "org-dim.crew.small--counter-indicates--vendor.bolt", None, "0.40",
                    REL + "org-dim.crew.small--counter-indicates--vendor.bolt")
    low_bolt = ("low-confidence", "vendor", "vendor.bolt", "Bolt Toolkit", "0.55", CDP + "vendor.bolt")
    assert rows(mini.run("unsourced-or-low-confidence"), *cols) == [declared, low_relation, low_bolt]
    assert rows(mini.run("unsourced-or-low-confidence", threshold="0.55"), *cols) == [declared, low_relation]  # strict
    assert rows(mini.run("unsourced-or-low-confidence", threshold="0.4"), *cols) == [declared]


def test_incomplete_node_is_listed_with_blanks(incomplete):
    stale = rows(incomplete.run("stale-nodes", asOf="2026-11-26"), "id", "title", "kind", "reviewDate", "daysSinceReview")
    assert stale == [("org-dim.crew.small", "Crew Size: Small", "dimension", "2025-01-10", "685"),
                     ("pattern.undated", "Undated Pattern", "pattern", None, None)]
    assert ("pattern.undated", "pattern", None, None, "0") in rows(
        incomplete.run("node-list", kind="pattern"), "id", "nodeKind", "status", "reviewDate", "sources")


def test_profile_enables_lists_an_edge_without_rationale(incomplete):
    assert rows(incomplete.run("profile-enables", dim="none"), "id", "status", "rationale") == [
        ("vendor.bolt", "proposed", None)]


def test_profile_signals_keeps_status_without_rationale(incomplete):
    got = rows(incomplete.run("profile-signals", dim="none"), "target", "relType", "status", "rationale")
    assert ("vendor.bolt", "enables", "proposed", None) in got


def test_source_list_one_row_per_document_with_two_publishers(two_publishers):
    assert [r[0] for r in rows(two_publishers.run("source-list"), "id")] == ["S1", "S2", "S10"]


def test_sources_of_node_one_row_per_document_with_two_publishers(two_publishers):
    assert [r[0] for r in rows(two_publishers.run("sources-of-node", node="acme"), "id")] == ["S1", "S2", "S10"]


# ---------------------------------------------------------------------------------------------------
# 3. Usage errors (exit 2, helpful message) and node references
# ---------------------------------------------------------------------------------------------------

USAGE_ERRORS = {
    "unknown-query": (["query", "profile-enable", "-p", "dim", "engineering-led-cdp"],
                      ["no named query 'profile-enable'", "did you mean:", "profile-enables"]),
    "missing-required": (["query", "profile-enables"],
                         ["missing required parameter: dim", "-p dim <node>"]),
    "missing-two-required": (["query", "is-enabled"],
                             ["missing required parameters: dim, target", "-p dim <node>", "-p target <node>"]),
    "unknown-parameter": (["query", "profile-enables", "-p", "dimm", "engineering-led-cdp"],
                          ["unknown parameter 'dimm'", "dim:node..."]),
    "parameter-of-a-query-without-any": (["query", "source-list", "-p", "kind", "vendor"],
                                         ["unknown parameter 'kind'", "parameters: none"]),
    "bad-date": (["query", "stale-nodes", "-p", "asOf", "2026-13-45"],
                 ["parameter asOf: '2026-13-45' is not a date", "YYYY-MM-DD"]),
    "bad-date-format": (["query", "stale-nodes", "-p", "asOf", "26/11/2026"], ["is not a date"]),
    "bad-number": (["query", "stale-nodes", "-p", "staleDays", "abc"],
                   ["parameter staleDays: 'abc' is not a number", "180"]),
    "bad-number-nan": (["query", "unsourced-or-low-confidence", "-p", "threshold", "NaN"], ["is not a number"]),
    "node-matches-nothing": (["query", "profile-enables", "-p", "dim", "engineering-led"],
                             ["no node with id 'engineering-led'", "did you mean:", ENG]),
    "iri-matches-nothing": (["query", "backlinks", "-p", "node", CDP + "vendor.hightuch"],
                            ["no node has the IRI", "vendor.hightouch"]),
    "ambiguous-short-id": (["query", "backlinks", "-p", "node", "hybrid-cdp"],
                           ["'hybrid-cdp' matches several nodes", "org-dim.operational-profile.hybrid-cdp",
                            "pattern.hybrid-cdp"]),
    "non-multi-twice": (["query", "backlinks", "-p", "node", "hightouch", "-p", "node", "census"],
                        ["parameter node takes one value, got 2"]),
    "no-name": (["query"], ["give a query NAME or --file FILE"]),
}


@pytest.mark.parametrize("case", list(USAGE_ERRORS))
def test_usage_error_exits_2(case, cli, root):
    args, fragments = USAGE_ERRORS[case]
    result = cli("--project", str(root), *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr, f"{fragment!r} not in {result.stderr!r}"
    assert "Traceback" not in result.stderr


NODE_FORMS = ["engineering-led-cdp", "operational-profile.engineering-led-cdp", ENG, CDP + ENG, f"  {ENG} "]


@pytest.mark.parametrize("ref", NODE_FORMS)
def test_node_parameter_forms_give_the_same_rows(ref, kg, qgraph):
    expected = rows(run_shipped(kg, qgraph, "profile-enables", dim=ENG))
    assert len(expected) == 7
    assert rows(run_shipped(kg, qgraph, "profile-enables", dim=ref)) == expected


def test_node_parameter_forms_through_the_cli(cli, root):
    outputs = {cli("--project", str(root), "query", "sources-of-node", "-p", "node", ref, "--format", "csv").stdout
               for ref in ("engineering-led-cdp", ENG, CDP + ENG)}
    assert len(outputs) == 1 and len(next(iter(outputs)).splitlines()) == 27


def test_repeated_multi_value_does_not_duplicate_rows(request):
    kg, qgraph = request.getfixturevalue("kg"), request.getfixturevalue("qgraph")  # not args: their repr warns
    once = rows(run_shipped(kg, qgraph, "profile-enables", dim="engineering-led-cdp"))
    twice = rows(run_shipped(kg, qgraph, "profile-enables", dim=["engineering-led-cdp", ENG]))
    assert twice == once


# ---------------------------------------------------------------------------------------------------
# 4. Output formats of `kgtool query` and the `kgtool queries` listing (on the mini fixture)
# ---------------------------------------------------------------------------------------------------

def query_cli(cli, project: Mini, *args: str):
    return cli("--project", str(project.path), "query", *args)


def test_csv(cli, mini):
    result = query_cli(cli, mini, "alternatives", "-p", "node", "acme", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    raw = result.stdout_bytes.decode("utf-8")  # Result.stdout turns \r\n into \n
    assert raw.startswith("id,title,kind,confidence,stated,rationale,status,relation\r\n")
    parsed = list(csv.reader(io.StringIO(raw, newline="")))
    assert parsed == [
        ["id", "title", "kind", "confidence", "stated", "rationale", "status", "relation"],
        ["vendor.bolt", "Bolt Toolkit", "vendor", "0.55", "other-node", BOLT_ACME, "proposed",
         REL + "vendor.bolt--alternative-to--vendor.acme"],
    ]
    # an unbound value is an empty field
    unbound = query_cli(cli, mini, "signals-for-target", "-p", "target", "bolt", "--format", "csv")
    first = next(r for r in csv.DictReader(io.StringIO(unbound.stdout, newline="")))
    assert first["unless"] == "" and first["strength"] == "soft"


def test_tsv(cli, mini):
    result = query_cli(cli, mini, "profile-counter-indicates", "-p", "dim", "small", "--format", "tsv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "\t".join("?" + v for v in ("dimId", "id", "title", "strength", "rationale", "status", "unless",
                                                    "needs", "sources", "relationConfidence", "confidence", "relation"))
    assert lines[1].split("\t") == [
        '"org-dim.crew.small"', '"vendor.bolt"', '"Bolt Toolkit"', '"soft"',
        '"The toolkit needs more hands than a small crew has."', '"proposed"', "", "", '"S1"',
        f'"0.4"^^<{XSD}decimal>', f'"0.55"^^<{XSD}decimal>',  # the default engine writes numbers canonically
        f"<{REL}org-dim.crew.small--counter-indicates--vendor.bolt>",
    ]
    assert len(lines) == 2


def test_tsv_escapes_newlines(cli, mini):
    result = query_cli(cli, mini, "alternatives", "-p", "node", "acme", "--format", "tsv")
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[1].split("\t")[5] == '"Both serve the same buyer.\\nThey differ in who runs them."'


def test_json_is_w3c_sparql_results(cli, mini):
    result = query_cli(cli, mini, "alternatives", "-p", "node", "acme", "--format", "json")
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["head"] == {"vars": ["id", "title", "kind", "confidence", "stated", "rationale", "status", "relation"]}
    assert payload["results"]["bindings"] == [{
        "id": {"type": "literal", "value": "vendor.bolt"},
        "title": {"type": "literal", "value": "Bolt Toolkit"},
        "kind": {"type": "literal", "value": "vendor"},
        "confidence": {"type": "literal", "value": "0.55", "datatype": f"{XSD}decimal"},
        "stated": {"type": "literal", "value": "other-node"},
        "rationale": {"type": "literal", "value": BOLT_ACME},
        "status": {"type": "literal", "value": "proposed"},
        "relation": {"type": "uri", "value": REL + "vendor.bolt--alternative-to--vendor.acme"},
    }]
    # unbound variables are left out of a binding; integers and dates keep their datatype
    stale = json.loads(query_cli(cli, mini, "stale-nodes", "-p", "asOf", "2026-11-26", "--format", "json").stdout)
    assert stale["results"]["bindings"][0]["daysSinceReview"] == {"type": "literal", "value": "685",
                                                                  "datatype": f"{XSD}integer"}
    assert stale["results"]["bindings"][0]["reviewDate"]["datatype"] == f"{XSD}date"
    enables = json.loads(query_cli(cli, mini, "profile-enables", "-p", "dim", "small", "--format", "json").stdout)
    assert "unless" not in enables["results"]["bindings"][0] and "strength" not in enables["results"]["bindings"][0]


def test_markdown(cli, mini):
    result = query_cli(cli, mini, "contested-relations", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ("| subjectId | subjectTitle | relType | objectId | objectTitle | strength | rationale | evidence "
                        "| notes | relation |")
    assert lines[1] == "|" + "---|" * 10
    assert len(lines) == 3
    assert "| A: the vendor says it runs itself. \\| B: the forum thread disagrees. |" in lines[2]  # pipes escaped
    two_lines = query_cli(cli, mini, "alternatives", "-p", "node", "acme", "--format", "markdown").stdout
    assert "| Both serve the same buyer. They differ in who runs them. |" in two_lines  # a row stays on one line


def test_table_is_the_default(cli, mini):
    result = query_cli(cli, mini, "dimension-taxonomy")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["parent", "parentTitle", "child", "childTitle", "status"]
    assert lines[-1] == "2 rows"


@pytest.mark.parametrize("suffix,fmt", [("csv", "csv"), ("tsv", "tsv"), ("json", "json"), ("md", "markdown")])
def test_output_file_format_from_extension(suffix, fmt, cli, mini, tmp_path):
    target = tmp_path / f"out.{suffix}"
    args = ("profile-signals", "-p", "dim", "small", "-p", "dim", "none")
    result = query_cli(cli, mini, *args, "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert target.read_bytes() == query_cli(cli, mini, *args, "--format", fmt).stdout_bytes
    if fmt == "csv":
        assert len(list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))) == 8


def test_construct_gives_turtle(cli, mini, tmp_path):
    result = cli("--engine", "rdflib", "--project", str(mini.path), "query", "node-card", "-p", "node", "acme")
    assert result.exit_code == 0, result.stderr
    parsed = Graph().parse(data=result.stdout, format="turtle")
    expected = mini.run("node-card", node="acme")
    assert isinstance(expected, GraphResult)
    assert set(parsed) == set(expected.graph) and len(parsed) > 40
    target = tmp_path / "card.ttl"
    assert cli("--engine", "rdflib", "--project", str(mini.path), "query", "node-card", "-p", "node", "acme",
               "-o", str(target)).exit_code == 0
    assert set(Graph().parse(target, format="turtle")) == set(expected.graph)


def test_ask_prints_true_or_false_and_exits_1_on_false(cli, mini):
    yes = query_cli(cli, mini, "is-enabled", "-p", "dim", "small", "-p", "target", "acme")
    assert (yes.exit_code, yes.stdout) == (0, "true\n")
    no = query_cli(cli, mini, "is-enabled", "-p", "dim", "none", "-p", "target", "acme")
    assert (no.exit_code, no.stdout) == (1, "false\n")
    as_json = query_cli(cli, mini, "is-enabled", "-p", "dim", "none", "-p", "target", "acme", "--format", "json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout) == {"head": {}, "boolean": False}


def test_queries_lists_every_query_with_its_parameters(cli, root, kg, monkeypatch):
    catalogue = kgtool.list_queries(kg)
    listed = json.loads(cli("--project", str(root), "queries", "--format", "json").stdout)
    assert [q["name"] for q in listed] == [q.name for q in catalogue] == sorted(QUERY_NAMES)
    for entry, query in zip(listed, catalogue):
        assert entry["form"] == query.form and entry["title"] == query.title and entry["examples"]
        assert [(p["name"], p["type"], p["required"], p["default"], p["multi"]) for p in entry["params"]] == [
            (p.name, p.type, p.required, p.default, p.multi) for p in query.params]
    by_name = {q["name"]: q for q in listed}
    assert by_name["is-enabled"]["form"] == "ASK" and by_name["node-card"]["form"] == "CONSTRUCT"
    assert [(p["name"], p["default"]) for p in by_name["stale-nodes"]["params"]] == [("asOf", "today"),
                                                                                     ("staleDays", "180")]
    monkeypatch.setenv("COLUMNS", "400")
    table = cli("--project", str(root), "queries").stdout
    lines = {line.split()[0]: line for line in table.splitlines()[2:]}
    assert sorted(lines) == sorted(QUERY_NAMES)
    for query in catalogue:
        for param in query.params:
            assert param.signature() in lines[query.name], (query.name, param.signature())
    assert lines["stale-nodes"].rstrip().endswith("[asOf:date=today] [staleDays:number=180]")
    assert "dim:node..." in lines["profile-signals"]
