"""Run many harvest jobs: at most N at once, a source never twice at the same time, one failure never stops the others.

Why threads: a harvest waits on the network almost all the time, and SQLite serialises the writes anyway; threads
share the process-wide limit below with the scheduler and the admin API, which run jobs through :func:`run_one` too.
Each job has its own store connection (and therefore its own transactions). Two jobs of one source are kept apart
by the store's harvest lock, which holds across processes (a CLI harvest beside `moisson serve`) as well as threads.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from index.store import HarvestLockedError, JobCounts, Store
from kernel.config import Config, SourceConfig
from pipeline.harvest import JobResult, Progress, run_harvest

log = logging.getLogger(__name__)

_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _slot(limit: int) -> threading.BoundedSemaphore:
    """The process-wide semaphore for a concurrency limit: CLI, scheduler and admin API jobs count together."""
    with _slots_lock:
        if limit not in _slots:
            _slots[limit] = threading.BoundedSemaphore(limit)
        return _slots[limit]


def run_one(db: str | os.PathLike[str], source: SourceConfig, config: Config, *, mode: str | None = None,
            progress: Progress | None = None, index_after: bool = True,
            stop: threading.Event | None = None) -> JobResult:
    """One job on its own store connection, within the process-wide limit. Never raises: a source already being
    harvested gives a ``skipped`` result, an unexpected error a ``failed`` one; ``stop`` set while waiting for a
    slot gives a ``skipped`` result too (no job is opened)."""
    with _slot(config.settings.max_concurrent_harvests):
        if stop is not None and stop.is_set():
            return JobResult(0, source.id, mode or "-", "skipped", JobCounts(), error="stopped before it started")
        store = Store(db)
        try:
            result = run_harvest(store, source, config, mode=mode, progress=progress, index_after=index_after,
                                 stop=stop)
            _snapshot_obligations(store)
            return result
        except HarvestLockedError as exc:
            return JobResult(0, source.id, mode or "-", "skipped", JobCounts(), error=str(exc))
        except Exception as exc:  # outside any job (the store could not open a job): report, go on with the others
            log.exception("could not harvest %s", source.id)
            return JobResult(0, source.id, mode or "-", "failed", JobCounts(),
                             error=f"internal error: {type(exc).__name__}: {exc}")
        finally:
            store.close()


def _snapshot_obligations(store: Store) -> None:
    """Today's open-data obligation snapshot (its trend), written when the last running harvest ends; a failure there
    is logged and never fails the job (`moisson obligations snapshot` writes one by hand)."""
    try:
        from index.obligations import snapshot_after_harvest

        snapshot_after_harvest(store)
    except Exception:
        log.warning("open-data obligation snapshot not written", exc_info=True)


def harvest_many(store: Store, config: Config, source_ids: Sequence[str], mode: str | None = None,
                 progress: Progress | None = None) -> list[JobResult]:
    """Harvest the sources (each once, in the order given), ``settings.max_concurrent_harvests`` at a time; results
    come back in the same order. Locks left by dead processes are released first, their jobs marked interrupted."""
    sources = [config.source(source_id) for source_id in dict.fromkeys(source_ids)]
    if not sources:
        return []
    store.release_stale_locks()
    db = Path(store.path)
    workers = min(config.settings.max_concurrent_harvests, len(sources))
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="harvest") as pool:
        futures = [pool.submit(run_one, db, source, config, mode=mode, progress=progress, stop=stop)
                   for source in sources]
        try:
            return [future.result() for future in futures]
        except BaseException:  # Ctrl-C: start nothing more; running jobs end at their next record, as interrupted
            stop.set()
            for future in futures:
                future.cancel()
            raise
