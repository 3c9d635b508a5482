"""When to score: after a harvest for changed records, and after link checks for the records whose links changed.

Why in the pipeline: scoring is pure (:mod:`scoring.mqa`, :mod:`scoring.french`) and the store keeps the results
(:mod:`index.quality`); only this layer knows both, and it keeps link checking out of the harvest's way.

SHACL (DCAT-AP compliance, 30 of the 405 points) runs on the official shapes compiled once into plain checks (about
0.3-0.4 ms of CPU a record in batches of :data:`SHACL_BATCH`; pyshacl, the reference, took 11-13 ms: README, "SHACL:
what it costs"). Every record is validated once per content version — the verdict is kept with the content hash and
reused while the record does not change. A run validates at most ``shacl_budget`` records: first the records whose
content changed, then the ones still waiting for a verdict, in record-id order (deterministic); the others keep "not
validated" (0 points, said so) until a later run reaches them. After a harvest the budget is
:data:`SHACL_PER_HARVEST`, enough for every record a national portal changes in one job, so SHACL runs in the harvest's
own time; only a first harvest of a larger source leaves the rest to the next runs. `moisson score` has no budget
unless given one.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from index.quality import LinkVerdicts, Scoring, ensure_schema, record_urls, score_and_store, score_many
from index.store import Store
from normalise.model import DataService, Dataset
from scoring.links import LinkChecker

log = logging.getLogger(__name__)

SHACL_BATCH = 50  # records per validation run: shares its fixed cost, keeps the graph small
SHACL_PER_HARVEST = 100_000  # records validated after one harvest job (~40 s of a core); the rest in later runs
PAGE = SHACL_BATCH
LINK_CHUNK = 200  # URLs checked, saved and their records rescored at a time


@dataclass
class ScoringRun:
    """What one scoring pass did."""

    scored: int = 0
    validated: int = 0  # records given a SHACL verdict in this run
    not_validated: int = 0  # records scored without a SHACL verdict (budget spent, or SHACL off)
    shacl_seconds: float = 0.0
    attempted: set[str] = field(default_factory=set, repr=False)  # ids given to SHACL in this run


def score_records(store: Store, *, source_id: str | None = None, only_stale: bool = True, shacl: bool = True,
                  shacl_budget: int | None = SHACL_PER_HARVEST) -> ScoringRun:
    """(Re)score active records of a source (or all); with ``only_stale``, those whose content changed since their
    last score or that were never scored. Validates with SHACL within ``shacl_budget`` records (None: no limit), then
    spends what is left of the budget on records still waiting for a verdict. Streams the store a page at a time."""
    ensure_schema(store)
    run = ScoringRun()
    budget = [shacl_budget if shacl else 0]
    where = ["r.status = 'active'"]
    params: list[Any] = []
    if source_id:
        where.append("r.source_id = ?")
        params.append(source_id)
    stale = ["(q.record_id IS NULL OR q.hash != r.hash)"] if only_stale else []
    for rows in _pages(store, where + stale, params):
        _score_page(store, rows, run, budget)
    if only_stale and budget[0] != 0:
        waiting = ["q.hash = r.hash", "q.shacl_conforms IS NULL"]
        for rows in _pages(store, where + waiting, params):
            rows = [row for row in rows if row["id"] not in run.attempted]  # failed earlier in this run: next run
            _score_page(store, rows if budget[0] is None else rows[:budget[0]], run, budget)
            if budget[0] == 0:
                break
    return run


def _pages(store: Store, where: list[str], params: list[Any]) -> Any:
    sql = (f"SELECT r.id, r.hash, r.data, q.hash AS scored_hash, q.shacl_conforms FROM records r "
           f"LEFT JOIN quality q ON q.record_id = r.id WHERE {' AND '.join(where)} AND r.id > ? ORDER BY r.id "
           f"LIMIT {PAGE}")
    last = ""
    while rows := store.db.execute(sql, (*params, last)).fetchall():
        yield rows
        last = rows[-1]["id"]


def _score_page(store: Store, rows: list[Any], run: ScoringRun, budget: list[int | None]) -> None:
    entries = [(row, store.load_entry(row["data"])) for row in rows]
    wanted = [entry for row, entry in entries
              if not (row["scored_hash"] == row["hash"] and row["shacl_conforms"] is not None)]
    if budget[0] is not None:
        wanted = wanted[:budget[0]]
        budget[0] -= len(wanted)
    run.attempted.update(entry.id for entry in wanted)
    started = time.perf_counter()
    reports = _validate(wanted)
    run.shacl_seconds += time.perf_counter() - started
    run.validated += len(reports)
    items = [Scoring(entry, row["hash"]) if (report := reports.get(entry.id)) is None else
             Scoring(entry, row["hash"], report.conforms_alone, [v.as_dict() for v in report.violations])
             for row, entry in entries]
    for item, quality in zip(items, score_many(store, items), strict=True):
        if item.shacl_conforms is None and not any(r.key == "dcat_ap_compliance" and r.checked
                                                   for r in quality.indicators):
            run.not_validated += 1
        run.scored += 1


def _validate(entries: list[Dataset | DataService]) -> dict[str, Any]:
    """SHACL reports by record id; a batch the validator cannot run is retried record by record, and a record that
    still fails is left not validated (logged), never given a guessed verdict."""
    if not entries:
        return {}
    from scoring import shacl

    try:
        return shacl.validate_entries(entries)
    except Exception:
        log.warning("SHACL batch of %d records failed; validating them one by one", len(entries), exc_info=True)
    reports = {}
    for entry in entries:
        try:
            reports[entry.id] = shacl.validate_entry(entry)
        except Exception:
            log.warning("SHACL validation of %s failed; left not validated", entry.id, exc_info=True)
    return reports


def check_links(store: Store, checker: LinkChecker, *, source_id: str | None = None,
                interval: timedelta = timedelta(days=7), stop: threading.Event | None = None) -> int:
    """Check the links of active records that are due, then rescore the records whose links were checked. Works in
    chunks of :data:`LINK_CHUNK` URLs, each saved and its records rescored before the next, so an interrupted pass
    (``stop`` set: the server shutting down) keeps what it checked. Returns how many URLs were checked."""
    verdicts = LinkVerdicts(store)
    by_url: dict[str, set[str]] = {}
    sql = "SELECT id, data FROM records WHERE status = 'active'" + (" AND source_id = ?" if source_id else "")
    for row in store.db.execute(sql, (source_id,) if source_id else ()).fetchall():
        for url in record_urls(store.load_entry(row["data"])):
            by_url.setdefault(url, set()).add(row["id"])
    due = verdicts.due(by_url, interval)
    checked = 0
    for start in range(0, len(due), LINK_CHUNK):
        if stop is not None and stop.is_set():
            break
        chunk = due[start:start + LINK_CHUNK]
        checked += verdicts.save(checker.check_many(chunk))
        for rid in sorted({rid for url in chunk for rid in by_url[url]}):
            row = store.db.execute("SELECT hash, data FROM records WHERE id = ?", (rid,)).fetchone()
            score_and_store(store, store.load_entry(row["data"]), row["hash"])
    return checked
