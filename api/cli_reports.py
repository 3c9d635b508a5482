"""`moisson stats` and `moisson obligations`: the download statistics and the open-data obligation monitor as tables
(or CSV on stdout), registered on the main CLI by :mod:`api.cli`.

Why a module of its own: these are reports over the store for ministries, with their own options; the main CLI keeps
the harvest operations. The store and the consoles are the main CLI's (same ``--db``, data on stdout, logs on stderr).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

obligations_app = typer.Typer(help="The open-data obligation monitor: who publishes among the bodies under "
                                   "obligation, rates, snapshots, publisher matches.", invoke_without_command=True)


def _cli():  # the main CLI module, imported when a command runs (it imports this module)
    from api import cli

    return cli


def stats(
    by: Annotated[str, typer.Option(help="national, source, publisher, theme, departement, region, schema")]
    = "national",
    start: Annotated[str | None, typer.Option(help="period start (ISO date), inclusive")] = None,
    end: Annotated[str | None, typer.Option(help="period end (ISO date), exclusive")] = None,
    granularity: Annotated[str, typer.Option(help="trend periods: day, week, month, year")] = "month",
    metric: Annotated[str, typer.Option(help="downloads, views, api_calls...")] = "downloads",
    limit: Annotated[int, typer.Option(help="rows of the table")] = 30,
    top: Annotated[int, typer.Option(help="most downloaded datasets to list (0: none)")] = 10,
    as_csv: Annotated[bool, typer.Option("--csv", help="the aggregates as CSV on stdout")] = False,
) -> None:
    """Download statistics across every portal: per dimension, the trend, the top datasets."""
    from index import stats as figures

    cli = _cli()
    if by not in figures.DIMENSIONS or granularity not in ("day", "week", "month", "year"):
        cli.err.print(f"[red]error:[/red] --by takes one of {', '.join(figures.DIMENSIONS)}; --granularity "
                      "day, week, month or year")
        raise typer.Exit(2)
    store = cli._store()
    rows = figures.aggregate(store, by, metric=metric, start=start, end=end, limit=None if as_csv else limit)  # type: ignore[arg-type]
    if as_csv:
        sys.stdout.write("key,downloads,total,datasets\n")
        for row in rows:
            key = row.key.replace('"', '""')
            sys.stdout.write(f'"{key}",{row.downloads},{row.total},{row.datasets}\n')
        return
    table = Table(title=f"{metric} by {by}" + (f" from {start}" if start else "") + (f" to {end}" if end else ""))
    for column, justify in (("key", "left"), ("in period", "right"), ("cumulative", "right"), ("datasets", "right")):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in rows:
        table.add_row(row.key, f"{row.downloads:,}", f"{row.total:,}", str(row.datasets))
    cli.out.print(table)
    trend = Table(title=f"trend ({granularity})")
    trend.add_column("period")
    trend.add_column(metric, justify="right")
    for point in figures.trend(store, granularity=granularity, metric=metric, start=start, end=end):  # type: ignore[arg-type]
        trend.add_row(point.period, f"{point.downloads:,}")
    cli.out.print(trend)
    if top:
        best = Table(title=f"top {top} datasets")
        for column in ("dataset", "publisher", "source", metric):
            best.add_column(column, overflow="fold")
        for item in figures.top_datasets(store, start=start, end=end, limit=top, metric=metric):
            best.add_row(item.title or item.id, item.publisher or "", item.source, f"{item.downloads:,}")
        cli.out.print(best)


def _monitor():
    from index.obligations import current
    from index.publishers import OverrideError

    cli = _cli()
    try:
        return current(cli._store())
    except OverrideError as exc:
        cli.err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None


@obligations_app.callback()
def obligations(
    ctx: typer.Context,
    region: Annotated[str | None, typer.Option(help="INSEE région code, e.g. 84")] = None,
    departement: Annotated[str | None, typer.Option(help="INSEE département code, e.g. 69")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="commune, epci, departement, region")] = None,
    status: Annotated[str | None, typer.Option(help="publishes, shared, none, compliant")] = None,
    comparison: Annotated[str | None, typer.Option(
        help="the registries' view against the live one: both, registry_only (the gap), live_only, neither")] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="every matching body as CSV on stdout")] = False,
) -> None:
    """Rates (national, by type, by région), the registries' baseline beside them and, with filters, the bodies
    under obligation with their status."""
    if ctx.invoked_subcommand is not None:
        return
    from index import registry_baseline
    from index.obligations import STATUSES, to_csv

    cli = _cli()
    if status and status not in (*STATUSES, "compliant"):
        cli.err.print(f"[red]error:[/red] --status takes one of {', '.join(STATUSES)}, compliant")
        raise typer.Exit(2)
    if comparison and comparison not in registry_baseline.COMPARISONS:
        cli.err.print(f"[red]error:[/red] --comparison takes one of {', '.join(registry_baseline.COMPARISONS)}")
        raise typer.Exit(2)
    monitor = _monitor()
    bodies = monitor.filtered(region=region, departement=departement, type=type_, status=status)
    bodies = registry_baseline.filtered(bodies, comparison)
    if as_csv:
        sys.stdout.write(to_csv(bodies))
        return
    rates = monitor.rates()
    table = Table(title=f"open-data obligation (computed {monitor.computed_at})")
    for column in ("scope", "bodies", "publish", "shared portal", "rate"):
        table.add_column(column, justify="left" if column == "scope" else "right")
    scopes = rates["national"] + rates["by_type"]
    scopes += [r for r in rates["by_region"] if not region or r.scope == f"region:{region}"]
    if departement:
        scopes += [r for r in rates["by_departement"] if r.scope == f"departement:{departement}"]
    for rate in scopes:
        table.add_row(f"{rate.label} ({rate.scope})", f"{rate.bodies:,}", str(rate.direct), str(rate.shared),
                      f"{rate.rate * 100:.1f} %")
    cli.out.print(table)
    baseline = registry_baseline.summary(monitor.bodies)
    known = Table(title="registry baseline: known to publish (" + ", ".join(
        f"{r['label']} {r['date'][:4]}" for r in baseline["registries"]) + ") vs seen publishing by moisson (live)")
    for column in ("scope", "bodies", "listed", "live", "both", "registry only (gap)", "live only", "neither"):
        known.add_column(column, justify="left" if column == "scope" else "right")
    for scope, row in [("national", baseline["national"]), *baseline["by_type"].items()]:
        known.add_row(scope, *(f"{row[k]:,}" for k in ("bodies", "listed", "live", "both", "registry_only",
                                                         "live_only", "neither")))
    cli.out.print(known)
    if region or departement or type_ or status or comparison:
        listing = Table(title=f"{len(bodies)} bodies")
        for column in ("id", "name", "population", "status", "datasets", "sources", "quality", "socle commun",
                       "last update", "registries"):
            listing.add_column(column, overflow="fold")
        for b in bodies:
            listing.add_row(b.id, b.name, f"{b.population:,}", b.status, str(b.datasets + b.shared_datasets),
                            ", ".join(b.sources), "" if b.quality is None else str(b.quality), ", ".join(b.schemas),
                            (b.last_update or "")[:10], b.comparison)
        cli.out.print(listing)
    unmatched = len(monitor.unmatched())
    if unmatched:
        cli.err.print(f"{unmatched} harvested publishers are matched to no body: moisson obligations publishers "
                      "--unmatched", highlight=False)


@obligations_app.command("snapshot")
def obligations_snapshot(day: Annotated[str | None, typer.Option(help="date of the snapshot (default: today)")]
                         = None) -> None:
    """Write today's rates as a dated snapshot (the trend); harvests write one too when the last job ends."""
    from index.obligations import take_snapshot

    cli = _cli()
    monitor = _monitor()
    n = take_snapshot(cli._store(), day=day, monitor=monitor)
    national = monitor.rates()["national"][0]
    cli.err.print(f"snapshot of {n} scopes written; national rate {national.rate * 100:.1f} % "
                  f"({national.compliant} of {national.bodies} bodies)", highlight=False)


@obligations_app.command("publishers")
def obligations_publishers(
    unmatched: Annotated[bool, typer.Option("--unmatched", help="only publishers matched to no body")] = False,
) -> None:
    """Harvested publishers and the body each is matched to: rule, confidence, or why not."""
    cli = _cli()
    monitor = _monitor()
    matches = monitor.unmatched() if unmatched else monitor.matches
    table = Table(title=f"{len(matches)} publishers" + (" matched to no body" if unmatched else ""))
    for column in ("publisher", "siren", "body", "rule", "confidence", "datasets", "sources", "why not"):
        table.add_column(column, overflow="fold")
    for m in sorted(matches, key=lambda m: -m.datasets):
        table.add_row(m.name, m.siren or "", m.body_id or "", m.rule, f"{m.confidence:.2f}", str(m.datasets),
                      ", ".join(m.sources), m.reason + (f" ({', '.join(m.candidates[:5])})" if m.candidates else ""))
    cli.out.print(table)
