"""Load a project's files into an RDF dataset: one named graph per file.

Files are parsed with pyoxigraph (strict: it rejects what the W3C test suites say must be rejected,
and it reports ``line:column``), then held in rdflib graphs that the rest of the flow uses. Nothing is
fetched: relative IRIs resolve against the project's base IRI, never against a local path, and only
regular files inside the project are read.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import RDF

from . import progress
from .errors import InputFileError, RdfSyntaxError
from .terms import UnsupportedTerm, to_rdflib
from .project import Project, find_project
from .vocab import KG, PREFIXES

_RDF_TYPE = ox.NamedNode(str(RDF.type))

FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES}
GRAPH_PREFIX = "urn:kgtool:file:"
# Inside the store every file is a named graph, named for its role and path; inferred triples (added by
# the fast engine for queries) live in a graph of their own.
STORE_GRAPH_PREFIX = "urn:kgtool:store:"
INFERRED_GRAPH = ox.NamedNode("urn:kgtool:inferred")


@dataclass(frozen=True)
class LoadedFile:
    """One parsed file: its path relative to the project, its role and its content hash."""

    path: str
    role: str  # "ontology", "shapes" or "data"
    sha256: str
    _count: Callable[[], int] = field(repr=False, compare=False, default=lambda: 0)

    @property
    def graph_name(self) -> URIRef:
        return URIRef(GRAPH_PREFIX + self.path)

    @property
    def store_graph(self) -> ox.NamedNode:
        return store_graph(self.role, self.path)

    @property
    def triples(self) -> int:
        return self._count()


def store_graph(role: str, path: str) -> ox.NamedNode:
    return ox.NamedNode(f"{STORE_GRAPH_PREFIX}{role}:{quote(path, safe='/._-~')}")


@dataclass
class KnowledgeGraph:
    """What ``load`` returns: every file's triples in a pyoxigraph store, and views over them.

    The store holds one named graph per ontology and data file; its union is the asserted graph, which
    the fast engine queries in place. Shapes sit in a store of their own. The rdflib views the
    reference engine reads (``dataset``, ``graph(*roles)``) are built from the store on first use.
    """

    project: Project
    files: list[LoadedFile]
    _store: ox.Store = field(repr=False, default_factory=ox.Store)
    _shapes_store: ox.Store = field(repr=False, default_factory=ox.Store)
    _pending: list[tuple[Path, LoadedFile]] = field(default_factory=list, repr=False)
    _subject_lines: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)
    _merged: dict[tuple[str, ...], Graph] = field(default_factory=dict, repr=False)
    _defined_in: dict[str, tuple[int, LoadedFile]] | None = field(default=None, repr=False)  # store graph -> file
    _dataset: Dataset | None = field(default=None, repr=False)
    _counts: dict[str, int] = field(default_factory=dict, repr=False)
    inferred_in_store: bool = field(default=False, repr=False)
    input_bytes: int = 0
    partial: bool = False  # loaded with ``paths``: only some of the project's data files

    @property
    def store(self) -> ox.Store:
        """Ontology and data, one named graph per file (parsed now if ``load(lazy=True)`` deferred it)."""
        if self._pending:
            self.parse()
        return self._store

    @property
    def shapes_store(self) -> ox.Store:
        if self._pending:
            self.parse()
        return self._shapes_store

    @property
    def parsed(self) -> bool:
        return not self._pending

    def parse(self) -> None:
        """Parse the files ``load(lazy=True)`` only read and hashed; errors name ``path:line:col``."""
        base = self.project.settings.base
        with progress.bar("loading", total=len(self._pending)) as bar:
            while self._pending:
                path, item = self._pending[0]
                raw = read_file(path, display=item.path)
                if hashlib.sha256(raw).hexdigest() != item.sha256:
                    raise InputFileError(item.path, "changed while kgtool was reading the project", hint="run the command again")
                target = self._shapes_store if item.role == "shapes" else self._store
                load_into(target, raw, suffix=path.suffix, base=base, display=item.path, graph=item.store_graph)
                self._pending.pop(0)
                bar.advance()

    def file_triples(self, item: LoadedFile) -> Iterator[tuple]:
        """The rdflib triples of one file, parsed again from the file: the store keeps numbers in a
        canonical form ("0.8"), while rdflib and the files keep their lexical form ("0.80")."""
        path = self.project.root / item.path
        raw = read_file(path, display=item.path)
        yield from parse_bytes(raw, suffix=path.suffix, base=self.project.settings.base, display=item.path)

    def count(self, role: str, path: str) -> int:
        """How many triples the file holds (what ``LoadedFile.triples`` answers)."""
        if path not in self._counts:
            store = self.shapes_store if role == "shapes" else self.store
            self._counts[path] = sum(1 for _ in store.quads_for_pattern(None, None, None, store_graph(role, path)))
        return self._counts[path]

    def asserted_store(self) -> ox.Store:
        """The store with only asserted triples: its union default graph is ontology + data."""
        if self.inferred_in_store:
            self.store.remove_graph(INFERRED_GRAPH)
            self.inferred_in_store = False
        return self.store

    @property
    def dataset(self) -> Dataset:
        if self._dataset is None:
            dataset = Dataset()
            for item in self.files:
                graph = dataset.graph(item.graph_name)
                for triple in self.file_triples(item):
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
                    for triple in self.file_triples(item):
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
        return content_hash(self.files)

    def files_defining(self, subject: URIRef) -> list[LoadedFile]:
        """The data files in which ``subject`` has a type (where the node is defined), in load order:
        one lookup in the store's subject index (a few microseconds; no map of the whole graph)."""
        if self._defined_in is None:
            self._defined_in = {item.store_graph.value: (n, item) for n, item in enumerate(self.files) if item.role == "data"}
        found: dict[int, LoadedFile] = {}
        for quad in self.store.quads_for_pattern(ox.NamedNode(str(subject)), _RDF_TYPE, None, None):
            entry = self._defined_in.get(quad.graph_name.value) if isinstance(quad.graph_name, ox.NamedNode) else None
            if entry is not None:
                found[entry[0]] = entry[1]
        return [found[n] for n in sorted(found)]

    def location(self, subject: URIRef) -> tuple[str, int | None] | None:
        """``(path, line)`` of the file that defines ``subject`` and the line its block starts at."""
        defining = self.files_defining(subject)
        if not defining:
            return None
        path = defining[0].path
        if path not in self._subject_lines:
            try:
                text = (self.project.root / path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            self._subject_lines[path] = _subject_lines(text)
        return path, self._subject_lines[path].get(str(subject))


def content_hash(files: Iterable[LoadedFile]) -> str:
    digest = hashlib.sha256()
    for item in sorted(files, key=lambda f: f.path):
        digest.update(f"{item.path}\0{item.sha256}\n".encode())
    return digest.hexdigest()


def read_file(path: Path, *, display: str, inside: Path | None = None, limit: int | None = None,
              limit_name: str = "max-file-bytes") -> bytes:
    """Read a regular file; with ``inside``, refuse one that resolves outside that folder; with
    ``limit``, refuse (before reading) one larger than that many bytes."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputFileError(display, "no such file") from None
    except PermissionError:
        raise InputFileError(display, "permission denied") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(display, "not a regular file (a FIFO, device or directory cannot be loaded)")
    if limit is not None and info.st_size > limit:
        raise InputFileError(display, f"is {info.st_size:,} bytes, over the {limit_name} limit ({limit:,} bytes left); "
                             "nothing was read",
                             hint=f"raise {limit_name} under [tool.kgtool] in pyproject.toml "
                                  f"(or KGTOOL_{limit_name.upper().replace('-', '_')}) if the file is meant to be this big")
    if inside is not None and inside not in path.resolve().parents:
        raise InputFileError(display, f"resolves to {path.resolve()}, outside the project",
                             hint="keep data files inside the project; symlinks out of it are refused")
    try:
        return path.read_bytes()
    except PermissionError:
        raise InputFileError(display, "permission denied") from None
    except OSError as exc:
        raise InputFileError(display, exc.strerror or str(exc)) from None


def _check_utf8(content: bytes, display: str) -> None:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        column = exc.start - (content.rfind(b"\n", 0, exc.start) + 1) + 1
        raise RdfSyntaxError(display, line, column, "not valid UTF-8") from None


def _format(suffix: str, display: str) -> ox.RdfFormat:
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise InputFileError(display, f"unsupported file type {suffix!r}", hint="use .ttl or .nt")
    return fmt


def _syntax_error(exc: SyntaxError, display: str) -> RdfSyntaxError:
    detail = re.sub(r"^Parser error [^:]*: ", "", exc.msg or str(exc))
    return RdfSyntaxError(display, exc.lineno or 1, exc.offset or 1, detail)


BOM = b"\xef\xbb\xbf"


def without_bom(content: bytes) -> bytes:
    """``content`` without a leading UTF-8 byte-order mark (editors on Windows write one; it is not data)."""
    return content[3:] if content.startswith(BOM) else content


def parse_bytes(content: bytes, *, suffix: str, base: str, display: str) -> Iterator[tuple]:
    """Parse Turtle or N-Triples content into rdflib triples; errors name ``display:line:col``."""
    fmt = _format(suffix, display)
    content = without_bom(content)
    _check_utf8(content, display)
    try:
        quads = list(ox.parse(content, format=fmt, base_iri=base, without_named_graphs=True))
    except SyntaxError as exc:
        raise _syntax_error(exc, display) from None
    for quad in quads:
        try:
            yield (to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object))
        except UnsupportedTerm as exc:
            line, column = _rdf12_location(content)
            raise RdfSyntaxError(display, line, column, str(exc)) from None


_RDF12_SYNTAX = re.compile(rb"<<|\{\||@[A-Za-z]+(?:-[A-Za-z0-9]+)*--(?:ltr|rtl)")


def _rdf12_location(content: bytes) -> tuple[int, int]:
    """Line and column of the first RDF 1.2 construct in ``content`` (1:1 when none is seen)."""
    match = _RDF12_SYNTAX.search(content)
    if match is None:
        return 1, 1
    start = content.rfind(b"\n", 0, match.start()) + 1
    return content.count(b"\n", 0, match.start()) + 1, len(content[start:match.start()].decode("utf-8", "replace")) + 1


def load_into(store: ox.Store, content: bytes, *, suffix: str, base: str, display: str, graph: ox.NamedNode) -> None:
    """Parse Turtle or N-Triples content straight into ``graph`` of ``store`` (no Python objects per triple)."""
    fmt = _format(suffix, display)
    content = without_bom(content)
    _check_utf8(content, display)
    try:
        store.load(content, format=fmt, base_iri=base, to_graph=graph)
    except SyntaxError as exc:
        raise _syntax_error(exc, display) from None


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
    """The files a project loads, with their roles, in a stable order (that of ``sorted(rglob("*"))``:
    symlinked folders are not entered; listed with ``os.scandir``, 5x faster than pathlib at 10k files)."""
    found: list[tuple[Path, str]] = []
    for directory, role in ((project.ontology_dir, "ontology"), (project.data_dir, "data")):
        names: list[tuple[list[str], str]] = []
        stack = [(str(directory), [])]
        while stack:
            folder, parts = stack.pop()
            try:
                with os.scandir(folder) as entries:
                    listed = list(entries)
            except OSError:
                continue
            for entry in listed:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if is_dir:
                    if not entry.is_symlink():
                        stack.append((entry.path, [*parts, entry.name]))
                    continue
                if entry.name.startswith(".") or os.path.splitext(entry.name)[1] not in FORMATS:
                    continue
                names.append(([*parts, entry.name], entry.path))
        for parts, path in sorted(names, key=lambda item: item[0]):
            file_role = "shapes" if role == "ontology" and Path(parts[-1]).stem.startswith("shapes") else role
            found.append((Path(path), file_role))
    return found


def load(project: Project | Path | str | None = None, *, paths: Iterable[Path | str] | None = None,
         lazy: bool = False) -> KnowledgeGraph:
    """Load a project (found from the working directory when not given) into a :class:`KnowledgeGraph`.

    ``paths`` restricts the data files to those given (files or folders); the ontology and shapes
    are always loaded. Raises :class:`RdfSyntaxError` (``path:line:col``) for a broken file and
    :class:`InputFileError` for a missing, unreadable or out-of-project one.

    ``lazy=True`` reads and hashes every file but parses them only when the store is first used: a
    query answered from the build cache (keyed by those hashes) never parses at all.
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
    kg = KnowledgeGraph(project=project, files=[], partial=paths is not None)
    base = project.settings.base
    root = project.root
    resolved_dirs: dict[str, str] = {}
    index = FileIndex.open(project.cache_dir) if lazy else None
    root_text = str(root)
    with progress.bar("loading", total=len(files)) as bar:
        for path, role in files:
            text = os.path.abspath(path)
            discovered = text.startswith(root_text + os.sep)
            if discovered and not os.path.islink(text):
                # One resolve per folder, not two per file: the file itself is no symlink, so it is
                # inside the project exactly when its (resolved) folder is.
                folder, name = os.path.split(text)
                if folder not in resolved_dirs:
                    resolved_dirs[folder] = os.path.realpath(folder)
                real_folder = resolved_dirs[folder]
                if real_folder != root_text and not real_folder.startswith(root_text + os.sep):
                    raise InputFileError(project.relative(path), f"resolves to {os.path.join(real_folder, name)}, outside the project",
                                         hint="keep data files inside the project; symlinks out of it are refused")
                shown = (real_folder[len(root_text) + 1:] + "/" + name).lstrip("/").replace(os.sep, "/")
                known = index.lookup(shown, text) if index is not None else None
                raw = read_file(path, display=shown, **_limit(project, kg)) if known is None else None
            else:
                shown = project.relative(path)
                known = None
                raw = read_file(path, display=shown, inside=root if discovered else None, **_limit(project, kg))
            if known is not None:
                sha256, size = known
                allowed = _limit(project, kg)
                if size > allowed["limit"]:  # the same refusal a read would give, for a file the index knows
                    read_file(path, display=shown, **allowed)
            else:
                sha256, size = hashlib.sha256(raw).hexdigest(), len(raw)
                if index is not None and discovered:
                    index.record(shown, path, sha256)
            item = LoadedFile(path=shown, role=role, sha256=sha256, _count=functools.partial(kg.count, role, shown))
            kg.files.append(item)
            kg.input_bytes += size
            if lazy:
                kg._pending.append((path, item))
            else:
                target = kg._shapes_store if role == "shapes" else kg._store
                load_into(target, raw, suffix=path.suffix, base=base, display=shown, graph=item.store_graph)
            bar.advance()
    if index is not None:
        index.save()
    return kg


def _limit(project: Project, kg: "KnowledgeGraph") -> dict:
    """The size limit for the next file: the per-file limit, or what the project limit leaves."""
    left = project.settings.max_project_bytes - kg.input_bytes
    if left < project.settings.max_file_bytes:
        return {"limit": max(left, 0), "limit_name": "max-project-bytes"}
    return {"limit": project.settings.max_file_bytes, "limit_name": "max-file-bytes"}


class FileIndex:
    """Content hashes of files by (size, mtime, inode), as git's index keeps them, so a lazy load of an
    unchanged project stats its files instead of reading them. An entry is trusted only if the file was
    last changed more than a second before the index was written (a later edit in the same clock tick
    would otherwise go unseen); anything else is read and hashed again."""

    VERSION = 1

    def __init__(self, path: Path, entries: dict, written_ns: int) -> None:
        self.path, self.entries, self.written_ns = path, entries, written_ns
        self.changed = False

    @classmethod
    def open(cls, cache_dir: Path) -> "FileIndex":
        path = cache_dir / "file-index.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") == cls.VERSION:
                return cls(path, data["entries"], int(data["written_ns"]))
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return cls(path, {}, 0)

    def lookup(self, shown: str, path: Path | str) -> tuple[str, int] | None:
        entry = self.entries.get(shown)
        if entry is None:
            return None
        try:
            info = os.stat(path)
        except OSError:
            return None
        size, mtime_ns, inode, sha256 = entry
        if (info.st_size, info.st_mtime_ns, info.st_ino) != (size, mtime_ns, inode):
            return None
        if mtime_ns >= self.written_ns - 1_000_000_000:
            return None
        return sha256, size

    def record(self, shown: str, path: Path, sha256: str) -> None:
        try:
            info = path.stat()
        except OSError:
            return
        self.entries[shown] = [info.st_size, info.st_mtime_ns, info.st_ino, sha256]
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".file-index-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"version": self.VERSION, "written_ns": time.time_ns(), "entries": self.entries}, handle)
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only project only hashes every time


def _bind(graph: Graph) -> None:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)


def node_class_counts(graph: Graph) -> dict[str, int]:
    counts: dict[str, int] = {}
    for cls, name in ((KG.OrganizationDimension, "dimension"), (KG.Vendor, "vendor"),
                      (KG.Pattern, "pattern"), (KG.SourceNode, "source node")):
        counts[name] = len(set(graph.subjects(RDF.type, cls)))
    return counts

