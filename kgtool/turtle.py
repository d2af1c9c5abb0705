"""Canonical Turtle: one layout for every file kgtool writes, so that diffs show only real changes.

The layout:
- a prefix block with the project's prefixes that the file uses, in a fixed order, then ``@prefix :``
  for the file's own fragment namespace when it has one (``<node-iri>#``);
- subjects in order: nodes first, then everything else, each group sorted by IRI;
- predicates: ``rdf:type`` first, then the order of ``PREDICATE_ORDER``, then the rest by IRI;
- objects sorted by kind and value, one ``;`` line per predicate, a ``,`` list for several objects;
- literals on one line, escaped; xsd:decimal, xsd:integer and xsd:boolean in their short forms when
  the lexical form is already canonical;
- no comments (comments are not data: they would be lost by a round trip, so files carry none).

Blank nodes are refused: every resource has a stable IRI.
"""

from __future__ import annotations

import re
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from .errors import DataError
from .vocab import KG, PREFIXES, SCHEMA

PREDICATE_ORDER = [
    DCTERMS.identifier, DCTERMS.title, RDFS.label, DCTERMS.abstract, KG.nodeStatus, KG.confidence,
    KG.confidenceRationale, KG.version, KG.reviewDate, KG.tag, KG.alias, SKOS.altLabel,
    KG.subject, KG.relationType, KG.object, KG.rationale, KG.strength, KG.unless, KG.needs, KG.status,
    KG.evidence, KG.unsourced, KG.sectionType, KG.order, KG.heading, KG.text, KG.item,
    SCHEMA.url, DCTERMS.publisher, DCTERMS.issued, DCTERMS.modified, DCTERMS.date, KG.dateNote,
    KG.sourceKind, DCTERMS.source, KG.section, KG.fact,
]
_PRED_RANK = {p: i for i, p in enumerate(PREDICATE_ORDER)}
_NODE_TYPES = {KG.OrganizationDimension, KG.Vendor, KG.Pattern, KG.SourceNode, KG.Node}
_PN_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
_SHORT_FORMS = {
    XSD.integer: re.compile(r"^-?(0|[1-9][0-9]*)$"),
    XSD.decimal: re.compile(r"^-?(0|[1-9][0-9]*)\.[0-9]*[0-9]$"),
    XSD.boolean: re.compile(r"^(true|false)$"),
}
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


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


class _Namer:
    def __init__(self, prefixes: dict[str, str], local_ns: str | None) -> None:
        self.prefixes = dict(prefixes)
        self.local_ns = local_ns
        self.used: set[str] = set()
        # Longest namespace first so that rel: wins over cdp:.
        self._ordered = sorted(self.prefixes.items(), key=lambda kv: -len(kv[1]))

    def iri(self, term: URIRef) -> str:
        value = str(term)
        if _IRI_FORBIDDEN.search(value):
            raise ValueError(f"IRI {value!r} contains a character that is not allowed in an IRI")
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
            raise ValueError("blank nodes are not allowed: give the resource an IRI")
        if isinstance(term, URIRef):
            if term == RDF.type:
                return "a"
            return self.iri(term)
        assert isinstance(term, Literal)
        lexical = str(term)
        datatype = term.datatype
        if datatype in _SHORT_FORMS and _SHORT_FORMS[datatype].match(lexical):
            return lexical
        text = f'"{escape_string(lexical)}"'
        if term.language:
            return f"{text}@{term.language}"
        if datatype is not None and datatype != XSD.string:
            return f"{text}^^{self.iri(URIRef(datatype))}"
        return text


def _object_key(term) -> tuple:
    if isinstance(term, URIRef):
        return (0, str(term), "", "")
    return (1, str(term.datatype or ""), term.language or "", str(term))


def _subject_key(graph: Graph, subject) -> tuple:
    is_node = any(t in _NODE_TYPES for t in graph.objects(subject, RDF.type))
    return (0 if is_node else 1, str(subject))


def _predicate_key(predicate: URIRef) -> tuple:
    if predicate == RDF.type:
        return (0, 0, "")
    rank = _PRED_RANK.get(predicate)
    return (1, rank, "") if rank is not None else (2, 0, str(predicate))


def serialize(graph: Graph, *, local_namespace: str | None = None,
              prefixes: dict[str, str] | None = None, source: str | None = None) -> str:
    """Write ``graph`` as canonical Turtle text.

    ``local_namespace`` (such as ``<node-iri>#``) becomes the empty prefix. Raises
    :class:`DataError` (naming ``source``) for a term that cannot be written faithfully.
    """
    namer = _Namer(prefixes or PREFIXES, local_namespace)
    blocks: list[str] = []
    try:
        subjects = sorted(set(graph.subjects()), key=lambda s: _subject_key(graph, s))
        for subject in subjects:
            if isinstance(subject, BNode):
                raise ValueError("blank nodes are not allowed: give the resource an IRI")
            lines = [namer.term(subject)]
            predicates = sorted(set(graph.predicates(subject)), key=_predicate_key)
            for index, predicate in enumerate(predicates):
                objects = sorted(graph.objects(subject, predicate), key=_object_key)
                rendered = " , ".join(namer.term(o) for o in objects)
                end = " ." if index == len(predicates) - 1 else " ;"
                lines.append(f"    {namer.term(predicate)} {rendered}{end}")
            blocks.append("\n".join(lines))
    except ValueError as exc:
        raise DataError(source, f"cannot write Turtle: {exc}") from None
    header = [f"@prefix {p}: <{ns}> ." for p, ns in namer.prefixes.items() if p in namer.used]
    if "" in namer.used:
        header.append(f"@prefix : <{local_namespace}> .")
    return "\n".join(header) + "\n\n" + "\n\n".join(blocks) + "\n"
