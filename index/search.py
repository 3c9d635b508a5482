"""The search interface: what the API asks of an index, whichever engine is behind it.

Why an interface: the embedded engine must serve a national catalog on one machine, and Elasticsearch takes over
when one machine is outgrown; the API, the CLI and the pipeline only ever see :class:`SearchIndex`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

# Facets every backend computes; keys are also the filter parameters of the API and the CLI.
FACETS: tuple[str, ...] = (
    "source", "publisher", "theme", "format", "licence", "departement", "region", "keyword", "kind",
    "quality_band", "schema",
)

# A leading "-" sorts descending (newest, best first); "popularity" is most downloaded first; "relevance" without
# words in the query lists the newest first.
SortKey = Literal["relevance", "modified", "-modified", "title", "quality", "-quality", "popularity"]


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
        is indexed. Never raises for the user's text (a query over a limit has no suggestion)."""

    @abstractmethod
    def clear(self) -> None:
        """Drop every document (before a rebuild from the store)."""

    def close(self) -> None:  # noqa: B027 - optional for backends without resources
        """Release files or connections."""
