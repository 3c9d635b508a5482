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

Each dataset counts once, however many portals carry it (issue 14, :mod:`index.clusters`): downloads made through
each portal are real and add up, attributed to the dataset -- its cluster, described by its primary record (publisher,
theme, territory, schema, title) -- while the ``source`` dimension keeps the split by portal; ``datasets`` counts
clusters. A counter that a copy merely mirrors from another copy of its cluster (the same series of values, two
samples at least) is counted once, on the primary's side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import orjson

from index.clusters import ensure_schema as ensure_cluster_schema
from index.store import Store

Dimension = Literal["national", "source", "publisher", "theme", "departement", "region", "schema"]
DIMENSIONS: tuple[str, ...] = ("national", "source", "publisher", "theme", "departement", "region", "schema")
Granularity = Literal["day", "week", "month", "year"]

_PERIOD_FORMAT = {"day": "%Y-%m-%d", "week": "%Y-W%W", "month": "%Y-%m", "year": "%Y"}

# One row per (record, counter, sample) with the increase since the previous sample of that counter.
_INCREASES = """
WITH clustered AS (  -- counters of records that have copies (issue 14): the only ones that may mirror another
    SELECT s.record_id, s.distribution, s.value FROM metric_samples s
    JOIN cluster_members cm ON cm.record_id = s.record_id JOIN clusters c ON c.id = cm.cluster_id
    WHERE s.metric = :metric ORDER BY s.record_id, s.distribution, s.job_id
),
signatures AS (
    SELECT record_id, distribution, group_concat(value, ',') AS seen, COUNT(*) AS samples
    FROM clustered GROUP BY record_id, distribution
),
mirrors AS (  -- a copy's counter whose series equals one of another copy's (the primary's, or an earlier record's)
    SELECT a.record_id, a.distribution FROM signatures a
    JOIN cluster_members ma ON ma.record_id = a.record_id AND ma.is_primary = 0
    JOIN cluster_members mb ON mb.cluster_id = ma.cluster_id AND mb.record_id != a.record_id
    JOIN signatures b ON b.record_id = mb.record_id AND b.seen = a.seen
    WHERE a.samples >= 2 AND (mb.is_primary = 1 OR mb.record_id < a.record_id)
),
series AS (
    SELECT s.record_id, s.distribution, s.at, s.value,
           LAG(s.value) OVER (PARTITION BY s.record_id, s.distribution ORDER BY s.job_id) AS prev,
           ROW_NUMBER() OVER (PARTITION BY s.record_id, s.distribution ORDER BY s.job_id DESC) AS newest
    FROM metric_samples s
    WHERE s.metric = :metric
      AND (s.distribution = '' OR s.record_id NOT IN (
          SELECT record_id FROM metric_samples WHERE metric = :metric AND distribution = ''))
      AND NOT EXISTS (SELECT 1 FROM mirrors m WHERE m.record_id = s.record_id AND m.distribution = s.distribution)
),
increases AS (
    SELECT record_id, distribution, at, value, newest,
           CASE WHEN prev IS NULL THEN 0 WHEN value >= prev THEN value - prev ELSE value END AS delta
    FROM series
)
"""

# r: the record whose counter it is (its source: the portal downloads went through); p: its cluster's primary record,
# which describes the dataset (a record alone is its own primary).
_KEYS = {
    "national": ("'France'", ""),
    "source": ("r.source_id", ""),
    "publisher": ("COALESCE(json_extract(record_json(p.data), '$.publisher.name'), '(unknown)')", ""),
    "theme": ("t.value", ", json_each(record_json(p.data), '$.themes') t"),
    "departement": ("d.value",
                    ", json_each(record_json(p.data), '$.spatial') sp, json_each(sp.value, '$.departements') d"),
    "region": ("g.value", ", json_each(record_json(p.data), '$.spatial') sp, json_each(sp.value, '$.regions') g"),
    "schema": ("json_extract(di.value, '$.schema.name')",
               ", json_each(record_json(p.data), '$.distributions') di"),
}
# The record, its cluster (if it has copies) and the cluster's primary record.
_DATASET = """JOIN records r ON r.id = i.record_id LEFT JOIN cluster_members cm ON cm.record_id = r.id
              LEFT JOIN clusters c ON c.id = cm.cluster_id JOIN records p ON p.id = COALESCE(c.primary_id, r.id)"""


def _keyed(by: str) -> str:
    """Each counter increase once per value of the dimension (DISTINCT: a record with two distributions of the
    same schema, or two locations in one département, is counted once under that value), with its dataset."""
    if by not in _KEYS:
        raise ValueError(f"unknown dimension {by!r}; choose among {', '.join(DIMENSIONS)}")
    key, joins = _KEYS[by]
    return f"""SELECT DISTINCT i.record_id, i.distribution, i.at, i.value, i.newest, i.delta, {key} AS k,
                      COALESCE(c.id, r.id) AS dataset
               FROM increases i {_DATASET} {joins} WHERE {key} IS NOT NULL"""


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
    id: str  # the primary record of the dataset's cluster
    title: str
    publisher: str | None
    source: str  # the primary's source
    downloads: int  # through every portal that carries it
    by_source: dict[str, int] = field(default_factory=dict)  # the split by portal (issue 14)


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
    ensure_cluster_schema(store)
    period, params = _period_clause(start, end)
    sql = f"""{_INCREASES}
        SELECT k,
               SUM(CASE WHEN {period} THEN i.delta ELSE 0 END) AS downloads,
               SUM(CASE WHEN i.newest = 1 THEN i.value ELSE 0 END) AS total,
               COUNT(DISTINCT i.dataset) AS datasets
        FROM ({_keyed(by)}) i
        GROUP BY k ORDER BY downloads DESC, total DESC, k"""
    if limit:
        sql += f" LIMIT {int(limit)}"
    rows = store.db.execute(sql, {"metric": metric, **params}).fetchall()
    return [Aggregate(row["k"], row["downloads"] or 0, row["total"] or 0, row["datasets"]) for row in rows]


def trend(store: Store, *, granularity: Granularity = "month", metric: str = "downloads", by: Dimension = "national",
          key: str | None = None, start: str | None = None, end: str | None = None) -> list[TrendPoint]:
    """Downloads per period (the increase dated at the sample that saw it), nationally or for one key."""
    ensure_cluster_schema(store)
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
    """The most downloaded datasets within [start, end): a dataset on several portals once, its downloads through
    each portal summed and kept apart in ``by_source``."""
    ensure_cluster_schema(store)
    period, params = _period_clause(start, end)
    sql = f"""{_INCREASES}
        SELECT p.id AS id, json_extract(record_json(p.data), '$.title') AS title,
               json_extract(record_json(p.data), '$.publisher.name') AS publisher, p.source_id AS source,
               SUM(i.delta) AS downloads,
               json_group_array(json_array(r.source_id, i.delta)) AS split
        FROM increases i {_DATASET}
        WHERE {period} GROUP BY p.id HAVING downloads > 0
        ORDER BY downloads DESC, p.id LIMIT :limit"""
    rows = store.db.execute(sql, {"metric": metric, "limit": limit, **params}).fetchall()
    out = []
    for row in rows:
        split: dict[str, int] = {}
        for source, delta in orjson.loads(row["split"]):
            if delta:
                split[source] = split.get(source, 0) + delta
        out.append(TopDataset(row["id"], row["title"], row["publisher"], row["source"], row["downloads"], split))
    return out



# -- issue 15: one record's counter as sampled at each harvest (the dataset page's small trend chart) -------------


@dataclass
class Sample:
    at: str
    value: int


def record_samples(store: Store, record_id: str, metric: str = "downloads") -> list[Sample]:
    """The record's counter at each harvest that sampled it, oldest first: its own counter when the source gives
    one, else the sum of its distributions' (as :func:`index.document.popularity` counts it)."""
    rows = store.db.execute(
        """SELECT job_id, MIN(at) AS at, SUM(CASE WHEN distribution = '' THEN value END) AS own,
                  SUM(CASE WHEN distribution != '' THEN value END) AS files
           FROM metric_samples WHERE record_id = ? AND metric = ? GROUP BY job_id ORDER BY at, job_id""",
        (record_id, metric)).fetchall()
    return [Sample(row["at"], int(row["own"] if row["own"] is not None else row["files"] or 0)) for row in rows]
