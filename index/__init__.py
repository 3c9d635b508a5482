"""Storage and search: the SQLite store (source of truth) and the search index (derived, rebuildable).

The index lives beside the database (``<db>.index/``) unless ``MOISSON_INDEX`` names another place or an
Elasticsearch URL. :func:`sync_index` brings it up to date with the store; it is idempotent and resumable, so an
index that missed updates after a crash catches up on the next call.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.search import SearchIndex
    from index.store import Store

_open: dict[str, SearchIndex] = {}


def index_location(store: Store) -> str:
    return os.environ.get("MOISSON_INDEX") or str(Path(f"{store.path}.index"))


def open_index(store: Store) -> SearchIndex:
    """The index for this store, opened once per process (the engines keep their own readers and writers)."""
    location = index_location(store)
    if location not in _open:
        if location.startswith(("http://", "https://")):
            from index.elasticsearch_index import ElasticsearchIndex

            _open[location] = ElasticsearchIndex(location)
        else:
            from index.tantivy_index import TantivyIndex

            _open[location] = TantivyIndex(Path(location))
    return _open[location]


def close_indexes() -> None:
    for index in _open.values():
        index.close()
    _open.clear()


def sync_index(store: Store, index: SearchIndex | None = None, batch: int = 2000) -> int:
    """Index every record whose index entry is stale; withdrawn records are removed. Returns how many."""
    from index.document import to_document
    from normalise.model import entry_from_json

    index = index or open_index(store)
    done = 0
    while pending := store.pending_index(batch):
        active = [(rid, data) for rid, status, data in pending if status == "active"]
        gone = [rid for rid, status, _ in pending if status != "active"]
        index.upsert(to_document(entry_from_json(data), store) for _, data in active)
        index.delete(gone)
        index.commit()
        store.mark_indexed([rid for rid, _, _ in pending])
        done += len(pending)
    return done


def rebuild_index(store: Store, index: SearchIndex | None = None) -> int:
    """Drop and rebuild the whole index from the store."""
    index = index or open_index(store)
    index.clear()
    index.commit()
    store.mark_all_unindexed()
    return sync_index(store, index)
