"""Node pages in the knowledge base's text layout -> Turtle node files.

A page (see ``tests/fixtures/pages/``) reads, one paragraph per line, blank lines ignored::

    Back to agent                                     (optional)
    Organization Dimensionorg-dim.x.y                 kind label glued to the node id
    Title
    Summary
    confidence 85%v2reviewed Jun 3, 2026tag-a, tag-b
    Title                                             (the body starts with the title again)
    Introduction paragraph
    Distinguishing signal. Lead-in text               a section: known heading, then its text
      • bullet item / 1. numbered item                list items of the section above
    ...
    Sources
      • Publisher — Title (date). https://url
    Related
    This node →
      • enablesvendor.hightouch(soft) (contested) (unless org-dim.z) Rationale. Note: editorial note
    ← Referenced by                                   everything from here on is derived and ignored

A paragraph that opens no known section continues the section above (joined with a blank line); the
first paragraph of the body without a heading is the introduction.

:func:`parse_page` reads one page into a :class:`Page` (every problem located as ``file:line``),
:func:`page_graph` turns it into the node's graph, and :func:`import_pages` parses and checks every
page first and writes the node files only when all of them are sound (atomically, one file each).
Imported nodes get ``kg:nodeStatus kg:ExistingNode`` (they exist in the published knowledge base),
relations ``kg:Existing`` unless a qualifier says otherwise.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from .errors import DataError, InputFileError, KgtoolError
from .load import parse_bytes
from .project import Project, find_project
from .render import write_output
from .turtle import check_iri, serialize
from .vocab import KG, NODE_CLASSES, RELATION_TYPES, SCHEMA, relation_iri

__all__ = ["ImportResult", "ListItem", "Page", "PageError", "PageProblem", "PageRelation", "PageSection",
           "PageSource", "import_pages", "minted_source_iri", "page_graph", "parse_page"]

# Kind label on the id line -> the id's prefix; the data folder of each kind.
KIND_LABELS = {"Organization Dimension": "org-dim", "Vendor": "vendor", "Pattern": "pattern",
               "Source Node": "source", "Source": "source"}
KIND_DIRS = {"org-dim": "org-dim", "vendor": "vendor", "pattern": "pattern", "source": "source-node"}

# Section headings (how a paragraph starts) -> section type notation; first match wins.
SECTION_HEADINGS: tuple[tuple[str, str], ...] = (
    ("Distinguishing signal", "distinguishing-signal"),
    ("Contrast with", "contrast"),
    ("Agent behavior when", "agent-behaviour"),
    ("Agent behaviour when", "agent-behaviour"),
    ("External validation", "external-validation"),
    ("Where this", "not-applicable"),
    ("Named ", "named-vendors"),
    ("Problem.", "problem"),
    ("Strategic shift.", "strategic-shift"),
    ("What the pattern requires", "requirements"),
    ("Market evidence", "market-evidence"),
    ("Changes from", "changes"),
)
SECTION_TYPES = {
    "introduction": KG.Introduction, "distinguishing-signal": KG.DistinguishingSignal, "contrast": KG.Contrast,
    "agent-behaviour": KG.AgentBehaviour, "external-validation": KG.ExternalValidation,
    "not-applicable": KG.NotApplicable, "named-vendors": KG.NamedVendors, "problem": KG.Problem,
    "strategic-shift": KG.StrategicShift, "requirements": KG.Requirements, "market-evidence": KG.MarketEvidence,
    "changes": KG.Changes,
}
STATUSES = {"existing": KG.Existing, "proposed": KG.Proposed, "contested": KG.Contested}
STRENGTHS = {"hard": KG.Hard, "soft": KG.Soft}

_ID = r"(?:org-dim|vendor|pattern|source)\.[a-z0-9-]+(?:\.[a-z0-9-]+)*"
_KIND_LINE = re.compile(r"^(?P<label>" + "|".join(sorted(KIND_LABELS, key=len, reverse=True)) + r")\s*(?P<id>\S*)$")
_NODE_ID = re.compile(rf"^{_ID}$")
_META = re.compile(r"^confidence\s*(?P<conf>.*?)\s*v(?P<version>\d+)\s*reviewed\s*"
                   r"(?P<date>[A-Za-z]+\.? \d{1,2}, \d{4}|\S+)(?P<tags>.*)$")
_PERCENT = re.compile(r"^(\d{1,3})\s*%$")
_BULLET = re.compile(r"^\s*(?:(?P<bullet>•)|(?P<number>\d+)\.)\s+(?P<text>.*)$")
_SOURCE = re.compile(r"^(?P<rest>.*?)\.\s+(?P<url>https?://\S+)$")
_RELATION = re.compile(rf"^(?P<type>[a-z]+(?:-[a-z]+)*?)(?P<target>{_ID})(?P<rest>.*)$")
_QUALIFIER = re.compile(r"^\((?P<q>[^()]*)\)\s*")
_CONDITION = re.compile(rf"^(?P<kind>unless|needs)\s+(?P<id>{_ID})$")
_DASH = " — "
_NOTE = " Note: "


# ---------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PageProblem:
    """One line that could not be understood: ``path:line: message``."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class PageError(KgtoolError):
    """Pages that cannot be imported; ``problems`` lists every located problem (exit 3, nothing written)."""

    def __init__(self, problems: Sequence[PageProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems),
                         hint="nothing was written: fix the lines above and run again")


# ---------------------------------------------------------------------------------------------------
# The page, typed
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ListItem:
    order: int
    text: str
    line: int


@dataclass(frozen=True)
class PageSection:
    """A body section: its type notation (``agent-behaviour``...), heading, text and list items."""

    order: int
    type: str
    heading: str | None
    text: str
    items: tuple[ListItem, ...]
    line: int


@dataclass(frozen=True)
class PageSource:
    """A Sources line: ``Publisher — Title (date). URL``; ``date`` as the page writes it."""

    publisher: str
    title: str
    date: str | None
    url: str
    line: int


@dataclass(frozen=True)
class PageRelation:
    """An entry of the "This node →" list."""

    type: str
    target: str
    rationale: str
    status: str = "existing"
    strength: str | None = None
    unless: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    note: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Page:
    path: str
    id: str
    kind: str
    title: str
    summary: str
    confidence: Decimal
    version: str
    review_date: date
    tags: tuple[str, ...]
    sections: tuple[PageSection, ...]
    sources: tuple[PageSource, ...]
    relations: tuple[PageRelation, ...]


# ---------------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------------

@dataclass
class _Reader:
    path: str
    lines: list[tuple[int, str]]
    problems: list[PageProblem] = field(default_factory=list)
    pos: int = 0

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(PageProblem(self.path, line, message))

    def peek(self) -> tuple[int, str] | None:
        return self.lines[self.pos] if self.pos < len(self.lines) else None

    def take(self, what: str) -> tuple[int, str] | None:
        found = self.peek()
        if found is None:
            last = self.lines[-1][0] if self.lines else 1
            self.problem(last, f"the page ends before its {what} (is the file truncated?)")
            return None
        self.pos += 1
        return found

    def last_line(self) -> int:
        return self.lines[-1][0] if self.lines else 1


def parse_page(text: str, *, path: str | Path) -> Page:
    """Read one node page; raise :class:`PageError` listing every line it could not understand.

    >>> page = parse_page(
    ...     "Vendorvendor.x\\nX\\nAn x.\\nconfidence 80%v1reviewed Jan 2, 2026vendor\\nX\\nIntro.\\n"
    ...     "Sources\\nRelated\\nThis node →\\n  • enablespattern.yBecause.\\n← Referenced by\\n", path="x.txt")
    >>> page.id, str(page.confidence), page.review_date.isoformat(), page.relations[0].target
    ('vendor.x', '0.80', '2026-01-02', 'pattern.y')
    """
    shown = str(path)
    lines = [(n, line.rstrip()) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    r = _Reader(shown, lines)
    if not lines:
        r.problem(1, "the page is empty")
        raise PageError(r.problems)
    if r.peek()[1].strip() == "Back to agent":
        r.pos += 1
    node_id, kind = _parse_id_line(r)
    title = (r.take("title") or (0, ""))[1].strip()
    summary = (r.take("summary") or (0, ""))[1].strip()
    confidence, version, reviewed, tags = _parse_meta(r)
    found = r.peek()
    if found is not None and found[1].strip() == title:
        r.pos += 1
    elif found is not None and not found[1].strip().startswith(("Sources",)):
        r.problem(found[0], f"expected the body to start with the title again ({title!r}); "
                            f"found {found[1].strip()[:60]!r}")
    sections = _parse_body(r)
    sources = _parse_sources(r)
    relations = _parse_related(r)
    if r.problems:
        raise PageError(r.problems)
    return Page(path=shown, id=node_id, kind=kind, title=title, summary=summary, confidence=confidence,
                version=version, review_date=reviewed, tags=tags, sections=sections, sources=sources,
                relations=relations)


def _parse_id_line(r: _Reader) -> tuple[str, str]:
    found = r.peek()
    if found is None:
        r.take("id line")
        return "", ""
    number, line = found
    m = _KIND_LINE.match(line.strip())
    if not m:  # missing: leave the line for the title
        r.problem(number, "missing the kind and id line, such as 'Organization Dimensionorg-dim.x' or "
                          "'Vendorvendor.x' (the page's second line)")
        return "", ""
    r.pos += 1
    kind = KIND_LABELS[m.group("label")]
    node_id = m.group("id")
    if not node_id:
        r.problem(number, f"the kind line {line.strip()!r} has no node id after the kind")
    elif not _NODE_ID.match(node_id):
        r.problem(number, f"{node_id!r} is not a node id (lowercase, such as '{kind}.name')")
    elif node_id.split(".", 1)[0] != kind:
        r.problem(number, f"the id {node_id!r} does not start with {kind + '.'!r}, the prefix of a "
                          f"{m.group('label')!r} page")
    return node_id, kind


def _parse_meta(r: _Reader) -> tuple[Decimal, str, date, tuple[str, ...]]:
    found = r.take("confidence, version and review date line")
    zero = (Decimal(0), "", date.min, ())
    if found is None:
        return zero
    number, line = found
    m = _META.match(line.strip())
    if not m:
        r.problem(number, "expected 'confidence NN%vNreviewed Mon D, YYYY' followed by the tags; "
                          f"found {line.strip()[:60]!r}")
        return zero
    confidence = Decimal(0)
    pm = _PERCENT.match(m.group("conf"))
    if not pm or int(pm.group(1)) > 100:
        r.problem(number, f"confidence {m.group('conf')!r} is not a percentage from 0% to 100% such as 85%")
    else:
        confidence = (Decimal(int(pm.group(1))) / 100).quantize(Decimal("0.01"))
    reviewed = date.min
    text = m.group("date")
    for fmt in ("%b %d, %Y", "%B %d, %Y"):
        try:
            reviewed = datetime.strptime(text, fmt).date()
            break
        except ValueError:
            continue
    else:
        r.problem(number, f"review date {text!r} is not a valid date such as 'Jun 3, 2026'")
    tags = tuple(t.strip() for t in m.group("tags").split(",") if t.strip())
    return confidence, "v" + m.group("version"), reviewed, tags


def _heading(line: str) -> tuple[str, str, str] | None:
    """(section type, heading, text) when the paragraph opens a known section."""
    for prefix, notation in SECTION_HEADINGS:
        if line.startswith(prefix):
            depth = 0
            for index, ch in enumerate(line):
                if ch == "(":
                    depth += 1
                elif ch == ")":
                    depth = max(depth - 1, 0)
                elif ch == "." and depth == 0 and (index + 1 == len(line) or line[index + 1] == " "):
                    return notation, line[: index + 1], line[index + 1:].strip()
            return notation, line, ""
    return None


def _parse_body(r: _Reader) -> tuple[PageSection, ...]:
    raw: list[dict] = []
    while True:
        found = r.peek()
        if found is None:
            r.problem(r.last_line(), "the page ends before its Sources section (is the file truncated?)")
            break
        number, line = found
        stripped = line.strip()
        if stripped == "Sources":
            break
        r.pos += 1
        bullet = _BULLET.match(line)
        if bullet:
            if not raw:
                r.problem(number, "a list item before any section")
                continue
            items = raw[-1]["items"]
            if bullet.group("number") and int(bullet.group("number")) != len(items) + 1:
                r.problem(number, f"list item numbered {bullet.group('number')}, expected {len(items) + 1}")
            items.append(ListItem(order=len(items) + 1, text=bullet.group("text").strip(), line=number))
            continue
        opened = _heading(stripped)
        if opened:
            raw.append({"type": opened[0], "heading": opened[1], "text": opened[2], "items": [], "line": number})
        elif not raw:
            raw.append({"type": "introduction", "heading": None, "text": stripped, "items": [], "line": number})
        else:  # a further paragraph of the section above
            section = raw[-1]
            section["text"] = f"{section['text']}\n\n{stripped}" if section["text"] else stripped
    return tuple(PageSection(order=i, type=s["type"], heading=s["heading"], text=s["text"], items=tuple(s["items"]),
                             line=s["line"]) for i, s in enumerate(raw, start=1))


def _parse_sources(r: _Reader) -> tuple[PageSource, ...]:
    if r.peek() is None:
        return ()
    r.pos += 1  # "Sources"
    sources: list[PageSource] = []
    while True:
        found = r.peek()
        if found is None:
            r.problem(r.last_line(), "the page ends before its Related section (is the file truncated?)")
            break
        number, line = found
        if line.strip() == "Related":
            break
        r.pos += 1
        bullet = _BULLET.match(line)
        source = _parse_source(bullet.group("text").strip(), number) if bullet and bullet.group("bullet") else None
        if source is None:
            r.problem(number, "cannot read this source: expected '  • Publisher — Title (date). https://...'")
        else:
            try:
                check_iri(source.url)
            except ValueError as exc:
                r.problem(number, f"the source URL is not a valid IRI: {exc}")
                continue
            sources.append(source)
    return tuple(sources)


def _parse_source(text: str, number: int) -> PageSource | None:
    m = _SOURCE.match(text)
    if not m or _DASH not in m.group("rest"):
        return None
    publisher, _, rest = m.group("rest").partition(_DASH)
    when = None
    if rest.endswith(")"):  # the last balanced parenthesis is the date
        depth = 0
        for index in range(len(rest) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(rest[index], 0)
            if depth == 0:
                when, rest = rest[index + 1:-1].strip(), rest[:index].strip()
                break
    if not publisher.strip() or not rest.strip():
        return None
    return PageSource(publisher=publisher.strip(), title=rest.strip(), date=when or None, url=m.group("url"),
                      line=number)


def _parse_related(r: _Reader) -> tuple[PageRelation, ...]:
    if r.peek() is None:
        return ()
    r.pos += 1  # "Related"
    relations: list[PageRelation] = []
    seen: dict[tuple[str, str], int] = {}
    in_list = False
    while True:
        found = r.peek()
        if found is None:
            r.problem(r.last_line(), "the page ends before '← Referenced by' (is the file truncated?)")
            break
        number, line = found
        stripped = line.strip()
        if stripped.startswith("← Referenced by"):
            break  # derived backlinks: ignored
        r.pos += 1
        if stripped == "This node →":
            in_list = True
            continue
        bullet = _BULLET.match(line)
        if not in_list or not bullet or not bullet.group("bullet"):
            r.problem(number, "expected 'This node →' and then '  • <type><node id><rationale>' entries")
            continue
        relation = _parse_relation(r, bullet.group("text").strip(), number)
        if relation is None:
            continue
        key = (relation.type, relation.target)
        if key in seen:
            r.problem(number, f"{relation.type} {relation.target} is listed twice (first on line {seen[key]})")
            continue
        seen[key] = number
        relations.append(relation)
    return tuple(relations)


def _parse_relation(r: _Reader, text: str, number: int) -> PageRelation | None:
    m = _RELATION.match(text)
    if not m:
        r.problem(number, "cannot read this relation: expected '<type><node id><rationale>', such as "
                          "'enablesvendor.hightouchBecause ...'")
        return None
    rel_type, target, rest = m.group("type"), m.group("target"), m.group("rest").strip()
    ok = True
    if rel_type not in RELATION_TYPES:
        r.problem(number, f"unknown relation type {rel_type!r}: use one of " + ", ".join(RELATION_TYPES))
        ok = False
    status, strength, unless, needs = None, None, [], []
    while (q := _QUALIFIER.match(rest)) is not None:
        word = q.group("q").strip()
        condition = _CONDITION.match(word)
        if word in STATUSES:
            if status not in (None, word):
                r.problem(number, f"two statuses: ({status}) and ({word})")
                ok = False
            status = word
        elif word in STRENGTHS:
            if strength not in (None, word):
                r.problem(number, f"two strengths: ({strength}) and ({word})")
                ok = False
            strength = word
        elif condition:
            (unless if condition.group("kind") == "unless" else needs).append(condition.group("id"))
        elif re.fullmatch(r"[a-z-]+", word):
            r.problem(number, f"unknown qualifier ({word}): use (soft), (hard), (contested), (proposed), "
                              "(existing), (unless <node id>) or (needs <node id>)")
            ok = False
        else:
            break  # a parenthesis that belongs to the rationale
        rest = rest[q.end():]
    rationale, _, note = rest.strip().partition(_NOTE)
    if not ok:
        return None
    return PageRelation(type=rel_type, target=target, rationale=rationale.strip(), status=status or "existing",
                        strength=strength, unless=tuple(unless), needs=tuple(needs), note=note.strip() or None,
                        line=number)


# ---------------------------------------------------------------------------------------------------
# Page -> graph
# ---------------------------------------------------------------------------------------------------

def minted_source_iri(base: str, url: str) -> URIRef:
    """The IRI of a page source that the registry (data/sources.ttl) lacks: ``<base>doc/url-<hash>``.

    >>> str(minted_source_iri("https://ex.org/kg/", "https://a.example/doc"))
    'https://ex.org/kg/doc/url-72eb70e4ff09'
    """
    return URIRef(f"{base}doc/url-{hashlib.sha256(url.encode('utf-8')).hexdigest()[:12]}")


def page_graph(page: Page, *, base: str, sources: Mapping[str, URIRef] | None = None) -> Graph:
    """The node file's graph: node, body sections, cited sources and qualified relations.

    ``sources`` maps URLs to the IRIs of registered documents; a page source whose URL is not there
    is defined in the node file under :func:`minted_source_iri`.
    """
    known = sources or {}
    cdp = Namespace(base)
    node = cdp[page.id]
    local = Namespace(f"{node}#")
    g = Graph()
    g.add((node, RDF.type, NODE_CLASSES[page.kind]))
    g.add((node, DCTERMS.identifier, Literal(page.id)))
    g.add((node, DCTERMS.title, Literal(page.title)))
    g.add((node, DCTERMS.abstract, Literal(page.summary)))
    g.add((node, KG.nodeStatus, KG.ExistingNode))
    g.add((node, KG.confidence, Literal(str(page.confidence), datatype=XSD.decimal)))
    g.add((node, KG.version, Literal(page.version)))
    g.add((node, KG.reviewDate, Literal(page.review_date.isoformat(), datatype=XSD.date)))
    for tag in page.tags:
        g.add((node, KG.tag, Literal(tag)))
    for section in page.sections:
        s = local[f"section-{section.order}"]
        g.add((node, KG.section, s))
        g.add((s, RDF.type, KG.BodySection))
        g.add((s, KG.sectionType, SECTION_TYPES[section.type]))
        g.add((s, KG.order, Literal(section.order)))
        if section.heading:
            g.add((s, KG.heading, Literal(section.heading)))
        if section.text:
            g.add((s, KG.text, Literal(section.text)))
        for item in section.items:
            it = local[f"section-{section.order}-item-{item.order}"]
            g.add((s, KG.item, it))
            g.add((it, RDF.type, KG.ListItem))
            g.add((it, KG.order, Literal(item.order)))
            g.add((it, KG.text, Literal(item.text)))
    for source in page.sources:
        doc = known.get(source.url) or known.get(source.url.rstrip("/"))
        if doc is None:
            doc = minted_source_iri(base, source.url)
            _define_source(g, doc, source, base=base)
        g.add((node, DCTERMS.source, doc))
    for rel in page.relations:
        prop, target = RELATION_TYPES[rel.type], cdp[rel.target]
        r = URIRef(relation_iri(base, page.id, rel.type, rel.target))
        g.add((node, prop, target))
        g.add((r, RDF.type, KG.Relation))
        g.add((r, KG.subject, node))
        g.add((r, KG.relationType, prop))
        g.add((r, KG.object, target))
        if rel.rationale:
            g.add((r, KG.rationale, Literal(rel.rationale)))
        if rel.strength:
            g.add((r, KG.strength, STRENGTHS[rel.strength]))
        for other in rel.unless:
            g.add((r, KG.unless, cdp[other]))
        for other in rel.needs:
            g.add((r, KG.needs, cdp[other]))
        g.add((r, KG.status, STATUSES[rel.status]))
        if rel.note:
            g.add((r, SKOS.editorialNote, Literal(rel.note)))
    return g


def _define_source(g: Graph, doc: URIRef, source: PageSource, *, base: str) -> None:
    g.add((doc, RDF.type, KG.Source))
    g.add((doc, DCTERMS.identifier, Literal(str(doc).rsplit("/", 1)[1])))
    g.add((doc, DCTERMS.title, Literal(source.title)))
    g.add((doc, DCTERMS.publisher, Literal(source.publisher)))
    g.add((doc, SCHEMA.url, URIRef(source.url)))
    if source.url.startswith(base) or source.publisher.startswith("Composable Stack KB"):
        g.add((doc, KG.sourceKind, KG.KbInternal))
    g.add((doc, SKOS.editorialNote, Literal(
        "Minted by `kgtool import-pages` from a page's Sources line: register it in data/sources.ttl "
        "(an S id and a source kind) and cite it from there.")))
    when = source.date
    if when is None:
        return
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", when):
        g.add((doc, DCTERMS.issued, Literal(when, datatype=XSD.date)))
    elif re.fullmatch(r"\d{4}", when):
        g.add((doc, DCTERMS.issued, Literal(when, datatype=XSD.gYear)))
    else:
        g.add((doc, KG.dateNote, Literal(when)))
        found = re.search(r"\d{4}-\d{2}-\d{2}", when)
        if found:
            prop = DCTERMS.modified if re.search(r"modified|updated", when, re.I) else DCTERMS.date
            g.add((doc, prop, Literal(found.group(0), datatype=XSD.date)))


# ---------------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportResult:
    """``written``: files written; ``skipped``: files that exist and were left alone (no ``force``)."""

    written: list[str]
    skipped: list[str]
    pages: list[Page] = field(default_factory=list)


def _page_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for given in paths:
        p = Path(given)
        files.extend(sorted(p.glob("*.txt")) if p.is_dir() else [p])
    return files


def registered_sources(project: Project) -> dict[str, URIRef]:
    """URL -> doc IRI for the documents of ``data/sources.ttl`` (empty when there is none)."""
    path = project.data_dir / "sources.ttl"
    if not path.is_file():
        return {}
    g = Graph()
    for triple in parse_bytes(path.read_bytes(), suffix=".ttl", base=project.settings.base,
                              display=project.relative(path)):
        g.add(triple)
    found: dict[str, URIRef] = {}
    for doc, url in sorted(g.subject_objects(SCHEMA.url)):
        if isinstance(doc, URIRef):
            found.setdefault(str(url), doc)
            found.setdefault(str(url).rstrip("/"), doc)
    return found


def import_pages(project: Project | Path | str | None, paths: Iterable[str | Path], *,
                 out_dir: str | Path | None = None, force: bool = False) -> ImportResult:
    """Import node pages as ``<out_dir or data>/<kind>/<id>.ttl``, all or nothing.

    Every page is read, parsed and turned into Turtle first; any problem raises :class:`PageError`
    listing them all, and nothing is written. Then each file is written atomically (a temporary file,
    then a rename); one that exists is skipped unless ``force``. Imported nodes are
    ``kg:ExistingNode``. Sources whose URL is in ``data/sources.ttl`` are cited by their registry IRI;
    the others are defined in the node file (:func:`minted_source_iri`).
    """
    if not isinstance(project, Project):
        project = find_project(project)
    base = project.settings.base
    known = registered_sources(project)
    problems: list[PageProblem] = []
    parsed: list[Page] = []
    files = _page_files(paths)
    if not files:
        raise InputFileError(".", "no page files given", hint="pass page files or folders of .txt pages")
    for path in files:
        shown = str(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            problems.append(PageProblem(shown, None, "no such file"))
            continue
        except OSError as exc:
            problems.append(PageProblem(shown, None, f"cannot read: {exc.strerror or exc}"))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(PageProblem(shown, raw[: exc.start].count(b"\n") + 1, "not valid UTF-8 text"))
            continue
        try:
            parsed.append(parse_page(text, path=shown))
        except PageError as exc:
            problems.extend(exc.problems)
    first: dict[str, Page] = {}
    for page in parsed:
        if page.id in first:
            problems.append(PageProblem(page.path, 1, f"node {page.id} is also imported from {first[page.id].path}"))
        first.setdefault(page.id, page)
    root = Path(out_dir) if out_dir is not None else project.data_dir
    planned: list[tuple[Path, str]] = []
    for page in parsed:
        target = root / KIND_DIRS[page.kind] / f"{page.id}.ttl"
        try:
            text = serialize(page_graph(page, base=base, sources=known), local_namespace=f"{base}{page.id}#",
                             source=page.path)
        except DataError as exc:
            problems.append(PageProblem(page.path, None, exc.message))
            continue
        planned.append((target, text))
    if problems:
        raise PageError(problems)
    written, skipped = [], []
    for target, text in planned:
        if target.exists() and not force:
            skipped.append(project.relative(target))
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputFileError(target.parent, f"cannot create the folder: {exc.strerror or exc}") from None
        write_output(text, str(target))
        written.append(project.relative(target))
    return ImportResult(written=written, skipped=skipped, pages=parsed)
