"""Checks the fast engine answers in Python because SPARQL cannot index them.

``queries/checks/body-edge-mismatch.rq`` pairs every node name with every node body
(``CONTAINS(?body, ?name)``): names x bodies string scans, 35 s of a 45 s validation at 10k nodes and
unbounded at 100k. Here the store still selects the names, the bodies and the related pairs (each a
linear query), and an Aho-Corasick automaton (pyahocorasick) finds every name in every body in one
pass over the text. The rows are the check's own: same variables, same first-occurrence whole-word
test, same grouping and message.

An accelerator is bound to the exact text of the check it replaces (its SHA-256): an edited check file
runs as SPARQL, never through a stale copy of its logic. It also declines (returns ``None``, and the
SPARQL runs) when the data holds anything whose SPARQL semantics it does not model: a body text that
is not a plain string, a name with ``|`` (which could straddle the separator of the concatenated
texts) or an empty name. Equality with the SPARQL is tested on the rule fixtures, the shipped graph
and the 1k synthetic graph.
"""

from __future__ import annotations

import hashlib
from typing import Callable

import pyoxigraph as ox
from rdflib import Literal, URIRef

from .sparql import SelectResult
from .terms import to_rdflib

KG = "https://cdp.composablestack.ai/kg/ontology#"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
PREFIXES = f"""PREFIX kg: <{KG}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

NAMES = PREFIXES + """SELECT DISTINCT ?value ?name ?valueId WHERE {
  ?value kg:reviewDate ?reviewed ; dcterms:identifier ?valueId .
  ?value dcterms:title|dcterms:identifier|kg:alias|skos:altLabel ?name .
  FILTER NOT EXISTS { ?value kg:supersededBy ?newer }
}"""
# The check's own body sub-select, so the concatenation (and so the first occurrence) is the store's.
BODIES = PREFIXES + """SELECT DISTINCT ?focus (GROUP_CONCAT(?t; separator=" | ") AS ?body)
WHERE { ?focus dcterms:abstract|kg:section/kg:text|kg:section/kg:item/kg:text ?t }
GROUP BY ?focus"""
TEXTS = PREFIXES + """SELECT ?t WHERE { ?focus dcterms:abstract|kg:section/kg:text|kg:section/kg:item/kg:text ?t }"""
RELATED = PREFIXES + """SELECT DISTINCT ?a ?b WHERE { ?a ?p ?b . ?p rdfs:subPropertyOf kg:relatedTo }"""

_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_MESSAGE = ("The body names {name} ({value_id}) but there is no relation between the two nodes: "
            "add the relation the text implies, or reword the text.")


def _plain(term) -> bool:
    return isinstance(term, ox.Literal) and term.language is None and term.datatype.value == XSD_STRING


def body_edge_mismatch(store: ox.Store, union: bool) -> SelectResult | None:
    """The rows of ``body-edge-mismatch.rq`` on ``store``, or ``None`` where the SPARQL must run."""
    import ahocorasick

    def select(text: str):
        return store.query(text, use_default_graph_as_union=union)

    if not all(_plain(row["t"]) for row in select(TEXTS)):
        return None
    # A name that is not a plain string never matches in the SPARQL: CONTAINS on it is an error.
    names: dict[str, list[tuple[object, str]]] = {}
    for row in select(NAMES):
        name = row["name"]
        if not _plain(name):
            continue
        if not name.value or "|" in name.value:
            return None
        if not _plain(row["valueId"]):
            return None  # MIN and CONCAT over a non-string id: not modelled
        names.setdefault(name.value, []).append((row["value"], row["valueId"].value))
    if not names:
        return SelectResult(variables=["focus", "path", "value", "message"], rows=[])
    related = {(row["a"], row["b"]) for row in select(RELATED)}
    automaton = ahocorasick.Automaton()
    for name in names:
        automaton.add_word(name, name)
    automaton.make_automaton()

    found: dict[tuple[object, object], list] = {}  # (focus, value) -> [min name, min id]
    for row in select(BODIES):
        focus, body = row["focus"], row["body"].value
        first: dict[str, int] = {}
        for end, name in automaton.iter(body):
            if name not in first:  # same length, so the first end is the first occurrence
                first[name] = end - len(name) + 1
        for name, start in first.items():
            if start > 0 and (body[start - 1] in _WORD or body[start - 1] == "."):
                continue
            after = body[start + len(name):start + len(name) + 2]
            if after and (after[0] in _WORD or (after[0] == "." and len(after) > 1 and after[1] in _ALNUM)):
                continue
            for value, value_id in names[name]:
                if value == focus or (focus, value) in related or (value, focus) in related:
                    continue
                best = found.get((focus, value))
                if best is None:
                    found[(focus, value)] = [name, value_id]
                else:
                    best[0], best[1] = min(best[0], name), min(best[1], value_id)
    path = URIRef(KG + "relatedTo")
    rows = []
    for (focus, value), (name, value_id) in found.items():
        message = Literal(_MESSAGE.format(name=name, value_id=value_id))
        rows.append({"focus": to_rdflib(focus), "path": path, "value": to_rdflib(value), "message": message})
    return SelectResult(variables=["focus", "path", "value", "message"], rows=rows)


# check name -> (SHA-256 of the check file's text it implements, the accelerator)
ACCELERATED: dict[str, tuple[str, Callable[[ox.Store, bool], SelectResult | None]]] = {
    "body-edge-mismatch": ("fa940a1c8f60d476d71be8ae2ba00dd1aef83b8b793cc2c02a928cbca298e8dc", body_edge_mismatch),
}


def accelerated(name: str, text: str, store: ox.Store, union: bool) -> SelectResult | None:
    """The accelerated rows of check ``name`` whose file text is ``text``, or ``None`` (run the SPARQL)."""
    entry = ACCELERATED.get(name)
    if entry is None or hashlib.sha256(text.encode("utf-8")).hexdigest() != entry[0]:
        return None
    return entry[1](store, union)
