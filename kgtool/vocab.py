"""Namespaces and the terms of the ontology that the code refers to by name."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

DEFAULT_BASE = "https://cdp.composablestack.ai/kg/"
KG = Namespace(DEFAULT_BASE + "ontology#")
SH = Namespace("http://www.w3.org/ns/shacl#")
SCHEMA = Namespace("http://schema.org/")

# Prefixes a person expects, in the order files and exports declare them.
PREFIXES: dict[str, str] = {
    "kg": str(KG),
    "cdp": DEFAULT_BASE,
    "rel": DEFAULT_BASE + "relation/",
    "doc": DEFAULT_BASE + "doc/",
    "dcterms": str(DCTERMS),
    "skos": str(SKOS),
    "prov": str(PROV),
    "schema": str(SCHEMA),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "sh": str(SH),
}

NODE_CLASSES = {
    "org-dim": KG.OrganizationDimension,
    "vendor": KG.Vendor,
    "pattern": KG.Pattern,
    "source": KG.SourceNode,
}

# Relation type names as the knowledge base writes them (kebab case) -> ontology property.
RELATION_TYPES = {
    "enables": KG.enables,
    "counter-indicates": KG.counterIndicates,
    "requires": KG.requires,
    "contrasts-with": KG.contrastsWith,
    "alternative-to": KG.alternativeTo,
    "implements": KG.implements,
    "part-of": KG.partOf,
    "child-of": KG.childOf,
    "superseded-by": KG.supersededBy,
    "correlates-with": KG.correlatesWith,
    "cites": KG.cites,
    "risk-of": KG.riskOf,
}
RELATION_NAMES = {prop: name for name, prop in RELATION_TYPES.items()}


def node_iri_namespace(base: str) -> Namespace:
    return Namespace(base)


def relation_iri(base: str, subject_id: str, rel_type: str, object_id: str) -> str:
    return f"{base}relation/{subject_id}--{rel_type}--{object_id}"
