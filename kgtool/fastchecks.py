"""Checks the fast engine answers in Python because SPARQL cannot index them.

``queries/checks/body-edge-mismatch.rq`` pairs every node name with every node body
(``CONTAINS(?body, ?name)``): names x bodies string scans, 35 s of a 45 s validation at 10k nodes and
unbounded at 100k; ``superseded-id-in-use.rq`` does the same with old ids x texts. Here the store still
selects the names, the texts and the pairs (each a linear query), and an Aho-Corasick automaton
(pyahocorasick) finds every name in every text in one pass over the text. The rows are the check's
own: same variables, same first-occurrence whole-word test, same grouping, multiplicities and message.

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


def _automaton(names):
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for name in names:
        automaton.add_word(name, name)
    automaton.make_automaton()
    return automaton


def _named(automaton, text: str) -> list[str]:
    """The names whose first occurrence in ``text`` is a whole word, as the checks' SPARQL tests it:
    ``!REGEX(STRBEFORE(text, name), "[A-Za-z0-9_.-]$")`` and
    ``!REGEX(SUBSTR(STRAFTER(text, name), 1, 2), "^([A-Za-z0-9_-]|[.][A-Za-z0-9])")``."""
    first: dict[str, int] = {}
    for end, name in automaton.iter(text):
        if name not in first:  # same length, so the first end is the first occurrence
            first[name] = end - len(name) + 1
    named = []
    for name, start in first.items():
        if start > 0 and (text[start - 1] in _WORD or text[start - 1] == "."):
            continue
        after = text[start + len(name):start + len(name) + 2]
        if after and (after[0] in _WORD or (after[0] == "." and len(after) > 1 and after[1] in _ALNUM)):
            continue
        named.append(name)
    return named


def body_edge_mismatch(store: ox.Store, union: bool) -> SelectResult | None:
    """The rows of ``body-edge-mismatch.rq`` on ``store``, or ``None`` where the SPARQL must run."""
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
    automaton = _automaton(names)

    found: dict[tuple[object, object], list] = {}  # (focus, value) -> [min name, min id]
    for row in select(BODIES):
        focus, body = row["focus"], row["body"].value
        for name in _named(automaton, body):
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


SUPERSEDED_RELATIONS = PREFIXES + """SELECT ?focus ?path ?value ?message WHERE {
  ?value kg:supersededBy ?newer .
  ?focus ?path ?value .
  FILTER(?path = kg:subject || ?path = kg:object || ?path = kg:unless || ?path = kg:needs)
  FILTER NOT EXISTS { ?focus kg:relationType kg:supersededBy }
  OPTIONAL { ?value dcterms:identifier ?oldId }
  OPTIONAL { ?newer dcterms:identifier ?newId }
  BIND(CONCAT("The relation uses ", COALESCE(?oldId, STR(?value)), ", which is superseded by ",
              COALESCE(?newId, STR(?newer)), ": point the relation at ", COALESCE(?newId, STR(?newer)),
              " (and rename its IRI).") AS ?message)
}"""
ALIASES = PREFIXES + "SELECT ?current ?alias WHERE { ?current kg:alias ?alias }"
CURRENT_IDS = PREFIXES + "SELECT ?current ?id WHERE { ?current dcterms:identifier ?id FILTER EXISTS { ?current kg:alias ?a } }"
ALIAS_TEXTS = PREFIXES + """SELECT ?focus ?path ?text WHERE {
  { ?focus dcterms:abstract ?text . BIND(dcterms:abstract AS ?path) }
  UNION { ?focus kg:section/kg:text ?text . BIND(kg:section AS ?path) }
  UNION { ?focus kg:section/kg:item/kg:text ?text . BIND(kg:item AS ?path) }
  UNION { ?focus kg:fact/kg:text ?text . BIND(kg:fact AS ?path) }
  UNION { ?focus kg:rationale ?text . BIND(kg:rationale AS ?path) }
}"""
SUPERSEDED = PREFIXES + "SELECT DISTINCT ?focus WHERE { ?focus kg:supersededBy ?anything }"


def superseded_id_in_use(store: ox.Store, union: bool) -> SelectResult | None:
    """The rows of ``superseded-id-in-use.rq``: its first branch (relations pointing at a superseded
    node) as SPARQL, its second (texts that write an old id, aliases x texts in SPARQL) with one
    Aho-Corasick pass. Every part keeps the store's multiplicities (the check has no DISTINCT)."""

    def select(text: str):
        return store.query(text, use_default_graph_as_union=union)

    variables = ["focus", "path", "value", "message"]
    rows = [{v: (to_rdflib(row[v]) if row[v] is not None else None) for v in variables}
            for row in select(SUPERSEDED_RELATIONS)]
    aliases: dict[str, list] = {}
    for row in select(ALIASES):
        alias = row["alias"]
        if not _plain(alias):
            continue  # CONTAINS(text, non-string) is an error: never matches
        if not alias.value:
            return None
        aliases.setdefault(alias.value, []).append((row["current"], alias))
    if not aliases:
        return SelectResult(variables=variables, rows=rows)
    ids: dict = {}
    for row in select(CURRENT_IDS):
        if not _plain(row["id"]):
            return None  # CONCAT over a non-string id: not modelled
        ids.setdefault(row["current"], []).append(row["id"].value)
    superseded = {row["focus"] for row in select(SUPERSEDED)}
    automaton = _automaton(aliases)
    for row in select(ALIAS_TEXTS):
        text = row["text"]
        if not _plain(text):
            return None  # a language-tagged text has its own CONTAINS / STRBEFORE rules
        if row["focus"] in superseded:
            continue
        for name in _named(automaton, text.value):
            for current, alias in aliases[name]:
                written = ids.get(current) or [current.value if isinstance(current, ox.NamedNode) else None]
                for current_id in written:
                    if current_id is None:
                        return None  # STR() of a blank node: not modelled
                    rows.append({"focus": to_rdflib(row["focus"]), "path": to_rdflib(row["path"]),
                                 "value": to_rdflib(alias),
                                 "message": Literal(f"The text writes the old id {name}: write {current_id} instead.")})
    return SelectResult(variables=variables, rows=rows)


# check name -> (SHA-256 of the check file's text it implements, the accelerator)
ACCELERATED: dict[str, tuple[str, Callable[[ox.Store, bool], SelectResult | None]]] = {
    "body-edge-mismatch": ("fa940a1c8f60d476d71be8ae2ba00dd1aef83b8b793cc2c02a928cbca298e8dc", body_edge_mismatch),
    "superseded-id-in-use": ("23284d5a92d894a8edcc2f6cb657fd951ce6bbc4f99566be390013a393ed8069", superseded_id_in_use),
}


def accelerated(name: str, text: str, store: ox.Store, union: bool) -> SelectResult | None:
    """The accelerated rows of check ``name`` whose file text is ``text``, or ``None`` (run the SPARQL)."""
    entry = ACCELERATED.get(name)
    if entry is None or hashlib.sha256(text.encode("utf-8")).hexdigest() != entry[0]:
        return None
    return entry[1](store, union)
