"""POST /api/admin/harvest/{source_id}: closed without MOISSON_ADMIN_TOKEN, 401 without the right token, else a
harvest started in the background (by the running scheduler when there is one) that shows up in the job log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from demo.server import PortalServer
from index.store import JobCounts, Store
from kernel.config import load_config
from pipeline.scheduler import Scheduler
from tests.pipeline.portals import FAST_HTTP, Slow, recorded_ckan

TOKEN = "s3cret-admin-token"


@pytest.fixture
def api(fixtures: Path, server: PortalServer, store: Store, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The API over a store, with a sources file (MOISSON_CONFIG) naming a slow CKAN portal and a disabled one."""
    url = server.mount("/ckan", Slow(recorded_ckan(fixtures), 0.02))
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"settings:\n  allow_private_networks: true\n  http: {FAST_HTTP}\nsources:\n"
                       f'  - {{id: gap, type: ckan, url: "{url}"}}\n'
                       f'  - {{id: dormant, type: ckan, url: "{url}", enabled: false}}\n')
    monkeypatch.setenv("MOISSON_CONFIG", str(sources))
    monkeypatch.setenv("MOISSON_ADMIN_TOKEN", TOKEN)
    with TestClient(create_app(store.path)) as client:
        yield client


def finished_jobs(store: Store, source_id: str, count: int = 1) -> list[dict]:
    deadline = time.monotonic() + 30
    while True:
        jobs = [j for j in store.jobs(source_id) if j["status"] != "running"]
        if len(jobs) >= count:
            return jobs
        assert time.monotonic() < deadline, "the harvest did not finish"
        time.sleep(0.02)


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_without_the_right_token_it_is_401(api: TestClient, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = api.post("/api/admin/harvest/gap")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert "MOISSON_ADMIN_TOKEN" in missing.json()["detail"]
    assert api.post("/api/admin/harvest/gap", headers=auth("wrong")).status_code == 401
    assert api.post("/api/admin/harvest/gap", headers={"Authorization": TOKEN}).status_code == 401  # no scheme
    monkeypatch.delenv("MOISSON_ADMIN_TOKEN")
    assert api.post("/api/admin/harvest/gap", headers=auth()).status_code == 401  # unset: closed to everyone
    assert store.jobs() == []


def test_a_harvest_starts_in_the_background_and_lands_in_the_job_log(api: TestClient, store: Store) -> None:
    response = api.post("/api/admin/harvest/gap", params={"mode": "full"}, headers=auth())

    assert response.status_code == 202
    assert response.json() == {"source": "gap", "mode": "full", "status": "started", "via": "thread",
                               "jobs": "/api/sources/gap/jobs"}
    [job] = finished_jobs(store, "gap")
    assert (job["mode"], job["status"], job["new"]) == ("full", "succeeded", 23)
    assert api.get("/api/sources/gap/jobs").json()[0]["id"] == job["id"]


def test_a_source_being_harvested_unknown_or_disabled_is_refused(api: TestClient, store: Store) -> None:
    assert api.post("/api/admin/harvest/nope", headers=auth()).status_code == 404
    assert api.post("/api/admin/harvest/dormant", headers=auth()).status_code == 409
    job = store.start_job("gap", "full")  # a harvest running in this process
    try:
        busy = api.post("/api/admin/harvest/gap", headers=auth())
        assert busy.status_code == 409 and f"job {job}" in busy.json()["detail"]
    finally:
        store.finish_job(job, "failed", JobCounts())
    assert [j["id"] for j in store.jobs("gap")] == [job]


def test_with_a_running_scheduler_the_harvest_goes_through_it(api: TestClient, store: Store) -> None:
    scheduler = Scheduler(store, load_config())
    scheduler.start()
    try:
        response = api.post("/api/admin/harvest/gap", headers=auth())
        assert response.status_code == 202 and response.json()["via"] == "scheduler"
        [job] = finished_jobs(store, "gap")
    finally:
        scheduler.shutdown(wait=True)
    assert job["status"] == "succeeded" and job["mode"] == "full"
