"""Where the clustering's CPU goes, step by step, in a harvest of the synthetic corpus (issue 14).

Run: ``python -m bench.clustering_steps --records 100000``. The corpus' portals are served by a process of their own
(:mod:`bench.portals`) and a fresh child process harvests every source without SHACL validation -- the stricter
measure of :mod:`bench.clustering`, where the clustering weighs most -- with each step of :mod:`index.clusters` (and
the two calls the harvest makes into it) wrapped: a step's *exclusive* CPU is summed, the calling thread's
(``time.thread_time``) less what the steps it calls took. Why a bench of its own: the README says where the time goes
and what would cut it, and that must be measurable again, not a figure from a script on someone's disk.

The wrappers cost a few microseconds a call, so read the shares rather than the seconds: :mod:`bench.clustering`
gives the cost itself, unwrapped.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import multiprocessing
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.corpus import SEED, Corpus
from bench.harvest import _config, harvest_pass, without_shacl
from bench.portals import PortalProcess

# (module, attribute, what it is, in words). The pass's entry points come last: what is left of them once the steps
# they call are taken off is their own bookkeeping (and the pass's commits).
STEPS: tuple[tuple[str, str, str], ...] = (
    ("index.clusters", "evidence", "match keys (URL normalisation, title folding, digests)"),
    ("index.clusters", "match_fields", "reading the model's fields"),
    ("index.clusters", "_replace_keys", "writing members' and key rows"),
    ("index.clusters", "_holders", "finding the records that share a key"),
    ("index.clusters", "_link_batch", "linking a batch: bookkeeping, links written"),
    ("index.clusters", "_link", "comparing a record with its candidates"),
    ("index.clusters", "_load", "reading candidates from the store"),
    ("index.clusters", "weak_match", "weak matches (title, publisher, description)"),
    ("index.clusters", "strong_signals", "strong signals"),
    ("index.clusters", "_weakly_ambiguous", "weak ambiguity checks"),
    ("index.clusters", "_recompute", "recomputing clusters and electing primaries"),
    ("index.clusters", "_merge_keys", "merging recent keys into the large table"),
    ("index.clusters", "_drop_keys", "dropping a changed record's keys"),
    ("index.clusters", "_drop_links", "dropping a changed record's links"),
    ("pipeline.harvest", "draw_cluster_keys", "keeping the batch's drawings"),
    ("pipeline.harvest", "cluster_changed_records", "the passes' own work, their commits included"),
)


class StepTimes:
    """Exclusive CPU and calls per step: the calling thread's (``time.thread_time``), not the process's -- keys are
    drawn in the harvest's batches while the job's fetching thread reads the next pages, whose CPU is the harvest's
    -- with a stack per thread, so that a wrapped step's wrapped callees are taken off its time. ``clock``: another
    CPU clock, ``time.process_time`` for a step whose work runs on threads of its own (the search index's writer)."""

    def __init__(self, clock: Callable[[], float] = time.thread_time) -> None:
        self.cpu: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._local = threading.local()
        self._clock = clock

    def wrap(self, step: Any, label: str) -> Any:
        @functools.wraps(step)
        def timed(*args: Any, **kwargs: Any) -> Any:
            stack = self._local.__dict__.setdefault("stack", [])
            started = self._clock()
            stack.append(0.0)
            try:
                return step(*args, **kwargs)
            finally:
                elapsed = self._clock() - started
                inner = stack.pop()
                self.cpu[label] += elapsed - inner
                self.calls[label] += 1
                if stack:
                    stack[-1] += elapsed

        return timed

    def report(self) -> list[dict[str, Any]]:
        total = sum(self.cpu.values()) or 1.0
        return [{"step": label, "cpu_seconds": round(cpu, 2), "share_of_clustering": round(cpu / total, 3),
                 "calls": self.calls[label]} for label, cpu in self.cpu.most_common()]


@contextlib.contextmanager
def timed_steps() -> Iterator[StepTimes]:
    """Wrap every step of :data:`STEPS` for the duration (the originals are put back on exit)."""
    times = StepTimes()
    originals = []
    for module_name, name, label in STEPS:
        module = importlib.import_module(module_name)
        originals.append((module, name, getattr(module, name)))
        setattr(module, name, times.wrap(getattr(module, name), label))
    try:
        yield times
    finally:
        for module, name, step in reversed(originals):
            setattr(module, name, step)


def profile_harvest(store: Any, corpus: Corpus, config: Any, *, store_per_job: bool = False) -> dict[str, Any]:
    """Harvest every source of the corpus into the store with the steps timed (``store_per_job``: each job on a
    store object of its own, as ``moisson harvest --all`` runs them); the harvest's CPU (the process's) and the
    steps'."""
    with timed_steps() as times:
        harvest = harvest_pass(store, corpus, config, "full", store_per_job=store_per_job)
    clustering = sum(times.cpu.values())
    return {"records": harvest["records"], "jobs": harvest["jobs"], "harvest_cpu_seconds": harvest["cpu_seconds"],
            "clustering_cpu_seconds": round(clustering, 2),
            "clustering_share_of_harvest": round(clustering / harvest["cpu_seconds"], 4)
            if harvest["cpu_seconds"] else None,
            "steps": times.report()}


def run_in_child(records: int, seed: int, sources: int | None, store_per_job: bool, base_url: str,
                 workdir: str) -> dict[str, Any]:
    from index.store import Store
    from kernel.runtime import tune_gc

    tune_gc()  # as the moisson command does
    without_shacl()
    corpus = Corpus(records, seed=seed, sources=sources)
    store = Store(Path(workdir) / "moisson.db")
    try:
        return profile_harvest(store, corpus, _config(corpus, base_url), store_per_job=store_per_job)
    finally:
        store.close()


def measure(records: int, seed: int = SEED, sources: int | None = None, store_per_job: bool = False) -> dict[str, Any]:
    corpus = Corpus(records, seed=seed, sources=sources)
    work = Path(tempfile.mkdtemp(prefix="moisson-bench-cluster-steps-"))
    try:
        with PortalProcess(corpus) as base_url, \
                multiprocessing.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
            return pool.apply(run_in_child, (records, seed, sources, store_per_job, base_url, str(work)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.clustering_steps", description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="corpus size")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--sources", type=int, help="how many sources share the records (default: the corpus's)")
    parser.add_argument("--store-per-job", action="store_true",
                        help="each job on a store object of its own, as `moisson harvest --all` runs them")
    args = parser.parse_args(argv)
    print(f"harvesting a corpus of {args.records:,} records with the clustering's steps timed...", file=sys.stderr,
          flush=True)
    out = measure(args.records, args.seed, args.sources, args.store_per_job)
    print(f"harvest {out['harvest_cpu_seconds']} s CPU, clustering {out['clustering_cpu_seconds']} s "
          f"({100 * out['clustering_share_of_harvest']:.1f} %, wrappers included)", file=sys.stderr)
    for step in out["steps"]:
        print(f"  {100 * step['share_of_clustering']:5.1f} %  {step['cpu_seconds']:7.2f} s  {step['step']}",
              file=sys.stderr)
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
