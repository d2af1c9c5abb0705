"""The ``serve`` and ``site`` commands: parse options, call :mod:`kgtool.serve` / :mod:`kgtool.site`, report.

Plain click commands; ``kgtool.cli`` registers ``COMMANDS`` on the ``kgtool`` group, whose handler turns
library errors into one-line messages and exit codes.
"""

from __future__ import annotations

import click

from .errors import UsageError


def _project(ctx: click.Context) -> str | None:
    return (ctx.obj or {}).get("project")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind. The default answers this machine only; 0.0.0.0 exposes the server.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="TCP port.")
@click.option("--query-timeout", type=click.FloatRange(min=0.1), default=5.0, show_default=True, metavar="SECONDS",
              help="Time limit of one query; a query over it is stopped (its worker process is killed) and gets HTTP 503.")
@click.option("--row-cap", type=click.IntRange(min=1), default=10000, show_default=True,
              help="Most rows (or triples) a /sparql answer may have; a bigger result gets HTTP 400.")
@click.pass_context
def serve(ctx, host, port, query_timeout, row_cap) -> None:
    """Serve the graph: node pages, search, validation, named queries, recommendations and /sparql.

    The project is loaded once at start. Routes: /kg/<id> (HTML, or Turtle with Accept: text/turtle),
    /kg/<id>.svg, / (?q= search, ?kind= filter), /validation, /queries, /queries/<name>?param=...,
    /recommend?dim=..., /sparql (SPARQL 1.1 Protocol, read-only: updates, FROM, SERVICE and LOAD are
    refused). Stop it with Ctrl-C.

    \b
    Examples:
      kgtool serve
      kgtool serve --port 8080 --query-timeout 2
    Exit codes: 0 stopped, 2 bad option, 3 the project cannot be loaded or the port cannot be bound.
    """
    try:
        import uvicorn  # noqa: F401
    except ImportError:
        raise UsageError("kgtool serve needs uvicorn", hint="pip install uvicorn") from None
    from .serve import serve as run_server

    click.echo(f"serving on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    run_server(_project(ctx), host=host, port=port, query_timeout=query_timeout, row_cap=row_cap)


@click.command("site")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="Folder to write; it is replaced as a whole once every page is written.")
@click.pass_context
def site(ctx, output) -> None:
    """Write the node pages as a static site: <id>.html, <id>.svg and index.html for every node.

    The pages are the ones `kgtool serve` shows at /kg/<id>, linked to each other by relative links.
    They are written into a temporary folder that then replaces DIR, so a failed run leaves the
    previous site in place.

    \b
    Examples:
      kgtool site -o public
    Exit codes: 0 written, 2 bad option, 3 the project cannot be loaded or DIR cannot be written.
    """
    from .load import load
    from .query import query_graph
    from .site import Pages, build_site

    kg = load(_project(ctx))
    count = build_site(Pages(kg, query_graph(kg, engine="oxigraph")), output)
    click.echo(f"wrote {count} node pages to {output}", err=True)


COMMANDS = (serve, site)
