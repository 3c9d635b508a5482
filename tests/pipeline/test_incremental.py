"""Acceptance 1: after 2 of N records change at the source, an incremental harvest asks only for what changed (fewer
requests than a full one) and updates exactly those 2; a full sweep, when due, still detects deletions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from demo.portals.static import StaticFiles
from demo.server import PortalServer
from index.store import Store
from normalise.model import entry_id
from pipeline.harvest import run_harvest
from tests.conftest import make_config
from tests.pipeline.portals import ckan_config, recorded_ckan


def versions(store: Store, source_id: str) -> dict[str, int]:
    return {row["native_id"]: row["version"] for row in store.db.execute(
        "SELECT native_id, version FROM records WHERE source_id = ?", (source_id,))}


def test_incremental_harvest_fetches_and_updates_only_the_two_changed_records(
        fixtures: Path, server: PortalServer, store: Store) -> None:
    portal = recorded_ckan(fixtures, copies=2)  # 46 packages, 5 pages of 10
    config = ckan_config({"portal": server.mount("/ckan", portal)})
    source = config.source("portal")

    full = run_harvest(store, source, config, index_after=False)
    full_hits = len(server.hits)
    n = len(portal.packages)
    assert full.mode == "full" and full.status == "succeeded" and full.counts.new == n == 46

    first, second = portal.packages[7]["id"], portal.packages[31]["id"]
    portal.update(first, title="Parkings de Gap (mis à jour)")
    portal.update(second, notes="Nouvelle description, plus complète.")
    incremental = run_harvest(store, source, config, index_after=False)
    incremental_hits = len(server.hits) - full_hits

    assert incremental.mode == "incremental" and incremental.status == "succeeded"
    assert incremental.requests < full.requests and incremental_hits < full_hits
    assert (incremental.counts.updated, incremental.counts.new, incremental.counts.unchanged) == (2, 0, 0)
    assert incremental.counts.withdrawn == 0
    searches = [call for call in portal.calls if call.action == "package_search"]
    assert searches[-1].params["fq"].startswith("metadata_modified:[")  # the source was asked only for changes
    changed = {native: v for native, v in versions(store, "portal").items() if v > 1}
    assert changed == {first: 2, second: 2}  # exactly those two have a new version; the 44 others are untouched
    assert store.entry(entry_id("portal", first))[0].title == "Parkings de Gap (mis à jour)"
    job = store.jobs("portal", limit=1)[0]
    assert (job["mode"], job["updated"], job["new"], job["requests"]) == ("incremental", 2, 0, incremental.requests)


def test_nothing_changed_means_nothing_fetched_nor_rewritten(fixtures: Path, server: PortalServer,
                                                             store: Store) -> None:
    portal = recorded_ckan(fixtures)
    config = ckan_config({"portal": server.mount("/ckan", portal)})
    run_harvest(store, config.source("portal"), config, index_after=False)

    again = run_harvest(store, config.source("portal"), config, index_after=False)

    assert again.mode == "incremental"
    assert again.counts.new + again.counts.updated + again.counts.unchanged == 0
    assert set(versions(store, "portal").values()) == {1}


def test_deletions_are_missed_by_incremental_harvests_and_caught_by_the_full_sweep_when_due(
        fixtures: Path, server: PortalServer, store: Store) -> None:
    portal = recorded_ckan(fixtures)
    config = ckan_config({"portal": server.mount("/ckan", portal)}, full_sweep_days=7)
    source = config.source("portal")
    run_harvest(store, source, config, index_after=False)
    gone = portal.packages[2]["id"]
    portal.delete(gone)

    incremental = run_harvest(store, source, config, index_after=False)
    assert incremental.mode == "incremental" and incremental.counts.withdrawn == 0
    assert store.entry(entry_id("portal", gone))[1]["status"] == "active"

    # eight days later (the last full sweep is moved back rather than the clock forward): a full sweep is due
    week_ago = (datetime.now(UTC) - timedelta(days=8)).isoformat(timespec="seconds")
    with store.transaction() as db:
        db.execute("UPDATE sources SET last_full_sweep = ? WHERE id = 'portal'", (week_ago,))
    sweep = run_harvest(store, source, config, index_after=False)

    assert sweep.mode == "full" and sweep.status == "succeeded"
    assert sweep.counts.withdrawn == 1 and sweep.counts.unchanged == len(portal.packages)
    assert store.entry(entry_id("portal", gone))[1]["status"] == "withdrawn"
    assert store.source("portal")["last_full_sweep"] > week_ago


def test_an_incomplete_sweep_does_not_move_the_incremental_starting_point(
        fixtures: Path, server: PortalServer, store: Store) -> None:
    """A page lost in a sweep must be asked for again by the next incremental job, not skipped until the next
    full sweep: only complete jobs move ``last_success``."""
    portal = recorded_ckan(fixtures)
    config = ckan_config({"portal": server.mount("/ckan", portal)})
    source = config.source("portal")
    run_harvest(store, source, config, index_after=False)
    before = store.source("portal")["last_success"]
    portal.fail_when = lambda action, params: (500 if action == "package_search" and int(params.get("start", 0))
                                               else None)
    portal.update(portal.packages[0]["id"], title="changed")
    for package in portal.packages[1:12]:  # more changes than one page holds: the second page fails
        portal.update(package["id"], notes="changed")

    partial = run_harvest(store, source, config, index_after=False)

    assert partial.status == "partial" and partial.counts.updated == 10
    assert store.source("portal")["last_success"] == before


def test_an_unchanged_dcat_catalog_is_not_downloaded_again_and_its_records_stay(
        fixtures: Path, server: PortalServer, store: Store) -> None:
    """DCAT has no "changed since" filter: a conditional GET answered 304 stands for every record of the catalog,
    which are counted unchanged and not withdrawn by the full sweep."""
    catalog = (fixtures / "dcat" / "udata_data.gouv.fr_org_catalog.rdf.xml").read_bytes()
    files = StaticFiles({"/catalog.rdf": catalog})
    url = server.mount("/dcat", files) + "/catalog.rdf"
    config = make_config(f'- {{id: vanves, type: dcat, url: "{url}"}}', http="{per_host_rps: 1000}")
    source = config.source("vanves")

    first = run_harvest(store, source, config, index_after=False)
    again = run_harvest(store, source, config, index_after=False)

    assert (first.mode, first.counts.new) == ("full", 3)
    assert [hit.status for hit in server.hits] == [200, 304]
    assert again.status == "succeeded" and again.bytes == 0
    assert (again.counts.unchanged, again.counts.withdrawn, again.counts.updated) == (3, 0, 0)
    assert store.count(source_id="vanves") == 3

    files.put("/catalog.rdf", catalog.replace(b"Bureaux de vote - Vanves", b"Bureaux de vote de Vanves"))
    edited = run_harvest(store, source, config, index_after=False)

    assert server.hits[-1].status == 200
    assert (edited.counts.updated, edited.counts.unchanged, edited.counts.withdrawn) == (1, 2, 0)
