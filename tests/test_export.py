"""kgtool export: every format round-trips, output is deterministic, Jena accepts it, bundles are complete."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import subprocess
import sys
import time

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

import kgtool
from kgtool.export import (ExportFormat, ExportGraph, ExportMode, export, export_graphs, graph_name, render,
                           write_bundle)
from kgtool.terms import to_rdflib as _to_rdflib
from support.jena import jena_available, riot_validate

OX_FORMATS = {ExportFormat.TURTLE: ox.RdfFormat.TURTLE, ExportFormat.NTRIPLES: ox.RdfFormat.N_TRIPLES,
              ExportFormat.NQUADS: ox.RdfFormat.N_QUADS, ExportFormat.TRIG: ox.RdfFormat.TRIG,
              ExportFormat.JSONLD: ox.RdfFormat.JSON_LD}




@pytest.fixture(scope="module")
def full(kg) -> dict[ExportFormat, str]:
    """The full export (ontology, asserted, inferred) in every format, each timed end to end."""
    texts, timings = {}, {}
    for fmt in ExportFormat:
        start = time.perf_counter()
        texts[fmt] = export(kg, fmt=fmt, mode=ExportMode.WITH_INFERRED)
        timings[fmt.value] = time.perf_counter() - start
    print("\nexport --with-inferred of the shipped graph (s): " + ", ".join(f"{k} {v:.2f}" for k, v in timings.items()))
    assert max(timings.values()) < 10
    return texts


@pytest.fixture(scope="module")
def full_parts(kg) -> list[ExportGraph]:
    return export_graphs(kg, mode=ExportMode.WITH_INFERRED)


def run(group, *args):
    return CliRunner().invoke(group, list(args), catch_exceptions=False)


def parse(text: str, fmt: ExportFormat) -> dict[str, Graph]:
    """Parse exported text with pyoxigraph (an independent parser): graph name -> rdflib graph."""
    graphs: dict[str, Graph] = {}
    for quad in ox.parse(text.encode("utf-8"), format=OX_FORMATS[fmt]):
        name = "" if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
        graphs.setdefault(name, Graph()).add((_to_rdflib(quad.subject), _to_rdflib(quad.predicate),
                                              _to_rdflib(quad.object)))
    return graphs


def merged(graphs) -> Graph:
    out = Graph()
    for graph in graphs:
        for triple in graph:
            out.add(triple)
    return out


def assert_isomorphic(got: Graph, expected: Graph) -> None:
    if not isomorphic(got, expected):
        _, only_got, only_expected = graph_diff(to_isomorphic(got), to_isomorphic(expected))
        pytest.fail(f"not isomorphic: {len(only_got)} triples only in the output, e.g. "
                    f"{sorted(only_got)[:3]}; {len(only_expected)} missing, e.g. {sorted(only_expected)[:3]}")


@pytest.mark.parametrize("fmt", list(ExportFormat), ids=[f.value for f in ExportFormat])
def test_every_format_round_trips_to_the_exported_graphs(full, full_parts, fmt):
    parts = full_parts
    graphs = parse(full[fmt], fmt)
    if fmt.is_dataset:
        assert set(graphs) == {str(p.name) for p in parts}
        for part in parts:
            assert_isomorphic(graphs[str(part.name)], part.graph)
    else:
        assert set(graphs) == {""}
        assert_isomorphic(graphs[""], merged(p.graph for p in parts))


@pytest.mark.parametrize("fmt", list(ExportFormat), ids=[f.value for f in ExportFormat])
def test_blank_nodes_of_the_shapes_round_trip_and_stay_stable(kg, fmt):
    part = [ExportGraph("shapes", graph_name(kg.project.settings.base, "shapes"), kg.shapes)]
    text = render(part, fmt)
    assert any(isinstance(t, BNode) for triple in kg.shapes for t in triple)
    got = parse(text, fmt)
    assert_isomorphic(merged(got.values()), kg.shapes)
    reparsed = merged(got.values())
    assert render([ExportGraph("shapes", part[0].name, reparsed)], fmt) == text  # labels depend on the graph only


def test_rdflib_reads_the_json_ld_back_without_fetching_anything(full, full_parts):
    text = full[ExportFormat.JSONLD]
    document = json.loads(text)
    assert isinstance(document["@context"], dict)  # inline: nothing to fetch
    assert all(isinstance(v, str) and v.startswith("http") for v in document["@context"].values())
    graph = Graph().parse(data=text, format="json-ld")
    assert_isomorphic(graph, merged(p.graph for p in full_parts))


def test_modes_and_ontology_select_the_graphs(kg):
    inferred = merged(p.graph for p in export_graphs(kg, mode="inferred-only", include_ontology=False))
    asserted = parse(export(kg, fmt="nt", include_ontology=False), ExportFormat.NTRIPLES)[""]
    assert set(asserted) == set(kg.data)
    only_inferred = parse(export(kg, fmt="nt", mode="inferred-only", include_ontology=False), ExportFormat.NTRIPLES)[""]
    assert set(only_inferred) == set(inferred) and not set(only_inferred) & set(kg.data)
    with_ontology = parse(export(kg, fmt="nq"), ExportFormat.NQUADS)
    assert set(with_ontology) == {str(graph_name(kg.project.settings.base, r)) for r in ("ontology", "asserted")}


def test_prefixes_are_the_ones_a_person_expects(full):
    text = full[ExportFormat.TURTLE]
    head = text.split("\n\n", 1)[0]
    for prefix in ("kg:", "cdp:", "rel:", "doc:", "dcterms:", "skos:", "prov:", "schema:", "xsd:"):
        assert f"@prefix {prefix}" in head
    assert "@prefix kg:      <https://cdp.composablestack.ai/kg/ontology#> ." in head


def test_no_local_path_or_file_graph_name_in_any_output(full, root):
    for fmt, text in full.items():
        for leak in (str(root), "file:", "urn:kgtool:file", os.path.expanduser("~")):
            assert leak not in text, (fmt, leak)


def test_file_read_order_does_not_change_the_output(kg, root, monkeypatch):
    expected = {fmt: export(kg, fmt=fmt) for fmt in (ExportFormat.TURTLE, ExportFormat.NQUADS)}
    load_module = importlib.import_module("kgtool.load")
    original = load_module.project_files
    monkeypatch.setattr(load_module, "project_files", lambda project: list(reversed(original(project))))
    shuffled = kgtool.load(root)
    assert [f.path for f in shuffled.files] != [f.path for f in kg.files]
    for fmt, text in expected.items():
        assert export(shuffled, fmt=fmt) == text


_EXPORT_ALL = """
import hashlib, sys
from kgtool.export import export
for fmt in ("ttl", "nt", "nq", "trig", "jsonld"):
    text = export(sys.argv[1], fmt=fmt, mode="with-inferred")
    print(fmt, hashlib.sha256(text.encode()).hexdigest())
"""


def test_output_is_byte_identical_across_hash_seeds_and_working_directories(root, tmp_path):
    procs = []
    for seed, where in (("1", tmp_path / "a"), ("4242", tmp_path / "b" / "deeper")):
        where.mkdir(parents=True)
        env = {**os.environ, "PYTHONHASHSEED": seed}
        procs.append(subprocess.Popen([sys.executable, "-c", _EXPORT_ALL, str(root)], cwd=where, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(out)
    assert results[0] == results[1]
    assert len(results[0].splitlines()) == 5


def test_format_follows_the_output_extension(cli_group, root, tmp_path):
    out = tmp_path / "graph.nq"
    result = run(cli_group, "--project", str(root), "export", "-o", str(out), "--no-ontology")
    assert result.exit_code == 0, result.output
    assert set(parse(out.read_text(), ExportFormat.NQUADS)) == {str(graph_name(kgtool.load(root).project.settings.base,
                                                                               "asserted"))}
    result = run(cli_group, "--project", str(root), "export", "-o", str(tmp_path / "graph.xyz"))
    assert result.exit_code == 2 and "cannot tell the export format" in result.output


@pytest.mark.skipif(not jena_available(), reason="Jena CLI not installed")
@pytest.mark.parametrize("fmt", [ExportFormat.TURTLE, ExportFormat.NTRIPLES], ids=["ttl", "nt"])
def test_jena_riot_validates_the_full_export(full, tmp_path, fmt):
    path = tmp_path / f"full.{fmt.value}"
    path.write_text(full[fmt], encoding="utf-8")
    result = riot_validate(path)
    assert result.ok, result.output


def test_bundle_writes_every_graph_and_a_manifest(kg, tmp_path):
    from datetime import date

    manifest = write_bundle(kg, tmp_path / "release", date=date(2026, 12, 1))
    folder = tmp_path / "release"
    assert sorted(p.name for p in folder.iterdir()) == ["asserted.ttl", "inferred.ttl", "manifest.json",
                                                         "ontology.ttl", "shapes.ttl"]
    written = json.loads((folder / "manifest.json").read_text())
    assert written == manifest.to_json()
    assert written["format"] == "kgtool-bundle/1" and written["date"] == "2026-12-01"
    assert written["counts"]["nodes"] == 52 and written["counts"]["relations"] == 254
    assert written["counts"]["sources"] == 139 and written["ontology_version"]
    expected = {"ontology": kg.ontology, "shapes": kg.shapes, "asserted": kg.data,
                "inferred": kgtool.infer(kg).graph}
    for entry in written["files"]:
        content = (folder / entry["path"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
        graph = parse(content.decode(), ExportFormat.TURTLE)[""]
        assert len(graph) == entry["triples"]
        assert_isomorphic(graph, expected[entry["role"]])
        assert entry["graph"].endswith(f"/graph/{entry['role']}")
    text = (folder / "manifest.json").read_text()
    assert str(tmp_path) not in text and "file:" not in text
    again = write_bundle(kg, tmp_path / "again", date=date(2026, 12, 1))
    assert again == manifest
    assert all((folder / f).read_bytes() == (tmp_path / "again" / f).read_bytes()
               for f in ("asserted.ttl", "inferred.ttl", "ontology.ttl", "shapes.ttl", "manifest.json"))


def test_bundle_refuses_export_options_and_takes_source_date_epoch(cli_group, root, tmp_path, monkeypatch):
    result = run(cli_group, "--project", str(root), "export", "--bundle", str(tmp_path / "b"), "--format", "nt")
    assert result.exit_code == 2 and "it takes no --format" in result.stderr
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1798761600")  # 2027-01-01
    result = run(cli_group, "--project", str(root), "export", "--bundle", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["date"] == "2027-01-01"


@pytest.mark.parametrize("fmt", [ExportFormat.NQUADS, ExportFormat.TRIG], ids=["nq", "trig"])
def test_blank_nodes_of_two_graphs_stay_apart_in_a_dataset(kg, fmt):
    base = kg.project.settings.base
    parts = [ExportGraph(role, graph_name(base, role), kg.shapes) for role in ("shapes", "copy")]
    graphs = parse(render(parts, fmt), fmt)
    for part in parts:
        assert_isomorphic(graphs[str(part.name)], kg.shapes)
    labels = [{t for triple in graphs[str(p.name)] for t in triple if isinstance(t, BNode)} for p in parts]
    assert labels[0] and not labels[0] & labels[1]


def test_bundle_and_date_options_go_together(cli_group, root, tmp_path):
    result = run(cli_group, "--project", str(root), "export", "--bundle", str(tmp_path / "b"), "--with-inferred")
    assert result.exit_code == 2 and "it takes no --asserted/--with-inferred/--inferred-only" in result.stderr
    result = run(cli_group, "--project", str(root), "export", "--date", "2026-12-01")
    assert result.exit_code == 2 and "--date is for --bundle only" in result.stderr
