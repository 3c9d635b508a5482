"""Cross-portal duplicates: records that are one dataset, linked into clusters with a primary record each.

Why here, after the store: the same dataset reaches moisson through a commune's portal, its région's platform and
data.gouv.fr, which harvests many local portals itself. Reusers want it once. Clustering reads the stored normalised
records (never a source's format: :mod:`index.evidence` draws the match keys from the model) and keeps its own tables
beside them; the index, the statistics, the obligation monitor and the export read the result.

How, incrementally (a harvest touches only its own records and their candidates, never the nation):

1. the records of a source whose content changed since they were last clustered (the ``hash`` kept per member, as
   :mod:`index.quality` does for scores) have their match keys replaced in ``cluster_keys`` (digest -> record) --
   keys drawn by :func:`draw_keys` when the harvest stored the record (its model in hand), else from the stored JSON;
2. each is compared with the records sharing one of its keys -- a key held by more than :data:`MAX_KEY_RECORDS`
   records, or by two records of one source as their own (three for a globally unique identifier: one portal may
   hold a dataset twice), identifies nothing and is skipped -- and the links found are kept in ``cluster_links``
   with their signals in plain words;
3. the clusters touched (the records' old clusters and their new neighbours' clusters, followed through the links)
   are recomputed: strong links join, weak links (title + publisher + description) join only clusters that share no
   source, so two records of one portal are never merged on a weak signal; each cluster keeps the id most of its
   members had (stable across runs, even across ``--rebuild``), and its primary is elected again.

A record that changes so that it no longer matches loses its links and leaves its cluster at the next harvest; a
cluster whose members no longer hold together splits. Every record whose cluster, copies or primary changed is
flagged for the search index (``records.indexed = 0``).

The primary (what search shows once, what the statistics and the export count once) is, in order: the record whose
source carries the record's publisher as its own -- the sources file's publisher hint, else the SIREN (without one,
the name) its records name most, at least 30 % of them and twice as often as any other -- unless it says it was
harvested from elsewhere; then a record that names no origin of its own and that the others say they harvested from;
then the best quality score; then the record published first (its ``issued`` date), then the one harvested first.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import logging
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

from index.evidence import Evidence, Signal, combined, evidence, publisher_keys, strong_signals, weak_match
from index.store import Store
from kernel.records import utcnow
from normalise.model import DataService, Dataset

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS cluster_members (
    n INTEGER PRIMARY KEY,          -- a short stable number for cluster_keys (8 bytes where a record id takes 25)
    record_id TEXT NOT NULL UNIQUE,
    cluster_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    hash TEXT NOT NULL,             -- the record content hash that was clustered (a changed record is clustered again)
    is_primary INTEGER NOT NULL,
    confidence REAL NOT NULL,       -- how sure its place in its cluster is (1 when alone)
    publisher TEXT,                 -- "s:<SIREN>", else "n:<place>" from its name: whose dataset it says it is
    derived INTEGER NOT NULL,       -- 1: the record says it was harvested or copied from elsewhere
    issued TEXT,                    -- when the source says it was first published (the primary's age)
    keys BLOB NOT NULL              -- JSON [[digest, role, unique], ...]: its rows of cluster_keys, to replace them
);
CREATE INDEX IF NOT EXISTS cluster_members_by_cluster ON cluster_members (cluster_id);
CREATE INDEX IF NOT EXISTS cluster_members_by_source ON cluster_members (source_id, publisher);
CREATE INDEX IF NOT EXISTS cluster_members_copies ON cluster_members (record_id) WHERE is_primary = 0;
CREATE TABLE IF NOT EXISTS cluster_keys (  -- small rows: written at random places, each page touched written again
    key INTEGER NOT NULL,           -- 64-bit digest of a normalised match key (index/evidence.py)
    member INTEGER NOT NULL,        -- cluster_members.n
    role INTEGER NOT NULL,          -- 0 self | 1 origin | 2 weak
    PRIMARY KEY (key, member, role)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cluster_keys_recent (  -- the keys written since the last merge into cluster_keys
    key INTEGER NOT NULL,
    member INTEGER NOT NULL,
    role INTEGER NOT NULL,
    PRIMARY KEY (key, member, role)
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS cluster_keys_all AS  -- what is read: both (SQLite pushes a key lookup into each)
    SELECT key, member, role FROM cluster_keys UNION ALL SELECT key, member, role FROM cluster_keys_recent;
CREATE TABLE IF NOT EXISTS cluster_links (
    a TEXT NOT NULL,                -- record ids, a < b
    b TEXT NOT NULL,
    strong INTEGER NOT NULL,        -- 0: title + publisher + description only
    confidence REAL NOT NULL,
    origin TEXT,                    -- the one of the two the other says it was harvested from, if so
    signals BLOB NOT NULL,          -- JSON [{kind, value, text, confidence}]
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cluster_links_by_b ON cluster_links (b);
CREATE TABLE IF NOT EXISTS cluster_owners (  -- a source's owner as its records say, counted once (see _owner)
    source_id TEXT PRIMARY KEY,
    owner TEXT                      -- the publisher key most of its records name; NULL when none is clear
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS clusters (  -- clusters of two records or more (a record alone has no row)
    id TEXT PRIMARY KEY,
    primary_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    sources INTEGER NOT NULL,
    reason TEXT NOT NULL,           -- why the primary is the primary, in plain words
    updated_at TEXT NOT NULL
);
"""

# Keys are written to a small table and merged into the large one in key order now and then (what a log-structured
# merge tree does): a job's keys land at random places of the key index, and a commit writes every page it touched
# again -- at 100k records, writing them straight into cluster_keys made a job's commit write a third of the table.
MERGE_MIN_KEYS = 20_000  # keys the recent table holds before a merge, at least...
MERGE_SHARE = 0.25  # ... and at least this share of the records clustered (the merge rewrites the pages it reaches)
MAX_KEY_RECORDS = 50  # a key more records share than this (a portal's home page, a WMS endpoint) identifies nothing
MAX_COMPONENT = 2000  # records followed through links when recomputing clusters (a runaway chain stops there)
BATCH = 1000  # dirty records read at a time
GROUP = 20  # batches per transaction: a commit writes every page the batches touched, and keys land anywhere
ROLES = {"self": 0, "origin": 1, "weak": 2}
ROLE_NAMES = {code: name for name, code in ROLES.items()}
# A source is a body's own portal when its records name that body's SIREN at least this often, and at least twice as
# often as any other (a regional platform publishes for many bodies, its own body first).
OWNER_SHARE = 0.3
OWNER_MIN_RECORDS = 3
_CACHE_SIZE = 4096

# A record counted once: not a copy in a cluster whose primary is another record (for SQL on ``records r``).
PRIMARY_ONLY = "NOT EXISTS (SELECT 1 FROM cluster_members cm WHERE cm.record_id = r.id AND cm.is_primary = 0)"


def ensure_schema(store: Store) -> None:
    """Create the tables (once per store object); never inside a transaction (``executescript`` commits)."""
    if getattr(store, "_clusters_schema", False):
        return
    store.db.executescript(SCHEMA)
    store._clusters_schema = True  # type: ignore[attr-defined]


def singleton_id(record_id: str) -> str:
    """The id of a record's cluster when it is alone (and the seed of a new cluster's id): stable per record. It
    begins with a digest of the record's source (its id's prefix), so that a job's new records -- one source's, most
    of them alone -- land side by side in the members' cluster index: with the whole id one digest, each job's commit
    wrote back about a page of that index per new record (0.3 s of the 100k bench's 15 s of clustering)."""
    return "c" + _source_digest(record_id.rpartition(".")[0]) + hashlib.blake2b(record_id.encode(),
                                                                               digest_size=8).hexdigest()


@functools.lru_cache(maxsize=4096)
def _source_digest(source_id: str) -> str:
    """A source's part of its records' singleton ids (asked once per record clustered, the same for a whole job)."""
    return hashlib.blake2b(source_id.encode(), digest_size=3).hexdigest()


@dataclass
class ClusterRun:
    """What one clustering pass did."""

    records: int = 0  # records (re)clustered
    removed: int = 0  # records that left the clustering (withdrawn)
    rechecked: int = 0  # other records whose links were recomputed (a key of theirs became ambiguous, or clear)
    links: int = 0  # links written
    reflagged: int = 0  # records whose cluster, copies or primary changed: flagged for the search index
    seconds: float = 0.0


@dataclass
class _Member:
    record_id: str
    cluster_id: str
    source_id: str
    is_primary: bool
    publisher: str | None
    derived: bool


Keys = list[tuple[int, str]]  # a record's key digests and roles, as cluster_members.keys holds them


@dataclass
class _Run:
    """State of one pass: caches bounded, so memory stays flat whatever the number of records."""

    store: Store
    sources: SourceFacts
    owners: dict[str, str | None] = field(default_factory=dict)
    loaded: dict[str, tuple[dict[str, Any], str, Keys]] = field(default_factory=dict)
    found: dict[str, list[Evidence]] = field(default_factory=dict)  # evidence of the batch being linked
    # the batch's records drawn when stored (source, drawing): read only for those that have candidates
    drawn: dict[str, tuple[str, Drawing]] = field(default_factory=dict)
    weak_ambiguity: dict[str, bool] = field(default_factory=dict)
    stats: ClusterRun = field(default_factory=ClusterRun)


# -- the pass ------------------------------------------------------------------------------------------------------


def update_clusters(store: Store, *, source_id: str | None = None, rebuild: bool = False) -> ClusterRun:
    """Cluster the records (of one source, or all) whose content changed since they were last clustered, or that
    were withdrawn; with ``rebuild``, every record's keys and links are recomputed (cluster ids are kept by the same
    majority rule). Passes over the records concerned, a batch at a time: their keys and links (a record's link to a
    record of a later batch is found from the later one's side), then the clusters they are in, once every link is
    known (so a rebuild does not split and merge clusters on the way). A harvest job's records are clustered in one
    transaction (one commit writes the key pages back once); larger runs commit every :data:`GROUP` batches. What the
    last pass must know (the records whose cluster must be recomputed) waits in temporary tables of SQLite, not in
    memory."""
    ensure_schema(store)
    started = time.perf_counter()
    run = _Run(store, source_facts(store))
    db = store.db
    if rebuild:
        with store.transaction():
            db.execute("DELETE FROM cluster_keys")
            db.execute("DELETE FROM cluster_keys_recent")
            db.execute("DELETE FROM cluster_links")
            db.execute("DELETE FROM cluster_owners")
            db.execute("UPDATE cluster_members SET hash = '', keys = '[]'")
    # Made once per connection and emptied, not dropped: a schema change makes SQLite prepare every statement again.
    db.execute("CREATE TEMP TABLE IF NOT EXISTS cluster_dirty (record_id TEXT NOT NULL)")
    db.execute("CREATE TEMP TABLE IF NOT EXISTS cluster_seeds (record_id TEXT PRIMARY KEY)")
    db.execute("CREATE TEMP TABLE IF NOT EXISTS cluster_recheck (record_id TEXT PRIMARY KEY)")
    _empty_temp(db)
    where = "r.source_id = ? AND " if source_id else ""
    db.execute(
        f"""INSERT INTO temp.cluster_dirty (record_id) SELECT r.id FROM records r
            LEFT JOIN cluster_members m ON m.record_id = r.id
            WHERE {where}((r.status = 'active' AND (m.record_id IS NULL OR m.hash != r.hash))
                          OR (r.status != 'active' AND m.record_id IS NOT NULL))""",
        (source_id,) if source_id else ())
    small = db.execute("SELECT COUNT(*) FROM temp.cluster_dirty").fetchone()[0] <= GROUP * BATCH
    try:
        with store.transaction() if small else contextlib.nullcontext():  # a harvest job's records: one commit
            _passes(run, db)
    finally:
        _empty_temp(db)
    run.stats.seconds = round(time.perf_counter() - started, 3)
    return run.stats


def _passes(run: _Run, db: sqlite3.Connection) -> None:
    """Keys and links of the dirty records a batch at a time, the records whose links a key gone ambiguous may
    change, then the clusters of every record concerned."""
    store = run.store
    dirty = _batches(db, "SELECT rowid, record_id FROM temp.cluster_dirty WHERE rowid > ? ORDER BY rowid")
    while group := list(itertools.islice(dirty, GROUP)):
        with store.transaction():  # a record's links to records of later batches are found from their side
            for ids in group:
                _link_batch(run, _replace_keys(run, ids))
        _merge_keys(store)  # a rebuild's keys too: merged as they grow, never all in the recent table
    for _ in range(3):  # records whose links a key gone ambiguous (or clear again) may change
        todo = [r[0] for r in db.execute("SELECT record_id FROM temp.cluster_recheck")]
        if not todo:
            break
        db.execute("DELETE FROM temp.cluster_recheck")
        for start in range(0, len(todo), BATCH):
            with store.transaction():
                chunk = todo[start:start + BATCH]
                _seed(db, chunk + sorted(_drop_links(db, chunk)))
                _link_batch(run, _stored_keys(run, chunk))
                run.stats.rechecked += len(chunk)
    seeds = True
    while seeds:
        with store.transaction():
            for _ in range(GROUP):
                seeds = [r[0] for r in db.execute("SELECT record_id FROM temp.cluster_seeds LIMIT ?", (BATCH,))]
                if not seeds:
                    break
                done = _recompute(run, set(seeds))
                db.executemany("DELETE FROM temp.cluster_seeds WHERE record_id = ?",
                               [(r,) for r in done | set(seeds)])


def _merge_keys(store: Store, *, force: bool = False) -> bool:
    """Move the recent keys into cluster_keys, in key order (each page of the large table written once), when the
    recent table has grown past its share; returns whether it did."""
    db = store.db
    recent = db.execute("SELECT COUNT(*) FROM cluster_keys_recent").fetchone()[0]
    if not recent or (not force and recent < max(MERGE_MIN_KEYS, MERGE_SHARE * (
            db.execute("SELECT MAX(n) FROM cluster_members").fetchone()[0] or 0))):
        return False
    with store.transaction():
        db.execute("INSERT OR IGNORE INTO cluster_keys (key, member, role) SELECT key, member, role "
                   "FROM cluster_keys_recent ORDER BY key, member, role")
        db.execute("DELETE FROM cluster_keys_recent")
    return True


def _empty_temp(db: sqlite3.Connection) -> None:
    for table in ("cluster_dirty", "cluster_seeds", "cluster_recheck"):
        db.execute(f"DELETE FROM temp.{table}")


# -- keys drawn when a record is stored ------------------------------------------------------------------------------
# The harvest holds each new or changed record's model in its batch: drawing the keys there spares the clustering pass
# a second read, decompression and parse of the whole record (a fifth of its cost). What is drawn waits in memory, on
# the store object, until the job's pass -- bounded (:data:`DRAWN_BYTES`), oldest dropped first, so a job of 100,000
# records keeps memory flat: a record whose drawing is gone, or was drawn from other content (a batch rolled back, a
# crash in between, another process), is read from the store as before. A temporary table of SQLite held them once:
# writing, joining and emptying it cost a third of what drawing saved.
DRAWN_BYTES = 48 * 2**20  # what the drawings waiting for their pass may hold (estimated), per store object


@dataclass
class Drawing:
    """A record's cluster_members values and what its links read, drawn from its model when it was stored. Held as
    Python objects, not JSON: most records meet no candidate, and for those that do, parsing a dump again cost what
    drawing them saved."""

    hash: str  # the content hash it was drawn from (used only while the stored record still has it)
    publisher: str | None
    derived: int
    issued: str | None
    keys: list[tuple[int, str, int]]  # (digest, role, unique), as cluster_members.keys holds them
    data: dict[str, Any]  # the fields the clustering reads (match_fields, or the stored record's JSON)
    found: list[Evidence]
    size: int  # what it holds, roughly, in bytes: what the bound counts


def _drawing(data: dict[str, Any], found: list[Evidence], digest: str) -> Drawing:
    """A record's drawing from its fields and keys: one way, whether they come from the model being stored or from
    the stored JSON."""
    publisher = data.get("publisher")
    keys = [(ev.digest, ev.role, int(ev.unique)) for ev in found]
    # the texts dominate; each key (its value, normalised key, objects) and each file, a few hundred bytes
    size = 600 + 450 * len(keys) + 300 * len(data.get("distributions") or ()) \
        + len(data.get("description") or "") + len(data.get("title") or "")
    return Drawing(digest, _publisher_key(publisher if isinstance(publisher, dict) else None),
                   int("origin" in [ev.role for ev in found]), data.get("issued"), keys, data, found, size)


class Drawings:
    """The drawings of one store object waiting for their clustering pass (thread-safe: a server's threads share
    the store object, though only harvests draw)."""

    def __init__(self) -> None:
        self._waiting: dict[str, Drawing] = {}  # insertion order: the oldest first
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, record_id: str, drawing: Drawing) -> None:
        with self._lock:
            if (old := self._waiting.pop(record_id, None)) is not None:
                self._bytes -= old.size
            self._waiting[record_id] = drawing
            self._bytes += drawing.size
            while self._bytes > DRAWN_BYTES and self._waiting:
                self._bytes -= self._waiting.pop(next(iter(self._waiting))).size

    def take(self, record_id: str, digest: str) -> Drawing | None:
        """The record's drawing if it was drawn from this content; gone from the waiting ones either way."""
        with self._lock:
            drawing = self._waiting.pop(record_id, None)
            if drawing is None:
                return None
            self._bytes -= drawing.size
        return drawing if drawing.hash == digest else None

    def __len__(self) -> int:
        return len(self._waiting)


def drawings(store: Store) -> Drawings:
    """The store object's waiting drawings (made on first use)."""
    waiting = getattr(store, "_cluster_drawings", None)
    if waiting is None:
        waiting = store._cluster_drawings = Drawings()  # type: ignore[attr-defined]
    return waiting


def match_fields(entry: Dataset | DataService) -> dict[str, Any]:
    """What the clustering reads of a record -- the fields its keys come from (:func:`index.evidence.evidence`) and
    what a weak match compares (:func:`index.evidence.weak_match`) -- read off the model as the store's JSON holds
    them (a value left out there is None or empty here, which the readers take alike). By hand, not
    ``model_dump(include=...)``: a fifth of the cost, on every record stored."""
    publisher, harvest = entry.publisher, entry.harvest
    # an access service always has its endpoint (a required field), so the store's JSON never leaves one out
    dists = [{"download_url": dist.download_url, "access_url": dist.access_url, "checksum": dist.checksum,
              "access_service": dist.access_service is not None}
             for dist in getattr(entry, "distributions", ())]  # a DataService has none
    return {
        "native_id": entry.native_id, "uri": entry.uri, "landing_page": entry.landing_page,
        "identifiers": entry.identifiers, "same_as": entry.same_as, "derived_from": entry.derived_from,
        # the three values evidence() reads of a harvesting portal's note (all strings, as the JSON has them)
        "harvest": {"remote_id": harvest.remote_id, "remote_url": harvest.remote_url, "domain": harvest.domain}
        if harvest else None,
        "title": entry.title, "description": entry.description, "issued": entry.issued,
        "publisher": {"name": publisher.name, "siren": publisher.siren} if publisher else None,
        "spatial": [{"departements": place.departements} for place in entry.spatial if place.departements],
        "distributions": dists,
    }


def draw_keys(store: Store, entries: Iterable[tuple[Dataset | DataService, str]]) -> int:
    """Draw the match keys of records being stored (each with its content hash), from their models, for the next
    clustering pass of this store object. Returns how many were drawn."""
    facts = source_facts(store)
    waiting = drawings(store)
    drawn = 0
    for entry, digest in entries:
        data = match_fields(entry)
        waiting.put(entry.id, _drawing(data, evidence(data, facts.host(entry.source_id)), digest))
        drawn += 1
    return drawn


def _batches(db: sqlite3.Connection, sql: str) -> Iterator[list[str]]:
    """Record ids of a keyset query (``rowid > ?``), :data:`BATCH` at a time."""
    last = 0
    while rows := db.execute(f"{sql} LIMIT {BATCH}", (last,)).fetchall():
        last = rows[-1][0]
        yield [row[1] for row in rows]


def _marks(values: list[Any]) -> str:
    return ",".join("?" * len(values))


def _seed(db: sqlite3.Connection, record_ids: Iterable[str]) -> None:
    db.executemany("INSERT OR IGNORE INTO temp.cluster_seeds (record_id) VALUES (?)", [(r,) for r in record_ids])


SOURCES_KEPT = 60.0  # seconds the sources' hosts and hints are kept unless this store object wrote them meanwhile


class SourceFacts:
    """Each source's host (it qualifies native ids that are not globally unique) and the publisher its sources-file
    hint names, if any -- read a source at a time, when first asked. A job meets its own source and the few of its
    candidates' clusters; reading every source instead cost each job a few microseconds a source, and `harvest --all`
    opens a store object per job: with 2,000 sources of ten records, the clustering took 31 % of the harvest."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.generation = store.sources_generation
        self.read_at = time.monotonic()
        self._facts: dict[str, tuple[str | None, str | None]] = {}

    def host(self, source_id: str) -> str | None:
        return self._get(source_id)[0]

    def owner_hint(self, source_id: str) -> str | None:
        """The publisher key of the source's configured publisher (``s:<SIREN>``, else from its name)."""
        return self._get(source_id)[1]

    def _get(self, source_id: str) -> tuple[str | None, str | None]:
        if (facts := self._facts.get(source_id)) is None:
            facts = self._facts[source_id] = _read_source(self.store, source_id)
        return facts


def source_facts(store: Store) -> SourceFacts:
    """The store object's source facts: kept until this store object rewrites the sources table, or for
    :data:`SOURCES_KEPT` seconds (another process may have). Asked for every batch a harvest stores."""
    facts = getattr(store, "_cluster_sources", None)
    if facts is None or facts.generation != store.sources_generation \
            or time.monotonic() - facts.read_at >= SOURCES_KEPT:
        facts = store._cluster_sources = SourceFacts(store)  # type: ignore[attr-defined]
    return facts


def _read_source(store: Store, source_id: str) -> tuple[str | None, str | None]:
    row = store.db.execute("SELECT url, config FROM sources WHERE id = ?", (source_id,)).fetchone()
    if row is None:
        return None, None
    try:
        host = urlsplit(row["url"]).netloc or None
    except ValueError:
        host = None
    try:
        publisher = (orjson.loads(row["config"]) or {}).get("publisher") or {}
    except orjson.JSONDecodeError:
        publisher = {}
    return host, _publisher_key(publisher if isinstance(publisher, dict) else None)


# -- pass 1: keys ----------------------------------------------------------------------------------------------------


def _publisher_key(publisher: dict[str, Any] | None) -> str | None:
    """Whose dataset a record says it is: its publisher's SIREN, else its place from its name (ISO records and
    many DCAT feeds name their publisher only); a source's own publisher the same way."""
    keys = publisher_keys(publisher)
    return keys[0] if keys else None


def _replace_keys(run: _Run, record_ids: list[str]) -> dict[str, tuple[str, list[tuple[Any, ...]]]]:
    """Replace the keys of these records (changed, new or withdrawn); their old links go, and the records those
    links reached, their old cluster mates and themselves wait for their clusters to be recomputed. Returns the
    active ones with their source and keys (their data left in the pass's cache for their links)."""
    db = run.store.db
    rows = db.execute(f"SELECT id, source_id, hash, status FROM records WHERE id IN ({_marks(record_ids)})",
                      record_ids).fetchall()
    waiting = drawings(run.store)
    drawn = {row[0]: drawing for row in rows if (drawing := waiting.take(row[0], row[2])) is not None}
    unread = [row[0] for row in rows if row[0] not in drawn and row[3] == "active"]
    data_of = dict(db.execute(f"SELECT id, data FROM records WHERE id IN ({_marks(unread)})", unread)) \
        if unread else {}
    # the owners of the sources whose records change are counted again when next asked (_owner)
    db.executemany("DELETE FROM cluster_owners WHERE source_id = ?", [(s,) for s in {row[1] for row in rows}])
    old_rows = db.execute(f"SELECT record_id, cluster_id, keys, n, hash FROM cluster_members WHERE record_id IN "
                          f"({_marks(record_ids)})", record_ids).fetchall()
    old = {r[0]: (r[1], r[2], r[3]) for r in old_rows}
    now_hash = {row[0]: row[2] for row in rows}
    # clusters one of whose records changed content ('' : a --rebuild, where nothing did)
    edited = sorted({r[1] for r in old_rows if r[4] and r[4] != now_hash.get(r[0])})
    known = list(old)
    seeds: set[str] = set(known)  # a new record without links stays alone: nothing to recompute (most records)
    if known:
        seeds |= _drop_links(db, known)
        clusters = sorted({cluster_id for cluster_id, _, _ in old.values()})
        seeds |= {r[0] for r in db.execute(
            f"SELECT record_id FROM cluster_members WHERE cluster_id IN ({_marks(clusters)})", clusters)}
    if edited:  # a primary's index document carries its copies' formats and words (index.document.cluster_fields):
        # a copy that changed makes it stale even when the cluster stays the same
        flagged = db.execute(f"UPDATE records SET indexed = 0 WHERE indexed != 0 AND id IN (SELECT primary_id FROM "
                             f"clusters WHERE id IN ({_marks(edited)}))", edited).rowcount
        run.stats.reflagged += max(flagged, 0)
    recheck: set[str] = set()
    members, keys_rows, gone = [], [], []
    # a member keeps its number; a new one takes the next (the pass holds the write lock: no other writer takes it
    # meanwhile), so the key rows need no lookup of the batch's numbers
    last = db.execute("SELECT MAX(n) FROM cluster_members").fetchone()[0] or 0
    fresh: dict[str, tuple[str, list[tuple[Any, ...]]]] = {}
    for row in rows:
        record_id, source = row[0], row[1]
        run.loaded.pop(record_id, None)
        run.weak_ambiguity.pop(record_id, None)
        if record_id in old:
            recheck |= _drop_keys(db, old[record_id][2], source, orjson.loads(old[record_id][1]))
        if row[3] != "active":
            gone.append((record_id,))
            continue
        if (drawing := drawn.get(record_id)) is not None:  # its data is read only if it has candidates (_load)
            run.drawn[record_id] = (source, drawing)
        else:  # read from the store, so kept in the pass's cache for its links
            data = orjson.loads(run.store.unpack(data_of[record_id]))
            drawing = _drawing(data, evidence(data, run.sources.host(source)), row[2])
            _keep(run, record_id, source, drawing)
        if record_id in old:
            n = old[record_id][2]
        else:
            last = n = last + 1
        keys_rows += [(digest, n, ROLES[role]) for digest, role, _ in drawing.keys]
        fresh[record_id] = (source, drawing.keys)
        members.append((n, record_id, singleton_id(record_id), source, row[2], drawing.publisher, drawing.derived,
                        drawing.issued, orjson.dumps(drawing.keys)))
        run.stats.records += 1
    db.executemany("DELETE FROM cluster_members WHERE record_id = ?", gone)
    run.stats.removed += len(gone)
    db.executemany(
        """INSERT INTO cluster_members (n, record_id, cluster_id, source_id, hash, is_primary, confidence,
                                        publisher, derived, issued, keys)
           VALUES (?, ?, ?, ?, ?, 1, 1.0, ?, ?, ?, ?)
           ON CONFLICT (record_id) DO UPDATE SET source_id = excluded.source_id, hash = excluded.hash,
             publisher = excluded.publisher, derived = excluded.derived, issued = excluded.issued,
             keys = excluded.keys""",
        members)
    db.executemany("INSERT OR IGNORE INTO cluster_keys_recent (key, member, role) VALUES (?, ?, ?)",
                   sorted(keys_rows))
    _seed(db, seeds)
    db.executemany("INSERT OR IGNORE INTO temp.cluster_recheck (record_id) VALUES (?)", [(r,) for r in recheck])
    return fresh


def _drop_keys(db: sqlite3.Connection, member: int, source: str, keys: list[list[Any]]) -> set[str]:
    """Remove a record's keys; return the other records whose links may change because a key it held with another
    record of its portal (ambiguous, so unused) becomes usable again."""
    recheck: set[str] = set()
    for digest, role, *_ in keys:
        if role == "self":
            holders = db.execute(
                """SELECT 1 FROM cluster_keys_all k JOIN cluster_members m ON m.n = k.member
                   WHERE k.key = ? AND k.role = 0 AND m.source_id = ? AND k.member != ? LIMIT 1""",
                (digest, source, member)).fetchall()
            if holders:
                recheck |= {h[0] for h in db.execute(
                    """SELECT m.record_id FROM cluster_keys_all k JOIN cluster_members m ON m.n = k.member
                       WHERE k.key = ? AND k.member != ? LIMIT ?""", (digest, member, MAX_KEY_RECORDS + 1))}
    gone = [(digest, member, ROLES[role]) for digest, role, *_ in keys]
    for table in ("cluster_keys", "cluster_keys_recent"):
        db.executemany(f"DELETE FROM {table} WHERE key = ? AND member = ? AND role = ?", gone)
    return recheck


def _drop_links(db: sqlite3.Connection, record_ids: list[str]) -> set[str]:
    """Remove the links of these records; return the records at their other ends."""
    ends: set[str] = set()
    for start in range(0, len(record_ids), BATCH):
        chunk = record_ids[start:start + BATCH]
        marks = _marks(chunk)
        ends |= {r[0] for r in db.execute(
            f"SELECT b FROM cluster_links WHERE a IN ({marks}) UNION SELECT a FROM cluster_links WHERE b IN ({marks})",
            chunk + chunk)}
        db.execute(f"DELETE FROM cluster_links WHERE a IN ({marks}) OR b IN ({marks})", chunk + chunk)
    return ends - set(record_ids)


# -- pass 2: links ---------------------------------------------------------------------------------------------------


def _load(run: _Run, record_id: str) -> tuple[dict[str, Any], str, Keys] | None:
    """A clustered record's data, source and keys (cached for the pass, within bounds)."""
    if (cached := run.loaded.get(record_id)) is not None:
        return cached
    if (drawn := run.drawn.pop(record_id, None)) is not None:
        return _keep(run, record_id, *drawn)
    row = run.store.db.execute(
        "SELECT r.data, r.source_id, m.keys FROM records r JOIN cluster_members m ON m.record_id = r.id "
        "WHERE r.id = ? AND r.status = 'active'", (record_id,)).fetchone()
    if row is None:
        return None
    loaded = (orjson.loads(run.store.unpack(row[0])), row[1], [(k[0], k[1]) for k in orjson.loads(row[2])])
    if len(run.loaded) >= _CACHE_SIZE:
        run.loaded.clear()
    run.loaded[record_id] = loaded
    return loaded


def _keep(run: _Run, record_id: str, source: str, drawing: Drawing) -> tuple[dict[str, Any], str, Keys]:
    """Put a drawn record in the pass's cache (bounded) with its evidence, as its links read them."""
    run.found[record_id] = drawing.found
    if len(run.loaded) >= _CACHE_SIZE:
        run.loaded.clear()
    run.loaded[record_id] = loaded = (drawing.data, source, [(k[0], k[1]) for k in drawing.keys])
    return loaded


def _holders(db: sqlite3.Connection, digests: set[int]) -> dict[int, list[tuple[str, str, str]]]:
    """For each key, the records holding it (record id, role, source); keys held by more than
    :data:`MAX_KEY_RECORDS` records, or by one record only, are left out. A few queries for a whole batch."""
    ordered = sorted(digests)
    held: Counter[int] = Counter()
    for start in range(0, len(ordered), 5000):
        chunk = ordered[start:start + 5000]
        # Counted in each table in its own index order (the view would sort them again), the rows few: most keys
        # are new, in the recent table alone and held once -- by the record being clustered.
        merged = dict(db.execute(f"SELECT key, COUNT(*) FROM cluster_keys WHERE key IN ({_marks(chunk)}) "
                                 f"GROUP BY key", chunk).fetchall())
        held.update(merged)
        held.update(dict(db.execute(f"SELECT key, COUNT(*) FROM cluster_keys_recent WHERE key IN ({_marks(chunk)}) "
                                    f"GROUP BY key HAVING COUNT(*) > 1", chunk).fetchall()))
        also = [key for key in merged if held[key] == merged[key]]  # in both tables, held once in the recent one
        for part in range(0, len(also), 5000):
            keys = also[part:part + 5000]
            held.update(dict(db.execute(f"SELECT key, COUNT(*) FROM cluster_keys_recent WHERE key IN "
                                        f"({_marks(keys)}) GROUP BY key", keys).fetchall()))
    usable = sorted(key for key, count in held.items() if 1 < count <= MAX_KEY_RECORDS)
    out: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for start in range(0, len(usable), 5000):
        chunk = usable[start:start + 5000]
        for key, record_id, role, source in db.execute(
                f"""SELECT k.key, m.record_id, k.role, m.source_id FROM cluster_keys_all k
                    JOIN cluster_members m ON m.n = k.member WHERE k.key IN ({_marks(chunk)})""", chunk):
            out[key].append((record_id, ROLE_NAMES[role], source))
    return out


def _stored_keys(run: _Run, record_ids: list[str]) -> dict[str, tuple[str, list[tuple[Any, ...]]]]:
    rows = run.store.db.execute(f"SELECT record_id, source_id, keys FROM cluster_members WHERE record_id IN "
                                f"({_marks(record_ids)})", record_ids).fetchall()
    return {r[0]: (r[1], [tuple(k) for k in orjson.loads(r[2])]) for r in rows}


def _link_batch(run: _Run, keys_of: dict[str, tuple[str, list[tuple[Any, ...]]]]) -> None:
    """Compare each record (id -> source, keys) with the records sharing its keys; write the links that hold."""
    db = run.store.db
    record_ids = list(keys_of)
    holders = _holders(db, {k[0] for _, keys in keys_of.values() for k in keys})
    ambiguous: set[str] = set()
    links: list[tuple[Any, ...]] = []
    for record_id, (source, keys) in keys_of.items():
        if not any(k[0] in holders for k in keys):
            continue  # nothing shares any of its keys: no candidate (most records)
        found_links, _ = _link(run, record_id, source, keys, holders, ambiguous)
        links += found_links
        run.stats.links += len(found_links)
    run.found.clear()
    run.drawn.clear()  # a record of this batch met later is read from the store
    db.executemany("INSERT OR REPLACE INTO cluster_links (a, b, strong, confidence, origin, signals) "
                   "VALUES (?, ?, ?, ?, ?, ?)", links)
    _seed(db, {end for link in links for end in link[:2]})
    db.executemany("INSERT OR IGNORE INTO temp.cluster_recheck (record_id) VALUES (?)",
                   [(r,) for r in ambiguous - set(record_ids)])


def _link(run: _Run, record_id: str, source: str, keys: list[tuple[Any, ...]],
          holders: dict[int, list[tuple[str, str, str]]], ambiguous: set[str]) -> tuple[list[tuple[Any, ...]], bool]:
    """The links of one record, as rows of cluster_links."""
    usable: set[int] = set()
    theirs: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    weak_only: set[str] = set()
    for digest, role, unique in keys:
        held = holders.get(digest)
        if not held:
            continue
        claims: dict[str, set[str]] = defaultdict(set)
        for other, other_role, other_source in held:
            if other_role == "self":
                claims[other_source].add(other)
        if any(len(claimants) > (2 if unique else 1) for claimants in claims.values()):
            ambiguous |= {h[0] for h in held if h[0] != record_id}  # several records of one portal claim it: it
            continue  # identifies nothing (see Evidence.unique). A title is checked pair by pair (weak_match).
        usable.add(digest)
        for other, other_role, other_source in held:
            if role == "weak" and other_source == source:
                continue  # two records of one portal are never one dataset on a weak signal: not even read
            if other != record_id and (other_role == "weak") == (role == "weak"):
                theirs[other][digest].add(other_role)
                if role == "weak":
                    weak_only.add(other)
    strong = {other for other, held in theirs.items() if any("weak" not in roles for roles in held.values())}
    weak_only -= strong
    if not strong and not weak_only:
        return [], False
    loaded = _load(run, record_id)
    if loaded is None:
        return [], False
    data, _, my_keys = loaded
    if strong:
        computed = run.found.get(record_id) or evidence(data, run.sources.host(source))
        mine = [ev for ev in computed if ev.digest in usable]
    out: list[tuple[Any, ...]] = []
    for other in sorted(strong):
        other_source = next(h[2] for d in theirs[other] for h in holders[d] if h[0] == other)
        signals, which = strong_signals(mine, theirs[other], source, other_source)
        if not signals:
            continue
        origin = record_id if which == "a" else other if which == "b" else None
        out.append(_link_row(record_id, other, True, combined(s.confidence for s in signals), origin, signals))
    weak_links, weak_sources = [], defaultdict(list)
    for other in sorted(weak_only):
        other_loaded = _load(run, other)  # of another source: weak_only holds no record of this one
        if other_loaded is None:
            continue
        signal = weak_match(data, other_loaded[0], my_keys, other_loaded[2])
        if signal is not None:
            weak_sources[other_loaded[1]].append(other)
            weak_links.append((other, signal))
    # A weak signal that two records of one portal answer (two datasets: a portal's records are never merged on a
    # weak signal) tells nothing: no weak link then, from this record nor to a record whose own weak signal is so.
    unclear = any(len(others) > 1 for others in weak_sources.values())
    if not unclear:
        for other, signal in weak_links:
            if not _weakly_ambiguous(run, other):
                out.append(_link_row(record_id, other, False, signal.confidence, None, [signal]))
    return out, unclear


def _link_row(a: str, b: str, strong: bool, confidence: float, origin: str | None,
              signals: list[Signal]) -> tuple[Any, ...]:
    a, b = sorted((a, b))
    return (a, b, int(strong), confidence, origin, orjson.dumps([s.as_dict() for s in signals]))


def _weakly_ambiguous(run: _Run, record_id: str) -> bool:
    """Whether the record's title + publisher + description match two records of one other portal."""
    if record_id in run.weak_ambiguity:
        return run.weak_ambiguity[record_id]
    loaded = _load(run, record_id)
    answer = loaded is None
    if loaded is not None:
        data, source, keys = loaded
        matched: dict[str, set[str]] = defaultdict(set)
        weak = [digest for digest, role in keys if role == "weak"]
        for other, _, other_source in (h for hs in _holders(run.store.db, set(weak)).values() for h in hs):
            if other == record_id or other_source == source or other in matched[other_source]:
                continue
            other_loaded = _load(run, other)
            if other_loaded is not None and weak_match(data, other_loaded[0], keys, other_loaded[2]) is not None:
                matched[other_source].add(other)
                if len(matched[other_source]) > 1:
                    answer = True
                    break
    if len(run.weak_ambiguity) >= _CACHE_SIZE:
        run.weak_ambiguity.clear()
    run.weak_ambiguity[record_id] = answer
    return answer


# -- pass 3: clusters from links -------------------------------------------------------------------------------------


def _recompute(run: _Run, seeds: set[str]) -> set[str]:
    """Recompute the clusters of these records and of everything linked to them, following links and old clusters
    a level at a time (a few queries per level, not per record); write what changed. Returns the records covered."""
    db = run.store.db
    members: dict[str, _Member] = {}
    links: dict[tuple[str, str], tuple[bool, float, str | None]] = {}
    frontier = set(seeds)
    seen_clusters: set[str] = set()
    while frontier and len(members) < MAX_COMPONENT:
        level = sorted(frontier)[: MAX_COMPONENT - len(members)]
        frontier = set()
        marks = _marks(level)
        rows = db.execute(f"SELECT record_id, cluster_id, source_id, is_primary, publisher, derived FROM "
                          f"cluster_members WHERE record_id IN ({marks})", level).fetchall()
        for row in rows:
            members[row[0]] = _Member(row[0], row[1], row[2], bool(row[3]), row[4], bool(row[5]))
        found = list(rows)
        if not found:
            continue
        present = [r[0] for r in found]
        pmarks = _marks(present)
        for a, b, strong, confidence, origin in db.execute(
                f"SELECT a, b, strong, confidence, origin FROM cluster_links WHERE a IN ({pmarks}) "
                f"UNION SELECT a, b, strong, confidence, origin FROM cluster_links WHERE b IN ({pmarks})",
                present + present):
            links[(a, b)] = (bool(strong), confidence, origin)
            frontier |= {a, b}
        new_clusters = sorted({r[1] for r in found} - seen_clusters)
        seen_clusters |= set(new_clusters)
        if new_clusters:
            frontier |= {r[0] for r in db.execute(
                f"SELECT record_id FROM cluster_members WHERE cluster_id IN ({_marks(new_clusters)})", new_clusters)}
        frontier -= set(members)
    if frontier:
        log.warning("clusters: more than %d records linked together around %s; the rest is left as it was",
                    MAX_COMPONENT, sorted(seeds)[0])
    links = {pair: link for pair, link in links.items() if pair[0] in members and pair[1] in members}
    components = _components(members, links)
    old_groups: dict[str, set[str]] = defaultdict(set)
    for member in members.values():
        old_groups[member.cluster_id].add(member.record_id)
    adjacency: dict[str, list[tuple[str, float]]] = defaultdict(list)
    pairs_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for (a, b), (_, confidence, _) in links.items():
        adjacency[a].append((b, confidence))
        adjacency[b].append((a, confidence))
        pairs_of[a].append((a, b))
    used: set[str] = set()
    now = utcnow()
    updates, flagged, clusters_rows, singles = [], [], [], []
    for component in sorted(components, key=lambda c: (-len(c), min(c))):
        cluster_id = _choose_id(db, component, members, used)
        used.add(cluster_id)
        if len(component) == 1:
            (record_id,) = component
            m = members[record_id]
            if m.cluster_id != cluster_id or not m.is_primary or old_groups[m.cluster_id] != component:
                updates.append((cluster_id, 1, 1.0, record_id))
                flagged.append(record_id)
            singles.append(cluster_id)
            continue
        primary, reason = _elect(run, component, members, {pair: links[pair] for r in component
                                                           for pair in pairs_of[r]})
        confidence = {r: max((c for other, c in adjacency[r] if other in component), default=0.0)
                      for r in component}
        changed = any(members[r].cluster_id != cluster_id or members[r].is_primary != (r == primary)
                      or old_groups[members[r].cluster_id] != component for r in component)
        updates += [(cluster_id, int(r == primary), confidence[r], r) for r in component]
        if changed:
            flagged += list(component)
        sources = len({members[r].source_id for r in component})
        clusters_rows.append((cluster_id, primary, len(component), sources, reason, now))
    db.executemany("UPDATE cluster_members SET cluster_id = ?, is_primary = ?, confidence = ? WHERE record_id = ?",
                   updates)
    db.executemany("UPDATE records SET indexed = 0 WHERE id = ?", [(r,) for r in flagged])
    run.stats.reflagged += len(flagged)
    db.executemany("DELETE FROM clusters WHERE id = ?", [(c,) for c in (set(old_groups) - used) | set(singles)])
    db.executemany("INSERT OR REPLACE INTO clusters (id, primary_id, size, sources, reason, updated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?)", clusters_rows)
    return set(members)


def _components(members: dict[str, _Member],
                links: dict[tuple[str, str], tuple[bool, float, str | None]]) -> list[set[str]]:
    """Strong links join; weak links, strongest first, join only clusters that share no source."""
    parent = {r: r for r in members}
    sources: dict[str, set[str]] = {r: {m.source_id} for r, m in members.items()}

    def find(r: str) -> str:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
            sources[ra] |= sources.pop(rb)

    for (a, b), (strong, _, _) in sorted(links.items()):
        if strong:
            union(a, b)
    for (a, b), (_, _, _) in sorted(((p, v) for p, v in links.items() if not v[0]), key=lambda i: (-i[1][1], i[0])):
        ra, rb = find(a), find(b)
        if ra != rb and not (sources[ra] & sources[rb]):
            union(a, b)
    groups: dict[str, set[str]] = defaultdict(set)
    for r in members:
        groups[find(r)].add(r)
    return list(groups.values())


def _choose_id(db: sqlite3.Connection, component: set[str], members: dict[str, _Member], used: set[str]) -> str:
    """The id most of the component's records had (ties: the smallest), unless a larger component took it; else a
    new one, derived from the smallest record id and free in the store."""
    counts = Counter(members[r].cluster_id for r in component)
    for cluster_id, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if cluster_id not in used:
            return cluster_id
    seed, n = min(component), 1
    while True:
        candidate = singleton_id(seed) if n == 1 else f"{singleton_id(seed)}-{n}"
        taken = db.execute("SELECT record_id FROM cluster_members WHERE cluster_id = ? LIMIT 1",
                           (candidate,)).fetchone()
        if candidate not in used and (taken is None or taken[0] in members):
            return candidate
        n += 1


def _owner(run: _Run, source_id: str) -> str | None:
    """The SIREN a source carries as its own: its publisher hint, else the SIREN most of its records name -- counted
    once and kept in ``cluster_owners`` until a pass changes one of its records (:func:`_replace_keys`). Counting
    reads every member of the source: a national aggregator's, for each job one of its copies links to, and
    ``harvest --all`` opens a store object per job, so a cache on it lasted one job."""
    if source_id in run.owners:
        return run.owners[source_id]
    owner = run.sources.owner_hint(source_id)
    if not owner:
        db = run.store.db
        if (kept := db.execute("SELECT owner FROM cluster_owners WHERE source_id = ?", (source_id,)).fetchone()):
            owner = kept[0]
        else:
            rows = db.execute("SELECT publisher, COUNT(*) FROM cluster_members WHERE source_id = ? "
                              "GROUP BY publisher", (source_id,)).fetchall()
            total = sum(r[1] for r in rows)
            named = sorted((r for r in rows if r[0]), key=lambda r: -r[1])
            runner_up = named[1][1] if len(named) > 1 else 0
            if named and total >= OWNER_MIN_RECORDS and named[0][1] >= OWNER_SHARE * total \
                    and named[0][1] >= 2 * runner_up:
                owner = named[0][0]
            db.execute("INSERT OR REPLACE INTO cluster_owners (source_id, owner) VALUES (?, ?)", (source_id, owner))
    run.owners[source_id] = owner
    return owner


def _elect(run: _Run, component: set[str], members: dict[str, _Member],
           links: dict[tuple[str, str], tuple[bool, float, str | None]]) -> tuple[str, str]:
    """The primary record and why, in plain words (see the module's rules)."""
    if len(component) == 1:
        return next(iter(component)), "alone"
    db = run.store.db
    ids = sorted(component)
    marks = ",".join("?" * len(ids))
    first_seen = {r[0]: (r[1] or "9999", r[2]) for r in db.execute(
        f"SELECT m.record_id, m.issued, r.first_seen FROM cluster_members m JOIN records r ON r.id = m.record_id "
        f"WHERE m.record_id IN ({marks})", ids)}
    try:
        quality = {r[0]: r[1] for r in db.execute(f"SELECT record_id, score FROM quality WHERE record_id IN ({marks})",
                                                  ids)}
    except sqlite3.OperationalError:  # nothing scored yet
        quality = {}
    claimed = Counter(origin for (a, b), (_, _, origin) in links.items()
                      if origin and a in component and b in component)

    def rank(r: str) -> tuple[Any, ...]:
        m = members[r]
        # its publisher's own portal: the source's own SIREN, on a record that names no origin elsewhere (a copy a
        # body's portal harvested from another portal is still a copy)
        own = bool(m.publisher) and not m.derived and _owner(run, m.source_id) == m.publisher
        return (not own, m.derived, -claimed[r], -(quality.get(r) if quality.get(r) is not None else -1),
                first_seen.get(r) or ("9999", ""), r)

    ranked = sorted(ids, key=rank)
    best, runner = ranked[0], ranked[1]
    a, b = rank(best), rank(runner)
    m = members[best]
    own = ""
    if not a[0]:  # on its publisher's own portal, so it names one (a record without a publisher never is)
        publisher = m.publisher or ""
        who = f"SIREN {publisher[2:]}" if publisher.startswith("s:") else f"name ({publisher[2:]})"
        own = f"{m.source_id} carries the publisher's {who} as its own"
    if a[0] != b[0]:
        return best, own
    if a[1] != b[1]:
        reason = "it is the original: the others say where they were harvested from"
    elif a[2] != b[2]:
        reason = f"the others say they harvested it from {m.source_id}"
    elif a[3] != b[3]:
        reason = f"best quality score ({quality.get(best)}/405)"
    elif a[4][0] != b[4][0]:
        reason = f"published first ({a[4][0]})"
    elif a[4] != b[4]:
        reason = f"harvested first ({a[4][1]})"
    else:
        reason = "first by record id (nothing else tells them apart)"
    return best, f"{own}; {reason}" if own else reason


# -- reading ---------------------------------------------------------------------------------------------------------


def _members(store: Store, cluster_id: str) -> list[dict[str, Any]]:
    rows = store.db.execute(
        """SELECT m.record_id, m.is_primary, m.confidence, m.derived, r.source_id,
                  json_extract(record_json(r.data), '$.landing_page') AS landing_page,
                  json_extract(record_json(r.data), '$.uri') AS uri,
                  json_extract(record_json(r.data), '$.title') AS title,
                  json_extract(record_json(r.data), '$.publisher.name') AS publisher,
                  json_extract(record_json(r.data), '$.publisher.siren') AS siren, r.status
           FROM cluster_members m JOIN records r ON r.id = m.record_id
           WHERE m.cluster_id = ? ORDER BY m.is_primary DESC, r.source_id, m.record_id""", (cluster_id,)).fetchall()
    return [dict(row) for row in rows]


def copies_of(store: Store, record_id: str) -> tuple[str, bool, list[dict[str, Any]]]:
    """A record's cluster id, whether it is the primary, and every copy of its cluster (the primary first) as
    ``{source, record_id, landing_page}``; no copies when it is alone (or not clustered yet)."""
    ensure_schema(store)
    row = store.db.execute("SELECT cluster_id, is_primary FROM cluster_members WHERE record_id = ?",
                           (record_id,)).fetchone()
    if row is None:
        return singleton_id(record_id), True, []
    found = _members(store, row["cluster_id"]) if not row["is_primary"] or store.db.execute(
        "SELECT 1 FROM clusters WHERE id = ?", (row["cluster_id"],)).fetchone() else []
    copies = [{"source": m["source_id"], "record_id": m["record_id"], "landing_page": m["landing_page"] or m["uri"]}
              for m in found] if len(found) > 1 else []
    return row["cluster_id"], bool(row["is_primary"]), copies


def copies_count(store: Store) -> int:
    """Records that are copies of a dataset whose primary is another record (what counting datasets leaves out)."""
    ensure_schema(store)
    return store.db.execute("SELECT COUNT(*) FROM cluster_members WHERE is_primary = 0").fetchone()[0]


def with_copy_links(store: Store, entry: Dataset | DataService,
                    copies: list[dict[str, Any]] | None = None) -> Dataset | DataService:
    """The entry with the IRIs of its copies on other portals (their own IRI, else their landing page) added to
    ``same_as``, for the export: a harvester of moisson's catalogue (data.europa.eu) sees one dataset, and where else
    it is published. ``copies``: as :func:`copies_of` gives them, when already read. The stored record is not
    changed."""
    if copies is None:
        copies = copies_of(store, entry.id)[2]
    iris = []
    for copy in copies:
        if copy["record_id"] == entry.id:
            continue
        row = store.db.execute("SELECT json_extract(record_json(data), '$.uri'), "
                               "json_extract(record_json(data), '$.landing_page') FROM records WHERE id = ?",
                               (copy["record_id"],)).fetchone()
        if row is not None and (iri := row[0] or row[1]):
            iris.append(iri)
    if not iris:
        return entry
    return entry.model_copy(update={"same_as": list(dict.fromkeys([*entry.same_as, *iris]))})


def copy_details(store: Store, record_ids: Iterable[str]) -> tuple[list[str], list[str]]:
    """What a cluster's primary carries of its copies in its index document, from one read of each copy: the EU
    file-type URIs of their distributions (the cluster's formats, for its facet) and their titles and keywords (the
    words each portal gave the dataset: an aggregator that reworded the title still leads to the one entry search
    shows)."""
    formats: list[str] = []
    words: list[str] = []
    every = list(record_ids)
    for start in range(0, len(every), BATCH):  # a cluster holds at most MAX_COMPONENT records
        ids = every[start:start + BATCH]
        for row in store.db.execute(f"SELECT record_json(data) FROM records WHERE id IN ({_marks(ids)}) "
                                    f"ORDER BY id", ids):
            data = orjson.loads(row[0])
            formats += [d["format"] for d in data.get("distributions") or () if isinstance(d, dict)
                        and isinstance(d.get("format"), str)]
            words += [w for w in (data.get("title"), *(data.get("keywords") or ())) if isinstance(w, str) and w]
    return list(dict.fromkeys(formats)), list(dict.fromkeys(words))


def explain(store: Store, cluster_id: str) -> dict[str, Any] | None:
    """A cluster for people: its records (the primary first) with their confidence, why the primary was chosen,
    and each link with its signals in plain words. None when no record has this cluster id."""
    ensure_schema(store)
    found = _members(store, cluster_id)
    if not found:
        return None
    ids = [m["record_id"] for m in found]
    marks = ",".join("?" * len(ids))
    links = [
        {"a": row["a"], "b": row["b"], "strong": bool(row["strong"]), "confidence": row["confidence"],
         "harvested_from": row["origin"], "signals": orjson.loads(row["signals"])}
        for row in store.db.execute(
            f"SELECT * FROM cluster_links WHERE a IN ({marks}) AND b IN ({marks}) ORDER BY confidence DESC, a, b",
            ids + ids)]
    row = store.db.execute("SELECT reason, updated_at FROM clusters WHERE id = ?", (cluster_id,)).fetchone()
    primary = next((m for m in found if m["is_primary"]), found[0])
    sources = sorted({m["source_id"] for m in found})
    return {
        "id": cluster_id, "size": len(found), "sources": sources, "primary": primary["record_id"],
        "primary_reason": row["reason"] if row else "alone", "updated_at": row["updated_at"] if row else None,
        "records": [{"record_id": m["record_id"], "source": m["source_id"], "primary": bool(m["is_primary"]),
                     "title": m["title"], "publisher": m["publisher"], "siren": m["siren"],
                     "landing_page": m["landing_page"] or m["uri"], "confidence": m["confidence"],
                     "harvested_elsewhere": bool(m["derived"]), "status": m["status"]} for m in found],
        "links": links,
        "explanation": [f"{link['a']} = {link['b']}: " + "; ".join(s["text"] for s in link["signals"])
                        for link in links],
    }


def iter_clusters(store: Store, *, source_id: str | None = None, batch: int = 200) -> Iterator[dict[str, Any]]:
    """Every cluster of two records or more (of which one is from ``source_id``, if given), largest first, each as
    :func:`explain` gives it; streamed."""
    ensure_schema(store)
    where, params = ("WHERE c.id IN (SELECT cluster_id FROM cluster_members WHERE source_id = ?)", [source_id]) \
        if source_id else ("", [])
    last: tuple[int, str] = (-(2**62), "")
    while True:
        rows = store.db.execute(
            f"""SELECT c.id, c.size FROM clusters c {where} {'AND' if where else 'WHERE'} (-c.size, c.id) > (?, ?)
                ORDER BY -c.size, c.id LIMIT ?""", (*params, last[0], last[1], batch)).fetchall()
        if not rows:
            return
        for row in rows:
            detail = explain(store, row["id"])
            if detail is not None:
                yield detail
        last = (-rows[-1]["size"], rows[-1]["id"])


@dataclass
class SourceShare:
    """How much of a source is copies of datasets published elsewhere (which portals merely re-publish others)."""

    source: str
    records: int  # records clustered
    in_clusters: int  # records that have a copy elsewhere
    copies: int  # records that are not their cluster's primary
    primaries: int  # records that are the primary of a cluster of two or more

    @property
    def share(self) -> float:
        return round(self.copies / self.records, 4) if self.records else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "records": self.records, "in_clusters": self.in_clusters,
                "copies": self.copies, "primaries": self.primaries, "copy_share": self.share}


def source_shares(store: Store) -> list[SourceShare]:
    """Per source, its clustered records and how many are copies; sources that re-publish most first."""
    ensure_schema(store)
    rows = store.db.execute(
        """SELECT m.source_id, COUNT(*) AS records, SUM(c.id IS NOT NULL) AS in_clusters,
                  SUM(c.id IS NOT NULL AND m.is_primary = 0) AS copies, SUM(c.id IS NOT NULL AND m.is_primary = 1)
                  AS primaries
           FROM cluster_members m LEFT JOIN clusters c ON c.id = m.cluster_id GROUP BY m.source_id""").fetchall()
    shares = [SourceShare(r["source_id"], r["records"], r["in_clusters"] or 0, r["copies"] or 0, r["primaries"] or 0)
              for r in rows]
    return sorted(shares, key=lambda s: (-s.share, -s.copies, s.source))


def summary(store: Store) -> dict[str, int]:
    """Records clustered, clusters of two or more, the records in them, and datasets (records counted once)."""
    ensure_schema(store)
    row = store.db.execute(
        """SELECT (SELECT COUNT(*) FROM cluster_members) AS records, COUNT(*) AS clusters,
                  COALESCE(SUM(size), 0) AS clustered FROM clusters""").fetchone()
    return {"records": row["records"], "clusters": row["clusters"], "records_in_clusters": row["clustered"],
            "datasets": row["records"] - row["clustered"] + row["clusters"]}
