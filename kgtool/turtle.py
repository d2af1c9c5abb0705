"""Canonical Turtle: one layout for every file kgtool writes, so that diffs show only real changes.

The layout:
- a prefix block with the project's prefixes that the file uses, in a fixed order, then ``@prefix :``
  for the file's own fragment namespace when it has one (``<node-iri>#``);
- subjects in order: nodes first, then everything else, each group sorted by IRI;
- predicates: ``rdf:type`` first, then the order of ``PREDICATE_ORDER``, then the rest by IRI;
- objects sorted by kind and value, one ``;`` line per predicate, a ``,`` list for several objects;
- literals on one line, escaped; xsd:decimal, xsd:integer and xsd:boolean in their short forms when
  the lexical form is already canonical;
- no comments in the data (comments are not data: they would be lost by a round trip). ``kgtool fmt``
  keeps a file's leading comment block and its section banners (see :mod:`kgtool.fmt`): they are
  passed in here as ``header`` and as the banners of :class:`Section`.

Blank nodes are refused by default: every resource of the data has a stable IRI. With
``blank_nodes=True`` (the ontology, the SHACL shapes and exports) a blank node used once as an object
is written inline, ``( ... )`` for a well-formed RDF list and ``[ ... ]`` otherwise; any other blank
node gets a label from rdflib's canonical labelling (:func:`rdflib.compare.to_canonical_graph`), which
depends only on the graph, so the output stays the same from run to run.

:func:`serialize_trig` writes several named graphs with the same layout, for exports.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from .errors import DataError
from .vocab import KG, PREFIXES, SCHEMA, SH

PREDICATE_ORDER = [
    DCTERMS.identifier, DCTERMS.title, RDFS.label, DCTERMS.abstract, KG.nodeStatus, KG.confidence,
    KG.confidenceRationale, KG.version, KG.reviewDate, KG.tag, KG.alias, SKOS.altLabel,
    KG.subject, KG.relationType, KG.object, KG.rationale, KG.strength, KG.unless, KG.needs, KG.status,
    KG.evidence, KG.unsourced, KG.sectionType, KG.order, KG.heading, KG.text, KG.item,
    SCHEMA.url, DCTERMS.publisher, DCTERMS.issued, DCTERMS.modified, DCTERMS.date, KG.dateNote,
    KG.sourceKind, DCTERMS.source, KG.section, KG.fact,
    # The ontology and the shapes (the data uses none of these, so adding them moved nothing there).
    DCTERMS.description, RDFS.comment, SKOS.definition, SKOS.notation, OWL.versionInfo,
    RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.inverseOf,
    SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.path,
]
_PRED_RANK = {p: i for i, p in enumerate(PREDICATE_ORDER)}
NODE_TYPES = {KG.OrganizationDimension, KG.Vendor, KG.Pattern, KG.SourceNode, KG.Node}
_PN_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
_SHORT_FORMS = {
    XSD.integer: re.compile(r"^-?(0|[1-9][0-9]*)$"),
    XSD.decimal: re.compile(r"^-?(0|[1-9][0-9]*)\.[0-9]*[0-9]$"),
    XSD.boolean: re.compile(r"^(true|false)$"),
}
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LANG_TAG = re.compile(r"^[A-Za-z]+(-[A-Za-z0-9]+)*$")
_BNODE_LABEL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")


def escape_string(value: str) -> str:
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            raise ValueError(f"lone surrogate U+{ord(ch):04X} cannot be written as UTF-8")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


@functools.lru_cache(maxsize=65536)
def check_iri(value: str) -> str:
    """``value`` if it can be written between ``<>``; ValueError otherwise (cached: IRIs repeat a lot)."""
    if _IRI_FORBIDDEN.search(value):
        raise ValueError(f"IRI {value!r} contains a character that is not allowed in an IRI")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ValueError(f"IRI {value!r} contains a lone surrogate")
    return value


def check_language(tag: str) -> str:
    if not _LANG_TAG.match(tag):
        raise ValueError(f"language tag {tag!r} is not well-formed")
    return tag


def blank_label(node: BNode) -> str:
    """A blank node label as Turtle, N-Triples and JSON-LD write it (``_:label``)."""
    if not _BNODE_LABEL.match(str(node)):
        raise ValueError(f"blank node label {str(node)!r} cannot be written")
    return f"_:{node}"


def canonical_blank_nodes(graph: Graph, *, prefix: str = "") -> Graph:
    """``graph`` itself when it has no blank node, else a copy with canonical blank node labels.

    ``prefix`` starts every label: a dataset gives each graph its own, since a label names the
    same blank node in every graph of an N-Quads or TriG document.
    """
    if not any(isinstance(t, BNode) for triple in graph for t in triple):
        return graph
    from rdflib.compare import to_canonical_graph

    def relabel(term):
        return BNode(prefix + str(term)) if isinstance(term, BNode) else term

    canonical = Graph()
    for s, p, o in to_canonical_graph(graph):
        canonical.add((relabel(s), p, relabel(o)))
    return canonical


class _Namer:
    def __init__(self, prefixes: dict[str, str], local_ns: str | None) -> None:
        self.prefixes = dict(prefixes)
        self.local_ns = local_ns
        self.used: set[str] = set()
        # Longest namespace first so that rel: wins over cdp:.
        self._ordered = sorted(self.prefixes.items(), key=lambda kv: -len(kv[1]))

    def iri(self, term: URIRef) -> str:
        value = check_iri(str(term))
        if self.local_ns and value.startswith(self.local_ns):
            local = value[len(self.local_ns):]
            if _PN_LOCAL.match(local):
                self.used.add("")
                return ":" + local
        for prefix, ns in self._ordered:
            if value.startswith(ns):
                local = value[len(ns):]
                if local == "" or _PN_LOCAL.match(local):
                    self.used.add(prefix)
                    return f"{prefix}:{local}"
        return f"<{value}>"

    def term(self, term) -> str:
        if isinstance(term, BNode):
            return blank_label(term)
        if isinstance(term, URIRef):
            return self.iri(term)
        assert isinstance(term, Literal)
        lexical = str(term)
        datatype = term.datatype
        if datatype in _SHORT_FORMS and _SHORT_FORMS[datatype].match(lexical):
            return lexical
        text = f'"{escape_string(lexical)}"'
        if term.language:
            return f"{text}@{check_language(term.language)}"
        if datatype is not None and datatype != XSD.string:
            return f"{text}^^{self.iri(URIRef(datatype))}"
        return text

    def predicate(self, term: URIRef) -> str:
        return "a" if term == RDF.type else self.iri(term)

    def header(self, *, align: bool = False) -> list[str]:
        names = [p for p in self.prefixes if p in self.used]
        pairs = [(f"{p}:", ns) for p, ns in self.prefixes.items() if p in names]
        if "" in self.used:
            pairs.append((":", self.local_ns or ""))
        width = max((len(p) for p, _ in pairs), default=0) if align else 0
        return [f"@prefix {p.ljust(width)} <{ns}> ." for p, ns in pairs]


def object_key(term) -> tuple:
    """The order of objects (and of N-Triples terms): IRIs, then literals, then blank nodes."""
    if isinstance(term, URIRef):
        return (0, str(term), "", "")
    if isinstance(term, BNode):
        return (2, str(term), "", "")
    return (1, str(term.datatype or ""), term.language or "", str(term))


def subject_key(graph: Graph, subject) -> tuple:
    if isinstance(subject, BNode):
        return (2, str(subject))
    is_node = any(t in NODE_TYPES for t in graph.objects(subject, RDF.type))
    return (0 if is_node else 1, str(subject))


def predicate_key(predicate: URIRef) -> tuple:
    if predicate == RDF.type:
        return (0, 0, "")
    rank = _PRED_RANK.get(predicate)
    return (1, rank, "") if rank is not None else (2, 0, str(predicate))


class _Blocks:
    """Renders the subject blocks of one graph, inlining blank nodes when allowed."""

    def __init__(self, graph: Graph, namer: _Namer, *, blank_nodes: bool) -> None:
        self.graph = graph
        self.namer = namer
        self.blank_nodes = blank_nodes
        self.refs: dict[BNode, int] = {}
        for o in graph.objects():
            if isinstance(o, BNode):
                self.refs[o] = self.refs.get(o, 0) + 1
        self.inlined: set[BNode] = set()
        self.labelled: set[BNode] = set()

    def _list_items(self, head: BNode) -> list | None:
        """The items of the well-formed RDF list starting at ``head``, or None."""
        items, node, seen = [], head, set()
        while node != RDF.nil:
            if not isinstance(node, BNode) or node in seen or self.refs.get(node) != 1:
                return None
            if set(self.graph.predicates(node)) != {RDF.first, RDF.rest}:
                return None
            firsts, rests = list(self.graph.objects(node, RDF.first)), list(self.graph.objects(node, RDF.rest))
            if len(firsts) != 1 or len(rests) != 1:
                return None
            seen.add(node)
            items.append(firsts[0])
            node = rests[0]
        return items if node == RDF.nil else None

    def _object(self, term, stack: tuple) -> str:
        if not isinstance(term, BNode):
            return self.namer.term(term)
        if not self.blank_nodes:
            raise ValueError("blank nodes are not allowed: give the resource an IRI")
        if term in self.labelled or term in stack or self.refs.get(term) != 1:
            self.labelled.add(term)
            return blank_label(term)
        items = self._list_items(term)
        if items is not None:
            self._mark_list(term)
            return "( " + " ".join(self._object(i, stack + (term,)) for i in items) + " )" if items else "()"
        self.inlined.add(term)
        parts = [f"{p} {o}" for p, o in self._predicates(term, stack + (term,))]
        return "[ " + " ; ".join(parts) + " ]" if parts else "[]"

    def _mark_list(self, head: BNode) -> None:
        node = head
        while node != RDF.nil:
            self.inlined.add(node)
            node = self.graph.value(node, RDF.rest)

    def _predicates(self, subject, stack: tuple) -> list[tuple[str, str]]:
        out = []
        for predicate in sorted(set(self.graph.predicates(subject)), key=predicate_key):
            objects = sorted(self.graph.objects(subject, predicate), key=object_key)
            out.append((self.namer.predicate(predicate), " , ".join(self._object(o, stack) for o in objects)))
        return out

    def _block(self, subject) -> str:
        if isinstance(subject, BNode):
            if not self.blank_nodes:
                raise ValueError("blank nodes are not allowed: give the resource an IRI")
            self.labelled.add(subject)
        predicates = self._predicates(subject, (subject,))
        lines = [self.namer.term(subject)]
        for index, (predicate, rendered) in enumerate(predicates):
            end = " ." if index == len(predicates) - 1 else " ;"
            lines.append(f"    {predicate} {rendered}{end}")
        return "\n".join(lines)

    def render(self) -> list[str]:
        subjects = sorted(set(self.graph.subjects()), key=lambda s: subject_key(self.graph, s))
        top = [s for s in subjects if not isinstance(s, BNode) or self.refs.get(s, 0) != 1]
        blocks = [self._block(s) for s in top]
        # Blank nodes used once but not reached from a top-level subject (a cycle): label them.
        for subject in subjects:
            if isinstance(subject, BNode) and subject not in self.inlined and subject not in top:
                blocks.append(self._block(subject))
                self.inlined.add(subject)
        return blocks


@dataclass(frozen=True)
class Section:
    """Part of a file: its banner (comment lines kept verbatim, may be empty) and its triples."""

    banner: tuple[str, ...]
    graph: Graph = field(compare=False)


def serialize_sections(sections: Sequence[Section], *, header: Iterable[str] = (), local_namespace: str | None = None,
                       prefixes: dict[str, str] | None = None, source: str | None = None,
                       blank_nodes: bool = False, align_prefixes: bool = False) -> str:
    """Canonical Turtle of several sections, after the ``header`` comment lines (used by ``kgtool fmt``)."""
    namer = _Namer(prefixes or PREFIXES, local_namespace)
    body: list[str] = []
    try:
        for section in sections:
            if section.banner:
                body.append("\n".join(section.banner))
            graph = canonical_blank_nodes(section.graph) if blank_nodes else section.graph
            body.extend(_Blocks(graph, namer, blank_nodes=blank_nodes).render())
    except ValueError as exc:
        raise DataError(source, f"cannot write Turtle: {exc}") from None
    chunks = ["\n".join(header)] if header else []
    prefix_lines = namer.header(align=align_prefixes)
    if prefix_lines:
        chunks.append("\n".join(prefix_lines))
    chunks.extend(body)
    return "\n\n".join(chunks) + "\n" if chunks else ""


def serialize(graph: Graph, *, local_namespace: str | None = None,
              prefixes: dict[str, str] | None = None, source: str | None = None,
              blank_nodes: bool = False, align_prefixes: bool = False) -> str:
    """Write ``graph`` as canonical Turtle text.

    ``local_namespace`` (such as ``<node-iri>#``) becomes the empty prefix. Raises
    :class:`DataError` (naming ``source``) for a term that cannot be written faithfully, and for a
    blank node unless ``blank_nodes`` is set.
    """
    return serialize_sections([Section((), graph)], local_namespace=local_namespace, prefixes=prefixes,
                              source=source, blank_nodes=blank_nodes, align_prefixes=align_prefixes)


def serialize_trig(graphs: Sequence[tuple[URIRef, Graph]], *, prefixes: dict[str, str] | None = None,
                   source: str | None = None, align_prefixes: bool = True) -> str:
    """Write named graphs as TriG: one prefix block, then ``<name> { ... }`` per graph, in the order given."""
    namer = _Namer(prefixes or PREFIXES, None)
    parts: list[str] = []
    try:
        for index, (name, graph) in enumerate(graphs, start=1):
            labelled = canonical_blank_nodes(graph, prefix=f"g{index}" if len(graphs) > 1 else "")
            blocks = _Blocks(labelled, namer, blank_nodes=True).render()
            inner = "\n\n".join(blocks)
            indented = "\n".join(("    " + line) if line else line for line in inner.split("\n"))
            parts.append(f"{namer.iri(name)} {{\n{indented}\n}}" if blocks else f"{namer.iri(name)} {{\n}}")
    except ValueError as exc:
        raise DataError(source, f"cannot write TriG: {exc}") from None
    prefix_lines = namer.header(align=align_prefixes)
    chunks = (["\n".join(prefix_lines)] if prefix_lines else []) + parts
    return "\n\n".join(chunks) + "\n" if chunks else ""
