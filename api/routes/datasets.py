"""Datasets: full-text search with facets, and each record as JSON or, by content negotiation, as DCAT-AP."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, create_model

from api.routes.deps import (
    JSON,
    RDF_MEDIA_TYPES,
    IndexDep,
    StoreDep,
    choose_media,
    public_base,
    public_search,
    rdf_format,
    respond,
)
from api.routes.models import Problem, RecordResponse, SearchResponse
from index.clusters import copies_of
from index.query import QueryError
from index.search import (
    FACETS,
    MAX_FACET_SIZE,
    SearchBusyError,
    SearchQuery,
    SearchTimeoutError,
    SortKey,
    parse_bbox,
)
from index.store import Store
from normalise import rdf

router = APIRouter(prefix="/api/datasets", tags=["datasets"])

FormatParam = Literal["json", "jsonld", "json-ld", "ttl", "turtle", "rdf", "rdfxml", "xml", "nt", "ntriples"]


class _SearchBase(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt filter is an error, not a silently ignored parameter

    q: str = Field("", description="full text, French-aware (accents folded, stemming): words (all required), "
                                  "\"phrases\", -exclusions, OR, (groups), titre:/description:/motcle:/editeur:word")
    page: int = Field(1, ge=1, description="1-based page number")
    page_size: int = Field(20, ge=0, le=100, description="hits per page (0: facet counts only)")
    sort: SortKey = Field("relevance", description="relevance (newest first without words), modified (oldest "
                                                   "first), -modified, title, quality, -quality, popularity")
    bbox: str | None = Field(None, description="west,south,east,north in WGS84 degrees: records whose extent "
                                               "intersects this box", examples=["4.7,45.6,5.0,45.9"])
    collapse: bool = Field(True, description="one hit per dataset however many portals carry it (its primary record, "
                                             "with its copies); false: every record of every portal")
    facets: str | None = Field(None, description="the facets to count, comma-separated (default: all of them); "
                                                 "'none': no counts, the cheapest search (most of a search's cost is "
                                                 "counting facets)", examples=["theme,format", "none"])
    facet_size: int = Field(20, ge=1, le=MAX_FACET_SIZE, description="values listed per facet, most frequent first")


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


@router.get("", response_model=SearchResponse, summary="Search datasets, with facet counts",
            responses={400: {"model": Problem, "description": "the search is over a limit: words, nesting, "
                                                                   "filter values, page depth, a bad bbox or an "
                                                                   "unknown facet"},
                       429: {"model": Problem, "description": "too many heavy searches from this client"},
                       503: {"model": Problem, "description": "a heavy search found no free slot, or the search "
                                                              "passed its deadline: retry after Retry-After"}})
def search_datasets(request: Request, params: Annotated[SearchParams, Query()], index: IndexDep) -> dict[str, Any]:
    """Full-text search over every harvested record, with filters on facets (values of one facet are OR-ed,
    facets AND-ed) and an optional bounding box. Facet counts follow the query and the other facets' filters.

    Limits (a 400 says which): 1,000 characters and 32 words of text, 4 levels of parentheses, 20 values per
    facet and 50 in all, page x page_size up to 10,000."""
    filters = {name: values for name in FACETS if (values := [v for v in getattr(params, f"f_{name}") if v.strip()])}
    try:
        query = SearchQuery(q=params.q, filters=filters, page=params.page, page_size=params.page_size,
                            sort=params.sort, bbox=parse_bbox(params.bbox) if params.bbox and params.bbox.strip()
                            else None, collapse=params.collapse, facets=wanted_facets(params.facets),
                            facet_size=params.facet_size)
        result = public_search(request, index, query)
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    except (SearchBusyError, SearchTimeoutError) as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "2"}) from None
    base = public_base(request)
    hits = [{**hit, "url": f"{base}/api/datasets/{hit.get('id')}"} for hit in result.hits]
    return {
        "total": result.total, "page": params.page, "page_size": params.page_size, "sort": params.sort,
        "hits": hits,
        "facets": {name: [{"value": f.value, "count": f.count} for f in values]
                   for name, values in result.facets.items()},
        "facets_exact": result.facets_exact,
        "collapse": params.collapse,
        "took_ms": round(result.took_ms, 2),
    }


def wanted_facets(asked: str | None) -> tuple[str, ...]:
    """The facets a search counts: all of them unless the client names some, none for ``none`` -- a client paging
    through hits, or polling a total, need not pay for eleven counts (CKAN's ``facet.field`` does the same). A name
    that is not a facet is refused by :func:`index.search.check_query`, as every search's limits are."""
    if asked is None:
        return FACETS
    names = [name.strip() for name in asked.split(",") if name.strip()]
    if not names:
        raise QueryError("bad_filter", f"facets takes facet names among {', '.join(FACETS)}, comma-separated, "
                                       f"or 'none' (got {asked[:100]!r})")
    return () if names == ["none"] else tuple(dict.fromkeys(names))


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
        "cluster": _cluster_ref(store, record_id, base),
    }
    data = entry.model_dump(mode="json", by_alias=True)
    data["meta"] = meta
    return respond(request, orjson.dumps(data), JSON)


def _cluster_ref(store: Store, record_id: str, base: str) -> dict[str, Any]:
    """The record's cluster of copies (issue 14): its id, whether this record is the primary, the other copies."""
    cluster_id, primary, copies = copies_of(store, record_id)
    return {"id": cluster_id, "primary": primary, "url": f"{base}/api/clusters/{cluster_id}",
            "other_copies": [c for c in copies if c["record_id"] != record_id]}
