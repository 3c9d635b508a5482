"""`moisson store info` and `moisson store compact`: what the store holds and weighs, and the rewrite of a store of
the first layout in the compact one (issue 18), registered on the main CLI by :mod:`api.cli`.

Why a command and not a step of opening the store: rewriting a national store (millions of rows) takes minutes and
gives its space back only with a VACUUM, which locks the file; an operator chooses when. Until then the store works
as it is: rows of the first layout are read as they were, and every row written is compact.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

store_app = typer.Typer(help="The store file: what it holds and weighs; compacting a store of the first layout.",
                        no_args_is_help=True)


def _cli():  # the main CLI module, imported when a command runs (it imports this module)
    from api import cli

    return cli


@store_app.command("info")
def info() -> None:
    """Records, file size per record, the layout, and the compression dictionaries."""
    cli = _cli()
    store = cli._store()
    records = store.count(status=None)
    size = sum(p.stat().st_size for p in store.path.parent.glob(store.path.name + "*") if p.is_file())
    layout = ("compact" if store.layout_version() >= 1 else
              "first layout (or partly compacted): run `moisson store compact`")
    cli.out.print(f"{store.path}: {records:,} records, {size / 2**20:,.1f} MB"
                  + (f", {size / records / 1024:,.1f} KB a record" if records else "") + f"; layout: {layout}",
                  highlight=False)
    table = Table(title="compression dictionaries (zstd, trained per kind of content)")
    for column in ("id", "kind", "samples", "bytes", "created"):
        table.add_column(column, justify="right" if column in ("id", "samples", "bytes") else "left")
    for item in store.codec.dictionaries():
        table.add_row(str(item["id"]), str(item["kind"]), f"{item['samples']:,}", f"{item['bytes']:,}",
                      str(item["created_at"]))
    cli.out.print(table)


@store_app.command("compact")
def compact(vacuum: Annotated[bool, typer.Option(help="give the freed space back to the disk (rewrites the file, "
                                                       "which needs free space for the compacted copy)")] = True,
            ) -> None:
    """Rewrite the rows of the first layout in the compact one, a batch at a time (safe to interrupt and run again:
    what is compact already is left as it is), then VACUUM."""
    from index import quality

    cli = _cli()
    store = cli._store()
    before = sum(p.stat().st_size for p in store.path.parent.glob(store.path.name + "*") if p.is_file())
    with cli.err.status("compacting...") as status:
        done = store.compact(progress=lambda table, n: status.update(f"compacting {table}: {n:,} rows rewritten"))
        done["quality"] = quality.compact(store)
        status.update("VACUUM..." if vacuum else "done")
        store.mark_compact(vacuum=vacuum)
    after = sum(p.stat().st_size for p in store.path.parent.glob(store.path.name + "*") if p.is_file())
    rows = ", ".join(f"{table} {n:,}" for table, n in done.items())
    cli.err.print(f"rows rewritten: {rows}; {before / 2**20:,.1f} MB -> {after / 2**20:,.1f} MB", highlight=False)
