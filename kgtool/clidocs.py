"""Generate the CLI reference (docs/cli.md) from the commands' own --help, so it cannot drift.

``python -m kgtool.clidocs > docs/cli.md`` rewrites it; a test fails when it is out of date.
"""

from __future__ import annotations

import click

from .cli import main


def _help(command: click.Command, name: str) -> str:
    # The same help option names as a real invocation (click caches a command's help option on first use).
    ctx = click.Context(command, info_name=name, terminal_width=100, max_content_width=100,
                        help_option_names=["-h", "--help"])
    return command.get_help(ctx)


def cli_reference() -> str:
    parts = ["# kgtool command reference", "",
             "Generated from `kgtool --help` by `python -m kgtool.clidocs > docs/cli.md`; a test checks it is current.",
             "", "## kgtool", "", "```", _help(main, "kgtool"), "```", ""]
    for name in sorted(main.commands):
        parts += [f"## kgtool {name}", "", "```", _help(main.commands[name], f"kgtool {name}"), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(cli_reference(), end="")
