"""The ``import-pages`` command: parses its options, calls :func:`kgtool.pages.import_pages`, renders.

``kgtool.cli`` registers ``COMMANDS`` on the ``kgtool`` group.
"""

from __future__ import annotations

import click

from .errors import EXIT_CANNOT_RUN, EXIT_FINDINGS


@click.command("import-pages")
@click.argument("pages", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Write DIR/<kind>/<id>.ttl instead of the project's data/<kind>/<id>.ttl.")
@click.option("--force", is_flag=True, help="Overwrite node files that already exist (default: leave them, exit 1).")
@click.pass_context
def import_pages(ctx, pages, out_dir, force) -> None:
    """Import node pages (the knowledge base's text layout) as Turtle node files.

    PAGES are page files, or folders whose *.txt files are pages. Each page becomes
    data/<kind>/<id>.ttl: id, kind, title, summary, confidence, version, review date, tags, body
    sections with their ordered list items, sources and the relations of its "This node →" list
    (direct triple plus qualified kg:Relation with rationale; (soft)/(hard), (contested)/(proposed)
    and (unless ID)/(needs ID) qualifiers; status existing by default). "← Referenced by" is derived
    and ignored. Imported nodes are kg:ExistingNode. A source whose URL is in data/sources.ttl is cited
    by its registry IRI; any other is defined in the node file as <base>doc/url-<hash>.

    Every page is parsed and checked before anything is written; files are written atomically.

    \b
    Examples:
      kgtool import-pages shared/pages/*.txt
      kgtool import-pages page.txt -o /tmp/imported --force
    Errors: each line that cannot be understood is reported as file:line: message.
    Exit codes: 0 written, 1 some files existed and were left alone (use --force),
                2 bad option, 3 a page cannot be read or understood (nothing written).
    """
    from . import pages as pages_lib

    try:
        result = pages_lib.import_pages((ctx.obj or {}).get("project"), pages, out_dir=out_dir, force=force)
    except pages_lib.PageError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{len(exc.problems)} problem(s); nothing was written.", err=True)
        ctx.exit(EXIT_CANNOT_RUN)
    for path in result.written:
        click.echo(path)
    for path in result.skipped:
        click.echo(f"skipped {path}: it exists (use --force to overwrite)", err=True)
    click.echo(f"{len(result.written)} written, {len(result.skipped)} skipped.", err=True)
    ctx.exit(EXIT_FINDINGS if result.skipped else 0)


COMMANDS = (import_pages,)
