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


def rules_closure(ontology: Graph, data: Graph) -> Graph:
    """The same entailments as :func:`closure`, computed directly from the axioms our ontology uses.

    Compiled once from the ontology: ``owl:inverseOf``, ``owl:SymmetricProperty``,
    ``rdfs:subPropertyOf`` and ``rdfs:subClassOf`` (transitively), ``rdfs:domain`` and ``rdfs:range``;
    applied to a fixpoint. Tested equal to owlrl's closure restricted the same way.
    """
    properties, classes = vocabulary(ontology)
    super_props = _transitive({(s, o) for s, o in ontology.subject_objects(RDFS.subPropertyOf)})
    super_classes = _transitive({(s, o) for s, o in ontology.subject_objects(RDFS.subClassOf)})
    inverse: dict[URIRef, set[URIRef]] = {}
    for p, q in ontology.subject_objects(OWL.inverseOf):
        inverse.setdefault(p, set()).add(q)
        inverse.setdefault(q, set()).add(p)
    for p in ontology.subjects(RDF.type, OWL.SymmetricProperty):
        inverse.setdefault(p, set()).add(p)
    domains = {p: set(ontology.objects(p, RDFS.domain)) for p in set(ontology.subjects(RDFS.domain, None))}
    ranges = {p: set(ontology.objects(p, RDFS.range)) for p in set(ontology.subjects(RDFS.range, None))}
    resources = {s for s in data.subjects() if isinstance(s, URIRef)}
    known = set(data) | set(ontology)
    todo = list(data)
    derived: set[tuple] = set()

    def emit(triple: tuple) -> None:
        if triple not in known:
            known.add(triple)
            derived.add(triple)
            todo.append(triple)

    while todo:
        s, p, o = todo.pop()
        if p == RDF.type:
            for c in super_classes.get(o, ()):
                emit((s, RDF.type, c))
            continue
        for q in super_props.get(p, ()):
            emit((s, q, o))
        if isinstance(o, URIRef):
            for q in inverse.get(p, ()):
                emit((o, q, s))
            for c in ranges.get(p, ()):
                emit((o, RDF.type, c))
        for c in domains.get(p, ()):
            emit((s, RDF.type, c))
    inferred = Graph()
    for s, p, o in derived:
        if s in resources and ((p == RDF.type and o in classes) or (p != RDF.type and p in properties)):
            inferred.add((s, p, o))
    return inferred


def _transitive(pairs: set[tuple]) -> dict[URIRef, set[URIRef]]:
    direct: dict[URIRef, set[URIRef]] = {}
    for a, b in pairs:
        direct.setdefault(a, set()).add(b)
    closed: dict[URIRef, set[URIRef]] = {}
    for start in direct:
        seen, stack = set(), list(direct[start])
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(direct.get(node, ()))
        closed[start] = seen
    return closed


REASONERS = {"owlrl": closure, "rules": rules_closure}


def infer(kg: KnowledgeGraph, *, use_cache: bool = True, reasoner: str = "owlrl") -> Inference:
    """The inferred graph of ``kg``, from the cache when the inputs have not changed.

    ``reasoner`` is ``owlrl`` (the reference) or ``rules`` (the same entailments, compiled from the
    ontology; what the fast engine uses).
    """
    cache_dir = kg.project.cache_dir
    cache_file = cache_dir / f"inferred-{CACHE_VERSION}-{reasoner}-{kg.content_hash[:32]}.nt"
    if use_cache and cache_file.is_file():
        graph = Graph()
        try:
            graph.parse(cache_file, format="nt")
            return Inference(graph=graph, cached=True, cache_file=cache_file)
        except Exception:  # a damaged cache entry is rebuilt, never trusted
            cache_file.unlink(missing_ok=True)
    graph = REASONERS[reasoner](kg.ontology, kg.data)
    if use_cache:
        _write_cache(graph, cache_file)
    return Inference(graph=graph, cached=False, cache_file=cache_file if use_cache else None)


def _write_cache(graph: Graph, cache_file: Path) -> None:
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        from .export import ntriples_lines

        lines = ntriples_lines(graph)
        fd, tmp = tempfile.mkstemp(dir=cache_file.parent, prefix=".inferred-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.writelines(lines)
        os.replace(tmp, cache_file)
    except OSError:
        pass  # a read-only project still works, it only infers every time
