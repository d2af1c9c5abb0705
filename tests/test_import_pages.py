"""``kgtool import-pages``: node pages in the knowledge base's text layout -> Turtle node files.

The pages are copies under tests/fixtures/pages/ (the seed page and the two pages of shared/pages),
so these tests do not need /work/shared. Malformed pages are in tests/fixtures/pages/malformed/.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

import kgtool
import kgtool.pages
from kgtool.cli import KgtoolGroup
from kgtool.cli_pages import COMMANDS, import_pages as import_pages_command
from kgtool.pages import PageError, import_pages, minted_source_iri, page_graph, parse_page
from kgtool.vocab import DEFAULT_BASE, KG, SCHEMA

ROOT = Path(__file__).resolve().parents[1]
PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
MALFORMED = PAGES / "malformed"
SEED = PAGES / "org-dim.operational-profile.engineering-led-cdp.txt"
MARKETING = PAGES / "org-dim.operational-profile.marketing-led-cdp.txt"
AGENTIFICATION = PAGES / "pattern.agentification.txt"
CDP = Namespace(DEFAULT_BASE)
REL = Namespace(DEFAULT_BASE + "relation/")
DOC = Namespace(DEFAULT_BASE + "doc/")
SEED_ID = "org-dim.operational-profile.engineering-led-cdp"


@pytest.fixture
def project(make_project) -> Path:
    """A temporary project with the real ontology, queries and source registry, and no nodes."""
    return make_project({"sources.ttl": ROOT / "data" / "sources.ttl"})


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def read_node(path: Path) -> Graph:
    g = Graph()
    g.parse(path, format="turtle")
    return g


def value(g: Graph, s, p):
    found = list(g.objects(s, p))
    assert len(found) == 1, (s, p, found)
    return found[0]


def sections(g: Graph, node: URIRef) -> list[URIRef]:
    return sorted(g.objects(node, KG.section), key=lambda s: int(value(g, s, KG.order)))


def items(g: Graph, section: URIRef) -> list[str]:
    ordered = sorted(g.objects(section, KG.item), key=lambda i: int(value(g, i, KG.order)))
    assert [int(value(g, i, KG.order)) for i in ordered] == list(range(1, len(ordered) + 1))
    return [str(value(g, i, KG.text)) for i in ordered]


# ---------------------------------------------------------------------------------------------------
# Round trip of the seed page, field by field
# ---------------------------------------------------------------------------------------------------

def test_seed_round_trip(project):
    result = import_pages(project, [SEED])
    assert result.written == [f"data/org-dim/{SEED_ID}.ttl"] and result.skipped == []
    g = read_node(project / result.written[0])
    node = CDP[SEED_ID]
    assert set(g.objects(node, RDF.type)) == {KG.OrganizationDimension}
    assert value(g, node, DCTERMS.identifier) == Literal(SEED_ID)
    assert value(g, node, DCTERMS.title) == Literal("Engineering-Led CDP Operations")
    summary = str(value(g, node, DCTERMS.abstract))
    assert summary.startswith("An organization where data engineering or IT owns") and summary.endswith(
        "over marketer-self-service tools.")
    assert value(g, node, KG.nodeStatus) == KG.ExistingNode
    confidence = value(g, node, KG.confidence)
    assert confidence.datatype == XSD.decimal and Decimal(str(confidence)) == Decimal("0.85")
    assert value(g, node, KG.version) == Literal("v2")
    assert value(g, node, KG.reviewDate) == Literal("2026-06-03", datatype=XSD.date)
    assert {str(t) for t in g.objects(node, KG.tag)} == {
        "org-dim", "operational-profile", "engineering-led", "composable-cdp", "sql-first", "data-engineering",
        "reverse-etl"}

    body = sections(g, node)
    expected = [
        (KG.Introduction, None, "An organization in this operational profile has data engineering or IT"),
        (KG.DistinguishingSignal, "Distinguishing signal.", "An engineering-led CDP organization typically:"),
        (KG.Contrast, "Contrast with marketing-led CDP operations.", "In marketing-led organizations, marketing"),
        (KG.AgentBehaviour, "Agent behavior when this dimension matches.", None),
        (KG.ExternalValidation, "External validation (CMSWire, Riback April 2026).", "Organizations lacking"),
        (KG.NotApplicable, "Where this dimension does NOT apply.", "Organizations where marketing is the primary"),
        (KG.NamedVendors, "Named engineering-led CDPs (as of 2024 practitioner analysis).",
         "Adobe Experience Platform, mParticle, Segment (Twilio)."),
    ]
    assert len(body) == len(expected)
    for section, (kind, heading, text) in zip(body, expected):
        assert value(g, section, KG.sectionType) == kind
        assert (str(value(g, section, KG.heading)) if heading else None) == heading
        if text is None:
            assert list(g.objects(section, KG.text)) == []
        else:
            assert str(value(g, section, KG.text)).startswith(text)
    steps = items(g, body[3])
    assert len(steps) == 4
    assert steps[0].startswith("Surface SQL-first and data-engineering-first composable CDP options")
    assert steps[1].startswith("Frame the evaluation for data engineering audiences")
    assert steps[2].startswith("Caution against recommending marketer-self-service composable CDPs")
    assert steps[3].endswith("(Hightouch Audience Hub) for marketing's ad-hoc requests.")

    # The three relations, rationales verbatim as in the shipped seed node (curated from the same page).
    shipped = read_node(ROOT / "data" / "org-dim" / f"{SEED_ID}.ttl")
    targets = ["vendor.hightouch", "vendor.twilio-segment", "pattern.agentification"]
    assert set(g.subjects(RDF.type, KG.Relation)) == {REL[f"{SEED_ID}--enables--{t}"] for t in targets}
    for target in targets:
        rel = REL[f"{SEED_ID}--enables--{target}"]
        assert (node, KG.enables, CDP[target]) in g
        assert value(g, rel, KG.subject) == node
        assert value(g, rel, KG.relationType) == KG.enables
        assert value(g, rel, KG.object) == CDP[target]
        assert value(g, rel, KG.status) == KG.Existing
        assert value(g, rel, KG.rationale) == value(shipped, rel, KG.rationale)
    # The page's Sources section is empty: no source, and "← Referenced by" is not imported.
    assert list(g.objects(node, DCTERMS.source)) == []
    assert (node, KG.contrastsWith, CDP["org-dim.operational-profile.marketing-led-cdp"]) not in g


def _body_and_relations(page: Path) -> tuple[list[str], list[str]]:
    """The page's body paragraphs (list markers dropped) and its "This node →" entries, as written."""
    lines = [ln.strip() for ln in page.read_text(encoding="utf-8").splitlines() if ln.strip()]
    title_again = lines.index(lines[2], 3)
    body = [re.sub(r"^(•|\d+\.) ", "", ln) for ln in lines[title_again + 1: lines.index("Sources")]]
    entries = [ln[2:] for ln in lines[lines.index("This node →") + 1:] if ln.startswith("• ")]
    entries = entries[: len(entries) - sum(1 for ln in lines[lines.index("← Referenced by"):] if ln.startswith("• "))]
    return body, entries


@pytest.mark.parametrize("page", [SEED, MARKETING, AGENTIFICATION], ids=lambda p: p.stem)
def test_round_trip_reproduces_body_and_relations(project, page):
    """Every body line and every relation entry of the page can be written back from the graph, verbatim."""
    g = read_node(project / import_pages(project, [page]).written[0])
    node = next(g.subjects(KG.nodeStatus, KG.ExistingNode))
    body: list[str] = []
    for section in sections(g, node):
        heading = [str(h) for h in g.objects(section, KG.heading)]
        texts = str(next(g.objects(section, KG.text), "")).split("\n\n")
        body.append(" ".join(heading + texts[:1]).strip())
        body.extend(texts[1:])
        body.extend(items(g, section))
    names = {prop: name for name, prop in kgtool.pages.RELATION_TYPES.items()}
    entries = []
    for rel in sorted(g.subjects(RDF.type, KG.Relation), key=str):
        quals = [f"({str(q).rsplit('#', 1)[1].lower()})" for q in g.objects(rel, KG.strength)]
        quals += [f"({str(q).rsplit('#', 1)[1].lower()})" for q in g.objects(rel, KG.status) if q != KG.Existing]
        quals += [f"(unless {str(u)[len(DEFAULT_BASE):]})" for u in g.objects(rel, KG.unless)]
        notes = [f" Note: {n}" for n in g.objects(rel, SKOS.editorialNote)]
        target = str(value(g, rel, KG.object))[len(DEFAULT_BASE):]
        rationale = str(value(g, rel, KG.rationale))
        lead = names[value(g, rel, KG.relationType)] + target
        entries.append(lead + (" ".join(quals) + " " if quals else "") + rationale + "".join(notes))
    expected_body, expected_entries = _body_and_relations(page)
    assert body == expected_body
    assert sorted(entries) == sorted(expected_entries)


def test_seed_sections_match_the_shipped_node(project):
    """Headings, texts and items equal the curated seed node's, section by section."""
    import_pages(project, [SEED])
    g = read_node(project / "data" / "org-dim" / f"{SEED_ID}.ttl")
    shipped = read_node(ROOT / "data" / "org-dim" / f"{SEED_ID}.ttl")
    node = CDP[SEED_ID]
    for mine, theirs in zip(sections(g, node), sections(shipped, node), strict=True):
        for prop in (KG.sectionType, KG.order, KG.heading, KG.text):
            assert set(g.objects(mine, prop)) == set(shipped.objects(theirs, prop)), prop
        assert items(g, mine) == items(shipped, theirs)


def test_empty_sources_import_then_fail_node_source(project):
    import_pages(project, [SEED])
    report = kgtool.validate(project, rules={"node-source"}, as_of=date(2026, 11, 26))
    assert [(f.rule, f.focus) for f in report.findings] == [("node-source", str(CDP[SEED_ID]))]
    assert not report.passes()


def test_import_is_deterministic_and_loads(project, tmp_path):
    first = import_pages(project, [SEED, MARKETING, AGENTIFICATION], out_dir=tmp_path / "a")
    import_pages(project, [AGENTIFICATION, MARKETING, SEED], out_dir=tmp_path / "b")
    assert files_under(tmp_path / "a") == files_under(tmp_path / "b")
    assert sorted(files_under(tmp_path / "a")) == [
        "org-dim/org-dim.operational-profile.engineering-led-cdp.ttl",
        "org-dim/org-dim.operational-profile.marketing-led-cdp.ttl",
        "pattern/pattern.agentification.ttl"]
    assert len(first.pages) == 3
    kg = kgtool.load(project, paths=[tmp_path / "a" / "org-dim", tmp_path / "a" / "pattern"])
    assert kg.dataset is not None
    # Written in the canonical layout: `kgtool fmt --check` has nothing to change.
    import_pages(project, [SEED, MARKETING, AGENTIFICATION])
    assert kgtool.format_files(project, check=True, paths=[project / "data" / "org-dim",
                                                           project / "data" / "pattern"]).changed == []


# ---------------------------------------------------------------------------------------------------
# The two pages with sources and bullets
# ---------------------------------------------------------------------------------------------------

def test_marketing_led_page(project):
    result = import_pages(project, [MARKETING])
    g = read_node(project / result.written[0])
    node = CDP["org-dim.operational-profile.marketing-led-cdp"]
    assert value(g, node, KG.confidence) == Literal("0.80", datatype=XSD.decimal)
    assert value(g, node, KG.version) == Literal("v6")
    assert value(g, node, KG.reviewDate) == Literal("2026-11-26", datatype=XSD.date)
    body = sections(g, node)
    assert [value(g, s, KG.sectionType) for s in body] == [
        KG.Introduction, KG.DistinguishingSignal, KG.Contrast, KG.AgentBehaviour, KG.ExternalValidation,
        KG.NotApplicable, KG.Changes]
    bullets = items(g, body[1])
    assert len(bullets) == 4 and bullets[0].startswith("Has marketing operations building audiences")
    assert len(items(g, body[3])) == 5

    # 18 sources, all in the registry (data/sources.ttl): cited by their registry IRIs, none defined here.
    cited = set(g.objects(node, DCTERMS.source))
    assert len(cited) == 18 and all(str(doc).startswith(str(DOC) + "S") for doc in cited)
    registry = read_node(ROOT / "data" / "sources.ttl")
    hightouch = URIRef("https://www.hightouch.com/docs/getting-started/concepts")
    assert next(registry.subjects(SCHEMA.url, hightouch)) in cited
    assert next(registry.subjects(SCHEMA.url, node)) in cited  # the KB's own page, written cdp:... there
    assert list(g.subjects(RDF.type, KG.Source)) == []

    # Relations: qualifiers, notes, default status.
    def rel(kind, target):
        return REL[f"org-dim.operational-profile.marketing-led-cdp--{kind}--{target}"]
    assert len(set(g.subjects(RDF.type, KG.Relation))) == 14
    braze = rel("enables", "vendor.braze-decisioning-studio")
    assert value(g, braze, KG.status) == KG.Contested
    assert str(value(g, braze, KG.rationale)).startswith("Marketers set goals and guardrails")
    assert value(g, braze, SKOS.editorialNote) == Literal(
        "Braze: deployment is cross-functional and services-assisted (S61, S62).")
    segment = rel("counter-indicates", "vendor.twilio-segment")
    assert (value(g, segment, KG.strength), value(g, segment, KG.status)) == (KG.Soft, KG.Contested)
    dw = rel("requires", "org-dim.dw")
    assert (value(g, dw, KG.strength), value(g, dw, KG.status)) == (KG.Soft, KG.Existing)
    child = rel("child-of", "org-dim.operational-profile")
    assert (CDP["org-dim.operational-profile.marketing-led-cdp"], KG.childOf,
            CDP["org-dim.operational-profile"]) in g
    assert value(g, child, SKOS.editorialNote) == Literal("taxonomy-conflict")
    assert list(g.objects(rel("enables", "vendor.growthloop"), KG.strength)) == []


def test_unregistered_source_is_minted_in_the_node_file(project, tmp_path):
    page = tmp_path / "page.txt"
    registered = "https://cdp.composablestack.ai/kg/org-dim.operational-profile.marketing-led-cdp"
    url = "https://example.org/kb/some-node"
    page.write_text(MARKETING.read_text(encoding="utf-8").replace(registered, url), encoding="utf-8")
    g = read_node(project / import_pages(project, [page]).written[0])
    minted = minted_source_iri(DEFAULT_BASE, url)
    assert str(minted).startswith(str(DOC) + "url-") and minted == minted_source_iri(DEFAULT_BASE, url)
    assert minted in set(g.objects(CDP["org-dim.operational-profile.marketing-led-cdp"], DCTERMS.source))
    assert set(g.subjects(RDF.type, KG.Source)) == {minted}
    assert value(g, minted, DCTERMS.identifier) == Literal(str(minted).rsplit("/", 1)[1])
    assert value(g, minted, SCHEMA.url) == URIRef(url)
    assert value(g, minted, DCTERMS.publisher) == Literal("Composable Stack KB")
    assert value(g, minted, DCTERMS.title) == Literal("Node org-dim.operational-profile.marketing-led-cdp (90%, v5)")
    assert value(g, minted, KG.dateNote) == Literal("reviewed 2026-06-01")
    assert value(g, minted, DCTERMS.date) == Literal("2026-06-01", datatype=XSD.date)
    assert value(g, minted, KG.sourceKind) == KG.KbInternal
    assert "register it in data/sources.ttl" in str(value(g, minted, SKOS.editorialNote))


def test_agentification_page(project):
    result = import_pages(project, [AGENTIFICATION])
    assert result.written == ["data/pattern/pattern.agentification.ttl"]
    g = read_node(project / result.written[0])
    node = CDP["pattern.agentification"]
    assert set(g.objects(node, RDF.type)) == {KG.Pattern}
    body = sections(g, node)
    assert [value(g, s, KG.sectionType) for s in body] == [
        KG.Problem, KG.StrategicShift, KG.Requirements, KG.MarketEvidence, KG.AgentBehaviour,
        KG.ExternalValidation, KG.NotApplicable, KG.Changes]
    assert value(g, body[2], KG.heading) == Literal("What the pattern requires (sourced).")
    assert items(g, body[2])[3].startswith("Enough traffic.")
    assert len(set(g.objects(node, DCTERMS.source))) == 19
    assert {str(o) for o in g.objects(node, KG.requires)} == {
        str(CDP[t]) for t in ("pattern.ai-decisioning", "pattern.warehouse-native", "org-dim.de-staffing.established")}
    # Backlinks ("← Referenced by") are derived: none of them is imported.
    assert (node, KG.implements, CDP["vendor.hightouch"]) not in g
    assert len(set(g.subjects(RDF.type, KG.Relation))) == 4


def test_qualifiers_unless_needs_hard():
    page = parse_page(
        "Vendorvendor.x\nX\nAn x.\nconfidence 100%v3reviewed September 9, 2026vendor, x\nX\nIntro.\n"
        "Sources\nRelated\nThis node →\n"
        "  • counter-indicatesorg-dim.a(hard) (unless org-dim.b) (needs org-dim.c) Why (MarTech 2024).\n"
        "  • enablespattern.y(proposed) (Seed) says so.\n"
        "← Referenced by\n  • whatever is here is ignored\n", path="x.txt")
    assert str(page.confidence) == "1.00" and page.review_date == date(2026, 9, 9)
    hard, proposed = page.relations
    assert (hard.strength, hard.unless, hard.needs, hard.rationale) == ("hard", ("org-dim.b",), ("org-dim.c",),
                                                                        "Why (MarTech 2024).")
    assert (proposed.status, proposed.rationale) == ("proposed", "(Seed) says so.")
    g = page_graph(page, base=DEFAULT_BASE)
    rel = REL["vendor.x--counter-indicates--org-dim.a"]
    assert (value(g, rel, KG.unless), value(g, rel, KG.needs)) == (CDP["org-dim.b"], CDP["org-dim.c"])
    assert value(g, rel, KG.strength) == KG.Hard


# ---------------------------------------------------------------------------------------------------
# Malformed pages: located errors, nothing written
# ---------------------------------------------------------------------------------------------------

MALFORMED_CASES = [
    ("missing-id.txt", 3, "missing the kind and id line"),
    ("confidence-eighty.txt", 8, "confidence 'eighty%' is not a percentage"),
    ("bad-date.txt", 8, "review date 'Jun 31, 2026' is not a valid date"),
    ("unknown-relation.txt", 41, "unknown relation type 'supports'"),
    ("truncated.txt", 26, "the page ends before its Sources section (is the file truncated?)"),
]


@pytest.mark.parametrize(("name", "line", "message"), MALFORMED_CASES, ids=[c[0] for c in MALFORMED_CASES])
def test_malformed_page_is_located_and_nothing_is_written(project, name, line, message):
    before = files_under(project)
    with pytest.raises(PageError) as caught:
        import_pages(project, [SEED, MALFORMED / name])  # the good page is not written either
    assert [(p.path, p.line) for p in caught.value.problems] == [(str(MALFORMED / name), line)]
    assert message in caught.value.problems[0].message
    assert str(caught.value.problems[0]).startswith(f"{MALFORMED / name}:{line}: ")
    assert caught.value.exit_code == 3
    assert files_under(project) == before


def test_every_problem_is_reported(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    text = (text.replace("confidence 85%", "confidence eighty%").replace("Jun 3, 2026", "Jun 31, 2026")
            .replace("  2. Frame", "  3. Frame")
            .replace("  • enablesvendor.hightouch", "  • enablesvendor.hightouch(firm)")
            .replace("  • enablespattern.agentification", "  • enablesvendor.twilio-segmentAgain. "))
    with pytest.raises(PageError) as caught:
        parse_page(text, path="p.txt")
    assert [str(p).split(": ", 1)[0] for p in caught.value.problems] == [
        "p.txt:8", "p.txt:8", "p.txt:22", "p.txt:40", "p.txt:42"]
    messages = " | ".join(p.message for p in caught.value.problems)
    for part in ("confidence", "review date", "numbered 3, expected 2", "unknown qualifier (firm)", "listed twice"):
        assert part in messages


@pytest.mark.parametrize(("text", "message"), [
    ("", "the page is empty"),
    ("Back to agent\nVendorvendor.x\nX\n", "ends before its summary"),
    ("Patternvendor.x\nX\nS\nconfidence 1%v1reviewed Jan 1, 2026\nX\nSources\nRelated\n← Referenced by\n",
     "does not start with 'pattern.'"),
    ("Vendorvendor.x\nX\nS\nconfidence 1%v1reviewed Jan 1, 2026\nX\nI.\nSources\n  • no dash here. https://a.b\n"
     "Related\n← Referenced by\n", "cannot read this source"),
    ("Vendorvendor.x\nX\nS\nconfidence 1%v1reviewed Jan 1, 2026\nX\nI.\nSources\nRelated\nThis node →\n"
     "  • enablesvendor.y Because.\n", "ends before '← Referenced by'"),
    ("Vendorvendor.x\nX\nS\nconfidence 1%v1reviewed Jan 1, 2026\nX\n  • orphan\nSources\nRelated\n"
     "← Referenced by\n", "a list item before any section"),
])
def test_small_malformed_pages(text, message):
    with pytest.raises(PageError) as caught:
        parse_page(text, path="p.txt")
    assert any(message in p.message for p in caught.value.problems), caught.value.problems


def test_not_utf8_and_missing_files_are_located(project, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Back to agent\n\xff\n")
    with pytest.raises(PageError) as caught:
        import_pages(project, [bad, tmp_path / "nope.txt"])
    assert [str(p) for p in caught.value.problems] == [f"{bad}:2: not valid UTF-8 text",
                                                       f"{tmp_path / 'nope.txt'}: no such file"]


def test_same_node_twice_is_refused(project, tmp_path):
    copy = tmp_path / "copy.txt"
    copy.write_bytes(SEED.read_bytes())
    with pytest.raises(PageError, match="also imported from"):
        import_pages(project, [SEED, copy])


# ---------------------------------------------------------------------------------------------------
# Existing files, --force, atomic writes
# ---------------------------------------------------------------------------------------------------

def test_existing_file_is_skipped_without_force(project):
    target = project / "data" / "org-dim" / f"{SEED_ID}.ttl"
    target.parent.mkdir(parents=True)
    target.write_text("# hand-edited\n", encoding="utf-8")
    result = import_pages(project, [SEED, AGENTIFICATION])
    assert result.skipped == [f"data/org-dim/{SEED_ID}.ttl"]
    assert result.written == ["data/pattern/pattern.agentification.ttl"]
    assert target.read_text(encoding="utf-8") == "# hand-edited\n"
    forced = import_pages(project, [SEED], force=True)
    assert forced.written == [f"data/org-dim/{SEED_ID}.ttl"] and forced.skipped == []
    assert target.read_text(encoding="utf-8").startswith("@prefix kg:")
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_folder_of_pages(project, tmp_path):
    result = import_pages(project, [PAGES], out_dir=tmp_path / "out")  # *.txt only, malformed/ not included
    assert len(result.written) == 3 and all(Path(p).is_file() for p in result.written)


# ---------------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------------

@click.group(cls=KgtoolGroup)
@click.option("--project")
@click.pass_context
def _cli(ctx, project):
    ctx.obj = {"project": project}


for _command in COMMANDS:
    _cli.add_command(_command)


def run(*args: str):
    return CliRunner().invoke(_cli, list(args), catch_exceptions=False)


def test_command_writes_and_reports(project):
    assert COMMANDS == (import_pages_command,) and import_pages_command.name == "import-pages"
    result = run("--project", str(project), "import-pages", str(SEED), str(MARKETING))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"data/org-dim/{SEED_ID}.ttl",
                                          "data/org-dim/org-dim.operational-profile.marketing-led-cdp.ttl"]
    again = run("--project", str(project), "import-pages", str(SEED))
    assert again.exit_code == 1 and "use --force" in again.stderr
    assert run("--project", str(project), "import-pages", "--force", str(SEED)).exit_code == 0


def test_command_reports_every_line_and_exits_3(project, tmp_path):
    result = run("--project", str(project), "import-pages", "-o", str(tmp_path / "out"), str(SEED),
                 str(MALFORMED / "bad-date.txt"), str(MALFORMED / "unknown-relation.txt"))
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        f"error: {MALFORMED / 'bad-date.txt'}:8: review date 'Jun 31, 2026' is not a valid date such as 'Jun 3, 2026'",
        f"error: {MALFORMED / 'unknown-relation.txt'}:41: unknown relation type 'supports': use one of enables, "
        "counter-indicates, requires, contrasts-with, alternative-to, implements, part-of, child-of, superseded-by, "
        "correlates-with, cites, risk-of",
        "2 problem(s); nothing was written.",
    ]
    assert not (tmp_path / "out").exists()


def test_command_help():
    result = run("import-pages", "--help")
    assert result.exit_code == 0
    for part in ("--force", "-o, --output DIR", "Exit codes", "kg:ExistingNode"):
        assert part in result.output
