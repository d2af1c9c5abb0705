"""Find a kgtool project by convention and read its settings.

A project is a folder that holds ``ontology/``, ``data/`` and ``queries/``. It is found from the
working directory upward, or named with ``--project``. Settings live in ``pyproject.toml`` under
``[tool.kgtool]`` (``base`` = the IRI base of nodes) and can be overridden by environment
variables (``KGTOOL_BASE``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputFileError, ProjectNotFoundError
from .vocab import DEFAULT_BASE

REQUIRED_DIRS = ("ontology", "data", "queries")


@dataclass(frozen=True)
class Settings:
    """Project settings: declared once here, read by the CLI, the docs and the tests."""

    base: str = DEFAULT_BASE
    stale_days: int = 180
    stores: dict[str, dict[str, str]] = field(default_factory=dict)
    # Checked before a file is read: one file, and all the files of a load together.
    max_file_bytes: int = 64 * 2**20
    max_project_bytes: int = 8 * 2**30


@dataclass(frozen=True)
class Project:
    root: Path
    settings: Settings

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def cache_dir(self) -> Path:
        return self.root / ".kgtool-cache"

    def relative(self, path: Path) -> str:
        """A path as shown to users and stored in graphs: relative to the project, POSIX style."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def _is_project(path: Path) -> bool:
    return all((path / name).is_dir() for name in REQUIRED_DIRS)


def find_project(start: Path | str | None = None) -> Project:
    """Return the project at ``start`` or the nearest folder above it that is one.

    Raises :class:`ProjectNotFoundError` with a hint when there is none.
    """
    origin = Path(start or os.getcwd()).resolve()
    if start is not None and not origin.exists():
        raise InputFileError(origin, "no such directory", hint="pass --project a folder that holds ontology/, data/ and queries/")
    for candidate in (origin, *origin.parents):
        if _is_project(candidate):
            return Project(root=candidate, settings=read_settings(candidate))
        if start is not None:
            break
    raise ProjectNotFoundError(
        f"no kgtool project at {origin}" + ("" if start is not None else " or above it"),
        hint="run inside a folder with ontology/, data/ and queries/, or pass --project DIR",
    )


def read_settings(root: Path) -> Settings:
    values: dict = {}
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            with pyproject.open("rb") as handle:
                values = tomllib.load(handle).get("tool", {}).get("kgtool", {})
        except tomllib.TOMLDecodeError as exc:
            raise InputFileError(pyproject, f"not valid TOML: {exc}") from None
    base = os.environ.get("KGTOOL_BASE") or values.get("base") or DEFAULT_BASE
    if not base.endswith(("/", "#")):
        base += "/"
    return Settings(
        base=base,
        stale_days=int(values.get("stale-days", 180)),
        stores=dict(values.get("stores", {})),
        max_file_bytes=_size(pyproject, "max-file-bytes", os.environ.get("KGTOOL_MAX_FILE_BYTES")
                             or values.get("max-file-bytes", Settings.max_file_bytes)),
        max_project_bytes=_size(pyproject, "max-project-bytes", os.environ.get("KGTOOL_MAX_PROJECT_BYTES")
                                or values.get("max-project-bytes", Settings.max_project_bytes)),
    )


def _size(where: Path, name: str, value) -> int:
    try:
        size = int(value)
        if size <= 0:
            raise ValueError
    except (TypeError, ValueError):
        raise InputFileError(where, f"{name} must be a positive number of bytes, not {value!r}") from None
    return size
