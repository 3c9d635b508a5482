"""Cross-portal duplicate clustering on the synthetic corpus: precision, recall, cost and memory (issue 14).

Run: ``python -m bench.clustering --records 100000 [--records ...]``. For each size, the corpus' portals are served
by a process of their own (:mod:`bench.portals`) and a fresh child process harvests every source with
:func:`pipeline.harvest.run_harvest`, one job after another on one store object -- the job ``moisson harvest`` runs
for each source (``--all`` runs the same jobs two at a time by default, each on a store object of its own, so the
per-store caches of :mod:`index.clusters` last one job there): each job validates what it stored with SHACL
(``pipeline.scoring``: every changed record, up to 100,000 a job), clusters it, on that job's records and their
candidates, and brings the search index up to date (a tantivy index of the child's own), as in production. The CPU
seconds spent inside the clustering -- the job's pass, and the keys drawn in the harvest's batches -- and inside SHACL
validation are measured apart (the main thread's, ``time.thread_time``; the indexing's, whose writer has threads of
its own, the process's), so the cost is a share of the harvest's CPU (the process's, clustering included).

Two more children harvest the corpus again into fresh stores, for stricter figures: without SHACL validation (the
clustering's share of a harvest that does not validate; taking SHACL's own time off the first harvest is no
substitute: validating also costs elsewhere -- verdicts stored, memory churned -- about half as much again), then
without indexing either -- a harvest moisson never runs, which the notes of 2026-12-03 and 04 called the stricter
figure (they had left the indexing out of every figure).

Then the store is compared with the corpus' ground truth (:meth:`bench.corpus.Corpus.truth`: which records are copies
of one origin), pairwise: precision = pairs put in one cluster that are one dataset / pairs put in one cluster;
recall = pairs that are one dataset found in one cluster / pairs that are one dataset. Also: how often the primary is
the origin (the publisher's own portal), the cost of re-harvesting the unchanged corpus, and of ``--rebuild``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.clustering_steps import StepTimes
from bench.corpus import SEED, Corpus, native_position
from bench.harvest import _config, _peak_rss_mb, harvest_pass, without_shacl
from bench.portals import PortalProcess

BUDGET = {"precision": 0.99, "recall": 0.95, "cpu_share": 0.10}


def evaluate(store: Any, corpus: Corpus) -> dict[str, Any]:
    """Pairwise precision and recall of the store's clusters against the corpus' truth; primaries that are origins.
    The truth is written to a temporary table of the store (nothing of the corpus is held in memory)."""
    db = store.db
    db.execute("DROP TABLE IF EXISTS temp.bench_truth")
    db.execute("CREATE TEMP TABLE bench_truth (record_id TEXT PRIMARY KEY, truth TEXT NOT NULL, origin INTEGER)")
    db.execute("CREATE INDEX temp.bench_truth_by_truth ON bench_truth (truth)")
    last, unknown = "", 0
    while rows := db.execute("SELECT id, source_id, native_id FROM records WHERE status = 'active' AND id > ? "
                             "ORDER BY id LIMIT 2000", (last,)).fetchall():
        batch = []
        for row in rows:
            truth = corpus.truth(row["source_id"], row["native_id"])
            if truth is None:
                unknown += 1
                continue
            position = native_position(corpus.by_id(row["source_id"]).type, row["native_id"])
            batch.append((row["id"], truth, int(truth == f"{row['source_id']}/{position}")))  # 1: the origin
        with store.transaction():
            db.executemany("INSERT INTO bench_truth VALUES (?, ?, ?)", batch)
        last = rows[-1]["id"]
    pairs = "SUM(n * (n - 1) / 2)"
    true_pairs = db.execute(f"SELECT {pairs} FROM (SELECT COUNT(*) AS n FROM bench_truth GROUP BY truth)").fetchone()[0]
    found_pairs = db.execute(
        f"""SELECT {pairs} FROM (SELECT COUNT(*) AS n FROM bench_truth t
            JOIN cluster_members m ON m.record_id = t.record_id GROUP BY m.cluster_id)""").fetchone()[0]
    right_pairs = db.execute(
        f"""SELECT {pairs} FROM (SELECT COUNT(*) AS n FROM bench_truth t
            JOIN cluster_members m ON m.record_id = t.record_id GROUP BY m.cluster_id, t.truth)""").fetchone()[0]
    with_origin = db.execute(
        """SELECT COUNT(*), SUM(p.origin) FROM clusters c JOIN bench_truth p ON p.record_id = c.primary_id
           WHERE EXISTS (SELECT 1 FROM cluster_members m JOIN bench_truth t ON t.record_id = m.record_id
                         WHERE m.cluster_id = c.id AND t.origin = 1)""").fetchone()
    true_groups = db.execute("SELECT COUNT(*), COALESCE(SUM(n), 0) FROM (SELECT COUNT(*) AS n FROM bench_truth "
                             "GROUP BY truth HAVING n > 1)").fetchone()
    found_groups = db.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM clusters").fetchone()
    db.execute("DROP TABLE IF EXISTS temp.bench_truth")
    true_pairs, found_pairs, right_pairs = true_pairs or 0, found_pairs or 0, right_pairs or 0
    return {
        "records": store.count(), "records_unknown": unknown,
        "true_datasets_on_several_portals": true_groups[0], "true_records_in_them": true_groups[1],
        "clusters": found_groups[0], "records_in_clusters": found_groups[1],
        "true_pairs": true_pairs, "found_pairs": found_pairs, "right_pairs": right_pairs,
        "precision": round(right_pairs / found_pairs, 4) if found_pairs else None,
        "recall": round(right_pairs / true_pairs, 4) if true_pairs else None,
        "primary_is_origin": round((with_origin[1] or 0) / with_origin[0], 4) if with_origin[0] else None,
    }


def run_in_child(records: int, seed: int, base_url: str, workdir: str, shacl_in_jobs: bool = True,
                 first_only: bool = False, index_in_jobs: bool = True) -> dict[str, Any]:
    """What the child process does: harvest with clustering timed, evaluate, re-harvest, rebuild (``first_only``:
    the first harvest alone). ``index_in_jobs``: each job brings the search index up to date, as ``moisson harvest``
    and the scheduler run it (a tantivy index in ``workdir``)."""
    import pipeline.harvest
    import pipeline.scoring
    from index import close_indexes
    from index.clusters import update_clusters
    from index.store import Store
    from kernel.runtime import tune_gc

    tune_gc()  # as the moisson command does
    os.environ["MOISSON_INDEX"] = str(Path(workdir) / "index")  # never an index the caller's environment names
    if not shacl_in_jobs:
        without_shacl()
    times = StepTimes()  # none of the three calls the others: each one's exclusive CPU is all of it
    # the SHACL validation of each job's records, as production runs it
    pipeline.scoring._validate = times.wrap(pipeline.scoring._validate, "shacl")
    pipeline.harvest.cluster_changed_records = times.wrap(pipeline.harvest.cluster_changed_records, "pass")
    # keys drawn in the harvest's batches: clustering's cost too
    pipeline.harvest.draw_cluster_keys = times.wrap(pipeline.harvest.draw_cluster_keys, "drawn")
    # the index's writer works on threads of its own: the process's CPU while a job indexes
    indexing = StepTimes(clock=time.process_time)
    pipeline.harvest.sync_search_index = indexing.wrap(pipeline.harvest.sync_search_index, "index")
    corpus = Corpus(records, seed=seed)
    config = _config(corpus, base_url)
    store = Store(Path(workdir) / "moisson.db")
    out: dict[str, Any] = {"records": records, "sources": len(corpus.sources)}
    first = harvest_pass(store, corpus, config, "full", index_after=index_in_jobs)
    out["harvest"] = {k: first[k] for k in ("seconds", "cpu_seconds", "records", "partial_or_failed_jobs")}
    out["harvest"]["shacl_cpu_seconds"] = round(times.cpu["shacl"], 1)
    out["harvest"]["index_cpu_seconds"] = round(indexing.cpu["index"], 1)
    cpu = times.cpu["pass"] + times.cpu["drawn"]
    out["clustering"] = {"cpu_seconds": round(cpu, 1), "jobs": times.calls["pass"],
                         "keys_drawn_in_batches_cpu_seconds": round(times.cpu["drawn"], 1),
                         "cpu_share_of_harvest": round(cpu / first["cpu_seconds"], 4),
                         "ms_per_record": round(1000 * cpu / max(1, first["records"]), 3)}
    out["peak_rss_mb"] = _peak_rss_mb()
    if first_only:
        store.close()
        close_indexes()
        return out
    out["quality"] = evaluate(store, corpus)
    times.cpu.clear()
    again = harvest_pass(store, corpus, config, None, index_after=index_in_jobs)
    out["again_scheduled"] = {"seconds": again["seconds"], "cpu_seconds": again["cpu_seconds"],
                              "clustering_cpu_seconds": round(times.cpu["pass"] + times.cpu["drawn"], 2)}
    cpu, started = time.process_time(), time.perf_counter()
    rebuilt = update_clusters(store, rebuild=True)
    out["rebuild"] = {"cpu_seconds": round(time.process_time() - cpu, 1),
                      "seconds": round(time.perf_counter() - started, 1), "records": rebuilt.records,
                      "reflagged": rebuilt.reflagged}
    out["quality_after_rebuild"] = evaluate(store, corpus)
    out["peak_rss_mb_end"] = _peak_rss_mb()
    out["cluster_tables_mb"] = round(store.db.execute(
        "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'cluster%'").fetchone()[0] / 2**20, 1) \
        if _has_dbstat(store) else None
    store.close()
    close_indexes()
    return out


def _has_dbstat(store: Any) -> bool:
    try:
        store.db.execute("SELECT 1 FROM dbstat LIMIT 1")
    except Exception:
        return False
    return True


def measure(records: int, seed: int = SEED, workdir: str | None = None) -> dict[str, Any]:
    """One corpus size, end to end; the portals and the harvest each in a process of their own."""
    corpus = Corpus(records, seed=seed)
    work = Path(workdir or tempfile.mkdtemp(prefix="moisson-bench-clusters-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        with PortalProcess(corpus) as base_url:
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(1, maxtasksperchild=1) as pool:
                out = pool.apply(run_in_child, (records, seed, base_url, str(work)))
            # the stricter figures: the same corpus harvested into fresh stores without SHACL validation, then
            # without indexing either (a harvest moisson never runs: the figure the notes of 2026-12-03/04 gave)
            for name, index_in_jobs in (("without_shacl", True), ("without_shacl_nor_index", False)):
                bare = Path(tempfile.mkdtemp(prefix="moisson-bench-clusters-noshacl-"))
                try:
                    with ctx.Pool(1, maxtasksperchild=1) as pool:
                        plain = pool.apply(run_in_child, (records, seed, base_url, str(bare), False, True,
                                                          index_in_jobs))
                finally:
                    shutil.rmtree(bare, ignore_errors=True)
                out[name] = {"harvest_cpu_seconds": plain["harvest"]["cpu_seconds"],
                             "index_cpu_seconds": plain["harvest"]["index_cpu_seconds"],
                             "clustering_cpu_seconds": plain["clustering"]["cpu_seconds"],
                             "cpu_share_of_harvest": plain["clustering"]["cpu_share_of_harvest"],
                             "peak_rss_mb": plain["peak_rss_mb"]}
            return out
    finally:
        if workdir is None:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.clustering", description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, action="append", help="corpus size (repeatable)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--workdir", help="keep the store there")
    args = parser.parse_args(argv)
    results = {}
    for records in args.records or [20_000]:
        print(f"clustering a corpus of {records:,} records...", file=sys.stderr, flush=True)
        results[str(records)] = measure(records, args.seed, args.workdir)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
