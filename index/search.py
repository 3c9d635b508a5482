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
    def clear(self) -> None:
        """Drop every document (before a rebuild from the store)."""

    def close(self) -> None:  # noqa: B027 - optional for backends without resources
        """Release files or connections."""

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
