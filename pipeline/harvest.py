"""One harvest job, end to end: fetch -> normalise -> store -> index, with its job log.

Why here: this is the only place that knows every stage. Harvesters know nothing of the store, normalisers nothing
of HTTP. A malformed record is reported on the job and skipped; a source that fails fails only its own job and keeps
its previous records; records are committed in batches so a crash loses at most the open batch, and withdrawal only
happens after a full sweep that saw every page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests

from harvesters import harvester_class
from harvesters.config import Config, SourceConfig
from harvesters.http import HttpClient
from harvesters.record import RawRecord, RecordError, SourceError, utcnow
from index.store import JobCounts, Store
from normalise import NormaliseError, normalise
from normalise.model import DataService, Dataset

log = logging.getLogger(__name__)

BATCH = 200


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


Progress = Callable[[str, int], None]  # (source id, records processed so far)


def choose_mode(store: Store, source: SourceConfig, config: Config, requested: str | None) -> str:
    """Full sweep when asked, when the source never completed one, or when the last one is older than the
    configured interval; incremental otherwise (if the harvester supports it)."""
    if requested in ("full", "incremental"):
        return requested
    row = store.source(source.id) or {}
    if not harvester_class(source.type).supports_incremental or not row.get("last_success"):
        return "full"
    last_full = row.get("last_full_sweep")
    if not last_full:
        return "full"
    age = datetime.now(UTC) - datetime.fromisoformat(last_full)
    return "full" if age > timedelta(days=config.settings.full_sweep_days) else "incremental"


def run_harvest(store: Store, source: SourceConfig, config: Config, *, mode: str | None = None,
                progress: Progress | None = None, index_after: bool = True) -> JobResult:
    """Harvest one source into the store (and the index). Never raises for a source's own failure."""
    mode = choose_mode(store, source, config, mode)
    since = None
    if mode == "incremental":
        since = (store.source(source.id) or {}).get("last_success")
    job_id = store.start_job(source.id, mode)
    http = HttpClient(config.settings.http, allow_private=config.settings.allow_private_networks,
                      contact=config.settings.contact, validators=store.validators())
    counts = JobCounts()
    result = JobResult(job_id, source.id, mode, "running", counts)
    started = time.monotonic()
    complete = True
    status, error = "succeeded", None
    batch: list[tuple[RawRecord, list[Dataset | DataService]]] = []
    try:
        harvester = harvester_class(source.type)(source, http)
        for item in harvester.harvest(since=since):
            if isinstance(item, RecordError):
                complete = complete and not item.page_level
                _record_failure(store, job_id, item, counts, result)
                continue
            entries = _normalise(store, item, source, job_id, counts, result)
            if entries is not None:
                batch.append((item, entries))
            if len(batch) >= BATCH:
                _write(store, batch, job_id, counts)
                batch.clear()
                if progress:
                    progress(source.id, counts.new + counts.updated + counts.unchanged + counts.restored)
    except (SourceError, requests.RequestException, OSError) as exc:
        status, error, complete = "failed", _plain(exc), False
    except Exception as exc:  # a harvester bug must not take other sources down; the trace goes to the log
        log.exception("harvest of %s crashed", source.id)
        status, error, complete = "failed", f"internal error: {type(exc).__name__}: {exc}", False
    finally:
        _write(store, batch, job_id, counts)  # what was fetched before a failure is good: keep it
    if progress:
        progress(source.id, counts.new + counts.updated + counts.unchanged + counts.restored)
    if status != "failed" and mode == "full" and complete:
        counts.withdrawn = store.withdraw_unseen(source.id, job_id)
    if status != "failed" and (counts.failed or not complete):
        status = "partial"
    result.status, result.error = status, error
    result.duration = time.monotonic() - started
    result.requests, result.bytes, result.retries = http.stats.requests, http.stats.bytes, http.stats.retries
    store.finish_job(job_id, status, counts, requests=http.stats.requests, bytes=http.stats.bytes,
                     retries=http.stats.retries, duration=result.duration, error=error,
                     events=http.stats.events, full_sweep=mode == "full" and complete and status != "failed")
    http.close()
    if index_after:
        from index import sync_index

        sync_index(store)
    return result


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
    """One short transaction per batch: a crash loses at most this batch, never half a record."""
    if not batch:
        return
    now = utcnow()
    with store.transaction():
        for raw, entries in batch:
            store.save_raw(raw, job_id)
            for entry in entries:
                change = store.upsert_entry(entry, raw.native_id, job_id)
                setattr(counts, change, getattr(counts, change) + 1)
                store.add_metric_samples(entry, job_id, now)


def _record_failure(store: Store, job_id: int, error: RecordError, counts: JobCounts, result: JobResult) -> None:
    counts.failed += 1
    result.errors.append(error)
    store.add_job_error(job_id, error)


def _plain(exc: BaseException) -> str:
    """A reason a person can act on, without a traceback."""
    if isinstance(exc, requests.exceptions.ConnectTimeout | requests.exceptions.ReadTimeout):
        return f"the source did not answer in time ({exc})"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"cannot reach the source ({exc})"
    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        return f"the source answered HTTP {exc.response.status_code} for {exc.response.url}"
    return str(exc) or type(exc).__name__
