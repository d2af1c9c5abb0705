"""Conversions between pyoxigraph terms (the parser and the fast engine) and rdflib terms (the rest)."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def to_rdflib(term):
    """A pyoxigraph term as an rdflib term; plain strings lose their explicit xsd:string, as rdflib writes them."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unsupported term {term!r}")


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
