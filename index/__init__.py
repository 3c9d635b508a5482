"""Storage and search: the SQLite store (source of truth) and the search index (derived, rebuildable).

The index lives beside the database (``<db>.index/``, tantivy) unless ``MOISSON_INDEX`` names another directory or
an Elasticsearch cluster (``http(s)://[user:password@]host:9200[/alias]``, see :mod:`index.elasticsearch_index`).
:func:`sync_index` brings it up to date with the store; it is idempotent and resumable, so an index that missed
updates after a crash catches up on the next call.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import weakref
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from index.search import SearchIndex
    from index.store import Store

log = logging.getLogger(__name__)
_open: dict[str, SearchIndex] = {}


def index_location(store: Store) -> str:
    return os.environ.get("MOISSON_INDEX") or str(Path(f"{store.path}.index"))


def open_index(store: Store) -> SearchIndex:
    """The index for this store, opened once per process (the engines keep their own readers and writers)."""
    location = index_location(store)
    if location not in _open:
        if location.startswith(("http://", "https://")):
            try:
                from index.elasticsearch_index import ElasticsearchIndex
            except ImportError as exc:
                from index.search import IndexUnavailableError

                raise IndexUnavailableError(
                    f"MOISSON_INDEX names an Elasticsearch cluster but its client is not installed ({exc}): "
                    "pip install 'moisson[es]'") from None
            _open[location] = ElasticsearchIndex.from_location(location)
        else:
            from index.tantivy_index import TantivyIndex

            _open[location] = TantivyIndex(Path(location))
    return _open[location]


def close_indexes() -> None:
    for index in _open.values():
        index.close()
    _open.clear()


def sync_index(store: Store, index: SearchIndex | None = None, batch: int = 2000) -> int:
    """Index every record whose index entry is stale; withdrawn records are removed. Returns how many.

    The writer is released at the end, so that another process (a harvest of another source, a reindex) can write
    next. If another process holds the writer longer than the index waits, the records stay pending and the next
    sync indexes them: nothing is lost, the search is only late (logged as a warning)."""
    index = index or open_index(store)
    with _sync_lock(index):
        return _sync(store, index, batch)


_sync_locks: weakref.WeakKeyDictionary[SearchIndex, threading.RLock] = weakref.WeakKeyDictionary()
_sync_locks_guard = threading.Lock()


def _sync_lock(index: SearchIndex) -> threading.RLock:
    """One sync of an index object at a time in this process. Concurrent harvest jobs (threads of `moisson harvest
    --all` and of the scheduler) share the process's index; without it, one sync's ``close()`` at its end dropped
    what another had sent but not yet committed, which that one then marked indexed: lost from the search until a
    reindex. Other processes are kept apart by the engines themselves (tantivy's writer lock)."""
    with _sync_locks_guard:
        return _sync_locks.setdefault(index, threading.RLock())


def _sync(store: Store, index: SearchIndex, batch: int) -> int:
    from index.document import quality_scores, to_document
    from index.search import IndexLockedError

    if index.count() == 0 and store.db.execute(
        "SELECT 1 FROM records WHERE indexed = 1 AND status = 'active' LIMIT 1"
    ).fetchone():
        # The index was lost or recreated (deleted directory, new field layout) while the store thinks it is up
        # to date: feed it everything again.
        store.mark_all_unindexed()
    done = 0
    try:
        while pending := store.pending_index(batch):
            active = [(rid, data) for rid, status, data in pending if status == "active"]
            gone = [rid for rid, status, _ in pending if status != "active"]
            scores = quality_scores(store, [rid for rid, _ in active])
            index.upsert(to_document(store.load_entry(data), store, scores=scores) for _, data in active)
            index.delete(gone)
            index.commit()
            marked = _mark_indexed(store, pending, dict(index.take_refused()))
            done += len(pending)
            if not marked:  # every row of the batch changed meanwhile: leave them to the next sync, do not spin
                break
    except IndexLockedError as exc:
        log.warning("search index not updated now (%s); the next sync will catch up", exc)
    else:
        _note_sync(store, index, done)
    finally:
        index.close()
    return done


_REFUSALS_TABLE = ("CREATE TABLE IF NOT EXISTS index_refusals (record_id TEXT PRIMARY KEY, reason TEXT NOT NULL, "
                   "at TEXT NOT NULL)")


def _mark_indexed(store: Store, rows: list[tuple[str, str, bytes]], refused: dict[str, str]) -> int:
    """Flag the rows as indexed unless they changed meanwhile (a harvest in another process may have rewritten a
    record while this batch was being indexed: that newer version must stay pending). A row the engine refused is
    flagged 2 with the engine's reason kept: not sent again on every sync, but counted by ``moisson index status``
    until the record changes or a reindex."""
    flags = [(2 if rid in refused else 1, rid, status, data) for rid, status, data in rows]
    with store.transaction() as db:
        before = db.total_changes
        db.executemany("UPDATE records SET indexed = ? WHERE id = ? AND status = ? AND data = ?", flags)
        marked = db.total_changes - before
        if refused:  # a reason outlives its refusal harmlessly: it is read only for records still flagged 2
            db.execute(_REFUSALS_TABLE)
            at = datetime.now(UTC).isoformat(timespec="seconds")
            db.executemany("INSERT OR REPLACE INTO index_refusals (record_id, reason, at) VALUES (?, ?, ?)",
                           [(rid, reason[:1000], at) for rid, reason in refused.items()])
        return marked


def rebuild_index(store: Store, index: SearchIndex | None = None) -> int:
    """Rebuild the whole index from the store (raises IndexLockedError if another process writes it). Where the
    backend builds the new index beside the live one (Elasticsearch), searches keep their answers until the swap;
    records a harvest changes meanwhile stay pending and are indexed before or just after it."""
    index = index or open_index(store)
    target = index.begin_rebuild()
    try:
        store.mark_all_unindexed()
        done = sync_index(store, target)
        index.finish_rebuild(target)
    except BaseException:
        index.abort_rebuild(target)
        raise
    if target is not index:
        done += sync_index(store, index)  # what a harvest changed between the last batch and the swap
    _note_sync(store, index, done)
    return done


# -- issue 16: when the index was last synced, and `moisson index status` -------------------------------------------

_SYNC_TABLE = "CREATE TABLE IF NOT EXISTS index_syncs (location TEXT PRIMARY KEY, finished_at TEXT, records INTEGER)"


def _note_sync(store: Store, index: SearchIndex, records: int) -> None:
    """The store keeps when each index location was last brought up to date (for `moisson index status`)."""
    location = _location_label(store, index)
    try:
        with store.transaction() as db:
            db.execute(_SYNC_TABLE)
            db.execute("INSERT INTO index_syncs (location, finished_at, records) VALUES (?, ?, ?) "
                       "ON CONFLICT (location) DO UPDATE SET finished_at = excluded.finished_at, "
                       "records = excluded.records",
                       (location, datetime.now(UTC).isoformat(timespec="seconds"), records))
    except sqlite3.Error as exc:  # bookkeeping only: a read-only or busy store must not fail the sync
        log.debug("last index sync not recorded: %s", exc)


def _location_label(store: Store, index: SearchIndex) -> str:
    """Where the index is, without the credentials a URL may carry: the directory of a tantivy index, the cluster
    and alias of an Elasticsearch one (a rebuild's target has its alias's label)."""
    return str(getattr(index, "location", None) or getattr(index, "path", None) or index_location(store))


def index_status(store: Store, index: SearchIndex | None = None) -> dict[str, Any]:
    """Backend, where, documents, records waiting to be indexed, last sync, and what the backend adds."""
    index = index or open_index(store)
    status = dict(index.describe())
    status["documents"] = index.count()
    status["pending records"] = store.db.execute("SELECT COUNT(*) FROM records WHERE indexed = 0").fetchone()[0]
    refused = store.db.execute("SELECT COUNT(*) FROM records WHERE indexed = 2").fetchone()[0]
    if refused:
        try:
            examples = store.db.execute("SELECT f.record_id, f.reason FROM index_refusals f JOIN records r ON "
                                        "r.id = f.record_id AND r.indexed = 2 ORDER BY f.at DESC LIMIT 3").fetchall()
        except sqlite3.OperationalError:
            examples = []
        status["refused records"] = f"{refused} (the engine refused them; a change or a reindex tries again)" + "".join(
            f"; {rid}: {reason}" for rid, reason in examples)
    try:
        row = store.db.execute("SELECT finished_at, records FROM index_syncs WHERE location = ?",
                               (_location_label(store, index),)).fetchone()
    except sqlite3.OperationalError:  # no sync recorded yet
        row = None
    status["last sync"] = f"{row[0]} ({row[1]} records)" if row else "never recorded"
    return status
