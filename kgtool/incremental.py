"""Incremental validation: after an edit, re-check only the resources the edit can have affected.

A validation with the fast engine leaves in ``.kgtool-cache/`` its findings and, for every data file,
its hash and the IRIs it mentions. The next validation with the same shapes, checks, ontology and
settings compares the hashes. Nothing changed: the findings are returned as they were. Some files
changed: their IRIs, before and after the edit, are the *seeds*, and

- a rule with a **radius** r (a finding on a focus reads only triples whose subject is at most r
  links from the focus; a link is a triple between two data resources, never through an ontology
  term or a literal) can change its findings only on foci within r links of a seed. Those foci are
  re-checked on a sub-graph holding every triple whose subject is within 2r links of a seed (plus the
  ontology), so each of them sees everything it reads; the cached findings of every other focus stand.
  The shapes' radius is worked out from the shapes (``shapes_radius``: a path step, an ``sh:class``
  on values and a nested shape on values each add what they read); a check declares its own with a
  ``# scope: N`` header line;
- a rule without a radius (a check with no ``# scope:``, such as ``duplicate-title``, which compares
  every title with every other) runs over the whole graph, as in a full validation.

A full validation runs instead (and refreshes the cache) when there is no cache for these inputs,
when more than ``MAX_CHANGED`` of the files changed, when blank nodes are involved (their labels are
not stable between parses), when the shapes use SHACL-SPARQL, or when the sub-graph would hold most
of the graph. Incremental and full validation give the same findings: tested on edits that add,
remove and retarget nodes, relations, types and citations.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, URIRef
from rdflib.collection import Collection

from . import __version__
from .load import KnowledgeGraph
from .vocab import SH

CACHE_VERSION = 1
MAX_CHANGED = 0.2  # share of the data files above which a full validation is cheaper
MAX_CONTEXT = 0.5  # share of the graph's resources above which a full validation is cheaper


@dataclass(frozen=True)
class Incremental:
    """How a validation went about it: ``full`` (and why), or which files changed and how many
    resources were re-checked (``ValidationReport.incremental``)."""

    full: bool
    reason: str
    changed_files: tuple[str, ...] = ()
    rechecked: int = 0

    def describe(self) -> str:
        if self.full:
            return f"full validation ({self.reason})"
        if not self.changed_files:
            return "no file changed since the last validation: its findings stand"
        files = f"{len(self.changed_files)} file{'s' if len(self.changed_files) != 1 else ''} changed"
        return f"incremental: {files}, {self.rechecked} resources re-checked by the local rules"


# ---- the radius of the shapes ------------------------------------------------------------------

_VALUE_CONSTRAINTS = {SH[n] for n in (
    "datatype", "nodeKind", "minCount", "maxCount", "minLength", "maxLength", "pattern", "flags", "languageIn",
    "uniqueLang", "in", "hasValue", "minInclusive", "maxInclusive", "minExclusive", "maxExclusive", "equals",
    "disjoint", "lessThan", "lessThanOrEquals", "closed", "ignoredProperties", "qualifiedMinCount",
    "qualifiedMaxCount", "qualifiedValueShapesDisjoint")}
_ANNOTATIONS = {SH[n] for n in ("severity", "message", "deactivated", "name", "description", "order", "group",
                                "defaultValue", "targetClass", "targetSubjectsOf", "targetNode", "path")}
_NESTED = {SH.node, SH.qualifiedValueShape, SH.property, SH["not"]}
_LISTS = {SH["and"], SH["or"], SH.xone}


def shapes_radius(shapes: Graph) -> int | None:
    """How far from its focus any shape reads (see the module's docstring), or ``None`` when a shape
    uses something this analysis does not model (SHACL-SPARQL, a ``*`` path, an unknown term)."""
    radius = 0
    for shape in set(shapes.subjects(SH.targetClass, None)) | set(shapes.subjects(SH.targetSubjectsOf, None)) \
            | set(shapes.subjects(SH.targetNode, None)) | set(shapes.subjects(SH.targetObjectsOf, None)):
        found = _radius(shapes, shape, frozenset())
        if found is None:
            return None
        radius = max(radius, found)
    return radius


def _path_steps(shapes: Graph, path) -> tuple[int, int] | None:
    """(radius read to find the values, distance of the values) of a property path."""
    if isinstance(path, URIRef):
        return 0, 1
    inverse = shapes.value(path, SH.inversePath)
    if isinstance(inverse, URIRef):
        return 1, 1
    if (path, RDF.first, None) in shapes:  # a sequence path
        steps = list(Collection(shapes, path))
        if steps and all(isinstance(step, URIRef) for step in steps):
            return len(steps) - 1, len(steps)
    return None


def _radius(shapes: Graph, shape, seen: frozenset) -> int | None:
    if shape in seen:
        return None  # a recursive shape: unbounded
    seen = seen | {shape}
    path = shapes.value(shape, SH.path)
    if path is not None:
        steps = _path_steps(shapes, path)
        if steps is None:
            return None
        read, values = steps
    else:
        read, values = 0, 0  # a node shape: its value node is the focus
    radius = max(read, 1 if (shape, SH.targetObjectsOf, None) in shapes else 0)
    for predicate, obj in shapes.predicate_objects(shape):
        if predicate == SH["class"]:
            radius = max(radius, values)  # the values' rdf:type triples
        elif predicate in _NESTED:
            nested = _radius(shapes, obj, seen)
            if nested is None:
                return None
            radius = max(radius, values + nested)
        elif predicate in _LISTS:
            for member in Collection(shapes, obj):
                nested = _radius(shapes, member, seen)
                if nested is None:
                    return None
                radius = max(radius, values + nested)
        elif predicate in _VALUE_CONSTRAINTS or predicate in _ANNOTATIONS or predicate == SH.targetObjectsOf:
            continue
        elif str(predicate).startswith(str(SH)):
            return None  # sh:sparql, sh:rule, ...: not modelled
    return radius


def check_scope(query) -> int | None:
    """A check's ``# scope: N`` header (links from ?focus it reads), or ``None``: it reads the whole graph."""
    raw = query.extra.get("scope")
    if raw is None:
        return None
    try:
        value = int(raw.split()[0])
    except (ValueError, IndexError):
        return None
    return value if value >= 0 else None


# ---- the cache ---------------------------------------------------------------------------------

def _key(kg: KnowledgeGraph, as_of: date, stale_days: int, checks: dict) -> str:
    digest = hashlib.sha256(f"validation-{CACHE_VERSION}\0{__version__}\0{ox.__version__}\0{as_of}\0{stale_days}\0".encode())
    for item in sorted(kg.files, key=lambda f: f.path):
        if item.role != "data":
            digest.update(f"{item.role}\0{item.path}\0{item.sha256}\n".encode())
    digest.update(repr(kg.project.settings).encode())  # the base IRI changes every IRI, not a file
    for name, query in sorted(checks.items()):
        digest.update(f"check\0{name}\0".encode() + hashlib.sha256(query.text.encode()).digest())
    code = Path(__file__).parent
    for source in sorted(code.glob("*.py")):  # a fix in kgtool invalidates earlier findings
        digest.update(source.name.encode() + hashlib.sha256(source.read_bytes()).digest())
    return digest.hexdigest()


def _cache_path(kg: KnowledgeGraph) -> Path:
    return kg.project.cache_dir / "validation" / "last.json.gz"


def _read_cache(kg: KnowledgeGraph, key: str) -> dict | None:
    try:
        with gzip.open(_cache_path(kg), "rt", encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError, EOFError):
        return None
    return data if data.get("key") == key and data.get("version") == CACHE_VERSION else None


def _write_cache(kg: KnowledgeGraph, data: dict) -> None:
    path = _cache_path(kg)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".last-", suffix=".tmp")
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as handle:
            handle.write(json.dumps(data, separators=(",", ":")).encode("utf-8"))
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only project validates in full every time


def _file_iris(store: ox.Store, graph: ox.NamedNode, ontology_terms: set[str]) -> tuple[list[str], bool]:
    """The data IRIs a file mentions (subjects and objects), and whether it cannot be followed link by
    link: it holds blank nodes (their labels change between parses) or says something about an
    ontology term (which every rule may read)."""
    iris: set[str] = set()
    opaque = False
    for quad in store.quads_for_pattern(None, None, None, graph):
        if isinstance(quad.subject, ox.NamedNode) and quad.subject.value in ontology_terms:
            opaque = True
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.NamedNode):
                if term.value not in ontology_terms:
                    iris.add(term.value)
            elif isinstance(term, ox.BlankNode):
                opaque = True
    return sorted(iris), opaque


def _ontology_terms(kg: KnowledgeGraph) -> set[str]:
    store = kg.asserted_store()
    terms: set[str] = set()
    for item in kg.files:
        if item.role == "ontology":
            terms.update(q.subject.value for q in store.quads_for_pattern(None, None, None, item.store_graph)
                         if isinstance(q.subject, ox.NamedNode))
    return terms


# ---- links -------------------------------------------------------------------------------------

def _distances(store: ox.Store, seeds: set[str], radius: int, ontology_terms: set[str]) -> dict[str, int]:
    """Data IRIs within ``radius`` links of a seed, with their distance (breadth-first over the store)."""
    distance = {iri: 0 for iri in seeds}
    frontier = list(seeds)
    for step in range(1, radius + 1):
        reached = []
        for iri in frontier:
            node = ox.NamedNode(iri)
            neighbours = [q.object for q in store.quads_for_pattern(node, None, None, None)]
            neighbours += [q.subject for q in store.quads_for_pattern(None, None, node, None)]
            for other in neighbours:
                if isinstance(other, ox.NamedNode) and other.value not in ontology_terms and other.value not in distance:
                    distance[other.value] = step
                    reached.append(other.value)
        frontier = reached
    return distance


def _subgraph(kg: KnowledgeGraph, subjects) -> ox.Store:
    """The ontology plus every triple whose subject is in ``subjects``, in one default graph."""
    store = kg.asserted_store()
    sub = ox.Store()
    quads = []
    for item in kg.files:
        if item.role == "ontology":
            quads.extend(ox.Quad(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, item.store_graph))
    for iri in subjects:
        quads.extend(ox.Quad(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(ox.NamedNode(iri), None, None, None))
    sub.extend(quads)
    return sub


# ---- validation --------------------------------------------------------------------------------

def validate(kg: KnowledgeGraph, *, as_of: date, stale_days: int, full: bool = False):
    """Validate ``kg`` with the fast engine, re-checking only what changed since the last validation
    with the same inputs (see the module's docstring); ``full`` checks everything (and records it for
    the next run). Returns a ``ValidationReport`` whose ``incremental`` says what was done."""
    V = importlib.import_module("kgtool.validate")
    from .engine import OxigraphGraph
    from .sparql import remember_verdicts

    checks = V.checks(kg)
    key = _key(kg, as_of, stale_days, checks)
    store = kg.asserted_store()
    remember_verdicts(kg.project.cache_dir)
    shapes = kg.shapes
    lookup = V.StoreLookup(kg)
    ontology_terms = _ontology_terms(kg)
    data_files = {f.path: f for f in kg.files if f.role == "data"}
    cache = None if full else _read_cache(kg, key)

    odd: list = []  # foci that are no IRI: blank nodes (unstable labels) or literals (no links)

    def note(focus) -> bool:
        if not isinstance(focus, URIRef):
            odd.append(focus)
        return True

    def run_full(reason: str):
        results = V.shape_results(kg, lookup, keep=note) if len(shapes) else []
        target = OxigraphGraph.for_kg(kg, inferred=False)
        check_findings = V.run_checks(kg, lookup, as_of=as_of, stale_days=stale_days, target=target,
                                      keep=lambda _rule, focus: note(focus))
        files = {}
        for path, item in data_files.items():
            iris, blank = _file_iris(store, item.store_graph, ontology_terms)
            files[path] = [item.sha256, blank, iris]
        _save(results, check_findings, files)
        return _report(results, check_findings, Incremental(full=True, reason=reason))

    def _save(results, check_findings, files):
        if kg.partial:
            return  # a validation of some files is no record of the project
        _write_cache(kg, {"version": CACHE_VERSION, "key": key, "files": files, "odd": bool(odd),
                          "shapes": [r.to_json() for r in results],
                          "checks": [dict(vars(f)) for f in check_findings]})

    def _report(results, check_findings, how):
        report = V.shape_report(results)
        V._add_to_report(report, check_findings)
        findings = sorted([r.finding for r in results] + list(check_findings), key=V._finding_key)
        return V.ValidationReport(findings=findings, as_of=as_of, shacl_report=report, incremental=how)

    if full or kg.partial:
        return run_full("asked for" if full else "only some data files were loaded")
    if cache is None:
        return run_full("no earlier validation of these shapes, checks, ontology and settings")
    old_files = cache["files"]
    old_results = [V.ShapeResult.from_json(r) for r in cache["shapes"]]
    old_checks = [V.Finding(**f) for f in cache["checks"]]
    changed = sorted(p for p in data_files.keys() | old_files.keys()
                     if (data_files[p].sha256 if p in data_files else None) != (old_files[p][0] if p in old_files else None))
    if not changed:
        return _report(old_results, old_checks, Incremental(full=False, reason="", changed_files=()))
    if len(changed) > max(1, MAX_CHANGED * len(data_files)):
        return run_full(f"{len(changed)} of {len(data_files)} files changed")
    if cache.get("odd", True):
        return run_full("an earlier finding is on a blank node or a literal")
    shapes_r = shapes_radius(shapes) if len(shapes) else 0
    scopes = {name: check_scope(query) for name, query in checks.items()}
    files = dict(old_files)
    seeds: set[str] = set()
    for path in changed:
        if path in old_files:
            seeds.update(old_files[path][2])
            if old_files[path][1]:
                return run_full(f"{path} held blank nodes or statements about ontology terms")
            del files[path]
        if path in data_files:
            iris, opaque = _file_iris(store, data_files[path].store_graph, ontology_terms)
            if opaque:
                return run_full(f"{path} holds blank nodes or statements about ontology terms")
            seeds.update(iris)
            files[path] = [data_files[path].sha256, opaque, iris]
    # A resource used as a predicate is read through every triple that uses it, not through links.
    for iri in seeds:
        if next(iter(store.quads_for_pattern(None, ox.NamedNode(iri), None, None)), None) is not None:
            return run_full(f"{iri}, used as a predicate, is described in a changed file")
    # Every rule re-checks at least the foci one link away: a finding also names its node (a relation's
    # subject), which may be the resource that changed.
    local = {name: max(1, r) for name, r in scopes.items() if r is not None}
    shapes_reach = None if shapes_r is None else max(1, shapes_r)
    reach = max([*local.values(), shapes_reach or 1])
    distance = _distances(store, seeds, 2 * reach, ontology_terms)
    known = set().union(*(entry[2] for entry in files.values())) if files else set()
    if len(distance) > MAX_CONTEXT * max(1, len(known)):
        return run_full(f"the change reaches {len(distance)} of {len(known)} resources")
    sub = OxigraphGraph(store=_subgraph(kg, distance), union=False)

    def near(focus: str, limit: int) -> bool:
        return distance.get(focus, limit + 1) <= limit

    def near_term(focus, limit: int) -> bool:
        """For a fresh result: an IRI near enough; anything else is noted (a full validation follows)."""
        if not isinstance(focus, URIRef):
            odd.append(focus)
            return False
        return near(str(focus), limit)

    changed_set = set(changed)

    def stands(finding, limit: int) -> bool:
        return not near(finding.focus, limit) and finding.file not in changed_set

    if shapes_reach is None:
        results = V.shape_results(kg, lookup) if len(shapes) else []
    else:
        fresh = V.shape_results(kg, lookup, _ntriples(sub.store), keep=lambda focus: near_term(focus, shapes_reach)) \
            if len(shapes) else []
        results = [r for r in old_results if stands(r.finding, shapes_reach)] + fresh
    check_findings = [f for f in old_checks if f.rule in local and stands(f, local[f.rule])]
    if local:
        check_findings += V.run_checks(kg, lookup, as_of=as_of, stale_days=stale_days, only=set(local), target=sub,
                                       keep=lambda rule, focus: near_term(focus, local[rule]))
    if odd:
        return run_full("a finding is on a blank node or a literal")
    whole = {name for name in checks if name not in local}
    if whole:
        target = OxigraphGraph.for_kg(kg, inferred=False)
        check_findings += V.run_checks(kg, lookup, as_of=as_of, stale_days=stale_days, only=whole, target=target)
    _save(results, check_findings, files)
    rechecked = sum(1 for d in distance.values() if d <= reach)
    return _report(results, check_findings, Incremental(full=False, reason="", changed_files=tuple(changed), rechecked=rechecked))


def _ntriples(store: ox.Store) -> str:
    return store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).decode("utf-8")
