"""Scheduled harvests: one cron job per enabled source, kept in moisson's own database so they survive restarts.

Why APScheduler with its SQLAlchemy job store on the store's SQLite file: the schedule (each job's trigger and next
run time) lives beside the data it produces, in one file to back up; a restart of `moisson serve` reads the jobs back
instead of recomputing them, so a harvest that fell due while the server was down still runs (once, coalesced) if it
is not older than the misfire grace time. A job whose cron changed in the config is replaced, one whose source left
the config (or was disabled) is removed. Jobs run through :func:`pipeline.runner.run_one`, so they share the process's
concurrency limit and the store's per-source lock with manual and admin-API harvests.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger

from index.store import Store
from kernel.config import Config, ConfigError, SourceConfig, source_schedule

log = logging.getLogger(__name__)

TABLE = "apscheduler_jobs"
CRON_PREFIX = "harvest:"  # the recurring job of a source
NOW_PREFIX = "now:"  # a one-off run asked for by hand (persisted too: a request made just before a restart still runs)
MISFIRE_GRACE = 6 * 3600  # seconds: a harvest missed by less than this (server down, all slots busy) still runs
LINKS_JOB = "links:all"  # the link checker's pass over every source (pipeline.scoring.check_links)
LINK_CHECK_CRON = "30 2 * * *"  # nightly; each URL is re-checked at most once a week, so most nights are short

_active: Scheduler | None = None  # the started scheduler of this process, which stored jobs call back into
_active_lock = threading.Lock()


def active() -> Scheduler | None:
    """The scheduler running in this process (under `moisson serve`), if any."""
    return _active


class Scheduler:
    """The harvest schedule of a store and a config. ``start()`` beside the API, ``shutdown()`` when it stops."""

    def __init__(self, store: Store, config: Config, *, misfire_grace_time: int = MISFIRE_GRACE) -> None:
        self.store = store
        self.config = config
        self._misfire_grace_time = misfire_grace_time
        self._stop = threading.Event()  # set at shutdown: running harvests end at their next record
        self._scheduler = _BackgroundScheduler(
            jobstores={"default": _job_store(store), "memory": MemoryJobStore()},  # memory: the link-check job
            executors={"default": ThreadPoolExecutor(config.settings.max_concurrent_harvests),
                       "links": ThreadPoolExecutor(1)},  # link checks never take a harvest's slot
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": misfire_grace_time},
        )

    @property
    def running(self) -> bool:
        return self._scheduler.running

    def start(self) -> None:
        """Read the stored jobs back, bring them in line with the config, then start running them."""
        global _active
        with _active_lock:
            if _active is not None and _active is not self:
                raise RuntimeError("a scheduler is already running in this process")
            self._stop.clear()
            self.store.sync_sources(self.config.sources)
            self.store.release_stale_locks()
            self._scheduler.start(paused=True)  # job store open, nothing run before the jobs are synced
            self._sync_jobs()
            _active = self
            self._scheduler.resume()

    def shutdown(self, wait: bool = True) -> None:
        """Stop scheduling; the jobs stay in the database for the next start. Running harvests are asked to stop:
        each stores what it fetched and ends, marked interrupted, at its next record (``wait`` waits for that, which
        the network timeouts bound). One killed anyway by the process ending is taken over by the next run."""
        global _active
        with _active_lock:
            self._stop.set()
            if self._scheduler.running:
                self._scheduler.shutdown(wait=wait)
            if _active is self:
                _active = None

    def run_now(self, source_id: str, mode: str | None = None) -> str:
        """Harvest a source as soon as a slot is free, beside its schedule (``mode``: full, incremental or chosen as
        for a scheduled run); returns the scheduler job id."""
        source = self.config.source(source_id)  # ConfigError for an unknown source
        if not source.enabled:
            raise ConfigError(f"source {source_id!r} is disabled in the sources file")
        job = self._scheduler.add_job(_run_scheduled, trigger="date", args=[source.id, mode],
                                      id=NOW_PREFIX + source.id, name=f"{source.id} (by hand)",
                                      replace_existing=True, misfire_grace_time=None)
        return job.id

    def next_runs(self) -> list[dict[str, Any]]:
        """Each enabled source's cron, next run and last job, for `moisson schedule`. Works whether or not the
        scheduler runs: the stored jobs are read from the database; a source the schedule does not hold yet (or
        with another cron) shows the next run its cron gives, which the next start will store."""
        stored = {job.id: job for job in (self._scheduler.get_jobs() if self.running else self._stored_jobs())}
        rows = []
        for source in self.config.sources:
            if not source.enabled:
                continue
            cron = self.cron(source)
            trigger = self._trigger(cron)
            job = stored.get(CRON_PREFIX + source.id)
            kept = job is not None and repr(job.trigger) == repr(trigger)
            next_run = job.next_run_time if kept and job is not None else trigger.get_next_fire_time(
                None, datetime.now(self._scheduler.timezone))
            last = self.store.jobs(source.id, limit=1)
            rows.append({
                "source": source.id, "cron": cron, "default": source.schedule is None, "next_run": next_run,
                "stored": kept, "pending_by_hand": NOW_PREFIX + source.id in stored,
                "last_job": last[0]["id"] if last else None, "last_status": last[0]["status"] if last else None,
                "last_started": last[0]["started_at"] if last else None,
            })
        return sorted(rows, key=lambda row: (row["next_run"] is None, row["next_run"] or datetime.max, row["source"]))

    def cron(self, source: SourceConfig) -> str:
        """Its own schedule, else the default spread over the night's window (kernel.config.source_schedule)."""
        return source_schedule(source, self.config.settings)

    # -- internals ------------------------------------------------------------------------------------------------

    def _trigger(self, cron: str) -> CronTrigger:
        return CronTrigger.from_crontab(cron, timezone=self._scheduler.timezone)

    def _sync_jobs(self) -> None:
        wanted = {CRON_PREFIX + s.id: s for s in self.config.sources if s.enabled}
        for job in self._scheduler.get_jobs():
            source_id = job.id.partition(":")[2]
            if job.id == LINKS_JOB:
                continue
            if job.id not in wanted and not (job.id.startswith(NOW_PREFIX) and CRON_PREFIX + source_id in wanted):
                log.info("schedule: removing %s (source no longer enabled in the config)", job.id)
                job.remove()
        for job_id, source in wanted.items():
            trigger = self._trigger(self.cron(source))
            job = self._scheduler.get_job(job_id)
            if job is not None and repr(job.trigger) == repr(trigger):  # kept as stored, with its next run time
                if job.misfire_grace_time != self._misfire_grace_time:
                    job.modify(misfire_grace_time=self._misfire_grace_time)
                continue
            log.info("schedule: %s at %r", job_id, self.cron(source))
            self._scheduler.add_job(_run_scheduled, trigger=trigger, args=[source.id], id=job_id, name=source.id,
                                    replace_existing=True)
        links = self._trigger(LINK_CHECK_CRON)
        job = self._scheduler.get_job(LINKS_JOB)
        if job is None or repr(job.trigger) != repr(links):
            # not persisted: a fixed nightly pass, added again at each start; a night missed is caught up the next
            self._scheduler.add_job(_run_link_checks, trigger=links, id=LINKS_JOB, name="link checks",
                                    executor="links", jobstore="memory", replace_existing=True)

    def _stored_jobs(self) -> list[Job]:
        """The jobs in the database, read without starting the scheduler (nothing is run nor changed)."""
        store = _job_store(self.store)
        store.start(self._scheduler, "default")
        try:
            return store.get_all_jobs()
        finally:
            store.shutdown()


class _BackgroundScheduler(BackgroundScheduler):
    """APScheduler 3 wakes its thread once more after shutdown, and that pass processes the due jobs: their runs fail
    to submit (the executor is gone) but their next run times are advanced, so a harvest due at that moment would be
    lost. Once stopped, jobs are left as they are, still due for the next start."""

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


def _job_store(store: Store) -> SQLAlchemyJobStore:
    return SQLAlchemyJobStore(url=f"sqlite:///{store.path}", tablename=TABLE,
                              engine_options={"connect_args": {"timeout": 60}})


def _run_scheduled(source_id: str, mode: str | None = None) -> None:
    """What a stored job calls (by reference, so it must stay importable under this name)."""
    from pipeline.runner import run_one

    scheduler = _active
    if scheduler is None:
        log.warning("scheduled harvest of %s ignored: no scheduler is running", source_id)
        return
    try:
        source = scheduler.config.source(source_id)
    except ConfigError:
        log.warning("scheduled harvest of %s ignored: the source is no longer in the config", source_id)
        return
    result = run_one(scheduler.store.path, source, scheduler.config, mode=mode, stop=scheduler._stop)
    log.info("scheduled harvest of %s: job %s %s%s", source_id, result.job_id, result.status,
             f" ({result.error})" if result.error else "")


def _run_link_checks() -> None:
    """What the nightly link-check job calls: check the links that are due, rescore the records concerned, re-index
    them. Runs in its own one-thread executor, so harvests keep their slots; stops at the next chunk on shutdown."""
    from pipeline.harvest import sync_search_index
    from pipeline.scoring import check_links
    from scoring.links import LinkChecker

    scheduler = _active
    if scheduler is None:
        log.warning("scheduled link checks ignored: no scheduler is running")
        return
    settings = scheduler.config.settings
    checker = LinkChecker(allow_private=settings.allow_private_networks, contact=settings.contact)
    checked = check_links(scheduler.store, checker, stop=scheduler._stop)
    sync_search_index(scheduler.store)
    log.info("scheduled link checks: %d URLs checked", checked)
