"""The spine's acceptance, end to end through run_harvest on the CKAN emulator over real HTTP:
harvest -> normalise -> store -> search index, with the job log as the operator sees it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demo.portals.ckan import CkanPortal, load_recordings
from demo.server import PortalServer
from index import close_indexes, open_index
from index.search import SearchQuery
from index.store import Store
from kernel.config import Config
from normalise.model import entry_id
from pipeline.harvest import run_harvest
from tests.conftest import make_config

SOURCE = "ckan-test"
CANISPACES = "cfa98601-185f-4194-bc0f-119fc23a194b"  # DataSud: "Canispaces - Ville de Gap"


@pytest.fixture
def portal(fixtures: Path) -> CkanPortal:
    recordings = load_recordings(sorted(fixtures.glob("ckan/*.json")))
    return CkanPortal(recordings.packages, recordings.organizations)


@pytest.fixture(autouse=True)
def _close_indexes() -> Iterator[None]:
    yield
    close_indexes()  # each test has its own store and index directory


def config_for(url: str, options: str = "{}") -> Config:
    return make_config(f"- {{id: {SOURCE}, type: ckan, url: '{url}', options: {options}}}",
                       http="{timeout: 2, retries: 0, per_host_rps: 1000}")


def harvest(store: Store, url: str, mode: str | None = "full", options: str = "{}") -> Any:
    config = config_for(url, options)
    return run_harvest(store, config.sources[0], config, mode=mode, index_after=True)


def search_ids(store: Store, q: str) -> list[str]:
    return [hit["id"] for hit in open_index(store).search(SearchQuery(q=q, page_size=50)).hits]


def raw_rows(store: Store) -> list[dict[str, Any]]:
    return [dict(r) for r in store.db.execute(
        "SELECT native_id, hash, fetched_at, job_id FROM raw_records WHERE source_id = ? ORDER BY native_id",
        (SOURCE,))]


def test_first_harvest_imports_every_package_and_indexes_it(store: Store, server: PortalServer,
                                                           portal: CkanPortal) -> None:
    result = harvest(store, server.mount("/ckan", portal))
    assert result.status == "succeeded", result.error
    assert (result.counts.new, result.counts.failed) == (23, 0)
    assert store.count(source_id=SOURCE) == 23
    job = store.job(result.job_id)
    assert job is not None and job["status"] == "succeeded" and job["errors"] == []
    assert job["requests"] >= 3  # status_show, organization_list, package_search
    assert entry_id(SOURCE, CANISPACES) in search_ids(store, "canispaces")
    hits = open_index(store).search(SearchQuery(q="déchetteries"))
    assert hits.total >= 1 and any(v.value == SOURCE for v in hits.facets["source"])


def test_a_malformed_record_is_listed_and_all_the_others_imported(store: Store, server: PortalServer,
                                                                   portal: CkanPortal) -> None:
    """Acceptance (a): the job names the record and why, imports the rest, and is partial."""
    portal.inject({"id": "broken-package", "name": "", "title": ["not", "text"], "resources": "not a list",
                   "metadata_modified": "2025-01-01T00:00:00"}, position=5)  # no title, no name: unreadable
    result = harvest(store, server.mount("/ckan", portal))
    assert result.status == "partial"
    assert (result.counts.new, result.counts.failed) == (23, 1)
    job = store.job(result.job_id)
    assert job is not None and job["status"] == "partial" and job["failed"] == 1
    (error,) = job["errors"]
    assert error["native_id"] == "broken-package"
    assert error["url"].endswith("/api/3/action/package_show?id=broken-package")
    assert "neither a title nor a name" in error["reason"]
    assert store.count(source_id=SOURCE) == 23
    assert store.raw(SOURCE, CANISPACES) is not None


def test_an_unreachable_source_fails_and_keeps_its_records(store: Store, server: PortalServer,
                                                             portal: CkanPortal) -> None:
    """Acceptance (b): the same source id pointed at a closed port fails with a clear reason; nothing changes."""
    first = harvest(store, server.mount("/ckan", portal))
    assert first.status == "succeeded"
    before = {row["id"]: (row["status"], row["version"], row["hash"]) for row in store.db.execute(
        "SELECT id, status, version, hash FROM records WHERE source_id = ?", (SOURCE,))}
    raw_before = raw_rows(store)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/ckan"
    result = harvest(store, dead)
    assert result.status == "failed"
    job = store.job(result.job_id)
    assert job is not None and job["status"] == "failed"
    assert job["error"].startswith(f"cannot reach the CKAN portal at {dead}") and "refused" in job["error"]
    after = {row["id"]: (row["status"], row["version"], row["hash"]) for row in store.db.execute(
        "SELECT id, status, version, hash FROM records WHERE source_id = ?", (SOURCE,))}
    assert after == before and len(after) == 23 and {s for s, _, _ in after.values()} == {"active"}
    assert raw_rows(store) == raw_before
    assert entry_id(SOURCE, CANISPACES) in search_ids(store, "canispaces")
    assert (store.source(SOURCE) or {})["last_success"] is not None  # still the first job's


def test_harvesting_an_unchanged_source_twice_rewrites_nothing(store: Store, server: PortalServer,
                                                                 portal: CkanPortal) -> None:
    """Acceptance (c): the second job reports every record unchanged; versions and raw rows stay as they were."""
    url = server.mount("/ckan", portal)
    first = harvest(store, url)
    versions = {row["id"]: (row["version"], row["changed_at"]) for row in store.db.execute(
        "SELECT id, version, changed_at FROM records WHERE source_id = ?", (SOURCE,))}
    raw_before = raw_rows(store)
    history_rows = store.db.execute("SELECT COUNT(*) FROM record_versions").fetchone()[0]
    second = harvest(store, url)
    assert second.status == "succeeded"
    assert (second.counts.new, second.counts.updated, second.counts.unchanged, second.counts.withdrawn) == \
        (0, 0, 23, 0)
    assert versions == {row["id"]: (row["version"], row["changed_at"]) for row in store.db.execute(
        "SELECT id, version, changed_at FROM records WHERE source_id = ?", (SOURCE,))}
    assert raw_rows(store) == raw_before  # same hash, same fetch time, same job: not rewritten
    assert all(row["job_id"] == first.job_id for row in raw_before)
    assert store.db.execute("SELECT COUNT(*) FROM record_versions").fetchone()[0] == history_rows


def test_a_package_removed_at_the_source_is_withdrawn_and_leaves_search(store: Store, server: PortalServer,
                                                                         portal: CkanPortal) -> None:
    """Acceptance (d): after the next full sweep the record is withdrawn (kept, with its history) and unsearchable."""
    url = server.mount("/ckan", portal)
    harvest(store, url)
    record_id = entry_id(SOURCE, CANISPACES)
    assert record_id in search_ids(store, "canispaces")
    package = dict(portal.package(CANISPACES) or {})
    portal.delete(CANISPACES)
    result = harvest(store, url)
    assert result.status == "succeeded"
    assert (result.counts.withdrawn, result.counts.unchanged) == (1, 22)
    stored = store.entry(record_id)
    assert stored is not None and stored[1]["status"] == "withdrawn" and stored[1]["withdrawn_at"]
    assert [h["change"] for h in store.history(record_id)] == ["new", "withdrawn"]
    assert store.count(source_id=SOURCE) == 22
    assert record_id not in search_ids(store, "canispaces")
    # it comes back: restored, searchable again
    portal.put(package, touch=False)
    restored = harvest(store, url)
    assert restored.counts.restored == 1
    assert record_id in search_ids(store, "canispaces")


def test_a_changed_package_is_updated_and_the_page_error_keeps_withdrawal_off(store: Store, server: PortalServer,
                                                                               portal: CkanPortal) -> None:
    url = server.mount("/ckan", portal)
    harvest(store, url, options="{page_size: 10}")
    portal.update(CANISPACES, title="Canispaces et espaces canins - Ville de Gap")
    portal.delete("fe7cdceb-f65e-4e79-9ff2-d7895dc3b155")  # DataSud parkings
    portal.fail_when = lambda action, params: 500 if action == "package_search" and params.get("start") == "20" \
        else None
    result = harvest(store, url, options="{page_size: 10}")
    assert result.status == "partial" and result.counts.updated == 1
    assert result.counts.withdrawn == 0  # the sweep missed a page: nothing may be withdrawn
    assert entry_id(SOURCE, CANISPACES) in search_ids(store, "espaces canins")


def test_incremental_harvest_fetches_only_what_changed(store: Store, server: PortalServer,
                                                      portal: CkanPortal) -> None:
    url = server.mount("/ckan", portal)
    harvest(store, url)
    portal.update(CANISPACES, notes="Lieux réservés aux déjections canines, mis à jour.")
    portal.calls.clear()
    result = harvest(store, url, mode=None)  # the last full sweep is recent: incremental
    assert result.mode == "incremental" and result.status == "succeeded"
    assert (result.counts.updated, result.counts.unchanged, result.counts.withdrawn) == (1, 0, 0)
    (search,) = [c.params for c in portal.calls if c.action == "package_search"]
    assert search["fq"].startswith("metadata_modified:[") and search["fq"].endswith("Z TO *]")
    assert store.count(source_id=SOURCE) == 23


@pytest.mark.parametrize("depth", [500, 100_000])
def test_a_record_nested_too_deep_fails_alone(store: Store, server: PortalServer, portal: CkanPortal,
                                              depth: int) -> None:
    """Finding 4 (issue 13): a CKAN package whose extras nested 500 lists deep failed the whole job (orjson's
    "Recursion limit reached" when its record was written), and 100,000 deep its whole page (RecursionError while
    decoding); the records after it were never harvested. Now that record alone fails, with the reason."""
    portal.inject({"id": "deep-package", "name": "deep", "title": "Deep", "extras": "@@DEEP@@",
                   "metadata_modified": "2025-01-01T00:00:00"}, position=5)

    def hostile(request: Any) -> Any:  # the portal's own answer, with the nesting written into it as raw JSON
        response = portal(request)
        response.body = response.body.replace(b'"@@DEEP@@"', b"[" * depth + b"]" * depth)
        return response

    result = harvest(store, server.mount("/ckan", hostile))
    assert result.status == "partial", result.error
    assert (result.counts.new, result.counts.failed) == (23, 1)
    job = store.job(result.job_id)
    assert job is not None
    (error,) = job["errors"]
    assert error["native_id"] == "deep-package" and "nested" in error["reason"], error
    assert store.count(source_id=SOURCE) == 23


# -- fetching ahead (issue 18): the job sees exactly what the harvester yields, in order, errors included ----------


def test_fetch_ahead_passes_items_and_the_harvesters_error_through_in_order() -> None:
    import threading

    from kernel.records import SourceError
    from pipeline.harvest import FetchAhead

    fetched_by: set[str] = set()

    def harvester() -> Iterator[int]:
        for n in range(5000):  # more than the queue holds: the thread waits for the job to catch up
            fetched_by.add(threading.current_thread().name)
            yield n
        raise SourceError("page 51 answered HTTP 500")

    items = FetchAhead(harvester(), name="fetch-test")
    got = []
    with pytest.raises(SourceError, match="page 51"):
        for item in items:
            got.append(item)
    items.close()
    assert got == list(range(5000)) and fetched_by == {"fetch-test"}
    with pytest.raises(StopIteration):
        next(items)


def test_closing_fetch_ahead_early_stops_the_harvester_and_its_thread() -> None:
    from pipeline.harvest import FetchAhead

    closed = []

    def harvester() -> Iterator[int]:
        try:
            n = 0
            while True:  # a portal that never ends
                yield n
                n += 1
        finally:
            closed.append(True)

    items = FetchAhead(harvester(), name="fetch-endless")
    assert [next(items) for _ in range(10)] == list(range(10))
    items.close()  # the job was stopped (Ctrl-C, shutdown): the thread ends and the generator is closed
    assert closed == [True] and not items._thread.is_alive()


def test_a_harvest_stores_each_batch_with_its_scores(store: Store, server: PortalServer, portal: CkanPortal,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Records are scored in the transaction that stores them, from the models in hand (not read back): with the
    after-job scoring pass switched off, every record still has its score."""
    import pipeline.harvest

    monkeypatch.setattr(pipeline.harvest, "score_changed_records", lambda store, source_id: None)
    url = server.mount("/ckan", portal)
    result = harvest(store, url)
    assert result.status == "succeeded" and result.counts.new > 5
    scored = store.db.execute("SELECT COUNT(*) FROM quality q JOIN records r ON r.id = q.record_id "
                              "AND q.hash = r.hash").fetchone()[0]
    assert scored == result.counts.new
