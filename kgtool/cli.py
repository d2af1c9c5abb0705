"""The ``kgtool`` command line: each command parses, calls one library function, renders.

Exit codes: 0 ok, 1 findings (validation failed, ASK answered false), 2 usage error, 3 could not run.
"""

from __future__ import annotations

import os
import sys
import re
import traceback
from datetime import date

import click

from . import api
from .errors import EXIT_BROKEN_PIPE, EXIT_CANNOT_RUN, EXIT_FINDINGS, KgtoolError
from .render import (Format, format_for, render_info, render_push, render_queries, render_query_result,
                     render_recommendation, render_rules, write_output)
from .report import render_report, summary_line
from .sparql import AskResult
from .stores import StoreOptions

QUERY_FORMATS = (Format.TABLE, Format.CSV, Format.TSV, Format.JSON, Format.MARKDOWN, Format.TURTLE)
REPORT_FORMATS = (Format.TEXT, Format.JSON, Format.JUNIT, Format.SARIF, Format.GITHUB, Format.TURTLE)
RECOMMEND_FORMATS = (Format.TABLE, Format.JSON, Format.MARKDOWN)
SEVERITIES = ("violation", "warning", "info")


_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def printable(message: str) -> str:
    """``message`` with control characters (NUL, escape sequences), bidi overrides and zero-width
    characters shown escaped (``\\x1b``, ``\\u202e``): a message quotes file contents, and a terminal
    must not act on them."""
    def escape(match: re.Match) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _UNPRINTABLE.sub(escape, message)


class KgtoolGroup(click.Group):
    """Translates library errors into messages and exit codes, in one place."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KgtoolError as exc:
            if ctx.obj and ctx.obj.get("traceback"):
                traceback.print_exc()
            click.echo(f"error: {printable(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:  # the reader went away (`kgtool query ... | head`): stop quietly, as cat does
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush does not fail again
            ctx.exit(EXIT_BROKEN_PIPE)
        except click.exceptions.Exit:
            raise
        except (click.ClickException, click.exceptions.Abort):
            raise
        except Exception as exc:  # a bug: say so plainly, keep the stack for --traceback
            if ctx.obj and ctx.obj.get("traceback"):
                traceback.print_exc()
            click.echo(f"internal error: {exc.__class__.__name__}: {printable(str(exc))} (run with --traceback and report it)",
                       err=True)
            ctx.exit(EXIT_CANNOT_RUN)


def store_options(command):
    """The options every command that can talk to a triple store shares."""
    options = [
        click.option("--store", "store", metavar="NAME", help="A store named in [tool.kgtool.stores.NAME] (pyproject.toml)."),
        click.option("--endpoint", metavar="URL", help="A SPARQL endpoint URL (for push: the Graph Store Protocol URL)."),
        click.option("--graph", metavar="IRI", help="The named graph in the store (default: <base>graph)."),
        click.option("--user", metavar="USER", help="User name for the store."),
        click.option("--password-env", metavar="VAR", help="Environment variable that holds the password."),
        click.option("--auth", type=click.Choice(["basic", "digest"]), default=None, help="HTTP auth scheme (default basic)."),
        click.option("--timeout", type=click.FloatRange(min=0.1), default=None, help="Seconds to wait for the store (default 30); for query on the embedded graph, its time limit (default 60)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _store(kw: dict) -> "StoreOptions":
    return StoreOptions(**{k: kw.pop(k) for k in ("store", "endpoint", "graph", "user", "password_env", "auth", "timeout")})


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from None


def _quiet_libraries() -> None:
    """rdflib logs a Python traceback for every ill-typed literal it meets ("Failed to convert Literal
    lexical form to value") and warns on odd booleans. kgtool reports ill-typed literals itself, as
    located findings (check ``ill-typed-literal``), so the libraries' own noise is kept for
    ``--traceback``."""
    import logging
    import warnings

    logging.getLogger("rdflib").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", module=r"rdflib(\..*)?$")


@click.group(cls=KgtoolGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--project", type=click.Path(file_okay=False), default=None,
              help="Project folder (holds ontology/, data/, queries/). Default: found from the working directory upward.")
@click.option("--traceback", "show_traceback", is_flag=True, help="Show the Python stack on errors.")
@click.option("--engine", type=click.Choice(["rdflib", "oxigraph"]), default="oxigraph", show_default=True,
              help="Embedded engine: rdflib (the reference: rdflib, owlrl, pySHACL) or oxigraph (fast: pyoxigraph, "
                   "compiled inference rules, the shacl package).")
@click.version_option(package_name="kgtool")
@click.pass_context
def main(ctx: click.Context, project: str | None, show_traceback: bool, engine: str) -> None:
    """Load, validate, query and recommend from the CDP knowledge graph.

    \b
    Exit codes: 0 ok, 1 findings (validation failed, ASK false),
                2 usage error, 3 could not run (bad file, broken shapes).
    """
    ctx.ensure_object(dict)
    ctx.obj["project"] = project
    ctx.obj["traceback"] = show_traceback
    if not show_traceback:
        _quiet_libraries()
    ctx.obj["engine"] = engine


@main.command()
@click.option("--nodes", is_flag=True, help="Also list every node id with its kind and title.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def info(ctx: click.Context, nodes: bool, fmt: str) -> None:
    """What the project holds: nodes by kind, relations by type and status, sources, files."""
    write_output(render_info(api.info(ctx.obj["project"]), fmt=fmt, nodes=nodes), None)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--as-of", "as_of", metavar="DATE", help="Evaluation date for staleness (default: today).")
@click.option("--stale-days", type=click.IntRange(min=0), default=None, help="Days after which a review is stale (default 180).")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="violation", show_default=True,
              help="Exit 1 when a finding at or above this severity exists.")
@click.option("--format", "fmt", type=click.Choice([f.value for f in REPORT_FORMATS]), default=None,
              help="Output format (default: text, or from -o's extension).")
@click.option("--rule", "rules", multiple=True, help="Run only this rule (repeatable).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write the report to a file.")
@click.option("--full", is_flag=True, help="Re-check everything (by default only what changed since the last validation).")
@click.pass_context
def validate(ctx, paths, as_of, stale_days, fail_on, fmt, rules, output, full) -> None:
    """Validate the graph: SHACL completeness shapes and quality checks.

    PATHS restricts the data files checked (the ontology and shapes always load).
    """
    fmt_ = format_for(fmt, output, default=Format.TEXT, allowed=REPORT_FORMATS)
    report = api.validate(ctx.obj["project"], paths=paths or None, as_of=_as_of(as_of), stale_days=stale_days,
                          rules=set(rules) or None, engine=ctx.obj["engine"], full=full)
    write_output(render_report(report, fmt_, fail_on, rules=api.list_rules(ctx.obj["project"])
                               if fmt_ == Format.SARIF else None), output)
    if output:
        click.echo(summary_line(report, fail_on), err=True)
    _say_how(report)
    ctx.exit(0 if report.passes(fail_on) else EXIT_FINDINGS)


def _say_how(report) -> None:
    """On a terminal (or with KGTOOL_PROGRESS=1), say whether the validation was incremental."""
    from . import progress

    if report.incremental is not None and progress.enabled():
        click.echo(report.incremental.describe(), err=True)


@main.command()
@click.option("--as-of", "as_of", metavar="DATE", help="Evaluation date for staleness (default: today).")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="violation", show_default=True)
@click.option("--format", "fmt", type=click.Choice([f.value for f in REPORT_FORMATS]), default=None)
@click.option("--full", is_flag=True, help="Re-check everything (by default only what changed since the last validation).")
@click.pass_context
def check(ctx, as_of, fail_on, fmt, full) -> None:
    """The CI gate: load every file, parse every named query, validate the graph.

    Exits 1 when a finding at or above --fail-on exists, 3 when something cannot run.
    """
    fmt_ = format_for(fmt, None, default=Format.TEXT, allowed=REPORT_FORMATS)
    report = api.check(ctx.obj["project"], as_of=_as_of(as_of), engine=ctx.obj["engine"], full=full)
    write_output(render_report(report, fmt_, fail_on), None)
    _say_how(report)
    ctx.exit(0 if report.passes(fail_on) else EXIT_FINDINGS)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table", show_default=True)
@click.pass_context
def rules(ctx, fmt) -> None:
    """List the validation rules: id, kind (shape or check), severity, description."""
    write_output(render_rules(api.list_rules(ctx.obj["project"]), fmt=fmt), None)


@main.command("queries")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table", show_default=True)
@click.pass_context
def list_queries(ctx, fmt) -> None:
    """List the named queries with their titles and parameters."""
    write_output(render_queries(api.list_queries(ctx.obj["project"]), fmt=fmt), None)


@main.command()
@click.argument("name", required=False)
@click.option("-p", "--param", "params", nargs=2, multiple=True, metavar="NAME VALUE",
              help="A parameter value (repeat for several, or for a multi-valued parameter).")
@click.option("--file", "query_file", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Run the SPARQL query in this file ('-' reads stdin) instead of a named query.")
@click.option("--format", "fmt", type=click.Choice([f.value for f in QUERY_FORMATS]), default=None,
              help="Output format (default: a table, or from -o's extension).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write the result to a file.")
@store_options
@click.pass_context
def query(ctx, name, params, query_file, fmt, output, **store) -> None:
    """Run a named query (NAME) or an ad-hoc one (--file FILE, or NAME '-' for stdin).

    \b
    SELECT gives a table (or CSV, TSV, JSON, Markdown); CONSTRUCT and DESCRIBE give Turtle;
    ASK prints true or false and exits 1 on false.
    Examples:
      kgtool query profile-enables -p dim engineering-led-cdp
      kgtool query --file my.rq --format csv -o out.csv
    """
    if name == "-" and query_file is None:
        name, query_file = None, "-"
    if (name is None) == (query_file is None):
        raise click.UsageError("give a query NAME or --file FILE (see `kgtool queries`)")
    text = None
    if query_file is not None:
        text = sys.stdin.read() if query_file == "-" else api.read_text(query_file)
    fmt_ = format_for(fmt, output, default=Format.TABLE, allowed=QUERY_FORMATS)
    given: dict[str, list[str]] = {}
    for key, value in params:
        given.setdefault(key, []).append(value)
    result = api.query(ctx.obj["project"], name=name, text=text, origin=query_file or name, params=given,
                       store=_store(store), engine=ctx.obj["engine"])
    write_output(render_query_result(result, fmt_), output)
    ctx.exit(EXIT_FINDINGS if isinstance(result, AskResult) and not result.value else 0)


@main.command()
@click.option("--dim", "dims", multiple=True, required=True, metavar="ID",
              help="A dimension of the organisation (repeat): engineering-led-cdp, dw.snowflake, de-staffing.thin ...")
@click.option("--as-of", "as_of", metavar="DATE", help="Evaluation date (default: today).")
@click.option("--format", "fmt", type=click.Choice([f.value for f in RECOMMEND_FORMATS]), default=None,
              help="Output format (default: a table, or from -o's extension).")
@click.option("--explain/--no-explain", default=True, show_default=True, help="Show the edges behind each verdict.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write the result to a file.")
@store_options
@click.pass_context
def recommend(ctx, dims, as_of, fmt, explain, output, **store) -> None:
    """Which vendors and patterns fit a profile, which are counter-indicated, and why.

    \b
    Example:
      kgtool recommend --dim engineering-led-cdp --dim dw.snowflake --dim de-staffing.thin
    """
    fmt_ = format_for(fmt, output, default=Format.TABLE, allowed=RECOMMEND_FORMATS)
    result = api.recommend(ctx.obj["project"], dims=list(dims), as_of=_as_of(as_of), store=_store(store),
                           engine=ctx.obj["engine"])
    write_output(render_recommendation(result, fmt_, explain=explain), output)


@main.command()
@click.option("--with-inferred", is_flag=True, help="Also push the inferred triples (needed to run every named query there).")
@store_options
@click.pass_context
def push(ctx, with_inferred, **store) -> None:
    """Upload the graph to a triple store with the SPARQL 1.1 Graph Store Protocol.

    Replaces the named graph (pushing twice leaves one copy), then reads it back and checks the
    triple count. Exit 3 when the store is unreachable, refuses, or does not answer in time.

    \b
    Examples:
      kgtool push --endpoint http://127.0.0.1:7878/store --with-inferred
      kgtool push --store prod --user dba --password-env STORE_PASSWORD --auth digest
    """
    result = api.push(ctx.obj["project"], store=_store(store), with_inferred=with_inferred)
    click.echo(render_push(result))


from .cli_export import COMMANDS as _EXPORT_COMMANDS  # noqa: E402  (export, fmt, diff)
from .cli_pages import COMMANDS as _PAGES_COMMANDS  # noqa: E402  (import-pages)
from .cli_serve import COMMANDS as _SERVE_COMMANDS  # noqa: E402  (serve, site)

for _command in (*_EXPORT_COMMANDS, *_PAGES_COMMANDS, *_SERVE_COMMANDS):
    main.add_command(_command)
for _command in main.commands.values():
    # -h works everywhere, also when a command runs on its own (click caches the help option it first builds)
    _command.context_settings.setdefault("help_option_names", ["-h", "--help"])
