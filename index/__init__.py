"""Storage and search: the SQLite store (source of truth) and the search index (derived, rebuildable).

The index lives beside the database (``<db>.index/``) unless ``MOISSON_INDEX`` names another place (an
Elasticsearch URL there is refused with a clear message until that backend is written). :func:`sync_index` brings
it up to date with the store; it is idempotent and resumable, so an index that missed updates after a crash catches
up on the next call.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

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
            raise NotImplementedError(
                f"MOISSON_INDEX={location}: the Elasticsearch backend is not written yet; the SearchIndex interface "
                "(index/search.py) is where it plugs in. Unset MOISSON_INDEX to use the embedded tantivy index.")
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
    from index.document import quality_scores, to_document
    from index.search import IndexLockedError

    index = index or open_index(store)
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
            index.upsert(to_document(store.load_entry(data), scores=scores) for _, data in active)
            index.delete(gone)
            index.commit()
            marked = _mark_indexed(store, pending)
            done += len(pending)
            if not marked:  # every row of the batch changed meanwhile: leave them to the next sync, do not spin
                break
    except IndexLockedError as exc:
        log.warning("search index not updated now (%s); the next sync will catch up", exc)
    finally:
        index.close()
    return done


def _mark_indexed(store: Store, rows: list[tuple[str, str, bytes]]) -> int:
    """Flag the rows as indexed unless they changed meanwhile (a harvest in another process may have rewritten a
    record while this batch was being indexed: that newer version must stay pending)."""
    with store.transaction() as db:
        before = db.total_changes
        db.executemany("UPDATE records SET indexed = 1 WHERE id = ? AND status = ? AND data = ?", rows)
        return db.total_changes - before


def rebuild_index(store: Store, index: SearchIndex | None = None) -> int:
    """Drop and rebuild the whole index from the store (raises IndexLockedError if another process writes it)."""
    index = index or open_index(store)
    index.clear()
    index.commit()
    store.mark_all_unindexed()
    return sync_index(store, index)
