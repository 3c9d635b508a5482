"""Many harvests: at most N at once, a source never twice at the same time (threads and processes), one source's
failure or stall never stops the others; the job log records what each job did. Acceptance 3 at the job level."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from demo.server import PortalServer, Response
from index.store import HarvestLockedError, Store
from pipeline.harvest import run_harvest
from pipeline.runner import harvest_many
from tests.conftest import ROOT
from tests.pipeline.portals import Failing, Slow, ckan_config, recorded_ckan, stalled_server


@pytest.mark.timeout(60)  # the bound on the stalled source: without the read timeout this test would hang
def test_retries_are_logged_on_a_successful_job_and_a_stalled_source_fails_alone(
        fixtures: Path, server: PortalServer, store: Store) -> None:
    flaky = Failing(recorded_ckan(fixtures), "/package_search",
                    Response(500, b"Internal Server Error", content_type="text/html"),
                    Response(429, b"Too Many Requests", {"Retry-After": "1"}, content_type="text/html"))
    with stalled_server() as stalled_url:
        config = ckan_config(
            {"flaky": server.mount("/flaky", flaky), "stalled": stalled_url,
             "healthy": server.mount("/healthy", recorded_ckan(fixtures))},
            max_concurrent_harvests=3, http="{per_host_rps: 1000, timeout: 0.5, retries: 2, backoff: 0.01, "
                                            "max_retry_after: 0.05}")
        results = harvest_many(store, config, ["flaky", "stalled", "healthy"])

    by_source = {r.source_id: r for r in results}
    assert [r.source_id for r in results] == ["flaky", "stalled", "healthy"]
    flaky_job = store.job(by_source["flaky"].job_id)
    assert flaky_job["status"] == "succeeded" and flaky_job["new"] == 23 and flaky_job["retries"] == 2
    assert [e.split(": ", 1)[1] for e in flaky_job["events"] if "retry" in e] == [
        "HTTP 500, retry 1 in " + flaky_job["events"][0].rsplit(" in ", 1)[1],
        "HTTP 429, retry 2 in 0.1s",  # Retry-After: 1, capped by max_retry_after in this test
    ]
    assert "package_search" in flaky_job["events"][0]
    stalled_job = store.job(by_source["stalled"].job_id)
    assert stalled_job["status"] == "failed" and "no answer in time" in stalled_job["error"]
    assert stalled_job["retries"] == 2 and stalled_job["requests"] == 3  # status_show, tried 3 times then given up
    assert by_source["healthy"].status == "succeeded" and by_source["healthy"].counts.new == 23


def test_at_most_n_harvests_at_once_and_all_done(fixtures: Path, server: PortalServer, store: Store) -> None:
    urls = {f"s{i}": server.mount(f"/s{i}", Slow(recorded_ckan(fixtures), 0.02)) for i in range(4)}
    config = ckan_config(urls, max_concurrent_harvests=2)
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:
        with sqlite3.connect(store.path, timeout=30) as db:
            while not done.is_set():
                seen.append(db.execute("SELECT COUNT(*) FROM harvest_locks").fetchone()[0])
                time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        results = harvest_many(store, config, list(urls))
    finally:
        done.set()
        watcher.join()

    assert [r.status for r in results] == ["succeeded"] * 4
    assert max(seen) == 2  # two at a time, never more
    assert len({r.job_id for r in results}) == 4


def test_a_source_is_never_harvested_twice_at_the_same_time(fixtures: Path, server: PortalServer,
                                                            store: Store) -> None:
    slow = Slow(recorded_ckan(fixtures, copies=2), 0.1)  # about a second of harvest to be caught in
    config = ckan_config({"slow": server.mount("/slow", slow)}, max_concurrent_harvests=4)
    first: list = []
    thread = threading.Thread(target=lambda: first.extend(harvest_many(store, config, ["slow"])))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while store.harvest_lock("slow") is None:
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.01)
        second = harvest_many(store, config, ["slow", "slow"])  # asked twice in one call, and while running
    finally:
        thread.join()

    assert len(second) == 1 and second[0].status == "skipped"
    assert f"is being harvested by job {first[0].job_id}" in second[0].error
    assert first[0].status == "succeeded"
    assert [j["status"] for j in store.jobs("slow")] == ["succeeded"]  # the refused attempt opened no job


def test_a_stopped_harvest_keeps_what_it_fetched_and_is_marked_interrupted(fixtures: Path, server: PortalServer,
                                                                          store: Store) -> None:
    """Ctrl-C or a server shutdown sets ``stop``: the job ends at the next record, not at the end of the source."""
    portal = recorded_ckan(fixtures, copies=3)  # 69 packages
    config = ckan_config({"slow": server.mount("/slow", Slow(portal, 0.05))}, page_size=5)
    stop = threading.Event()
    results: list = []
    thread = threading.Thread(target=lambda: results.append(
        run_harvest(store, config.source("slow"), config, batch_size=5, stop=stop, index_after=False)))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while store.count(source_id="slow") < 10:
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join()

    [result] = results
    assert result.status == "interrupted" and "stopped" in result.error
    kept = store.count(source_id="slow")
    assert 10 <= kept < len(portal.packages) and kept == result.counts.new  # what was fetched is stored
    assert store.job(result.job_id)["status"] == "interrupted" and store.harvest_lock("slow") is None
    assert store.source("slow")["last_success"] is None  # the next job is a full sweep again


# -- the harvest lock across processes ------------------------------------------------------------------------------

TAKE_LOCK = """
import os, sys, time
from pathlib import Path
from index.store import HarvestLockedError, Store
store = Store(sys.argv[1])
while not Path(sys.argv[2]).exists():
    time.sleep(0.001)
try:
    job = store.start_job("shared", "full")
except HarvestLockedError:
    print("locked", flush=True)
else:
    print("won", job, flush=True)
    if sys.argv[3] == "hold":
        time.sleep(60)
"""


def take_lock(db: Path, go: Path, then: str = "hold") -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", TAKE_LOCK, str(db), str(go), then], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_processes_racing_for_a_source_take_its_lock_once(store: Store, tmp_path: Path) -> None:
    go = tmp_path / "go"
    children = [take_lock(store.path, go) for _ in range(4)]
    try:
        time.sleep(1.0)  # let them all start and wait on the go file (only for a fair race: not asserted upon)
        go.touch()
        answers = [child.stdout.readline().split()[0] for child in children]
    finally:
        for child in children:
            child.kill()
            child.wait()
    assert sorted(answers) == ["locked", "locked", "locked", "won"]


def test_the_lock_of_a_dead_process_is_taken_over_and_its_job_marked_interrupted(store: Store,
                                                                                  tmp_path: Path) -> None:
    go = tmp_path / "go"
    go.touch()
    child = take_lock(store.path, go, then="exit")
    job = int(child.stdout.readline().split()[1])
    # not reaped yet: a zombie still has its pid, and must count as dead
    deadline = time.monotonic() + 30
    while Path(f"/proc/{child.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    try:
        taken = store.start_job("shared", "full")
    finally:
        child.wait()

    assert taken != job
    old = store.job(job)
    assert old["status"] == "interrupted" and f"process {child.pid} ended before the job finished" in old["error"]
    assert store.harvest_lock("shared")["job_id"] == taken


def test_a_live_holder_keeps_its_lock_and_harvest_many_reports_it(fixtures: Path, server: PortalServer,
                                                                  store: Store, tmp_path: Path) -> None:
    go = tmp_path / "go"
    go.touch()
    child = take_lock(store.path, go, then="hold")
    try:
        job = int(child.stdout.readline().split()[1])
        with pytest.raises(HarvestLockedError, match=f"job {job} \\(pid {child.pid}\\)"):
            store.start_job("shared", "full")
        config = ckan_config({"shared": server.mount("/ckan", recorded_ckan(fixtures))})
        [result] = harvest_many(store, config, ["shared"])
        assert result.status == "skipped" and f"job {job}" in result.error and server.hits == []
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    # its holder gone, the next harvest takes the lock over (harvest_many releases stale locks first)
    [result] = harvest_many(store, config, ["shared"])
    assert result.status == "succeeded"
    assert store.job(job)["status"] == "interrupted"


def test_a_lock_whose_pid_now_belongs_to_another_process_is_stale(store: Store) -> None:
    job = store.start_job("shared", "full")
    other = subprocess.Popen(["sleep", "60"])  # a process started after the lock was taken, with a live pid
    try:
        an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
        with store.transaction() as db:  # as if the holder died an hour ago and its pid was given to `other`
            db.execute("UPDATE harvest_locks SET pid = ?, acquired_at = ? WHERE job_id = ?",
                       (other.pid, an_hour_ago, job))
        assert store.release_stale_locks() == 1
    finally:
        other.kill()
        other.wait()
    assert "its pid now belongs to another process" in store.job(job)["error"]


def test_a_lock_held_on_another_host_is_respected(store: Store) -> None:
    job = store.start_job("shared", "full")
    with store.transaction() as db:
        db.execute("UPDATE harvest_locks SET host = 'harvester-2', pid = 1 WHERE job_id = ?", (job,))
    assert store.release_stale_locks() == 0
    with pytest.raises(HarvestLockedError):
        store.start_job("shared", "full")


# -- the job log ----------------------------------------------------------------------------------------------------


def test_the_job_log_records_counts_errors_requests_bytes_and_duration(fixtures: Path, server: PortalServer,
                                                                       store: Store) -> None:
    portal = recorded_ckan(fixtures)
    config = ckan_config({"portal": server.mount("/ckan", portal)}, page_size=100)
    harvest_many(store, config, ["portal"], mode="full")
    portal.update(portal.packages[0]["id"], title="Nouveau titre")
    portal.update(portal.packages[1]["id"], title="", name="")  # neither title nor name: the normaliser refuses it
    portal.delete(portal.packages[2]["id"])
    portal.inject({"name": "sans-identifiant", "title": "Sans id"})  # the harvester refuses it (page-level)
    progress: list[tuple[str, int]] = []

    [result] = harvest_many(store, config, ["portal"], mode="full", progress=lambda s, n: progress.append((s, n)))

    job = store.job(result.job_id)
    assert job["status"] == "partial"  # a record failed, and the page-level error leaves the sweep incomplete
    assert (job["new"], job["updated"], job["unchanged"], job["failed"]) == (0, 1, 20, 2)
    assert job["withdrawn"] == 0  # incomplete sweep: the deleted package is not withdrawn
    assert job["requests"] == result.requests > 0 and job["bytes"] == result.bytes > 10_000
    assert job["duration"] > 0 and job["finished_at"] >= job["started_at"]
    reasons = {(e["native_id"], e["reason"]) for e in job["errors"]}
    assert any(native == portal.packages[1]["id"] and "neither a title" in reason for native, reason in reasons)
    assert any(native is None and "has no id" in reason for native, reason in reasons)
    assert progress[-1] == ("portal", 21)
