"""Conversions between pyoxigraph terms (the parser and the fast engine) and rdflib terms (the rest)."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class UnsupportedTerm(ValueError):
    """An RDF 1.2 term that rdflib cannot hold exactly: a directional language string or a triple term."""


def to_rdflib(term):
    """A pyoxigraph term as an rdflib term, exactly: the literal's lexical form as written (rdflib would
    otherwise turn ``"01"^^xsd:integer`` into ``"1"``, ``"yes"^^xsd:boolean`` into ``"false"``, drop a
    date's timezone), its datatype and its language. Plain strings lose their explicit xsd:string, as
    rdflib writes them. A term rdflib has no exact form for raises :class:`UnsupportedTerm`."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            if getattr(term, "direction", None) is not None:
                raise UnsupportedTerm(f"the directional language string {term} (RDF 1.2) cannot be kept exactly "
                                      "by kgtool's rdflib-based writers: its direction would be lost")
            return Literal(term.value, lang=term.language, normalize=False)
        if term.datatype.value == XSD_STRING:
            return Literal(term.value, normalize=False)
        return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)
    if isinstance(term, ox.Triple):
        raise UnsupportedTerm(f"the triple term {term} (RDF 1.2: <<( ... )>>, a reifier or an annotation) cannot be "
                              "kept by kgtool's rdflib-based writers")
    raise UnsupportedTerm(f"unsupported term {term!r}")


def exact_key(term) -> tuple:
    """A key that tells terms apart exactly (lexical form, datatype, language as written), unlike
    rdflib's ``==``, which compares language tags without case."""
    if isinstance(term, Literal):
        return ("l", str(term), term.language or "", str(term.datatype or ""))
    return ("b" if isinstance(term, BNode) else "u", str(term), "", "")


def to_ox(term):
    """An rdflib term as a pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype is not None:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))
