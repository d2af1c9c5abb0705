"""The one error tree of kgtool.

Every failure the library can report is a :class:`KgtoolError`. Each class carries the fields a
user needs (path, line, column, query name, parameter) and an ``exit_code``; the CLI translates
them in one place. Exit codes are a contract:

====  ==========================================================================
0     success (no finding at or above the threshold)
1     findings (validation failed, a check returned rows, ASK answered false)
2     usage error (unknown query or node, bad parameter, bad option)
3     could not run (unreadable or broken file, broken shapes, unreachable store)
====  ==========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_CANNOT_RUN = 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool whose reader went away


class KgtoolError(Exception):
    """Base class: a failure with a message that says what happened and how to fix it."""

    exit_code = EXIT_CANNOT_RUN

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class UsageError(KgtoolError):
    """The caller asked for something that does not exist or is malformed (exit 2)."""

    exit_code = EXIT_USAGE


class ProjectNotFoundError(KgtoolError):
    """No folder with ontology/, data/ and queries/ was found."""


class InputFileError(KgtoolError):
    """A file could not be read: missing, unreadable, not a regular file, outside the project."""

    def __init__(self, path: Path | str, message: str, *, hint: str | None = None) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {message}", hint=hint)


class RdfSyntaxError(KgtoolError):
    """A broken RDF file, located as ``path:line:col: message``."""

    def __init__(self, path: Path | str, line: int, column: int, detail: str) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.detail = detail
        super().__init__(f"{self.path}:{line}:{column}: {detail}")


class DataError(KgtoolError):
    """The files parse but the graph breaks a rule kgtool depends on (a blank node, a bad term)."""

    def __init__(self, path: Path | str | None, message: str, *, hint: str | None = None) -> None:
        self.path = str(path) if path is not None else None
        super().__init__(f"{self.path}: {message}" if self.path else message, hint=hint)


class ShapesError(KgtoolError):
    """The SHACL shapes or the quality checks are broken or unsafe; validation cannot run."""


class QueryError(UsageError):
    """A query is unknown, malformed, refused by the sandbox, or given bad parameters (exit 2)."""

    def __init__(self, message: str, *, query: str | None = None, parameter: str | None = None,
                 hint: str | None = None) -> None:
        self.query = query
        self.parameter = parameter
        prefix = f"query {query!r}: " if query else ""
        super().__init__(prefix + message, hint=hint)


class NodeLookupError(UsageError):
    """A node id matches no node, or several (exit 2). ``candidates`` lists close matches."""

    def __init__(self, ref: str, message: str, candidates: list[str]) -> None:
        self.ref = ref
        self.candidates = candidates
        hint = ("did you mean: " + ", ".join(candidates)) if candidates else "run `kgtool info --nodes` to list node ids"
        super().__init__(message, hint=hint)


class QueryExecutionError(KgtoolError):
    """A query failed while running (exit 3)."""


class QueryTimeout(QueryExecutionError):
    """A query ran longer than its time limit (the server's, or ``kgtool query --timeout``)."""


@dataclass(frozen=True)
class Location:
    """Where something is defined: a file and, when known, the line of its subject."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path
