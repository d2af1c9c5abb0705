"""Inference: the entailments our ontology declares, kept in a graph of their own.

owlrl's OWL 2 RL closure is the reference. It runs on a copy (owlrl mutates the graph it expands),
and only knowledge is kept: new triples about the data's own resources whose predicate (or, for
``rdf:type``, class) belongs to the ontology's vocabulary or to the external terms it maps to.
owlrl's axiomatic noise (``owl:sameAs`` of every resource, ``owl:Thing`` types, datatype axioms) is
dropped. The result is cached by the content of the inputs, so an unchanged graph never pays for
inference again.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from .load import KnowledgeGraph

CACHE_VERSION = "owlrl-1"


@dataclass(frozen=True)
class Inference:
    """The inferred graph and where it came from."""

    graph: Graph
    cached: bool
    cache_file: Path | None


def vocabulary(ontology: Graph) -> tuple[set[URIRef], set[URIRef]]:
    """Predicates and classes inference may produce: declared ones and the external terms they map to."""
    properties: set[URIRef] = set()
    classes: set[URIRef] = set()
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property, OWL.SymmetricProperty):
        properties.update(s for s in ontology.subjects(RDF.type, kind) if isinstance(s, URIRef))
    properties.update(o for o in ontology.objects(None, RDFS.subPropertyOf) if isinstance(o, URIRef))
    classes.update(s for s in ontology.subjects(RDF.type, OWL.Class) if isinstance(s, URIRef))
    classes.update(o for o in ontology.objects(None, RDFS.subClassOf) if isinstance(o, URIRef))
    return properties, classes


def closure(ontology: Graph, data: Graph) -> Graph:
    """Run owlrl's OWL 2 RL closure over ``ontology + data`` and return only the new knowledge."""
    import owlrl  # imported here: only commands that infer pay for it

    work = Graph()
    for triple in ontology:
        work.add(triple)
    for triple in data:
        work.add(triple)
    asserted = set(work)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(work)
    properties, classes = vocabulary(ontology)
    resources = {s for s in data.subjects() if isinstance(s, URIRef)}
    inferred = Graph()
    for s, p, o in work:
        if (s, p, o) in asserted or s not in resources or p == OWL.sameAs:
            continue
        if p == RDF.type:
            if o in classes:
                inferred.add((s, p, o))
        elif p in properties:
            inferred.add((s, p, o))
    return inferred


def infer(kg: KnowledgeGraph, *, use_cache: bool = True) -> Inference:
    """The inferred graph of ``kg``, from the cache when the inputs have not changed."""
    cache_dir = kg.project.cache_dir
    cache_file = cache_dir / f"inferred-{CACHE_VERSION}-{kg.content_hash[:32]}.nt"
    if use_cache and cache_file.is_file():
        graph = Graph()
        try:
            graph.parse(cache_file, format="nt")
            return Inference(graph=graph, cached=True, cache_file=cache_file)
        except Exception:  # a damaged cache entry is rebuilt, never trusted
            cache_file.unlink(missing_ok=True)
    graph = closure(kg.ontology, kg.data)
    if use_cache:
        _write_cache(graph, cache_file)
    return Inference(graph=graph, cached=False, cache_file=cache_file if use_cache else None)


def _write_cache(graph: Graph, cache_file: Path) -> None:
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        lines = sorted(f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in graph)
        fd, tmp = tempfile.mkstemp(dir=cache_file.parent, prefix=".inferred-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.writelines(lines)
        os.replace(tmp, cache_file)
    except OSError:
        pass  # a read-only project still works, it only infers every time
