"""Issue 3: shapes, quality rules, `kgtool validate` and its formats and exit codes."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import RDF

import kgtool
from kgtool.vocab import SH

AS_OF = date(2026, 11, 26)
RULES = Path(__file__).parent / "fixtures" / "rules"
SEED_ID = "org-dim.operational-profile.engineering-led-cdp"
SEED_FILE = f"data/org-dim/{SEED_ID}.ttl"


@pytest.fixture(scope="module")
def shipped_report(kg):
    return kgtool.validate(kg, as_of=AS_OF)


def test_shipped_graph_has_no_violation(shipped_report):
    assert shipped_report.passes("violation")
    assert shipped_report.counts()["violation"] == 0


def test_shipped_graph_warnings_are_the_known_ones(shipped_report):
    warnings = sorted((f.rule, f.node) for f in shipped_report.findings if f.severity == "warning")
    assert ("stale", "org-dim.operational-profile") in warnings
    assert {rule for rule, _ in warnings} <= {"stale", "body-edge-mismatch"}


def test_cli_validate_exit_0_on_the_shipped_graph(cli, root):
    result = cli("--project", str(root), "validate", "--as-of", "2026-11-26")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("PASS: 0 violations")


@pytest.fixture
def verbatim_seed_project(make_project, root):
    """The shipped project with the seed node replaced by the page exactly as it stands."""
    project = make_project()
    shutil.rmtree(project / "data")
    shutil.copytree(root / "data", project / "data")
    shutil.copyfile(Path(__file__).parent / "fixtures" / "seed-verbatim.ttl", project / SEED_FILE)
    return project


def test_verbatim_seed_is_rejected_for_having_no_source(verbatim_seed_project):
    report = kgtool.validate(verbatim_seed_project, as_of=AS_OF)
    assert not report.passes("violation")
    violations = [f for f in report.findings if f.severity == "violation"]
    assert [(f.rule, f.node) for f in violations] == [("node-source", SEED_ID)]
    assert "no source" in violations[0].message
    assert violations[0].file == SEED_FILE and violations[0].line
    mentions = {f.value for f in report.findings if f.rule == "body-edge-mismatch" and f.node == SEED_ID}
    base = "https://cdp.composablestack.ai/kg/"
    assert {base + "vendor.fivetran-activations", base + "vendor.mparticle", base + "vendor.adobe-rtcdp"} <= mentions


def test_cli_exit_1_and_text_grouped_by_node(cli, verbatim_seed_project):
    result = cli("--project", str(verbatim_seed_project), "validate", "--as-of", "2026-11-26")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{SEED_ID}  ({SEED_FILE}:9)" or lines[0].startswith(f"{SEED_ID}  ({SEED_FILE}:")
    assert lines[1].split()[0] == "VIOLATION" and "node-source" in lines[1]
    assert lines[-1].startswith("FAIL: 1 violation,")


def _fixture_project(make_project, fixture: Path) -> Path:
    return make_project({fixture.name.replace(".bad", "").replace(".good", ""): fixture})


BAD = sorted(RULES.glob("*.bad.ttl"))


@pytest.mark.parametrize("fixture", BAD, ids=[p.name.split(".")[0] for p in BAD])
def test_each_rule_fails_its_fixture_and_passes_once_fixed(make_project, fixture, tmp_path):
    rule = fixture.name.split(".")[0]
    bad = kgtool.validate(_fixture_project(make_project, fixture), as_of=AS_OF)
    assert rule in {f.rule for f in bad.findings}, f"{rule} did not fire on {fixture.name}"
    shutil.rmtree(tmp_path / "project")
    good = kgtool.validate(_fixture_project(make_project, fixture.with_name(f"{rule}.good.ttl")), as_of=AS_OF)
    assert rule not in {f.rule for f in good.findings}, [f for f in good.findings if f.rule == rule]


def test_every_rule_has_a_fixture_pair(kg):
    rules = {r["rule"] for r in kgtool.list_rules(kg)}
    fixtures = {p.name.split(".")[0] for p in BAD}
    assert rules == fixtures
    assert all((RULES / f"{r}.good.ttl").is_file() for r in rules)


def test_as_of_moves_staleness(kg):
    before = kgtool.validate(kg, as_of=date(2026, 11, 30), rules={"stale"})
    after = kgtool.validate(kg, as_of=date(2026, 12, 1), rules={"stale"})
    assert SEED_ID not in {f.node for f in before.findings}  # reviewed 2026-06-03: day 180
    assert SEED_ID in {f.node for f in after.findings}       # day 181
    default = kgtool.validate(kg, as_of=AS_OF, rules={"stale"})
    shorter = kgtool.validate(kg, as_of=AS_OF, stale_days=170, rules={"stale"})
    assert {f.node for f in default.findings} == {"org-dim.operational-profile"}
    assert SEED_ID in {f.node for f in shorter.findings}


def test_review_date_in_the_future_is_a_violation(kg):
    report = kgtool.validate(kg, as_of=date(2026, 1, 1), rules={"review-date-in-future"})
    assert SEED_ID in {f.node for f in report.findings}
    assert {f.severity for f in report.findings} == {"violation"}


def test_fail_on_threshold(cli, root):
    assert cli("--project", str(root), "validate", "--as-of", "2026-11-26", "--fail-on", "violation").exit_code == 0
    assert cli("--project", str(root), "validate", "--as-of", "2026-11-26", "--fail-on", "warning").exit_code == 1


def test_usage_errors_exit_2(cli, root):
    assert cli("--project", str(root), "validate", "--as-of", "yesterday").exit_code == 2
    assert cli("--project", str(root), "validate", "--fail-on", "error").exit_code == 2
    assert cli("--project", str(root), "validate", "--format", "xml").exit_code == 2


def test_missing_path_exit_3(cli, root):
    result = cli("--project", str(root), "validate", "data/nope.ttl")
    assert result.exit_code == 3
    assert "data/nope.ttl: no such file or directory" in result.stderr


def test_validate_only_some_paths(root):
    report = kgtool.validate(root, paths=[str(root / "data" / "vendor")], as_of=AS_OF,
                             rules={"node-source", "relation-object"})
    # relations from vendors point at dimensions and patterns that are not loaded: dangling in this view
    assert {f.rule for f in report.findings} <= {"relation-object"}


# --- formats ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def failing_report(tmp_path_factory, root):
    project = tmp_path_factory.mktemp("formats") / "project"
    shutil.copytree(root / "ontology", project / "ontology")
    shutil.copytree(root / "queries", project / "queries")
    shutil.copytree(root / "data", project / "data")
    shutil.copyfile(Path(__file__).parent / "fixtures" / "seed-verbatim.ttl", project / SEED_FILE)
    return project, kgtool.validate(project, as_of=AS_OF)


def test_json_format_is_stable_and_documented(failing_report, cli, tmp_path):
    project, report = failing_report
    out = tmp_path / "report.json"
    result = cli("--project", str(project), "validate", "--as-of", "2026-11-26", "-o", str(out))
    assert result.exit_code == 1
    payload = json.loads(out.read_text())
    assert payload["format"] == "kgtool-validation/1"
    assert payload["conforms"] is False
    assert payload["counts"]["violation"] == 1
    assert set(payload["findings"][0]) == {"rule", "severity", "kind", "node", "focus", "path", "value", "message",
                                           "file", "line"}
    assert "FAIL" in result.stderr  # the summary still reaches the terminal


def test_junit_format_is_well_formed(failing_report, cli, tmp_path):
    import junitparser

    project, report = failing_report
    out = tmp_path / "report.xml"
    cli("--project", str(project), "validate", "--as-of", "2026-11-26", "--format", "junit", "-o", str(out))
    ET.parse(out)
    xml = junitparser.JUnitXml.fromfile(str(out))
    failures = [case for suite in xml for case in suite if case.result and
                any(isinstance(r, junitparser.Failure) for r in case.result)]
    assert len(failures) == 1 and failures[0].name == SEED_ID


def test_sarif_format_matches_the_sarif_model(failing_report, cli, tmp_path):
    from sarif_pydantic import Sarif

    project, report = failing_report
    out = tmp_path / "report.sarif"
    cli("--project", str(project), "validate", "--as-of", "2026-11-26", "-o", str(out))
    payload = json.loads(out.read_text())
    log = Sarif.model_validate(payload)
    assert log.version == "2.1.0"
    results = log.runs[0].results
    assert len(results) == len(report.findings)
    errors = [r for r in results if r.level == "error"]
    assert errors[0].rule_id == "node-source"
    assert errors[0].locations[0].physical_location.artifact_location.uri == SEED_FILE


def test_github_annotations(failing_report, cli):
    project, _ = failing_report
    result = cli("--project", str(project), "validate", "--as-of", "2026-11-26", "--format", "github")
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"::error file={SEED_FILE},line=")
    assert "title=node-source::" in first


def test_turtle_format_is_the_shacl_report_with_every_finding(failing_report, cli):
    project, report = failing_report
    result = cli("--project", str(project), "validate", "--as-of", "2026-11-26", "--format", "turtle")
    graph = Graph().parse(data=result.stdout, format="turtle")
    node = graph.value(None, RDF.type, SH.ValidationReport)
    assert graph.value(node, SH.conforms) == Literal(False)
    assert len(list(graph.objects(node, SH.result))) == len(report.findings)


def test_output_file_is_never_half_written(failing_report, cli, tmp_path):
    project, _ = failing_report
    out = tmp_path / "report.json"
    out.write_text("previous")
    result = cli("--project", str(project), "validate", "--as-of", "2026-11-26", "-o", str(tmp_path / "no" / "x.json"))
    assert result.exit_code == 3 and "folder does not exist" in result.stderr
    assert out.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


# --- broken or unsafe shapes -------------------------------------------------------------------------

def _with_shapes(make_project, extra: str) -> Path:
    project = make_project({"x.ttl": RULES / "stale.good.ttl"})
    with (project / "ontology" / "shapes.ttl").open("a") as handle:
        handle.write(extra)
    return project


def test_misspelt_shacl_term_is_an_error_not_a_silent_pass(make_project, cli):
    project = _with_shapes(make_project, "\nkgsh:typo a sh:NodeShape ; sh:targetClass kg:Vendor ; sh:minCont 1 .\n")
    result = cli("--project", str(project), "validate")
    assert result.exit_code == 3
    assert "ontology/shapes.ttl" in result.stderr and "typo" in result.stderr and "sh:minCont" in result.stderr


def test_shape_that_reads_a_file_is_refused(make_project, cli):
    extra = ('\nkgsh:leak a sh:NodeShape ; sh:targetClass kg:Vendor ; sh:severity sh:Violation ;\n'
             '  sh:sparql kgsh:leak-select .\n'
             'kgsh:leak-select sh:select "SELECT $this WHERE { GRAPH <file:///etc/passwd> { ?s ?p ?o } }" .\n'
             'kgsh:leak2 a sh:NodeShape ; sh:targetClass kg:Vendor ; sh:severity sh:Violation ;\n'
             '  sh:sparql kgsh:leak2-select .\n'
             'kgsh:leak2-select sh:select "SELECT $this FROM <file:///etc/passwd> WHERE { ?s ?p ?o }" .\n')
    project = _with_shapes(make_project, extra)
    result = cli("--project", str(project), "validate")
    assert result.exit_code == 3
    assert "leak2" in result.stderr and "FROM" in result.stderr


def test_broken_shapes_file_exit_3(make_project, cli):
    project = _with_shapes(make_project, "\nkgsh:broken a sh:NodeShape ; sh:path .\n")
    result = cli("--project", str(project), "validate")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: ontology/shapes.ttl:")


def test_check_without_severity_is_refused(make_project, cli):
    project = make_project({"x.ttl": RULES / "stale.good.ttl"})
    (project / "queries" / "checks" / "nosev.rq").write_text("# title: x\nSELECT ?focus WHERE { ?focus ?p ?o }\n")
    result = cli("--project", str(project), "validate")
    assert result.exit_code == 3 and "severity" in result.stderr


def test_check_gate_parses_every_named_query(make_project, cli):
    project = make_project({"x.ttl": RULES / "stale.good.ttl"})
    assert cli("--project", str(project), "check", "--as-of", "2026-11-26").exit_code == 0
    (project / "queries" / "bad.rq").write_text("# title: bad\nSELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }\n")
    result = cli("--project", str(project), "check", "--as-of", "2026-11-26")
    assert result.exit_code == 2 and "FROM" in result.stderr
