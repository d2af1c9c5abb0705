"""kgtool: load, validate, query and recommend from a curated, evidence-backed knowledge graph."""

from .api import Info, check, info, list_queries, list_rules, query, recommend, validate
from .errors import (DataError, InputFileError, KgtoolError, NodeLookupError, ProjectNotFoundError, QueryError,
                     RdfSyntaxError, ShapesError, UsageError)
from .infer import Inference, infer
from .load import KnowledgeGraph, LoadedFile, load
from .project import Project, Settings, find_project
from .recommend import Recommendation, Signal, Verdict
from .sparql import AskResult, GraphResult, QueryResult, SelectResult
from .validate import Finding, ValidationReport

__version__ = "0.1.0"

_LAZY = {"write_bundle": "export", "format_files": "fmt", "DiffReport": "diff"}


def __getattr__(name: str):
    """Import the heavier stages (export, fmt, diff) on first use: a query does not pay for them."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "DiffReport", "format_files", "write_bundle",
    "AskResult", "DataError", "Finding", "GraphResult", "Inference", "Info", "InputFileError", "KgtoolError",
    "KnowledgeGraph", "LoadedFile", "NodeLookupError", "Project", "ProjectNotFoundError", "QueryError",
    "QueryResult", "RdfSyntaxError", "Recommendation", "SelectResult", "Settings", "ShapesError", "Signal",
    "UsageError", "ValidationReport", "Verdict", "check", "find_project", "infer", "info", "list_queries",
    "list_rules", "load", "query", "recommend", "validate",
]
