"""Run named or ad-hoc queries on a project's graph (asserted + ontology + inferred)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rdflib import Graph

from .errors import QueryError
from .infer import infer
from .load import KnowledgeGraph
from .queries import NamedQuery, catalog, parse_header
from .sparql import QueryResult, bind_parameters, bound_text, run, with_prefixes


@dataclass
class QueryGraph:
    """The graph queries run on: ontology + data + the inferred graph, built once per load."""

    kg: KnowledgeGraph
    graph: Graph
    inferred_from_cache: bool


def query_graph(kg: KnowledgeGraph, *, use_cache: bool = True) -> QueryGraph:
    inference = infer(kg, use_cache=use_cache)
    merged = Graph()
    for triple in kg.graph("ontology", "data"):
        merged.add(triple)
    for triple in inference.graph:
        merged.add(triple)
    return QueryGraph(kg=kg, graph=merged, inferred_from_cache=inference.cached)


def named_queries(kg: KnowledgeGraph) -> dict[str, NamedQuery]:
    """The project's named queries (``queries/*.rq``), by name."""
    return catalog(kg.project.queries_dir)


def get_query(kg: KnowledgeGraph, name: str) -> NamedQuery:
    queries = named_queries(kg)
    if name not in queries:
        import difflib

        close = difflib.get_close_matches(name, list(queries), n=5, cutoff=0.4)
        hint = ("did you mean: " + ", ".join(close)) if close else "run `kgtool queries` to list them"
        raise QueryError(f"no named query {name!r}", hint=hint)
    return queries[name]


def adhoc_query(text: str, *, origin: str = "(ad hoc)") -> NamedQuery:
    """An ad-hoc query (from ``--file`` or stdin); it may declare parameters in a header too."""
    return parse_header(text, name=origin, path=Path(origin))


def execute(target: QueryGraph | Graph, query: NamedQuery, params: Mapping[str, list[str]] | None = None, *,
            today: date | None = None) -> QueryResult:
    """Bind ``params`` (raw strings, validated per the query's header) and run ``query``."""
    graph = target.graph if isinstance(target, QueryGraph) else target
    bindings = bind_parameters(query, params or {}, graph=graph, today=today)
    text = bound_text(with_prefixes(query.text), bindings, name=query.name)
    return run(graph, text, name=query.name)
