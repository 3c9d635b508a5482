"""Acceptance 4: a harvest killed with SIGKILL in the middle of a source, then run again, leaves the same store as an
uninterrupted run: same records with the same content and status, same raw records, nothing duplicated or lost. The
killed job is marked interrupted and its lock is taken over."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from demo.server import PortalServer
from index import open_index
from index.store import Store
from kernel.config import load_config
from pipeline.harvest import run_harvest
from tests.conftest import ROOT
from tests.pipeline.portals import FAST_HTTP, Slow, recorded_ckan

BATCH = 5  # records per commit in these runs, so a kill lands after some batches and inside another
PAGE = 7  # packages per package_search page: batches straddle pages

CHILD = """
import sys
from kernel.config import load_config
from index.store import Store
from pipeline.harvest import run_harvest
config = load_config(sys.argv[2])
run_harvest(Store(sys.argv[1]), config.sources[0], config, mode="full", batch_size=int(sys.argv[3]))
"""


def snapshot(db: Path) -> dict[str, object]:
    """What must be equal between the two stores (job ids and times aside)."""
    with sqlite3.connect(db) as conn:
        def rows(sql: str) -> list[tuple]:
            return sorted(conn.execute(sql).fetchall())

        return {
            "records": rows("SELECT id, native_id, hash, status, version FROM records"),
            "raw": rows("SELECT source_id, native_id, hash, profile, url FROM raw_records"),
            "versions": rows("SELECT record_id, version, change, hash FROM record_versions"),
            "counts": conn.execute("SELECT COUNT(*), COUNT(DISTINCT id), COUNT(DISTINCT source_id || native_id) "
                                   "FROM records").fetchone(),
        }


def committed(db: Path) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]


def job_started(db: Path) -> bool:
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute("SELECT COUNT(*) FROM harvest_locks").fetchone()[0] == 1


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kill_after", [0, 2 * BATCH, 7 * BATCH], ids=["as-soon-as-started", "after-2-batches",
                                                                        "after-7-batches"])
def test_sigkill_in_the_middle_then_rerun_gives_the_store_of_an_uninterrupted_run(
        fixtures: Path, server: PortalServer, tmp_path: Path, kill_after: int) -> None:
    portal = recorded_ckan(fixtures, copies=3)  # 69 packages, 10 pages
    slow = Slow(portal, delay=0.0)
    url = server.mount("/ckan", slow)
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"settings:\n  allow_private_networks: true\n  http: {FAST_HTTP}\nsources:\n"
                       f'  - {{id: portal, type: ckan, url: "{url}", options: {{page_size: {PAGE}}}}}\n')
    config = load_config(sources)
    source = config.source("portal")

    reference = Store(tmp_path / "reference.db")
    assert run_harvest(reference, source, config, mode="full", batch_size=BATCH).status == "succeeded"
    reference.close()

    db = tmp_path / "crashed.db"
    Store(db).close()
    slow.delay = 0.1  # slow enough to be caught in the middle
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(sources), str(BATCH)], cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        while not (job_started(db) and committed(db) >= kill_after):
            assert child.poll() is None, "the harvest ended before it could be killed"
            time.sleep(0.01)
        assert child.poll() is None
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    kept = committed(db)
    assert kept >= kill_after and kept % BATCH == 0 and kept < len(portal.packages)  # whole batches only

    slow.delay = 0.0
    store = Store(db)
    killed = store.jobs("portal")[0]
    assert (killed["status"], killed["pid"]) == ("running", child.pid)
    rerun = run_harvest(store, source, config, batch_size=BATCH)

    assert rerun.status == "succeeded" and rerun.mode == "full"  # the killed job never completed a sweep
    assert (rerun.counts.new, rerun.counts.unchanged) == (len(portal.packages) - kept, kept)
    killed = store.job(killed["id"])
    assert killed["status"] == "interrupted" and f"process {child.pid} ended" in killed["error"]
    assert store.db.execute("SELECT COUNT(*) FROM harvest_locks").fetchone()[0] == 0
    assert snapshot(db) == snapshot(tmp_path / "reference.db")
    assert snapshot(db)["counts"] == (len(portal.packages),) * 3
    assert open_index(store).count() == len(portal.packages)  # the index caught up too
