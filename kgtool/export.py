"""``kgtool export``: deterministic serialisations of the graph, and release bundles.

Every writer here orders what it writes itself, so the same graph gives the same bytes whatever
``PYTHONHASHSEED``, the working directory or the order the files were read in (rdflib's own
serialisers do not: see the security notes, item 6). Nothing is resolved against a local path and
no remote JSON-LD context is referenced, so no local path or network address enters the output.

Formats:

- ``ttl``: the canonical Turtle of :mod:`kgtool.turtle` (nodes first, then everything else by IRI),
  with an aligned prefix block of the prefixes a person expects (``kg:``, ``cdp:``, ``rel:``,
  ``doc:``, DCTERMS, SKOS, PROV, schema.org, OWL, RDF(S), XSD, SHACL, and the ontology files' own);
- ``nt``: N-Triples, one triple per line, lines sorted by code point;
- ``nq``: N-Quads, the same with graph names; ``trig``: TriG, one block per graph;
- ``jsonld``: JSON-LD 1.1 in flattened form, with an inline ``@context`` that only maps the same
  prefixes (no remote context, so nothing is fetched to read it back); every literal keeps its
  exact lexical form as ``@value`` with its ``@type`` or ``@language``.

Blank nodes (only the SHACL shapes have them, in ``sh:in`` lists) are labelled by rdflib's canonical
labelling, which depends on the graph alone; Turtle and TriG write them inline.

Graph names. The triple formats (``ttl``, ``nt``, ``jsonld``) merge the graphs selected. The
dataset formats (``nq``, ``trig``) keep one named graph per part of the release, named under the
project's base IRI, never after a file: ``<base>graph/ontology``, ``<base>graph/asserted``,
``<base>graph/inferred`` (and ``<base>graph/shapes`` in a bundle). The loader's per-file graph names
(``urn:kgtool:file:...``) are an internal detail and never exported.

Modes: ``asserted`` (the data files), ``with-inferred`` (plus the inferred graph of
:mod:`kgtool.infer`), ``inferred-only``. The ontology is included unless ``include_ontology`` is
false; the shapes are validation rules, not knowledge, and are only written in a bundle.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from datetime import date as Date, datetime, timezone
from enum import Enum
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, XSD

from .errors import DataError, InputFileError, UsageError
from .load import KnowledgeGraph, load, node_class_counts, read_file
from .project import Project
from .turtle import (blank_label, canonical_blank_nodes, check_iri, check_language, escape_string,
                     object_key, predicate_key, serialize, serialize_trig, subject_key)
from .vocab import KG, PREFIXES

ProjectRef = KnowledgeGraph | Project | Path | str | None


class ExportFormat(str, Enum):
    TURTLE = "ttl"
    NTRIPLES = "nt"
    NQUADS = "nq"
    TRIG = "trig"
    JSONLD = "jsonld"

    @property
    def is_dataset(self) -> bool:
        return self in (ExportFormat.NQUADS, ExportFormat.TRIG)

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]


class ExportMode(str, Enum):
    ASSERTED = "asserted"
    WITH_INFERRED = "with-inferred"
    INFERRED_ONLY = "inferred-only"


_MEDIA_TYPES = {ExportFormat.TURTLE: "text/turtle", ExportFormat.NTRIPLES: "application/n-triples",
                ExportFormat.NQUADS: "application/n-quads", ExportFormat.TRIG: "application/trig",
                ExportFormat.JSONLD: "application/ld+json"}
EXTENSIONS = {".ttl": ExportFormat.TURTLE, ".nt": ExportFormat.NTRIPLES, ".nq": ExportFormat.NQUADS,
              ".trig": ExportFormat.TRIG, ".jsonld": ExportFormat.JSONLD, ".json": ExportFormat.JSONLD}
_PREFIX_DECL = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([A-Za-z][A-Za-z0-9_.\-]*):\s*<([^>]+)>", re.M | re.I)


def format_for(choice: str | None, output: str | None) -> ExportFormat:
    """The explicit ``choice``, else the one ``output``'s extension implies, else Turtle."""
    if choice:
        try:
            return ExportFormat(choice)
        except ValueError:
            raise UsageError(f"unknown export format {choice!r}",
                             hint="choose one of " + ", ".join(f.value for f in ExportFormat)) from None
    if output and output != "-":
        suffix = Path(output).suffix.lower()
        if suffix in EXTENSIONS:
            return EXTENSIONS[suffix]
        if suffix:
            raise UsageError(f"cannot tell the export format from {output!r}",
                             hint="use --format, or an extension among " + ", ".join(EXTENSIONS))
    return ExportFormat.TURTLE


def graph_name(base: str, role: str) -> URIRef:
    """The IRI of the named graph that holds one part of an export (``<base>graph/<role>``)."""
    return URIRef(f"{base}graph/{role}")


@dataclass(frozen=True)
class ExportGraph:
    role: str  # "ontology", "asserted", "inferred" or "shapes"
    name: URIRef
    graph: Graph


def _kg(project: ProjectRef) -> KnowledgeGraph:
    return project if isinstance(project, KnowledgeGraph) else load(project)


def export_prefixes(kg: KnowledgeGraph) -> dict[str, str]:
    """The project's prefixes, then those the ontology and shapes files declare besides, by name."""
    extra: dict[str, str] = {}
    for item in kg.files:
        if item.role == "data":
            continue
        text = read_file(kg.project.root / item.path, display=item.path).decode("utf-8")
        for name, namespace in _PREFIX_DECL.findall(text):
            if name not in PREFIXES and namespace not in PREFIXES.values() and ":" in namespace:
                extra.setdefault(name, namespace)
    return {**PREFIXES, **dict(sorted(extra.items()))}


def export_graphs(kg: KnowledgeGraph, *, mode: ExportMode = ExportMode.ASSERTED,
                  include_ontology: bool = True) -> list[ExportGraph]:
    """The graphs an export holds, in the order they are written: ontology, asserted, inferred."""
    mode = ExportMode(mode)
    base = kg.project.settings.base
    parts: list[ExportGraph] = []
    if include_ontology:
        parts.append(ExportGraph("ontology", graph_name(base, "ontology"), kg.ontology))
    if mode != ExportMode.INFERRED_ONLY:
        parts.append(ExportGraph("asserted", graph_name(base, "asserted"), kg.data))
    if mode != ExportMode.ASSERTED:
        from .infer import infer

        parts.append(ExportGraph("inferred", graph_name(base, "inferred"), infer(kg).graph))
    return parts


def _merge(parts: list[ExportGraph]) -> Graph:
    merged = Graph()
    for part in parts:
        for triple in part.graph:
            merged.add(triple)
    return merged


def nt_term(term) -> str:
    """One term as N-Triples writes it; ValueError for one that cannot be written faithfully."""
    if isinstance(term, URIRef):
        return f"<{check_iri(str(term))}>"
    if isinstance(term, BNode):
        return blank_label(term)
    assert isinstance(term, Literal)
    text = f'"{escape_string(str(term))}"'
    if term.language:
        return f"{text}@{check_language(term.language)}"
    if term.datatype is not None and term.datatype != XSD.string:
        return f"{text}^^<{check_iri(str(term.datatype))}>"
    return text


def ntriples_lines(graph: Graph, name: URIRef | None = None, *, label_prefix: str = "") -> list[str]:
    """Sorted N-Triples (or, with ``name``, N-Quads) lines of ``graph``, each ending in a newline."""
    graph = canonical_blank_nodes(graph, prefix=label_prefix)
    suffix = f" {nt_term(name)} .\n" if name is not None else " .\n"
    return sorted(f"{nt_term(s)} {nt_term(p)} {nt_term(o)}{suffix}" for s, p, o in graph)


class _JsonLd:
    """Flattened JSON-LD with compact IRIs from an inline context of prefixes."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = prefixes
        self.ordered = sorted(prefixes.items(), key=lambda kv: -len(kv[1]))
        self.used: set[str] = set()

    def iri(self, term: URIRef) -> str:
        value = check_iri(str(term))
        for prefix, ns in self.ordered:
            if value.startswith(ns) and not value[len(ns):].startswith("//"):
                self.used.add(prefix)
                return f"{prefix}:{value[len(ns):]}"
        return value

    def node_ref(self, term) -> str:
        return blank_label(term) if isinstance(term, BNode) else self.iri(term)

    def value(self, term):
        if isinstance(term, (URIRef, BNode)):
            return {"@id": self.node_ref(term)}
        lexical = str(term)
        escape_string(lexical)  # refuses a lone surrogate, as the other writers do
        if term.language:
            return {"@value": lexical, "@language": check_language(term.language)}
        if term.datatype is None or term.datatype == XSD.string:
            return lexical
        return {"@value": lexical, "@type": self.iri(URIRef(term.datatype))}

    def node(self, graph: Graph, subject) -> dict:
        out: dict = {"@id": self.node_ref(subject)}
        types = sorted((o for o in graph.objects(subject, RDF.type) if isinstance(o, URIRef)), key=str)
        if types:
            out["@type"] = [self.iri(t) for t in types] if len(types) > 1 else self.iri(types[0])
        for predicate in sorted(set(graph.predicates(subject)), key=predicate_key):
            objects = sorted(graph.objects(subject, predicate), key=object_key)
            if predicate == RDF.type:
                objects = [o for o in objects if not isinstance(o, URIRef)]
                if not objects:
                    continue
            values = [self.value(o) for o in objects]
            out[self.iri(predicate)] = values if len(values) > 1 else values[0]
        return out

    def document(self, graph: Graph) -> str:
        graph = canonical_blank_nodes(graph)
        subjects = sorted(set(graph.subjects()), key=lambda s: subject_key(graph, s))
        nodes = [self.node(graph, s) for s in subjects]
        context = {p: ns for p, ns in self.prefixes.items() if p in self.used}
        return json.dumps({"@context": context, "@graph": nodes}, indent=2, ensure_ascii=False) + "\n"


def render(parts: list[ExportGraph], fmt: ExportFormat, *, prefixes: dict[str, str] | None = None) -> str:
    """Serialise the ``parts`` of an export in ``fmt`` (merged, or one named graph each for nq/trig)."""
    prefixes = prefixes or PREFIXES
    try:
        if fmt == ExportFormat.TURTLE:
            return serialize(_merge(parts), prefixes=prefixes, blank_nodes=True, align_prefixes=True)
        if fmt == ExportFormat.TRIG:
            return serialize_trig([(p.name, p.graph) for p in parts], prefixes=prefixes)
        if fmt == ExportFormat.NTRIPLES:
            return "".join(ntriples_lines(_merge(parts)))
        if fmt == ExportFormat.NQUADS:
            return "".join(sorted(line for index, p in enumerate(parts, start=1)
                                  for line in ntriples_lines(p.graph, p.name, label_prefix=f"g{index}")))
        return _JsonLd(prefixes).document(_merge(parts))
    except ValueError as exc:
        raise DataError(None, f"cannot write {fmt.value}: {exc}") from None


def export(project: ProjectRef = None, *, fmt: ExportFormat | str = ExportFormat.TURTLE,
           mode: ExportMode | str = ExportMode.ASSERTED, include_ontology: bool = True) -> str:
    """The graph as text in ``fmt``: the asserted data, with or only the inferred graph, and the ontology.

    Deterministic: the same inputs give the same text. Raises :class:`DataError` for a term that
    cannot be written faithfully.
    """
    kg = _kg(project)
    parts = export_graphs(kg, mode=ExportMode(mode), include_ontology=include_ontology)
    return render(parts, ExportFormat(fmt), prefixes=export_prefixes(kg))


@dataclass(frozen=True)
class BundleFile:
    """One file of a release bundle and the named graph it is meant to be loaded into."""

    path: str
    role: str
    graph: str
    media_type: str
    triples: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What ``write_bundle`` wrote: ``manifest.json`` as a typed value."""

    version: str
    ontology_version: str | None
    date: str
    base: str
    input_hash: str
    content_hash: str
    counts: dict[str, int]
    files: tuple[BundleFile, ...]

    def to_json(self) -> dict:
        payload = asdict(self)
        payload["files"] = [asdict(f) for f in self.files]
        return {"format": "kgtool-bundle/1", **payload}


BUNDLE_PARTS = ("ontology", "shapes", "asserted", "inferred")


def bundle_date(value: Date | None = None) -> Date:
    """``value``, else the date of ``SOURCE_DATE_EPOCH`` (reproducible builds), else today (UTC)."""
    if value is not None:
        return value
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date()
        except (ValueError, OverflowError):
            raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time",
                             hint="set it to whole seconds since 1970, or pass --date") from None
    return datetime.now(tz=timezone.utc).date()


def _write_atomic(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bundle(project: ProjectRef, directory: Path | str, *, date: Date | None = None) -> Manifest:
    """Write a release bundle into ``directory``: one Turtle file per graph and ``manifest.json``.

    The files are ``ontology.ttl``, ``shapes.ttl``, ``asserted.ttl`` and ``inferred.ttl``; the
    manifest gives each file's named graph, triple count and SHA-256, the counts of nodes, relations
    and sources, the kgtool and ontology versions, the date, ``input_hash`` (a hash of every input
    file) and ``content_hash`` (a hash of the bundle's files, names and hashes). Every file is
    written atomically; the manifest last.
    """
    from . import __version__

    kg = _kg(project)
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise InputFileError(str(directory), "exists and is not a folder", hint="give --bundle a folder")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputFileError(str(directory), f"cannot create the folder: {exc.strerror or exc}") from None
    prefixes = export_prefixes(kg)
    base = kg.project.settings.base
    parts = {p.role: p for p in export_graphs(kg, mode=ExportMode.WITH_INFERRED)}
    parts["shapes"] = ExportGraph("shapes", graph_name(base, "shapes"), kg.shapes)
    files = []
    for role in BUNDLE_PARTS:
        part = parts[role]
        data = render([part], ExportFormat.TURTLE, prefixes=prefixes).encode("utf-8")
        name = f"{role}.ttl"
        try:
            _write_atomic(target / name, data)
        except OSError as exc:
            raise InputFileError(str(target / name), f"cannot write: {exc.strerror or exc}") from None
        files.append(BundleFile(path=name, role=role, graph=str(part.name), media_type=ExportFormat.TURTLE.media_type,
                                triples=len(part.graph), sha256=hashlib.sha256(data).hexdigest()))
    digest = hashlib.sha256()
    for item in files:
        digest.update(f"{item.path}\0{item.sha256}\n".encode())
    data_graph = kg.data
    counts = {"triples": sum(f.triples for f in files),
              "nodes": sum(node_class_counts(data_graph).values()),
              **{f"nodes.{k.replace(' ', '-')}": v for k, v in node_class_counts(data_graph).items()},
              "relations": len(set(data_graph.subjects(RDF.type, KG.Relation))),
              "sources": len(set(data_graph.subjects(RDF.type, KG.Source)))}
    ontology_version = next((str(v) for o in kg.ontology.subjects(RDF.type, OWL.Ontology)
                             for v in sorted(kg.ontology.objects(o, OWL.versionInfo), key=str)), None)
    manifest = Manifest(version=__version__, ontology_version=ontology_version, date=bundle_date(date).isoformat(),
                        base=base, input_hash=kg.content_hash, content_hash=digest.hexdigest(), counts=counts,
                        files=tuple(files))
    text = json.dumps(manifest.to_json(), indent=2, ensure_ascii=False) + "\n"
    try:
        _write_atomic(target / "manifest.json", text.encode("utf-8"))
    except OSError as exc:
        raise InputFileError(str(target / "manifest.json"), f"cannot write: {exc.strerror or exc}") from None
    return manifest


__all__ = ["BUNDLE_PARTS", "BundleFile", "EXTENSIONS", "ExportFormat", "ExportGraph", "ExportMode", "Manifest",
           "bundle_date", "export", "export_graphs", "export_prefixes", "format_for", "graph_name", "ntriples_lines",
           "render", "write_bundle"]
