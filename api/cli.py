"""The `moisson` command line: validate sources, harvest, inspect jobs, search, export, serve, demo.

Logs and progress go to stderr, data (tables of results, exports) to stdout, so `moisson export > catalog.ttl` and
`moisson search ... | less` work as expected.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from index.store import Store
from kernel.config import Config, ConfigError, config_path, load_config, source_schedule
from kernel.runtime import tune_gc

app = typer.Typer(help="moisson: national open-data catalog aggregator.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
sources_app = typer.Typer(help="Inspect and check the sources file.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
index_app = typer.Typer(help="The search index (tantivy beside the store, or Elasticsearch: MOISSON_INDEX).",
                        no_args_is_help=True)
app.add_typer(index_app, name="index")

# Data to stdout; piped output (files, less, tests) gets wide tables instead of 80 folded columns.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)  # logs and progress; messages are never folded

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="sources file (default: $MOISSON_CONFIG or "
                                                                  "config/sources.yaml)")]
DbOpt = Annotated[Path | None, typer.Option("--db", help="store (default: $MOISSON_DB or var/moisson.db)")]


class State:
    config_file: Path | None = None
    db_file: Path | None = None


state = State()


@app.callback()
def main(config: ConfigOpt = None, db: DbOpt = None,
         verbose: Annotated[bool, typer.Option("--verbose", "-v", help="debug logs on stderr")] = False) -> None:
    state.config_file, state.db_file = config, db
    tune_gc()
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")


def _config() -> Config:
    try:
        return load_config(state.config_file)
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None


def _store() -> Store:
    return Store(state.db_file)


# -- sources ------------------------------------------------------------------------------------------------------


@sources_app.command("validate")
def sources_validate() -> None:
    """Check the sources file strictly; errors name the file, the line and the fix."""
    config = _config()
    table = Table(title=f"{config_path(state.config_file)}: {len(config.sources)} sources, valid")
    for column in ("id", "type", "url", "schedule", "enabled"):
        table.add_column(column)
    for s in config.sources:
        table.add_row(s.id, s.type, s.url, s.schedule or f"(default) {source_schedule(s, config.settings)}",
                      "yes" if s.enabled else "no")
    out.print(table)


@sources_app.command("list")
def sources_list() -> None:
    """Sources known to the store, with their record counts and last harvests."""
    store = _store()
    store_sources = {row["id"]: row for row in store.sources()}
    table = Table(title="sources")
    for column in ("id", "type", "records", "last success", "last full sweep", "url"):
        table.add_column(column, overflow="fold")
    for row in store_sources.values():
        table.add_row(row["id"], row["type"], str(row["records"]), row["last_success"] or "-",
                      row["last_full_sweep"] or "-", row["url"])
    out.print(table)


@sources_app.command("detect")
def sources_detect(
    url: Annotated[str | None, typer.Argument(help="the portal's address (or --all)")] = None,
    write: Annotated[bool, typer.Option("--write", help="append the entry to the sources file (validated)")] = False,
    source_id: Annotated[str | None, typer.Option("--id", help="source id (default: from the host name)")] = None,
    all_: Annotated[bool, typer.Option("--all", help="probe every enabled source of the sources file and say which "
                                                     "are confirmed, changed, moved, dead")] = False,
    include_disabled: Annotated[bool, typer.Option("--include-disabled", help="with --all: disabled sources too")]
    = False,
    report: Annotated[Path | None, typer.Option("--report", help="with --all: write a report (CSV for a .csv path, "
                                                                 "Markdown otherwise)")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="with --all: portals probed at once (each "
                                                                          "host keeps its own politeness limits)")]
    = 8,
) -> None:
    """Name a portal's source type by probing its address; print a ready-to-paste sources.yaml entry. With --all,
    check every source of the sources file against what its address answers today."""
    if all_:
        if url or write:
            err.print("[red]error:[/red] --all probes the sources file: give no URL and no --write")
            raise typer.Exit(2)
        from api.cli_registry import detect_all

        detect_all(include_disabled, report, workers)
        return
    if not url:
        err.print("[red]error:[/red] give the portal's address, or --all")
        raise typer.Exit(2)
    from harvesters.detect import append_source, detect, entry_yaml, probe_client
    from kernel.config import Settings

    path = config_path(state.config_file)
    settings = _config().settings if path.exists() else Settings()
    http = probe_client(settings.http, allow_private=settings.allow_private_networks, contact=settings.contact)
    found = detect(url, http)
    for line in found.evidence:
        err.print(f"  {line}", highlight=False, markup=False)
    if not found.found:
        err.print("[red]cannot tell[/red] the source type of this address (see above what was tried)")
        raise typer.Exit(1)
    err.print(f"[green]{found.type}[/green] (confidence {found.confidence:.2f})", highlight=False)
    entry = found.source_entry(source_id)
    sys.stdout.write(entry_yaml(entry))
    if write:
        try:
            append_source(path, entry)
        except ConfigError as exc:
            err.print(f"[red]error:[/red] not written: {exc}", highlight=False)
            raise typer.Exit(2) from None
        err.print(f"appended source {entry['id']!r} to {path}", highlight=False)


# -- the French landscape from the national registries (api/cli_registry.py) ----------------------------------------

from api.cli_registry import import_registry  # noqa: E402 - it reaches this module's consoles lazily

sources_app.command("import-registry")(import_registry)


# -- harvest ------------------------------------------------------------------------------------------------------


@app.command()
def harvest(
    source_ids: Annotated[list[str] | None, typer.Argument(help="sources to harvest")] = None,
    all_: Annotated[bool, typer.Option("--all", help="every enabled source")] = False,
    full: Annotated[bool, typer.Option("--full", help="full sweep (detects deletions)")] = False,
    incremental: Annotated[bool, typer.Option("--incremental", help="only what changed since the last job")] = False,
) -> None:
    """Harvest sources into the store and the index, with a progress bar and a summary table."""
    config = _config()
    if not source_ids and not all_:
        err.print("[red]error:[/red] name sources to harvest, or --all")
        raise typer.Exit(2)
    try:
        sources = [s for s in config.sources if s.enabled] if all_ else [config.source(i) for i in source_ids or []]
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    mode = "full" if full else "incremental" if incremental else None
    store = _store()
    store.sync_sources(config.sources)
    results = run_with_progress(store, config, [s.id for s in sources], mode)
    print_job_summary(results)
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


def run_with_progress(store: Store, config: Config, source_ids: list[str], mode: str | None) -> list:
    """Harvest with one progress line per source on stderr (records processed, elapsed time)."""
    from pipeline.runner import harvest_many

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[n]}"),
                  TimeElapsedColumn(), console=err, transient=False) as progress:
        tasks = {sid: progress.add_task(sid, total=None, n="0 records") for sid in source_ids}

        def report(source_id: str, done: int) -> None:
            progress.update(tasks[source_id], n=f"{done} records")

        results = harvest_many(store, config, source_ids, mode=mode, progress=report)
        for result in results:
            progress.update(tasks[result.source_id], total=1, completed=1,
                            description=f"{result.source_id} [{_status_style(result.status)}]")
    return results


def _status_style(status: str) -> str:
    colour = {"succeeded": "green", "partial": "yellow", "failed": "red", "interrupted": "red"}.get(status, "white")
    return f"[{colour}]{status}[/{colour}]"


def print_job_summary(results: list) -> None:
    table = Table(title="harvest summary")
    for column in ("source", "job", "mode", "status", "new", "updated", "unchanged", "withdrawn", "failed",
                   "requests", "seconds", "error"):
        table.add_column(column, overflow="fold")
    for r in results:
        c = r.counts
        table.add_row(r.source_id, str(r.job_id), r.mode, _status_style(r.status), str(c.new), str(c.updated),
                      str(c.unchanged), str(c.withdrawn), str(c.failed), str(r.requests), f"{r.duration:.1f}",
                      r.error or "")
    out.print(table)
    for r in results:
        for e in r.errors[:10]:
            err.print(f"  {r.source_id}: {e.native_id or '(page)'}: {e.reason}", highlight=False)
        if len(r.errors) > 10:
            err.print(f"  {r.source_id}: ... and {len(r.errors) - 10} more (moisson jobs {r.source_id})")


# -- jobs ---------------------------------------------------------------------------------------------------------


@app.command()
def jobs(source_id: Annotated[str | None, typer.Argument(help="only this source")] = None,
         job: Annotated[int | None, typer.Option("--job", help="one job in detail, with its errors")] = None,
         limit: int = 20) -> None:
    """The harvest job log."""
    store = _store()
    store.release_stale_locks()  # a job whose process died shows as interrupted, not running forever
    if job is not None:
        detail = store.job(job)
        if detail is None:
            err.print(f"[red]error:[/red] no job {job}")
            raise typer.Exit(1)
        _print_jobs([detail])
        for e in detail["errors"]:
            out.print(f"- {e['native_id'] or '(page)'}: {e['reason']}", highlight=False)
        for event in detail["events"]:
            out.print(f"  http: {event}", highlight=False)
        return
    _print_jobs(store.jobs(source_id, limit))


def _print_jobs(rows: list[dict]) -> None:
    table = Table(title="harvest jobs")
    for column in ("job", "source", "mode", "status", "started", "new", "upd", "same", "wdrn", "fail", "req",
                   "KiB", "retries", "s", "error"):
        table.add_column(column, overflow="fold")
    for j in rows:
        table.add_row(str(j["id"]), j["source_id"], j["mode"], _status_style(j["status"]), j["started_at"],
                      str(j["new"]), str(j["updated"]), str(j["unchanged"]), str(j["withdrawn"]), str(j["failed"]),
                      str(j["requests"]), str(j["bytes"] // 1024), str(j["retries"]),
                      f"{j['duration']:.1f}" if j["duration"] is not None else "-", j["error"] or "")
    out.print(table)


@app.command()
def schedule() -> None:
    """The harvest schedule: each enabled source's cron, next run and last job (as stored by `moisson serve`)."""
    from pipeline.scheduler import Scheduler

    table = Table(title="harvest schedule")
    for column in ("source", "cron", "next run", "last job", "last status", "started"):
        table.add_column(column, overflow="fold")
    for row in Scheduler(_store(), _config()).next_runs():
        when = row["next_run"].strftime("%Y-%m-%d %H:%M %Z") if row["next_run"] else "-"
        if not row["stored"]:
            when += " (stored at next serve)"
        if row["pending_by_hand"]:
            when = "now (asked by hand), then " + when
        table.add_row(row["source"], row["cron"] + (" (default)" if row["default"] else ""), when,
                      str(row["last_job"] or "-"), _status_style(row["last_status"]) if row["last_status"] else "-",
                      row["last_started"] or "-")
    out.print(table)


# -- search -------------------------------------------------------------------------------------------------------


@app.command()
def search(query: Annotated[str, typer.Argument(help="full text, French-aware")] = "",
           facet: Annotated[list[str] | None, typer.Option("--facet", "-f", help="filter k=v, repeatable")] = None,
           page: int = 1, page_size: int = 10, sort: str = "relevance",
           all_copies: Annotated[bool, typer.Option("--all-copies", help="every record of every portal, not one "
                                                                          "hit per dataset")] = False,
           as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False) -> None:
    """Search the index, with facet counts."""
    import orjson

    from index import open_index
    from index.query import QueryError
    from index.search import FACETS, SearchQuery

    filters: dict[str, list[str]] = {}
    for item in facet or []:
        key, sep, value = item.partition("=")
        if not sep or key not in FACETS:
            err.print(f"[red]error:[/red] --facet takes k=v with k among: {', '.join(FACETS)}")
            raise typer.Exit(2)
        filters.setdefault(key, []).append(value)
    try:
        with _index_errors():
            result = open_index(_store()).search(SearchQuery(
                q=query, filters=filters, page=page, page_size=page_size, sort=sort,  # type: ignore[arg-type]
                collapse=not all_copies))
    except QueryError as exc:  # over a limit of the search (issue 13): one clear line, no traceback
        err.print(f"[red]error:[/red] search refused: {exc}", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        sys.stdout.write(orjson.dumps(result, default=lambda o: o.__dict__).decode() + "\n")
        return
    table = Table(title=f"{result.total} datasets ({result.took_ms:.1f} ms)")
    for column in ("id", "title", "publisher", "source", "modified", "copies"):
        table.add_column(column, overflow="fold")
    for hit in result.hits:
        others = [c["source"] for c in hit.get("copies") or [] if c.get("record_id") != hit.get("id")]
        table.add_row(hit.get("id", ""), hit.get("title", ""), hit.get("publisher") or "", hit.get("source", ""),
                      (hit.get("modified") or "")[:10], ", ".join(others))
    out.print(table)
    for name, values in result.facets.items():
        if values:
            out.print(f"[bold]{name}[/bold]: " + ", ".join(f"{v.value} ({v.count})" for v in values[:8]),
                      highlight=False)


@app.command()
def reindex() -> None:
    """Rebuild the search index from the store, clustering the records not clustered yet first (on Elasticsearch:
    a new index, then the alias swapped; searches keep answering from the old one meanwhile)."""
    from index import rebuild_index
    from index.clusters import update_clusters

    store = _store()
    run = update_clusters(store)
    if run.records or run.removed:
        err.print(f"clustered {run.records} records")
    with _index_errors():
        n = rebuild_index(store)
    err.print(f"indexed {n} records")


@index_app.command("status")
def index_status() -> None:
    """Backend, where, documents, records waiting to be indexed, last sync."""
    from index import index_status as status_of

    with _index_errors():
        status = status_of(_store())
    table = Table(title="search index", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", overflow="fold")
    for key, value in status.items():
        table.add_row(key, str(value))
    out.print(table)


@contextmanager
def _index_errors() -> Iterator[None]:
    """An engine that is down, locked or of another layout: its message and exit code 1, never a traceback."""
    from index.search import IndexLockedError, IndexUnavailableError

    try:
        yield
    except (IndexUnavailableError, IndexLockedError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None


from api.cli_duplicates import duplicates  # noqa: E402 - it reaches this module's store and consoles lazily

app.command()(duplicates)


# -- quality: score, check-links, validate-schema, shacl-cost (api/cli_quality.py) ----------------------------------

from api import cli_quality  # noqa: E402 - it reaches this module's store and consoles lazily

app.command()(cli_quality.score)
app.command("check-links")(cli_quality.check_links)
app.command("validate-schema")(cli_quality.validate_schema)
app.command("shacl-cost")(cli_quality.shacl_cost)


# -- export -------------------------------------------------------------------------------------------------------


@app.command()
def export(fmt: Annotated[str, typer.Option("--format", help="ttl | jsonld | rdfxml | nt")] = "ttl",
           output: Annotated[Path | None, typer.Option("--output", "-o", help="file (default: stdout)")] = None,
           source: Annotated[str | None, typer.Option(help="only this source")] = None) -> None:
    """The aggregate as one DCAT-AP catalog, streamed batch by batch."""
    from api.export import FORMATS, stream_export

    if fmt not in FORMATS:
        err.print(f"[red]error:[/red] --format must be one of {', '.join(FORMATS)}")
        raise typer.Exit(2)
    store = _store()
    if output:
        with output.open("wb") as handle:
            n = stream_export(store, fmt, handle, source_id=source)
        err.print(f"wrote {n} records to {output}")
    else:
        stream_export(store, fmt, sys.stdout.buffer, source_id=source)


# -- reports: download statistics, open-data obligation (api/cli_reports.py) --------------------------------------

from api.cli_reports import obligations_app, stats  # noqa: E402 - it reaches this module's store and consoles lazily

app.command()(stats)
app.add_typer(obligations_app, name="obligations")

# -- the store file: info, compact (api/cli_store.py) --------------------------------------------------------------

from api.cli_store import store_app  # noqa: E402 - it reaches this module's store and consoles lazily

app.add_typer(store_app, name="store")


# -- serve and demo -----------------------------------------------------------------------------------------------


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000,
          scheduler: Annotated[bool, typer.Option(help="run scheduled harvests too")] = True,
          workers: Annotated[int, typer.Option(min=1, help="API processes (uvicorn workers); 1: in this process")]
          = 1) -> None:
    """Serve the API (and the harvest scheduler)."""
    serve_api(host, port, with_scheduler=scheduler, workers=workers)


def serve_api(host: str, port: int, *, with_scheduler: bool, banner: str | None = None, workers: int = 1) -> None:
    """The API on host:port. With ``workers`` > 1, uvicorn starts that many processes, each with its own app, store
    connections and index reader (a search or a record page uses a core of its own instead of sharing one
    interpreter's lock); the scheduler, if any, runs once, in this supervising process."""
    import uvicorn

    from api.app import create_app

    store = _store()
    sched = None
    if with_scheduler:
        from pipeline.scheduler import Scheduler

        sched = Scheduler(store, _config())
        sched.start()
    err.print(banner or f"moisson API on [bold]http://{host}:{port}/[/bold] (OpenAPI: http://{host}:{port}/docs)"
              + (f", {workers} worker processes" if workers > 1 else ""))
    from api.security import ALLOWED_HOSTS_ENV, BASE_URL_ENV, LOOPBACK_HOSTS

    if host not in LOOPBACK_HOSTS and not (os.environ.get(BASE_URL_ENV) or os.environ.get(ALLOWED_HOSTS_ENV)):
        err.print(f"[yellow]note:[/yellow] without {BASE_URL_ENV} (the public base of links) or {ALLOWED_HOSTS_ENV}, "
                  "only requests to a loopback host name are answered (SECURITY.md)")
    try:
        if workers > 1:  # the workers are new processes: they build their app from the environment
            os.environ["MOISSON_DB"] = str(store.path.resolve())
            uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers,
                        log_level="warning")
        else:
            uvicorn.run(create_app(store.path), host=host, port=port, log_level="warning")
    finally:
        if sched is not None:
            sched.shutdown()


@app.command()
def demo(port: int = 8000, host: str = "127.0.0.1",
         serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="serve the API after harvesting")]
         = True,
         elasticsearch: Annotated[bool, typer.Option(
             "--elasticsearch", help="index into a local Elasticsearch-compatible server (noida-db, a dev "
                                     "dependency) and compare its answers with the embedded index's")] = False,
         ) -> None:
    """Start local demo portals on 127.0.0.1, harvest them, index, and serve the API. With MOISSON_INDEX set to an
    Elasticsearch URL (or --elasticsearch), the demo indexes there and compares its answers with the embedded
    index's."""
    import os
    import signal

    from demo.run import start_demo

    # SIGTERM (a service manager, `kill`) ends the demo like Ctrl-C does: its local servers are stopped by the
    # `finally` below. uvicorn hands the signal on once it has shut down; left to Python's default, it would kill the
    # process there and leave the Elasticsearch-compatible server running.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    es_server = None
    if elasticsearch:
        from demo.es_demo import start_server

        es_server = start_server(Path("var/demo-es"))
        os.environ["MOISSON_INDEX"] = f"{es_server.url}/moisson-demo"
        err.print(f"Elasticsearch-compatible server (noida-db) at [bold]{es_server.url}[/bold]", highlight=False)
    try:
        demo_env = start_demo(Path("var/demo"), console=err)
        state.config_file, state.db_file = demo_env.config_path, demo_env.db_path
        config = _config()
        store = _store()
        store.sync_sources(config.sources)
        results = run_with_progress(store, config, [s.id for s in config.sources], "full")
        print_job_summary(results)
        if os.environ.get("MOISSON_INDEX", "").startswith(("http://", "https://")):
            _compare_engines(store)
        _serve_demo(host, port, serve_after)
        demo_env.stop()
    finally:
        if es_server is not None:
            es_server.stop()


def _compare_engines(store: Store) -> None:
    """The demo's searches on the Elasticsearch index beside the same searches on an embedded index built from the
    same store (issue 16, acceptance 2)."""
    from demo.es_demo import compare_with_embedded
    from index import open_index

    with _index_errors():
        index = open_index(store)
        rows = compare_with_embedded(store, index)
        server = index.describe().get("server", "?")
    table = Table(title=f"same answers? Elasticsearch backend ({server}) vs embedded tantivy")
    for column in ("query", "elasticsearch total", "embedded total", "same facet counts"):
        table.add_column(column)
    for label, mine, theirs, facets in rows:
        table.add_row(label, str(mine), str(theirs), "yes" if facets else "[red]no[/red]")
    out.print(table)


def _serve_demo(host: str, port: int, serve_after: bool) -> None:
    if serve_after:
        url = f"http://{host}:{port}"
        serve_api(host, port, with_scheduler=False,
                  banner=f"\n[bold green]moisson demo:[/bold green] the search site at {url}/ — the API at "
                         f"{url}/api/datasets?q=données and {url}/docs  (Ctrl-C to stop)")


if __name__ == "__main__":
    app()
