"""``python -m bench [--quick]``: every benchmark in one run, printed as a table and written to bench/results/.

Sections (each a module runnable on its own):

* normalisation (:mod:`bench.normalisation`): records per CPU second for each source type, with the plain ways
  (rdflib for DCAT, OWSLib for ISO 19139) as ratios;
* CKAN (:mod:`bench.ckan_paging`): package_search paging vs package_list + package_show per package, over HTTP;
* index (:mod:`bench.index_engines`): build throughput and search latency with all facets (tantivy; SQLite FTS5 for
  comparison at the smaller size; the Elasticsearch backend at the smaller size, against a local noida-db unless
  told otherwise, labelled with that server);
* harvest (:mod:`bench.harvest`): a full harvest of the synthetic corpus over loopback at two corpus sizes — records
  per second, peak RSS, the index synced from the store, and the cost of re-harvesting the unchanged corpus;
* shacl (:mod:`bench.shacl`): DCAT-AP 3.0.1 verdicts per CPU second, the compiled shapes against pyshacl, on corpus
  records of every type, clean and damaged, with a check that both gave the same verdicts;
* search_load (:mod:`bench.search_load`): plain searches through the API alone, beside 4 clients repeating the 66 KB
  many-filters request, and beside 4 repeating the heaviest search the limits allow (budget: p95 < 200 ms);
* clustering (:mod:`bench.clustering`): cross-portal duplicates on the corpus harvested at 100k records — precision
  and recall against the corpus' truth, the clustering's share of the harvest's CPU, memory;
* http (:mod:`bench.http`): ``moisson serve --workers 2`` under 32 concurrent wrk clients (searches with facets,
  records, dataset pages) and a harvester walking ``/api/catalog`` to the end — on the largest store the harvest
  section kept (``--workdir``), else on 20,000 records harvested for it. Needs Debian's ``wrk``.

Full run: about 20 minutes on the 2-core reference machine, and about 20 more for the es column against noida-db;
``--quick`` (3 minutes) uses small sizes. ``--only``
runs some sections; sizes can be overridden. Results go to ``bench/results/bench.json`` (``bench-quick.json`` for
quick runs), the index figures also to ``bench/results/index_engines.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

RESULTS = Path(__file__).resolve().parent / "results"
SECTIONS = ("normalisation", "ckan", "index", "harvest", "shacl", "search_load", "clustering", "http")
SIZES = {
    "quick": {"normalisation": 500, "ckan": 500, "index": [(20_000, "tantivy,fts5")], "harvest": [5_000, 20_000],
              "shacl": 20, "search_load": (20_000, 8.0), "clustering": [5_000]},
    "full": {"normalisation": 3000, "ckan": 2000, "index": [(100_000, "tantivy,fts5,es"), (1_000_000, "tantivy")],
             "harvest": [20_000, 100_000], "shacl": 100, "search_load": (100_000, 20.0),
             "clustering": [20_000, 100_000]},
}
BUDGET = {"search_p95_ms": 50, "index_1m_s": 600, "peak_rss_mb": 1536, "plain_under_load_p95_ms": 200,
          "precision": 0.99, "recall": 0.95, "cluster_cpu_share": 0.10}


def machine() -> dict[str, Any]:
    import sqlite3

    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    mem = None
    try:
        import psutil

        mem = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    return {"cpus": os.cpu_count(), "memory_gb": mem, "platform": platform.platform(),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "load_average_at_start": [round(x, 1) for x in load] if load else None}


def run_index(sizes: list[tuple[int, str]]) -> dict[str, Any]:
    from bench import index_engines

    out = {}
    for docs, engines in sizes:
        index_engines.main(["--docs", str(docs), "--engines", engines])
        saved = json.loads(index_engines.RESULTS.read_text())["runs"][str(docs)]
        out[str(docs)] = saved["engines"]
    return out


def _save(path: Path, results: dict[str, Any], section: str) -> dict[str, Any]:
    """Write a section's figures into the results file as it is on disk now: another run writing the same file
    meanwhile (a long 2M harvest beside a 1M one) keeps its own sections and sizes."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    on_disk: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    merged = {**on_disk, **{k: v for k, v in results.items() if k not in SECTIONS}}
    if section in ("harvest", "index", "clustering"):
        merged[section] = _by_size({**on_disk.get(section, {}), **results[section]})
    else:
        merged[section] = results[section]
    for other in SECTIONS:
        if other != section and other not in merged and other in results:
            merged[other] = results[other]
    path.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n")
    return merged


def _by_size(runs: dict[str, Any]) -> dict[str, Any]:
    """Runs keyed by size, smallest first: a size not measured this time keeps its last figures."""
    return dict(sorted(runs.items(), key=lambda item: int(item[0])))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a few minutes")
    parser.add_argument("--only", help=f"comma-separated sections among {', '.join(SECTIONS)}")
    parser.add_argument("--harvest-sizes", help="corpus sizes for the harvest section, e.g. 20000,100000")
    parser.add_argument("--index-sizes", help="index sizes, e.g. 100000,1000000 (tantivy only)")
    parser.add_argument("--clustering-sizes", help="corpus sizes for the clustering section, e.g. 100000")
    parser.add_argument("--workdir", help="harvest: keep the store and index there (e.g. for the http section)")
    parser.add_argument("--no-full-sweep", action="store_true",
                        help="harvest: skip the forced full re-harvest (as long as the first harvest)")
    parser.add_argument("--first-only", action="store_true",
                        help="harvest: the first harvest and the index sync only, no re-harvest (the 2M run)")
    parser.add_argument("--show", action="store_true", help="print the tables of the last run, measure nothing")
    parser.add_argument("--markdown", action="store_true", help="with --show: the tables as Markdown (README)")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    sizes = dict(SIZES[mode])
    if args.harvest_sizes:
        sizes["harvest"] = [int(x) for x in args.harvest_sizes.split(",")]
    if args.index_sizes:
        sizes["index"] = [(int(x), "tantivy") for x in args.index_sizes.split(",")]
    if args.clustering_sizes:
        sizes["clustering"] = [int(x) for x in args.clustering_sizes.split(",")]
    sections = [s.strip() for s in (args.only or ",".join(SECTIONS)).split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section {', '.join(sorted(unknown))}")

    path = RESULTS / ("bench-quick.json" if args.quick else "bench.json")
    results: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    if args.show:
        if not results:
            parser.error(f"no results yet in {path}: run the benchmark first")
        print_tables(results, markdown=args.markdown)
        return 0
    results.update({"mode": mode, "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": machine(), "command": "python -m bench" + (" --quick" if args.quick else "")})
    started = time.perf_counter()
    for section in sections:
        print(f"== {section}", file=sys.stderr, flush=True)
        if section == "normalisation":
            from bench import normalisation

            results["normalisation"] = normalisation.measure(sizes["normalisation"])
        elif section == "ckan":
            from bench import ckan_paging

            results["ckan"] = ckan_paging.measure(sizes["ckan"])
        elif section == "index":
            results["index"] = _by_size({**results.get("index", {}), **run_index(sizes["index"])})
        elif section == "harvest":
            from bench import harvest

            runs = results.get("harvest", {})
            for records in sizes["harvest"]:
                print(f"   harvest of {records:,} records", file=sys.stderr, flush=True)
                workdir = str(Path(args.workdir) / str(records)) if args.workdir else None
                runs[str(records)] = {**harvest.measure(records, workdir=workdir, full_again=not args.no_full_sweep,
                                                        again=not args.first_only),
                                      "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
            results["harvest"] = _by_size(runs)
        elif section == "shacl":
            from bench import shacl

            results["shacl"] = shacl.measure(sizes["shacl"])
        elif section == "search_load":
            from bench import search_load

            docs, seconds = sizes["search_load"]
            results["search_load"] = search_load.measure(docs, seconds, clients=4)
        elif section == "clustering":
            from bench import clustering

            runs = results.get("clustering", {})
            for records in sizes["clustering"]:
                print(f"   clustering of {records:,} records", file=sys.stderr, flush=True)
                runs[str(records)] = {**clustering.measure(records),
                                      "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                                      "load_average": [round(x, 1) for x in os.getloadavg()]}
            results["clustering"] = _by_size(runs)
        elif section == "http":
            from bench import http

            kept = sorted((p for p in Path(args.workdir).iterdir() if (p / "moisson.db").exists()),
                          key=lambda p: int(p.name) if p.name.isdigit() else 0) if args.workdir else []
            figures = http.measure(kept[-1]) if kept else http.measure_fresh(5_000 if args.quick else 20_000)
            results["http"] = {**figures, "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
        results = _save(path, results, section)  # each section as it ends
    results["seconds"] = round(time.perf_counter() - started)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print_tables(results)
    print(f"\nwritten to {path}", file=sys.stderr)
    return 0


# -- the tables -------------------------------------------------------------------------------------------------------


def _n(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _ok(good: bool) -> str:
    return "[green]yes[/green]" if good else "[red]no[/red]"


class MarkdownConsole:
    """Prints rich tables as GitHub Markdown tables (markup stripped), so the README shows the bench's own tables."""

    def print(self, renderable: Any) -> None:
        if not isinstance(renderable, Table):
            print(Text.from_markup(str(renderable)).plain + "\n")
            return
        columns = renderable.columns
        rows = zip(*(column._cells for column in columns), strict=True)
        title = Text.from_markup(str(renderable.title)).plain if renderable.title else ""

        def cell(value: Any) -> str:
            return Text.from_markup(str(value)).plain.replace("|", "\\|")

        print((f"{title}:\n\n" if title else "")
              + "| " + " | ".join(cell(c.header) for c in columns) + " |\n"
              + "|" + "|".join("---:" if c.justify == "right" else "---" for c in columns) + "|\n"
              + "".join("| " + " | ".join(cell(v) for v in row) + " |\n" for row in rows))


def print_tables(results: dict[str, Any], console: Console | MarkdownConsole | None = None,
                 markdown: bool = False) -> None:
    if console is None:
        console = MarkdownConsole() if markdown else Console(width=None if sys.stdout.isatty() else 150)
    m = results.get("machine", {})
    console.print(f"\n[bold]moisson benchmark[/bold] ({results.get('mode')}, {results.get('measured_at')}): "
                  f"{m.get('cpus')} CPUs, {m.get('memory_gb')} GB, Python {m.get('python')}, load average at start "
                  f"{m.get('load_average_at_start')}")
    if "normalisation" in results:
        _normalisation_table(console, results["normalisation"])
    if "ckan" in results:
        _ckan_table(console, results["ckan"])
    if "index" in results:
        _index_table(console, results["index"])
    if "harvest" in results:
        _harvest_table(console, results["harvest"])
    if "shacl" in results:
        _shacl_table(console, results["shacl"])
    if "search_load" in results:
        _search_load_table(console, results["search_load"])
    if "clustering" in results:
        _clustering_table(console, results["clustering"])
    if "http" in results:
        _http_table(console, results["http"])


def _search_load_table(console: Console | MarkdownConsole, data: dict[str, Any]) -> None:
    table = Table(title=f"Plain searches through the API beside {data['clients']} hostile clients "
                        f"({data['docs']:,} records; server CPU in seconds per second, 2 cores)", title_justify="left")
    for column in ("beside", "plain p50 ms", "p95 ms", "max ms", "p95 < 200 ms", "hostile requests",
                   "hostile answers", "server CPU s/s", "load average"):
        table.add_column(column, justify="left" if column in ("beside", "hostile answers") else "right")
    labels = {"alone": "nothing", "66kb": "the 66 KB many-filters request", "heaviest": "the heaviest allowed search"}
    for name, row in data["phases"].items():
        answers = ", ".join(f"{k} {v}" for k, v in row["hostile_answers"].items() if v)
        table.add_row(labels.get(name, name), _n(row["p50_ms"], 1), _n(row["p95_ms"], 1), _n(row["max_ms"], 1),
                      _ok(row["p95_ms"] < BUDGET["plain_under_load_p95_ms"]), _n(row["hostile_requests"]),
                      answers or "-", _n(row["server_cpu_per_wall_s"], 2),
                      " → ".join(f"{x:g}" for x in row["load_average"]))
    console.print(table)


def _normalisation_table(console: Console | MarkdownConsole, data: dict[str, Any]) -> None:
    table = Table(title=f"Normalisation: records per second per core (CPU time), {data['records_per_type']:,} "
                        "records per type", title_justify="left")
    for column in ("source type", "moisson /s", "budget /s", "within", "plain way", "plain /s", "moisson ÷ plain"):
        table.add_column(column, justify="left" if column in ("source type", "plain way") else "right")
    for kind, row in data["types"].items():
        plain = row.get("plain") or {}
        names = list(plain) or [""]
        for i, name in enumerate(names):
            first = i == 0
            table.add_row(
                row["label"] if first else "",
                _n(row["per_cpu_s"]) if first else "",
                _n(row["budget_per_cpu_s"]) if first else "",
                _ok(row["per_cpu_s"] >= row["budget_per_cpu_s"]) if first else "",
                name or "-", _n(plain[name]["per_cpu_s"]) if name else "-",
                f"{row['ratio'][name]:.2f}×" if name else "-")
        if kind == "dcat":
            table.add_row("  of which: page split (harvester)", _n(row["split_per_cpu_s"]), "", "", "", "", "")
            table.add_row("  of which: normaliser", _n(row["normalise_per_cpu_s"]), _n(row["budget_per_cpu_s"]),
                          _ok(row["normalise_per_cpu_s"] >= row["budget_per_cpu_s"]), "", "", "")
    console.print(table)


def _ckan_table(console: Console | MarkdownConsole, data: dict[str, Any]) -> None:
    table = Table(title=f"CKAN: fetching {data['packages']:,} packages over loopback HTTP", title_justify="left")
    for column in ("way", "requests", "seconds", "packages /s"):
        table.add_column(column, justify="left" if column == "way" else "right")
    table.add_row(f"moisson: package_search, {data['page_size']} a page", _n(data["ours"]["requests"]),
                  _n(data["ours"]["seconds"], 2), _n(data["ours"]["records_per_s"]))
    table.add_row("plain: package_list + package_show each", _n(data["plain"]["requests"]),
                  _n(data["plain"]["seconds"], 2), _n(data["plain"]["records_per_s"]))
    table.add_row("[bold]plain ÷ moisson[/bold]", f"{data['ratio_requests']}×", f"{data['ratio_seconds']}×", "")
    console.print(table)


def _index_table(console: Console | MarkdownConsole, data: dict[str, Any]) -> None:
    table = Table(title="Index: build and search with all 11 facets (engine alone, no result cache)",
                  title_justify="left")
    for column in ("documents", "engine", "build s", "docs/s", "RSS MB", "query", "p50 ms", "p95 ms", "p99 ms",
                   "p95 < 50 ms"):
        table.add_column(column, justify="left" if column in ("engine", "query") else "right")
    for docs, engines in data.items():
        for engine, row in engines.items():
            for i, (kind, lat) in enumerate(row["latency_ms"].items()):
                first = i == 0
                name = f"{engine} ({row['server'].split(' (')[0]})" if "server" in row else engine  # issue 16
                table.add_row(_n(int(docs)) if first else "", name if first else "",
                              _n(row["build_s"], 1) if first else "", _n(row["docs_per_s"]) if first else "",
                              _n(row.get("peak_rss_mb")) if first else "", kind, _n(lat["p50"], 1),
                              _n(lat["p95"], 1), _n(lat["p99"], 1), _ok(lat["p95"] < BUDGET["search_p95_ms"]))
    console.print(table)


def _harvest_table(console: Console | MarkdownConsole, data: dict[str, Any]) -> None:
    table = Table(title="Full harvest of the synthetic corpus over loopback HTTP (SHACL apart, see below)",
                  title_justify="left")
    for column in ("records", "sources", "first harvest", "rec/s", "rec per CPU s", "peak RSS MB", "index sync",
                   "docs/s", "RSS with index MB", "again (scheduled)", "again (full sweep)", "store MB", "load"):
        table.add_column(column, justify="right")
    for records, row in data.items():
        first, again, full = row["first"], row.get("again_scheduled"), row.get("again_full")
        per_cpu = first.get("records_per_cpu_s") or (round(first["records"] / first["cpu_seconds"])
                                                     if first.get("cpu_seconds") and first.get("records") else None)
        load = (row.get("load_average") or {}).get("end")
        table.add_row(
            _n(int(records)), _n(row["sources"]),
            f"{_n(first['seconds'], 1)} s, {_n(first['requests'])} req", _n(first["records_per_s"]), _n(per_cpu),
            _n(row["peak_rss_mb_harvest"]), f"{_n(row['index']['seconds'], 1)} s", _n(row["index"]["docs_per_s"]),
            _n(row["peak_rss_mb_with_index"]),
            f"{_n(again['seconds'], 1)} s, {_n(again['requests'])} req" if again else "not run",
            f"{_n(full['seconds'], 1)} s, {_n(full['requests'])} req" if full else "not run",
            _n(row.get("store_mb"), 1), " ".join(str(x) for x in load) if load else "-")
    console.print(table)
    records, row = list(data.items())[-1]
    if "requests_by_type" in row["first"]:
        pages = {"ckan": "package_search pages + status_show + organization_list",
                 "udata": "dataset pages + one per organisation", "ods": "catalog pages + version probe",
                 "csw": "GetRecords pages + GetCapabilities", "dcat": "Hydra pages (RDF/XML)",
                 "dcat-us": "one data.json"}
        by_type = Table(title=f"Requests by source type, corpus of {int(records):,} records: first harvest, then "
                              "the unchanged corpus again", title_justify="left")
        for column in ("type", "sources", "first harvest", "again (scheduled)", "again (full sweep)", "what"):
            by_type.add_column(column, justify="left" if column in ("type", "what") else "right")
        for kind, first in row["first"]["requests_by_type"].items():
            again = (row.get("again_scheduled") or {}).get("requests_by_type", {}).get(kind, {})
            full = (row.get("again_full") or {}).get("requests_by_type", {}).get(kind, {})
            by_type.add_row(kind, _n(first["sources"]), _n(first["requests"]), _n(again.get("requests")),
                            _n(full.get("requests")), pages.get(kind, ""))
        console.print(by_type)
    shacl = [row["shacl"] for row in data.values() if isinstance(row.get("shacl"), dict)]
    if shacl:
        console.print(f"SHACL validation (pipeline's batches of 50, consolidated DCAT-AP 3 shapes): "
                      f"{shacl[-1]['ms_per_record']} ms CPU a record, {shacl[-1]['records_per_cpu_s']} records/s "
                      "per core — run once per record version, budgeted per harvest job (README, Quality scoring).")


def _shacl_table(console: Console | MarkdownConsole, data: dict[str, Any]) -> None:
    table = Table(title=f"SHACL, DCAT-AP 3.0.1 consolidated shapes: {data['records']:,} corpus records (half of them "
                        f"damaged), batches of {data['batch']}, records per CPU second", title_justify="left")
    for column in ("engine", "records /s per core", "ms CPU a record", "budget /s", "within", "÷ pyshacl",
                   "same verdicts"):
        table.add_column(column, justify="left" if column == "engine" else "right")
    ref, fast = data["pyshacl"], data["compiled"]
    table.add_row("pyshacl 0.40 (reference)", _n(ref["records_per_cpu_s"]), _n(ref["ms_per_record"], 2),
                  _n(data["budget_per_cpu_s"]), _ok(ref["records_per_cpu_s"] >= data["budget_per_cpu_s"]), "1×", "")
    table.add_row("compiled shapes (used)", _n(fast["records_per_cpu_s"]), _n(fast["ms_per_record"], 2),
                  _n(data["budget_per_cpu_s"]), _ok(fast["records_per_cpu_s"] >= data["budget_per_cpu_s"]),
                  f"{data['ratio']}×", _ok(data["identical_verdicts"]))
    console.print(table)
    by = ", ".join(f"{k} {v:,}" for k, v in data["violations_by_constraint"].items())
    console.print(f"{data['records_with_violations']:,} records with violations, {data['violations']:,} violations "
                  f"({by}); load average {data['load_average']['start']} at start, {data['load_average']['end']} at "
                  "end.")


def _clustering_table(console: Console | MarkdownConsole, data: dict[str, Any]) -> None:
    table = Table(title="Cross-portal duplicates on the harvested corpus (pairs of records; truth from the corpus)",
                  title_justify="left")
    for column in ("records", "datasets on several portals", "clusters found", "precision", "recall",
                   "primary = origin", "clustering CPU", "share of harvest CPU", "share, harvest without SHACL",
                   "share, harvest without SHACL nor index", "peak RSS MB", "again (unchanged)", "rebuild"):
        table.add_column(column, justify="right")
    for records, row in data.items():
        q, c = row["quality"], row["clustering"]
        table.add_row(
            _n(int(records)), f"{_n(q['true_datasets_on_several_portals'])} ({_n(q['true_records_in_them'])} rec.)",
            f"{_n(q['clusters'])} ({_n(q['records_in_clusters'])} rec.)",
            f"{q['precision']:.4f} " + _ok(q["precision"] >= BUDGET["precision"]),
            f"{q['recall']:.4f} " + _ok(q["recall"] >= BUDGET["recall"]),
            f"{100 * q['primary_is_origin']:.1f} %" if q.get("primary_is_origin") is not None else "-",
            f"{_n(c['cpu_seconds'], 1)} s ({c['ms_per_record']} ms/rec.)",
            f"{100 * c['cpu_share_of_harvest']:.1f} % " + _ok(c["cpu_share_of_harvest"] < BUDGET["cluster_cpu_share"]),
            _bare_share(row.get("without_shacl")), _bare_share(row.get("without_shacl_nor_index")),
            _n(row["peak_rss_mb"]), f"{row['again_scheduled']['clustering_cpu_seconds']} s CPU",
            f"{_n(row['rebuild']['cpu_seconds'], 1)} s CPU")
    console.print(table)


def _bare_share(bare: dict[str, Any] | None) -> str:
    """The clustering's share of one of the stricter harvests of the same corpus: without SHACL validation, or
    without SHACL nor indexing (bench.clustering.measure)."""
    if not bare:
        return "-"
    within = _ok(bare["cpu_share_of_harvest"] < BUDGET["cluster_cpu_share"])
    return (f"{100 * bare['cpu_share_of_harvest']:.1f} % ({_n(bare['clustering_cpu_seconds'], 1)} of "
            f"{_n(bare['harvest_cpu_seconds'], 1)} s) {within}")


def _http_table(console: Console | MarkdownConsole, data: dict[str, Any]) -> None:
    from bench.http import BUDGET as HTTP

    table = Table(title=f"moisson serve --workers {data['workers']} over loopback HTTP, {data['records']:,} records, "
                        f"{data['clients']} wrk clients, {data['seconds']} s each ({data.get('measured_at')})",
                  title_justify="left")
    for column in ("workload", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "load average",
                   "budget"):
        table.add_column(column, justify="left" if column in ("workload", "budget", "load average") else "right")
    labels = {"search_mixed": "search with facets, mixed (Zipf over 2,000)",
              "search_distinct": "search with facets, every one new",
              "search_distinct_no_facets": "search, every one new, facets=none", "record": "GET /api/datasets/{id}",
              "dataset_page": "GET /datasets/{id} (dataset page)"}
    for name, label in labels.items():
        row = data.get(name)
        if not row:
            continue
        if name.startswith("search"):
            good = (row["requests_per_s"] >= HTTP["search_rps"] and row["p95_ms"] < HTTP["search_p95_ms"]
                    and not row["error_count"])
            budget = f"≥ {HTTP['search_rps']} req/s, p95 < {HTTP['search_p95_ms']} ms: {_ok(good)}"
        else:
            good = row["p95_ms"] < HTTP["record_p95_ms"] and not row["error_count"]
            budget = f"p95 < {HTTP['record_p95_ms']} ms: {_ok(good)}"
        table.add_row(label, _n(row["requests"]), _n(row["requests_per_s"]), _n(row["p50_ms"], 1),
                      _n(row["p95_ms"], 1), _n(row["p99_ms"], 1), _n(row["error_count"]),
                      " ".join(str(x) for x in row.get("load_average", [])), budget)
    console.print(table)
    walk = data.get("catalog_walk")
    if walk:
        good = walk["records_per_s"] >= HTTP["catalog_rps"]
        console.print(f"/api/catalog walked {'to the end' if walk['complete'] else 'until the time limit'}: "
                      f"{walk['records']:,} records in {walk['pages']:,} pages of {walk['page_size']:,}, "
                      f"{walk['seconds']:,} s: {_n(walk['records_per_s'])} records/s (first tenth "
                      f"{_n(walk['first_tenth_records_per_s'])}/s, last tenth {_n(walk['last_tenth_records_per_s'])}/s,"
                      f" the catalog's last page {_n(walk.get('last_page_records_per_s'))}/s; budget ≥ "
                      f"{HTTP['catalog_rps']:,}/s: {_ok(good)})")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
