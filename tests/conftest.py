"""Shared fixtures: the shipped project, its loaded graph, and tiny temporary projects."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import kgtool
from kgtool.cli import main
from kgtool.query import QueryGraph, query_graph

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def kg() -> kgtool.KnowledgeGraph:
    return kgtool.load(ROOT)


@pytest.fixture(scope="session")
def qgraph(kg) -> QueryGraph:
    return query_graph(kg, engine="rdflib")  # the reference engine; tests/test_engines.py checks the fast one against it


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """A temporary project with the real ontology, shapes and queries, and the data files given.

    ``files`` maps a path under data/ to Turtle text (or to a Path whose content is copied).
    """
    def make(files: dict[str, str | Path] | None = None, *, with_queries: bool = True) -> Path:
        project = tmp_path / "project"
        shutil.copytree(ROOT / "ontology", project / "ontology")
        if with_queries:
            shutil.copytree(ROOT / "queries", project / "queries")
        else:
            (project / "queries").mkdir(parents=True)
        (project / "data").mkdir(parents=True, exist_ok=True)
        for name, content in (files or {}).items():
            target = project / "data" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copyfile(content, target)
            else:
                target.write_text(content, encoding="utf-8")
        return project
    return make


@pytest.fixture(scope="session")
def cli_group():
    """The kgtool command group, every command registered."""
    return main


@pytest.fixture
def cli() -> Callable[..., object]:
    """Run the CLI in-process: ``cli("validate", "--project", path)`` -> click Result."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)
    return invoke
