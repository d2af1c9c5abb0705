"""Issue 7: incremental validation re-checks only what an edit can have affected, and finds exactly
what a full validation finds (kgtool/incremental.py)."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
from datetime import date

import pytest
from rdflib import Graph

import kgtool

validate_module = importlib.import_module("kgtool.validate")
incremental = importlib.import_module("kgtool.incremental")
TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def synthetic_template(tmp_path_factory, root):
    """A 300-node project from the benchmark generator: sparse enough that an edit reaches a small
    part of it (the shipped graph is so densely cited that any edit reaches most of it)."""
    path = tmp_path_factory.mktemp("incremental") / "template"
    subprocess.run([sys.executable, str(root / "benchmarks" / "generate.py"), "300", str(path), "--inputs", str(root)],
                   check=True, capture_output=True)
    return path


@pytest.fixture
def project(synthetic_template, tmp_path):
    path = tmp_path / "project"
    shutil.copytree(synthetic_template, path, ignore=shutil.ignore_patterns(".kgtool-cache"))
    first = _validate(path)
    assert first.incremental.full, "the first validation has no cache to start from"
    return path


def _vendor(path) -> str:
    """A vendor file with an implements relation, as a path relative to the project."""
    for file in sorted((path / "data" / "vendor").glob("*.ttl")):
        if "kg:implements " in file.read_text():
            return file.relative_to(path).as_posix()
    raise AssertionError("no vendor implements a pattern")


def _validate(path, **kwargs):
    return validate_module.validate(kgtool.load(path), as_of=TODAY, **kwargs)


def _rows(report):
    return sorted((f.rule, f.severity, f.focus, f.node, f.path, f.value, f.message, f.file, f.line, f.kind)
                  for f in report.findings)


def _edit(path, file, old, new, count=1):
    target = path / file
    text = target.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {file}"
    target.write_text(text.replace(old, new, count), encoding="utf-8")


def _same_as_full(path):
    """Validate incrementally, then in full from scratch; both must give the same findings."""
    quick = _validate(path)
    full = _validate(path, incremental=False)
    assert _rows(quick) == _rows(full)
    return quick, full


def test_an_unchanged_project_returns_the_earlier_findings(project):
    again = _validate(project)
    assert not again.incremental.full and again.incremental.changed_files == ()
    assert _rows(again) == _rows(_validate(project, incremental=False))


def test_removing_evidence_rechecks_the_relation_and_the_sources_it_cited(project):
    vendor = _vendor(project)
    text = (project / vendor).read_text()
    relation = re.search(r"^rel:\S+--implements--\S+$", text, re.M).group(0)
    block = text[text.index(relation):]
    evidence = re.search(r" ;\n    kg:evidence [^.]*\.", block).group(0)
    _edit(project, vendor, relation + block[len(relation):block.index(evidence) + len(evidence)],
          relation + block[len(relation):block.index(evidence)] + " .")
    quick, full = _same_as_full(project)
    assert not quick.incremental.full and quick.incremental.changed_files == (vendor,)
    local_name = relation.split(":", 1)[1]
    assert any(f.rule == "unsourced-relation" and f.focus.endswith(local_name) for f in quick.findings)
    total = len(set(kgtool.load(project).graph("data").subjects()))
    assert 0 < quick.incremental.rechecked < total / 10


def test_deleting_a_node_rechecks_what_pointed_at_it(project):
    vendor = _vendor(project)
    pattern = re.search(r"kg:implements cdp:(pattern\.[\w.-]+)", (project / vendor).read_text()).group(1)
    (project / "data" / "pattern" / f"{pattern}.ttl").unlink()
    quick, _ = _same_as_full(project)
    assert not quick.incremental.full
    assert any(f.rule == "dangling-reference" and pattern in (f.value or "") for f in quick.findings)


def test_changing_a_type(project):
    vendor = _vendor(project)
    _edit(project, vendor, "a kg:Vendor ;", "a kg:Pattern ;")
    quick, _ = _same_as_full(project)
    assert not quick.incremental.full
    assert any(f.rule == "identifier-mismatch" for f in quick.findings)


def test_a_stale_review_date_and_a_low_confidence(project):
    vendor = _vendor(project)
    text = (project / vendor).read_text()
    reviewed = re.search(r'kg:reviewDate "[^"]+"\^\^xsd:date', text).group(0)
    _edit(project, vendor, reviewed, 'kg:reviewDate "2024-01-02"^^xsd:date')
    _edit(project, vendor, "kg:confidence 0.", "kg:confidence 0.1")
    quick, _ = _same_as_full(project)
    assert not quick.incremental.full
    node = vendor.rsplit("/", 1)[1][:-4]
    assert {"stale", "low-confidence"} <= {f.rule for f in quick.findings if f.focus.endswith(node)}


def test_a_missing_direct_triple(project):
    vendor = _vendor(project)
    text = (project / vendor).read_text()
    line = re.search(r"^    kg:implements (cdp:\S+)( , | ;| \.)", text, re.M)
    target = line.group(1)
    if line.group(2) == " , ":
        _edit(project, vendor, f"kg:implements {target} , ", "kg:implements ")
    else:
        _edit(project, vendor, f"kg:implements {target}", "kg:tag \"dropped\"")
    quick, _ = _same_as_full(project)
    assert not quick.incremental.full
    assert any(f.rule == "relation-without-direct-triple" for f in quick.findings)


def test_a_new_node_with_a_title_already_in_use(project):
    vendor = _vendor(project)
    node = vendor.rsplit("/", 1)[1][:-4]
    clone = (project / vendor).read_text().replace(node, node + "-two")
    (project / "data" / "vendor" / f"{node}-two.ttl").write_text(clone)
    quick, _ = _same_as_full(project)
    assert not quick.incremental.full
    assert any(f.rule == "duplicate-title" for f in quick.findings)


def test_undoing_an_edit_gives_back_the_first_findings(project):
    vendor = _vendor(project)
    before = _validate(project)
    original = (project / vendor).read_text()
    _edit(project, vendor, "a kg:Vendor ;", "a kg:Pattern ;")
    assert _rows(_validate(project)) != _rows(before)
    (project / vendor).write_text(original)
    after = _validate(project)
    assert not after.incremental.full and _rows(after) == _rows(before)


def test_blank_nodes_make_it_validate_in_full(project):
    _edit(project, _vendor(project), "a kg:Vendor ;", "a kg:Vendor ; kg:note [ kg:text \"x\" ] ;")
    quick, _ = _same_as_full(project)
    assert quick.incremental.full and "blank nodes" in quick.incremental.reason


def test_a_change_to_many_files_validates_in_full(project):
    for path in sorted((project / "data" / "vendor").glob("*.ttl")):
        path.write_text(path.read_text() + "\n# touched\n")
    quick, _ = _same_as_full(project)
    assert quick.incremental.full and "files changed" in quick.incremental.reason


def test_other_settings_do_not_reuse_the_findings(project):
    later = validate_module.validate(kgtool.load(project), as_of=date(2027, 6, 1))
    assert later.incremental.full


def test_an_edit_that_reaches_most_of_a_dense_graph_validates_in_full(make_project, root):
    """The shipped graph: every vendor cites sources that every other node cites too."""
    path = make_project()
    shutil.rmtree(path / "data")
    shutil.copytree(root / "data", path / "data")
    _validate(path)
    _edit(path, "data/vendor/vendor.hightouch.ttl", "kg:confidence 0.", "kg:confidence 0.1")
    quick, _ = _same_as_full(path)
    assert quick.incremental.full and "reaches" in quick.incremental.reason


def test_the_turtle_report_is_the_same_from_the_cache(project):
    _edit(project, _vendor(project), "kg:confidence 0.", "kg:confidence 0.1")
    quick = _validate(project)
    assert not quick.incremental.full
    full = _validate(project, incremental=False)
    from kgtool.report import render_turtle
    from rdflib.compare import isomorphic

    assert isomorphic(Graph().parse(data=render_turtle(quick), format="turtle"),
                      Graph().parse(data=render_turtle(full), format="turtle"))


def test_the_radius_of_the_shipped_shapes(root):
    kg = kgtool.load(root)
    assert incremental.shapes_radius(kg.shapes) == 1


def test_a_shape_this_analysis_does_not_model_has_no_radius(root):
    kg = kgtool.load(root)
    shapes = Graph()
    for triple in kg.shapes:
        shapes.add(triple)
    shapes.parse(data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix kg: <https://cdp.composablestack.ai/kg/ontology#> .
        <urn:x:deep> sh:targetClass kg:Vendor ; sh:property [ sh:path [ sh:zeroOrMorePath kg:enables ] ; sh:minCount 1 ] .""",
                 format="turtle")
    assert incremental.shapes_radius(shapes) is None


def test_validating_some_files_neither_uses_nor_replaces_the_record(project):
    record = project / ".kgtool-cache" / "validation" / "last.json.gz"
    before = record.read_bytes()
    vendor = _vendor(project)
    partial = kgtool.validate(project, paths=[str(project / vendor)], as_of=TODAY)
    assert partial.incremental.full and record.read_bytes() == before
    again = _validate(project)
    assert not again.incremental.full and again.incremental.changed_files == ()


def test_the_cli_says_how_it_validated_and_full_checks_everything(project, cli, monkeypatch):
    monkeypatch.setenv("KGTOOL_PROGRESS", "1")
    quick = cli("--project", str(project), "validate", "--as-of", "2026-11-26")
    assert "no file changed since the last validation" in quick.stderr
    full = cli("--project", str(project), "validate", "--as-of", "2026-11-26", "--full")
    assert "full validation (asked for)" in full.stderr
    assert quick.stdout == full.stdout
    monkeypatch.setenv("KGTOOL_PROGRESS", "0")
    quiet = cli("--project", str(project), "validate", "--as-of", "2026-11-26")
    assert "validation" not in quiet.stderr


def test_findings_on_literals_make_it_validate_in_full(project):
    """A check whose ?focus is a literal: it has no links to follow, so no edit is local to it."""
    (project / "queries" / "checks" / "tag-literal.rq").write_text(
        "# title: Tags as foci\n# severity: info\n# scope: 0\n"
        "PREFIX kg: <https://cdp.composablestack.ai/kg/ontology#>\n"
        "SELECT DISTINCT ?focus ?path ?value ?message WHERE { ?n kg:tag ?focus FILTER(?focus = \"vendor\") "
        "BIND(kg:tag AS ?path) BIND(?focus AS ?value) BIND(\"a tag\" AS ?message) }\n")
    first = _validate(project)
    assert first.incremental.full and any(f.rule == "tag-literal" for f in first.findings)
    _edit(project, _vendor(project), "kg:confidence 0.", "kg:confidence 0.1")
    quick, _ = _same_as_full(project)
    assert quick.incremental.full and "literal" in quick.incremental.reason


def test_shacl_sparql_shapes_are_validated_in_full_by_pyshacl(project):
    with (project / "ontology" / "shapes.ttl").open("a") as handle:
        handle.write('\nkgsh:vendor-noted a sh:NodeShape ; sh:targetClass kg:Vendor ; sh:severity sh:Info ;\n'
                     '  sh:sparql [ sh:message "a vendor" ; sh:select """SELECT $this WHERE { $this a '
                     '<https://cdp.composablestack.ai/kg/ontology#Vendor> }""" ] .\n')
    first = _validate(project)
    assert first.incremental.full and "SHACL-SPARQL" in first.incremental.reason
    assert any(f.rule == "vendor-noted" for f in first.findings)
    _edit(project, _vendor(project), "kg:confidence 0.", "kg:confidence 0.1")
    quick, _ = _same_as_full(project)
    assert quick.incremental.full and "SHACL-SPARQL" in quick.incremental.reason


def test_the_ci_gate_takes_full_too(project, cli, monkeypatch):
    monkeypatch.setenv("KGTOOL_PROGRESS", "1")
    quick = cli("--project", str(project), "check", "--as-of", "2026-11-26")
    assert "no file changed since the last validation" in quick.stderr
    full = cli("--project", str(project), "check", "--as-of", "2026-11-26", "--full")
    assert "full validation (asked for)" in full.stderr and full.stdout == quick.stdout
