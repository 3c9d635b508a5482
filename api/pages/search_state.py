"""What a search page was asked (words, filters, zone, sort, page), read from its URL, and the URLs of its links.

Why one object: every link of the page (tick a facet, remove a filter, sort, next page, the feed of the search, the
map) is the same search with one thing changed; building them all from here keeps the page's URL the one truth
about what is shown, so that any state can be bookmarked, shared and reached without JavaScript.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.datastructures import QueryParams

from api.pages.render import query_string
from index.search import FACETS, SearchQuery

PAGE_SIZE = 20
MAX_PAGE = 500  # the API's depth limit (page x page_size <= 10,000)

SORTS: dict[str, str] = {"relevance": "pertinence", "-modified": "date de mise à jour", "popularity": "popularité",
                         "-quality": "qualité des métadonnées"}


class BadSearch(ValueError):
    """A search URL the page cannot honour; the message is French, for the page."""


@dataclass(frozen=True)
class SearchState:
    q: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    bbox: tuple[float, float, float, float] | None = None
    sort: str = "relevance"
    page: int = 1
    path: str = "/recherche"

    @classmethod
    def from_params(cls, params: QueryParams, path: str = "/recherche") -> SearchState:
        q = (params.get("q") or "").strip()
        filters = {}
        for name in FACETS:
            values = tuple(dict.fromkeys(v.strip() for v in params.getlist(name) if v.strip()))
            if values:
                filters[name] = values
        sort = params.get("sort") or "relevance"
        if sort not in SORTS and sort not in ("modified", "title", "quality"):
            raise BadSearch(f"tri inconnu « {sort} » : pertinence, date, popularité ou qualité")
        try:
            page = int(params.get("page") or 1)
        except ValueError:
            raise BadSearch("le numéro de page doit être un nombre entier") from None
        if not 1 <= page <= MAX_PAGE:
            raise BadSearch(f"le numéro de page va de 1 à {MAX_PAGE} : affinez la recherche pour aller plus loin")
        bbox = parse_bbox(params.get("bbox")) if params.get("bbox") else None
        return cls(q=q, filters=filters, bbox=bbox, sort=sort, page=page, path=path)

    def query(self, *, page_size: int = PAGE_SIZE, facet_size: int = 8) -> SearchQuery:
        return SearchQuery(q=self.q, filters={k: list(v) for k, v in self.filters.items()}, bbox=self.bbox,
                           page=self.page, page_size=page_size, sort=self.sort,  # type: ignore[arg-type]
                           facet_size=facet_size)

    # -- links --------------------------------------------------------------------------------------------------

    def params(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.q:
            out.append(("q", self.q))
        for name in FACETS:
            out += [(name, value) for value in self.filters.get(name, ())]
        if self.bbox:
            out.append(("bbox", bbox_text(self.bbox)))
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        if self.page != 1:
            out.append(("page", str(self.page)))
        return out

    def url(self, path: str | None = None, **changes: Any) -> str:
        state = replace(self, **changes) if changes else self
        text = query_string(state.params())
        return (path or self.path) + (f"?{text}" if text else "")

    def toggled(self, facet: str, value: str) -> str:
        """This search with ``value`` added to (or removed from) the filters of ``facet``, back on page 1."""
        values = self.filters.get(facet, ())
        chosen = tuple(v for v in values if v != value) if value in values else (*values, value)
        filters = {k: v for k, v in {**self.filters, facet: chosen}.items() if v}
        return self.url(filters=filters, page=1)

    def without_bbox(self) -> str:
        return self.url(bbox=None, page=1)

    def active(self) -> list[tuple[str, str]]:
        """(facet, value) of every filter in force, in the URL's order."""
        return [(name, value) for name in FACETS for value in self.filters.get(name, ())]

    @property
    def empty(self) -> bool:
        return not (self.q or self.filters or self.bbox)


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """"ouest,sud,est,nord" in WGS84 degrees; anything else is a :class:`BadSearch` saying how to write it."""
    parts = [p.strip() for p in text.split(",")]
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise BadSearch("la zone s'écrit ouest,sud,est,nord en degrés (par exemple 4.7,45.6,5.0,45.9)") from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise BadSearch("les coordonnées de la zone doivent être des nombres finis")
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise BadSearch("la zone doit avoir ouest ≤ est (entre -180 et 180) et sud ≤ nord (entre -90 et 90)")
    return west, south, east, north


def bbox_text(bbox: tuple[float, float, float, float]) -> str:
    return ",".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in bbox)
