"""Node pages as HTML: the page model read from the graph, the Jinja2 templates, and ``kgtool site``.

:class:`Pages` is built once per loaded graph. It reads each node (title, kind, summary, confidence,
version, review date, tags, body sections, sources, outgoing relations and backlinks) into plain
dataclasses and renders them with the templates in ``kgtool/templates`` (autoescaped: nothing from the
graph reaches the page unescaped, and only ``http(s)`` IRIs become links). The server (``kgtool serve``)
and the static site (``kgtool site -o DIR``) render the same pages; only the link style differs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from .errors import InputFileError, NodeLookupError
from .load import KnowledgeGraph
from .query import Target, named_queries, prepared_text
from .sparql import SelectResult
from .svg import Neighbourhood, render_svg
from .turtle import serialize
from .vocab import KG, RELATION_NAMES, SCHEMA

TEMPLATES = Path(__file__).resolve().parent / "templates"
KINDS = {  # class -> (key, label)
    KG.OrganizationDimension: ("dimension", "Organization Dimension"),
    KG.Vendor: ("vendor", "Vendor"),
    KG.Pattern: ("pattern", "Pattern"),
    KG.SourceNode: ("source", "Source Node"),
}


def safe_url(value) -> str | None:
    """``value`` if it is an http(s) URL with a host, else None: nothing else becomes a link."""
    if value is None:
        return None
    text = str(value)
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(c in text for c in ' "<>\\\n\r\t'):
        return text
    return None


@dataclass(frozen=True)
class SourceRef:
    id: str
    title: str
    url: str | None  # the schema:url as stated (may not be http)
    publisher: str | None
    date: str | None

    @property
    def href(self) -> str | None:
        return safe_url(self.url)


@dataclass(frozen=True)
class Section:
    order: int
    type: str
    heading: str | None
    text: str | None
    items: list[str]


@dataclass(frozen=True)
class Edge:
    iri: str
    type: str
    other: str  # the node at the other end (id, or the IRI when it has none)
    other_title: str | None
    known: bool  # the other end is a node of the graph
    rationale: str | None
    strength: str | None
    status: str | None
    unless: list[str]
    needs: list[str]
    evidence: list[SourceRef]
    direction: str = "outgoing"


@dataclass(frozen=True)
class NodePage:
    iri: str
    id: str
    title: str
    kind: str
    kind_label: str
    summary: str | None
    confidence: int | None
    version: str | None
    review_date: date | None
    stale: bool
    days_since_review: int | None
    tags: list[str]
    aliases: list[str]
    sections: list[Section]
    facts: list[tuple[str, list[SourceRef]]]
    sources: list[SourceRef]
    outgoing: dict[str, list[Edge]]
    backlinks: list[Edge]
    notes: list[str] = field(default_factory=list)


def _s(value) -> str | None:
    return None if value is None else str(value)


class Pages:
    """Every node page of one loaded graph, rendered on demand."""

    def __init__(self, kg: KnowledgeGraph, target: Target, *, today: date | None = None,
                 parse_lock: AbstractContextManager | None = None) -> None:
        self.kg = kg
        self._parse_lock = parse_lock or nullcontext()
        self.target = target
        self.today = today
        self.stale_days = kg.project.settings.stale_days
        self.graph: Graph = kg.graph("ontology", "data")
        self.data: Graph = kg.data
        self.env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "svg"]),
                               trim_blocks=True, lstrip_blocks=True)
        self.env.filters["safe_url"] = safe_url
        self.nodes: dict[str, URIRef] = {}
        self.kinds: dict[URIRef, tuple[str, str]] = {}
        for cls, kind in KINDS.items():
            for node in self.data.subjects(RDF.type, cls):
                ident = self.data.value(node, DCTERMS.identifier)
                if ident is not None and isinstance(node, URIRef):
                    self.nodes[str(ident)] = node
                    self.kinds[node] = kind
        self.ids = {iri: ident for ident, iri in self.nodes.items()}
        self._backlinks_query = named_queries(kg).get("backlinks")

    # -- reading the graph ------------------------------------------------------------------------

    def as_of(self) -> date:
        return self.today or date.today()

    def _notation(self, term) -> str | None:
        if term is None:
            return None
        value = self.graph.value(term, SKOS.notation)
        return str(value) if value is not None else str(term).rsplit("#", 1)[-1].lower()

    def _source(self, doc) -> SourceRef:
        g = self.data
        issued = g.value(doc, DCTERMS.issued) or g.value(doc, DCTERMS.date) or g.value(doc, KG.dateNote)
        return SourceRef(id=str(g.value(doc, DCTERMS.identifier) or doc), title=str(g.value(doc, DCTERMS.title) or doc),
                         url=_s(g.value(doc, SCHEMA.url)), publisher=_s(g.value(doc, DCTERMS.publisher)),
                         date=_s(issued))

    def _sources(self, subject, predicate) -> list[SourceRef]:
        return sorted((self._source(d) for d in self.data.objects(subject, predicate)), key=lambda s: _source_key(s.id))

    def _label(self, term) -> str:
        return self.ids.get(term, str(term))

    def _edge(self, relation, other, direction: str) -> Edge:
        g = self.data
        rel_type = g.value(relation, KG.relationType)
        return Edge(iri=str(relation), type=RELATION_NAMES.get(rel_type, self._notation(rel_type) or "related"),
                    other=self._label(other), other_title=_s(g.value(other, DCTERMS.title)),
                    known=other in self.ids, rationale=_s(g.value(relation, KG.rationale)),
                    strength=self._notation(g.value(relation, KG.strength)),
                    status=self._notation(g.value(relation, KG.status)),
                    unless=sorted(self._label(t) for t in g.objects(relation, KG.unless)),
                    needs=sorted(self._label(t) for t in g.objects(relation, KG.needs)),
                    evidence=self._sources(relation, KG.evidence), direction=direction)

    def edges(self, node: URIRef) -> list[Edge]:
        """The node's outgoing qualified relations, by type then other end."""
        edges = [self._edge(r, self.data.value(r, KG.object), "outgoing") for r in self.data.subjects(KG.subject, node)
                 if (r, RDF.type, KG.Relation) in self.data]
        return sorted(edges, key=lambda e: (e.type, e.other))

    def backlinks(self, node: URIRef) -> list[Edge]:
        """"Referenced by": the named query ``backlinks`` (incoming and symmetric relations)."""
        if self._backlinks_query is None:  # a project without the query: the qualified relations
            return sorted((self._edge(r, self.data.value(r, KG.subject), "incoming")
                           for r in self.data.subjects(KG.object, node)), key=lambda e: (e.type, e.other))
        with self._parse_lock:  # rdflib's SPARQL parser is not known to be thread-safe
            text = prepared_text(self.target, self._backlinks_query, {"node": [str(node)]})
        result = self.target.run(text, name="backlinks")
        assert isinstance(result, SelectResult)
        out = []
        for row in result.rows:
            relation = row.get("relation")
            g = self.data
            other = g.value(relation, KG.subject) if row.get("direction") and str(row["direction"]) == "incoming" \
                else g.value(relation, KG.object)
            edge = self._edge(relation, other, str(row.get("direction") or "incoming"))
            out.append(edge)
        return out

    def node(self, ident: str) -> NodePage:
        """The page of node ``ident`` (its id); :class:`NodeLookupError` when there is none."""
        node = self.nodes.get(ident)
        if node is None:
            raise NodeLookupError(ident, f"no node with id {ident!r}", [])
        g = self.data
        kind, kind_label = self.kinds[node]
        confidence = g.value(node, KG.confidence)
        review = g.value(node, KG.reviewDate)
        review_date = review.toPython() if isinstance(review, Literal) and isinstance(review.toPython(), date) else None
        days = (self.as_of() - review_date).days if review_date else None
        sections = []
        for sec in g.objects(node, KG.section):
            items = sorted(g.objects(sec, KG.item), key=lambda i: _order(g, i))
            sections.append(Section(order=_order(g, sec), type=self._notation(g.value(sec, KG.sectionType)) or "",
                                    heading=_s(g.value(sec, KG.heading)), text=_s(g.value(sec, KG.text)),
                                    items=[str(g.value(i, KG.text) or "") for i in items]))
        facts = [(str(g.value(f, KG.text) or ""), self._sources(f, DCTERMS.source))
                 for f in sorted(g.objects(node, KG.fact), key=lambda f: _order(g, f))]
        outgoing: dict[str, list[Edge]] = {}
        for edge in self.edges(node):
            outgoing.setdefault(edge.type, []).append(edge)
        return NodePage(
            iri=str(node), id=ident, title=str(g.value(node, DCTERMS.title) or ident), kind=kind, kind_label=kind_label,
            summary=_s(g.value(node, DCTERMS.abstract)),
            confidence=round(float(confidence) * 100) if confidence is not None else None,
            version=_s(g.value(node, KG.version)), review_date=review_date,
            stale=days is not None and days > self.stale_days, days_since_review=days,
            tags=sorted(str(t) for t in g.objects(node, KG.tag)),
            aliases=sorted([str(a) for a in g.objects(node, KG.alias)] + [str(a) for a in g.objects(node, SKOS.altLabel)]),
            sections=sorted(sections, key=lambda s: s.order), facts=facts,
            sources=self._sources(node, DCTERMS.source), outgoing=outgoing, backlinks=self.backlinks(node),
            notes=sorted(str(n) for n in g.objects(node, SKOS.editorialNote)))

    def node_list(self) -> list[dict[str, object]]:
        g = self.data
        return sorted(({"id": ident, "title": str(g.value(iri, DCTERMS.title) or ident), "kind": self.kinds[iri][0],
                        "kind_label": self.kinds[iri][1], "tags": sorted(str(t) for t in g.objects(iri, KG.tag))}
                       for ident, iri in self.nodes.items()), key=lambda n: str(n["id"]))

    def neighbourhood(self, ident: str) -> Neighbourhood:
        node = self.nodes.get(ident)
        if node is None:
            raise NodeLookupError(ident, f"no node with id {ident!r}", [])
        g = self.data
        edges = []
        for relation in g.subjects(RDF.type, KG.Relation):
            s, o = g.value(relation, KG.subject), g.value(relation, KG.object)
            if s in self.ids and o in self.ids:
                edges.append((self.ids[s], RELATION_NAMES.get(g.value(relation, KG.relationType), "related"),
                              self.ids[o], self._notation(g.value(relation, KG.status)) or ""))
        titles = {i: str(g.value(iri, DCTERMS.title) or i) for i, iri in self.nodes.items()}
        kinds = {i: self.kinds[iri][0] for i, iri in self.nodes.items()}
        return Neighbourhood.around(ident, edges, titles=titles, kinds=kinds)

    def node_turtle(self, ident: str) -> str:
        """The node's own triples: its description, its sections, items and facts, and its relations."""
        node = self.nodes.get(ident)
        if node is None:
            raise NodeLookupError(ident, f"no node with id {ident!r}", [])
        g = self.data
        out = Graph()
        local = str(node) + "#"
        subjects = {node} | set(g.subjects(KG.subject, node))
        subjects |= {s for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(local)}
        for subject in subjects:
            for p, o in g.predicate_objects(subject):
                out.add((subject, p, o))
        return serialize(out, local_namespace=local, source=ident)

    # -- rendering --------------------------------------------------------------------------------

    def render(self, template: str, *, link: Callable[[str], str], root: str = "/", **context) -> str:
        return self.env.get_template(template).render(link=link, root=root, as_of=self.as_of(),
                                                      stale_days=self.stale_days, **context)

    def node_html(self, ident: str, *, link: Callable[[str], str], svg_href: str | None = None, root: str = "/",
                  static: bool = False) -> str:
        page = self.node(ident)
        svg = render_svg(self.neighbourhood(ident), link=link)
        return self.render("node.html", link=link, root=root, page=page, svg=svg, svg_href=svg_href, static=static)

    def node_svg(self, ident: str, *, link: Callable[[str], str]) -> str:
        return render_svg(self.neighbourhood(ident), link=link)


def _order(graph: Graph, subject) -> int:
    value = graph.value(subject, KG.order)
    try:
        return int(value) if value is not None else 0
    except (TypeError, ValueError):
        return 0


def _source_key(ident: str) -> tuple:
    digits = "".join(c for c in ident if c.isdigit())
    return (ident.rstrip("0123456789"), int(digits) if digits else 0, ident)


def filter_nodes(nodes: list[dict[str, object]], *, q: str = "", kind: str = "") -> list[dict[str, object]]:
    """Nodes whose id, title or a tag contains ``q`` (case-insensitive), of ``kind`` if given."""
    q = q.strip().lower()
    out = []
    for node in nodes:
        if kind and node["kind"] != kind:
            continue
        if q and not (q in str(node["id"]).lower() or q in str(node["title"]).lower()
                      or any(q in str(t).lower() for t in node["tags"])):
            continue
        out.append(node)
    return out


def build_site(pages: Pages, out_dir: Path | str) -> int:
    """Write every node page (``<id>.html``), its SVG (``<id>.svg``) and ``index.html`` into ``out_dir``.

    The pages are written into a temporary folder next to ``out_dir`` that then replaces it (the old
    folder is moved aside first and removed last), so a failed run leaves the previous site in place.
    Returns the number of node pages.
    """
    out = Path(out_dir).resolve()
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    except OSError as exc:
        raise InputFileError(out, f"cannot create the site folder: {exc.strerror or exc}") from None
    link = lambda ident: f"{ident}.html"  # noqa: E731 (the static site's link style)
    try:
        nodes = pages.node_list()
        for node in nodes:
            ident = str(node["id"])
            (tmp / f"{ident}.html").write_text(
                pages.node_html(ident, link=link, svg_href=f"{ident}.svg", root="index.html", static=True),
                encoding="utf-8")
            (tmp / f"{ident}.svg").write_text(pages.node_svg(ident, link=link), encoding="utf-8")
        (tmp / "index.html").write_text(pages.render("index.html", link=link, root="index.html", nodes=nodes, q="",
                                                     kind="", kinds=_kind_choices(), static=True), encoding="utf-8")
        os.chmod(tmp, 0o755)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=parent))
            os.replace(out, old / "site")
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputFileError(out, f"cannot write the site: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return len(nodes)


def _kind_choices() -> list[tuple[str, str]]:
    return [kind for kind in KINDS.values()]


