"""The search interface: what the API asks of an index, whichever engine is behind it.

Why an interface: the embedded engine must serve a national catalog on one machine, and Elasticsearch takes over
when one machine is outgrown; the API, the CLI and the pipeline only ever see :class:`SearchIndex`.
"""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from index.query import QueryError

# Facets every backend computes; keys are also the filter parameters of the API and the CLI.
FACETS: tuple[str, ...] = (
    "source", "publisher", "theme", "format", "licence", "departement", "region", "keyword", "kind",
    "quality_band", "schema",
)

# -- cross-portal duplicates (issue 14) ------------------------------------------------------------------------------
# Every document carries "cluster_id" and "cluster_primary" (index/document.py, cluster_fields). SearchQuery.collapse
# (the default) searches primaries only -- a plain term filter cluster_primary = true, which every engine applies the
# same way -- so each dataset is one hit however many portals carry it; collapse=False searches every record. Under
# collapse, the facets below are counted and filtered on "cluster_<facet>", the values of every copy that the
# primary's document carries, so facet counts count datasets (clusters): a dataset on three portals counts once under
# each of the three sources. The other facets are the primary's own (the publisher is credited, not an aggregator).
CLUSTER_FACETS: tuple[str, ...] = ("source", "format")


def facet_field(facet: str, collapse: bool) -> str:
    """The document field a facet is counted and filtered on."""
    return f"cluster_{facet}" if collapse and facet in CLUSTER_FACETS else facet


# A leading "-" sorts descending (newest, best first); "popularity" is most downloaded first; "relevance" without
# words in the query lists the newest first.
SortKey = Literal["relevance", "modified", "-modified", "title", "quality", "-quality", "popularity"]

# -- limits of one search (issue 13): every backend checks a query with check_query() before it costs anything ---
# A person selects a few values of a facet; one request with hundreds of values for each facet (a 66 KB URL) took
# 10 s of engine time and made plain searches wait. Beyond these, the request is refused with a QueryError (a 400).
MAX_VALUES_PER_FACET = 20
MAX_FILTER_VALUES = 50  # over all facets together
MAX_VALUE_CHARS = 200
MAX_PAGE_DEPTH = 10_000  # page x page_size: deeper paging costs the engine more and more; /api/catalog walks all
MAX_PAGE_SIZE = 1_000
MAX_FACET_SIZE = 100

QueryError.FRENCH.update({  # the search limits' messages for people, beside those of the query text
    "too_many_values": f"Trop de filtres : au plus {MAX_VALUES_PER_FACET} valeurs par facette et "
                       f"{MAX_FILTER_VALUES} en tout.",
    "value_too_long": f"Une valeur de filtre dépasse {MAX_VALUE_CHARS} caractères.",
    "bad_filter": "Filtre inconnu : les facettes sont " + ", ".join(FACETS) + ".",
    "bad_bbox": "L’emprise (bbox) attend quatre nombres ouest,sud,est,nord en degrés WGS84.",
    "too_deep_page": f"Page trop lointaine : au plus {MAX_PAGE_DEPTH} résultats parcourus ; affinez la recherche.",
    "bad_sort": "Tri inconnu.",
})


@dataclass
class SearchQuery:
    """``filters`` maps a facet to the values wanted: values of one facet are OR-ed, facets AND-ed."""

    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north: records intersecting it
    page: int = 1
    page_size: int = 20
    sort: SortKey = "relevance"
    facets: tuple[str, ...] = FACETS
    facet_size: int = 20
    collapse: bool = True  # one hit per cluster of copies (issue 14); False: every record of every portal


def check_query(query: SearchQuery) -> None:
    """Refuse a query over the limits above with :class:`QueryError` (``kind`` says which, ``french`` for the
    pages). The search words' own limits (length, words, nesting) are checked when they are parsed."""
    unknown = set(query.filters) - set(FACETS)
    if unknown:
        raise QueryError("bad_filter", f"unknown facet {', '.join(sorted(unknown))}: facets are {', '.join(FACETS)}")
    uncountable = [name for name in query.facets if name not in FACETS]
    if uncountable:  # a backend would skip it: the client would get fewer counts than asked, and no word why
        raise QueryError("bad_filter", f"cannot count unknown facet {', '.join(uncountable)}: facet names among "
                                       f"{', '.join(FACETS)}")
    if query.sort not in get_args(SortKey):
        raise QueryError("bad_sort", f"unknown sort {query.sort!r}: sorts are {', '.join(get_args(SortKey))}")
    total = 0
    for name, values in query.filters.items():
        total += len(values)
        if len(values) > MAX_VALUES_PER_FACET or total > MAX_FILTER_VALUES:
            raise QueryError("too_many_values", f"at most {MAX_VALUES_PER_FACET} values per facet and "
                                                f"{MAX_FILTER_VALUES} in all (facet {name} has {len(values)})")
        if any(len(value) > MAX_VALUE_CHARS for value in values):
            raise QueryError("value_too_long", f"a value of facet {name} is over {MAX_VALUE_CHARS} characters")
    if query.bbox is not None:
        check_bbox(query.bbox)
    if not (query.page >= 1 and 0 <= query.page_size <= MAX_PAGE_SIZE and 0 <= query.facet_size <= MAX_FACET_SIZE):
        raise QueryError("too_deep_page", f"page starts at 1, page_size is within 0..{MAX_PAGE_SIZE}, facet_size "
                                          f"within 0..{MAX_FACET_SIZE}")
    if query.page * max(query.page_size, 1) > MAX_PAGE_DEPTH:
        raise QueryError("too_deep_page", f"page x page_size may not exceed {MAX_PAGE_DEPTH}: narrow the search "
                                          "with filters, or walk the whole aggregate with /api/catalog")


# -- a deadline, and plain searches kept apart from heavy ones (issue 13) ------------------------------------------
# Four clients repeating a many-filters search made a plain "eau" wait 36 s. A heavy search (many filter values: a
# facet group counted per filtered facet, each over the whole result) takes one of HEAVY_SLOTS slots per process and
# waits at most SEARCH_DEADLINE seconds for it; a plain search never waits for a slot. Inside a backend, facet counts
# not done by the deadline end the search with SearchTimeoutError. The API answers both with a 503 and Retry-After.
HEAVY_FILTER_VALUES = 8  # a person ticks a few values; more is a script (and the API rate-limits such searches)
HEAVY_SLOTS = 1
SEARCH_DEADLINE = 5.0  # seconds


def is_heavy(query: SearchQuery) -> bool:
    return sum(len(values) for values in query.filters.values()) > HEAVY_FILTER_VALUES


class SearchBusyError(RuntimeError):
    """Every heavy-search slot stayed busy until the deadline."""


class SearchTimeoutError(RuntimeError):
    """The search was not done by its deadline."""


class SearchGate:
    """Admission of searches in one process: heavy ones through :data:`HEAVY_SLOTS` slots, plain ones freely."""

    def __init__(self, slots: int = HEAVY_SLOTS, deadline: float = SEARCH_DEADLINE) -> None:
        self.slots = threading.BoundedSemaphore(slots)
        self.deadline = deadline

    @contextmanager
    def admit(self, query: SearchQuery) -> Iterator[None]:
        if not is_heavy(query):
            yield
            return
        if not self.slots.acquire(timeout=self.deadline):
            raise SearchBusyError(f"searches with more than {HEAVY_FILTER_VALUES} filter values run one at a time "
                                  f"and none was free within {self.deadline:g} s: retry shortly")
        try:
            yield
        finally:
            self.slots.release()


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    """"w,s,e,n" as four finite floats in WGS84 bounds, west <= east and south <= north; else QueryError."""
    parts = [p.strip() for p in value.split(",")]
    try:
        if len(parts) != 4:
            raise ValueError
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise QueryError("bad_bbox", "bbox takes four numbers: west,south,east,north") from None
    return check_bbox((west, south, east, north))


def check_bbox(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    west, south, east, north = bbox
    if not all(math.isfinite(v) for v in bbox):
        raise QueryError("bad_bbox", "bbox numbers must be finite")
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise QueryError("bad_bbox", "bbox is in WGS84 degrees: longitudes within [-180, 180], latitudes within "
                                     "[-90, 90]")
    if west > east or south > north:
        raise QueryError("bad_bbox", "bbox must have west <= east and south <= north")
    return bbox


@dataclass
class FacetValue:
    value: str
    count: int


@dataclass
class SearchResult:
    total: int
    hits: list[dict[str, Any]]  # the stored summary of each hit (see index.document.SUMMARY_FIELDS) + score
    facets: dict[str, list[FacetValue]]
    took_ms: float = 0.0
    facets_exact: bool = True  # False: counted on a uniform sample of a very large result and scaled (engine's choice)


@dataclass
class Suggestion:
    """A respelling of the user's query (issue 15: "did you mean" on an empty result page)."""

    text: str  # the query text with one or more words replaced by near-spelled words of the index
    total: int  # documents it matches under the same filters and bbox


class IndexLockedError(RuntimeError):
    """Another process holds the index for writing (one writer at a time); the message says which."""


# -- issue 16 (Elasticsearch backend): an engine that cannot be reached or used ------------------------------------
class IndexUnavailableError(RuntimeError):
    """The search engine cannot be reached, refuses the credentials, or holds an index this version cannot use; the
    message says what to do. The API answers 503 with it, the CLI prints it; records stay pending in the store."""


class SearchIndex(ABC):
    """An index of documents built by :func:`index.document.to_document`."""

    @abstractmethod
    def upsert(self, documents: Iterable[dict[str, Any]]) -> int:
        """Add or replace documents (by ``id``); returns how many. Visible after :meth:`commit`."""

    @abstractmethod
    def delete(self, ids: Iterable[str]) -> int:
        """Remove documents by id (withdrawn records leave the search results)."""

    @abstractmethod
    def commit(self) -> None:
        """Make the changes durable and visible to searches."""

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchResult: ...

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def suggest(self, query: SearchQuery, limit: int = 3) -> list[Suggestion]:
        """Spelling alternatives for ``query.q``, taken from the words the index holds (issue 15).

        Each word of the query that the query wants (see :func:`index.query.positive_words`; excluded words and
        words of fewer than 4 letters are kept as typed) and that no document contains may be replaced by an
        indexed word within 2 edits of it (case and accents ignored). A suggestion is the query text with those
        replacements, kept only if it matches at least one document under ``query.filters`` and ``query.bbox``;
        at most ``limit`` of them, most documents first. Empty when the query has no misspelt word or nothing near
        is indexed. Never raises for the user's text (a query over a limit has no suggestion) nor for a slow
        engine (past the search deadline, the suggestions found so far). Every backend hands
        this to :func:`index.suggest.suggest` with its two look-ups, so that suggestions are the same on all."""

    @abstractmethod
    def clear(self) -> None:
        """Drop every document (before a rebuild from the store)."""

    def close(self) -> None:  # noqa: B027 - optional for backends without resources
        """Release files or connections."""

    def take_refused(self) -> list[tuple[str, str]]:
        """The documents the engine refused for good since the last call, as (id, reason), and forget them. The
        sync keeps them out of the pending records (sending them again would be refused again) and says so in
        ``moisson index status``; a change of the record or a reindex tries again. tantivy takes any document
        :func:`index.document.to_document` builds: none by default."""
        return []

    # -- issue 16: rebuilding and describing, for `moisson reindex` and `moisson index status` ---------------------
    # A backend that can build a new index beside the live one (Elasticsearch: a new index, then the alias swapped)
    # overrides the three rebuild methods; the default rebuilds in place (the index is empty until refilled).

    def begin_rebuild(self) -> SearchIndex:
        """An empty index to fill from the store; searches keep seeing the old content until finish_rebuild where
        the backend can."""
        self.clear()
        self.commit()
        return self

    def finish_rebuild(self, target: SearchIndex) -> None:  # noqa: B027 - nothing to swap by default
        """Make the filled ``target`` the index that searches see."""

    def abort_rebuild(self, target: SearchIndex) -> None:  # noqa: B027 - nothing to undo by default
        """Give up a rebuild that failed; the live index stays as it was where the backend can."""

    def describe(self) -> dict[str, Any]:
        """What an operator needs to know about this index (backend, where, layout); counts are the caller's."""
        return {"backend": type(self).__name__}
