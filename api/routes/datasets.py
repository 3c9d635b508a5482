"""Datasets: full-text search with facets, and each record as JSON or, by content negotiation, as DCAT-AP."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from api.routes.deps import (
    JSON,
    RDF_MEDIA_TYPES,
    IndexDep,
    StoreDep,
    choose_media,
    public_base,
    rdf_format,
    respond,
)
from api.routes.models import RecordResponse, SearchResponse
from index.search import FACETS, SearchQuery, SortKey
from normalise import rdf

router = APIRouter(prefix="/api/datasets", tags=["datasets"])

MAX_DEPTH = 10_000  # page x page_size: deeper paging costs the engine more and more; /api/catalog walks everything

FormatParam = Literal["json", "jsonld", "json-ld", "ttl", "turtle", "rdf", "rdfxml", "xml", "nt", "ntriples"]


class _SearchBase(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt filter is an error, not a silently ignored parameter

    q: str = Field("", description="full text, French-aware (accents folded, stemming); \"phrases\" and -exclusions")
    page: int = Field(1, ge=1, description="1-based page number")
    page_size: int = Field(20, ge=0, le=100, description="hits per page (0: facet counts only)")
    sort: SortKey = Field("relevance", description="relevance (newest first without words), modified (oldest "
                                                   "first), -modified, title, quality, -quality, popularity")
    bbox: str | None = Field(None, description="west,south,east,north in WGS84 degrees: records whose extent "
                                               "intersects this box", examples=["4.7,45.6,5.0,45.9"])

    @field_validator("bbox")
    @classmethod
    def _bbox(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parse_bbox(value)
        return value

    @model_validator(mode="after")
    def _depth(self) -> _SearchBase:
        if self.page * self.page_size > MAX_DEPTH:
            raise ValueError(f"page x page_size may not exceed {MAX_DEPTH}: narrow the search with filters, or walk "
                             "the whole aggregate with /api/catalog")
        return self


SearchParams = create_model(  # type: ignore[call-overload]
    "SearchParams",
    __base__=_SearchBase,
    # facet fields are named f_<facet> (a facet called "schema" would shadow a pydantic attribute), the parameter
    # keeps the facet's own name through the alias
    **{f"f_{name}": (list[str], Field(default_factory=list, alias=name,
                                      description=f"filter on the {name} facet; repeat the parameter for several "
                                                  "values (OR-ed)"))
       for name in FACETS},
)


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    """"w,s,e,n" as four finite floats in WGS84 bounds, west <= east and south <= north."""
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 4:
        raise ValueError("bbox takes four numbers: west,south,east,north")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise ValueError("bbox takes four numbers: west,south,east,north") from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise ValueError("bbox numbers must be finite")
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise ValueError("bbox is in WGS84 degrees: longitudes within [-180, 180], latitudes within [-90, 90]")
    if west > east or south > north:
        raise ValueError("bbox must have west <= east and south <= north")
    return west, south, east, north


@router.get("", response_model=SearchResponse, summary="Search datasets, with facet counts")
def search_datasets(request: Request, params: Annotated[SearchParams, Query()], index: IndexDep) -> dict[str, Any]:
    """Full-text search over every harvested record, with filters on facets (values of one facet are OR-ed,
    facets AND-ed) and an optional bounding box. Facet counts follow the query and the other facets' filters."""
    filters = {name: values for name in FACETS if (values := [v for v in getattr(params, f"f_{name}") if v.strip()])}
    query = SearchQuery(q=params.q, filters=filters, page=params.page, page_size=params.page_size, sort=params.sort,
                        bbox=parse_bbox(params.bbox) if params.bbox else None)
    try:
        result = index.search(query)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    base = public_base(request)
    hits = [{**hit, "url": f"{base}/api/datasets/{hit.get('id')}"} for hit in result.hits]
    return {
        "total": result.total, "page": params.page, "page_size": params.page_size, "sort": params.sort,
        "hits": hits,
        "facets": {name: [{"value": f.value, "count": f.count} for f in values]
                   for name, values in result.facets.items()},
        "facets_exact": result.facets_exact,
        "took_ms": round(result.took_ms, 2),
    }


_RECORD_MEDIA = [JSON, *RDF_MEDIA_TYPES.values()]


@router.get(
    "/{record_id}",
    response_model=RecordResponse,
    summary="One record: JSON, or DCAT-AP by content negotiation",
    responses={
        200: {"content": {media: {} for media in RDF_MEDIA_TYPES.values()},
              "description": "JSON by default; DCAT-AP 3 for Accept: application/ld+json, text/turtle, "
                             "application/rdf+xml or application/n-triples (or ?format=)"},
        404: {"description": "no record with this id"},
        406: {"description": "none of the accepted media types can be produced"},
    },
)
async def get_dataset(request: Request, record_id: str, store: StoreDep,
                format: Annotated[FormatParam | None, Query(description="overrides the Accept header")] = None,
                ) -> Any:
    """A record as normalised (``meta`` says where it comes from, its status and version). Withdrawn records
    still resolve, with ``meta.status`` = withdrawn."""
    media = choose_media(request, format, _RECORD_MEDIA)
    found = store.entry(record_id)
    if found is None:
        raise HTTPException(404, f"no dataset with id {record_id!r}: ids look like <source>.<16 hex digits>, as "
                                 "returned by GET /api/datasets?q=...")
    entry, row = found
    base = public_base(request)
    if media != JSON:
        return respond(request, rdf.serialise(entry, rdf_format(media), base=base), media)
    meta = {
        "source": row["source_id"], "native_id": row["native_id"], "status": row["status"],
        "version": row["version"], "first_seen": row["first_seen"], "changed_at": row["changed_at"],
        "withdrawn_at": row["withdrawn_at"],
        "formats": {name: f"{base}/api/datasets/{record_id}?format={name}" for name in ("jsonld", "ttl", "rdf", "nt")},
    }
    data = entry.model_dump(mode="json", by_alias=True)
    data["meta"] = meta
    return respond(request, orjson.dumps(data), JSON)
