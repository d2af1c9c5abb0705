"""kgtool fmt: one canonical layout, comments kept or refused, never a lost or half-written file."""

from __future__ import annotations

import importlib
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef

from kgtool.errors import DataError, InputFileError, RdfSyntaxError
from kgtool.fmt import canonical_text, format_files, same_graph
from kgtool.load import parse_bytes
from kgtool.vocab import DEFAULT_BASE

fmt_module = importlib.import_module("kgtool.fmt")

MESSY = """@prefix kg:<https://cdp.composablestack.ai/kg/ontology#>.
@prefix cdp: <https://cdp.composablestack.ai/kg/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix unused: <http://example.com/unused#> .
@prefix : <https://cdp.composablestack.ai/kg/vendor.messy#> .
:fact-1 kg:text "Second in the file" ; a kg:Fact ; kg:order 1 .
cdp:vendor.messy kg:tag "zeta", "alpha" ;   dcterms:title "Messy" ;
   a kg:Vendor ; dcterms:identifier "vendor.messy" ; kg:fact :fact-1 ;
   kg:confidence 0.70 .
"""

CANONICAL = """@prefix kg: <https://cdp.composablestack.ai/kg/ontology#> .
@prefix cdp: <https://cdp.composablestack.ai/kg/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix : <https://cdp.composablestack.ai/kg/vendor.messy#> .

cdp:vendor.messy
    a kg:Vendor ;
    dcterms:identifier "vendor.messy" ;
    dcterms:title "Messy" ;
    kg:confidence 0.70 ;
    kg:tag "alpha" , "zeta" ;
    kg:fact :fact-1 .

:fact-1
    a kg:Fact ;
    kg:order 1 ;
    kg:text "Second in the file" .
"""

SECTIONS = """# A header comment, kept verbatim.
#
#   with its indentation.
@prefix kg: <https://cdp.composablestack.ai/kg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .

# ---- Zeta section ----
kg:zeta a owl:Class ; rdfs:label "zeta"@en .
kg:alpha a owl:Class .

# ---- Alpha section ----

# a second banner paragraph
kg:beta a owl:Class ; rdfs:subClassOf kg:zeta ; owl:oneOf ( kg:x kg:y ) .
kg:zeta rdfs:comment "moved up to its first section"@en .
"""




def run(group, *args):
    return CliRunner().invoke(group, list(args), catch_exceptions=False)


def graph_of(path: Path) -> Graph:
    graph = Graph()
    for triple in parse_bytes(path.read_bytes(), suffix=path.suffix, base=DEFAULT_BASE, display=path.name):
        graph.add(triple)
    return graph


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_shipped_data_and_ontology_are_in_the_canonical_layout(root):
    result = format_files(root, check=True)
    assert result.changed == [], "run `kgtool fmt` and commit: " + ", ".join(result.changed)
    assert result.files > 50


def test_fmt_rewrites_into_the_canonical_layout_and_is_idempotent(make_project, cli_group):
    project = make_project({"vendor/vendor.messy.ttl": MESSY})
    path = project / "data" / "vendor" / "vendor.messy.ttl"
    before = graph_of(path)
    result = run(cli_group, "--project", str(project), "fmt", "--check")
    assert result.exit_code == 1
    assert "data/vendor/vendor.messy.ttl" in result.stdout
    assert path.read_text() == MESSY  # --check writes nothing
    result = run(cli_group, "--project", str(project), "fmt")
    assert result.exit_code == 0, result.output
    assert path.read_text() == CANONICAL
    assert same_graph(before, graph_of(path))
    again = run(cli_group, "--project", str(project), "fmt", "--check")
    assert again.exit_code == 0 and again.stdout == ""
    assert format_files(project).changed == []


def test_header_and_banners_are_kept_and_sections_sorted(make_project):
    project = make_project()
    path = project / "ontology" / "extra.ttl"
    path.write_text(SECTIONS, encoding="utf-8")
    text, graph = canonical_text(path.read_bytes(), suffix=".ttl", role="ontology", base=DEFAULT_BASE,
                                 display="ontology/extra.ttl")
    assert text.startswith("# A header comment, kept verbatim.\n#\n#   with its indentation.\n\n@prefix kg:")
    zeta, alpha = text.index("# ---- Zeta section ----"), text.index("# ---- Alpha section ----")
    assert zeta < text.index("kg:alpha\n") < text.index("kg:zeta\n") < alpha < text.index("kg:beta\n")
    assert "# ---- Alpha section ----\n\n# a second banner paragraph\n\nkg:beta" in text
    assert "owl:oneOf ( kg:x kg:y )" in text  # an RDF list stays a list, in order
    assert 'rdfs:comment "moved up to its first section"@en' in text[zeta:alpha]
    again, _ = canonical_text(text.encode(), suffix=".ttl", role="ontology", base=DEFAULT_BASE, display="x")
    assert again == text
    assert len(graph) == len(graph_of(path))


@pytest.mark.parametrize("content, line, what", [
    ('@prefix kg: <https://cdp.composablestack.ai/kg/ontology#> .\nkg:a a kg:B ;\n  # inside\n  kg:c "d" .\n', 3,
     "inside a statement"),
    ('@prefix kg: <https://cdp.composablestack.ai/kg/ontology#> .\nkg:a a kg:B . # trailing\n', 2,
     "after a statement on the same line"),
])
def test_a_comment_that_would_be_lost_is_refused(make_project, cli_group, content, line, what):
    project = make_project({"extra.ttl": content})
    result = run(cli_group, "--project", str(project), "fmt")
    assert result.exit_code == 3
    assert f"data/extra.ttl: line {line}: a comment {what} would be lost" in result.stderr
    assert "hint:" in result.stderr and "Traceback" not in result.output
    assert (project / "data" / "extra.ttl").read_text() == content


def test_hash_signs_inside_strings_and_iris_are_not_comments(make_project):
    content = ('@prefix kg: <https://cdp.composablestack.ai/kg/ontology#> .\n\n'
               'kg:a\n    kg:text """multi\n# not a comment\nline""" , "# nor this" ;\n'
               '    kg:see <http://example.com/#frag> .\n')
    project = make_project({"extra.ttl": content})
    assert format_files(project).changed == ["data/extra.ttl"]
    assert same_graph(graph_of(project / "data" / "extra.ttl"), graph_of_text(content))


def graph_of_text(text: str) -> Graph:
    graph = Graph()
    for triple in parse_bytes(text.encode(), suffix=".ttl", base=DEFAULT_BASE, display="x"):
        graph.add(triple)
    return graph


def test_a_blank_node_in_a_data_file_is_refused(make_project):
    content = MESSY.replace('kg:confidence 0.70 .', 'kg:confidence 0.70 ; kg:fact [ kg:text "anonymous" ] .')
    project = make_project({"vendor/vendor.messy.ttl": content})
    with pytest.raises(DataError, match=r"data/vendor/vendor.messy.ttl: a data file carries a blank node"):
        format_files(project)
    assert (project / "data" / "vendor" / "vendor.messy.ttl").read_text() == content


def test_an_unserialisable_term_leaves_the_file_untouched(make_project, monkeypatch):
    # A lone surrogate: rdflib's parser accepts one and its in-place serialize then truncates the file
    # (security notes, item 3). Inject it behind the strict parser.
    project = make_project({"vendor/vendor.messy.ttl": MESSY})
    real = fmt_module.parse_bytes

    def with_surrogate(content, **kwargs):
        yield from real(content, **kwargs)
        if kwargs["display"].endswith("vendor.messy.ttl"):
            yield URIRef("https://cdp.composablestack.ai/kg/vendor.messy"), URIRef("http://example.com/p"), Literal("\ud800")
    monkeypatch.setattr(fmt_module, "parse_bytes", with_surrogate)
    with pytest.raises(DataError, match=r"data/vendor/vendor.messy.ttl: cannot write Turtle: lone surrogate"):
        format_files(project)
    assert (project / "data" / "vendor" / "vendor.messy.ttl").read_text() == MESSY


def test_a_failure_mid_write_leaves_the_original_and_no_temporary_file(make_project, monkeypatch):
    project = make_project({"vendor/vendor.messy.ttl": MESSY})
    folder = project / "data" / "vendor"
    monkeypatch.setattr(fmt_module, "_write_bytes", lambda handle, data: handle.write(data[: len(data) // 2]))
    with pytest.raises(DataError, match=r"^data/vendor/vendor.messy.ttl: the new layout does not parse back"):
        format_files(project)
    assert (folder / "vendor.messy.ttl").read_text() == MESSY
    assert leftovers(folder) == []


@pytest.mark.parametrize("target", ["fsync", "replace"])
def test_an_os_error_while_writing_leaves_the_original(make_project, monkeypatch, target):
    project = make_project({"vendor/vendor.messy.ttl": MESSY})
    folder = project / "data" / "vendor"

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(fmt_module.os, target, boom)
    with pytest.raises(InputFileError, match=r"data/vendor/vendor.messy.ttl: cannot write: No space left on device"):
        format_files(project)
    monkeypatch.undo()
    assert (folder / "vendor.messy.ttl").read_text() == MESSY
    assert leftovers(folder) == []


def test_a_read_only_file_is_refused_and_untouched(make_project, cli_group):
    project = make_project({"vendor/vendor.messy.ttl": MESSY})
    path = project / "data" / "vendor" / "vendor.messy.ttl"
    path.chmod(0o444)
    try:
        result = run(cli_group, "--project", str(project), "fmt")
        assert result.exit_code == 3
        assert "data/vendor/vendor.messy.ttl: the file is read-only" in result.stderr
        assert path.read_text() == MESSY and stat.S_IMODE(path.stat().st_mode) == 0o444
        assert run(cli_group, "--project", str(project), "fmt", "--check").exit_code == 1  # checking is fine
    finally:
        path.chmod(0o644)


def test_permissions_are_kept(make_project):
    project = make_project({"vendor/vendor.messy.ttl": MESSY})
    path = project / "data" / "vendor" / "vendor.messy.ttl"
    path.chmod(0o640)
    format_files(project)
    assert path.read_text() == CANONICAL and stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_broken_file_stops_the_run_before_anything_is_written(make_project, cli_group):
    broken = '@prefix kg: <https://cdp.composablestack.ai/kg/ontology#> .\nkg:a kg:b "unterminated .\n'
    project = make_project({"vendor/vendor.messy.ttl": MESSY, "zz-broken.ttl": broken})
    result = run(cli_group, "--project", str(project), "fmt")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: data/zz-broken.ttl:2:")
    assert (project / "data" / "vendor" / "vendor.messy.ttl").read_text() == MESSY


def test_ntriples_files_are_sorted_and_keep_their_header(make_project):
    content = ('# header\n<http://example.com/b> <http://example.com/p> "2" .\n'
               '<http://example.com/a> <http://example.com/p> "1" .\n')
    project = make_project({"extra.nt": content})
    assert format_files(project).changed == ["data/extra.nt"]
    assert (project / "data" / "extra.nt").read_text() == (
        '# header\n\n<http://example.com/a> <http://example.com/p> "1" .\n'
        '<http://example.com/b> <http://example.com/p> "2" .\n')
    assert format_files(project).changed == []


def test_paths_restrict_the_files_and_must_be_in_the_project_folders(make_project, cli_group, tmp_path):
    project = make_project({"vendor/vendor.messy.ttl": MESSY, "other.ttl": MESSY.replace("messy", "other")})
    result = format_files(project, check=True, paths=[project / "data" / "vendor"])
    assert result.changed == ["data/vendor/vendor.messy.ttl"] and result.files == 1
    result = run(cli_group, "--project", str(project), "fmt", str(project / "queries"))
    assert result.exit_code == 2 and "not under data/ or ontology/" in result.stderr
    with pytest.raises(InputFileError):
        format_files(project, paths=[tmp_path / "nowhere.ttl"])


def test_canonical_text_reports_syntax_errors_with_a_location():
    with pytest.raises(RdfSyntaxError) as info:
        canonical_text(b"<a> <b> .\n", suffix=".ttl", role="data", base=DEFAULT_BASE, display="data/x.ttl")
    assert str(info.value).startswith("data/x.ttl:1:")
