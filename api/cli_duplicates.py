"""`moisson duplicates`: the same dataset on several portals, on the command line (issue 14, :mod:`index.clusters`).

Why a command: a ministry wants to know which portals merely re-publish others, and an operator why two records
were (or were not) taken for one dataset. The store, the consoles and ``--db`` are the main CLI's (:mod:`api.cli`).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table


def duplicates(
    source_id: Annotated[str | None, typer.Argument(help="only clusters with a copy from this source")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="recompute every record's evidence and links (cluster "
                                                            "ids are kept)")] = False,
    limit: Annotated[int, typer.Option(help="clusters listed, largest first (0: none)")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines on stdout: one cluster each")] = False,
) -> None:
    """Datasets found on several portals: each cluster with its copies and the evidence, the primary and why, then
    per source the share of its records that are copies of a dataset published elsewhere. Clusters what changed
    first (everything again with --rebuild), and brings the search index up to date."""
    import orjson

    from api import cli
    from index.clusters import iter_clusters, source_shares, summary, update_clusters
    from pipeline.harvest import sync_search_index

    store = cli._store()
    run = update_clusters(store, rebuild=rebuild)
    if run.records or run.removed:
        cli.err.print(f"clustered {run.records} records ({run.removed} withdrawn, {run.links} links) in "
                      f"{run.seconds:.1f}s; {run.reflagged} records to re-index")
        sync_search_index(store)
    listed = 0
    for detail in iter_clusters(store, source_id=source_id):
        if listed >= limit:
            break
        listed += 1
        if as_json:
            sys.stdout.write(orjson.dumps(detail).decode() + "\n")
            continue
        primary = next(r for r in detail["records"] if r["primary"])
        cli.out.print(f"\n[bold]{detail['id']}[/bold] {primary['title']} — {detail['size']} records on "
                      f"{len(detail['sources'])} sources; primary {primary['record_id']} ({detail['primary_reason']})",
                      highlight=False)
        for record in detail["records"]:
            mark = "*" if record["primary"] else " "
            cli.out.print(f"  {mark} {record['record_id']}  {record['source']}  {record['confidence']:.2f}  "
                          f"{record['landing_page'] or ''}", highlight=False)
        for line in detail["explanation"]:
            cli.out.print(f"    {line}", highlight=False)
    if as_json:
        return
    totals = summary(store)
    cli.out.print(f"\n{totals['records']} records clustered: {totals['datasets']} datasets; {totals['clusters']} "
                  f"found on several portals ({totals['records_in_clusters']} records)", highlight=False)
    table = Table(title="copies per source (records that are copies of a dataset whose primary is elsewhere)")
    for column in ("source", "records", "with a copy elsewhere", "copies", "primaries", "copy share"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for share in source_shares(store):
        if source_id and share.source != source_id:
            continue
        table.add_row(share.source, str(share.records), str(share.in_clusters), str(share.copies),
                      str(share.primaries), f"{100 * share.share:.1f} %")
    cli.out.print(table)
