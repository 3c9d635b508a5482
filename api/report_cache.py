"""Quality reports computed once and shared by the requests that ask for them, and the large ones one at a time.

Why: a report (:func:`index.quality.report`) reads every scored record of its scope in Python, ~30-50 µs a
record: on the 2M bench store the whole catalogue's takes 54 s (the comparison of portals adds one per portal), and a
publisher's 27 s whatever the publisher, since its records are found by scanning the store's JSON. Reports are
asked by pages people open (the portal's page, the comparison of portals) and by badges that portals embed on their
own pages; without this, a handful of clients asking for the catalogue-wide comparison at once held every worker
thread for minutes, and a script looping over publisher names took the machine (one request must never take moisson
down, issue 13).

So, per API process:

- an answer is kept until the store changes (a commit of any process: the store's files change), and a report that
  took long to compute is served for a while even after commits (:data:`FRESH_FACTOR` times what it cost, at most
  :data:`FRESH_MAX` seconds), since a harvest commits every few seconds and a report that costs a minute must not be
  recomputed for every visitor meanwhile; a cheap report is always current;
- a report over more than :data:`HEAVY_RECORDS` records is *heavy*: heavy reports are computed one at a time (a
  request waits up to :data:`WAIT` seconds for its turn, else gets a 503 with Retry-After, or the last answer if there
  is one), and each computation counts against its client's ``report`` rate limit (:mod:`api.ratelimit`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import HTTPException, Request

from api.ratelimit import limit
from index.quality import QualityReport, report
from index.store import Store

T = TypeVar("T")

HEAVY_RECORDS = 20_000  # about a second of aggregation: above, one report at a time
WAIT = 10.0  # seconds a request waits for the heavy report being computed before it is told to come back
FRESH_FACTOR = 10  # a report that took s seconds stays good for FRESH_FACTOR * s seconds whatever is committed...
FRESH_MIN_COST = 0.5  # ...when it took at least this long (a cheap one is recomputed after every change)
FRESH_MAX = 900.0
SIZE = 512  # reports kept per process


class ReportCache:
    """The reports of one app (``app.state.reports``)."""

    def __init__(self, heavy_records: int = HEAVY_RECORDS, wait: float = WAIT) -> None:
        self.heavy_records = heavy_records
        self.wait = wait
        self.heavy = threading.BoundedSemaphore(1)
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[Any, ...], tuple[tuple[int, ...], float, float, Any]] = OrderedDict()

    def get(self, request: Request, store: Store, key: tuple[Any, ...], records: Callable[[], int],
            compute: Callable[[], T]) -> T:
        """``compute()`` for ``key``, or an answer kept for it. ``records()``, the size of the report's scope, is
        asked only when there is no answer to give (it is a query, and badges are asked on every portal page)."""
        key = (str(store.path), *key)
        stamp = _store_stamp(store)
        found = self._kept_entry(key)
        if found is not None and _still_good(found, stamp):
            return found[3]  # type: ignore[no-any-return]
        if records() <= self.heavy_records:
            return self._compute(key, stamp, compute)
        limit(request, "report")
        if not self.heavy.acquire(timeout=self.wait):
            found = self._kept_entry(key)
            if found is not None:
                return found[3]  # type: ignore[no-any-return]  # stale, but at once
            raise HTTPException(503, f"a report over more than {self.heavy_records:,} records is being computed "
                                     f"for another request and was not done within {self.wait:g} s: retry shortly",
                                headers={"Retry-After": "30"})
        try:
            stamp = _store_stamp(store)
            found = self._kept_entry(key)  # computed by the request that held the turn?
            if found is not None and _still_good(found, stamp):
                return found[3]  # type: ignore[no-any-return]
            return self._compute(key, stamp, compute)
        finally:
            self.heavy.release()

    def _kept_entry(self, key: tuple[Any, ...]) -> tuple[tuple[int, ...], float, float, Any] | None:
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def _compute(self, key: tuple[Any, ...], stamp: tuple[int, ...], compute: Callable[[], T]) -> T:
        started = time.monotonic()
        value = compute()
        cost = time.monotonic() - started
        good_for = min(FRESH_MAX, FRESH_FACTOR * cost) if cost >= FRESH_MIN_COST else 0.0
        with self._lock:
            self._kept[key] = (stamp, time.monotonic(), good_for, value)
            while len(self._kept) > SIZE:
                self._kept.popitem(last=False)
        return value


def _still_good(found: tuple[tuple[int, ...], float, float, Any], stamp: tuple[int, ...]) -> bool:
    """Computed on the store as it is, or recently enough for what it cost (see the module's doc)."""
    kept_stamp, at, good_for, _ = found
    return kept_stamp == stamp or time.monotonic() - at <= good_for


def _store_stamp(store: Store) -> tuple[int, ...]:
    """What changes when any process commits to the store: its files' sizes and times (a commit appends to the
    write-ahead log; a checkpoint rewrites the database file). Shared by the threads of a process, unlike SQLite's
    ``data_version``, which each connection counts for itself."""
    out: list[int] = []
    for suffix in ("", "-wal"):
        try:
            st = (store.path.parent / (store.path.name + suffix)).stat()
        except FileNotFoundError:
            out += [0, 0]
            continue
        out += [st.st_size, st.st_mtime_ns]
    return tuple(out)


def shared_report(request: Request, store: Store, *, source_id: str | None = None, publisher: str | None = None,
                  top: int = 10) -> QualityReport:
    """:func:`index.quality.report` through the app's :class:`ReportCache`: a source's report weighs its records,
    a publisher's the whole store (its records are found by scanning), the catalogue's every record."""
    def records() -> int:
        return store.count(source_id=source_id) if source_id and not publisher else store_size(store)

    return request.app.state.reports.get(  # type: ignore[no-any-return]
        request, store, ("report", source_id, publisher, top), records,
        lambda: report(store, source_id=source_id, publisher=publisher, top=top))


def store_size(store: Store) -> int:
    """The number of records, at most (the largest rowid: instant, where COUNT(*) reads an index)."""
    return int(store.db.execute("SELECT COALESCE(MAX(rowid), 0) FROM records").fetchone()[0])
