"""The public library API: the functions the CLI, the tests and a notebook call.

Every function takes a project (a :class:`Project`, a folder, or None for "find it from the working
directory") and returns a typed result; rendering lives in :mod:`kgtool.render` and
:mod:`kgtool.report`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from rdflib import URIRef
from rdflib.namespace import DCTERMS, RDF

from .errors import InputFileError, QueryTimeout
from .load import KnowledgeGraph, load
from .netguard import time_limit
from .project import Project
from .queries import NamedQuery
from .query import Target, adhoc_query, execute, get_query, named_queries, query_graph
from .recommend import Recommendation, recommend as _recommend
from .sparql import QueryResult, SelectResult, check_query, resolve_node, with_prefixes
from .stores import PushResult, StoreOptions, push_project, query_endpoint
from .validate import ValidationReport, rule_catalogue, validate as _validate
from .vocab import KG, RELATION_NAMES

ProjectRef = Project | Path | str | None


@dataclass(frozen=True)
class Info:
    """What a project holds."""

    root: str
    files: dict[str, int]
    triples: int
    nodes: dict[str, int]
    relations_by_type: dict[str, int]
    relations_by_status: dict[str, int]
    sources: int
    node_list: list[dict[str, str]] = field(default_factory=list)


def _kg(project: ProjectRef, *, lazy: bool = False) -> KnowledgeGraph:
    """``lazy``: read and hash the files but parse them only if the build cache cannot answer."""
    return project if isinstance(project, KnowledgeGraph) else load(project, lazy=lazy)


def info(project: ProjectRef = None) -> Info:
    """Counts of what the project holds, read from the loader's store (no rdflib graph is built)."""
    import pyoxigraph as ox

    kg = _kg(project)
    store = kg.asserted_store()
    data_graphs = {f.store_graph for f in kg.files if f.role == "data"}

    def nn(term) -> ox.NamedNode:
        return ox.NamedNode(str(term))

    def data_subjects(cls) -> list[ox.NamedNode]:
        found = {q.subject for q in store.quads_for_pattern(None, nn(RDF.type), nn(cls), None) if q.graph_name in data_graphs}
        return sorted(found, key=lambda t: t.value)

    def value(subject, predicate) -> str | None:
        for quad in store.quads_for_pattern(subject, nn(predicate), None, None):
            if quad.graph_name in data_graphs:
                return quad.object.value
        return None

    relations = data_subjects(KG.Relation)
    by_type = Counter(RELATION_NAMES.get(URIRef(t), t) if (t := value(r, KG.relationType)) else "None" for r in relations)
    by_status = Counter(str(value(r, KG.status)).rsplit("#", 1)[-1].lower() for r in relations)
    nodes, counts = [], {}
    for kind, cls in (("dimension", KG.OrganizationDimension), ("vendor", KG.Vendor), ("pattern", KG.Pattern),
                      ("source node", KG.SourceNode)):
        members = data_subjects(cls)
        counts[kind] = len(members)
        for node in members:
            nodes.append({"id": value(node, DCTERMS.identifier) or node.value, "kind": kind,
                          "title": value(node, DCTERMS.title) or ""})
    triples = store.query("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }",
                          use_default_graph_as_union=True)
    return Info(
        root=str(kg.project.root),
        files=dict(Counter(f.role for f in kg.files)),
        triples=int(next(iter(triples))["n"].value),
        nodes=counts,
        relations_by_type=dict(sorted(by_type.items())),
        relations_by_status=dict(sorted(by_status.items())),
        sources=len(data_subjects(KG.Source)),
        node_list=sorted(nodes, key=lambda n: n["id"]),
    )


def validate(project: ProjectRef = None, *, paths: Iterable[str] | None = None, as_of: date | None = None,
             stale_days: int | None = None, rules: set[str] | None = None, engine: str = "oxigraph",
             full: bool = False) -> ValidationReport:
    """Validate a project's graph (or only the data files in ``paths``).

    With the fast engine, every rule and the whole project, only what changed since the last
    validation is re-checked (``kgtool.incremental``); ``full=True`` checks everything.
    """
    kg = project if isinstance(project, KnowledgeGraph) else load(project, paths=paths)
    return _validate(kg, as_of=as_of, stale_days=stale_days, rules=rules, engine=engine,
                     incremental=not full and paths is None)


def check(project: ProjectRef = None, *, as_of: date | None = None, engine: str = "oxigraph",
          full: bool = False) -> ValidationReport:
    """The CI gate: every file loads, every named query parses and passes the sandbox, the graph validates,
    and inference runs (its result is cached, so queries after a CI run start warm)."""
    kg = _kg(project)
    for query in named_queries(kg).values():
        check_query(with_prefixes(query.text), name=query.name)
    report = _validate(kg, as_of=as_of, engine=engine, incremental=not full)
    if engine == "oxigraph":
        from .infer import infer_in_store

        infer_in_store(kg)
    else:
        from .infer import infer

        infer(kg)
    return report


def list_queries(project: ProjectRef = None) -> list[NamedQuery]:
    return list(named_queries(_kg(project)).values())


def list_rules(project: ProjectRef = None) -> list[dict[str, str]]:
    return rule_catalogue(_kg(project))


DEFAULT_QUERY_TIMEOUT = 60.0  # seconds an embedded query may run (``kgtool query --timeout``)


def query(project: ProjectRef = None, *, name: str | None = None, text: str | None = None, origin: str = "(ad hoc)",
          params: Mapping[str, list[str]] | None = None, today: date | None = None,
          endpoint: Target | None = None, store: StoreOptions | None = None, engine: str = "oxigraph") -> QueryResult:
    """Run a named query (``name``) or an ad-hoc one (``text``) with raw ``params`` (validated and bound),
    on the embedded graph or on ``endpoint`` (a :class:`kgtool.stores.Endpoint`)."""
    kg = _kg(project, lazy=engine == "oxigraph")
    named = get_query(kg, name) if name is not None else adhoc_query(text or "", origin=origin)
    endpoint = endpoint or (query_endpoint(kg.project, store) if store else None)
    if endpoint is not None:
        return execute(endpoint, named, params or {}, today=today)
    target = query_graph(kg, engine=engine)
    seconds = store.timeout if store is not None and store.timeout is not None else DEFAULT_QUERY_TIMEOUT
    try:
        with time_limit(seconds):
            return execute(target, named, params or {}, today=today)
    except TimeoutError:
        raise QueryTimeout(f"query {named.name!r} ran longer than the {seconds:g} s limit and was stopped",
                           hint="make the query more selective, add a LIMIT, or raise --timeout") from None


def recommend(project: ProjectRef = None, *, dims: Iterable[str], as_of: date | None = None,
              endpoint: Target | None = None, store: StoreOptions | None = None,
              engine: str = "oxigraph") -> Recommendation:
    """Verdicts with explanations for the profile made of ``dims``, embedded or on ``endpoint``."""
    kg = _kg(project, lazy=engine == "oxigraph")
    endpoint = endpoint or (query_endpoint(kg.project, store) if store else None)
    target = endpoint or query_graph(kg, engine=engine)
    queries = named_queries(kg)
    index = target.node_index()
    dimensions = index.only("org-dim.")
    # A profile is made of dimensions: a short id that also names a pattern (hybrid-cdp) means the dimension.
    dims = [ref if "://" in ref or ref in index.ids else str(resolve_node(ref, dimensions)) for ref in dims]

    def run_query(name: str, params: dict[str, list[str]]) -> SelectResult:
        result = execute(target, queries[name], params, today=as_of)
        assert isinstance(result, SelectResult)
        return result

    return _recommend(run_query, dims, as_of=as_of)


def push(project: ProjectRef = None, *, store: StoreOptions, with_inferred: bool = False) -> PushResult:
    """Upload the project's graph to a triple store (Graph Store Protocol) and verify it."""
    return push_project(_kg(project), store, with_inferred=with_inferred)


def read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(path, "no such file") from None
    except PermissionError:
        raise InputFileError(path, "permission denied") from None
    except UnicodeDecodeError:
        raise InputFileError(path, "not valid UTF-8") from None


__all__ = ["Info", "info", "push", "validate", "check", "list_queries", "list_rules", "query", "recommend", "read_text"]
