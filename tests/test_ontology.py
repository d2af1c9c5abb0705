"""Issue 2: the ontology is complete and self-describing."""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kgtool.vocab import KG, RELATION_TYPES


def _declared(ontology, *kinds):
    return {s for kind in kinds for s in ontology.subjects(RDF.type, kind) if isinstance(s, URIRef)}


def test_every_class_and_property_has_a_label_and_a_definition(kg):
    onto = kg.ontology
    terms = _declared(onto, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    assert len(terms) > 40
    for term in terms:
        assert onto.value(term, RDFS.label) is not None, term
        assert onto.value(term, SKOS.definition) is not None, term


def test_every_relation_type_is_a_related_to_and_directed_ones_have_inverses(kg):
    onto = kg.ontology
    symmetric = set(onto.subjects(RDF.type, OWL.SymmetricProperty))
    assert symmetric == {KG.contrastsWith, KG.alternativeTo, KG.correlatesWith}
    for name, prop in RELATION_TYPES.items():
        assert (prop, RDFS.subPropertyOf, KG.relatedTo) in onto, name
        if prop not in symmetric:
            inverse = onto.value(prop, OWL.inverseOf)
            assert inverse is not None, name
            assert (inverse, RDFS.subPropertyOf, KG.referencedBy) in onto, name
    assert (KG.relatedTo, OWL.inverseOf, KG.referencedBy) in onto
    assert (KG.enables, OWL.inverseOf, KG.enabledBy) in onto
    assert (KG.counterIndicates, OWL.inverseOf, KG.counterIndicatedBy) in onto
    assert (KG.childOf, RDFS.subPropertyOf, SKOS.broader) in onto


def test_enumerations_have_notations(kg):
    onto = kg.ontology
    for cls in (KG.Strength, KG.RelationStatus, KG.NodeStatus, KG.SourceKind, KG.SectionType):
        members = set(onto.subjects(RDF.type, cls))
        assert members, cls
        for member in members:
            assert onto.value(member, SKOS.notation) is not None, member
