"""The ``export``, ``fmt`` and ``diff`` commands: each parses its options, calls one library function, renders.

They are plain click commands; ``kgtool.cli`` registers them on the ``kgtool`` group, whose handler
turns library errors into one-line messages and exit codes.
"""

from __future__ import annotations

from datetime import date

import click

from . import export as export_lib
from .errors import EXIT_FINDINGS, UsageError
from .render import Format, format_for, write_output

DIFF_FORMATS = (Format.TEXT, Format.MARKDOWN, Format.JSON)


def _project(ctx: click.Context) -> str | None:
    return (ctx.obj or {}).get("project")


@click.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (atomically) instead of standard output; its extension sets the format.")
@click.option("--format", "fmt", type=click.Choice([f.value for f in export_lib.ExportFormat]), default=None,
              help="ttl, nt, nq, trig or jsonld (default: ttl, or from -o's extension).")
@click.option("--asserted", "mode", flag_value=export_lib.ExportMode.ASSERTED.value, default=True,
              help="The asserted data only (default).")
@click.option("--with-inferred", "mode", flag_value=export_lib.ExportMode.WITH_INFERRED.value,
              help="The asserted data and the inferred graph.")
@click.option("--inferred-only", "mode", flag_value=export_lib.ExportMode.INFERRED_ONLY.value,
              help="The inferred graph only.")
@click.option("--no-ontology", is_flag=True, help="Leave the ontology out (it is included by default).")
@click.option("--bundle", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Write a release bundle into DIR: asserted, inferred, ontology and shapes files and manifest.json.")
@click.option("--date", "bundle_date", metavar="DATE", default=None,
              help="The bundle's date (YYYY-MM-DD; default: SOURCE_DATE_EPOCH, else today).")
@click.pass_context
def export(ctx, output, fmt, mode, no_ontology, bundle, bundle_date) -> None:
    """Export the graph deterministically: Turtle, N-Triples, N-Quads, TriG or JSON-LD.

    The same inputs give byte-identical output. Triple formats merge the graphs; N-Quads and TriG
    keep them apart as <base>graph/ontology, <base>graph/asserted and <base>graph/inferred.

    \b
    Examples:
      kgtool export -o graph.ttl
      kgtool export --with-inferred --format nq -o graph.nq
      kgtool export --bundle dist/kg-release --date 2026-12-01
    Exit codes: 0 written, 2 bad option, 3 a file cannot be read or written.
    """
    if bundle is not None:
        flags = {"output": "-o", "fmt": "--format", "mode": "--asserted/--with-inferred/--inferred-only",
                 "no_ontology": "--no-ontology"}
        given = [flag for name, flag in flags.items()
                 if ctx.get_parameter_source(name) not in (click.core.ParameterSource.DEFAULT, None)]
        if given:
            raise UsageError("--bundle writes every graph, in Turtle, to its own file: it takes no " + ", ".join(given),
                             hint="drop " + " and ".join(given))
        manifest = export_lib.write_bundle(_project(ctx), bundle, date=_date(bundle_date))
        lines = [f"{f.path:<14} {f.triples:>6} triples  <{f.graph}>" for f in manifest.files]
        write_output("\n".join(lines + ["manifest.json  " + f"content hash {manifest.content_hash[:16]}"]) + "\n", None)
        return
    if bundle_date is not None:
        raise UsageError("--date is for --bundle only")
    text = export_lib.export(_project(ctx), fmt=export_lib.format_for(fmt, output), mode=mode,
                             include_ontology=not no_ontology)
    write_output(text, output)


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--date") from None


@click.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True, help="Change nothing: list the files that would change, exit 1 if any.")
@click.pass_context
def fmt(ctx, paths, check) -> None:
    """Rewrite data/ and ontology/ files into the canonical Turtle layout (PATHS: only these).

    Keeps each file's header comments and section banners; refuses, naming the file and line, a
    comment it would lose. A file is replaced only after its new text parses back to the same graph;
    on any failure it is untouched. Prints the files that changed (or would change, with --check).

    \b
    Exit codes: 0 done (or nothing to change), 1 --check found files to change,
                2 bad path, 3 a file cannot be parsed, formatted or written.
    """
    from . import fmt as fmt_lib

    result = fmt_lib.format_files(_project(ctx), check=check, paths=paths or None)
    if result.changed:
        write_output("\n".join(result.changed) + "\n", None)
    click.echo(result.summary(), err=True)
    ctx.exit(EXIT_FINDINGS if check and result.changed else 0)


@click.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--format", "fmt", type=click.Choice([f.value for f in DIFF_FORMATS]), default=None,
              help="text, markdown (a pull-request comment) or json (default: text, or from -o's extension).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write the report to a file.")
@click.option("--fail-on-change", is_flag=True, help="Exit 1 when anything changed (for scripts).")
@click.pass_context
def diff(ctx, old, new, fmt, output, fail_on_change) -> None:
    """What changed between two revisions of the graph, per node: OLD and NEW are git revisions or paths.

    A path is a project folder, a folder of Turtle files or one file; anything else is a git revision
    of the project (HEAD~1, main, a commit). Reports nodes added and removed and, per changed node,
    attributes, sources, sections, facts and relations (rationale, strength, status...), and warns
    when a changed node's version or review date did not move.

    \b
    Examples:
      kgtool diff HEAD~1 HEAD --format markdown
      kgtool diff main . --fail-on-change
    Exit codes: 0 done, 1 something changed (with --fail-on-change), 2 bad revision, 3 bad file.
    """
    fmt_ = format_for(fmt, output, default=Format.TEXT, allowed=DIFF_FORMATS)
    from . import diff as diff_lib

    report = diff_lib.diff(old, new, project=_project(ctx))
    write_output(diff_lib.render_diff(report, fmt_), output)
    ctx.exit(EXIT_FINDINGS if fail_on_change and report.changed else 0)


COMMANDS = (export, fmt, diff)
