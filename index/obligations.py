"""The open-data obligation monitor: for every body under the obligation, does it publish, where, how well, which
socle-commun schemas; rates by type of body, département, région and nationally; dated snapshots for the trend.

Why in ``index``: like the statistics and the quality reports, it is a reading of the store joined with the reference
(:mod:`index.bodies`: the bodies; :mod:`index.publishers`: harvested publishers matched to them), downstream of the
harvesters and normalisers; the API and the CLI present it.

Rules (also in README.md, "Open-data obligation"):

- a body **publishes** when at least one active record's publisher is matched to it (:mod:`index.publishers`),
  whatever the portal: its own, data.gouv.fr, a regional platform (the record's source is listed);
- datasets are counted once however many portals carry them (issue 14, :mod:`index.clusters`): a copy whose cluster's
  primary is another record counts for nobody -- the publisher is credited, not the aggregator that re-publishes it
  -- and the sources of all its copies are listed for the primary's publisher;
- a body publishes **through a shared portal** when it publishes nothing itself but a body whose territory holds it
  (its EPCI, its département's or région's body — "a métropole's or a région's portal") publishes records about it
  alone: records whose places (``spatial`` communes) are exactly that commune, or exactly an EPCI's member communes.
  Records about several communes (a département-wide map) count for no commune;
- **compliant** = publishes directly or through a shared portal; a rate is compliant bodies / bodies;
- the quality is the mean stored MQA score (index.quality, out of 405) of the records counted for the body, over those
  that were scored (``moisson score``); schemas are the socle-commun ones (config/socle_commun.yaml) that a
  distribution declares (udata ``schema``, DCAT ``dct:conformsTo`` on schema.data.gouv.fr).

The monitor reads the whole store with a few grouped SQL queries (no record is parsed in Python but those about one
commune or EPCI), and is cached per store until a record, a score or the overrides file changes.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from index import registry_baseline
from index.bodies import TYPE_LABELS, TYPES, Registry, registry
from index.clusters import PRIMARY_ONLY
from index.clusters import ensure_schema as ensure_cluster_schema
from index.publishers import Match, match_publishers, overrides_path
from index.quality import ensure_schema as ensure_quality_schema
from index.store import Store
from kernel.records import utcnow
from kernel.spreadsheet import csv_text
from normalise.territory import departement_name, region_name

SOCLE_FILE = Path(__file__).resolve().parent.parent / "config" / "socle_commun.yaml"
STATUSES = ("publishes", "shared", "none")
_SCHEMA_URL = re.compile(r"schema\.data\.gouv\.fr/(?:schemas/)?([\w.-]+/[\w.-]+)")

SNAPSHOT_SCHEMA = """
CREATE TABLE IF NOT EXISTS obligation_snapshots (
    day TEXT NOT NULL,          -- YYYY-MM-DD (UTC): one snapshot per day, the latest of the day wins
    scope TEXT NOT NULL,        -- national | type:<t> | region:<code> | departement:<code>
    bodies INTEGER NOT NULL,
    direct INTEGER NOT NULL,    -- bodies that publish themselves
    shared INTEGER NOT NULL,    -- bodies that publish only through a shared portal
    datasets INTEGER NOT NULL,
    computed_at TEXT NOT NULL,
    PRIMARY KEY (day, scope)
);
"""


@cache
def socle_commun(path: Path = SOCLE_FILE) -> dict[str, str]:
    """Socle-commun schema name -> title."""
    data = yaml.safe_load(path.read_text("utf-8"))
    return {s["name"]: s["title"] for s in data["schemas"]}


def socle_schemas(values: list[str | None]) -> set[str]:
    """The socle-commun schema names among declared schema names and conformsTo URLs."""
    socle = socle_commun()
    found = set()
    for value in values:
        if not value:
            continue
        if value in socle:
            found.add(value)
        for name in _SCHEMA_URL.findall(value):
            if name in socle:
                found.add(name)
    return found


@dataclass
class BodyStatus:
    id: str
    type: str
    nature: str
    name: str
    siren: str
    population: int
    departement: str
    region: str
    zone: str
    status: str = "none"  # publishes | shared | none
    datasets: int = 0  # records it publishes itself
    shared_datasets: int = 0  # records about it alone published by a body that holds its territory
    sources: list[str] = field(default_factory=list)
    shared_by: list[str] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)
    last_update: str | None = None
    quality: float | None = None
    scored: int = 0
    schemas: list[str] = field(default_factory=list)
    # -- registry baseline (issue 17, index/registry_baseline.py): what the national registries say, beside the above
    registry_status: str = "not_listed"  # listed | not_listed
    registries: list[str] = field(default_factory=list)  # "OpenDataFrance, observatoire 2022 (2022)"...
    registry_portals: list[str] = field(default_factory=list)
    comparison: str = "neither"  # both | registry_only | live_only | neither

    @property
    def compliant(self) -> bool:
        return self.status != "none"


@dataclass
class Rate:
    scope: str
    label: str
    bodies: int = 0
    direct: int = 0
    shared: int = 0
    datasets: int = 0

    @property
    def compliant(self) -> int:
        return self.direct + self.shared

    @property
    def rate(self) -> float:
        return round(self.compliant / self.bodies, 4) if self.bodies else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "compliant": self.compliant, "rate": self.rate}


@dataclass
class Monitor:
    bodies: list[BodyStatus]
    matches: list[Match]
    computed_at: str

    def filtered(self, *, region: str | None = None, departement: str | None = None, type: str | None = None,
                 status: str | None = None) -> list[BodyStatus]:
        return [b for b in self.bodies
                if (not region or b.region == region) and (not departement or b.departement == departement)
                and (not type or b.type == type) and (not status or b.status == status
                                                      or (status == "compliant" and b.compliant))]

    def rates(self) -> dict[str, list[Rate]]:
        """national (one), by_type, by_region, by_departement; each a list of rates, sorted by scope."""
        reg = registry()
        groups: dict[str, Rate] = {"national": Rate("national", "France")}
        for t in TYPES:
            groups[f"type:{t}"] = Rate(f"type:{t}", TYPE_LABELS[t])
        for body in self.bodies:
            scopes = ["national", f"type:{body.type}"]
            if body.region:
                scopes.append(f"region:{body.region}")
            if body.departement:
                scopes.append(f"departement:{body.departement}")
            for scope in scopes:
                rate = groups.get(scope)
                if rate is None:
                    rate = groups[scope] = Rate(scope, _scope_label(reg, scope))
                rate.bodies += 1
                rate.direct += body.status == "publishes"
                rate.shared += body.status == "shared"
                rate.datasets += body.datasets + body.shared_datasets
        out: dict[str, list[Rate]] = {"national": [groups["national"]], "by_type": [], "by_region": [],
                                      "by_departement": []}
        for scope, rate in sorted(groups.items()):
            kind = scope.split(":")[0]
            if kind != "national":
                out[{"type": "by_type", "region": "by_region", "departement": "by_departement"}[kind]].append(rate)
        return out

    def unmatched(self) -> list[Match]:
        return [m for m in self.matches if m.body_id is None and m.rule != "override"]


def _scope_label(reg: Registry, scope: str) -> str:
    kind, code = scope.split(":")
    if kind == "region":
        return region_name(code) or (reg.get(scope).name if reg.get(scope) else code)
    if kind == "departement":
        return departement_name(code) or (reg.get(scope).name if reg.get(scope) else code)
    return TYPE_LABELS.get(code, code)


# -- computing -----------------------------------------------------------------------------------------------------

_PUB = ("json_extract(record_json(r.data), '$.publisher.name')",
        "COALESCE(json_extract(record_json(r.data), '$.publisher.siren'), '')")
_LAST = ("COALESCE(json_extract(record_json(r.data), '$.modified'), json_extract(record_json(r.data), '$.issued'), "
         "r.changed_at)")


def compute(store: Store, *, reg: Registry | None = None, matches: list[Match] | None = None) -> Monitor:
    """The monitor over the store's active records (see the module's rules)."""
    reg = reg or registry()
    ensure_quality_schema(store)
    ensure_cluster_schema(store)
    matches = match_publishers(store, reg=reg) if matches is None else matches
    body_of = {(m.name, m.siren or ""): m.body_id for m in matches if m.body_id}
    statuses = {b.id: BodyStatus(b.id, b.type, b.nature, b.name, b.siren, b.population, b.departement, b.region,
                                 b.zone) for b in reg.obligated()}
    quality: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # body -> [sum, count]
    schemas: dict[str, set[str]] = defaultdict(set)
    name, siren = _PUB
    counted = f"CASE WHEN {PRIMARY_ONLY} THEN 1 END"  # a copy of a dataset whose primary is elsewhere: not counted
    for row in store.db.execute(
        f"""SELECT {name} AS name, {siren} AS siren, r.source_id, COUNT({counted}) AS n, MAX({_LAST}) AS last,
                   SUM({counted} * q.score) AS qsum, COUNT({counted} * q.score) AS qn
            FROM records r LEFT JOIN quality q ON q.record_id = r.id
            WHERE r.status = 'active' AND {name} IS NOT NULL GROUP BY 1, 2, 3"""):
        body = statuses.get(body_of.get((row["name"], row["siren"]), ""))
        if body is None or not row["n"]:
            continue
        body.datasets += row["n"]
        _seen(body, row["source_id"], row["last"])
        if row["name"] not in body.publishers:
            body.publishers.append(row["name"])
        quality[body.id][0] += row["qsum"] or 0
        quality[body.id][1] += row["qn"]
    for row in store.db.execute(_COPY_SOURCES_SQL):  # where the copies of a body's datasets are
        body = statuses.get(body_of.get((row["name"], row["siren"]), ""))
        if body is not None and body.datasets:
            _seen(body, row["source_id"], None)
    for row in store.db.execute(_SCHEMAS_SQL):
        body_id = body_of.get((row["name"], row["siren"]))
        if body_id in statuses:
            schemas[body_id] |= socle_schemas([row["value"]])
    _shared(store, reg, statuses, body_of, quality, schemas)
    for body in statuses.values():
        body.status = "publishes" if body.datasets else "shared" if body.shared_datasets else "none"
        total, count = quality[body.id]
        body.quality = round(total / count, 1) if count else None
        body.scored = count
        body.schemas = sorted(schemas[body.id])
        body.sources.sort()
        body.shared_by.sort()
    registry_baseline.apply(statuses.values(), reg)  # issue 17: the registries' view beside the live one
    order = {t: i for i, t in enumerate(TYPES)}
    bodies = sorted(statuses.values(), key=lambda b: (order[b.type], b.departement, b.name))
    return Monitor(bodies, matches, utcnow())


_COPY_SOURCES_SQL = f"""
SELECT DISTINCT {_PUB[0].replace("r.data", "p.data")} AS name, {_PUB[1].replace("r.data", "p.data")} AS siren,
       m.source_id
FROM clusters c JOIN records p ON p.id = c.primary_id JOIN cluster_members m ON m.cluster_id = c.id
WHERE p.status = 'active'
"""

_SCHEMAS_SQL = f"""
SELECT DISTINCT name, siren, value FROM (
    SELECT {_PUB[0]} AS name, {_PUB[1]} AS siren, json_extract(di.value, '$.schema.name') AS value
    FROM records r, json_each(record_json(r.data), '$.distributions') di WHERE r.status = 'active'
    UNION ALL
    SELECT {_PUB[0]}, {_PUB[1]}, json_extract(di.value, '$.schema.url')
    FROM records r, json_each(record_json(r.data), '$.distributions') di WHERE r.status = 'active'
    UNION ALL
    SELECT {_PUB[0]}, {_PUB[1]}, c.value
    FROM records r, json_each(record_json(r.data), '$.distributions') di, json_each(di.value, '$.conforms_to') c
    WHERE r.status = 'active'
    UNION ALL
    SELECT {_PUB[0]}, {_PUB[1]}, c.value FROM records r, json_each(record_json(r.data), '$.conforms_to') c
    WHERE r.status = 'active'
) WHERE name IS NOT NULL AND value IS NOT NULL
"""


def _seen(body: BodyStatus, source: str, last: str | None) -> None:
    if source not in body.sources:
        body.sources.append(source)
    if last and (body.last_update is None or last > body.last_update):
        body.last_update = last


def _shared(store: Store, reg: Registry, statuses: dict[str, BodyStatus], body_of: dict[tuple[str, str], str],
            quality: dict[str, list[int]], schemas: dict[str, set[str]]) -> None:
    """Records about one obligated commune (or exactly an obligated EPCI's communes) published by a body that holds
    its territory count for it as published through a shared portal."""
    epci_by_members = {frozenset(b.members): b.id for b in reg.obligated() if b.type == "epci" and b.members}
    name, siren = _PUB
    rows = store.db.execute(
        f"""SELECT r.id, {name} AS name, {siren} AS siren, r.source_id, {_LAST} AS last, q.score,
                   (SELECT group_concat(DISTINCT c.value) FROM json_each(record_json(r.data), '$.spatial') sp,
                           json_each(sp.value, '$.communes') c) AS communes
            FROM records r LEFT JOIN quality q ON q.record_id = r.id
            WHERE r.status = 'active' AND {name} IS NOT NULL AND {PRIMARY_ONLY}
              AND EXISTS (SELECT 1 FROM json_each(record_json(r.data), '$.spatial') sp
                          WHERE json_array_length(sp.value, '$.communes') > 0)""")
    for row in rows:
        publisher = body_of.get((row["name"], row["siren"]))
        if publisher is None or not row["communes"]:
            continue
        communes = frozenset(row["communes"].split(","))
        target = f"commune:{next(iter(communes))}" if len(communes) == 1 else epci_by_members.get(communes)
        body = statuses.get(reg.aliases.get(target or "", target or ""))
        if body is None or body.id == publisher or publisher not in reg.parents(reg.bodies[body.id]):
            continue
        body.shared_datasets += 1
        _seen(body, row["source_id"], row["last"])
        if publisher not in body.shared_by:
            body.shared_by.append(publisher)
        if row["score"] is not None:
            quality[body.id][0] += row["score"]
            quality[body.id][1] += 1
        record = store.db.execute(
            f"SELECT value FROM ({_SCHEMAS_SQL.replace('WHERE r.status', 'WHERE r.id = :id AND r.status')})",
            {"id": row["id"]}).fetchall()
        schemas[body.id] |= socle_schemas([r["value"] for r in record])


# -- cache ---------------------------------------------------------------------------------------------------------

_cache: dict[str, tuple[tuple[Any, ...], Monitor]] = {}
_cache_lock = threading.Lock()


def _state(store: Store) -> tuple[Any, ...]:
    """What the monitor depends on: records (count, latest change), scores, the overrides file."""
    ensure_quality_schema(store)
    records = store.db.execute("SELECT COUNT(*), MAX(changed_at), MAX(last_seen_job) FROM records").fetchone()
    scores = store.db.execute("SELECT COUNT(*), MAX(computed_at) FROM quality").fetchone()
    ensure_cluster_schema(store)
    clustered = store.db.execute("SELECT COUNT(*), MAX(updated_at) FROM clusters").fetchone()
    path = overrides_path()
    mtime = path.stat().st_mtime if path.exists() else None
    return (*records, *scores, *clustered, str(path), mtime)


def current(store: Store) -> Monitor:
    """The monitor of the store, recomputed only when something it depends on changed."""
    key = str(store.path.resolve())
    state = _state(store)
    with _cache_lock:
        cached = _cache.get(key)
        if cached and cached[0] == state:
            return cached[1]
    monitor = compute(store)
    with _cache_lock:
        _cache[key] = (state, monitor)
    return monitor


# -- snapshots and trend ---------------------------------------------------------------------------------------------


def ensure_snapshot_schema(store: Store) -> None:
    store.db.executescript(SNAPSHOT_SCHEMA)


def take_snapshot(store: Store, *, day: str | None = None, monitor: Monitor | None = None) -> int:
    """Write today's (or ``day``'s) rates, every scope; an earlier snapshot of that day is replaced. Returns the
    number of scopes written."""
    ensure_snapshot_schema(store)
    monitor = monitor or current(store)
    day = day or datetime.now(UTC).date().isoformat()
    rows = [(day, r.scope, r.bodies, r.direct, r.shared, r.datasets, monitor.computed_at)
            for rates in monitor.rates().values() for r in rates]
    with store.transaction() as db:
        db.execute("DELETE FROM obligation_snapshots WHERE day = ?", (day,))
        db.executemany("INSERT INTO obligation_snapshots (day, scope, bodies, direct, shared, datasets, computed_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def snapshot_after_harvest(store: Store) -> bool:
    """After a harvest job: today's snapshot is rewritten once no harvest is running any more (the last job of a
    batch writes it, so a batch of many sources computes the monitor once, not once per source). True if written."""
    ensure_snapshot_schema(store)
    if store.db.execute("SELECT 1 FROM harvest_locks LIMIT 1").fetchone():
        return False
    take_snapshot(store)
    return True


@dataclass
class TrendPoint:
    day: str
    bodies: int
    direct: int
    shared: int
    datasets: int

    @property
    def rate(self) -> float:
        return round((self.direct + self.shared) / self.bodies, 4) if self.bodies else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "compliant": self.direct + self.shared, "rate": self.rate}


def trend(store: Store, scope: str = "national", *, start: str | None = None,
          end: str | None = None) -> list[TrendPoint]:
    """The snapshots of one scope, oldest first, within [start, end)."""
    ensure_snapshot_schema(store)
    sql = "SELECT day, bodies, direct, shared, datasets FROM obligation_snapshots WHERE scope = ?"
    params: list[str] = [scope]
    if start:
        sql += " AND day >= ?"
        params.append(start)
    if end:
        sql += " AND day < ?"
        params.append(end)
    return [TrendPoint(r["day"], r["bodies"], r["direct"], r["shared"], r["datasets"])
            for r in store.db.execute(sql + " ORDER BY day", params)]


# -- export ------------------------------------------------------------------------------------------------------

CSV_FIELDS = ["id", "type", "nature", "name", "siren", "population", "departement", "region", "zone", "status",
              "datasets", "shared_datasets", "sources", "shared_by", "publishers", "last_update", "quality", "scored",
              "schemas",
              "registry_status", "registries", "registry_portals", "comparison"]  # issue 17: the registry baseline


def body_dict(body: BodyStatus) -> dict[str, Any]:
    return {**asdict(body), "compliant": body.compliant}


def to_csv(bodies: list[BodyStatus]) -> str:
    """One row per body; list fields joined with " | "."""
    rows = []
    for body in bodies:
        row = asdict(body)
        for key in ("sources", "shared_by", "publishers", "schemas", "registries", "registry_portals"):
            row[key] = " | ".join(row[key])
        rows.append(row)
    return csv_text(rows, CSV_FIELDS)
