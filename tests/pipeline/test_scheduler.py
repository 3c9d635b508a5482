"""The harvest schedule lives in the store's database: it survives restarts, follows the config, and runs a harvest
that fell due while the server was down (once), through the real pipeline."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from demo.server import PortalServer
from index.store import Store
from kernel.config import Config, ConfigError
from pipeline.scheduler import TABLE, Scheduler, _job_store
from tests.conftest import ROOT, make_config
from tests.pipeline.portals import FAST_HTTP, Slow, recorded_ckan

# Port 9 (discard) on loopback: nothing listens, so a harvest fails at once; what is tested is that it ran.
SOURCES = """
- {id: daily, type: ckan, url: "http://127.0.0.1:9/daily"}
- {id: weekly, type: ckan, url: "http://127.0.0.1:9/weekly", schedule: "30 2 * * 1"}
- {id: paused, type: ckan, url: "http://127.0.0.1:9/paused", enabled: false}
"""


def config(sources: str = SOURCES) -> Config:
    return make_config(sources, default_schedule='"0 4 * * *"', schedule_spread_minutes=0,
                       http="{retries: 0, timeout: 2}")


@contextmanager
def running(store: Store, cfg: Config, **kwargs: int) -> Iterator[Scheduler]:
    scheduler = Scheduler(store, cfg, **kwargs)
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=True)


def stored_rows(store: Store | Path) -> dict[str, tuple[float, bytes]]:
    with sqlite3.connect(store.path if isinstance(store, Store) else store) as db:
        return {row[0]: (row[1], row[2]) for row in db.execute(f"SELECT id, next_run_time, job_state FROM {TABLE}")}


def expected_next(cron: str, scheduler: Scheduler) -> datetime:
    tz = scheduler._scheduler.timezone
    return CronTrigger.from_crontab(cron, timezone=tz).get_next_fire_time(None, datetime.now(tz))


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_one_job_per_enabled_source_with_its_cron_or_the_default(store: Store) -> None:
    cfg = config()
    with running(store, cfg) as scheduler:
        runs = {row["source"]: row for row in scheduler.next_runs()}

        assert set(runs) == {"daily", "weekly"}  # the disabled source is not scheduled
        assert runs["daily"]["cron"] == "0 4 * * *" and runs["daily"]["default"]
        assert runs["weekly"]["cron"] == "30 2 * * 1" and not runs["weekly"]["default"]
        for row in runs.values():
            assert row["stored"] and row["next_run"] == expected_next(row["cron"], scheduler)
            assert row["last_status"] is None
    assert set(stored_rows(store)) == {"harvest:daily", "harvest:weekly"}


def test_schedules_survive_a_restart_and_are_read_back_from_the_database(store: Store) -> None:
    cfg = config()
    with running(store, cfg) as first:
        before = first.next_runs()
    rows = stored_rows(store)
    assert set(rows) == {"harvest:daily", "harvest:weekly"}

    stopped = Scheduler(Store(store.path), cfg)  # a new process's view: read from the database, nothing started
    assert stopped.next_runs() == before
    assert all(row["stored"] for row in before)

    with running(Store(store.path), cfg) as second:
        assert second.next_runs() == before
    assert stored_rows(store) == rows  # same jobs, same next run times, not even rewritten


def test_a_changed_cron_updates_the_stored_job_and_a_dropped_source_loses_its_job(store: Store) -> None:
    with running(store, config()):
        pass
    rows = stored_rows(store)
    changed = config("""
    - {id: daily, type: ckan, url: "http://127.0.0.1:9/daily", schedule: "15 1 * * *"}
    - {id: weekly, type: ckan, url: "http://127.0.0.1:9/weekly", schedule: "30 2 * * 1", enabled: false}
    """)

    before_start = {row["source"]: row for row in Scheduler(store, changed).next_runs()}
    assert not before_start["daily"]["stored"]  # the stored job has the old cron: the next start replaces it

    with running(store, changed) as scheduler:
        runs = {row["source"]: row for row in scheduler.next_runs()}
    assert set(runs) == {"daily"}
    assert runs["daily"]["cron"] == "15 1 * * *" and runs["daily"]["stored"]
    assert runs["daily"]["next_run"] == expected_next("15 1 * * *", scheduler)
    after = stored_rows(store)
    assert set(after) == {"harvest:daily"}
    assert after["harvest:daily"] != rows["harvest:daily"]
    assert after["harvest:daily"][0] == runs["daily"]["next_run"].timestamp()


def test_a_harvest_missed_while_down_runs_once_at_restart_unless_too_old(store: Store) -> None:
    cfg = config("""
    - {id: daily, type: ckan, url: "http://127.0.0.1:9/daily"}
    - {id: yearly, type: ckan, url: "http://127.0.0.1:9/yearly", schedule: "0 4 1 1 *"}
    """)
    with running(store, cfg):
        pass
    # the server was down for three days: both jobs fell due then (written with APScheduler's own job store)
    jobs = _job_store(store)
    jobs.start(BackgroundScheduler(), "default")
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    for job_id in ("harvest:daily", "harvest:yearly"):
        job = jobs.lookup_job(job_id)
        job.next_run_time = three_days_ago
        jobs.update_job(job)
    jobs.shutdown()

    with running(store, cfg, misfire_grace_time=2 * 86400) as scheduler:
        # three missed daily runs coalesce into one, whose time is within the grace: it runs now
        wait_for(lambda: any(j["status"] != "running" for j in store.jobs("daily")), "the missed daily harvest")
        runs = {row["source"]: row for row in scheduler.next_runs()}
    jobs = store.jobs("daily")
    assert len(jobs) == 1 and jobs[0]["status"] == "failed" and "cannot reach" in jobs[0]["error"]
    assert store.jobs("yearly") == []  # three days late is beyond the grace: skipped, not run
    now = datetime.now(scheduler._scheduler.timezone)
    assert runs["daily"]["next_run"] > now and runs["yearly"]["next_run"] > now


def test_run_now_harvests_through_the_pipeline_and_leaves_the_schedule_alone(store: Store) -> None:
    cfg = config()
    with running(store, cfg) as scheduler:
        before = {row["source"]: row["next_run"] for row in scheduler.next_runs()}
        scheduler.run_now("weekly")
        wait_for(lambda: any(j["status"] != "running" for j in store.jobs("weekly")), "the harvest asked for")
        with pytest.raises(ConfigError, match="unknown source 'nope'"):
            scheduler.run_now("nope")
        with pytest.raises(ConfigError, match="disabled"):
            scheduler.run_now("paused")
        after = {row["source"]: row for row in scheduler.next_runs()}
    assert {source: row["next_run"] for source, row in after.items()} == before
    assert after["weekly"]["last_status"] == "failed" and after["daily"]["last_status"] is None
    assert set(stored_rows(store)) == {"harvest:daily", "harvest:weekly"}  # the one-off job is gone once run


def test_shutdown_stops_a_running_harvest_at_its_next_record(fixtures: Path, server: PortalServer,
                                                              store: Store) -> None:
    portal = recorded_ckan(fixtures, copies=3)
    url = server.mount("/slow", Slow(portal, 0.05))
    cfg = make_config(f'- {{id: slow, type: ckan, url: "{url}", options: {{page_size: 5}}}}', http=FAST_HTTP)
    scheduler = Scheduler(store, cfg)
    scheduler.start()
    try:
        scheduler.run_now("slow", "full")
        wait_for(lambda: sum(c.action == "package_search" for c in portal.calls) >= 2, "the harvest to be under way")
    finally:
        scheduler.shutdown()  # waits for the harvest, which stops at its next record

    [job] = store.jobs("slow")
    assert job["status"] == "interrupted" and 5 <= job["new"] < len(portal.packages)
    assert store.count(source_id="slow") == job["new"]  # what was fetched is stored
    assert store.harvest_lock("slow") is None


def test_sources_without_a_schedule_are_spread_over_the_night_by_their_id(store: Store) -> None:
    """A thousand sources on the default schedule start at a thousand-odd different minutes of 01:00-05:59, each
    at the same minute on every start (issue 17: the French landscape must not all start at once)."""
    fleet = "\n".join(f'- {{id: portal-{i:04d}, type: ckan, url: "http://127.0.0.1:9/{i}"}}' for i in range(1000))
    cfg = make_config(fleet + '\n- {id: own, type: ckan, url: "http://127.0.0.1:9/own", schedule: "15 3 * * 2"}',
                      default_schedule='"0 1 * * *"', schedule_spread_minutes=300)
    with running(store, cfg) as scheduler:
        runs = {row["source"]: row for row in scheduler.next_runs()}
    crons = {source: row["cron"] for source, row in runs.items() if row["default"]}
    assert len(crons) == 1000 and runs["own"]["cron"] == "15 3 * * 2"
    minutes = [int(cron.split()[1]) * 60 + int(cron.split()[0]) for cron in crons.values()]
    assert all(60 <= m < 360 for m in minutes) and all(cron.endswith(" * * *") for cron in crons.values())
    per_hour = [sum(1 for m in minutes if h * 60 <= m < (h + 1) * 60) for h in range(1, 6)]
    assert min(per_hour) > 150 and max(per_hour) < 250  # about 200 an hour, not 1000 at 01:00
    assert len(set(minutes)) > 250
    stored = stored_rows(store)
    assert len(stored) == 1001
    with running(store, cfg) as again:  # stable: same crons, so the stored jobs are kept as they are
        assert {row["source"]: row["cron"] for row in again.next_runs() if row["default"]} == crons
    assert stored_rows(store) == stored


def test_only_one_scheduler_per_process(store: Store) -> None:
    with running(store, config()), pytest.raises(RuntimeError, match="already running"):
        Scheduler(store, config()).start()


# -- the real thing: `moisson serve` stopped and started again ------------------------------------------------------

SERVE_SOURCES = """settings:
  allow_private_networks: true
  default_schedule: "0 4 * * *"
  schedule_spread_minutes: 0
sources:
  - {id: daily, type: ckan, url: "http://127.0.0.1:9/daily"}
  - {id: weekly, type: ckan, url: "http://127.0.0.1:9/weekly", schedule: "%s"}
"""


def moisson(config: Path, db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "api.cli", "--config", str(config), "--db", str(db), *args]


def serve_once(config: Path, db: Path) -> None:
    """Start `moisson serve`, wait until it answers, stop it with Ctrl-C (SIGINT) as an operator would."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(moisson(config, db, "serve", "--port", str(port)), cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"moisson serve exited: {server.stderr.read()}"
            try:
                if requests.get(f"http://127.0.0.1:{port}/api/sources", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "moisson serve did not answer"
            time.sleep(0.1)
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def schedule_table(config: Path, db: Path) -> str:
    done = subprocess.run(moisson(config, db, "schedule"), cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"})
    return done.stdout


@pytest.mark.timeout(180)
def test_moisson_serve_restarted_reads_its_schedule_back_and_follows_a_changed_cron(tmp_path: Path) -> None:
    config, db = tmp_path / "sources.yaml", tmp_path / "moisson.db"
    config.write_text(SERVE_SOURCES % "30 2 * * 1")

    serve_once(config, db)
    rows = stored_rows(db)
    assert set(rows) == {"harvest:daily", "harvest:weekly"}
    serve_once(config, db)
    assert stored_rows(db) == rows  # read back from the database, not rewritten

    table = schedule_table(config, db)
    assert "0 4 * * * (default)" in table and "30 2 * * 1" in table and "stored at next serve" not in table
    tz = BackgroundScheduler().timezone  # the server's, as `schedule` shows it
    when = datetime.fromtimestamp(rows["harvest:weekly"][0], tz).strftime("%Y-%m-%d %H:%M")
    assert when in table

    config.write_text(SERVE_SOURCES % "45 5 * * *")
    assert "stored at next serve" in schedule_table(config, db)  # `schedule` shows, and changes nothing
    assert stored_rows(db) == rows
    serve_once(config, db)
    after = stored_rows(db)
    assert after["harvest:daily"] == rows["harvest:daily"]
    expected = CronTrigger.from_crontab("45 5 * * *", timezone=tz).get_next_fire_time(None, datetime.now(tz))
    assert after["harvest:weekly"][0] == expected.timestamp()
