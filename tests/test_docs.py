"""Docs that can drift are generated and checked here."""

from __future__ import annotations

import re

from kgtool.cli import main
from kgtool.clidocs import cli_reference
from kgtool.render import render_rules

import kgtool


def test_cli_reference_is_current(root):
    assert (root / "docs" / "cli.md").read_text() == cli_reference(), \
        "docs/cli.md is out of date: run `python -m kgtool.clidocs > docs/cli.md`"


def test_every_command_has_help_and_is_in_the_readme(root):
    readme = (root / "README.md").read_text()
    for name, command in main.commands.items():
        assert command.help and len(command.help) > 20, name
        assert f"kgtool {name}" in readme, name


def test_readme_rules_table_is_current(root):
    readme = (root / "README.md").read_text()
    table = re.search(r"<!-- rules:start -->\n(.*)<!-- rules:end -->", readme, re.S).group(1)
    assert table == render_rules(kgtool.list_rules(root), fmt="markdown"), \
        "README rules table is out of date: paste `kgtool rules --format markdown`"


def test_quick_start_is_exactly_two_commands(root):
    readme = (root / "README.md").read_text()
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
    assert commands == ["scripts/demo", "scripts/test"]
    ci = (root / ".ci" / "run").read_text()
    assert "scripts/test" in ci
