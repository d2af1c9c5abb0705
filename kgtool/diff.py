"""``kgtool diff``: what changed between two revisions of the graph, per node, in the curators' terms.

Each side is a git revision of the project (``HEAD~1``, a branch, a tag, a commit) or a path: a
project folder, a folder of Turtle files, or one file. A path wins over a revision of the same name.
A revision is read with ``git archive`` (no shell, no checkout) into a temporary folder; only its
``data/`` is loaded. The comparison works on the loaded data graphs, not on the text, so moving or
renaming a file, or reformatting it, reports nothing.

What is reported, keyed by node id (``dcterms:identifier``) and shown with the node's title:

- nodes added or removed;
- for a changed node: its attributes (title, summary, confidence 85% -> 75%, version, review date,
  tags, aliases, other names, notes, ...), its sources (``dcterms:source``, by document id and
  title), its body sections, list items and facts (by their IRIs under the node, ``section-4``,
  ``fact-2``), and its relations, keyed by (subject, type, object): added, removed, or changed
  (rationale, strength, status, unless, needs, evidence, confidence, and whether the direct triple
  and the qualified relation are both there);
- the source registry (``kg:Source``, by document IRI): added, removed, changed;
- anything else, by IRI, so that no change goes unreported.

A changed node whose version or review date did not move gets a warning: a reviewer wants to see
an edit that did not bump them. The ontology and the shapes are not compared (``git diff`` them
after ``kgtool fmt``).
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from .errors import KgtoolError, ProjectNotFoundError, UsageError
from .load import FORMATS, load, parse_bytes, read_file
from .project import Project, find_project
from .render import Format
from .vocab import DEFAULT_BASE, KG, NODE_CLASSES, RELATION_NAMES, RELATION_TYPES

_KIND_NAMES = {KG.OrganizationDimension: "dimension", KG.Vendor: "vendor", KG.Pattern: "pattern",
               KG.SourceNode: "source node"}
_NODE_TYPES = set(NODE_CLASSES.values()) | {KG.Node}
# Node attributes in the order they are reported, with the names people use for them.
_ATTRIBUTES = [
    (DCTERMS.identifier, "id"), (DCTERMS.title, "title"), (DCTERMS.abstract, "summary"),
    (KG.nodeStatus, "node status"), (KG.confidence, "confidence"), (KG.confidenceRationale, "confidence rationale"),
    (KG.version, "version"), (KG.reviewDate, "review date"), (KG.tag, "tags"), (KG.alias, "aliases"),
    (SKOS.altLabel, "other names"), (SKOS.editorialNote, "editorial notes"),
]
_ATTRIBUTE_NAMES = dict(_ATTRIBUTES)
_SET_VALUED = {KG.tag, KG.alias, SKOS.altLabel, SKOS.editorialNote, DCTERMS.source, KG.evidence, KG.unless,
               KG.needs, KG.item, RDF.type}
_RELATION_FIELDS = [
    (KG.rationale, "rationale"), (KG.strength, "strength"), (KG.status, "status"), (KG.unless, "unless"),
    (KG.needs, "needs"), (KG.evidence, "evidence"), (KG.confidence, "confidence"), (KG.unsourced, "unsourced"),
    (SKOS.editorialNote, "editorial notes"),
]
_RELATION_CORE = {RDF.type, KG.subject, KG.relationType, KG.object}
_FRAGMENT_NUMBER = re.compile(r"(\d+)")


# --------------------------------------------------------------------------------------------------
# Typed results
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldChange:
    """One attribute that changed: ``old`` -> ``new`` for a single value, ``added``/``removed`` for a set."""

    name: str
    old: str | None = None
    new: str | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ref:
    """A node or a cited document as people read it: id, title and IRI (and URL for documents)."""

    id: str
    title: str
    iri: str
    url: str | None = None


@dataclass(frozen=True)
class RelationChange:
    change: str  # "added", "removed" or "changed"
    type: str
    target: Ref
    iri: str | None
    status: str | None
    strength: str | None
    rationale: str | None
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class NodeDiff:
    change: str  # "added", "removed" or "changed"
    node: Ref
    kind: str
    fields: tuple[FieldChange, ...] = ()
    sources_added: tuple[Ref, ...] = ()
    sources_removed: tuple[Ref, ...] = ()
    relations: tuple[RelationChange, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResourceDiff:
    """A cited document of the registry, or any other resource, that was added, removed or changed."""

    change: str
    ref: Ref
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class DiffReport:
    old: str
    new: str
    nodes: tuple[NodeDiff, ...] = ()
    sources: tuple[ResourceDiff, ...] = ()
    other: tuple[ResourceDiff, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.nodes or self.sources or self.other)

    @property
    def warnings(self) -> list[str]:
        return [f"{n.node.id}: {w}" for n in self.nodes for w in n.warnings]

    @property
    def summary(self) -> dict[str, int]:
        def count(items, change):
            return sum(1 for i in items if i.change == change)
        relations = [r for n in self.nodes for r in n.relations]
        return {
            "nodes_added": count(self.nodes, "added"), "nodes_removed": count(self.nodes, "removed"),
            "nodes_changed": count(self.nodes, "changed"),
            "relations_added": count(relations, "added"), "relations_removed": count(relations, "removed"),
            "relations_changed": count(relations, "changed"),
            "node_sources_added": sum(len(n.sources_added) for n in self.nodes),
            "node_sources_removed": sum(len(n.sources_removed) for n in self.nodes),
            "sources_added": count(self.sources, "added"), "sources_removed": count(self.sources, "removed"),
            "sources_changed": count(self.sources, "changed"),
            "other_changed": len(self.other), "warnings": len(self.warnings),
        }

    def to_json(self) -> dict:
        return {"format": "kgtool-diff/1", "old": self.old, "new": self.new, "changed": self.changed,
                "summary": self.summary, "nodes": [asdict(n) for n in self.nodes],
                "sources": [asdict(s) for s in self.sources], "other": [asdict(o) for o in self.other]}


# --------------------------------------------------------------------------------------------------
# Reading a side: a git revision or a path
# --------------------------------------------------------------------------------------------------

def _parse_into(graph: Graph, path: Path, *, display: str, base: str) -> None:
    raw = read_file(path, display=display)
    for triple in parse_bytes(raw, suffix=path.suffix, base=base, display=display):
        graph.add(triple)


def _load_folder(folder: Path, *, display: str, base: str) -> Graph:
    graph = Graph()
    for path in sorted(folder.rglob("*")):
        if path.suffix in FORMATS and path.is_file() and not any(part.startswith(".") for part in
                                                                 path.relative_to(folder).parts):
            _parse_into(graph, path, display=f"{display}/{path.relative_to(folder).as_posix()}", base=base)
    return graph


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False, timeout=120,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise UsageError("git is not installed, so a revision cannot be read",
                         hint="install git, or compare two paths") from None


def _is_revision(root: Path, rev: str) -> str | None:
    """The commit ``rev`` names in the project's repository, or None."""
    if rev.startswith("-") or not rev.strip():
        return None
    proc = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def _load_revision(root: Path, rev: str, commit: str, *, base: str) -> Graph:
    # Run from the repository's top: inside a sub-folder, git archive would also filter by that folder.
    top = Path(_git(root, "rev-parse", "--show-toplevel").stdout.decode().strip() or root)
    prefix = _git(root, "rev-parse", "--show-prefix").stdout.decode().strip()
    proc = _git(top, "archive", "--format=tar", f"{commit}:{prefix}data")
    if proc.returncode != 0:
        raise UsageError(f"revision {rev!r} has no data/ folder for this project",
                         hint=proc.stderr.decode(errors="replace").strip() or None)
    with tempfile.TemporaryDirectory(prefix="kgtool-diff-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as archive:
            archive.extractall(tmp, filter="data")
        return _load_folder(Path(tmp), display=f"{rev}:data", base=base)


def load_side(ref: str | Path | Graph, *, project: Project | None) -> Graph:
    """The data graph of one side of a diff: a graph, an existing path, or a git revision of ``project``."""
    if isinstance(ref, Graph):
        return ref
    base = project.settings.base if project else DEFAULT_BASE
    path = Path(ref)
    if path.exists():
        if path.is_file():
            graph = Graph()
            _parse_into(graph, path, display=str(ref), base=base)
            return graph
        try:
            return load(find_project(path)).data
        except ProjectNotFoundError:
            data = path / "data"
            return _load_folder(data if data.is_dir() else path, display=str(ref).rstrip("/"), base=base)
    if project is None:
        raise UsageError(f"{ref!r} is not a path, and there is no project whose git revisions it could name",
                         hint="run inside the project or pass --project DIR")
    commit = _is_revision(project.root, str(ref))
    if commit is None:
        raise UsageError(f"{ref!r} is neither a path nor a git revision of {project.root.name}",
                         hint="give a file, a folder, or a revision such as HEAD~1, main or a commit id")
    return _load_revision(project.root, str(ref), commit, base=base)


# --------------------------------------------------------------------------------------------------
# Comparing
# --------------------------------------------------------------------------------------------------

class _Labels:
    """Ids, titles and URLs of IRIs, from the two sides and, for what they lack, the working project."""

    def __init__(self, graphs: Iterable[Graph], base: str, context: Callable[[], Graph | None] | None = None) -> None:
        self.graphs = list(graphs)
        self.base = base
        self._context = context

    def _first(self, iri: URIRef, predicate: URIRef):
        for graph in self.graphs:
            value = graph.value(iri, predicate)
            if value is not None:
                return value
        if self._context is not None:  # loaded once, on the first miss
            extra, self._context = self._context(), None
            if extra is not None:
                self.graphs.append(extra)
                return extra.value(iri, predicate)
        return None

    def ref(self, iri: URIRef) -> Ref:
        ident = self._first(iri, DCTERMS.identifier)
        title = self._first(iri, DCTERMS.title) or self._first(iri, RDFS.label)
        url = self._first(iri, URIRef("http://schema.org/url"))
        return Ref(id=str(ident) if ident is not None else self.short(iri), title=str(title or ""), iri=str(iri),
                   url=str(url) if url is not None else None)

    def short(self, iri: URIRef) -> str:
        value = str(iri)
        for ns in (self.base + "doc/", self.base + "relation/", str(KG), self.base):
            if value.startswith(ns) and value != ns:
                return value[len(ns):]
        return value

    def value(self, term) -> str:
        if isinstance(term, URIRef):
            if term.startswith(str(KG)):
                return _words(term[len(str(KG)):])
            return self.short(term)
        return str(term)


def _words(name: str) -> str:
    """``SeedNode`` -> ``seed node``, ``Existing`` -> ``existing``."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()


def _percent(term) -> str:
    try:
        return f"{round(float(term) * 100)}%"
    except (TypeError, ValueError):
        return str(term)


def _render_value(predicate: URIRef, term, labels: _Labels) -> str:
    if predicate == KG.confidence and isinstance(term, Literal):
        return _percent(term)
    return labels.value(term)


def _field_changes(old: Graph, new: Graph, subject_old, subject_new, predicates: Iterable[URIRef],
                   labels: _Labels, names: dict[URIRef, str], prefix: str = "") -> list[FieldChange]:
    changes = []
    for predicate in predicates:
        before = {_render_value(predicate, o, labels) for o in old.objects(subject_old, predicate)}
        after = {_render_value(predicate, o, labels) for o in new.objects(subject_new, predicate)}
        if before == after:
            continue
        name = prefix + names.get(predicate, _predicate_name(predicate, labels))
        if predicate in _SET_VALUED or len(before) > 1 or len(after) > 1:
            changes.append(FieldChange(name, added=tuple(sorted(after - before, key=_natural)),
                                       removed=tuple(sorted(before - after, key=_natural))))
        else:
            changes.append(FieldChange(name, old=next(iter(before), None), new=next(iter(after), None)))
    return changes


def _predicate_name(predicate: URIRef, labels: _Labels) -> str:
    value = str(predicate)
    local = re.split(r"[#/]", value)[-1]
    return _words(local) if value.startswith(str(KG)) else labels.short(predicate) if value.startswith(labels.base) \
        else _short_external(value)


def _short_external(value: str) -> str:
    from .render import short

    return short(URIRef(value))


def _natural(text: str) -> list:
    return [int(p) if p.isdigit() else p for p in _FRAGMENT_NUMBER.split(text)]


def _nodes(graph: Graph) -> dict[str, URIRef]:
    nodes: dict[str, URIRef] = {}
    for cls in _NODE_TYPES:
        for subject in graph.subjects(RDF.type, cls):
            if isinstance(subject, URIRef):
                ident = graph.value(subject, DCTERMS.identifier)
                nodes[str(ident) if ident is not None else str(subject)] = subject
    return nodes


def _kind(graph: Graph, node: URIRef) -> str:
    return next((_KIND_NAMES[t] for t in graph.objects(node, RDF.type) if t in _KIND_NAMES), "node")


@dataclass
class _Relation:
    subject: URIRef
    type: URIRef
    object: URIRef
    iri: URIRef | None = None
    direct: bool = False


def _relations(graph: Graph) -> dict[tuple[str, str, str], _Relation]:
    found: dict[tuple[str, str, str], _Relation] = {}
    for rel in graph.subjects(RDF.type, KG.Relation):
        s, t, o = graph.value(rel, KG.subject), graph.value(rel, KG.relationType), graph.value(rel, KG.object)
        if s is None or t is None or o is None:
            continue
        found[(str(s), str(t), str(o))] = _Relation(s, t, o, iri=rel)
    for prop in RELATION_TYPES.values():
        for s, o in graph.subject_objects(prop):
            key = (str(s), str(prop), str(o))
            found.setdefault(key, _Relation(s, prop, o)).direct = True
    return found


def _relation_change(change: str, rel: _Relation, graph: Graph, labels: _Labels,
                     fields: tuple[FieldChange, ...] = ()) -> RelationChange:
    def one(predicate):
        value = graph.value(rel.iri, predicate) if rel.iri is not None else None
        return labels.value(value) if value is not None else None
    return RelationChange(change=change, type=RELATION_NAMES.get(rel.type, labels.short(rel.type)),
                          target=labels.ref(rel.object), iri=str(rel.iri) if rel.iri is not None else None,
                          status=one(KG.status), strength=one(KG.strength), rationale=one(KG.rationale), fields=fields)


def _compare_relations(old: Graph, new: Graph, old_rels, new_rels, subject: URIRef,
                       labels: _Labels) -> list[RelationChange]:
    keys = sorted({k for k in (*old_rels, *new_rels) if k[0] == str(subject)},
                  key=lambda k: (RELATION_NAMES.get(URIRef(k[1]), k[1]), labels.ref(URIRef(k[2])).id))
    out = []
    names = dict(_RELATION_FIELDS)
    for key in keys:
        before, after = old_rels.get(key), new_rels.get(key)
        if before is None:
            out.append(_relation_change("added", after, new, labels))
        elif after is None:
            out.append(_relation_change("removed", before, old, labels))
        else:
            fields: list[FieldChange] = []
            if before.direct != after.direct:
                fields.append(FieldChange("direct triple", old="yes" if before.direct else "no",
                                          new="yes" if after.direct else "no"))
            if (before.iri is None) != (after.iri is None):
                fields.append(FieldChange("qualified relation", old="no" if before.iri is None else "yes",
                                          new="no" if after.iri is None else "yes"))
            if before.iri is not None and after.iri is not None:
                extra = sorted({p for p in (*old.predicates(before.iri), *new.predicates(after.iri))
                                if p not in names and p not in _RELATION_CORE}, key=str)
                fields += _field_changes(old, new, before.iri, after.iri, [p for p, _ in _RELATION_FIELDS] + extra,
                                         labels, names)
            if fields:
                out.append(_relation_change("changed", after, new, labels, tuple(fields)))
    return out


def _owned(graph: Graph, node: URIRef) -> dict[str, URIRef]:
    """Sections, list items and facts of ``node``: resources whose IRI is ``<node-iri>#fragment``."""
    prefix = str(node) + "#"
    return {str(s)[len(prefix):]: s for s in set(graph.subjects()) if isinstance(s, URIRef) and str(s).startswith(prefix)}


def _summary(graph: Graph, subject: URIRef, labels: _Labels) -> str:
    for predicate in (KG.heading, DCTERMS.title, KG.text, KG.sectionType):
        value = graph.value(subject, predicate)
        if value is not None:
            return labels.value(value)
    return ""


def _compare_owned(old: Graph, new: Graph, node: URIRef, labels: _Labels) -> list[FieldChange]:
    before, after = _owned(old, node), _owned(new, node)
    changes: list[FieldChange] = []
    for fragment in sorted(set(before) | set(after), key=_natural):
        if fragment not in after:
            changes.append(FieldChange(fragment, old=_summary(old, before[fragment], labels), new=None))
        elif fragment not in before:
            changes.append(FieldChange(fragment, old=None, new=_summary(new, after[fragment], labels)))
        else:
            # kg:item links a section to its items, which are compared as resources of their own.
            predicates = sorted((set(old.predicates(before[fragment])) | set(new.predicates(after[fragment])))
                                - {KG.item}, key=str)
            names = {**_ATTRIBUTE_NAMES, DCTERMS.source: "sources", KG.item: "items", RDF.type: "type"}
            changes += _field_changes(old, new, before[fragment], after[fragment], predicates, labels, names,
                                      prefix=f"{fragment} ")
    return changes


def _node_fields(old: Graph, new: Graph, o_node, n_node, labels: _Labels) -> list[FieldChange]:
    skip = {RDF.type, DCTERMS.source, KG.section, KG.fact, *RELATION_TYPES.values()}
    present = set(old.predicates(o_node)) | set(new.predicates(n_node))
    ordered = [p for p, _ in _ATTRIBUTES if p in present]
    ordered += sorted((p for p in present if p not in _ATTRIBUTE_NAMES and p not in skip), key=str)
    changes = []
    old_kind, new_kind = _kind(old, o_node), _kind(new, n_node)
    if old_kind != new_kind:
        changes.append(FieldChange("kind", old=old_kind, new=new_kind))
    changes += _field_changes(old, new, o_node, n_node, ordered, labels, _ATTRIBUTE_NAMES)
    # Links to sections and facts that are not under the node's own IRI.
    for predicate, name in ((KG.section, "sections"), (KG.fact, "facts")):
        prefix = str(n_node) + "#"
        before = {labels.value(o) for o in old.objects(o_node, predicate) if not str(o).startswith(str(o_node) + "#")}
        after = {labels.value(o) for o in new.objects(n_node, predicate) if not str(o).startswith(prefix)}
        if before != after:
            changes.append(FieldChange(name, added=tuple(sorted(after - before)), removed=tuple(sorted(before - after))))
    return changes + _compare_owned(old, new, n_node, labels)


def _source_refs(graph: Graph, node: URIRef, labels: _Labels) -> dict[str, Ref]:
    return {str(o): labels.ref(o) for o in graph.objects(node, DCTERMS.source) if isinstance(o, URIRef)}


def _review_warning(old: Graph, new: Graph, o_node, n_node, labels: _Labels) -> list[str]:
    stale = []
    for predicate, name in ((KG.version, "version"), (KG.reviewDate, "review date")):
        before = sorted(labels.value(v) for v in old.objects(o_node, predicate))
        after = sorted(labels.value(v) for v in new.objects(n_node, predicate))
        if before == after:
            stale.append(f"{name} ({', '.join(after) or 'none'})")
    if not stale:
        return []
    return [f"changed, but its {' and '.join(stale)} did not move"]


def _compare_resources(old: Graph, new: Graph, subjects: Iterable[URIRef], labels: _Labels) -> list[ResourceDiff]:
    out = []
    for subject in sorted(set(subjects), key=lambda s: _natural(labels.ref(s).id)):
        in_old, in_new = (subject, None, None) in old, (subject, None, None) in new
        if not in_old:
            out.append(ResourceDiff("added", labels.ref(subject)))
        elif not in_new:
            out.append(ResourceDiff("removed", labels.ref(subject)))
        else:
            predicates = sorted(set(old.predicates(subject)) | set(new.predicates(subject)), key=str)
            names = {DCTERMS.title: "title", DCTERMS.publisher: "publisher", DCTERMS.issued: "issued",
                     DCTERMS.modified: "modified", DCTERMS.date: "date", KG.dateNote: "date note",
                     KG.sourceKind: "kind", URIRef("http://schema.org/url"): "url", DCTERMS.identifier: "id",
                     RDF.type: "type"}
            fields = _field_changes(old, new, subject, subject, predicates, labels, names)
            if fields:
                out.append(ResourceDiff("changed", labels.ref(subject), tuple(fields)))
    return out


def compare(old: Graph, new: Graph, *, old_label: str = "old", new_label: str = "new",
            base: str = DEFAULT_BASE, context: Callable[[], Graph | None] | None = None) -> DiffReport:
    """Compare two data graphs. ``context`` returns the working project's data: only titles come from it."""
    labels = _Labels([new, old], base, context)
    old_nodes, new_nodes = _nodes(old), _nodes(new)
    old_rels, new_rels = _relations(old), _relations(new)
    nodes: list[NodeDiff] = []
    for ident in sorted(set(old_nodes) | set(new_nodes), key=_natural):
        o_node, n_node = old_nodes.get(ident), new_nodes.get(ident)
        if o_node is None or n_node is None:
            graph, node = (new, n_node) if o_node is None else (old, o_node)
            rels = new_rels if o_node is None else old_rels
            change = "added" if o_node is None else "removed"
            relations = [_relation_change(change, r, graph, labels) for k, r in sorted(rels.items()) if k[0] == str(node)]
            sources = tuple(sorted(_source_refs(graph, node, labels).values(), key=lambda r: _natural(r.id)))
            nodes.append(NodeDiff(change, labels.ref(node), _kind(graph, node), relations=tuple(relations),
                                  sources_added=sources if change == "added" else (),
                                  sources_removed=sources if change == "removed" else ()))
            continue
        fields = _node_fields(old, new, o_node, n_node, labels)
        before, after = _source_refs(old, o_node, labels), _source_refs(new, n_node, labels)
        added = tuple(sorted((after[k] for k in set(after) - set(before)), key=lambda r: _natural(r.id)))
        removed = tuple(sorted((before[k] for k in set(before) - set(after)), key=lambda r: _natural(r.id)))
        relations = _compare_relations(old, new, old_rels, new_rels, n_node, labels)
        if not (fields or added or removed or relations):
            continue
        substantive = added or removed or relations or any(f.name not in ("version", "review date") for f in fields)
        warnings = _review_warning(old, new, o_node, n_node, labels) if substantive else []
        nodes.append(NodeDiff("changed", labels.ref(n_node), _kind(new, n_node), tuple(fields), added, removed,
                              tuple(relations), tuple(warnings)))
    sources = _compare_resources(old, new, set(old.subjects(RDF.type, KG.Source)) | set(new.subjects(RDF.type, KG.Source)),
                                 labels)
    other = _compare_resources(old, new, _others(old) | _others(new), labels)
    return DiffReport(old=old_label, new=new_label, nodes=tuple(nodes), sources=tuple(sources), other=tuple(other))


def _others(graph: Graph) -> set[URIRef]:
    """Subjects that are neither nodes, nor under a node, nor relations, nor sources."""
    nodes = {str(n) + "#" for n in _nodes(graph).values()}
    covered = set(_nodes(graph).values()) | set(graph.subjects(RDF.type, KG.Relation)) | set(
        graph.subjects(RDF.type, KG.Source))
    return {s for s in graph.subjects() if isinstance(s, URIRef) and s not in covered
            and not any(str(s).startswith(p) for p in nodes)}


def diff(old: str | Path | Graph, new: str | Path | Graph, *,
         project: Project | Path | str | None = None) -> DiffReport:
    """Compare two revisions of the graph: git revisions of ``project`` or paths (see the module doc).

    Raises :class:`UsageError` for a side that is neither a path nor a revision, and the loader's
    errors (``path:line:col``) for a file that does not parse.
    """
    if not isinstance(project, Project):
        try:
            project = find_project(project)
        except ProjectNotFoundError:
            if project is not None:
                raise
            project = None
    old_graph, new_graph = load_side(old, project=project), load_side(new, project=project)

    def context() -> Graph | None:
        try:
            return load(project).data if project is not None else None
        except KgtoolError:  # titles are a courtesy: a broken working tree must not stop a diff of revisions
            return None
    base = project.settings.base if project else DEFAULT_BASE
    return compare(old_graph, new_graph, old_label=_label(old), new_label=_label(new), base=base, context=context)


def _label(ref) -> str:
    return "(graph)" if isinstance(ref, Graph) else str(ref)


# --------------------------------------------------------------------------------------------------
# Rendering: text, Markdown (a pull-request comment), JSON
# --------------------------------------------------------------------------------------------------

def _is_long(change: FieldChange) -> bool:
    values = (*change.added, *change.removed)
    return len(values) > 1 or any(len(v) > 60 for v in values)


def _field_text(change: FieldChange, indent: str) -> list[str]:
    if change.added or change.removed:
        marked = [f"+ {v}" for v in change.added] + [f"- {v}" for v in change.removed]
        if _is_long(change):
            return [f"{indent}{change.name}:"] + [f"{indent}  {m}" for m in marked]
        return [f"{indent}{change.name}: {marked[0]}"]
    if change.old is None:
        return [f"{indent}{change.name}: added: {change.new}"]
    if change.new is None:
        return [f"{indent}{change.name}: removed: {change.old}"]
    return [f"{indent}{change.name}: {change.old} -> {change.new}"]


def _qualifiers(rel: RelationChange) -> str:
    parts = [p for p in (rel.status, rel.strength) if p]
    return f" ({', '.join(parts)})" if parts else ""


def _ref_text(ref: Ref) -> str:
    return f"{ref.id} {ref.title}".rstrip()


_SIGNS = {"added": "+", "removed": "-", "changed": "~"}


def render_text(report: DiffReport) -> str:
    """A plain-text report: one block per node, then the source registry and other resources."""
    lines = [f"diff {report.old} -> {report.new}"]
    if not report.changed:
        return lines[0] + "\nno changes\n"
    for node in report.nodes:
        lines += ["", f"{_SIGNS[node.change]} {node.node.id}  {node.node.title}  ({node.kind}, {node.change})"]
        lines += [f"    ! {w}" for w in node.warnings]
        for change in node.fields:
            lines += _field_text(change, "    ")
        lines += [f"    source + {_ref_text(s)}" for s in node.sources_added]
        lines += [f"    source - {_ref_text(s)}" for s in node.sources_removed]
        for rel in node.relations:
            lines.append(f"    relation {_SIGNS[rel.change]} {rel.type} {rel.target.id}{_qualifiers(rel)}")
            if rel.change == "added" and rel.rationale:
                lines.append(f"        rationale: {rel.rationale}")
            for change in rel.fields:
                lines += _field_text(change, "        ")
    for title, items in (("sources", report.sources), ("other resources", report.other)):
        if items:
            lines += ["", f"{title}:"]
            for item in items:
                lines.append(f"  {_SIGNS[item.change]} {_ref_text(item.ref)}")
                for change in item.fields:
                    lines += _field_text(change, "      ")
    lines += ["", _summary_line(report)]
    return "\n".join(lines) + "\n"


def _summary_line(report: DiffReport) -> str:
    s = report.summary
    return (f"nodes: {s['nodes_added']} added, {s['nodes_removed']} removed, {s['nodes_changed']} changed; "
            f"relations: {s['relations_added']} added, {s['relations_removed']} removed, {s['relations_changed']} changed; "
            f"cited sources: {s['node_sources_added']} added, {s['node_sources_removed']} removed; "
            f"source registry: {s['sources_added']} added, {s['sources_removed']} removed, {s['sources_changed']} changed"
            + (f"; other: {s['other_changed']}" if s["other_changed"] else "")
            + f"; warnings: {s['warnings']}")


def _md(text: str | None) -> str:
    return "" if text is None else text.replace("\n", " ").replace("|", "\\|")


def _md_ref(ref: Ref) -> str:
    name = f"[`{ref.id}`]({ref.url})" if ref.url else f"`{ref.id}`"
    return f"{name} {_md(ref.title)}".rstrip()


def _md_inline(change: FieldChange) -> str:
    """One change on one line (for table cells)."""
    if change.added or change.removed:
        parts = [f"added {_md(v)}" for v in change.added] + [f"removed {_md(v)}" for v in change.removed]
        return f"**{change.name}**: " + "; ".join(parts)
    if change.old is None:
        return f"**{change.name}**: added: {_md(change.new)}"
    if change.new is None:
        return f"**{change.name}**: removed: {_md(change.old)}"
    return f"**{change.name}**: {_md(change.old)} → {_md(change.new)}"


def _md_field(change: FieldChange) -> list[str]:
    if (change.added or change.removed) and _is_long(change):
        return ([f"- **{change.name}**:"] + [f"  - added: {_md(v)}" for v in change.added]
                + [f"  - removed: {_md(v)}" for v in change.removed])
    return [f"- {_md_inline(change)}"]


def render_markdown(report: DiffReport) -> str:
    """A pull-request comment: a summary, then per node its warnings, changes, sources and a relation table."""
    out = [f"### Graph diff: `{report.old}` → `{report.new}`", ""]
    if not report.changed:
        return "\n".join(out + ["No changes.", ""])
    out += [_summary_line(report), ""]
    for node in report.nodes:
        out += [f"#### {node.change.capitalize()} {node.kind}: `{node.node.id}` {_md(node.node.title)}", ""]
        if node.warnings:
            out += [f"> **Warning:** {w}" for w in node.warnings] + [""]
        for change in node.fields:
            out += _md_field(change)
        for label, refs in (("sources added", node.sources_added), ("sources removed", node.sources_removed)):
            if refs:
                out += [f"- **{label}** ({len(refs)}):"] + [f"  - {_md_ref(r)}" for r in refs]
        if node.relations:
            out += ["", "| change | relation | target | status | strength | details |", "|---|---|---|---|---|---|"]
            for rel in node.relations:
                details = "; ".join(_md_inline(f) for f in rel.fields) if rel.fields else _md(rel.rationale)
                out.append(f"| {rel.change} | {rel.type} | `{rel.target.id}` {_md(rel.target.title)} | "
                           f"{rel.status or ''} | {rel.strength or ''} | {details} |")
        out.append("")
    for title, items in (("Sources", report.sources), ("Other resources", report.other)):
        if items:
            out += [f"#### {title}", ""]
            for item in items:
                fields = "; ".join(_md_inline(f) for f in item.fields)
                out.append(f"- {item.change}: {_md_ref(item.ref)}" + (f": {fields}" if fields else ""))
            out.append("")
    return "\n".join(out)


def render_json(report: DiffReport) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


def render_diff(report: DiffReport, fmt: Format | str) -> str:
    fmt = Format(fmt)
    if fmt == Format.JSON:
        return render_json(report)
    if fmt == Format.MARKDOWN:
        return render_markdown(report)
    return render_text(report)


__all__ = ["DiffReport", "FieldChange", "NodeDiff", "Ref", "RelationChange", "ResourceDiff", "compare", "diff",
           "load_side", "render_diff", "render_json", "render_markdown", "render_text"]
