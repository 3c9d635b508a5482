"""Quality kept in the store: link verdicts, each record's score, and the aggregates portals and ministries read.

Why stored, not computed on the fly: the score is a facet and a sort key of the search index, and the aggregates
cover whole portals. The computation itself is :mod:`scoring.mqa` and :mod:`scoring.french` (pure);
:mod:`pipeline.scoring` decides when to (re)score: when a record's content changed, when a link verdict it depends on
changed, or when its SHACL result arrives. A changed score flags the record for re-indexing.

An indicator whose verdict is missing (links not checked yet, SHACL not run) scores 0 and is marked unchecked: it is
reported as "not checked" / "not validated", never as something to fix, since nothing says it is wrong.

Compact form (issue 18): a row keeps verdicts, not prose. ``indicators`` holds each indicator's share met and the
keys not checked — points, weights, dimensions and labels are derived from :data:`scoring.mqa.INDICATORS` when
read; ``french`` holds each French check's status — its evidence and fix are worded again from the record when a
person reads them; ``shacl_violations`` the violations (NULL when there are none). Each is a small JSON compressed
with the store's "quality" dictionary (:mod:`index.compression`): ~0.1 KB a record instead of ~4 KB. Rows of the
first layout (JSON text with the prose) are still read, and rewritten by :func:`compact`.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import mean, median
from typing import Any

import orjson

from index.store import Store
from kernel.records import utcnow
from normalise.model import DataService, Dataset
from scoring import french
from scoring.links import LinkCheck
from scoring.mqa import INDICATOR_BY_KEY, INDICATORS, MAX_POINTS, LinkStatus, Quality, band, score_entry

SCHEMA = """
CREATE TABLE IF NOT EXISTS quality (
    record_id TEXT PRIMARY KEY,
    hash TEXT NOT NULL,             -- the record content hash that was scored
    score INTEGER NOT NULL,
    band TEXT NOT NULL,
    indicators BLOB NOT NULL,       -- packed {"s": {key: share met}, "u": [keys not checked]} (first layout: JSON text)
    shacl_conforms INTEGER,         -- NULL: not validated; else 1/0, ignoring checks that need other records
    shacl_violations BLOB,          -- packed JSON list of scoring.shacl.Violation; NULL when none
    computed_at TEXT NOT NULL,
    french BLOB                     -- packed {check key: status} (first layout: JSON list of scoring.french.Check)
);
CREATE TABLE IF NOT EXISTS link_checks (
    url TEXT PRIMARY KEY,
    ok INTEGER NOT NULL,
    status INTEGER,
    reason TEXT NOT NULL,
    final_url TEXT,
    elapsed REAL,
    checked_at TEXT NOT NULL
);
"""

HISTOGRAM_STEP = 45  # 9 buckets over 0-405
UNCHECKED_WORDS = {"dcat_ap_compliance": "not validated"}  # other unchecked indicators are links: "not checked"
SIREN = re.compile(r"^\d{9}$")


def ensure_schema(store: Store) -> None:
    """Create the tables (once per store object); add the columns a store made by an older version lacks. Statement
    by statement (``executescript`` would commit a transaction the caller has open: a harvest's batch scores its
    records inside its own)."""
    if getattr(store, "_quality_schema", False):
        return
    statement = ""
    for line in (SCHEMA + POINTS_SCHEMA).splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            store.db.execute(statement)
            statement = ""
    columns = {row[1] for row in store.db.execute("PRAGMA table_info(quality)")}
    if "french" not in columns:
        store.db.execute("ALTER TABLE quality ADD COLUMN french TEXT")
    store._quality_schema = True  # type: ignore[attr-defined]


class LinkVerdicts:
    """The link checker's verdicts by URL, so each URL is checked once per interval."""

    def __init__(self, store: Store) -> None:
        self.store = store
        ensure_schema(store)

    def save(self, checks: Iterable[LinkCheck]) -> int:
        rows = [(c.url, int(c.ok), c.status, c.reason, c.final_url, c.elapsed, utcnow()) for c in checks]
        with self.store.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO link_checks (url, ok, status, reason, final_url, elapsed, checked_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    def due(self, urls: Iterable[str], interval: timedelta) -> list[str]:
        """The URLs never checked, or checked longer ago than ``interval``."""
        cutoff = (datetime.now(UTC) - interval).isoformat(timespec="seconds")
        due = []
        for url in dict.fromkeys(urls):
            row = self.store.db.execute("SELECT checked_at FROM link_checks WHERE url = ?", (url,)).fetchone()
            if row is None or row["checked_at"] < cutoff:
                due.append(url)
        return due

    def statuses(self, urls: Iterable[str]) -> dict[str, LinkStatus]:
        out: dict[str, LinkStatus] = {}
        wanted = list(dict.fromkeys(urls))
        for start in range(0, len(wanted), 500):  # SQLite's limit on parameters is far above; one query a chunk
            chunk = wanted[start:start + 500]
            for row in self.store.db.execute("SELECT url, ok, status, reason FROM link_checks WHERE url IN "
                                             f"({','.join('?' * len(chunk))})", chunk):
                out[row["url"]] = LinkStatus(bool(row["ok"]), row["status"], row["reason"])
        return out

    def details(self, urls: Iterable[str]) -> list[dict[str, Any]]:
        """Each URL with its last verdict (or "not checked yet"), for a record's quality page."""
        out = []
        for url in dict.fromkeys(urls):
            row = self.store.db.execute("SELECT * FROM link_checks WHERE url = ?", (url,)).fetchone()
            if row is None:
                out.append({"url": url, "ok": None, "status": None, "reason": "not checked yet", "checked_at": None})
            else:
                out.append({"url": url, "ok": bool(row["ok"]), "status": row["status"], "reason": row["reason"],
                            "final_url": row["final_url"], "checked_at": row["checked_at"]})
        return out


def record_urls(entry: Dataset | DataService) -> list[str]:
    """The URLs whose reachability the score depends on."""
    if not isinstance(entry, Dataset):
        return []
    urls = []
    for dist in entry.distributions:
        urls += [u for u in (dist.access_url, dist.download_url) if u]
    return list(dict.fromkeys(urls))


def score_and_store(store: Store, entry: Dataset | DataService, record_hash: str, *,
                    shacl_conforms: bool | None = None, shacl_violations: list[dict] | None = None) -> Quality:
    """Score one record and keep the result; flags the record for re-indexing when its score or band changed.
    A SHACL verdict of an earlier run is reused while the record content is the same."""
    return score_many(store, [Scoring(entry, record_hash, shacl_conforms, shacl_violations)])[0]


@dataclass
class Scoring:
    """One record to score: its content hash, and a fresh SHACL verdict if there is one."""

    entry: Dataset | DataService
    record_hash: str
    shacl_conforms: bool | None = None
    shacl_violations: list[dict] | None = None


def score_many(store: Store, items: Sequence[Scoring]) -> list[Quality]:
    """Score records and keep the results, with one query for their previous rows and one for their links' verdicts
    (a harvest scores each batch it stores this way). Same rules as :func:`score_and_store`."""
    if not items:
        return []
    ensure_schema(store)
    ids = [item.entry.id for item in items]
    previous = {row["record_id"]: row for row in store.db.execute(
        "SELECT record_id, hash, score, band, shacl_conforms, shacl_violations FROM quality WHERE record_id IN "
        f"({','.join('?' * len(ids))})", ids)}
    links = LinkVerdicts(store).statuses({url: None for item in items for url in record_urls(item.entry)})
    now, rows, stale, results = utcnow(), [], [], []
    for item in items:
        entry, before, conforms = item.entry, previous.get(item.entry.id), item.shacl_conforms
        if conforms is None and before is not None and before["hash"] == item.record_hash \
                and before["shacl_conforms"] is not None:  # the same content was validated: its verdict holds
            conforms = bool(before["shacl_conforms"])
            violations = _repack(store, before["shacl_violations"])
        else:
            violations = (store.codec.pack("quality", orjson.dumps(item.shacl_violations))
                          if item.shacl_violations else None)
        quality = score_entry(entry, links=links, shacl_conforms=conforms)
        statuses = {check.key: check.status for check in french.check_entry(entry)}
        rows.append((entry.id, item.record_hash, quality.score, quality.band, pack_indicators(store, quality),
                     None if conforms is None else int(conforms), violations, now,
                     store.codec.pack("quality", orjson.dumps(statuses))))
        if before is None or before["score"] != quality.score or before["band"] != quality.band:
            stale.append((entry.id,))
        results.append(quality)
    with store.transaction() as db:
        db.executemany(
            """INSERT OR REPLACE INTO quality (record_id, hash, score, band, indicators, shacl_conforms,
               shacl_violations, computed_at, french) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
        db.executemany("UPDATE records SET indexed = 0 WHERE id = ? AND indexed = 1", stale)
    return results


# -- the compact form: verdicts in, explanations derived on the way out -------------------------------------------


def pack_indicators(store: Store, quality: Quality) -> bytes:
    """What a score is made of, without what can be derived: each indicator's share met, and the unchecked ones."""
    compact = {"s": {r.key: r.share for r in quality.indicators},
               "u": [r.key for r in quality.indicators if not r.checked]}
    return store.codec.pack("quality", orjson.dumps(compact))


def indicator_results(store: Store, blob: bytes | str) -> list[dict[str, Any]]:
    """The stored indicators as :class:`scoring.mqa.IndicatorResult` dicts (key, dimension, max_points, points,
    share, checked), points recomputed from the share exactly as :func:`scoring.mqa.score_entry` computes them."""
    data = _loads(store, blob)
    if isinstance(data, list):  # first layout: the results themselves
        return data
    unchecked = set(data.get("u", ()))
    out = []
    for key, share in data["s"].items():
        ind = INDICATOR_BY_KEY.get(key)
        if ind is None:  # an indicator retired since this row was scored: the next scoring drops it
            continue
        points = ind.points * share if ind.level == "dataset" else round(ind.points * share, 2)
        out.append({"key": key, "dimension": ind.dimension, "max_points": ind.points, "points": points,
                    "share": share, "checked": key not in unchecked})
    return out


def french_statuses(store: Store, blob: bytes | str | None) -> dict[str, str]:
    """Each French check's stored status (ok | fail | n/a)."""
    data = _loads(store, blob) if blob else {}
    if isinstance(data, list):  # first layout: the checks with their prose
        return {check["key"]: check["status"] for check in data}
    return data


def shacl_violations(store: Store, blob: bytes | str | None) -> list[dict[str, Any]]:
    return _loads(store, blob) if blob else []


def _loads(store: Store, blob: bytes | str) -> Any:
    return orjson.loads(blob if isinstance(blob, str) else store.unpack(blob))


def _repack(store: Store, blob: bytes | str | None) -> bytes | None:
    """A stored violations list carried over to a new row, in the compact form whatever form it had."""
    if not blob:
        return None
    if isinstance(blob, bytes) and store.codec.is_packed(blob):
        return blob
    violations = shacl_violations(store, blob)
    return store.codec.pack("quality", orjson.dumps(violations)) if violations else None


def compact(store: Store, batch: int = 500) -> int:
    """Rewrite the quality rows of the first layout (JSON text with prose) in the compact form; returns how many.
    Resumable: a row already compact is left alone."""
    ensure_schema(store)
    rewritten, last = 0, ""
    while rows := store.db.execute(
            "SELECT record_id, indicators, shacl_violations, french FROM quality WHERE record_id > ? "
            "ORDER BY record_id LIMIT ?", (last, batch)).fetchall():
        changes = []
        for row in rows:
            if not isinstance(row["indicators"], str):
                continue
            results = indicator_results(store, row["indicators"])
            compact_form = {"s": {r["key"]: r["share"] for r in results},
                            "u": [r["key"] for r in results if not r.get("checked", True)]}
            changes.append((store.codec.pack("quality", orjson.dumps(compact_form)),
                            _repack(store, row["shacl_violations"]),
                            store.codec.pack("quality", orjson.dumps(french_statuses(store, row["french"]))),
                            row["record_id"]))
        if changes:
            with store.transaction() as db:
                db.executemany(
                    "UPDATE quality SET indicators = ?, shacl_violations = ?, french = ? WHERE record_id = ?", changes)
        rewritten += len(changes)
        last = rows[-1]["record_id"]
    return rewritten


def indicator_status(item: dict[str, Any]) -> str:
    """met | partly met | missed | not checked | not validated."""
    if not item.get("checked", True):
        return UNCHECKED_WORDS.get(item["key"], "not checked")
    if item["points"] >= item["max_points"]:
        return "met"
    return "partly met" if item["points"] > 0 else "missed"


def quality_of(store: Store, record_id: str) -> dict | None:
    """A record's stored score with every indicator explained (for /api/datasets/{id}/quality)."""
    ensure_schema(store)
    row = store.db.execute(
        "SELECT q.*, r.data, r.source_id FROM quality q JOIN records r ON r.id = q.record_id WHERE q.record_id = ?",
        (record_id,)).fetchone()
    if row is None:
        return None
    entry = store.load_entry(row["data"])
    indicators = indicator_results(store, row["indicators"])
    dimensions: dict[str, dict[str, float]] = {}
    for item in indicators:
        ind = INDICATOR_BY_KEY[item["key"]]
        item["label"] = ind.label
        item["status"] = indicator_status(item)
        item["fix"] = ind.fix if item["status"] in ("missed", "partly met") else None
        got = dimensions.setdefault(item["dimension"], {"points": 0.0, "max_points": 0})
        got["points"] = round(got["points"] + item["points"], 2)
        got["max_points"] += item["max_points"]
    violations = shacl_violations(store, row["shacl_violations"])
    validated = row["shacl_conforms"] is not None
    return {"record_id": record_id, "title": entry.title, "source_id": row["source_id"],
            "score": row["score"], "max": MAX_POINTS, "band": row["band"], "dimensions": dimensions,
            "indicators": indicators,
            "shacl": {"validated": validated,
                      "conforms": bool(row["shacl_conforms"]) if validated else None,
                      "summary": _shacl_summary(validated, violations),
                      "violations": violations},
            "french": _french_checks(store, entry, row["french"]),
            "links": LinkVerdicts(store).details(record_urls(entry)),
            "computed_at": row["computed_at"]}


def _french_checks(store: Store, entry: Dataset | DataService, stored: bytes | str | None) -> list[dict[str, Any]]:
    """The French checks in words: the evidence and fix are worded again from the record (the stored row keeps
    the verdicts only); the status is the stored verdict, which the record's aggregates counted."""
    statuses = french_statuses(store, stored)
    checks = [check.as_dict() for check in french.check_entry(entry)]
    for check in checks:
        check["status"] = statuses.get(check["key"], check["status"])
    return checks


def _shacl_summary(validated: bool, violations: list[dict[str, Any]]) -> str:
    if not validated:
        return "not validated yet against the DCAT-AP 3.0.1 shapes (scores 0 on DCAT-AP compliance until it is)"
    own = [v for v in violations if v.get("severity") == "violation" and not v.get("external_reference")]
    external = [v for v in violations if v.get("external_reference")]
    if not own:
        extra = (f"; {len(external)} reference(s) to resources described in other records cannot be checked "
                 "on this record alone" if external else "")
        return "conforms to the DCAT-AP 3.0.1 shapes" + extra
    return f"{len(own)} DCAT-AP 3.0.1 violation(s) to fix"


@dataclass
class Fix:
    """One thing to fix across a portal, ranked by the points it would bring back."""

    indicator: str
    label: str
    fix: str
    datasets: int  # records that miss it (fully or partly)
    points_each: float  # mean points lost per affected record
    gain: float  # points lost in total over the records affected: the ranking key (points x datasets)


@dataclass
class QualityReport:
    scope: str  # "source:<id>", "publisher:<name or SIREN>" or "all"
    datasets: int
    mean: float
    median: float
    bands: dict[str, int]
    histogram: list[int]  # counts per 45-point bucket: 0-44, 45-89, ..., 360-405
    indicators: list[dict]  # per indicator: key, label, met share, records failing, not checked, points lost
    fix_first: list[Fix] = field(default_factory=list)
    band: str = "bad"
    dimensions: dict[str, dict[str, float]] = field(default_factory=dict)  # mean points and max per dimension
    shacl: dict[str, Any] = field(default_factory=dict)  # validated, conforming, most frequent violations
    french: list[dict[str, Any]] = field(default_factory=list)  # per French check: applicable, failing, fix

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rows(store: Store, source_id: str | None, publisher: str | None) -> Iterator[Any]:
    sql = ("SELECT r.id, q.score, q.indicators, q.shacl_conforms, q.shacl_violations, q.french FROM quality q "
           "JOIN records r ON r.id = q.record_id WHERE r.status = 'active'")
    params: list[str] = []
    if source_id:
        sql += " AND r.source_id = ?"
        params.append(source_id)
    if publisher:
        key = "siren" if SIREN.match(publisher) else "name"
        sql += f" AND json_extract(record_json(r.data), '$.publisher.{key}') = ?"
        params.append(publisher)
    yield from store.db.execute(sql, params)


def _french_fix(store: Store, record_id: str, key: str) -> str:
    found = store.entry(record_id)
    check = next((c for c in french.check_entry(found[0]) if c.key == key), None) if found else None
    return (check.fix if check else None) or ""


def report(store: Store, *, source_id: str | None = None, publisher: str | None = None,
           top: int = 10) -> QualityReport:
    """Aggregate the stored scores of a source's or a publisher's active records. ``publisher`` is a SIREN
    (9 digits) or the publisher's name as the records give it."""
    ensure_schema(store)
    scores: list[int] = []
    lost: Counter[str] = Counter()
    affected: Counter[str] = Counter()
    unchecked: Counter[str] = Counter()
    met_share: Counter[str] = Counter()
    points: Counter[str] = Counter()
    histogram = [0] * (MAX_POINTS // HISTOGRAM_STEP)
    validated = conforming = 0
    violation_kinds: Counter[tuple[str, str, str]] = Counter()
    violation_example: dict[tuple[str, str, str], str] = {}
    french_applicable: Counter[str] = Counter()
    french_failing: Counter[str] = Counter()
    french_example: dict[str, str] = {}  # a failing record per check: its fix is worded from it
    for row in _rows(store, source_id, publisher):
        scores.append(row["score"])
        histogram[min(row["score"] // HISTOGRAM_STEP, len(histogram) - 1)] += 1
        for item in indicator_results(store, row["indicators"]):
            key = item["key"]
            met_share[key] += item["share"]
            points[key] += item["points"]
            if not item.get("checked", True):
                unchecked[key] += 1  # no verdict: nothing to fix yet
            elif item["points"] < item["max_points"]:
                lost[key] += item["max_points"] - item["points"]
                affected[key] += 1
        if row["shacl_conforms"] is not None:
            validated += 1
            conforming += int(bool(row["shacl_conforms"]))
            kinds = set()
            for v in shacl_violations(store, row["shacl_violations"]):
                if v.get("severity") == "violation" and not v.get("external_reference"):
                    kind = (v.get("focus_type") or "", v.get("path") or "", v.get("constraint") or "")
                    kinds.add(kind)
                    violation_example.setdefault(kind, v.get("message", ""))
            violation_kinds.update(kinds)
        for key, status in french_statuses(store, row["french"]).items():
            if status != "n/a":
                french_applicable[key] += 1
            if status == "fail":
                french_failing[key] += 1
                french_example.setdefault(key, row["id"])
    french_fix = {key: _french_fix(store, record_id, key) for key, record_id in french_example.items()}
    n = len(scores)
    fixes = [
        Fix(key, INDICATOR_BY_KEY[key].label, INDICATOR_BY_KEY[key].fix, affected[key],
            round(lost[key] / affected[key], 1), round(lost[key], 1))
        for key in lost
    ]
    fixes.sort(key=lambda f: (-f.gain, f.indicator))
    indicators = [
        {"key": ind.key, "label": ind.label, "dimension": ind.dimension, "max_points": ind.points,
         "met_share": round(met_share[ind.key] / n, 3) if n else 0.0, "failing": affected[ind.key],
         "not_checked": unchecked[ind.key], "points_lost": round(lost[ind.key], 1)}
        for ind in INDICATORS
    ]
    dimensions: dict[str, dict[str, float]] = {}
    for ind in INDICATORS:
        got = dimensions.setdefault(ind.dimension, {"mean_points": 0.0, "max_points": 0})
        got["mean_points"] += points[ind.key] / n if n else 0.0
        got["max_points"] += ind.points
    for got in dimensions.values():
        got["mean_points"] = round(got["mean_points"], 1)
    scope = f"source:{source_id}" if source_id else f"publisher:{publisher}" if publisher else "all"
    avg = round(mean(scores), 1) if scores else 0.0
    return QualityReport(
        scope=scope, datasets=n, mean=avg, median=float(median(scores)) if scores else 0.0,
        bands={name: sum(band(s) == name for s in scores) for name in ("excellent", "good", "sufficient", "bad")},
        histogram=histogram, indicators=indicators, fix_first=fixes[:top], band=band(avg), dimensions=dimensions,
        shacl={"validated": validated, "not_validated": n - validated, "conforming": conforming,
               "violations": [{"focus_type": k[0], "path": k[1], "constraint": k[2], "records": c,
                               "message": violation_example[k]} for k, c in violation_kinds.most_common(top)]},
        french=[{"key": key, "label": label, "applicable": french_applicable[key], "failing": french_failing[key],
                 "fix": french_fix.get(key)} for key, label in french.CHECKS.items()],
    )


# -- issue 15: quality over time, a point per harvest ---------------------------------------------------------------

POINTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS quality_points (
    job_id INTEGER NOT NULL,        -- the harvest after which the point was taken
    source_id TEXT NOT NULL,
    publisher TEXT NOT NULL,        -- '' for the whole source; else the publisher's SIREN, or its name without one
    at TEXT NOT NULL,
    datasets INTEGER NOT NULL,
    mean REAL NOT NULL,
    PRIMARY KEY (job_id, publisher)
);
CREATE INDEX IF NOT EXISTS quality_points_by_publisher ON quality_points (publisher, at);
CREATE INDEX IF NOT EXISTS quality_points_by_source ON quality_points (source_id, at);
"""


@dataclass
class QualityPoint:
    at: str
    job_id: int
    datasets: int
    mean: float


def take_quality_point(store: Store, source_id: str, job_id: int) -> int:
    """After a harvest (and its scoring): the mean score of the source's active records, and of each publisher's
    records in it, so that a portal and a publisher see their score move with their fixes. Returns points written."""
    ensure_schema(store)
    rows = store.db.execute(
        """SELECT COALESCE(json_extract(record_json(r.data), '$.publisher.siren'),
                           json_extract(record_json(r.data), '$.publisher.name'), '') AS publisher,
                  COUNT(*) AS datasets, AVG(q.score) AS mean
           FROM quality q JOIN records r ON r.id = q.record_id
           WHERE r.source_id = ? AND r.status = 'active' GROUP BY publisher""", (source_id,)).fetchall()
    if not rows:
        return 0
    now = utcnow()
    total = sum(row["datasets"] for row in rows)
    whole = sum(row["mean"] * row["datasets"] for row in rows) / total
    points = [(job_id, source_id, "", now, total, round(whole, 1))]
    points += [(job_id, source_id, row["publisher"], now, row["datasets"], round(row["mean"], 1))
               for row in rows if row["publisher"]]
    with store.transaction() as db:
        db.executemany("INSERT OR REPLACE INTO quality_points VALUES (?, ?, ?, ?, ?, ?)", points)
    return len(points)


def quality_points(store: Store, *, source_id: str | None = None,
                   publisher_keys: Iterable[str] = ()) -> list[QualityPoint]:
    """A source's points (one per harvest), or a publisher's across every portal: at each harvest of any of them,
    the mean over the publisher's records of the latest point of each source (weighted by its datasets)."""
    ensure_schema(store)
    if source_id is not None:
        rows = store.db.execute("SELECT job_id, at, datasets, mean FROM quality_points WHERE source_id = ? AND "
                                "publisher = '' ORDER BY at, job_id", (source_id,)).fetchall()
        return [QualityPoint(row["at"], row["job_id"], row["datasets"], row["mean"]) for row in rows]
    keys = list(dict.fromkeys(k for k in publisher_keys if k))
    if not keys:
        return []
    rows = store.db.execute(
        f"SELECT job_id, source_id, publisher, at, datasets, mean FROM quality_points WHERE publisher IN "
        f"({', '.join('?' * len(keys))}) ORDER BY at, job_id", keys).fetchall()
    latest: dict[tuple[str, str], tuple[int, float]] = {}  # (source, key: a name or the SIREN) -> latest point
    out: list[QualityPoint] = []
    for row in rows:
        latest[(row["source_id"], row["publisher"])] = (row["datasets"], row["mean"])
        datasets = sum(n for n, _ in latest.values())
        mean_score = sum(n * m for n, m in latest.values()) / datasets if datasets else 0.0
        point = QualityPoint(row["at"], row["job_id"], datasets, round(mean_score, 1))
        if out and out[-1].job_id == point.job_id:
            out[-1] = point  # two names of one publisher in the same harvest: one point
        else:
            out.append(point)
    return out
