"""The embedded store (SQLite): sources, harvest jobs, raw records, normalised records and their history.

Why SQLite: one file, no server, transactional. A harvest commits in batches; a crash (even SIGKILL) rolls back the
open batch only, so the store always holds a consistent state: the last good records plus whatever whole batches the
interrupted job committed, which are themselves good records. Nothing is ever deleted: a record gone from its source
is marked withdrawn with its history kept, and restored if it comes back.

The search index is derived from this store: every record change clears ``records.indexed``, and the indexer picks
those rows up (see :meth:`Store.pending_index`), so an index that missed an update after a crash catches up.

Compact layout (schema version 1, issue 18): raw records, normalised records and old versions are zstd blobs with a
dictionary per kind (:mod:`index.compression`); the current normalised record is kept once, in ``records.data`` (its
row in ``record_versions`` holds an empty blob meaning "the current one", and gets its own snapshot when a newer
version replaces it). SQL reads a record's JSON through the ``record_json(data)`` function every connection has.
A store of the earlier layout opens as it is and stays readable (blobs without zstd's magic are the bytes as they
were); ``moisson store compact`` (:meth:`Store.compact`) rewrites it in the compact layout, a batch at a time.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from index.compression import SCHEMA as CODEC_SCHEMA
from index.compression import Codec
from kernel.config import SourceConfig
from kernel.records import RawRecord, RecordError, utcnow
from normalise.model import DataService, Dataset, content_hash, entry_from_json, entry_to_json

DEFAULT_DB = Path("var/moisson.db")
SCHEMA_VERSION = 1  # PRAGMA user_version: 0 the first layout (plain blobs, every version's JSON), 1 compact
CURRENT = b""  # record_versions.data of the version that is current: its JSON is records.data, kept once

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    url TEXT NOT NULL,
    name TEXT,
    config TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_success TEXT,          -- start time of the last successful job: the 'since' of the next incremental one
    last_full_sweep TEXT        -- start time of the last complete full sweep
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL,
    mode TEXT NOT NULL,         -- full | incremental
    status TEXT NOT NULL,       -- running | succeeded | partial | failed | interrupted
    started_at TEXT NOT NULL,
    finished_at TEXT,
    pid INTEGER,
    host TEXT,
    new INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    withdrawn INTEGER NOT NULL DEFAULT 0,
    restored INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    retries INTEGER NOT NULL DEFAULT 0,
    duration REAL,
    error TEXT,
    events TEXT                 -- JSON list of HTTP retries/failures in plain words
);
CREATE INDEX IF NOT EXISTS jobs_by_source ON jobs (source_id, id);
CREATE TABLE IF NOT EXISTS job_errors (
    job_id INTEGER NOT NULL,
    native_id TEXT,
    url TEXT,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS job_errors_by_job ON job_errors (job_id);
CREATE TABLE IF NOT EXISTS harvest_locks (
    source_id TEXT PRIMARY KEY,
    job_id INTEGER NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    acquired_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS raw_records (
    source_id TEXT NOT NULL,
    native_id TEXT NOT NULL,
    profile TEXT NOT NULL,
    media_type TEXT NOT NULL,
    url TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    modified TEXT,
    hash TEXT NOT NULL,
    content BLOB NOT NULL,
    job_id INTEGER NOT NULL,
    PRIMARY KEY (source_id, native_id)
);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    native_id TEXT NOT NULL,
    raw_native_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    hash TEXT NOT NULL,
    data BLOB NOT NULL,
    status TEXT NOT NULL,       -- active | withdrawn
    version INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    last_seen_job INTEGER NOT NULL,
    withdrawn_at TEXT,
    indexed INTEGER NOT NULL DEFAULT 0  -- 0 waiting for the index, 1 indexed, 2 refused by the engine (index_refusals)
);
CREATE INDEX IF NOT EXISTS records_by_source ON records (source_id, status);
CREATE INDEX IF NOT EXISTS records_pending_index ON records (indexed) WHERE indexed = 0;
CREATE TABLE IF NOT EXISTS record_versions (
    record_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    job_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    change TEXT NOT NULL,       -- new | updated | withdrawn | restored
    hash TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (record_id, version)
);
CREATE TABLE IF NOT EXISTS metric_samples (
    record_id TEXT NOT NULL,
    distribution TEXT NOT NULL, -- '' for the dataset's own counters, else the distribution's native id or URL
    metric TEXT NOT NULL,       -- downloads | views | api_calls | reuses | followers | ...
    at TEXT NOT NULL,
    job_id INTEGER NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (record_id, distribution, metric, job_id)
);
CREATE TABLE IF NOT EXISTS http_validators (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT
);
"""


@dataclass
class JobCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    restored: int = 0
    failed: int = 0


class HarvestLockedError(RuntimeError):
    """The source is being harvested by another live process."""


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--db`` first, then ``MOISSON_DB``, then var/moisson.db."""
    return Path(explicit or os.environ.get("MOISSON_DB") or DEFAULT_DB)


def _pid_alive(pid: int) -> bool:
    """True if the process exists and is not a zombie (a killed child not yet reaped still has its pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = _proc_stat(pid)
    return stat is None or stat[0] != "Z"


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3... of /proc/<pid>/stat (state first), or None where there is no /proc."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def _process_start(pid: int) -> float | None:
    """When a process started (epoch seconds, to a second or so) on Linux; None elsewhere."""
    stat = _proc_stat(pid)
    try:
        boot = next(line for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime "))
    except (OSError, StopIteration):
        return None
    if stat is None or len(stat) < 20:
        return None
    return int(boot.split()[1]) + int(stat[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime in clock ticks


# The jobs this process is running, per database. A lock naming this process but none of these jobs is stale: its
# job ended without releasing it (an error while writing its end), and a long-running `moisson serve` must not keep
# that source locked until it restarts.
_LIVE_JOBS: set[tuple[str, int]] = set()
_LIVE_JOBS_LOCK = threading.Lock()


class Store:
    """One SQLite database. Connections are per thread (the API serves requests from a thread pool)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = db_path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._key = str(self.path.resolve())
        self.codec = Codec(lambda: self.db)
        # bumped when this object rewrites the sources table: what readers cache of it (index.clusters) is stale then
        # (a source only added is read alone by them when they miss it)
        self.sources_generation = 0
        self.db.executescript(SCHEMA + CODEC_SCHEMA)  # idempotent; executescript manages its own transaction
        empty = self.db.execute("SELECT 1 FROM records LIMIT 1").fetchone() is None
        if self.layout_version() < SCHEMA_VERSION and empty:
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")  # a new store: nothing of the first layout

    # -- plumbing -------------------------------------------------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=60000")
            conn.execute("PRAGMA cache_size=-32000")  # 32 MB of pages per connection (default 2 MB)
            conn.create_function("record_json", 1, self._record_json, deterministic=True)
            self._local.conn = conn
        return conn

    def stamp(self) -> tuple[int, int]:
        """What this thread's connection has seen of the store: it changes after any commit by another connection
        (SQLite's ``data_version``) or a write by this one. A value computed under one stamp holds until the stamp
        changes, so the API caches answers that only a commit can change (counts, the landing page)."""
        db = self.db
        return int(db.execute("PRAGMA data_version").fetchone()[0]), db.total_changes

    # -- compact blobs (index.compression) ------------------------------------------------------------------------

    def pack_record(self, data: bytes) -> bytes:
        """A normalised record's JSON as stored."""
        return self.codec.pack("record", data)

    def unpack(self, blob: bytes | None) -> bytes:
        """The bytes a stored blob holds (JSON of a record or a version, raw content...)."""
        return self.codec.unpack(blob)

    def load_entry(self, blob: bytes) -> Dataset | DataService:
        """The record a ``records.data`` (or ``record_versions.data``) blob holds."""
        return entry_from_json(self.codec.unpack(blob))

    def _record_json(self, blob: bytes | None) -> str | None:
        """SQL ``record_json(data)``: the JSON text of a stored record, for json_extract and json_each. The last blob
        is remembered: a query calling it several times on one row decompresses once."""
        if blob is None:
            return None
        last = self._local.__dict__.get("last_json")
        if last is not None and last[0] == blob:
            return last[1]
        text = self.codec.unpack(blob).decode()
        self._local.last_json = (blob, text)
        return text

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: a crash inside leaves the database as it was before."""
        db = self.db
        if db.in_transaction:
            yield db
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        if self.codec.wants_training:  # after the commit: a dictionary is stored before any blob names it
            self.codec.train_pending()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- sources --------------------------------------------------------------------------------------------------

    def sync_sources(self, sources: Sequence[SourceConfig]) -> None:
        """Bring the sources table in line with the config; sources left out of it are disabled, not deleted."""
        now = utcnow()
        with self.transaction() as db:
            for source in sources:
                db.execute(
                    """INSERT INTO sources (id, type, url, name, config, enabled, added_at, updated_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT (id) DO UPDATE SET type=excluded.type, url=excluded.url, name=excluded.name,
                       config=excluded.config, enabled=excluded.enabled, updated_at=excluded.updated_at""",
                    (source.id, source.type, source.url, source.name, source.model_dump_json(),
                     int(source.enabled), now, now),
                )
            known = [s.id for s in sources]
            db.execute(
                f"UPDATE sources SET enabled = 0 WHERE id NOT IN ({','.join('?' * len(known))})", known
            )
        self.sources_generation += 1

    def ensure_source(self, source: SourceConfig) -> None:
        """Register a source harvested without a prior :meth:`sync_sources` (its job and dates need the row)."""
        now = utcnow()
        with self.transaction() as db:
            db.execute(
                """INSERT INTO sources (id, type, url, name, config, enabled, added_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING""",
                (source.id, source.type, source.url, source.name, source.model_dump_json(), int(source.enabled),
                 now, now),
            )

    def sources(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            """SELECT s.*, (SELECT COUNT(*) FROM records r WHERE r.source_id = s.id AND r.status = 'active')
               AS records FROM sources s ORDER BY s.id"""
        ).fetchall()
        return [dict(row) for row in rows]

    def source(self, source_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM sources WHERE id = ?", (source_id,)).fetchone()
        return dict(row) if row else None

    # -- jobs -----------------------------------------------------------------------------------------------------

    def start_job(self, source_id: str, mode: str) -> int:
        """Open a job and take the source's harvest lock; a lock held by a dead process is taken over and its
        job marked interrupted. Raises :class:`HarvestLockedError` if a live process holds it."""
        now, pid, host = utcnow(), os.getpid(), os.uname().nodename
        with self.transaction() as db:  # BEGIN IMMEDIATE: check and take the lock as one step, across processes
            lock = db.execute("SELECT * FROM harvest_locks WHERE source_id = ?", (source_id,)).fetchone()
            if lock is not None and not self._release_if_stale(db, lock, now):
                raise HarvestLockedError(
                    f"source {source_id!r} is being harvested by job {lock['job_id']} (pid {lock['pid']})"
                )
            cur = db.execute(
                "INSERT INTO jobs (source_id, mode, status, started_at, pid, host) VALUES (?, ?, 'running', ?, ?, ?)",
                (source_id, mode, now, pid, host),
            )
            job_id = int(cur.lastrowid or 0)
            db.execute(
                "INSERT INTO harvest_locks (source_id, job_id, pid, host, acquired_at) VALUES (?, ?, ?, ?, ?)",
                (source_id, job_id, pid, host, now),
            )
        with _LIVE_JOBS_LOCK:
            _LIVE_JOBS.add((self._key, job_id))
        return job_id

    def release_stale_locks(self) -> int:
        """Release the locks of jobs whose process is gone, marking those jobs interrupted (so the job log does not
        show them running forever); returns how many. Locks of live jobs are left alone."""
        now = utcnow()
        with self.transaction() as db:
            locks = db.execute("SELECT * FROM harvest_locks").fetchall()
            return sum(self._release_if_stale(db, lock, now) for lock in locks)

    def harvest_lock(self, source_id: str) -> dict[str, Any] | None:
        """The source's harvest lock (job_id, pid, host, acquired_at) if a live job holds it, else None."""
        lock = self.db.execute("SELECT * FROM harvest_locks WHERE source_id = ?", (source_id,)).fetchone()
        return dict(lock) if lock is not None and self._stale_reason(lock) is None else None

    def _release_if_stale(self, db: sqlite3.Connection, lock: sqlite3.Row, now: str) -> bool:
        reason = self._stale_reason(lock)
        if reason is None:
            return False
        db.execute("UPDATE jobs SET status = 'interrupted', finished_at = ?, error = ? WHERE id = ? AND "
                   "status = 'running'", (now, reason, lock["job_id"]))
        db.execute("DELETE FROM harvest_locks WHERE source_id = ?", (lock["source_id"],))
        return True

    def _stale_reason(self, lock: sqlite3.Row) -> str | None:
        """Why a harvest lock's holder is gone, or None if it may still be running (another host: cannot tell)."""
        if lock["host"] != os.uname().nodename:
            return None
        pid = lock["pid"]
        if pid == os.getpid():
            with _LIVE_JOBS_LOCK:
                live = (self._key, lock["job_id"]) in _LIVE_JOBS
            return None if live else f"job {lock['job_id']} ended without releasing its lock"
        if not _pid_alive(pid):
            return f"process {pid} ended before the job finished"
        started = _process_start(pid)
        if started is not None and started > datetime.fromisoformat(lock["acquired_at"]).timestamp() + 2:
            return f"process {pid} ended before the job finished (its pid now belongs to another process)"
        return None

    def finish_job(self, job_id: int, status: str, counts: JobCounts, *, requests: int = 0, bytes: int = 0,
                   retries: int = 0, duration: float | None = None, error: str | None = None,
                   events: Sequence[str] = (), full_sweep: bool = False, complete: bool = True) -> None:
        """Close the job and release its lock. ``last_success`` (the next incremental job's ``since``) moves only
        after a job that saw every page it asked for (``complete``): otherwise what a failed page held would be
        skipped by every incremental job until the next full sweep."""
        now = utcnow()
        try:
            with self.transaction() as db:
                job = db.execute("SELECT source_id, started_at FROM jobs WHERE id = ?", (job_id,)).fetchone()
                db.execute(
                    """UPDATE jobs SET status=?, finished_at=?, new=?, updated=?, unchanged=?, withdrawn=?,
                       restored=?, failed=?, requests=?, bytes=?, retries=?, duration=?, error=?, events=?
                       WHERE id=?""",
                    (status, now, counts.new, counts.updated, counts.unchanged, counts.withdrawn, counts.restored,
                     counts.failed, requests, bytes, retries, duration, error, orjson.dumps(list(events)).decode(),
                     job_id),
                )
                if status in ("succeeded", "partial") and complete:
                    db.execute("UPDATE sources SET last_success = ? WHERE id = ?",
                               (job["started_at"], job["source_id"]))
                    if full_sweep:
                        db.execute("UPDATE sources SET last_full_sweep = ? WHERE id = ?",
                                   (job["started_at"], job["source_id"]))
                db.execute("DELETE FROM harvest_locks WHERE job_id = ?", (job_id,))
        finally:  # even if the database refused the update, the lock is no longer held by a live job
            with _LIVE_JOBS_LOCK:
                _LIVE_JOBS.discard((self._key, job_id))

    def add_job_error(self, job_id: int, error: RecordError) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO job_errors (job_id, native_id, url, reason, at) VALUES (?, ?, ?, ?, ?)",
                (job_id, error.native_id, error.url, error.reason, utcnow()),
            )

    def jobs(self, source_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        if source_id:
            rows = self.db.execute(
                "SELECT * FROM jobs WHERE source_id = ? ORDER BY id DESC LIMIT ?", (source_id, limit)
            ).fetchall()
        else:
            rows = self.db.execute("SELECT * FROM jobs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [_job_dict(row) for row in rows]

    def job(self, job_id: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        job = _job_dict(row)
        job["errors"] = [
            dict(r) for r in self.db.execute(
                "SELECT native_id, url, reason, at FROM job_errors WHERE job_id = ? ORDER BY rowid", (job_id,)
            )
        ]
        return job

    # -- records --------------------------------------------------------------------------------------------------

    def save_raw(self, raw: RawRecord, job_id: int) -> bool:
        """Keep the raw record with its provenance; returns False (and writes nothing) when it is unchanged."""
        digest = raw.hash
        row = self.db.execute(
            "SELECT hash FROM raw_records WHERE source_id = ? AND native_id = ?", (raw.source_id, raw.native_id)
        ).fetchone()
        if row is not None and row["hash"] == digest:
            return False
        self.db.execute(
            """INSERT OR REPLACE INTO raw_records
               (source_id, native_id, profile, media_type, url, fetched_at, modified, hash, content, job_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (raw.source_id, raw.native_id, raw.profile, raw.media_type, raw.url, raw.fetched_at, raw.modified,
             digest, self.codec.pack(f"raw:{raw.profile}", raw.content), job_id),
        )
        return True

    def raw(self, source_id: str, native_id: str) -> RawRecord | None:
        row = self.db.execute(
            "SELECT * FROM raw_records WHERE source_id = ? AND native_id = ?", (source_id, native_id)
        ).fetchone()
        if row is None:
            return None
        return RawRecord(source_id=row["source_id"], native_id=row["native_id"], url=row["url"],
                         profile=row["profile"], content=self.codec.unpack(row["content"]),
                         media_type=row["media_type"],
                         fetched_at=row["fetched_at"], modified=row["modified"])

    def upsert_entry(self, entry: Dataset | DataService, raw_native_id: str, job_id: int, *,
                     digest: str | None = None) -> str:
        """Store a normalised entry; returns new, updated, unchanged or restored. Unchanged writes only the
        'seen by this job' mark, so a re-harvest of an unchanged source rewrites no record. ``digest``: its
        :func:`content_hash`, when the caller has it already."""
        digest = digest or content_hash(entry)
        now = utcnow()
        db = self.db
        row = db.execute("SELECT hash, status, version FROM records WHERE id = ?", (entry.id,)).fetchone()
        if row is None:
            change, version = "new", 1
        elif row["hash"] == digest and row["status"] == "active":
            db.execute("UPDATE records SET last_seen_job = ? WHERE id = ?", (job_id, entry.id))
            return "unchanged"
        else:
            change = "restored" if row["status"] == "withdrawn" else "updated"
            version = row["version"] + 1
            self._snapshot_current(entry.id)
        data = self.pack_record(entry_to_json(entry))
        db.execute(
            """INSERT INTO records (id, source_id, native_id, raw_native_id, kind, hash, data, status, version,
                                    first_seen, changed_at, last_seen_job, withdrawn_at, indexed)
               VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, NULL, 0)
               ON CONFLICT (id) DO UPDATE SET raw_native_id=excluded.raw_native_id, kind=excluded.kind,
                 hash=excluded.hash, data=excluded.data, status='active', version=excluded.version,
                 changed_at=excluded.changed_at, last_seen_job=excluded.last_seen_job, withdrawn_at=NULL, indexed=0""",
            (entry.id, entry.source_id, entry.native_id, raw_native_id, entry.kind, digest, data, version, now, now,
             job_id),
        )
        db.execute(
            "INSERT INTO record_versions (record_id, version, job_id, at, change, hash, data) VALUES (?,?,?,?,?,?,?)",
            (entry.id, version, job_id, now, change, digest, CURRENT),
        )
        return change

    def _snapshot_current(self, record_id: str) -> None:
        """Before a newer version replaces the current record: its version row gets its own copy of the JSON it
        shared with ``records.data`` (the stored blob as it is, already compressed)."""
        self.db.execute(
            """UPDATE record_versions SET data = (SELECT data FROM records WHERE id = ?)
               WHERE record_id = ? AND data = ?""", (record_id, record_id, CURRENT))

    def mark_seen_by_url(self, source_id: str, urls: Sequence[str], job_id: int) -> int:
        """Active records whose raw record came from one of ``urls`` (pages a conditional GET found unchanged) are
        marked seen by this job, so a full sweep does not withdraw them; returns how many."""
        if not urls:
            return 0
        with self.transaction() as db:
            cur = db.execute(
                f"""UPDATE records SET last_seen_job = ? WHERE source_id = ? AND status = 'active' AND raw_native_id IN
                    (SELECT native_id FROM raw_records WHERE source_id = ? AND url IN ({','.join('?' * len(urls))}))""",
                (job_id, source_id, source_id, *urls),
            )
            return cur.rowcount

    def mark_seen(self, source_id: str, raw_native_ids: Sequence[str], job_id: int) -> int:
        """Active records from these raw records are marked seen by this job (a record still at its source but not
        readable this time keeps its last good version instead of being withdrawn); returns how many."""
        if not raw_native_ids:
            return 0
        with self.transaction() as db:
            cur = db.execute(
                f"""UPDATE records SET last_seen_job = ? WHERE source_id = ? AND status = 'active'
                    AND raw_native_id IN ({','.join('?' * len(raw_native_ids))})""",
                (job_id, source_id, *raw_native_ids),
            )
            return cur.rowcount

    def unseen_share(self, source_id: str, job_id: int) -> tuple[int, int]:
        """(active records this job did not see, active records): what a full sweep would withdraw, out of what."""
        row = self.db.execute(
            """SELECT COUNT(*) AS active, SUM(last_seen_job != ?) AS unseen FROM records
               WHERE source_id = ? AND status = 'active'""", (job_id, source_id)).fetchone()
        return int(row["unseen"] or 0), int(row["active"] or 0)

    def withdraw_unseen(self, source_id: str, job_id: int) -> int:
        """After a complete full sweep: records of the source this job did not see are withdrawn (kept, hidden)."""
        now = utcnow()
        with self.transaction() as db:
            gone = db.execute(
                """SELECT id, version, hash FROM records
                   WHERE source_id = ? AND status = 'active' AND last_seen_job != ?""",
                (source_id, job_id),
            ).fetchall()
            for row in gone:
                self._snapshot_current(row["id"])
                db.execute(
                    """UPDATE records SET status = 'withdrawn', withdrawn_at = ?, version = ?, changed_at = ?,
                       indexed = 0 WHERE id = ?""",
                    (now, row["version"] + 1, now, row["id"]),
                )
                db.execute(
                    """INSERT INTO record_versions (record_id, version, job_id, at, change, hash, data)
                       VALUES (?, ?, ?, ?, 'withdrawn', ?, ?)""",
                    (row["id"], row["version"] + 1, job_id, now, row["hash"], CURRENT),
                )
        return len(gone)

    def add_metric_samples(self, entry: Dataset | DataService, job_id: int, at: str, *, first: bool = False) -> int:
        """Dated counter samples of a record and its distributions (downloads, views...), for the statistics.

        Only values that changed since the series' last sample are written: an unchanged counter adds nothing, so a
        national catalog harvested daily does not grow by a million rows a day; a missing sample means "unchanged".
        ``first``: the record is stored for the first time, so it has no series to compare with."""
        rows = [(entry.id, "", name, value) for name, value in entry.metrics.items()]
        if isinstance(entry, Dataset):
            for dist in entry.distributions:
                key = dist.native_id or dist.download_url or dist.access_url or ""
                rows += [(entry.id, key, name, value) for name, value in dist.metrics.items()]
        written = 0
        for record_id, dist_key, name, value in rows:
            last = None if first else self.db.execute(
                """SELECT value FROM metric_samples WHERE record_id = ? AND distribution = ? AND metric = ?
                   ORDER BY job_id DESC LIMIT 1""", (record_id, dist_key, name)).fetchone()
            if last is not None and last["value"] == value:
                continue
            self.db.execute(
                """INSERT OR REPLACE INTO metric_samples (record_id, distribution, metric, at, job_id, value)
                   VALUES (?, ?, ?, ?, ?, ?)""", (record_id, dist_key, name, at, job_id, value))
            written += 1
        if written:  # the index sorts by popularity: a changed counter makes the record's index entry stale
            self.db.execute("UPDATE records SET indexed = 0 WHERE id = ?", (entry.id,))
        return written

    def entry(self, record_id: str) -> tuple[Dataset | DataService, dict[str, Any]] | None:
        row = self.db.execute(
            "SELECT id, source_id, native_id, status, version, first_seen, changed_at, withdrawn_at, data "
            "FROM records WHERE id = ?", (record_id,)
        ).fetchone()
        if row is None:
            return None
        meta = {k: row[k] for k in row.keys() if k != "data"}  # noqa: SIM118 - iterating a Row yields values
        return self.load_entry(row["data"]), meta

    def iter_entries(self, *, status: str | None = "active", source_id: str | None = None,
                     batch: int = 500) -> Iterator[Dataset | DataService]:
        """Stream records in id order, a batch at a time (never the whole catalog in memory)."""
        last = ""
        where, params = _record_filter(status, source_id)
        sql = f"SELECT id, data FROM records WHERE id > ? AND {where} ORDER BY id LIMIT ?"
        while True:
            rows = self.db.execute(sql, (last, *params, batch)).fetchall()
            if not rows:
                return
            for row in rows:
                yield self.load_entry(row["data"])
            last = rows[-1]["id"]

    def count(self, *, status: str | None = "active", source_id: str | None = None) -> int:
        where, params = _record_filter(status, source_id)
        return self.db.execute(f"SELECT COUNT(*) FROM records WHERE {where}", params).fetchone()[0]

    def history(self, record_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT version, job_id, at, change, hash FROM record_versions WHERE record_id = ? ORDER BY version",
            (record_id,),
        ).fetchall()
        return [dict(row) for row in rows]

    def version(self, record_id: str, version: int) -> Dataset | DataService | None:
        data = self._version_json(record_id, [version]).get(version)
        return entry_from_json(data) if data is not None else None

    def _version_json(self, record_id: str, versions: Sequence[int]) -> dict[int, bytes]:
        """The JSON of some versions of a record; the current version's is the record's own (kept once)."""
        rows = self.db.execute(
            f"""SELECT v.version, CASE WHEN v.data = ? THEN r.data ELSE v.data END AS data
                FROM record_versions v JOIN records r ON r.id = v.record_id
                WHERE v.record_id = ? AND v.version IN ({','.join('?' * len(versions))})""",
            (CURRENT, record_id, *versions)).fetchall()
        return {row["version"]: self.codec.unpack(row["data"]) for row in rows}

    def diff(self, record_id: str, old: int, new: int) -> list[dict[str, Any]] | None:
        """What changed in a record from version ``old`` to version ``new`` (see :func:`diff_json`); None if either
        version does not exist."""
        rows = {version: orjson.loads(data) for version, data in self._version_json(record_id, [old, new]).items()}
        if old not in rows or new not in rows:
            return None
        return diff_json(_without_counters(rows[old]), _without_counters(rows[new]))

    # -- the compact layout: reading a first-layout store, and rewriting it (`moisson store compact`) --------------

    def layout_version(self) -> int:
        """0: the store may hold rows of the first layout (plain blobs, every version's JSON); 1: compact."""
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def compact(self, batch: int = 500, progress: Callable[[str, int], None] | None = None,
                min_samples: int = 100) -> dict[str, int]:
        """Rewrite the rows of the first layout in the compact one, a transaction per batch (resumable: a row already
        compact is left as it is): raw contents and records compressed with their kind's dictionary (trained first
        from stored rows when the kind has none), the version rows that repeat the current record emptied. Returns
        rows rewritten per table. The quality table has its own step (:func:`index.quality.compact`); the caller
        marks the layout done with :meth:`mark_compact`. A kind with fewer than ``min_samples`` rows gets no
        dictionary (one trained on a handful of records weighs more than it saves)."""
        for profile, in self.db.execute("SELECT DISTINCT profile FROM raw_records").fetchall():
            self._train_from(f"raw:{profile}", "raw_records", "content", "profile = ?", (profile,), min_samples)
        self._train_from("record", "records", "data", min_samples=min_samples)
        done = {"raw_records": 0, "records": 0, "record_versions": 0}

        def raw(row: sqlite3.Row) -> tuple[Any, ...] | None:
            kind = f"raw:{row['profile']}"
            if not self._to_repack(kind, row["content"]):
                return None
            return (self.codec.pack(kind, self.codec.unpack(row["content"])), row["rowid"])

        def record(row: sqlite3.Row) -> tuple[Any, ...] | None:
            if not self._to_repack("record", row["data"]):
                return None
            return (self.pack_record(self.codec.unpack(row["data"])), row["rowid"])

        def version(row: sqlite3.Row) -> tuple[Any, ...] | None:
            if row["data"] == CURRENT:
                return None
            if row["current"]:  # the first layout kept the current version's JSON twice
                return (CURRENT, row["rowid"])
            if not self._to_repack("record", row["data"]):
                return None
            return (self.pack_record(self.codec.unpack(row["data"])), row["rowid"])

        # versions first: which one is current is read from records, whatever state its own row is in
        done["record_versions"] = self._rewrite(
            """SELECT v.rowid, v.data, v.version = r.version AS current FROM record_versions v
               JOIN records r ON r.id = v.record_id WHERE v.rowid > ? ORDER BY v.rowid LIMIT ?""",
            "UPDATE record_versions SET data = ? WHERE rowid = ?", version, batch, progress, "record_versions")
        done["raw_records"] = self._rewrite(
            "SELECT rowid, profile, content FROM raw_records WHERE rowid > ? ORDER BY rowid LIMIT ?",
            "UPDATE raw_records SET content = ? WHERE rowid = ?", raw, batch, progress, "raw_records")
        done["records"] = self._rewrite(
            "SELECT rowid, data FROM records WHERE rowid > ? ORDER BY rowid LIMIT ?",
            "UPDATE records SET data = ? WHERE rowid = ?", record, batch, progress, "records")
        return done

    def mark_compact(self, vacuum: bool = True) -> None:
        """Record that the store holds the compact layout only; ``vacuum`` gives the freed pages back to the disk
        (SQLite rewrites the file: it needs free space for the compacted copy, and the store is locked meanwhile)."""
        self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        if vacuum:
            self.db.execute("VACUUM")
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # in WAL mode the rewritten pages are in the log

    def _to_repack(self, kind: str, blob: bytes) -> bool:
        """A blob of the first layout, or one packed before its kind had a dictionary that it has now."""
        if not self.codec.is_packed(blob):
            return True
        return self.codec.dictionary_id(blob) == 0 and self.codec.has_dictionary(kind)

    def _train_from(self, kind: str, table: str, column: str, where: str = "1", params: tuple[Any, ...] = (),
                    min_samples: int = 100, samples: int = 2000) -> None:
        """A dictionary for ``kind`` from stored rows spread over the table (every n-th rowid), if it has none."""
        if self.codec.has_dictionary(kind):
            return
        total = self.db.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", params).fetchone()[0]
        if total < min_samples:
            return
        step = max(1, total // samples)
        rows = self.db.execute(f"SELECT {column} FROM {table} WHERE {where} AND rowid % ? = 0 LIMIT ?",
                               (*params, step, samples)).fetchall()
        self.codec.train(kind, [self.codec.unpack(row[0]) for row in rows])

    def _rewrite(self, select: str, update: str, convert: Callable[[sqlite3.Row], tuple[Any, ...] | None],
                 batch: int, progress: Callable[[str, int], None] | None, name: str) -> int:
        last, rewritten = 0, 0
        while rows := self.db.execute(select, (last, batch)).fetchall():
            changes = [change for row in rows if (change := convert(row)) is not None]
            if changes:
                with self.transaction() as db:
                    db.executemany(update, changes)
            rewritten += len(changes)
            last = rows[-1]["rowid"]
            if progress:
                progress(name, rewritten)
        return rewritten

    # -- index synchronisation ------------------------------------------------------------------------------------

    def pending_index(self, batch: int = 1000) -> list[tuple[str, str, bytes]]:
        """Records whose index entry is stale: (id, status, data as stored: :meth:`load_entry` reads it)."""
        rows = self.db.execute(
            "SELECT id, status, data FROM records WHERE indexed = 0 LIMIT ?", (batch,)
        ).fetchall()
        return [(row["id"], row["status"], row["data"]) for row in rows]

    def mark_indexed(self, ids: Sequence[str]) -> None:
        with self.transaction() as db:
            db.executemany("UPDATE records SET indexed = 1 WHERE id = ?", [(i,) for i in ids])

    def mark_all_unindexed(self) -> None:
        with self.transaction() as db:
            db.execute("UPDATE records SET indexed = 0")

    # -- conditional GET validators (the HTTP layer reads and writes them like a dict) -----------------------------

    def validators(self) -> ValidatorMap:
        return ValidatorMap(self)


class ValidatorMap:
    """ETag/Last-Modified per URL, persisted, so a conditional GET works across runs."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, url: str, default: Any = None) -> tuple[str | None, str | None] | Any:
        row = self.store.db.execute("SELECT etag, last_modified FROM http_validators WHERE url = ?", (url,)).fetchone()
        return (row["etag"], row["last_modified"]) if row else default

    def __getitem__(self, url: str) -> tuple[str | None, str | None]:
        value = self.get(url)
        if value is None:
            raise KeyError(url)
        return value

    def __setitem__(self, url: str, value: tuple[str | None, str | None]) -> None:
        with self.store.transaction() as db:
            db.execute("INSERT OR REPLACE INTO http_validators (url, etag, last_modified) VALUES (?, ?, ?)",
                       (url, value[0], value[1]))

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and self.get(url) is not None


# Fields that tell list items apart (distributions, agents, access services...), so a diff follows an item that moved
# in its list instead of reporting every item after an insertion as changed.
_IDENTITY_FIELDS = ("native_id", "uri", "download_url", "access_url", "endpoint_url", "email", "name")


def diff_json(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """A field-level diff of two stored records, for people: ``[{path, change, from?, to?}]`` with change one of
    added, removed, changed. Paths are dotted (``publisher.name``); list items are named by an identifying field
    when they have one (``distributions[download_url=https://...].format``), else by position; a list of plain values
    (keywords, themes) reports each value added or removed. Fields left out of the stored JSON are defaults (empty),
    so a field appearing is ``added`` and one disappearing ``removed``."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[dict[str, Any]] = []
        for key in [*old, *(k for k in new if k not in old)]:
            where = f"{path}.{key}" if path else key
            if key not in new:
                changes.append({"path": where, "change": "removed", "from": old[key]})
            elif key not in old:
                changes.append({"path": where, "change": "added", "to": new[key]})
            else:
                changes += diff_json(old[key], new[key], where)
        return changes
    if isinstance(old, list) and isinstance(new, list) and old != new:
        return _diff_list(old, new, path)
    return [] if old == new else [{"path": path, "change": "changed", "from": old, "to": new}]


def _diff_list(old: list[Any], new: list[Any], path: str) -> list[dict[str, Any]]:
    if not any(isinstance(v, dict | list) for v in (*old, *new)):
        removed = [{"path": path, "change": "removed", "from": v} for v in old if v not in new]
        added = [{"path": path, "change": "added", "to": v} for v in new if v not in old]
        return removed + added or [{"path": path, "change": "changed", "from": old, "to": new}]  # reordered only
    old_keys, new_keys = _item_keys(old, new) or ([str(i) for i in range(len(old))], [str(i) for i in range(len(new))])
    before, after = dict(zip(old_keys, old, strict=True)), dict(zip(new_keys, new, strict=True))
    changes: list[dict[str, Any]] = []
    for key in [*old_keys, *(k for k in new_keys if k not in before)]:
        where = f"{path}[{key}]"
        if key not in after:
            changes.append({"path": where, "change": "removed", "from": before[key]})
        elif key not in before:
            changes.append({"path": where, "change": "added", "to": after[key]})
        else:
            changes += diff_json(before[key], after[key], where)
    return changes


def _item_keys(old: list[Any], new: list[Any]) -> tuple[list[str], list[str]] | None:
    """``field=value`` for each item of both lists, with the first identifying field that every item has and no two
    items of a list share; None when there is none (the items are then told apart by position)."""
    for name in _IDENTITY_FIELDS:
        keys = []
        for items in (old, new):
            values = [item.get(name) if isinstance(item, dict) else None for item in items]
            if not all(isinstance(v, str) and v for v in values) or len(set(values)) != len(values):
                break
            keys.append([f"{name}={v}" for v in values])
        else:
            return keys[0], keys[1]
    return None


def _without_counters(data: dict[str, Any]) -> dict[str, Any]:
    """A stored record without its download/view counters: they are samples, not what the record says (the content
    hash leaves them out too), so a diff of versions does not list them."""
    data = {k: v for k, v in data.items() if k != "metrics"}
    if isinstance(data.get("distributions"), list):
        data["distributions"] = [{k: v for k, v in d.items() if k != "metrics"} if isinstance(d, dict) else d
                                 for d in data["distributions"]]
    return data


def _record_filter(status: str | None, source_id: str | None) -> tuple[str, list[str]]:
    """The WHERE clause (and its parameters) selecting records by status and source; "1" when neither is given."""
    clauses, params = ["1"], []
    if status:
        clauses.append("status = ?")
        params.append(status)
    if source_id:
        clauses.append("source_id = ?")
        params.append(source_id)
    return " AND ".join(clauses), params


def _job_dict(row: sqlite3.Row) -> dict[str, Any]:
    job = dict(row)
    job["events"] = orjson.loads(job["events"]) if job.get("events") else []
    return job
