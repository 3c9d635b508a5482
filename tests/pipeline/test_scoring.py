"""When records are scored and validated: changed records first, SHACL within a budget, the rest caught up later in
record-id order, verdicts reused while the content is the same, a validation failure isolated to its record."""

from __future__ import annotations

import threading

import pytest
from apscheduler.triggers.cron import CronTrigger

from demo.server import PortalServer, Request, Response
from index.quality import LinkVerdicts, quality_of
from index.store import JobCounts, Store
from normalise.model import Agent, ContactPoint, Dataset, Distribution
from pipeline import scoring
from pipeline.scheduler import LINK_CHECK_CRON, LINKS_JOB, TABLE, Scheduler, _run_link_checks
from pipeline.scoring import check_links, score_records
from scoring.links import LinkChecker
from tests.conftest import make_config

FT = "http://publications.europa.eu/resource/authority/file-type/"


def _record(n: int, **fields) -> Dataset:
    return Dataset(id=f"p.{n:02d}", source_id="p", native_id=str(n), title=f"Jeu {n}", **fields)


def _fill(store: Store, records: list[Dataset]) -> None:
    with store.transaction():
        job = store.start_job("p", "full")
        for record in records:
            store.upsert_entry(record, record.native_id, job)
        store.finish_job(job, "succeeded", JobCounts())


def _validated(store: Store) -> list[str]:
    return [r[0] for r in store.db.execute(
        "SELECT record_id FROM quality WHERE shacl_conforms IS NOT NULL ORDER BY record_id")]


def test_budget_validates_in_record_order_and_later_runs_catch_up(store: Store) -> None:
    _fill(store, [_record(n) for n in range(5)])
    first = score_records(store, source_id="p", shacl_budget=2)
    assert (first.scored, first.validated, first.not_validated) == (5, 2, 3)
    assert _validated(store) == ["p.00", "p.01"]
    waiting = quality_of(store, "p.04")
    compliance = next(i for i in waiting["indicators"] if i["key"] == "dcat_ap_compliance")
    assert (compliance["points"], compliance["checked"], compliance["status"]) == (0, False, "not validated")
    assert waiting["shacl"]["validated"] is False and waiting["shacl"]["summary"].startswith("not validated yet")
    second = score_records(store, source_id="p", shacl_budget=2)  # nothing changed: catch-up only
    assert (second.scored, second.validated) == (2, 2) and _validated(store) == ["p.00", "p.01", "p.02", "p.03"]
    third = score_records(store, source_id="p", shacl_budget=2)
    assert (third.scored, third.validated) == (1, 1)
    assert score_records(store, source_id="p", shacl_budget=2).scored == 0  # all done: nothing to do


def test_verdict_reused_while_unchanged_and_redone_when_content_changes(store: Store) -> None:
    _fill(store, [_record(1), _record(2)])
    assert score_records(store, source_id="p", shacl_budget=None).validated == 2
    assert quality_of(store, "p.01")["shacl"]["conforms"] is False  # no description
    rescored = score_records(store, source_id="p", only_stale=False, shacl_budget=None)
    assert (rescored.scored, rescored.validated) == (2, 0)  # rescored, the stored verdicts reused
    _fill(store, [_record(1, description="Une description.", publisher=Agent(name="P"),
                          contact_points=[ContactPoint(email="a@p.fr")],
                          distributions=[Distribution(download_url="https://p.fr/a.csv", format=FT + "CSV")])])
    without = score_records(store, source_id="p", shacl_budget=0)
    assert (without.scored, without.validated, without.not_validated) == (1, 0, 1)
    assert quality_of(store, "p.01")["shacl"]["validated"] is False  # the old verdict was for the old content
    again = score_records(store, source_id="p", shacl_budget=None)
    assert (again.scored, again.validated) == (1, 1)
    assert quality_of(store, "p.01")["shacl"]["conforms"] is True


def test_a_record_pyshacl_cannot_validate_is_left_not_validated(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from scoring import shacl

    real = shacl.validate_entries

    def batch(entries, base=None):
        raise RuntimeError("pyshacl crashed")

    def single(entry, base=None):
        if entry.id == "p.02":
            raise RuntimeError("pyshacl crashed on this one")
        return real([entry], base)[entry.id]

    monkeypatch.setattr(shacl, "validate_entries", batch)
    monkeypatch.setattr(shacl, "validate_entry", single)
    _fill(store, [_record(n) for n in range(1, 4)])
    run = score_records(store, source_id="p", shacl_budget=None)
    assert (run.scored, run.validated, run.not_validated) == (3, 2, 1)
    assert _validated(store) == ["p.01", "p.03"]


def test_scoring_is_paged(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scoring, "PAGE", 3)
    _fill(store, [_record(n) for n in range(8)])
    run = score_records(store, source_id="p", shacl=False)
    assert (run.scored, run.validated, run.not_validated) == (8, 0, 8)
    assert store.db.execute("SELECT count(*) FROM quality").fetchone()[0] == 8


def _links_app(request: Request) -> Response:
    return Response(200, b"a,b\n") if request.path.endswith("/ok") else Response(404, b"gone")


def test_link_checks_are_chunked_and_stop_when_asked(server: PortalServer, store: Store,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    base = server.mount("/f", _links_app)
    monkeypatch.setattr(scoring, "LINK_CHUNK", 2)
    dists = [Distribution(access_url=f"{base}/{n}/ok", download_url=f"{base}/{n}/gone") for n in range(3)]
    _fill(store, [_record(1, distributions=dists)])
    checker = LinkChecker(timeout=2, allow_private=True, per_host_rps=1000)
    stop = threading.Event()
    stop.set()
    assert check_links(store, checker, stop=stop) == 0 and server.hits == []
    assert check_links(store, checker) == 6  # three chunks of two
    detail = quality_of(store, "p.01")
    by_key = {i["key"]: i for i in detail["indicators"]}
    assert by_key["access_url_reachable"]["status"] == "met"
    assert by_key["download_url_reachable"]["status"] == "missed"
    assert {link["reason"] for link in detail["links"]} == {"ok", "HTTP 404"}
    assert check_links(store, checker) == 0  # checked once per interval


def test_scheduler_runs_link_checks_nightly_apart_from_harvests(server: PortalServer, store: Store) -> None:
    base = server.mount("/f", _links_app)
    _fill(store, [_record(1, distributions=[Distribution(access_url=f"{base}/ok", download_url=f"{base}/gone")])])
    scheduler = Scheduler(store, make_config("- {id: p, type: ckan, url: 'http://127.0.0.1:9/p'}"))
    scheduler.start()
    try:
        job = scheduler._scheduler.get_job(LINKS_JOB)
        assert job is not None and job.executor == "links"  # its own thread: never a harvest's slot
        assert str(job.trigger) == str(CronTrigger.from_crontab(LINK_CHECK_CRON, timezone=job.trigger.timezone))
        _run_link_checks()  # what the job runs at 02:30
    finally:
        scheduler.shutdown()
    statuses = LinkVerdicts(store).statuses([f"{base}/ok", f"{base}/gone"])
    assert statuses[f"{base}/ok"].ok is True and statuses[f"{base}/gone"].status == 404
    stored = {row[0] for row in store.db.execute(f"SELECT id FROM {TABLE}")}
    assert stored == {"harvest:p"}  # the harvest schedule is persisted; the fixed nightly link pass is not
