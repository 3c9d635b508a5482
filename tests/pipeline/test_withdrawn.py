"""Acceptance 2: a record removed at the source is withdrawn after the next full sweep, leaves the search results,
keeps its history, and comes back if the source restores it. A failed or incomplete harvest withdraws nothing."""

from __future__ import annotations

import copy
from pathlib import Path

from demo.server import PortalServer
from index import open_index
from index.search import SearchQuery
from index.store import Store
from normalise.model import entry_id
from pipeline.harvest import run_harvest
from tests.pipeline.portals import ckan_config, recorded_ckan


def search_ids(store: Store, q: str = "") -> set[str]:
    # every record, not one per dataset: the cloned packages of recorded_ckan(copies=2) keep their originals'
    # identifiers, so they are clustered with them (issue 14)
    result = open_index(store).search(SearchQuery(q=q, page_size=100, facets=(), collapse=False))
    return {hit["id"] for hit in result.hits}


def test_removed_at_the_source_withdrawn_then_restored(fixtures: Path, server: PortalServer, store: Store) -> None:
    portal = recorded_ckan(fixtures)
    config = ckan_config({"portal": server.mount("/ckan", portal)})
    source = config.source("portal")
    run_harvest(store, source, config, mode="full")
    victim = copy.deepcopy(next(p for p in portal.packages if p["name"] == "parkings-ville-de-gap"))
    record_id = entry_id("portal", victim["id"])
    everything = search_ids(store)
    assert len(everything) == len(portal.packages) and record_id in everything
    bands = open_index(store).search(SearchQuery(page_size=0, facets=("quality_band",))).facets["quality_band"]
    assert sum(b.count for b in bands) == len(portal.packages)  # scored after the harvest, before indexing
    assert record_id in search_ids(store, "parkings Gap")

    portal.delete(victim["id"])
    sweep = run_harvest(store, source, config, mode="full")

    assert sweep.status == "succeeded" and sweep.counts.withdrawn == 1
    entry, meta = store.entry(record_id)
    assert meta["status"] == "withdrawn" and meta["withdrawn_at"] and entry.title == victim["title"]  # kept
    assert store.count(source_id="portal") == len(portal.packages)
    assert search_ids(store) == everything - {record_id}  # gone from search
    assert record_id not in search_ids(store, "parkings Gap")
    assert [(v["version"], v["change"]) for v in store.history(record_id)] == [(1, "new"), (2, "withdrawn")]
    assert store.jobs("portal", limit=1)[0]["withdrawn"] == 1

    again = run_harvest(store, source, config, mode="full")  # still gone: nothing more happens
    assert again.counts.withdrawn == 0 and len(store.history(record_id)) == 2

    portal.put(victim)  # the source publishes it again
    back = run_harvest(store, source, config)  # incremental: the restored package is newly modified

    assert back.mode == "incremental" and back.counts.restored == 1
    assert store.entry(record_id)[1]["status"] == "active" and store.entry(record_id)[1]["withdrawn_at"] is None
    assert search_ids(store) == everything
    history = store.history(record_id)
    assert [(v["version"], v["change"]) for v in history] == [(1, "new"), (2, "withdrawn"), (3, "restored")]
    assert [v["job_id"] for v in history] == [j["id"] for j in reversed(store.jobs("portal"))
                                             if j["new"] or j["withdrawn"] or j["restored"]]


def test_a_failed_harvest_keeps_the_previous_records(fixtures: Path, server: PortalServer, store: Store) -> None:
    portal = recorded_ckan(fixtures)
    config = ckan_config({"portal": server.mount("/ckan", portal)})
    source = config.source("portal")
    run_harvest(store, source, config, mode="full")
    before = search_ids(store)
    portal.fail_when = lambda action, params: 503  # the whole portal is down

    failed = run_harvest(store, source, config, mode="full")

    assert failed.status == "failed" and "HTTP 503" in (failed.error or "")
    assert store.count(source_id="portal") == len(portal.packages)
    assert store.count(status="withdrawn") == 0
    assert search_ids(store) == before
    assert store.source("portal")["last_full_sweep"] == store.jobs("portal")[1]["started_at"]  # the good one


def test_an_incomplete_full_sweep_withdraws_nothing(fixtures: Path, server: PortalServer, store: Store) -> None:
    portal = recorded_ckan(fixtures)
    config = ckan_config({"portal": server.mount("/ckan", portal)}, page_size=5)
    source = config.source("portal")
    run_harvest(store, source, config, mode="full")
    portal.delete(portal.packages[0]["id"])
    portal.fail_when = lambda action, params: (500 if action == "package_search" and params.get("start") == "10"
                                               else None)

    partial = run_harvest(store, source, config, mode="full")

    assert partial.status == "partial" and partial.counts.withdrawn == 0
    assert any(e.native_id is None and "start=10" in e.reason for e in partial.errors)
    assert store.count(status="withdrawn") == 0
    assert store.count(source_id="portal") == len(portal.packages) + 1


def test_a_record_unreadable_this_time_keeps_its_last_good_version(fixtures: Path, server: PortalServer,
                                                                   store: Store) -> None:
    """Still at the source, but refused by the normaliser this time: reported on the job, not withdrawn; while a
    package really gone in the same (complete) sweep is withdrawn."""
    portal = recorded_ckan(fixtures)
    config = ckan_config({"portal": server.mount("/ckan", portal)})
    source = config.source("portal")
    run_harvest(store, source, config, mode="full", index_after=False)
    broken, gone = portal.packages[0]["id"], portal.packages[1]["id"]
    portal.update(broken, title="", name="", title_translated=None)  # no title at all: the normaliser refuses it
    portal.delete(gone)

    sweep = run_harvest(store, source, config, mode="full", index_after=False)

    assert sweep.status == "partial" and (sweep.counts.failed, sweep.counts.withdrawn) == (1, 1)
    assert [e.native_id for e in sweep.errors] == [broken]
    kept = store.entry(entry_id("portal", broken))[1]
    assert (kept["status"], kept["version"]) == ("active", 1)  # the last good version, untouched
    assert store.entry(entry_id("portal", gone))[1]["status"] == "withdrawn"


def test_a_listing_that_suddenly_lost_most_records_withdraws_none(fixtures: Path, server: PortalServer,
                                                                   store: Store) -> None:
    """A portal whose search index broke answers with almost nothing: moisson must not empty itself."""
    portal = recorded_ckan(fixtures, copies=2)
    url = server.mount("/ckan", portal)
    config = ckan_config({"portal": url})
    source = config.source("portal")
    run_harvest(store, source, config, mode="full")
    total = store.count(source_id="portal")
    assert total >= 10
    for package in list(portal.packages)[: total - 2]:
        portal.delete(package["id"])

    sweep = run_harvest(store, source, config, mode="full")

    assert sweep.status == "partial" and sweep.counts.withdrawn == 0
    assert "looks like a broken listing" in (sweep.error or "") and "max_withdraw_share" in sweep.error
    assert store.count(source_id="portal") == total  # nothing withdrawn
    assert len(search_ids(store)) == total

    lenient = ckan_config({"portal": url}, max_withdraw_share=1)
    sweep = run_harvest(store, lenient.source("portal"), lenient, mode="full")
    assert sweep.status == "succeeded" and sweep.counts.withdrawn == total - 2  # the operator said so
