"""The fast embedded engine: the same graph and the same bound query text, run by pyoxigraph.

rdflib stays the reference engine (``--engine rdflib``, the default); ``--engine oxigraph`` loads the
query graph (ontology + data + inferred) into an in-memory pyoxigraph store. Results come back as the
same typed results with rdflib terms, so rendering and the recommendation rules do not change.
Queries pass the same sandbox first: pyoxigraph would follow SERVICE, kgtool refuses it before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from .sparql import AskResult, GraphResult, NodeIndex, QueryResult, SelectResult, index_via, prepare
from .errors import QueryExecutionError
from .terms import to_ox, to_rdflib

ENGINES = ("rdflib", "oxigraph")


@dataclass
class OxigraphGraph:
    """A :class:`~kgtool.query.Target` backed by an in-memory pyoxigraph store."""

    store: ox.Store
    _index: NodeIndex | None = field(default=None, repr=False)

    @classmethod
    def from_graph(cls, graph: Graph) -> "OxigraphGraph":
        store = ox.Store()
        store.bulk_extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.DefaultGraph()) for s, p, o in graph)
        return cls(store=store)

    def run(self, text: str, *, name: str | None = None) -> QueryResult:
        prepare(text, name=name)  # the sandbox: no FROM, no SERVICE, no update
        try:
            result = self.store.query(text)
        except (SyntaxError, OSError, ValueError) as exc:
            raise QueryExecutionError(f"query {name or '(ad hoc)'} failed on pyoxigraph: {exc}") from None
        if isinstance(result, ox.QueryBoolean):
            return AskResult(value=bool(result))
        if isinstance(result, ox.QueryTriples):
            graph = Graph()
            for triple in result:
                graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
            return GraphResult(graph=graph)
        variables = [v.value for v in result.variables]
        rows = []
        for solution in result:
            rows.append({v: (to_rdflib(solution[v]) if solution[v] is not None else None) for v in variables})
        return SelectResult(variables=variables, rows=rows)

    def node_index(self) -> NodeIndex:
        if self._index is None:
            self._index = index_via(self.run)
        return self._index
