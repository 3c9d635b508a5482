"""National download statistics from the counters portals expose (CKAN tracking, udata metrics, ODS popularity).

Why deltas: portals publish cumulative counters, sampled by moisson at each harvest (only when they change, see
:meth:`index.store.Store.add_metric_samples`). Downloads over a period are the sum of the increases between
consecutive samples of each counter. Rules, applied in SQL so a national catalog is aggregated inside SQLite:

- a counter that went down was reset by its portal: the increase is its new value (counted from zero again);
- the first sample of a counter is a baseline: what it counts happened before moisson watched, so it is reported as
  ``total`` (the cumulative figure to date) but adds nothing to a period;
- a missing sample (an unchanged counter, or a failed harvest) merges two intervals: the increase is dated at the
  later sample;
- a record's ``downloads`` counted at the dataset level and per distribution is counted once: the dataset-level
  counter wins when the portal gives one.

Single-valued dimensions (source, publisher) partition the national figure: their parts add up to it. Multi-valued
ones (theme, département, région, schema) count a record under each of its values, so their parts may add up to more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from index.store import Store

Dimension = Literal["national", "source", "publisher", "theme", "departement", "region", "schema"]
DIMENSIONS: tuple[str, ...] = ("national", "source", "publisher", "theme", "departement", "region", "schema")
Granularity = Literal["day", "week", "month", "year"]

_PERIOD_FORMAT = {"day": "%Y-%m-%d", "week": "%Y-W%W", "month": "%Y-%m", "year": "%Y"}

# One row per (record, counter, sample) with the increase since the previous sample of that counter.
_INCREASES = """
WITH series AS (
    SELECT s.record_id, s.distribution, s.at, s.value,
           LAG(s.value) OVER (PARTITION BY s.record_id, s.distribution ORDER BY s.job_id) AS prev,
           ROW_NUMBER() OVER (PARTITION BY s.record_id, s.distribution ORDER BY s.job_id DESC) AS newest
    FROM metric_samples s
    WHERE s.metric = :metric
      AND (s.distribution = '' OR s.record_id NOT IN (
          SELECT record_id FROM metric_samples WHERE metric = :metric AND distribution = ''))
),
increases AS (
    SELECT record_id, distribution, at, value, newest,
           CASE WHEN prev IS NULL THEN 0 WHEN value >= prev THEN value - prev ELSE value END AS delta
    FROM series
)
"""

_KEYS = {
    "national": ("'France'", ""),
    "source": ("r.source_id", ""),
    "publisher": ("COALESCE(json_extract(record_json(r.data), '$.publisher.name'), '(unknown)')", ""),
    "theme": ("t.value", ", json_each(record_json(r.data), '$.themes') t"),
    "departement": ("d.value",
                    ", json_each(record_json(r.data), '$.spatial') sp, json_each(sp.value, '$.departements') d"),
    "region": ("g.value", ", json_each(record_json(r.data), '$.spatial') sp, json_each(sp.value, '$.regions') g"),
    "schema": ("json_extract(di.value, '$.schema.name')",
               ", json_each(record_json(r.data), '$.distributions') di"),
}


def _keyed(by: str) -> str:
    """Each counter increase once per value of the dimension (DISTINCT: a record with two distributions of the
    same schema, or two locations in one département, is counted once under that value)."""
    if by not in _KEYS:
        raise ValueError(f"unknown dimension {by!r}; choose among {', '.join(DIMENSIONS)}")
    key, joins = _KEYS[by]
    return f"""SELECT DISTINCT i.record_id, i.distribution, i.at, i.value, i.newest, i.delta, {key} AS k
               FROM increases i JOIN records r ON r.id = i.record_id {joins} WHERE {key} IS NOT NULL"""


@dataclass
class Aggregate:
    key: str
    downloads: int  # increase within the period
    total: int  # cumulative counters to date (latest samples)
    datasets: int


@dataclass
class TrendPoint:
    period: str
    downloads: int


@dataclass
class TopDataset:
    id: str
    title: str
    publisher: str | None
    source: str
    downloads: int


def _period_clause(start: str | None, end: str | None) -> tuple[str, dict[str, str]]:
    clauses, params = [], {}
    if start:
        clauses.append("i.at >= :start")
        params["start"] = start
    if end:
        clauses.append("i.at < :end")
        params["end"] = end
    return (" AND ".join(clauses) or "1"), params


def aggregate(store: Store, by: Dimension = "national", *, metric: str = "downloads", start: str | None = None,
              end: str | None = None, limit: int | None = None) -> list[Aggregate]:
    """Downloads within [start, end) and cumulative totals, grouped by a dimension, largest first."""
    period, params = _period_clause(start, end)
    sql = f"""{_INCREASES}
        SELECT k,
               SUM(CASE WHEN {period} THEN i.delta ELSE 0 END) AS downloads,
               SUM(CASE WHEN i.newest = 1 THEN i.value ELSE 0 END) AS total,
               COUNT(DISTINCT i.record_id) AS datasets
        FROM ({_keyed(by)}) i
        GROUP BY k ORDER BY downloads DESC, total DESC, k"""
    if limit:
        sql += f" LIMIT {int(limit)}"
    rows = store.db.execute(sql, {"metric": metric, **params}).fetchall()
    return [Aggregate(row["k"], row["downloads"] or 0, row["total"] or 0, row["datasets"]) for row in rows]


def trend(store: Store, *, granularity: Granularity = "month", metric: str = "downloads", by: Dimension = "national",
          key: str | None = None, start: str | None = None, end: str | None = None) -> list[TrendPoint]:
    """Downloads per period (the increase dated at the sample that saw it), nationally or for one key."""
    fmt = _PERIOD_FORMAT[granularity]
    period, params = _period_clause(start, end)
    where = f"{period} AND i.delta > 0"
    if key is not None and by != "national":
        where += " AND i.k = :key"
        params["key"] = key
    sql = f"""{_INCREASES}
        SELECT strftime('{fmt}', i.at) AS period, SUM(i.delta) AS downloads
        FROM ({_keyed(by)}) i
        WHERE {where} GROUP BY period ORDER BY period"""
    rows = store.db.execute(sql, {"metric": metric, **params}).fetchall()
    return [TrendPoint(row["period"], row["downloads"]) for row in rows]


def top_datasets(store: Store, *, start: str | None = None, end: str | None = None, limit: int = 10,
                 metric: str = "downloads") -> list[TopDataset]:
    """The most downloaded datasets within [start, end)."""
    period, params = _period_clause(start, end)
    sql = f"""{_INCREASES}
        SELECT i.record_id AS id, json_extract(record_json(r.data), '$.title') AS title,
               json_extract(record_json(r.data), '$.publisher.name') AS publisher, r.source_id AS source,
               SUM(i.delta) AS downloads
        FROM increases i JOIN records r ON r.id = i.record_id
        WHERE {period} GROUP BY i.record_id HAVING downloads > 0
        ORDER BY downloads DESC, i.record_id LIMIT :limit"""
    rows = store.db.execute(sql, {"metric": metric, "limit": limit, **params}).fetchall()
    return [TopDataset(row["id"], row["title"], row["publisher"], row["source"], row["downloads"]) for row in rows]
