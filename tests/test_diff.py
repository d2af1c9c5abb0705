"""kgtool diff: per-node changes between two revisions of a fixture project, as folders and as git commits."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgtool.diff import DiffReport, NodeDiff, diff, render_diff
from kgtool.errors import RdfSyntaxError, UsageError

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "diff"
git_available = shutil.which("git") is not None




def run(group, *args):
    return CliRunner().invoke(group, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def report() -> DiffReport:
    return diff(FIXTURE / "old", FIXTURE / "new")


def node(report: DiffReport, ident: str) -> NodeDiff:
    return next(n for n in report.nodes if n.node.id == ident)


def fields(item) -> dict:
    return {f.name: f for f in item.fields}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=kgtool tests", "-c", "user.email=tests@example.com",
                    "-c", "commit.gpgsign=false", *args], check=True, capture_output=True)


@pytest.fixture
def repo(make_project) -> Path:
    """A git repository of the fixture project: commit 1 = old, commit 2 = new."""
    project = make_project()
    shutil.rmtree(project / "data")
    shutil.copytree(FIXTURE / "old" / "data", project / "data")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "old")
    shutil.rmtree(project / "data")
    shutil.copytree(FIXTURE / "new" / "data", project / "data")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "new")
    return project


def test_nodes_added_removed_and_changed_by_id_and_title(report):
    assert [(n.change, n.node.id) for n in report.nodes] == [
        ("changed", "org-dim.alpha"), ("removed", "vendor.gone"), ("added", "vendor.new"), ("changed", "vendor.two")]
    assert node(report, "vendor.new").node.title == "Vendor New" and node(report, "vendor.new").kind == "vendor"
    assert all(n.node.id != "vendor.one" for n in report.nodes)  # moved file, same content: nothing to report


def test_attribute_changes(report):
    alpha = fields(node(report, "org-dim.alpha"))
    assert (alpha["confidence"].old, alpha["confidence"].new) == ("85%", "75%")
    assert (alpha["version"].old, alpha["version"].new) == ("v1", "v2")
    assert (alpha["review date"].old, alpha["review date"].new) == ("2026-01-10", "2026-03-01")
    assert (alpha["tags"].added, alpha["tags"].removed) == (("c",), ("b",))
    two = fields(node(report, "vendor.two"))
    assert (two["title"].old, two["title"].new) == ("Vendor Two", "Vendor Two (renamed)")
    assert two["other names"].added == ("Two",)


def test_sources_sections_and_facts(report):
    alpha = node(report, "org-dim.alpha")
    assert [(s.id, s.title, s.url) for s in alpha.sources_added] == [("S04", "Doc four", "https://example.com/four")]
    assert alpha.sources_removed == ()
    changes = fields(alpha)
    assert (changes["section-1 text"].old, changes["section-1 text"].new) == ("Alpha, first words.", "Alpha, better words.")
    assert changes["section-2-item-2"].new == "Step two." and changes["section-2-item-2"].old is None
    assert (changes["fact-1 sources"].added, changes["fact-1 sources"].removed) == (("S04",), ("S01",))
    assert changes["fact-2"].new == "Alpha has a second fact."
    assert "section-2 items" not in changes  # the item itself is reported, not the link to it
    assert [s.id for s in node(report, "vendor.gone").sources_removed] == ["S02"]


def test_relation_changes(report):
    relations = {(r.type, r.target.id): r for r in node(report, "org-dim.alpha").relations}
    assert {k: r.change for k, r in relations.items()} == {
        ("alternative-to", "vendor.one"): "changed", ("counter-indicates", "vendor.two"): "changed",
        ("enables", "vendor.gone"): "removed", ("enables", "vendor.new"): "added",
        ("enables", "vendor.one"): "changed", ("requires", "org-dim.beta"): "added"}
    one = fields(relations[("enables", "vendor.one")])
    assert (one["rationale"].old, one["rationale"].new) == ("One fits alpha.", "One fits alpha, as its docs show.")
    assert (one["status"].old, one["status"].new) == ("existing", "contested")
    assert (fields(relations[("counter-indicates", "vendor.two")])["strength"].new) == "soft"
    assert fields(relations[("alternative-to", "vendor.one")])["qualified relation"].new == "yes"
    added = relations[("requires", "org-dim.beta")]
    assert (added.status, added.strength, added.rationale) == ("proposed", "hard", "Alpha needs beta.")


def test_source_registry(report):
    assert [(s.change, s.ref.id) for s in report.sources] == [("changed", "S01"), ("removed", "S03"), ("added", "S04")]
    title = fields(report.sources[0])["title"]
    assert (title.old, title.new) == ("Doc one", "Doc one, second edition")
    assert report.other == ()


def test_a_changed_node_whose_version_and_review_date_did_not_move_is_flagged(report):
    assert node(report, "vendor.two").warnings == ("changed, but its version (v3) and review date (2026-02-01) did not move",)
    assert node(report, "org-dim.alpha").warnings == ()
    assert report.warnings == ["vendor.two: changed, but its version (v3) and review date (2026-02-01) did not move"]


def test_renderers(report):
    text = render_diff(report, "text")
    assert "~ org-dim.alpha  Alpha  (dimension, changed)" in text and "    confidence: 85% -> 75%" in text
    assert "    ! changed, but its version (v3)" in text
    markdown = render_diff(report, "markdown")
    assert markdown.startswith("### Graph diff:")
    assert "#### Changed dimension: `org-dim.alpha` Alpha" in markdown
    assert "- **confidence**: 85% → 75%" in markdown
    assert "> **Warning:** changed, but its version (v3) and review date (2026-02-01) did not move" in markdown
    assert "| changed | enables | `vendor.one` Vendor One | contested |  | **rationale**: One fits alpha. → " in markdown
    payload = json.loads(render_diff(report, "json"))
    assert payload["format"] == "kgtool-diff/1" and payload["changed"] is True
    assert payload["summary"]["nodes_changed"] == 2 and payload["summary"]["warnings"] == 1
    assert payload["nodes"][0]["node"]["id"] == "org-dim.alpha"


@pytest.mark.skipif(not git_available, reason="git not installed")
def test_git_revisions_give_the_same_report_as_the_folders(repo, report, cli_group):
    result = run(cli_group, "--project", str(repo), "diff", "HEAD~1", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    expected = json.loads(render_diff(report, "json"))
    assert (payload["old"], payload["new"]) == ("HEAD~1", "HEAD")
    assert {k: v for k, v in payload.items() if k not in ("old", "new")} == \
        {k: v for k, v in expected.items() if k not in ("old", "new")}
    assert run(cli_group, "--project", str(repo), "diff", "HEAD~1", "HEAD", "--fail-on-change").exit_code == 1
    assert run(cli_group, "--project", str(repo), "diff", "HEAD", str(repo), "--fail-on-change").exit_code == 0


@pytest.mark.skipif(not git_available, reason="git not installed")
def test_a_project_in_a_sub_folder_of_the_repository(make_project, report, tmp_path):
    outer = tmp_path / "outer"
    project = outer / "kg"
    shutil.copytree(make_project(), project)
    shutil.rmtree(project / "data")
    shutil.copytree(FIXTURE / "old" / "data", project / "data")
    git(outer, "init", "-q")
    git(outer, "add", "-A")
    git(outer, "commit", "-q", "-m", "old")
    shutil.rmtree(project / "data")
    shutil.copytree(FIXTURE / "new" / "data", project / "data")
    assert diff("HEAD", project, project=project).summary == report.summary


@pytest.mark.skipif(not git_available, reason="git not installed")
def test_renaming_a_file_reports_nothing(repo, cli_group):
    git(repo, "mv", "data/vendor/renamed/vendor-one.ttl", "data/vendor-one-moved-again.ttl")
    git(repo, "mv", "data/sources.ttl", "data/registry.ttl")
    git(repo, "commit", "-q", "-m", "rename")
    result = run(cli_group, "--project", str(repo), "diff", "HEAD~1", "HEAD", "--fail-on-change")
    assert result.exit_code == 0, result.output
    assert result.stdout == "diff HEAD~1 -> HEAD\nno changes\n"
    assert not diff(FIXTURE / "new", repo, project=repo).changed  # the folder and the project agree


def test_markdown_to_a_file_by_extension(cli_group, tmp_path):
    out = tmp_path / "comment.md"
    result = run(cli_group, "diff", str(FIXTURE / "old"), str(FIXTURE / "new"), "-o", str(out))
    assert result.exit_code == 0 and out.read_text().startswith("### Graph diff:")


def test_seed_verbatim_against_the_shipped_seed_node(root):
    report = diff(root / "tests" / "fixtures" / "seed-verbatim.ttl",
                  root / "data" / "org-dim" / "org-dim.operational-profile.engineering-led-cdp.ttl", project=root)
    seed = node(report, "org-dim.operational-profile.engineering-led-cdp")
    assert seed.change == "changed" and seed.node.title == "Engineering-Led CDP Operations"
    assert seed.warnings == ("changed, but its version (v2) and review date (2026-06-03) did not move",)
    assert {s.id for s in seed.sources_added} >= {"S123", "S124"}
    added = {(r.type, r.target.id) for r in seed.relations if r.change == "added"}
    assert {("enables", "vendor.mparticle"), ("enables", "vendor.fivetran-activations"),
            ("counter-indicates", "vendor.growthloop")} <= added
    assert {r.target.id for r in seed.relations if r.change == "changed"} == {
        "pattern.agentification", "vendor.hightouch", "vendor.twilio-segment"}


def test_errors_name_the_side(cli_group, make_project, root):
    result = run(cli_group, "--project", str(root), "diff", "HEAD", "no-such-revision")
    assert result.exit_code == 2 and "'no-such-revision' is neither a path nor a git revision" in result.stderr
    with pytest.raises(UsageError):
        diff("--output=x", str(FIXTURE / "new"), project=root)
    project = make_project({"broken.ttl": "<a> <b> .\n"})
    with pytest.raises(RdfSyntaxError, match=r"broken.ttl:1:"):
        diff(project, FIXTURE / "new")


def test_resources_outside_nodes_relations_and_sources_are_reported_by_iri():
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDFS

    from kgtool.diff import compare

    thing = URIRef("https://cdp.composablestack.ai/kg/misc/thing")
    old, new = Graph(), Graph()
    old.add((thing, RDFS.label, Literal("before")))
    new.add((thing, RDFS.label, Literal("after")))
    report = compare(old, new)
    assert [(o.change, o.ref.id) for o in report.other] == [("changed", "misc/thing")]
    assert (report.other[0].fields[0].name, report.other[0].fields[0].new) == ("rdfs:label", "after")
    assert report.nodes == () and report.changed
