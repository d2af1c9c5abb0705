"""One-off: build data/ from the researched domain records (shared/domain/cdp-domain.json) and the
node pages (shared/seed, shared/pages). Kept for provenance; data/ is now edited by hand and this
script is not part of kgtool. Run: python tools/bootstrap_data.py SHARED_DIR PROJECT_DIR
"""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from kgtool.turtle import serialize  # noqa: E402
from kgtool.vocab import DEFAULT_BASE, KG, NODE_CLASSES, RELATION_TYPES, SCHEMA  # noqa: E402

CDP = Namespace(DEFAULT_BASE)
DOC = Namespace(DEFAULT_BASE + "doc/")
REL = Namespace(DEFAULT_BASE + "relation/")

KIND_DIR = {"org-dim": "org-dim", "vendor": "vendor", "pattern": "pattern", "source": "source-node"}
NODE_STATUS = {"seed": KG.SeedNode, "existing-kb": KG.ExistingNode, "new": KG.NewNode, "alias": KG.AliasNode}
REL_STATUS = {"existing": KG.Existing, "proposed": KG.Proposed, "contested": KG.Contested}
STRENGTH = {"hard": KG.Hard, "soft": KG.Soft}
SOURCE_KIND = {
    "vendor-doc": KG.VendorDoc, "vendor-blog": KG.VendorBlog, "vendor-pov": KG.VendorPov,
    "filing": KG.Filing, "third-party": KG.ThirdParty, "community": KG.Community, "kb-internal": KG.KbInternal,
}
COMPANIES = {"company.rokt": "Rokt", "company.uniphore": "Uniphore", "company.braze": "Braze",
             "company.fivetran": "Fivetran", "company.contentstack": "Contentstack"}
SECTION_HEADINGS = [
    ("Distinguishing signal", KG.DistinguishingSignal),
    ("Contrast with", KG.Contrast),
    ("Agent behavior when", KG.AgentBehaviour),
    ("External validation", KG.ExternalValidation),
    ("Where this", KG.NotApplicable),
    ("Named ", KG.NamedVendors),
    ("Problem.", KG.Problem),
    ("Strategic shift.", KG.StrategicShift),
    ("What the pattern requires", KG.Requirements),
    ("Market evidence", KG.MarketEvidence),
    ("Changes from", KG.Changes),
]
PAGE_META = re.compile(r"^confidence (\d+)%v(\d+)reviewed ([A-Z][a-z]{2} \d{1,2}, \d{4})(.*)$")
RELATED = re.compile(r"^  • ([a-z-]+?)((?:org-dim|vendor|pattern|source)\.[a-z0-9.\-]+?[a-z0-9])((?:\(.*?\) )*)([A-Z'\"].*)$")


def parse_page(path: Path) -> dict:
    """Read a node page in the knowledge base's text layout (see shared/seed)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [ln for ln in lines if ln.strip() != ""]
    node_id = re.sub(r"^(Organization Dimension|Pattern|Vendor|Source)", "", lines[1]).strip()
    title, summary = lines[2], lines[3]
    meta = PAGE_META.match(lines[4])
    assert meta, lines[4]
    confidence = int(meta.group(1))
    version = "v" + meta.group(2)
    reviewed = datetime.strptime(meta.group(3), "%b %d, %Y").date().isoformat()
    tags = [t.strip() for t in meta.group(4).split(",")]
    assert lines[5] == title
    sections: list[dict] = []
    i = 6
    while lines[i] != "Sources":
        line = lines[i]
        stripped = line.strip()
        bullet = re.match(r"^\s+(?:•|(\d+)\.) (.*)$", line)
        if bullet and not stripped.startswith("External validation"):
            sections[-1]["items"].append(bullet.group(2))
        else:
            kind = KG.Introduction if not sections else None
            heading = None
            for prefix, section_type in SECTION_HEADINGS:
                if stripped.startswith(prefix):
                    kind = section_type
                    m = re.match(r"^(.*?\.)(?:\s+(.*))?$", stripped) if not stripped.startswith("External validation") \
                        else re.match(r"^(External validation(?: \(.*?\))?\.)\s*(.*)$", stripped)
                    heading, rest = m.group(1), (m.group(2) or "")
                    break
            assert kind is not None, f"{path}: cannot place line {line!r}"
            sections.append({"type": kind, "heading": heading, "text": rest if heading else stripped, "items": []})
        i += 1
    related = []
    for line in lines[i:]:
        m = RELATED.match(line)
        if m and "← Referenced by" not in line:
            related.append((m.group(1), m.group(2), m.group(4)))
        if line.startswith("← Referenced by"):
            break
    return {"id": node_id, "title": title, "summary": summary, "confidence": confidence, "version": version,
            "reviewed": reviewed, "tags": tags, "sections": sections, "related": related}


def kind_of(node_id: str) -> str:
    return node_id.split(".", 1)[0]


def lit(value: str) -> Literal:
    return Literal(value)


def source_date(graph: Graph, doc: URIRef, text: str) -> None:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        graph.add((doc, DCTERMS.issued, Literal(text, datatype=XSD.date)))
        return
    if re.fullmatch(r"\d{4}", text):
        graph.add((doc, DCTERMS.issued, Literal(text, datatype=XSD.gYear)))
        return
    graph.add((doc, KG.dateNote, lit(text)))
    found = re.search(r"\d{4}-\d{2}-\d{2}", text)
    if found:
        prop = DCTERMS.modified if re.search(r"modified|updated", text, re.I) else DCTERMS.date
        graph.add((doc, prop, Literal(found.group(0), datatype=XSD.date)))


def main(shared: Path, project: Path) -> None:
    domain = json.loads((shared / "domain" / "cdp-domain.json").read_text(encoding="utf-8"))
    pages = {p["id"]: p for p in (parse_page(f) for f in sorted((shared / "pages").glob("*.txt")))}
    seed = parse_page(next((shared / "seed").glob("*.txt")))
    pages[seed["id"]] = seed
    data = project / "data"

    # Sources registry -------------------------------------------------------------------------
    sources = Graph()
    for sid, src in sorted(domain["sources"].items()):
        doc = DOC[sid]
        sources.add((doc, RDF.type, KG.Source))
        sources.add((doc, DCTERMS.identifier, lit(sid)))
        sources.add((doc, DCTERMS.title, lit(src["title"])))
        sources.add((doc, DCTERMS.publisher, lit(src["publisher"])))
        sources.add((doc, SCHEMA.url, URIRef(src["url"])))
        sources.add((doc, KG.sourceKind, SOURCE_KIND[src["kind"]]))
        source_date(sources, doc, src["date"])
    (data / "sources.ttl").write_text(serialize(sources, source="data/sources.ttl"), encoding="utf-8")

    edges_by_subject: dict[str, list[dict]] = {}
    for edge in domain["edges"]:
        edges_by_subject.setdefault(edge["subject"], []).append(edge)

    for node in domain["nodes"]:
        nid = node["id"]
        page = pages.get(nid)
        iri = CDP[nid]
        local = Namespace(str(iri) + "#")
        g = Graph()
        g.add((iri, RDF.type, NODE_CLASSES[kind_of(nid)]))
        g.add((iri, DCTERMS.identifier, lit(nid)))
        g.add((iri, DCTERMS.title, lit(page["title"] if page else node["title"])))
        g.add((iri, DCTERMS.abstract, lit(page["summary"] if page else node["summary"])))
        g.add((iri, KG.nodeStatus, NODE_STATUS[node["status"]]))
        notes = list(node["issues"])
        if page:
            confidence = f"{page['confidence'] / 100:.2f}"
            version, reviewed, tags = page["version"], page["reviewed"], page["tags"]
        else:
            confidence = f"{node['confidence']:.2f}"
            version_match = re.match(r"^(v\d+)", node["version"])
            version = version_match.group(1) if version_match else "v1"
            if not version_match:
                notes.append(f"The published knowledge base gives no version ({node['version']}); numbered v1 here.")
            reviewed_match = re.match(r"^(\d{4}-\d{2}-\d{2})", node["reviewed"])
            reviewed = reviewed_match.group(1) if reviewed_match else domain["generated"]
            if not reviewed_match:
                notes.append(f"The published knowledge base gives no review date; reviewed by the research of {domain['generated']}.")
            tags = node["tags"]
        rationale = node["confidence_rationale"]
        if nid == seed["id"]:
            rationale = ("Kept at the seed page's 85% for fidelity with the published page. The research of "
                         "2026-11-26 suggests 75% until the open issues are fixed: " + rationale)
        g.add((iri, KG.confidence, Literal(confidence, datatype=XSD.decimal)))
        g.add((iri, KG.confidenceRationale, lit(rationale)))
        g.add((iri, KG.version, lit(version)))
        g.add((iri, KG.reviewDate, Literal(reviewed, datatype=XSD.date)))
        for tag in tags:
            g.add((iri, KG.tag, lit(tag)))
        for alias in node["aliases"]:
            if re.match(r"^(vendor|org-dim|pattern)\.", alias):
                g.add((iri, KG.alias, lit(alias.split(" ")[0])))
            else:
                g.add((iri, SKOS.altLabel, lit(alias)))
        if kind_of(nid) == "vendor":
            title = node["title"]
            short = title.split(" (")[0]
            for name in short.split(" / "):
                if name != title:
                    g.add((iri, SKOS.altLabel, lit(name)))
        for note in notes:
            g.add((iri, SKOS.editorialNote, lit(note)))
        for sid in node["sources"]:
            g.add((iri, DCTERMS.source, DOC[sid]))
        for index, fact in enumerate(node["facts"], start=1):
            f = local[f"fact-{index}"]
            g.add((iri, KG.fact, f))
            g.add((f, RDF.type, KG.Fact))
            g.add((f, KG.order, Literal(index)))
            g.add((f, KG.text, lit(fact["text"])))
            for sid in fact["sources"]:
                g.add((f, DCTERMS.source, DOC[sid]))
        if page:
            for index, section in enumerate(page["sections"], start=1):
                s = local[f"section-{index}"]
                g.add((iri, KG.section, s))
                g.add((s, RDF.type, KG.BodySection))
                g.add((s, KG.sectionType, section["type"]))
                g.add((s, KG.order, Literal(index)))
                if section["heading"]:
                    g.add((s, KG.heading, lit(section["heading"])))
                if section["text"]:
                    g.add((s, KG.text, lit(section["text"])))
                for n, item in enumerate(section["items"], start=1):
                    it = local[f"section-{index}-item-{n}"]
                    g.add((s, KG.item, it))
                    g.add((it, RDF.type, KG.ListItem))
                    g.add((it, KG.order, Literal(n)))
                    g.add((it, KG.text, lit(item)))
                if section["type"] == KG.DistinguishingSignal and not section["items"]:
                    g.add((s, SKOS.editorialNote, lit(
                        "The published page shows this lead-in without its list: the items are missing from the page.")))
        page_rationales = {(t, o): r for t, o, r in (page["related"] if page else [])}
        company_facts = 0
        for edge in edges_by_subject.get(nid, []):
            if edge["object"] in COMPANIES:
                company = COMPANIES[edge["object"]]
                company_facts += 1
                f = local["parent-organization"]
                g.add((iri, SCHEMA.parentOrganization, lit(company)))
                g.add((iri, KG.fact, f))
                g.add((f, RDF.type, KG.Fact))
                g.add((f, KG.order, Literal(len(node["facts"]) + company_facts)))
                g.add((f, KG.text, lit(f"Part of {company}. {edge['rationale']}")))
                for sid in edge["evidence"]:
                    g.add((f, DCTERMS.source, DOC[sid]))
                continue
            prop = RELATION_TYPES[edge["type"]]
            target = CDP[edge["object"]]
            r = REL[f"{nid}--{edge['type']}--{edge['object']}"]
            g.add((iri, prop, target))
            g.add((r, RDF.type, KG.Relation))
            g.add((r, KG.subject, iri))
            g.add((r, KG.relationType, prop))
            g.add((r, KG.object, target))
            text = edge["rationale"]
            verbatim = page_rationales.get((edge["type"], edge["object"]))
            if nid == seed["id"] and verbatim:
                if verbatim != text:
                    g.add((r, SKOS.editorialNote, lit(f"Research rewording of the seed rationale: {text}")))
                text = verbatim
            g.add((r, KG.rationale, lit(text)))
            if edge["strength"]:
                g.add((r, KG.strength, STRENGTH[edge["strength"]]))
            for u in edge["unless"]:
                g.add((r, KG.unless, CDP[u]))
            for n in edge["needs"]:
                g.add((r, KG.needs, CDP[n]))
            g.add((r, KG.status, REL_STATUS[edge["status"]]))
            for sid in edge["evidence"]:
                g.add((r, KG.evidence, DOC[sid]))
            if edge["note"]:
                g.add((r, SKOS.editorialNote, lit(edge["note"])))
        out = data / KIND_DIR[kind_of(nid)] / f"{nid}.ttl"
        out.parent.mkdir(parents=True, exist_ok=True)
        rel_path = out.relative_to(project).as_posix()
        out.write_text(serialize(g, local_namespace=str(local), source=rel_path), encoding="utf-8")

    # Report page/domain differences for the record.
    for nid, page in pages.items():
        known = {(e["type"], e["object"]) for e in edges_by_subject.get(nid, [])}
        for t, o, _ in page["related"]:
            if (t, o) not in known:
                print(f"page {nid}: related {t} {o} not in domain edges")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
