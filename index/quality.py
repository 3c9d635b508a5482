"""Quality kept in the store: link verdicts, each record's score, and the aggregates portals and ministries read.

Why stored, not computed on the fly: the score is a facet and a sort key of the search index, and the aggregates
cover whole portals. The computation itself is :mod:`scoring.mqa` (pure); :mod:`pipeline.scoring` decides when to
(re)score: when a record's content changed, when a link verdict it depends on changed, or when its SHACL result
arrives. A changed score flags the record for re-indexing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import mean

import orjson

from harvesters.record import utcnow
from index.store import Store
from normalise.model import DataService, Dataset
from scoring.links import LinkCheck
from scoring.mqa import INDICATOR_BY_KEY, INDICATORS, LinkStatus, Quality, band, score_entry

SCHEMA = """
CREATE TABLE IF NOT EXISTS quality (
    record_id TEXT PRIMARY KEY,
    hash TEXT NOT NULL,             -- the record content hash that was scored
    score INTEGER NOT NULL,
    band TEXT NOT NULL,
    indicators TEXT NOT NULL,       -- JSON list of IndicatorResult
    shacl_conforms INTEGER,         -- NULL: not validated
    shacl_violations TEXT,          -- JSON list of plain-words violations
    computed_at TEXT NOT NULL
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


def ensure_schema(store: Store) -> None:
    store.db.executescript(SCHEMA)


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
    with store.transaction() as db:
        db.execute(
            """INSERT OR REPLACE INTO quality (record_id, hash, score, band, indicators, shacl_conforms,
               shacl_violations, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (entry.id, record_hash, quality.score, quality.band,
             orjson.dumps([asdict(r) for r in quality.indicators]).decode(),
             None if shacl_conforms is None else int(shacl_conforms),
             orjson.dumps(shacl_violations or []).decode(), utcnow()),
        )
        if previous is None or previous["score"] != quality.score or previous["band"] != quality.band:
            db.execute("UPDATE records SET indexed = 0 WHERE id = ?", (entry.id,))
    return quality


def quality_of(store: Store, record_id: str) -> dict | None:
    """A record's stored score with every indicator explained (for /api/datasets/{id}/quality)."""
    ensure_schema(store)
    row = store.db.execute("SELECT * FROM quality WHERE record_id = ?", (record_id,)).fetchone()
    if row is None:
        return None
    indicators = orjson.loads(row["indicators"])
    for item in indicators:
        ind = INDICATOR_BY_KEY[item["key"]]
        item["label"] = ind.label
        item["fix"] = None if item["points"] >= item["max_points"] else ind.fix
    return {"record_id": record_id, "score": row["score"], "max": 405, "band": row["band"],
            "indicators": indicators,
            "shacl": {"conforms": None if row["shacl_conforms"] is None else bool(row["shacl_conforms"]),
                      "violations": orjson.loads(row["shacl_violations"] or "[]")},
            "computed_at": row["computed_at"]}


@dataclass
class Fix:
    """One thing to fix across a portal, ranked by the points it would bring back."""

    indicator: str
    label: str
    fix: str
    datasets: int  # records that miss it (fully or partly)
    points_each: float  # mean points lost per affected record
    gain: float  # points_each x datasets: the ranking key


@dataclass
class QualityReport:
    scope: str  # "source:<id>", "publisher:<name>" or "all"
    datasets: int
    mean: float
    median: float
    bands: dict[str, int]
    histogram: list[int]  # counts per 45-point bucket, 0-404
    indicators: list[dict]  # per indicator: key, label, met share, points lost in total
    fix_first: list[Fix] = field(default_factory=list)
    band: str = "bad"


def report(store: Store, *, source_id: str | None = None, publisher: str | None = None,
           top: int = 10) -> QualityReport:
    """Aggregate the stored scores of a source's or a publisher's active records."""
    ensure_schema(store)
    sql = ("SELECT q.score, q.indicators FROM quality q JOIN records r ON r.id = q.record_id "
           "WHERE r.status = 'active'")
    params: list[str] = []
    if source_id:
        sql += " AND r.source_id = ?"
        params.append(source_id)
    if publisher:
        sql += " AND json_extract(r.data, '$.publisher.name') = ?"
        params.append(publisher)
    scores: list[int] = []
    bands: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    affected: Counter[str] = Counter()
    met_share: Counter[str] = Counter()
    histogram = [0] * 9
    for row in store.db.execute(sql, params):
        scores.append(row["score"])
        bands[band(row["score"])] += 1
        histogram[min(row["score"] // 45, 8)] += 1
        for item in orjson.loads(row["indicators"]):
            missing = item["max_points"] - item["points"]
            met_share[item["key"]] += item["share"]
            if missing > 0:
                lost[item["key"]] += missing
                affected[item["key"]] += 1
    n = len(scores)
    fixes = [
        Fix(key, INDICATOR_BY_KEY[key].label, INDICATOR_BY_KEY[key].fix, affected[key],
            round(lost[key] / affected[key], 1), round(lost[key], 1))
        for key in lost
    ]
    fixes.sort(key=lambda f: (-f.gain, f.indicator))
    indicators = [
        {"key": ind.key, "label": ind.label, "dimension": ind.dimension, "max_points": ind.points,
         "met_share": round(met_share[ind.key] / n, 3) if n else 0.0, "points_lost": round(lost[ind.key], 1)}
        for ind in INDICATORS
    ]
    scope = f"source:{source_id}" if source_id else f"publisher:{publisher}" if publisher else "all"
    ordered = sorted(scores)
    avg = round(mean(scores), 1) if scores else 0.0
    return QualityReport(
        scope=scope, datasets=n, mean=avg,
        median=float(ordered[n // 2]) if n else 0.0,
        bands={name: bands.get(name, 0) for name in ("excellent", "good", "sufficient", "bad")},
        histogram=histogram, indicators=indicators, fix_first=fixes[:top], band=band(avg),
    )
