"""Run named or ad-hoc queries on a target: the embedded graph (asserted + ontology + inferred) or a
remote SPARQL endpoint (:class:`kgtool.stores.Endpoint`). Both implement :class:`Target`, so the same
bound query text and the same recommendation logic run in either place.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from rdflib import Graph

from .errors import QueryError, UsageError
from .load import KnowledgeGraph
from .queries import NamedQuery, catalog, parse_header
from .sparql import NodeIndex, QueryResult, bind_parameters, bound_text, node_index, remember_verdicts, run, with_prefixes


class Target(Protocol):
    """Where queries run: ``run`` takes complete, bound SPARQL text; ``node_index`` resolves ids."""

    def run(self, text: str, *, name: str | None = None) -> QueryResult: ...

    def node_index(self) -> NodeIndex: ...


@dataclass
class QueryGraph:
    """The embedded target: ontology + data + the inferred graph, built once per load."""

    kg: KnowledgeGraph | None
    graph: Graph
    inferred_from_cache: bool = False
    _index: NodeIndex | None = field(default=None, repr=False)

    def run(self, text: str, *, name: str | None = None) -> QueryResult:
        return run(self.graph, text, name=name)

    def node_index(self) -> NodeIndex:
        if self._index is None:
            self._index = node_index(self.graph)
        return self._index


def query_graph(kg: KnowledgeGraph, *, use_cache: bool = True, engine: str = "oxigraph") -> Target:
    """The embedded target for ``kg``: pyoxigraph (the default, fast) or rdflib (``engine="rdflib"``,
    the reference: an rdflib graph of ontology + data + owlrl's inferences)."""
    if engine not in ("rdflib", "oxigraph"):
        raise UsageError(f"unknown engine {engine!r}", hint="rdflib or oxigraph")
    if use_cache:
        remember_verdicts(kg.project.cache_dir)
    if engine == "oxigraph":
        from .engine import OxigraphGraph

        return OxigraphGraph.for_kg(kg, use_cache=use_cache)
    from .infer import infer

    inference = infer(kg, use_cache=use_cache, reasoner="owlrl")
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
        close = difflib.get_close_matches(name, list(queries), n=5, cutoff=0.4)
        hint = ("did you mean: " + ", ".join(close)) if close else "run `kgtool queries` to list them"
        raise QueryError(f"no named query {name!r}", hint=hint)
    return queries[name]


def adhoc_query(text: str, *, origin: str = "(ad hoc)") -> NamedQuery:
    """An ad-hoc query (from ``--file`` or stdin); it may declare parameters in a header too."""
    return parse_header(text, name=origin, path=Path(origin))


def prepared_text(target: Target, query: NamedQuery, params: Mapping[str, list[str]] | None = None, *,
                  today: date | None = None) -> str:
    """The complete query text with ``params`` (raw strings) validated and bound."""
    bindings = bind_parameters(query, params or {}, index=target.node_index, today=today)
    return bound_text(with_prefixes(query.text), bindings, name=query.name)


def execute(target: Target | Graph, query: NamedQuery, params: Mapping[str, list[str]] | None = None, *,
            today: date | None = None) -> QueryResult:
    """Bind ``params`` (raw strings, validated per the query's header) and run ``query`` on ``target``."""
    if isinstance(target, Graph):
        target = QueryGraph(kg=None, graph=target)
    return target.run(prepared_text(target, query, params, today=today), name=query.name)
