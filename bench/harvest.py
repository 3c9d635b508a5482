"""A full harvest of a synthetic corpus over loopback HTTP: throughput, peak memory, and the cost of re-harvesting.

Run: ``python -m bench.harvest --records 100000 [--records 1000000 ...]``. For each size, the corpus' portals are
served by a process of their own (:mod:`bench.portals`) and the harvest runs in a fresh child process, exactly as
``moisson harvest --all`` would: :func:`pipeline.harvest.run_harvest` for every source, one after the other, into a
new store; then the search index is synced from the store (:func:`index.sync_index`, the real path: stored JSON ->
model -> index document -> tantivy); then the unchanged corpus is harvested twice more, once as the scheduler would
(incremental where the protocol allows, conditional GET for DCAT) and once as a forced full sweep.

Peak RSS is the child's own (``ru_maxrss``), read after the harvest and again after the index sync, so memory that
grows with the corpus would show between two sizes. Times are wall-clock on a shared machine; the CPU seconds of the
harvesting process are given beside them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.corpus import SEED, Corpus
from bench.portals import PortalProcess, source_url

POLITE_OFF = {"per_host_rps": 10_000.0, "per_host_concurrency": 4, "retries": 1, "timeout": 120.0,
              "total_timeout": 600.0}


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _rss_mb() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def harvest_pass(store: Any, corpus: Corpus, config: Any, mode: str | None, *,
                 store_per_job: bool = False, index_after: bool = False) -> dict[str, Any]:
    """Every source once, in corpus order; returns the summed job figures. ``store_per_job``: each job on a store
    object of its own (the same file), as ``moisson harvest --all`` runs them (:func:`pipeline.runner.run_one`), so
    that what a store object keeps between jobs is not kept."""
    from index.store import Store
    from pipeline.harvest import run_harvest

    totals: dict[str, Any] = {"jobs": 0, "requests": 0, "bytes": 0, "new": 0, "updated": 0, "unchanged": 0,
                              "withdrawn": 0, "failed": 0, "partial_or_failed_jobs": 0, "errors": []}
    rss_samples = []
    started, cpu = time.perf_counter(), time.process_time()
    checkpoint = max(1, len(config.sources) // 10)
    for n, source in enumerate(config.sources, 1):
        job_store = Store(store.path) if store_per_job else store
        try:
            result = run_harvest(job_store, source, config, mode=mode, index_after=index_after)
        finally:
            if store_per_job:
                job_store.close()
        totals["jobs"] += 1
        totals["requests"] += result.requests
        kind = source.type if source.type != "dcat" or not source.url.endswith(".json") else "dcat-us"
        per_type = totals.setdefault("requests_by_type", {}).setdefault(kind, {"sources": 0, "requests": 0})
        per_type["sources"] += 1
        per_type["requests"] += result.requests
        totals["bytes"] += result.bytes
        for name in ("new", "updated", "unchanged", "withdrawn", "failed"):
            totals[name] += getattr(result.counts, name)
        if result.status != "succeeded":
            totals["partial_or_failed_jobs"] += 1
            if len(totals["errors"]) < 5:
                totals["errors"].append(f"{source.id}: {result.status}: {result.error or ''} "
                                        f"{[e.reason for e in result.errors[:2]]}")
        if n % checkpoint == 0:
            rss_samples.append(_rss_mb())
    totals["seconds"] = round(time.perf_counter() - started, 1)
    totals["cpu_seconds"] = round(time.process_time() - cpu, 1)
    records = totals["new"] + totals["updated"] + totals["unchanged"]
    totals["records"] = records
    totals["records_per_s"] = round(records / totals["seconds"]) if totals["seconds"] else None
    totals["records_per_cpu_s"] = round(records / totals["cpu_seconds"]) if totals["cpu_seconds"] else None
    totals["rss_mb_samples"] = rss_samples
    return totals


def _config(corpus: Corpus, base_url: str) -> Any:
    from kernel.config import Config, HttpSettings, Settings, SourceConfig

    settings = Settings(allow_private_networks=True, contact="bench@example.org", http=HttpSettings(**POLITE_OFF))
    sources = [SourceConfig(id=s.id, type="dcat" if s.type == "dcat-us" else s.type, url=source_url(s, base_url))
               for s in corpus.sources]
    return Config(path=None, settings=settings, sources=sources)


def without_shacl() -> None:
    """Harvest jobs as measured here score what they store (MQA, 0.3 ms a record) without the SHACL validation that
    production jobs also run (0.45-0.7 ms a record, compiled shapes): its cost is measured on its own (the ``shacl``
    section, :func:`shacl_throughput`; ``--shacl`` puts it back in the jobs), so that these throughputs compare with
    earlier rounds'."""
    import functools

    import pipeline.scoring

    pipeline.scoring.score_records = functools.partial(pipeline.scoring.score_records, shacl=False)


def shacl_throughput(store: Any, limit: int = 300) -> dict[str, Any]:
    """Records per CPU second of the SHACL step as the pipeline runs it (batches of 50, consolidated shapes)."""
    from scoring import shacl

    rows = store.db.execute("SELECT data FROM records WHERE status = 'active' ORDER BY id LIMIT ?",
                            (limit,)).fetchall()
    entries = [store.load_entry(row[0]) for row in rows]
    shacl.validate_entries(entries[:5])  # shapes parsed once per process
    cpu, started = time.process_time(), time.perf_counter()
    for start in range(0, len(entries), 50):
        shacl.validate_entries(entries[start:start + 50])
    cpu = time.process_time() - cpu
    return {"records": len(entries), "cpu_seconds": round(cpu, 2), "records_per_cpu_s": round(len(entries) / cpu),
            "ms_per_record": round(1000 * cpu / len(entries), 1),
            "seconds": round(time.perf_counter() - started, 2)}


def run_in_child(records: int, seed: int, base_url: str, workdir: str, shacl: bool = False,
                 full_again: bool = True, again: bool = True) -> dict[str, Any]:
    """What the child process does: harvest, index, re-harvest twice; figures as a dict."""
    from index import close_indexes, sync_index
    from index.store import Store
    from kernel.runtime import tune_gc

    tune_gc()  # as the moisson command does
    if not shacl:
        without_shacl()

    os.environ["MOISSON_INDEX"] = str(Path(workdir) / "index")
    corpus = Corpus(records, seed=seed)
    config = _config(corpus, base_url)
    store = Store(Path(workdir) / "moisson.db")
    out: dict[str, Any] = {"records": records, "sources": len(corpus.sources), "rss_mb_start": _rss_mb()}
    # A kept --workdir may already hold part of the corpus (the 2M run, resumed): its first pass then finds those
    # records unchanged, and the figures must say so.
    out["records_in_store_before"] = store.db.execute("SELECT count(*) FROM records").fetchone()[0]
    out["first"] = harvest_pass(store, corpus, config, "full")
    out["peak_rss_mb_harvest"] = _peak_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    indexed = sync_index(store)
    close_indexes()
    seconds = time.perf_counter() - started
    out["index"] = {"documents": indexed, "seconds": round(seconds, 1),
                    "cpu_seconds": round(time.process_time() - cpu, 1),
                    "docs_per_s": round(indexed / seconds) if seconds else None}
    out["peak_rss_mb_with_index"] = _peak_rss_mb()
    if again:  # the unchanged corpus as the scheduler harvests it
        out["again_scheduled"] = harvest_pass(store, corpus, config, None)
    if again and full_again:  # as long as the first harvest: worth measuring once, at a smaller size
        out["again_full"] = harvest_pass(store, corpus, config, "full")
    out["peak_rss_mb"] = _peak_rss_mb()
    out["shacl"] = "in the harvest" if shacl else shacl_throughput(store)
    out["store_mb"] = round(sum(p.stat().st_size for p in Path(workdir).glob("moisson.db*")) / 2**20, 1)
    out["index_mb"] = round(sum(p.stat().st_size for p in (Path(workdir) / "index").rglob("*") if p.is_file())
                            / 2**20, 1)
    store.close()
    return out


def measure(records: int, seed: int = SEED, workdir: str | None = None, shacl: bool = False,
            full_again: bool = True, again: bool = True) -> dict[str, Any]:
    """One corpus size, end to end; the portals and the harvest each in a process of their own."""
    corpus = Corpus(records, seed=seed)
    work = Path(workdir or tempfile.mkdtemp(prefix="moisson-bench-harvest-"))
    work.mkdir(parents=True, exist_ok=True)
    load_start = [round(x, 1) for x in os.getloadavg()]
    try:
        portals = PortalProcess(corpus)
        with portals as base_url:
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(1, maxtasksperchild=1) as pool:
                out = pool.apply(run_in_child, (records, seed, base_url, str(work), shacl, full_again, again))
            out["portals_cpu_seconds"] = round(portals.cpu_seconds(), 1)  # serving the corpus, on the other core
        out["load_average"] = {"start": load_start, "end": [round(x, 1) for x in os.getloadavg()]}
        return out
    finally:
        if workdir is None:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.harvest", description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, action="append", help="corpus size (repeatable)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--workdir", help="keep the store and index there")
    parser.add_argument("--shacl", action="store_true", help="let harvest jobs run SHACL validation as they do")
    parser.add_argument("--no-full-sweep", action="store_true", help="skip the forced full re-harvest")
    parser.add_argument("--out", type=Path, help="also write the JSON there")
    args = parser.parse_args(argv)
    results = {}
    for records in args.records or [20_000]:
        print(f"harvesting a corpus of {records:,} records...", file=sys.stderr, flush=True)
        results[str(records)] = measure(records, args.seed, args.workdir, args.shacl, not args.no_full_sweep)
        if args.out:
            args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
