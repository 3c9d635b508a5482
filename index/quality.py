"""Quality kept in the store: link verdicts, each record's score, and the aggregates portals and ministries read.

Why stored, not computed on the fly: the score is a facet and a sort key of the search index, and the aggregates
cover whole portals. The computation itself is :mod:`scoring.mqa` and :mod:`scoring.french` (pure);
:mod:`pipeline.scoring` decides when to (re)score: when a record's content changed, when a link verdict it depends on
changed, or when its SHACL result arrives. A changed score flags the record for re-indexing.

An indicator whose verdict is missing (links not checked yet, SHACL not run) scores 0 and is marked unchecked: it is
reported as "not checked" / "not validated", never as something to fix, since nothing says it is wrong.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
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
    indicators TEXT NOT NULL,       -- JSON list of IndicatorResult
    shacl_conforms INTEGER,         -- NULL: not validated; else 1/0, ignoring checks that need other records
    shacl_violations TEXT,          -- JSON list of scoring.shacl.Violation (plain-words message included)
    computed_at TEXT NOT NULL,
    french TEXT                     -- JSON list of scoring.french.Check
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
    """Create the tables (once per store object); add the columns a store made by an older version lacks. Never
    inside a transaction: ``executescript`` would commit it."""
    if getattr(store, "_quality_schema", False):
        return
    store.db.executescript(SCHEMA + POINTS_SCHEMA)
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
        for url in urls:
            row = self.store.db.execute("SELECT ok, status, reason FROM link_checks WHERE url = ?", (url,)).fetchone()
            if row is not None:
                out[url] = LinkStatus(bool(row["ok"]), row["status"], row["reason"])
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
    ensure_schema(store)
    previous = store.db.execute(
        "SELECT hash, score, band, shacl_conforms, shacl_violations FROM quality WHERE record_id = ?", (entry.id,)
    ).fetchone()
    reusable = previous is not None and previous["hash"] == record_hash and previous["shacl_conforms"] is not None
    if shacl_conforms is None and reusable:
        shacl_conforms = bool(previous["shacl_conforms"])
        shacl_violations = orjson.loads(previous["shacl_violations"] or "[]")
    links = LinkVerdicts(store).statuses(record_urls(entry))
    quality = score_entry(entry, links=links, shacl_conforms=shacl_conforms)
    checks = french.check_entry(entry)
    with store.transaction() as db:
        db.execute(
            """INSERT OR REPLACE INTO quality (record_id, hash, score, band, indicators, shacl_conforms,
               shacl_violations, computed_at, french) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (entry.id, record_hash, quality.score, quality.band,
             orjson.dumps(quality.indicators).decode(),  # orjson writes dataclasses as asdict would, 20x faster
             None if shacl_conforms is None else int(shacl_conforms),
             orjson.dumps(shacl_violations or []).decode(), utcnow(),
             orjson.dumps([c.as_dict() for c in checks]).decode()),
        )
        if previous is None or previous["score"] != quality.score or previous["band"] != quality.band:
            db.execute("UPDATE records SET indexed = 0 WHERE id = ?", (entry.id,))
    return quality


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
    data = orjson.loads(row["data"])
    indicators = orjson.loads(row["indicators"])
    dimensions: dict[str, dict[str, float]] = {}
    for item in indicators:
        ind = INDICATOR_BY_KEY[item["key"]]
        item["label"] = ind.label
        item["status"] = indicator_status(item)
        item["fix"] = ind.fix if item["status"] in ("missed", "partly met") else None
        got = dimensions.setdefault(item["dimension"], {"points": 0.0, "max_points": 0})
        got["points"] = round(got["points"] + item["points"], 2)
        got["max_points"] += item["max_points"]
    violations = orjson.loads(row["shacl_violations"] or "[]")
    validated = row["shacl_conforms"] is not None
    urls = [u for d in data.get("distributions", []) for u in (d.get("access_url"), d.get("download_url")) if u]
    return {"record_id": record_id, "title": data.get("title"), "source_id": row["source_id"],
            "score": row["score"], "max": MAX_POINTS, "band": row["band"], "dimensions": dimensions,
            "indicators": indicators,
            "shacl": {"validated": validated,
                      "conforms": bool(row["shacl_conforms"]) if validated else None,
                      "summary": _shacl_summary(validated, violations),
                      "violations": violations},
            "french": orjson.loads(row["french"] or "[]"),
            "links": LinkVerdicts(store).details(urls),
            "computed_at": row["computed_at"]}


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
    sql = ("SELECT q.score, q.indicators, q.shacl_conforms, q.shacl_violations, q.french FROM quality q "
           "JOIN records r ON r.id = q.record_id WHERE r.status = 'active'")
    params: list[str] = []
    if source_id:
        sql += " AND r.source_id = ?"
        params.append(source_id)
    if publisher:
        # CAST: records.data is a BLOB of JSON text; newer SQLite reads a BLOB given to json_extract as JSONB
        key = "siren" if SIREN.match(publisher) else "name"
        sql += f" AND json_extract(CAST(r.data AS TEXT), '$.publisher.{key}') = ?"
        params.append(publisher)
    yield from store.db.execute(sql, params)


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
    french_fix: dict[str, str] = {}
    for row in _rows(store, source_id, publisher):
        scores.append(row["score"])
        histogram[min(row["score"] // HISTOGRAM_STEP, len(histogram) - 1)] += 1
        for item in orjson.loads(row["indicators"]):
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
            for v in orjson.loads(row["shacl_violations"] or "[]"):
                if v.get("severity") == "violation" and not v.get("external_reference"):
                    kind = (v.get("focus_type") or "", v.get("path") or "", v.get("constraint") or "")
                    kinds.add(kind)
                    violation_example.setdefault(kind, v.get("message", ""))
            violation_kinds.update(kinds)
        for check in orjson.loads(row["french"] or "[]"):
            if check["status"] != "n/a":
                french_applicable[check["key"]] += 1
            if check["status"] == "fail":
                french_failing[check["key"]] += 1
                french_fix.setdefault(check["key"], check.get("fix") or "")
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
        """SELECT COALESCE(json_extract(CAST(r.data AS TEXT), '$.publisher.siren'),
                           json_extract(CAST(r.data AS TEXT), '$.publisher.name'), '') AS publisher,
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
