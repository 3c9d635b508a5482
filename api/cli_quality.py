"""`moisson score`, `check-links`, `validate-schema` and `shacl-cost`: metadata quality on the command line, registered
on the main CLI by :mod:`api.cli`.

Why a module of its own: the quality commands share the report of :func:`index.quality.report` with the API and have
their own options; the main CLI keeps the harvest operations. The store, the config and the consoles are the main
CLI's (same ``--db`` and ``--config``; data on stdout, logs on stderr).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table


def _cli():  # the main CLI module, imported when a command runs (it imports this module)
    from api import cli

    return cli


def score(source_id: Annotated[str | None, typer.Argument(help="a source (default: the whole catalog)")] = None,
          publisher: Annotated[str | None, typer.Option(help="a publisher (SIREN or name) instead of a source")] = None,
          rescore: Annotated[bool, typer.Option("--rescore", help="score every record again")] = False,
          shacl_budget: Annotated[int | None, typer.Option(help="validate at most this many records with SHACL "
                                                                "(default: every record waiting for it)")] = None,
          top: int = 10) -> None:
    """MQA quality: score distribution, bands, the indicators that fail most, what to fix first, DCAT-AP (SHACL)
    violations and the French rules. Scores the records that changed (or all with --rescore) first."""
    from index.quality import report
    from pipeline.harvest import sync_search_index
    from pipeline.scoring import score_records

    cli = _cli()
    store = cli._store()
    run = score_records(store, source_id=source_id, only_stale=not rescore, shacl_budget=shacl_budget)
    if run.scored or run.validated:
        cli.err.print(f"scored {run.scored} records, {run.validated} validated with SHACL in "
                      f"{run.shacl_seconds:.1f}s" + (f", {run.not_validated} left not validated" if run.not_validated
                                                     else ""))
        sync_search_index(store)
    rep = report(store, source_id=source_id, publisher=publisher, top=top)
    out = cli.out
    out.print(f"[bold]{rep.scope}[/bold]: {rep.datasets} datasets, mean {rep.mean} / 405 ([bold]{rep.band}[/bold]), "
              f"median {rep.median}", highlight=False)
    bands = Table(title="bands")
    for name in rep.bands:
        bands.add_column(name, justify="right")
    bands.add_row(*(str(v) for v in rep.bands.values()))
    out.print(bands)
    dims = Table(title="mean points per dimension")
    for name in rep.dimensions:
        dims.add_column(name, justify="right")
    dims.add_row(*(f"{d['mean_points']:g} / {d['max_points']:g}" for d in rep.dimensions.values()))
    out.print(dims)
    fixes = Table(title="fix first (points to gain x datasets affected)")
    for column in ("#", "indicator", "datasets", "points each", "gain", "what to do"):
        fixes.add_column(column, overflow="fold")
    for i, fix in enumerate(rep.fix_first, 1):
        fixes.add_row(str(i), fix.label, str(fix.datasets), f"{fix.points_each:g}", f"{fix.gain:g}", fix.fix)
    out.print(fixes)
    unchecked = [i for i in rep.indicators if i["not_checked"]]
    if unchecked:
        out.print("not checked yet (no verdict, so not counted as fixes): " + ", ".join(
            f"{i['label']} ({i['not_checked']})" for i in unchecked) + " — run `moisson check-links`", highlight=False)
    shacl = rep.shacl
    summary = (f"DCAT-AP 3.0.1 (SHACL): {shacl['validated']} validated, {shacl['conforming']} conform, "
               f"{shacl['not_validated']} not validated")
    if shacl["violations"]:
        violations = Table(title=summary)
        for column in ("datasets", "violation"):
            violations.add_column(column, overflow="fold")
        for v in shacl["violations"]:
            violations.add_row(str(v["records"]), v["message"])
        out.print(violations)
    else:
        out.print(summary, highlight=False)
    french = Table(title="French rules (beside the 405 points)")
    for column in ("rule", "concerned", "failing", "what to do"):
        french.add_column(column, overflow="fold")
    for check in rep.french:
        french.add_row(check["label"], str(check["applicable"]), str(check["failing"]), check["fix"] or "")
    out.print(french)


def check_links(source_id: Annotated[str | None, typer.Argument(help="a source (default: all)")] = None,
                days: Annotated[float, typer.Option(help="re-check URLs older than this")] = 7.0,
                concurrency: int = 8, timeout: float = 10.0) -> None:
    """Check that access and download URLs answer, then rescore the records concerned (and re-index them)."""
    from datetime import timedelta

    from pipeline.harvest import sync_search_index
    from pipeline.scoring import check_links as run_checks
    from scoring.links import LinkChecker

    cli = _cli()
    config = cli._config()
    checker = LinkChecker(timeout=timeout, concurrency=concurrency,
                          allow_private=config.settings.allow_private_networks, contact=config.settings.contact)
    store = cli._store()
    n = run_checks(store, checker, source_id=source_id, interval=timedelta(days=days))
    sync_search_index(store)
    cli.err.print(f"checked {n} links")


def validate_schema(record_id: Annotated[str, typer.Argument(help="a record id (<source>.<16 hex digits>)")]) -> None:
    """Download the record's CSV files that declare a Table Schema and validate them with frictionless (at most 5
    files of 10 MB each)."""
    from scoring.tableschema import validate_entry, validation_client

    cli = _cli()
    found = cli._store().entry(record_id)
    if found is None:
        cli.err.print(f"[red]error:[/red] no record {record_id!r}")
        raise typer.Exit(2)
    settings = cli._config().settings
    http = validation_client(settings.http, allow_private=settings.allow_private_networks, contact=settings.contact)
    try:
        results = validate_entry(found[0], http)
    finally:
        http.close()
    if not results:
        cli.out.print("no CSV file of this record declares a Table Schema")
        return
    for result in results:
        colour = {"valid": "green", "invalid": "red"}.get(result.status, "yellow")
        cli.out.print(f"[{colour}]{result.status}[/{colour}] {result.url} against {result.schema}: {result.reason}",
                      highlight=False)
        if result.errors:
            table = Table()
            for column in ("row", "field", "error", "message"):
                table.add_column(column, overflow="fold")
            for error in result.errors[:50]:
                table.add_row(str(error["row"] or ""), error["field"] or "", error["type"], error["message"])
            cli.out.print(table)
    if any(r.status == "invalid" for r in results):
        raise typer.Exit(1)


def shacl_cost(limit: Annotated[int, typer.Option(help="records to validate (taken in id order)")] = 200,
               batch: Annotated[int, typer.Option(help="records per run in the batched passes")] = 50) -> None:
    """Measure what SHACL validation costs per record on this store's records: pyshacl one by one and batched, and
    the compiled shapes batched (the figures of the README's "Quality scoring" section)."""
    from scoring import shacl

    cli = _cli()
    store = cli._store()
    rows = store.db.execute("SELECT data FROM records WHERE status = 'active' ORDER BY id LIMIT ?", (limit,))
    entries = [store.load_entry(row["data"]) for row in rows]
    if not entries:
        cli.err.print("no record in the store: harvest first")
        raise typer.Exit(1)
    figures = shacl.measure(entries, batch=batch)
    single, batched = figures["seconds_per_record_single"] * 1000, figures["seconds_per_record_batched"] * 1000
    compiled = figures["seconds_per_record_compiled"] * 1000
    cli.out.print(f"{len(entries)} records: pyshacl {single:.1f} ms/record one by one, {batched:.1f} ms/record in "
                  f"batches of {batch}; compiled shapes {compiled:.2f} ms/record in batches of {batch} (CPU time)",
                  highlight=False)
