"""One harvest job, end to end: fetch -> normalise -> store -> index, with its job log.

Why here: this is the only place that knows every stage. Harvesters know nothing of the store, normalisers nothing
of HTTP. A malformed record is reported on the job and skipped; a source that fails fails only its own job and keeps
its previous records; records are committed in batches so a crash loses at most the open batch, and withdrawal only
happens after a full sweep that saw every page.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from harvesters import harvester_class
from index.quality import Scoring, score_many
from index.store import JobCounts, Store
from kernel.config import Config, SourceConfig
from kernel.http import HttpClient
from kernel.records import RawRecord, RecordError, SourceError, utcnow
from normalise import NormaliseError, normalise
from normalise.model import DataService, Dataset, content_hash

log = logging.getLogger(__name__)

# Below this many records a source may lose most of them in one sweep (a small portal reorganised); above it, a sweep
# that would withdraw more than settings.max_withdraw_share of them is refused as a probably broken listing.
MASS_WITHDRAWAL_FLOOR = 10

BATCH = 200  # records per transaction: a crash loses at most this many, already fetched, records
FETCH_AHEAD = 2000  # items a harvester may fetch ahead of the job storing them (a page or two of most portals)
SINCE_MARGIN = timedelta(minutes=10)


@dataclass
class JobResult:
    job_id: int
    source_id: str
    mode: str
    status: str
    counts: JobCounts
    requests: int = 0
    bytes: int = 0
    retries: int = 0
    duration: float = 0.0
    error: str | None = None
    errors: list[RecordError] = field(default_factory=list)
    warnings: list[RecordError] = field(default_factory=list)  # defects worked around (see RecordError.warning)


Progress = Callable[[str, int], None]  # (source id, records processed so far)


def choose_mode(store: Store, source: SourceConfig, config: Config, requested: str | None) -> str:
    """Full sweep when asked, when the source never completed one, or when the last one is older than the
    configured interval; incremental otherwise (if the harvester supports it)."""
    if requested in ("full", "incremental"):
        return requested
    row = store.source(source.id) or {}
    try:
        incremental = harvester_class(source.type).supports_incremental
    except ImportError:  # the job will fail with the reason; asking for a full sweep changes nothing
        incremental = False
    if not incremental or not row.get("last_success"):
        return "full"
    last_full = row.get("last_full_sweep")
    if not last_full:
        return "full"
    age = datetime.now(UTC) - datetime.fromisoformat(last_full)
    return "full" if age > timedelta(days=config.settings.full_sweep_days) else "incremental"


def run_harvest(store: Store, source: SourceConfig, config: Config, *, mode: str | None = None,
                progress: Progress | None = None, index_after: bool = True, batch_size: int = BATCH,
                stop: threading.Event | None = None) -> JobResult:
    """Harvest one source into the store (and the index). Never raises for a source's own failure, nor for a store
    error during the job (the job is then failed and its lock released); raises :class:`HarvestLockedError` when the
    source is being harvested by another live job. ``batch_size`` records are committed at a time. Setting ``stop``
    (Ctrl-C, the server shutting down) ends the job at the next record: what was fetched is stored, and the job is
    marked interrupted."""
    store.ensure_source(source)
    mode = choose_mode(store, source, config, mode)
    since = _since(store, source) if mode == "incremental" else None
    job_id = store.start_job(source.id, mode)
    validators = JobValidators(store.validators())
    http = HttpClient(config.settings.http, allow_private=config.settings.allow_private_networks,
                      contact=config.settings.contact, validators=validators)
    counts = JobCounts()
    result = JobResult(job_id, source.id, mode, "running", counts)
    started = time.monotonic()
    status, error, complete = "failed", "internal error", False  # until the job says otherwise
    try:
        status, error, complete = _fetch_and_store(store, source, http, since, job_id, counts, result, progress,
                                                   batch_size, stop)
        validators.save()  # every record fetched is stored: the validators that vouch for them may be kept
        if status == "succeeded" and mode == "full" and complete:
            unseen, active = store.unseen_share(source.id, job_id)
            if active >= MASS_WITHDRAWAL_FLOOR and unseen > config.settings.max_withdraw_share * active:
                complete = False
                error = (f"the source listed only {active - unseen} of its {active} records: withdrawing {unseen} "
                         "at once looks like a broken listing, so none were withdrawn (settings.max_withdraw_share "
                         f"= {config.settings.max_withdraw_share:g}; raise it if the portal really removed them)")
            else:
                counts.withdrawn = store.withdraw_unseen(source.id, job_id)
        if status == "succeeded" and (counts.failed or not complete):
            status = "partial"
    except Exception as exc:  # the store failed (disk full, database locked for too long...): only this job fails
        log.exception("harvest of %s failed in the store", source.id)
        status, error, complete = "failed", f"internal error: {type(exc).__name__}: {exc}", False
    except BaseException:  # Ctrl-C, SystemExit: the job did not finish, say so rather than leave it 'running'
        status, error, complete = "interrupted", "the harvest was stopped", False
        raise
    finally:
        result.status, result.error = status, error
        result.duration = time.monotonic() - started
        result.requests, result.bytes, result.retries = http.stats.requests, http.stats.bytes, http.stats.retries
        try:
            store.finish_job(job_id, status, counts, requests=http.stats.requests, bytes=http.stats.bytes,
                             retries=http.stats.retries, duration=result.duration, error=error,
                             events=http.stats.events, full_sweep=mode == "full", complete=complete)
        finally:
            http.close()
    if progress:
        progress(source.id, _done(counts))
    score_changed_records(store, source.id)  # cheap when nothing changed; also catches up SHACL left for later
    quality_point(store, source.id, job_id)
    cluster_changed_records(store, source.id)  # after scoring: the quality score helps elect a cluster's primary
    if index_after:
        sync_search_index(store)
    return result


def score_changed_records(store: Store, source_id: str) -> None:
    """Score the records the job added or changed (before indexing, so the index carries their quality band), and
    validate with SHACL within the per-harvest budget the records still waiting for it (pipeline.scoring). A
    scoring failure is logged, not fatal: the records are stored, and `moisson score` catches up."""
    from pipeline.scoring import score_records

    try:
        score_records(store, source_id=source_id)
    except Exception:
        log.warning("records of %s not scored; `moisson score` will catch up", source_id, exc_info=True)


def quality_point(store: Store, source_id: str, job_id: int) -> None:
    """Issue 15: the source's (and its publishers') mean score after this harvest, a point of their quality trend.
    A failure is logged, not fatal: the trend only misses a point."""
    from index.quality import take_quality_point

    try:
        take_quality_point(store, source_id, job_id)
    except Exception:
        log.warning("no quality point for %s after job %s", source_id, job_id, exc_info=True)


def cluster_changed_records(store: Store, source_id: str) -> None:
    """Link the records the job added, changed or withdrew to their copies on other portals (index.clusters), before
    indexing, so the index shows each dataset once. A failure is logged, not fatal: the records are stored, and the
    next harvest of the source (or `moisson duplicates`) catches up."""
    from index.clusters import update_clusters

    try:
        update_clusters(store, source_id=source_id)
    except Exception:
        log.warning("records of %s not clustered; `moisson duplicates` will catch up", source_id, exc_info=True)


def draw_cluster_keys(store: Store, entries: list[tuple[Dataset | DataService, str]]) -> None:
    """Draw the duplicate-match keys of the batch's new and changed records while their models are in hand
    (index.clusters.draw_keys), so the job's clustering pass need not read and parse them again. A failure is logged,
    not fatal: the pass then reads the records from the store."""
    from index.clusters import draw_keys

    try:
        draw_keys(store, entries)
    except Exception:
        log.warning("match keys of %d records not drawn with their batch", len(entries), exc_info=True)


def _since(store: Store, source: SourceConfig) -> str | None:
    """Where an incremental job starts: the start of the last complete job, less a margin. The margin covers a
    source whose clock runs behind ours (a record it stamps a little "in the past" would otherwise be missed until
    the next full sweep); re-fetching a few records costs little, they come back unchanged."""
    last = (store.source(source.id) or {}).get("last_success")
    if not last:
        return None
    return (datetime.fromisoformat(last) - SINCE_MARGIN).isoformat(timespec="seconds")


def _fetch_and_store(store: Store, source: SourceConfig, http: HttpClient, since: str | None, job_id: int,
                     counts: JobCounts, result: JobResult, progress: Progress | None, batch_size: int,
                     stop: threading.Event | None) -> tuple[str, str | None, bool]:
    """Stream the harvester into the store a batch at a time; returns (status, error, complete). A harvester or
    network failure ends the stream but keeps what was fetched before it; a store failure propagates."""
    try:
        harvester = harvester_class(source.type)(source, http)
        items = FetchAhead(harvester.harvest(since=since), name=f"fetch-{source.id}")
    except Exception as exc:  # bad options, a harvester that cannot be imported: a clear failure of this source
        return "failed", _plain(exc), False
    try:
        status, error, complete = _store_items(store, source, items, job_id, counts, result, progress, batch_size,
                                               stop)
    finally:
        items.close()  # the fetching thread ends before anything reads what the harvester kept (unchanged pages)
    # pages a conditional GET found unchanged (DCAT): their records were not fetched again, yet they are still there
    counts.unchanged += store.mark_seen_by_url(source.id, list(getattr(harvester, "unchanged_pages", ())), job_id)
    return status, error, complete


def _store_items(store: Store, source: SourceConfig, items: Iterator[Any], job_id: int, counts: JobCounts,
                 result: JobResult, progress: Progress | None, batch_size: int,
                 stop: threading.Event | None) -> tuple[str, str | None, bool]:
    """Normalise and store the items a batch at a time, until the harvester ends, fails or the job is stopped."""
    status, error, complete = "succeeded", None, True
    batch: list[tuple[RawRecord, list[Dataset | DataService]]] = []
    while True:
        if stop is not None and stop.is_set():
            status, error, complete = "interrupted", "stopped before the end (Ctrl-C or shutdown)", False
            break
        try:
            item = next(items)
        except StopIteration:
            break
        except (SourceError, requests.RequestException, OSError) as exc:
            status, error, complete = "failed", _plain(exc), False
            break
        except Exception as exc:  # a harvester bug must not take other sources down; the trace goes to the log
            log.exception("harvest of %s crashed", source.id)
            status, error, complete = "failed", f"internal error: {type(exc).__name__}: {exc}", False
            break
        if isinstance(item, RecordError) and item.warning:  # a defect worked around: said, not counted as failed
            result.warnings.append(item)
            store.add_job_error(job_id, RecordError(f"warning: {item.reason}", item.native_id, item.url))
            continue
        if isinstance(item, RecordError):
            complete = complete and not item.page_level
            _record_failure(store, job_id, item, counts, result)
            continue
        entries = _normalise(store, item, source, job_id, counts, result)
        if entries is not None:
            batch.append((item, entries))
        if len(batch) >= batch_size:
            _write(store, batch, job_id, counts)
            batch.clear()
            if progress:
                progress(source.id, _done(counts))
    _write(store, batch, job_id, counts)  # what was fetched before a failure is good: keep it
    return status, error, complete


class FetchAhead(Iterator[Any]):
    """A harvester's items, fetched by a thread of their own up to :data:`FETCH_AHEAD` items ahead.

    Why: a harvest alternates between waiting for a page and normalising, scoring and storing its records. Fetched
    ahead, the next page is on its way (the source works, the socket waits without the GIL) while this one is being
    stored: the job takes about the longer of the two instead of their sum. Items come out in the harvester's order
    and its exceptions at the same point, so the job sees exactly what it would have seen without the thread."""

    def __init__(self, items: Iterator[Any], name: str) -> None:
        self._items = items
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(FETCH_AHEAD)
        self._closed = threading.Event()
        self._finished = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put(("item", item)):
                    return
            self._put(("end", None))
        except BaseException as exc:  # handed over to the job, which decides what it means
            self._put(("error", exc))
        finally:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()

    def _put(self, message: tuple[str, Any]) -> bool:
        while not self._closed.is_set():
            try:
                self._queue.put(message, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def __next__(self) -> Any:
        if self._finished:
            raise StopIteration
        kind, value = self._queue.get()
        if kind == "item":
            return value
        self._finished = True
        if kind == "error":
            raise value
        raise StopIteration

    def close(self) -> None:
        """Stop fetching (the job ended, or was stopped) and wait for the thread."""
        self._closed.set()
        self._thread.join()


class JobValidators(MutableMapping[str, tuple[str | None, str | None]]):
    """The conditional-GET validators a job sees: read through to the store, written to it only by :meth:`save`,
    once the records fetched with them are stored. Written at once, a validator would outlive a crash between the
    fetch and the commit of its records, and the next run, answered 304, would never fetch those records again."""

    def __init__(self, stored: MutableMapping[str, tuple[str | None, str | None]]) -> None:
        self.stored = stored
        self.new: dict[str, tuple[str | None, str | None]] = {}

    def __getitem__(self, url: str) -> tuple[str | None, str | None]:
        return self.new[url] if url in self.new else self.stored[url]

    def __setitem__(self, url: str, value: tuple[str | None, str | None]) -> None:
        self.new[url] = value

    def __delitem__(self, url: str) -> None:
        del self.new[url]

    def __iter__(self) -> Iterator[str]:
        return iter(self.new)

    def __len__(self) -> int:
        return len(self.new)

    def __contains__(self, url: object) -> bool:
        return url in self.new or url in self.stored

    def save(self) -> None:
        for url, value in self.new.items():
            self.stored[url] = value
        self.new.clear()


def _done(counts: JobCounts) -> int:
    return counts.new + counts.updated + counts.unchanged + counts.restored


_index_lock = threading.Lock()


def sync_search_index(store: Store) -> None:
    """Bring the search index up to date after a job. One job at a time per process (the engines have a single
    writer); a failure is logged, not fatal: the store is the truth, and the next sync catches the index up."""
    from index import sync_index
    from index.search import IndexUnavailableError

    with _index_lock:
        try:
            sync_index(store)
        except IndexUnavailableError as exc:  # the message says it all (cluster down, credentials, layout)
            log.warning("search index not updated: %s; the next sync will catch up", exc)
        except Exception:
            log.warning("search index not updated; the next sync will catch up", exc_info=True)


def _normalise(store: Store, raw: RawRecord, source: SourceConfig, job_id: int, counts: JobCounts,
               result: JobResult) -> list[Dataset | DataService] | None:
    try:
        return normalise(raw, source.publisher)
    except NormaliseError as exc:
        reason = str(exc)
    except Exception as exc:  # a normaliser bug on one record must not stop the source
        log.debug("normaliser crashed on %s/%s", raw.source_id, raw.native_id, exc_info=True)
        reason = f"cannot normalise: {type(exc).__name__}: {exc}"
    _record_failure(store, job_id, RecordError(reason, raw.native_id, raw.url), counts, result)
    return None


def _write(store: Store, batch: list[tuple[RawRecord, list[Dataset | DataService]]], job_id: int,
           counts: JobCounts) -> None:
    """One short transaction per batch: a crash loses at most this batch, never half a record. The records that
    changed are scored in the same transaction, with the model in hand (not read back and parsed again); SHACL is
    left to :func:`score_changed_records`, which runs within its own budget."""
    if not batch:
        return
    now = utcnow()
    changed: list[Scoring] = []
    with store.transaction():
        for raw, entries in batch:
            store.save_raw(raw, job_id)
            for entry in entries:
                digest = content_hash(entry)
                change = store.upsert_entry(entry, raw.native_id, job_id, digest=digest)
                setattr(counts, change, getattr(counts, change) + 1)
                store.add_metric_samples(entry, job_id, now, first=change == "new")
                if change != "unchanged":
                    changed.append(Scoring(entry, digest))
        try:
            score_many(store, changed)
        except Exception:  # stored, not scored: score_changed_records (or `moisson score`) catches up
            log.warning("records of job %d not scored with their batch", job_id, exc_info=True)
        draw_cluster_keys(store, [(scoring.entry, scoring.record_hash) for scoring in changed])


def _record_failure(store: Store, job_id: int, error: RecordError, counts: JobCounts, result: JobResult) -> None:
    counts.failed += 1
    result.errors.append(error)
    store.add_job_error(job_id, error)
    if error.native_id is not None:
        # the record is still at the source, only unreadable this time: its last good version is kept active, not
        # withdrawn by the full sweep. Matched on its native id: a URL may be shared (a DCAT page holds many records)
        store.mark_seen(result.source_id, [error.native_id], job_id)


def _plain(exc: BaseException) -> str:
    """A reason a person can act on, without a traceback."""
    if isinstance(exc, requests.exceptions.ConnectTimeout | requests.exceptions.ReadTimeout):
        return f"the source did not answer in time ({exc})"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"cannot reach the source ({exc})"
    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        return f"the source answered HTTP {exc.response.status_code} for {exc.response.url}"
    return str(exc) or type(exc).__name__
