"""Load a project's files into an RDF dataset: one named graph per file.

Files are parsed with pyoxigraph (strict: it rejects what the W3C test suites say must be rejected,
and it reports ``line:column``), then held in rdflib graphs that the rest of the flow uses. Nothing is
fetched: relative IRIs resolve against the project's base IRI, never against a local path, and only
regular files inside the project are read.
"""

from __future__ import annotations

import hashlib
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF

from .errors import InputFileError, RdfSyntaxError
from .terms import to_rdflib
from .project import Project, find_project
from .vocab import KG, PREFIXES

FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES}
GRAPH_PREFIX = "urn:kgtool:file:"


@dataclass(frozen=True)
class LoadedFile:
    """One parsed file: its path relative to the project, its role, size and content hash."""

    path: str
    role: str  # "ontology", "shapes" or "data"
    triples: int
    sha256: str

    @property
    def graph_name(self) -> URIRef:
        return URIRef(GRAPH_PREFIX + self.path)


@dataclass
class KnowledgeGraph:
    """What ``load`` returns: every file's triples, and views over them (built on first use).

    ``dataset`` has one named graph per file (``urn:kgtool:file:<path>``); ``graph(*roles)`` merges
    the files of some roles into one plain graph, which is what validation and queries read.
    """

    project: Project
    files: list[LoadedFile]
    _triples: dict[str, list[tuple]] = field(default_factory=dict, repr=False)
    _subject_lines: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)
    _merged: dict[tuple[str, ...], Graph] = field(default_factory=dict, repr=False)
    _defined_in: dict[URIRef, list[LoadedFile]] = field(default_factory=dict, repr=False)
    _dataset: Dataset | None = field(default=None, repr=False)

    @property
    def dataset(self) -> Dataset:
        if self._dataset is None:
            dataset = Dataset()
            for item in self.files:
                graph = dataset.graph(item.graph_name)
                for triple in self._triples[item.path]:
                    graph.add(triple)
            _bind(dataset)
            self._dataset = dataset
        return self._dataset

    def graph(self, *roles: str) -> Graph:
        """A plain graph that merges the files of the given roles (default: ontology and data).

        Built once per role set and shared: callers must not change it.
        """
        roles = roles or ("ontology", "data")
        if roles not in self._merged:
            merged = Graph()
            for item in self.files:
                if item.role in roles:
                    for triple in self._triples[item.path]:
                        merged.add(triple)
            _bind(merged)
            self._merged[roles] = merged
        return self._merged[roles]

    @property
    def data(self) -> Graph:
        return self.graph("data")

    @property
    def ontology(self) -> Graph:
        return self.graph("ontology")

    @property
    def shapes(self) -> Graph:
        return self.graph("shapes")

    @property
    def content_hash(self) -> str:
        """A hash of every input file's path and content: the key of the build cache."""
        digest = hashlib.sha256()
        for item in sorted(self.files, key=lambda f: f.path):
            digest.update(f"{item.path}\0{item.sha256}\n".encode())
        return digest.hexdigest()

    def files_defining(self, subject: URIRef) -> list[LoadedFile]:
        """The data files in which ``subject`` has a type (where the node is defined)."""
        return list(self._defined_in.get(subject, []))

    def location(self, subject: URIRef) -> tuple[str, int | None] | None:
        """``(path, line)`` of the file that defines ``subject`` and the line its block starts at."""
        defining = self.files_defining(subject)
        if not defining:
            return None
        path = defining[0].path
        return path, self._subject_lines.get(path, {}).get(str(subject))


def read_file(path: Path, *, display: str, inside: Path | None = None) -> bytes:
    """Read a regular file; with ``inside``, refuse one that resolves outside that folder."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputFileError(display, "no such file") from None
    except PermissionError:
        raise InputFileError(display, "permission denied") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(display, "not a regular file (a FIFO, device or directory cannot be loaded)")
    if inside is not None and inside not in path.resolve().parents:
        raise InputFileError(display, f"resolves to {path.resolve()}, outside the project",
                             hint="keep data files inside the project; symlinks out of it are refused")
    try:
        return path.read_bytes()
    except PermissionError:
        raise InputFileError(display, "permission denied") from None
    except OSError as exc:
        raise InputFileError(display, exc.strerror or str(exc)) from None


def parse_bytes(content: bytes, *, suffix: str, base: str, display: str) -> Iterator[tuple]:
    """Parse Turtle or N-Triples content into rdflib triples; errors name ``display:line:col``."""
    shown = display
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise InputFileError(shown, f"unsupported file type {suffix!r}", hint="use .ttl or .nt")
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        column = exc.start - (content.rfind(b"\n", 0, exc.start) + 1) + 1
        raise RdfSyntaxError(shown, line, column, "not valid UTF-8") from None
    try:
        quads = list(ox.parse(content, format=fmt, base_iri=base, without_named_graphs=True))
    except SyntaxError as exc:
        detail = re.sub(r"^Parser error [^:]*: ", "", exc.msg or str(exc))
        raise RdfSyntaxError(shown, exc.lineno or 1, exc.offset or 1, detail) from None
    for quad in quads:
        yield (to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object))


_PREFIX_LINE = re.compile(r"^@prefix\s+([A-Za-z0-9_.\-]*):\s*<([^>]*)>\s*\.", re.M)
_SUBJECT_LINE = re.compile(r"^(<[^>]+>|[A-Za-z0-9_.\-]*:[^\s;,]+)", re.M)


def _subject_lines(text: str) -> dict[str, int]:
    """Map subject IRIs to the line where their block starts (the canonical layout starts at column 1)."""
    prefixes = {m.group(1): m.group(2) for m in _PREFIX_LINE.finditer(text)}
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line or line[0] in " \t#@":
            continue
        m = _SUBJECT_LINE.match(line)
        if not m:
            continue
        token = m.group(1)
        if token.startswith("<"):
            iri = token[1:-1]
        else:
            prefix, _, local = token.partition(":")
            if prefix not in prefixes:
                continue
            iri = prefixes[prefix] + local.replace("\\", "")
        lines.setdefault(iri, number)
    return lines


def project_files(project: Project) -> list[tuple[Path, str]]:
    """The files a project loads, with their roles, in a stable order."""
    found: list[tuple[Path, str]] = []
    for directory, role in ((project.ontology_dir, "ontology"), (project.data_dir, "data")):
        for path in sorted(directory.rglob("*")):
            if path.name.startswith(".") or path.suffix not in FORMATS:
                continue
            if path.is_dir():
                continue
            file_role = "shapes" if role == "ontology" and path.stem.startswith("shapes") else role
            found.append((path, file_role))
    return found


def load(project: Project | Path | str | None = None, *, paths: Iterable[Path | str] | None = None) -> KnowledgeGraph:
    """Load a project (found from the working directory when not given) into a :class:`KnowledgeGraph`.

    ``paths`` restricts the data files to those given (files or folders); the ontology and shapes
    are always loaded. Raises :class:`RdfSyntaxError` (``path:line:col``) for a broken file and
    :class:`InputFileError` for a missing, unreadable or out-of-project one.
    """
    if not isinstance(project, Project):
        project = find_project(project)
    files = project_files(project)
    if paths is not None:
        wanted = []
        for given in paths:
            p = Path(given)
            p = p if p.is_absolute() else Path.cwd() / p
            if not p.exists():
                raise InputFileError(given, "no such file or directory")
            wanted.append(p.resolve())
        files = [(path, role) for path, role in files
                 if role != "data" or any(path.resolve() == w or w in path.resolve().parents for w in wanted)]
        for w in wanted:
            if w.is_file() and not any(path.resolve() == w for path, _ in files):
                files.append((w, "data"))
    triples: dict[str, list[tuple]] = {}
    loaded: list[LoadedFile] = []
    defined_in: dict[URIRef, list[LoadedFile]] = {}
    lines: dict[str, dict[str, int]] = {}
    for path, role in files:
        shown = project.relative(path)
        discovered = path.absolute().is_relative_to(project.root)
        raw = read_file(path, display=shown, inside=project.root if discovered else None)
        parsed = list(parse_bytes(raw, suffix=path.suffix, base=project.settings.base, display=shown))
        triples[shown] = parsed
        count = len(parsed)
        typed = [t[0] for t in parsed if t[1] == RDF.type]
        lines[shown] = _subject_lines(raw.decode("utf-8"))
        loaded.append(LoadedFile(path=shown, role=role, triples=count, sha256=hashlib.sha256(raw).hexdigest()))
        if role == "data":
            for subject in dict.fromkeys(typed):
                defined_in.setdefault(subject, []).append(loaded[-1])
    return KnowledgeGraph(project=project, files=loaded, _triples=triples, _subject_lines=lines,
                          _defined_in=defined_in)


def _bind(graph: Graph) -> None:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)


def node_class_counts(graph: Graph) -> dict[str, int]:
    counts: dict[str, int] = {}
    for cls, name in ((KG.OrganizationDimension, "dimension"), (KG.Vendor, "vendor"),
                      (KG.Pattern, "pattern"), (KG.SourceNode, "source node")):
        counts[name] = len(set(graph.subjects(RDF.type, cls)))
    return counts

