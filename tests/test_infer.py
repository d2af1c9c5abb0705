"""Issue 4: inference answers backlinks, inverses, symmetric relations and class closure, kept apart and cached."""

from __future__ import annotations

import importlib

import pytest
from rdflib import URIRef
from rdflib.namespace import OWL, RDF, RDFS

import kgtool
from kgtool.vocab import KG

CDP = "https://cdp.composablestack.ai/kg/"
SEED = URIRef(CDP + "org-dim.operational-profile.engineering-led-cdp")
infer_module = importlib.import_module("kgtool.infer")


def test_entailments_our_queries_rely_on(qgraph):
    g = qgraph.graph
    assert (URIRef(CDP + "vendor.hightouch"), KG.enabledBy, SEED) in g                       # inverse
    assert (URIRef(CDP + "vendor.hightouch"), KG.referencedBy, SEED) in g                    # backlink
    assert (URIRef(CDP + "org-dim.operational-profile.hybrid-cdp"), KG.alternativeTo, SEED) in g  # symmetric
    assert (SEED, KG.relatedTo, URIRef(CDP + "vendor.growthloop")) in g                      # sub-property
    assert (SEED, RDF.type, KG.Node) in g                                                    # sub-class
    assert (URIRef(CDP + "org-dim.operational-profile"), KG.parentOf, SEED) in g
    rows = g.query("SELECT ?x WHERE { ?x <https://cdp.composablestack.ai/kg/ontology#referencedBy> ?y . "
                   "FILTER(?y = <https://cdp.composablestack.ai/kg/org-dim.operational-profile.engineering-led-cdp>) }")
    assert URIRef(CDP + "org-dim.operational-profile.marketing-led-cdp") in {r.x for r in rows}


def test_inferred_triples_are_kept_apart_and_free_of_axiomatic_noise(kg):
    before = len(kg.data)
    inference = kgtool.infer(kg)
    assert len(kg.data) == before  # nothing mixed into the asserted graph
    assert not set(inference.graph) & set(kg.graph("ontology", "data"))
    noise = {OWL.Thing, RDFS.Resource, OWL.Class, RDFS.Class}
    for s, p, o in inference.graph:
        assert p != OWL.sameAs
        assert not (p == RDF.type and o in noise)
        assert (s, None, None) in kg.data  # only knowledge about the data's own resources


def test_cache_is_reused_and_keyed_by_content(make_project, root, monkeypatch):
    project = make_project({"n.ttl": (root / "data" / "vendor" / "vendor.census.ttl").read_text()})
    first = kgtool.infer(kgtool.load(project))
    assert not first.cached and first.cache_file.is_file()

    def boom(*args, **kwargs):
        raise AssertionError("inference ran again on an unchanged graph")

    monkeypatch.setattr(infer_module, "closure", boom)
    second = kgtool.infer(kgtool.load(project))
    assert second.cached and set(second.graph) == set(first.graph)
    monkeypatch.undo()

    (project / "data" / "n.ttl").write_text((project / "data" / "n.ttl").read_text().replace("v1", "v2"))
    third = kgtool.infer(kgtool.load(project))
    assert not third.cached and third.cache_file != first.cache_file


def test_damaged_cache_is_rebuilt(make_project, root):
    project = make_project({"n.ttl": (root / "data" / "vendor" / "vendor.census.ttl").read_text()})
    first = kgtool.infer(kgtool.load(project))
    first.cache_file.write_text("<not n-triples")
    again = kgtool.infer(kgtool.load(project))
    assert not again.cached and set(again.graph) == set(first.graph)


def test_matches_owlrl_restricted_to_our_vocabulary(kg):
    """The closure kgtool keeps is exactly owlrl's new triples about our resources in our vocabulary."""
    import owlrl
    from rdflib import Graph

    work = Graph()
    for t in kg.graph("ontology", "data"):
        work.add(t)
    asserted = set(work)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(work)
    properties, classes = infer_module.vocabulary(kg.ontology)
    resources = {s for s in kg.data.subjects() if isinstance(s, URIRef)}
    expected = {(s, p, o) for s, p, o in set(work) - asserted
                if s in resources and p != OWL.sameAs and ((p == RDF.type and o in classes) or
                                                          (p != RDF.type and p in properties))}
    assert set(kgtool.infer(kg).graph) == expected
    assert set(infer_module.rules_closure(kg.ontology, kg.data)) == expected  # the compiled rules, same result
    assert set(infer_module.inferred_graph(kg)) == expected  # the same rules run by the store (the fast engine)


def test_fast_reasoner_is_used_by_the_fast_engine_and_cached_apart(make_project, root):
    project = make_project({"n.ttl": (root / "data" / "vendor" / "vendor.census.ttl").read_text()})
    kg = kgtool.load(project)
    slow = kgtool.infer(kg)
    fast = kgtool.infer(kg, reasoner="rules")
    assert set(slow.graph) == set(fast.graph)
    assert slow.cache_file != fast.cache_file
