"""Store -> index synchronisation: what the store holds is what the search finds, even after a crash; on both
backends (``search_index``) where the behaviour is the interface's, on tantivy where it is its lock's."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

import index as index_module
from index import close_indexes, index_location, open_index, rebuild_index, sync_index
from index.quality import ensure_schema
from index.search import IndexLockedError, SearchIndex, SearchQuery
from index.store import JobCounts, Store
from index.tantivy_index import TantivyIndex
from normalise.model import Dataset, Distribution

from .conftest import FILE_TYPE


def _ds(n: int, title: str, **fields) -> Dataset:
    return Dataset(id=f"grenoble.{n}", source_id="grenoble", native_id=str(n), title=title, **fields)


def _harvest(store: Store, entries: list[Dataset], *, sweep: bool = False) -> None:
    """What a harvest job does to the store: upsert what it saw, and after a full sweep withdraw the rest."""
    job = store.start_job("grenoble", "full")
    with store.transaction():
        for entry in entries:
            store.upsert_entry(entry, entry.native_id, job)
    if sweep:
        store.withdraw_unseen("grenoble", job)
    store.finish_job(job, "succeeded", JobCounts())


def _ids(index: SearchIndex, q: str = "") -> set[str]:
    return {hit["id"] for hit in index.search(SearchQuery(q=q, page_size=100)).hits}


@pytest.fixture
def tindex(tmp_path: Path):
    index = TantivyIndex(tmp_path / "search", lock_wait=0)
    yield index
    index.close()


RECORDS = [
    _ds(1, "Pistes cyclables", distributions=[Distribution(format=FILE_TYPE + "GEOJSON")]),
    _ds(2, "Parkings relais", description="Places de stationnement"),
    _ds(3, "Budget primitif"),
]


def test_store_to_search(store: Store, search_index: SearchIndex) -> None:
    _harvest(store, RECORDS)
    assert sync_index(store, search_index) == 3
    assert _ids(search_index, "cyclable") == {"grenoble.1"}
    assert search_index.count() == 3
    assert sync_index(store, search_index) == 0  # nothing stale any more
    assert store.pending_index() == []


def test_changed_and_withdrawn_records_follow(store: Store, search_index: SearchIndex) -> None:
    _harvest(store, RECORDS)
    sync_index(store, search_index)
    _harvest(store, [RECORDS[0].model_copy(update={"title": "Pistes et bandes cyclables"}), RECORDS[1]], sweep=True)
    assert sync_index(store, search_index) == 2  # one updated, one withdrawn; the unchanged one is not touched
    assert _ids(search_index) == {"grenoble.1", "grenoble.2"}
    assert _ids(search_index, "budget") == set()
    assert _ids(search_index, "bandes") == {"grenoble.1"}
    _harvest(store, RECORDS)  # the budget comes back
    sync_index(store, search_index)
    assert _ids(search_index, "budget") == {"grenoble.3"}


def test_a_crash_before_the_index_commit_is_caught_up(store: Store, search_index: SearchIndex) -> None:
    _harvest(store, RECORDS)
    sync_index(store, search_index)
    _harvest(store, [RECORDS[2].model_copy(update={"title": "Budget supplémentaire"})])
    # the process dies after the store committed and while the index was writing: its changes are lost
    search_index.upsert([{"id": "grenoble.3", "title": "half written"}])
    search_index.close()
    assert _ids(search_index, "supplémentaire") == set()
    assert sync_index(store, search_index) == 1  # the record is still flagged indexed=0 in the store
    assert _ids(search_index, "supplémentaire") == {"grenoble.3"}


def test_a_crash_after_the_index_commit_reindexes_without_duplicates(store: Store, search_index: SearchIndex) -> None:
    _harvest(store, RECORDS)
    # the index committed the batch, the process died before marking the rows indexed in the store
    from index.document import to_document

    search_index.upsert(to_document(entry, store) for entry in store.iter_entries())
    search_index.commit()
    assert sync_index(store, search_index) == 3
    assert search_index.count() == 3


def test_a_lost_index_is_rebuilt_by_the_next_sync(store: Store, tmp_path: Path) -> None:
    _harvest(store, RECORDS)
    first = TantivyIndex(tmp_path / "search", lock_wait=0)
    sync_index(store, first)
    first.close()
    shutil.rmtree(tmp_path / "search")
    fresh = TantivyIndex(tmp_path / "search", lock_wait=0)
    try:
        assert sync_index(store, fresh) == 3  # the store said "indexed", the index was empty: everything again
        assert fresh.count() == 3
    finally:
        fresh.close()


def test_a_record_changed_during_indexing_stays_pending(store: Store, search_index: SearchIndex) -> None:
    _harvest(store, RECORDS)
    batch = store.pending_index()
    _harvest(store, [RECORDS[0].model_copy(update={"title": "Voies vertes"})])  # another process rewrote it
    assert index_module._mark_indexed(store, batch, {}) == 2
    assert [row[0] for row in store.pending_index()] == ["grenoble.1"]
    sync_index(store, search_index)
    assert _ids(search_index, "voies") == {"grenoble.1"}


def test_rebuild_and_quality_facet(store: Store, search_index: SearchIndex) -> None:
    _harvest(store, RECORDS)
    sync_index(store, search_index)
    ensure_schema(store)  # what index.quality does when it scores: store the band, flag the record for re-indexing
    with store.transaction() as db:
        db.executemany("INSERT INTO quality (record_id, hash, score, band, indicators, computed_at) "
                       "VALUES (?, 'h', ?, ?, '[]', '2024-01-01')",
                       [("grenoble.1", 360, "excellent"), ("grenoble.2", 100, "bad"), ("grenoble.3", 90, "bad")])
        db.execute("UPDATE records SET indexed = 0")
    assert sync_index(store, search_index) == 3
    result = search_index.search(SearchQuery(facets=("quality_band",), sort="-quality"))
    assert [(fv.value, fv.count) for fv in result.facets["quality_band"]] == [("bad", 2), ("excellent", 1)]
    assert [hit["quality_band"] for hit in result.hits] == ["excellent", "bad", "bad"]
    assert rebuild_index(store, search_index) == 3
    assert search_index.count() == 3


def test_writer_is_released_after_a_sync(store: Store, tindex: TantivyIndex, tmp_path: Path) -> None:
    _harvest(store, RECORDS)
    sync_index(store, tindex)
    other = TantivyIndex(tmp_path / "search", lock_wait=0)  # e.g. a harvest of another source, in another process
    try:
        other.delete(["grenoble.3"])
        other.commit()
    finally:
        other.close()
    assert _ids(tindex) == {"grenoble.1", "grenoble.2"}


def test_a_busy_index_leaves_records_pending(store: Store, tindex: TantivyIndex, tmp_path: Path) -> None:
    _harvest(store, RECORDS)
    holder = TantivyIndex(tmp_path / "search", lock_wait=0)
    holder.upsert([])  # another writer holds the lock
    try:
        assert sync_index(store, tindex) == 0
        assert len(store.pending_index()) == 3
        with pytest.raises(IndexLockedError, match="one writer per index"):
            rebuild_index(store, tindex)
    finally:
        holder.close()
    assert sync_index(store, tindex) == 3


def test_open_index_lives_beside_the_store(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOISSON_INDEX", raising=False)
    assert index_location(store) == f"{store.path}.index"
    try:
        opened = open_index(store)
        assert opened is open_index(store)  # once per process
        _harvest(store, RECORDS)
        assert sync_index(store) == 3
        assert opened.search(SearchQuery(q="parking")).total == 1
    finally:
        close_indexes()


def test_two_jobs_syncing_at_once_in_one_process_lose_nothing(store: Store, tmp_path: Path) -> None:
    """Concurrent harvest jobs (threads of `moisson harvest --all` and of the scheduler) each sync the process's one
    index object when they end. Replayed step by step: job B sends a record just after job A committed and just
    before A's sync releases the writer (close(), which drops what is not committed). Before syncs were serialised,
    B then committed nothing, marked its record indexed, and the record was missing from the search for good."""
    _harvest(store, [_ds(1, "Pistes cyclables")])
    b_sent, a_closed = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    class Interleaving(TantivyIndex):
        def close(self) -> None:
            if threading.current_thread() is main and not a_closed.is_set():  # job A, at the end of its sync
                _harvest(store, [_ds(2, "Voies vertes")])  # job B's record, pending after A's last batch
                job_b.start()
                b_sent.wait(2)  # B is in its sync, its record sent and not committed (with the lock: B waits for A)
                super().close()
                a_closed.set()
                return
            super().close()

        def upsert(self, documents: Iterable[dict[str, Any]]) -> int:
            sent = super().upsert(documents)
            if threading.current_thread() is job_b:
                b_sent.set()
                a_closed.wait(2)  # let A release the writer before B commits
            return sent

    def sync_b() -> None:
        try:
            sync_index(store, index)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    main, job_b = threading.current_thread(), threading.Thread(target=sync_b)
    index = Interleaving(tmp_path / "search")
    sync_index(store, index)
    job_b.join(10)
    assert not errors and not job_b.is_alive()
    assert store.pending_index() == []
    assert _ids(index, "voies") == {"grenoble.2"} and _ids(index, "pistes") == {"grenoble.1"}
