"""The embedded search engine: tantivy (a Rust Lucene) through tantivy-py, in a directory beside the store.

Why tantivy: BM25 ranking, a real French stemmer inside the analyzer, facet counts by terms aggregations over
columnar fast fields, and no server to run; ``bench/index_engines.py`` measures it against SQLite FTS5 (see the
README's "Why tantivy").

How it is used: one process writes (a harvest or a reindex: tantivy allows one writer per index directory, guarded by
a lock file), any number read (the API). The writer is opened on the first change and kept for batch upserts; a
reader notices another process's commit by the index's ``meta.json`` changing and reloads before searching, so the
API sees a harvest's records as soon as it commits. An upsert deletes the id's previous document and adds the new
one in the same commit, so indexing a record twice leaves one document.

Text analysis for French: :func:`index.analysis.french_analyzer` (the Elasticsearch backend analyses alike).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import socket
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import tantivy
from tantivy import Occur, Order, Query

from index import query as user_query
from index import search as limits
from index.analysis import BBOX_FIELDS, french_analyzer, parse_datetime, ranks
from index.document import TEXT_FIELDS, facet_value, text_fields
from index.search import (
    CLUSTER_FACETS,
    FACETS,
    FacetValue,
    IndexLockedError,
    SearchIndex,
    SearchQuery,
    SearchResult,
    SearchTimeoutError,
    Suggestion,
    check_query,
    facet_field,
    is_heavy,
)
from index.suggest import FUZZY_EDITS, suggest
from index.tantivy_query import TantivyQueryBuilder

log = logging.getLogger(__name__)

# Bump when the fields below change: an index of another version is rebuilt (the store re-feeds it).
SCHEMA_VERSION = 5  # 3: hits carry their territory codes (issue 15); 4: cluster fields (issue 14); 5: copies_text
VERSION_FILE = "moisson-index.json"
WRITER_FILE = "moisson-writer.json"  # who holds the writer lock, to say so when another process wants it
ANALYZER = "fr_text"

# Sort keys of index.search.SortKey: (fast field, order). A leading "-" means descending, as in most APIs;
# "quality" alone is ascending (worst first: what to fix), "popularity" is most downloaded first.
SORTS: dict[str, tuple[str, Order]] = {
    "modified": ("modified", Order.Asc),
    "-modified": ("modified", Order.Desc),
    "title": ("title_sort", Order.Asc),
    "quality": ("quality_score", Order.Asc),
    "-quality": ("quality_score", Order.Desc),
    "popularity": ("popularity", Order.Desc),
}

# Per segment, tantivy keeps only the top terms of a terms aggregation before merging segments; asking for many
# more than shown keeps the counts exact in practice (a term outside a segment's top list would be under-counted).
FACET_SEGMENT_SIZE = 2000
RESULT_CACHE_SIZE = 256

# Facet counts over a very large result: the terms aggregations of the multi-valued facets (theme, format, keyword,
# département, région) cost 20-80 ms each per million matched documents (bench/index_engines.py at 1M: 0.24 s for
# the 11 facets), far from a 50 ms answer. Beyond about FACET_EXACT_UP_TO matched documents (estimated on one bucket)
# they are counted on a uniform sample of about that many documents (records fall into SAMPLE_BUCKETS buckets by a
# digest of their id) and scaled up; the result says so (SearchResult.facets_exact), and the totals and hits stay
# exact. The relative error of a count is about 1/sqrt(its sampled documents): ~2 % for a value held by a tenth of
# the result.
FACET_EXACT_UP_TO = 30_000
SAMPLE_BUCKETS = 64

_FACET_POOL: ThreadPoolExecutor
_HEAVY_FACET_POOL: ThreadPoolExecutor


def _new_facet_pool() -> None:
    """Facet groups of one query are counted in parallel (see TantivyIndex._facets); threads start when first
    needed. A forked child gets a pool of its own: the parent's worker threads do not exist there. Heavy searches
    (index.search.is_heavy: one facet group per filtered facet) count theirs on a pool of one thread, so that plain
    searches never queue behind them (issue 13: a plain search waited behind four heavy ones' groups)."""
    global _FACET_POOL, _HEAVY_FACET_POOL
    _FACET_POOL = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="moisson-facets")
    _HEAVY_FACET_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="moisson-heavy-facets")


_new_facet_pool()
os.register_at_fork(after_in_child=_new_facet_pool)

def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", fast=True)
    for name in TEXT_FIELDS:
        # keywords are stored for spelling suggestions (issue 15): the words near a typo are read back from them
        sb.add_text_field(name, tokenizer_name=ANALYZER, stored=name == "keywords")
    sb.add_text_field("title_sort", tokenizer_name="raw", fast=True)
    for name in FACETS:
        sb.add_text_field(name, tokenizer_name="raw", fast=True)
    sb.add_text_field("publisher_siren", tokenizer_name="raw", fast=True)
    sb.add_integer_field("quality_score", indexed=True, fast=True)
    sb.add_integer_field("popularity", indexed=True, fast=True)
    sb.add_unsigned_field("sample", indexed=True)
    sb.add_date_field("modified", indexed=True, fast=True)
    sb.add_date_field("issued", indexed=True, fast=True)
    for name in BBOX_FIELDS:
        sb.add_float_field(name, indexed=True, fast=True)
    sb.add_bytes_field("summary", stored=True)
    # cross-portal duplicates (issue 14, index/search.py): the cluster, whether this is its primary, the copies' values
    sb.add_text_field("cluster_id", tokenizer_name="raw")
    sb.add_unsigned_field("cluster_primary", indexed=True)
    for name in CLUSTER_FACETS:
        sb.add_text_field(f"cluster_{name}", tokenizer_name="raw", fast=True)
    return sb.build()


class TantivyIndex(SearchIndex):
    """The index in one directory: read by any number of processes, written by one at a time."""

    def __init__(self, path: str | os.PathLike[str], *, heap_size: int = 128_000_000, num_threads: int = 0,
                 lock_wait: float = 60.0, result_cache: int = RESULT_CACHE_SIZE) -> None:
        """``lock_wait``: how long a change waits for another process's writer to finish before giving up with
        :class:`IndexLockedError` (writers are short-lived: each sync releases its writer when done).
        ``result_cache``: how many answers are kept per commit (0: none, e.g. to measure the engine)."""
        self.path = Path(path)
        self.heap_size, self.num_threads, self.lock_wait = heap_size, num_threads, lock_wait
        self.result_cache = result_cache
        self.schema = build_schema()
        self._lock = threading.RLock()
        self._writer: tantivy.IndexWriter | None = None
        self._cache: OrderedDict[tuple[Any, ...], SearchResult] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        # one per field set (index.document.text_fields): builders are shared by the searching threads
        self._queries = {collapse: TantivyQueryBuilder(self.schema, french_analyzer(), text_fields(collapse))
                         for collapse in (True, False)}
        self._index = self._open()
        self._seen_meta = self._meta_stamp()

    # -- opening ------------------------------------------------------------------------------------------------

    def _open(self) -> tantivy.Index:
        """Open the index, creating it; an index written with another field layout is dropped (the store is the
        source of truth: ``index.sync_index`` notices the empty index and re-feeds it)."""
        version_file = self.path / VERSION_FILE
        if (self.path / "meta.json").exists():
            try:
                version = json.loads(version_file.read_text()).get("schema_version")
            except (OSError, ValueError):
                version = None
            if version != SCHEMA_VERSION:
                log.warning("search index %s has field layout %s, this version needs %s: rebuilding it",
                            self.path, version, SCHEMA_VERSION)
                shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        if not version_file.exists():
            version_file.write_text(json.dumps({"schema_version": SCHEMA_VERSION}))
        index.register_tokenizer(ANALYZER, french_analyzer())
        return index

    def _meta_stamp(self) -> tuple[int, int] | None:
        try:
            st = (self.path / "meta.json").stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def _searcher(self) -> tuple[tantivy.Searcher, tuple[int, int] | None]:
        """A searcher on the latest commit, whichever process made it (meta.json is replaced on every commit), and
        that commit's stamp (the key of the result cache)."""
        with self._reload_lock:
            stamp = self._meta_stamp()
            if stamp != self._seen_meta:
                try:
                    self._index.reload()
                except ValueError:  # another process replaced the commit while it was being opened: take the newer
                    self._index.reload()
                self._seen_meta = stamp
            return self._index.searcher(), stamp

    @property
    def writer(self) -> tantivy.IndexWriter:
        """The writer, opened on first use and kept for batch upserts until :meth:`close`. When another writer
        holds the lock, waits up to ``lock_wait`` seconds, then says who holds it."""
        with self._lock:
            if self._writer is None:
                deadline = time.monotonic() + self.lock_wait
                while True:
                    try:
                        self._writer = self._index.writer(heap_size=self.heap_size, num_threads=self.num_threads)
                        break
                    except ValueError as exc:
                        if "LockBusy" not in str(exc):
                            raise
                        if time.monotonic() >= deadline:
                            raise IndexLockedError(self._lock_message()) from exc
                        time.sleep(0.2)
                info = {"pid": os.getpid(), "host": socket.gethostname(), "command": " ".join(sys.argv),
                        "since": datetime.now(UTC).isoformat(timespec="seconds")}
                (self.path / WRITER_FILE).write_text(json.dumps(info))
            return self._writer

    def _lock_message(self) -> str:
        holder = "another process"
        try:
            info = json.loads((self.path / WRITER_FILE).read_text())
            who = "this process" if info.get("pid") == os.getpid() else f"process {info.get('pid')}"
            command = info.get("command") or "unknown command"
            holder = f"{who} on {info.get('host')} ({command}, since {info.get('since')})"
        except (OSError, ValueError):
            pass
        return (f"the search index {self.path} is being written by {holder}: tantivy allows one writer per index. "
                "Wait for that harvest or reindex to finish (searching works meanwhile), then retry.")

    # -- writing ------------------------------------------------------------------------------------------------

    def upsert(self, documents: Iterable[dict[str, Any]]) -> int:
        n = 0
        with self._lock:
            writer = self.writer
            for doc in documents:
                writer.delete_documents_by_term("id", doc["id"])
                writer.add_document(self._tantivy_document(doc))
                n += 1
        return n

    def delete(self, ids: Iterable[str]) -> int:
        n = 0
        with self._lock:
            writer = self.writer
            for record_id in ids:
                writer.delete_documents_by_term("id", record_id)
                n += 1
        return n

    def commit(self) -> None:
        with self._lock:
            if self._writer is None:
                return
            self._writer.commit()
            with self._reload_lock:
                self._index.reload()
                self._seen_meta = self._meta_stamp()

    def clear(self) -> None:
        with self._lock:
            self.writer.delete_all_documents()

    def close(self) -> None:
        """Release the writer and its lock so that another process can write; changes not committed are dropped
        (the store still lists them as not indexed). Searching goes on; a later change opens a new writer."""
        with self._lock:
            if self._writer is not None:
                writer, self._writer = self._writer, None
                # Not rollback(): it abandons running merges, whose half-written segments then litter the directory.
                # Changes not committed are dropped all the same, since nothing commits them any more.
                writer.wait_merging_threads()
                self._collect_garbage()
                (self.path / WRITER_FILE).unlink(missing_ok=True)

    def _collect_garbage(self) -> None:
        """Delete the segment files that merges finished after the last commit left behind (up to a third of the
        directory after a rebuild). Only a writer may, and the one just closed can no longer: a small one is taken
        for the purpose. If another process took the lock meanwhile, its own commits collect them."""
        try:
            cleaner = self._index.writer(heap_size=15_000_000, num_threads=1)
        except ValueError:
            return
        cleaner.garbage_collect_files()
        cleaner.wait_merging_threads()

    @staticmethod
    def _tantivy_document(doc: dict[str, Any]) -> tantivy.Document:
        out = tantivy.Document()
        out.add_text("id", doc["id"])
        for name in TEXT_FIELDS:
            value = doc.get(name)
            for text in value if isinstance(value, list) else [value]:
                if text:
                    out.add_text(name, text)
        out.add_text("title_sort", doc.get("title_sort") or "")
        for name in FACETS:
            value = doc.get(name)
            for item in value if isinstance(value, list) else [value]:
                if item:
                    out.add_text(name, item)
        if doc.get("publisher_siren"):
            out.add_text("publisher_siren", doc["publisher_siren"])
        if doc.get("quality_score") is not None:
            out.add_integer("quality_score", int(doc["quality_score"]))
        out.add_integer("popularity", int(doc.get("popularity") or 0))
        out.add_unsigned("sample", sample_bucket(doc["id"]))
        for name in ("modified", "issued"):
            if moment := parse_datetime(doc.get(name)):
                out.add_date(name, moment)
        if doc.get("bbox"):
            for name, value in zip(BBOX_FIELDS, doc["bbox"], strict=True):
                out.add_float(name, float(value))
        out.add_bytes("summary", orjson.dumps(doc.get("summary") or {"id": doc["id"]}))
        # a document without cluster fields (built elsewhere, or before clustering) is its own cluster's primary
        out.add_text("cluster_id", doc.get("cluster_id") or doc["id"])
        out.add_unsigned("cluster_primary", 1 if doc.get("cluster_primary", True) else 0)
        for name in CLUSTER_FACETS:
            value = doc.get(f"cluster_{name}", doc.get(name))
            for item in value if isinstance(value, list) else [value]:
                if item:
                    out.add_text(f"cluster_{name}", item)
        return out

    # -- reading ------------------------------------------------------------------------------------------------

    def count(self) -> int:
        return self._searcher()[0].num_docs

    # issue 16: `moisson index status`
    def describe(self) -> dict[str, Any]:
        try:
            writer = json.loads((self.path / WRITER_FILE).read_text())
            holder = f"process {writer.get('pid')} on {writer.get('host')} ({writer.get('command')})"
        except (OSError, ValueError):
            holder = "none"
        size = sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())
        return {"backend": "tantivy", "location": str(self.path), "layout": SCHEMA_VERSION,
                "size": f"{size / 1e6:.1f} MB", "writer": holder}

    def search(self, query: SearchQuery) -> SearchResult:
        """Answers to the same query on the same commit are kept (a few hundred): the landing page and the popular
        facet clicks are asked again and again, and counting facets over a million records costs ~0.2 s. A query's
        facet counts are kept apart as well, under what they depend on (not the page nor the sort): the next page of
        a result, or the same result sorted otherwise, reuses them -- counting is most of a search's cost."""
        started = time.perf_counter()
        check_query(query)
        searcher, stamp = self._searcher()
        key, facet_key = (stamp, _query_key(query)), (stamp, "facets", _facet_key(query))
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
            counted = self._cache.get(facet_key) if cached is None else None
        if cached is None:
            cached = self._search(searcher, query, counted)
            with self._cache_lock:
                for entry in (key, facet_key):  # the answer is also the facet counts' entry: they are its own
                    self._cache[entry] = cached
                    self._cache.move_to_end(entry)
                while len(self._cache) > self.result_cache:
                    self._cache.popitem(last=False)
        return SearchResult(total=cached.total, hits=[dict(hit) for hit in cached.hits],
                            facets={name: list(values) for name, values in cached.facets.items()},
                            took_ms=(time.perf_counter() - started) * 1000, facets_exact=cached.facets_exact)

    def _search(self, searcher: tantivy.Searcher, query: SearchQuery,
                counted: SearchResult | None = None) -> SearchResult:
        """``counted``: an answer to this query on this commit whose facet counts hold for it (another page or
        sort)."""
        started = time.perf_counter()
        text, scored = self._text_query(query.q, query.collapse)
        filters = {
            name: [facet_value(name, v) for v in values if v.strip()]
            for name, values in query.filters.items() if any(v.strip() for v in values)
        }
        full = self._combine(text, filters, query.bbox, query.collapse)
        counting = [] if counted is not None else self._facets(searcher, query, text, filters)

        page, size = max(query.page, 1), max(query.page_size, 0)
        sort = query.sort
        if sort == "relevance" and not scored:
            sort = "-modified"  # every document scores the same without words: newest first is the useful order
        limit, offset = max(size, 1), (page - 1) * size  # tantivy refuses a limit of 0: a count-only page asks 1
        if sort == "relevance":
            found = searcher.search(full, limit=limit, offset=offset, count=True)
        else:
            field, order = SORTS[sort]
            found = searcher.search(full, limit=limit, offset=offset, count=True, order_by_field=field, order=order)
        hits = []
        for score, address in found.hits[:size]:
            summary = orjson.loads(searcher.doc(address)["summary"][0])
            if sort == "relevance":
                summary["score"] = round(float(score), 4)
            hits.append(summary)
        if counted is not None:
            return SearchResult(total=found.count, hits=hits, facets=counted.facets,
                                facets_exact=counted.facets_exact)
        answers = self._wait(counting, started)
        facets = {name: values for counts, _ in answers for name, values in counts.items()}
        ordered = {name: facets[name] for name in query.facets if name in facets}
        return SearchResult(total=found.count, hits=hits, facets=ordered,
                            facets_exact=all(exact for _, exact in answers))

    @staticmethod
    def _wait(counting: list[Future[Any]], started: float) -> list[Any]:
        """The facet groups' answers, within the search deadline (index.search.SEARCH_DEADLINE); past it, the groups
        not started are cancelled and the search ends with SearchTimeoutError."""
        try:
            return [future.result(timeout=max(0.0, started + limits.SEARCH_DEADLINE - time.perf_counter()))
                    for future in counting]
        except TimeoutError:
            for future in counting:
                future.cancel()
            raise SearchTimeoutError(f"the search was not done within {limits.SEARCH_DEADLINE:g} s") from None

    def _text_query(self, q: str, collapse: bool = True) -> tuple[Query | None, bool]:
        """The user's words as a query (see index.query for the language and index.tantivy_query for how it is
        searched), and whether it scores: a query of exclusions only matches without ranking anything. Raises
        :class:`index.query.QueryError` when the words are over a limit."""
        tree = user_query.parse(q)
        return self._queries[collapse].build(tree), ranks(tree)

    def _combine(self, text: Query | None, filters: dict[str, list[str]],
                 bbox: tuple[float, float, float, float] | None, collapse: bool) -> Query:
        """The text query (which alone scores) AND one clause per facet (its values OR-ed) AND the bbox test AND,
        under collapse, cluster primaries only."""
        clauses: list[tuple[Occur, Query]] = []
        if text is not None:
            clauses.append((Occur.Must, text))
        if collapse:
            clauses.append((Occur.Must, Query.const_score_query(
                Query.term_query(self.schema, "cluster_primary", 1), 0.0)))
        for name, values in filters.items():
            match = Query.term_set_query(self.schema, facet_field(name, collapse), values)
            clauses.append((Occur.Must, Query.const_score_query(match, 0.0)))
        if bbox is not None:
            clauses.append((Occur.Must, Query.const_score_query(self._bbox_query(bbox), 0.0)))
        if not clauses:
            return Query.all_query()
        if len(clauses) == 1 and text is not None:
            return text
        return Query.boolean_query(clauses)

    def _bbox_query(self, bbox: tuple[float, float, float, float]) -> Query:
        """Intersection of two boxes: each starts before the other ends, on both axes. Records without a bbox
        have no value in these fields, so they do not match."""
        west, south, east, north = (float(v) for v in bbox)
        ranges = [("west", None, east), ("east", west, None), ("south", None, north), ("north", south, None)]
        return Query.boolean_query([
            (Occur.Must, Query.range_query(self.schema, name, tantivy.FieldType.Float, lower_bound=low,
                                           upper_bound=high))
            for name, low, high in ranges
        ])

    def _facets(self, searcher: tantivy.Searcher, query: SearchQuery, text: Query | None,
                filters: dict[str, list[str]]) -> list[Future[tuple[dict[str, list[FacetValue]], bool]]]:
        """Counts under the query and every filter, except that a facet's own filter is left out of its counts (so
        a facet keeps showing the values one can add to the OR). Facets without a filter share one aggregation.
        tantivy releases the GIL: the groups are counted on the pool while the caller runs the main search (at 1M
        records a word with a facet filter took 52 ms one step after the other, bench/index_engines.py)."""
        wanted = [name for name in query.facets if name in FACETS]
        if not wanted or query.facet_size <= 0:
            return []
        free = [name for name in wanted if name not in filters]
        groups: list[tuple[list[str], Query]] = []
        if free:
            groups.append((free, self._combine(text, filters, query.bbox, query.collapse)))
        for name in wanted:
            if name in filters:
                others = {k: v for k, v in filters.items() if k != name}
                groups.append(([name], self._combine(text, others, query.bbox, query.collapse)))
        pool = _HEAVY_FACET_POOL if is_heavy(query) else _FACET_POOL
        return [pool.submit(self._count_facets, searcher, query, text, filters, names, scope)
                for names, scope in groups]

    def _count_facets(self, searcher: tantivy.Searcher, query: SearchQuery, text: Query | None,
                      filters: dict[str, list[str]], names: list[str],
                      scope: Query) -> tuple[dict[str, list[FacetValue]], bool]:
        """One group's counts, and whether they are exact (see FACET_EXACT_UP_TO)."""
        aggs = {name: {"terms": {"field": facet_field(name, query.collapse), "size": query.facet_size + 1,
                                 "segment_size": max(FACET_SEGMENT_SIZE, query.facet_size * 10)}}
                for name in names}
        counted, scale = self._sampled(searcher, scope)
        answer = searcher.aggregate(counted, aggs)
        counts = {}
        for name in names:
            buckets = answer.get(name, {}).get("buckets", [])
            values = sorted((FacetValue(str(b["key"]), round(int(b["doc_count"]) * scale)) for b in buckets),
                            key=lambda fv: (-fv.count, fv.value))[: query.facet_size]
            for chosen in filters.get(name, []):  # a selected value stays visible even outside the top
                if all(fv.value != chosen for fv in values):
                    scoped = self._combine(text, {**filters, name: [chosen]}, query.bbox, query.collapse)
                    values.append(FacetValue(chosen, searcher.search(scoped, limit=1, count=True).count))
            counts[name] = values
        return counts, scale == 1

    def _sampled(self, searcher: tantivy.Searcher, scope: Query) -> tuple[Query, float]:
        """The scope to count facets on and the factor to scale the counts by: the scope itself when it holds at
        most about FACET_EXACT_UP_TO documents, else its documents in enough sample buckets to hold that many. The
        scope's size is estimated on one bucket (1/64 of the records: a few milliseconds where counting a frequent
        word's million documents takes 10-20)."""
        probe = Query.boolean_query([(Occur.Must, scope),
                                     (Occur.Must, Query.term_query(self.schema, "sample", 0))])
        estimate = searcher.search(probe, limit=1, count=True).count * SAMPLE_BUCKETS
        if estimate <= FACET_EXACT_UP_TO:
            return scope, 1
        buckets = math.ceil(SAMPLE_BUCKETS * FACET_EXACT_UP_TO / estimate)
        if buckets >= SAMPLE_BUCKETS:
            return scope, 1
        sample = Query.range_query(self.schema, "sample", tantivy.FieldType.Unsigned, lower_bound=0,
                                   upper_bound=buckets - 1)
        return Query.boolean_query([(Occur.Must, scope), (Occur.Must, sample)]), SAMPLE_BUCKETS / buckets

    # -- spelling suggestions (issue 15): the shared work is index.suggest's, the look-ups are tantivy's ---------

    def suggest(self, query: SearchQuery, limit: int = 3) -> list[Suggestion]:
        """See :meth:`SearchIndex.suggest` and :mod:`index.suggest`."""
        return suggest(self, query, limit)

    def holds_any(self, terms: list[str]) -> bool:
        """Whether any document holds one of these analysed terms in a text field."""
        clauses = [(Occur.Should, Query.term_query(self.schema, name, term)) for name in TEXT_FIELDS for term in terms]
        return self._searcher()[0].search(Query.boolean_query(clauses), limit=1, count=True).count > 0

    def texts_near(self, term: str, limit: int) -> list[str]:
        """Title, description excerpt and keywords of up to ``limit`` documents that a fuzzy term query (tantivy's
        Levenshtein automaton over the indexed terms, transpositions costing one edit) finds in their title,
        keywords or description (a fuzzy match scores a constant per field: more fields first, then index order)."""
        searcher = self._searcher()[0]
        clauses = [(Occur.Should, Query.fuzzy_term_query(self.schema, name, term, distance=FUZZY_EDITS))
                   for name in ("title", "keywords", "description")]
        texts = []
        for _, address in searcher.search(Query.boolean_query(clauses), limit=limit).hits:
            doc = searcher.doc(address)
            summary = orjson.loads(doc["summary"][0])
            texts.append(" ".join([summary.get("title") or "", summary.get("description") or "",
                                   *doc.get_all("keywords")]))
        return texts


def _query_key(query: SearchQuery) -> tuple[Any, ...]:
    return (*_facet_key(query), query.page, query.page_size, query.sort)


def _facet_key(query: SearchQuery) -> tuple[Any, ...]:
    """What a query's facet counts depend on: not its page nor its sort."""
    filters = tuple(sorted((name, tuple(values)) for name, values in query.filters.items()))
    return (query.q, filters, query.bbox, tuple(query.facets), query.facet_size, query.collapse)


def sample_bucket(record_id: str) -> int:
    """The record's sample bucket, 0..SAMPLE_BUCKETS-1, uniform over records and stable across rebuilds."""
    return int.from_bytes(hashlib.blake2b(record_id.encode(), digest_size=4).digest(), "big") % SAMPLE_BUCKETS
