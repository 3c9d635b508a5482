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
