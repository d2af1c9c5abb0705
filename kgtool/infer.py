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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from . import progress
from .load import INFERRED_GRAPH, KnowledgeGraph

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
    properties, classes, super_props, super_classes, inverse, domains, ranges = _axioms(ontology)
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


def _axioms(ontology: Graph) -> tuple:
    """What both rule reasoners read from the ontology: the vocabulary, the transitive sub-property and
    sub-class maps, inverses (symmetric properties are their own inverse), domains and ranges."""
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
    return properties, classes, super_props, super_classes, inverse, domains, ranges


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


@dataclass(frozen=True)
class CompiledRules:
    """The ontology's entailments compiled to lookup tables, applied in one pass over the store.

    Every rule our ontology uses has a single data triple as premise, so the fixpoint can be computed
    once on the schema: for a data predicate ``p``, ``triples`` lists each ``(q, flipped)`` that some
    chain of sub-property and inverse/symmetric steps reaches (``flipped``: subject and object swap),
    and ``types`` each class a domain or range of those gives the subject or the object (closed under
    sub-class). Only predicates and classes of our vocabulary are emitted, as in :func:`closure`.
    """

    triples_iri: tuple[tuple[URIRef, URIRef, bool], ...]  # (p, q, flipped) for an IRI object
    triples_literal: tuple[tuple[URIRef, URIRef], ...]  # (p, q) for a literal object: no flip
    types_iri: tuple[tuple[URIRef, URIRef, str], ...]  # (p, class, "s" or "o")
    types_literal: tuple[tuple[URIRef, URIRef], ...]  # (p, class) of the subject
    superclasses: tuple[tuple[URIRef, URIRef], ...]  # (class, superclass)

    def apply(self, store, graph, exclude: Iterable) -> int:
        """Add the entailments of the data to ``graph`` of ``store`` (a pyoxigraph store whose named graphs
        are the loaded files); ``exclude`` names the ontology's graphs, which are not data. Returns how
        many triples were added.

        One pass over the data quads of each predicate the tables mention (the store's predicate index;
        SPARQL with the tables as VALUES took 4x longer, most of it on the many duplicate type rows). A
        candidate already stated or inferred in any graph is dropped, and so is one whose subject is only
        an object in the data (as in :func:`closure`).
        """
        import pyoxigraph as ox

        excluded = {*exclude, graph}
        rdf_type = ox.NamedNode(str(RDF.type))
        node = {}

        def named(iri) -> "ox.NamedNode":
            if iri not in node:
                node[iri] = ox.NamedNode(str(iri))
            return node[iri]

        # predicate -> what a data triple with it gives. Triples: (q, flipped) with an IRI object, q with
        # any other object. Types: classes of the subject / of the object with an IRI object, classes of
        # the subject with any other object; a type depends only on (node, predicate), so each distinct
        # pair is expanded once, not once per triple.
        triples_iri: dict = {}
        triples_other: dict = {}
        for p, q, flipped in self.triples_iri:
            triples_iri.setdefault(named(p), []).append((named(q), flipped))
        for p, q in self.triples_literal:
            triples_other.setdefault(named(p), []).append(named(q))
        types_s: dict = {}
        types_o: dict = {}
        types_other: dict = {}
        for p, cls, side in self.types_iri:
            (types_s if side == "s" else types_o).setdefault(named(p), set()).add(named(cls))
        for p, cls in self.types_literal:
            types_other.setdefault(named(p), set()).add(named(cls))
        up: dict = {}
        for cls, sup in self.superclasses:
            up.setdefault(named(cls), []).append(named(sup))

        certain: set = set()  # (x, q, y) whose subject is a data subject by construction
        if_subject: set = set()  # (x, q, y) whose subject came from a data triple's object
        typed_s: set = set()  # (subject, predicate) with an IRI object
        typed_o: set = set()  # (object, predicate)
        typed_other: set = set()  # (subject, predicate) with any other object
        predicates = triples_iri.keys() | triples_other.keys() | types_s.keys() | types_o.keys() | types_other.keys()
        for predicate in predicates:
            iri_rules, other_rules = triples_iri.get(predicate, ()), triples_other.get(predicate, ())
            by_s, by_o, by_other = predicate in types_s, predicate in types_o, predicate in types_other
            for quad in store.quads_for_pattern(None, predicate, None, None):
                if quad.graph_name in excluded or isinstance(quad.graph_name, ox.DefaultGraph):
                    continue
                s, o = quad.subject, quad.object
                subject_iri = isinstance(s, ox.NamedNode)
                if isinstance(o, ox.NamedNode):
                    for q, flipped in iri_rules:
                        if flipped:  # the object becomes the subject
                            if_subject.add((o, q, s))
                        elif subject_iri:
                            certain.add((s, q, o))
                    if by_s and subject_iri:
                        typed_s.add((s, predicate))
                    if by_o:
                        typed_o.add((o, predicate))
                elif subject_iri:
                    for q in other_rules:
                        certain.add((s, q, o))
                    if by_other:
                        typed_other.add((s, predicate))
        # node -> its classes, through the set of (table, predicate) that typed it: nodes share few sets
        reasons: dict = {}
        tables = (types_s, types_other, types_o)
        for k, pairs in enumerate((typed_s, typed_other, typed_o)):
            for x, predicate in pairs:
                reasons.setdefault(x, set()).add((k, predicate))
        classes_of: dict = {}
        for x, why in reasons.items():
            key = frozenset(why)
            if key not in classes_of:
                from_subject = set().union(*(tables[k][p] for k, p in why if k < 2))
                from_object = set().union(*(tables[k][p] for k, p in why if k == 2)) - from_subject
                classes_of[key] = (from_subject, from_object)
            from_subject, from_object = classes_of[key]
            certain.update((x, rdf_type, cls) for cls in from_subject)
            if_subject.update((x, rdf_type, cls) for cls in from_object)
        for cls, supers in up.items():
            for quad in store.quads_for_pattern(None, rdf_type, cls, None):
                if quad.graph_name in excluded or isinstance(quad.graph_name, ox.DefaultGraph):
                    continue
                if isinstance(quad.subject, ox.NamedNode):
                    certain.update((quad.subject, rdf_type, sup) for sup in supers)

        is_data_subject: dict = {}

        def data_subject(x) -> bool:
            if x not in is_data_subject:
                is_data_subject[x] = any(q.graph_name not in excluded and not isinstance(q.graph_name, ox.DefaultGraph)
                                         for q in store.quads_for_pattern(x, None, None, None))
            return is_data_subject[x]

        new = certain | {t for t in if_subject - certain if data_subject(t[0])}
        # Drop what is already stated, in any graph: one scan per predicate (per class for rdf:type),
        # which is 5x faster than a lookup per candidate and keeps only one group in memory at a time.
        groups: dict = {}
        for x, q, y in new:
            groups.setdefault((q, y) if q == rdf_type else (q, None), []).append((x, y))
        quads = []
        for (q, cls), pairs in groups.items():
            if cls is not None:
                have = {quad.subject for quad in store.quads_for_pattern(None, q, cls, None)}
                quads.extend(ox.Quad(x, q, y, graph) for x, y in pairs if x not in have)
            else:
                have = {(quad.subject, quad.object) for quad in store.quads_for_pattern(None, q, None, None)}
                quads.extend(ox.Quad(x, q, y, graph) for x, y in pairs if (x, y) not in have)
        store.extend(quads)
        return len(quads)


def compile_rules(ontology: Graph) -> CompiledRules:
    """Compile the ontology's inverse, symmetric, sub-property, sub-class, domain and range axioms."""
    properties, classes, super_props, super_classes, inverse, domains, ranges = _axioms(ontology)
    mentioned = set(super_props) | set(inverse) | set(domains) | set(ranges)

    def up(cls: URIRef) -> set[URIRef]:
        return {cls} | super_classes.get(cls, set())

    triples_iri, triples_literal, types_iri, types_literal = set(), set(), set(), set()
    for p in mentioned:
        if p == RDF.type:
            continue
        # with an IRI object: walk (q, flipped) states
        seen = {(p, False)}
        todo = [(p, False)]
        while todo:
            q, flipped = todo.pop()
            for nxt in [(r, flipped) for r in super_props.get(q, ())] + [(r, not flipped) for r in inverse.get(q, ())]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        for q, flipped in seen:
            if (q, flipped) != (p, False) and q in properties:
                triples_iri.add((p, q, flipped))
            for c in domains.get(q, ()):
                types_iri.update((p, d, "o" if flipped else "s") for d in up(c) if d in classes)
            for c in ranges.get(q, ()):
                types_iri.update((p, d, "s" if flipped else "o") for d in up(c) if d in classes)
        # with a literal object: only sub-property steps, and domains
        chain = {p} | super_props.get(p, set())
        for q in chain:
            if q != p and q in properties:
                triples_literal.add((p, q))
            for c in domains.get(q, ()):
                types_literal.update((p, d) for d in up(c) if d in classes)
    superclasses = {(c, d) for c, ds in super_classes.items() for d in ds if d in classes}
    return CompiledRules(tuple(sorted(triples_iri)), tuple(sorted(triples_literal)), tuple(sorted(types_iri)),
                         tuple(sorted(types_literal)), tuple(sorted(superclasses)))


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


def infer_in_store(kg: KnowledgeGraph, *, use_cache: bool = True) -> bool:
    """Add the inferred triples to ``kg.store`` (graph ``urn:kgtool:inferred``), for the fast engine.

    The compiled rules are applied by :meth:`CompiledRules.apply`; the result is cached as N-Triples
    by the content of the inputs, like :func:`infer`. Returns whether the cache was used.
    """
    import pyoxigraph as ox

    store = kg.store
    if kg.inferred_in_store:
        return True
    cache_file = kg.project.cache_dir / f"inferred-{CACHE_VERSION}-store2-{kg.content_hash[:32]}.nt"
    store.remove_graph(INFERRED_GRAPH)
    if use_cache and cache_file.is_file():
        try:
            store.load(path=str(cache_file), format=ox.RdfFormat.N_TRIPLES, to_graph=INFERRED_GRAPH)
            kg.inferred_in_store = True
            return True
        except (OSError, SyntaxError, ValueError):  # a damaged cache entry is rebuilt, never trusted
            store.remove_graph(INFERRED_GRAPH)
            cache_file.unlink(missing_ok=True)
    with progress.step("inferring"):
        rules = compile_rules(kg.ontology)
        rules.apply(store, INFERRED_GRAPH, [f.store_graph for f in kg.files if f.role == "ontology"])
    kg.inferred_in_store = True
    if use_cache:
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=cache_file.parent, prefix=".inferred-", suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                store.dump(handle, format=ox.RdfFormat.N_TRIPLES, from_graph=INFERRED_GRAPH)
            os.replace(tmp, cache_file)
        except OSError:
            pass
    return False


def inferred_graph(kg: KnowledgeGraph) -> Graph:
    """The fast engine's inferred triples as an rdflib graph (for tests and export)."""
    from .terms import to_rdflib

    infer_in_store(kg)
    graph = Graph()
    for quad in kg.store.quads_for_pattern(None, None, None, INFERRED_GRAPH):
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph
