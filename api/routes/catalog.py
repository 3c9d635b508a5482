"""The whole aggregate as one DCAT-AP catalog, paged with Hydra, so that others (data.europa.eu, udata, another
moisson) can harvest moisson itself.

Paging is keyset paging on the record id: ``after=<last id of the previous page>`` costs one index seek whatever
the depth, so walking a catalog of millions of records costs the same per page at the end as at the start. The next
links use it. ``page=N`` is accepted too, for clients that only count pages, but SQLite must skip the (N-1) x
page_size records before it: fine for the first hundreds of pages, linear in the depth after that.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from api.routes.deps import RDF_MEDIA_TYPES, StoreDep, choose_media, public_base, rdf_format, respond, until_commit
from index.clusters import PRIMARY_ONLY, copies_count, with_copy_links
from index.clusters import ensure_schema as ensure_cluster_schema
from index.store import Store
from normalise import rdf
from normalise.model import DataService, Dataset

router = APIRouter(prefix="/api", tags=["catalog"])

MAX_PAGE = 1_000_000_000  # (page - 1) x page_size stays far within SQLite's 64-bit integers (issue 13)
CatalogFormat = Literal["jsonld", "json-ld", "ttl", "turtle", "rdf", "rdfxml", "xml", "nt", "ntriples"]
_OFFERED = [*RDF_MEDIA_TYPES.values(), "application/json"]  # JSON-LD first: the default; plain JSON gets JSON-LD


# Each dataset once (issue 14): a record that is a copy of a dataset whose primary is another record is left out;
# the primary carries owl:sameAs / adms:identifier links to its copies' IRIs (index.clusters.with_copy_links).
_LISTED = f"r.status = 'active' AND {PRIMARY_ONLY}"


# Whether the record belongs to a cluster, read with it: most records do not, and then have no copy links to look
# up (one query a record less: issue 18's walk).
_CLUSTERED = "EXISTS (SELECT 1 FROM cluster_members cm WHERE cm.record_id = r.id) AS clustered"


_pausing = threading.Lock()
_paused = 0  # pages being built
_was_enabled = True


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collector off while a page is built, on again when the last page being built is done.

    Why: a page of 1,000 records allocates ~100,000 small containers (triples, terms, the records' models), so the
    collector ran dozens of times per page, each time walking every young object and, every tenth, the whole heap:
    a third of the page's CPU (issue 18's walk). Nothing a page builds holds a reference cycle; reference counting
    frees it all when the response is written, and whatever cyclic garbage another request makes meanwhile is
    collected once the collector is back."""
    global _paused, _was_enabled
    with _pausing:
        _paused += 1
        if _paused == 1:
            _was_enabled = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _pausing:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()


def page_after(store: Store, after: str, limit: int) -> list[Dataset | DataService]:
    ensure_cluster_schema(store)
    rows = store.db.execute(
        f"SELECT data, {_CLUSTERED} FROM records r WHERE {_LISTED} AND id > ? ORDER BY id LIMIT ?", (after, limit)
    ).fetchall()
    return _entries(store, rows)


def page_offset(store: Store, offset: int, limit: int) -> list[Dataset | DataService]:
    ensure_cluster_schema(store)
    rows = store.db.execute(
        f"SELECT data, {_CLUSTERED} FROM records r WHERE {_LISTED} ORDER BY id LIMIT ? OFFSET ?", (limit, offset)
    ).fetchall()
    return _entries(store, rows)


def _entries(store: Store, rows: list[Any]) -> list[Dataset | DataService]:
    out = []
    for row in rows:
        entry = store.load_entry(row["data"])
        out.append(with_copy_links(store, entry) if row["clustered"] else entry)
    return out


def catalog_total(store: Store) -> int:
    """Datasets in the catalog: active records, each cluster of copies once."""
    return store.count() - copies_count(store)


def last_page_cursor(store: Store, total: int, page_size: int) -> str | None:
    """The ``after`` of the last page (None when the first page is the last): read from the end of the id index,
    so it costs at most one page of steps."""
    start = ((total - 1) // page_size) * page_size
    if total <= 0 or start == 0:
        return None
    row = store.db.execute(
        f"SELECT id FROM records r WHERE {_LISTED} ORDER BY id DESC LIMIT 1 OFFSET ?", (total - start,)
    ).fetchone()
    return row["id"] if row else None


@router.get(
    "/catalog",
    summary="The whole aggregate as a Hydra-paged DCAT-AP catalog",
    responses={
        200: {"content": {media: {} for media in RDF_MEDIA_TYPES.values()},
              "description": "one page of the dcat:Catalog (also a hydra:Collection): its datasets, and a "
                             "hydra:PartialCollectionView with first/next/last links and hydra:totalItems; "
                             "JSON-LD by default, Turtle, RDF/XML or N-Triples by Accept header or ?format="},
        406: {"description": "none of the accepted media types can be produced"},
    },
)
def catalog(
    request: Request,
    store: StoreDep,
    page_size: Annotated[int, Query(ge=1, le=1000, description="records per page")] = 100,
    after: Annotated[str | None, Query(description="cursor: the last record id of the previous page (what the "
                                                   "next links carry; constant cost at any depth)")] = None,
    page: Annotated[int | None, Query(ge=1, le=MAX_PAGE, description="1-based page number, instead of a cursor "
                                                                  "(cost grows with the depth: prefer the next "
                                                                  "links)")] = None,
    format: Annotated[CatalogFormat | None, Query(description="overrides the Accept header")] = None,
) -> Response:
    media = choose_media(request, format, _OFFERED)
    if media == "application/json":
        media = RDF_MEDIA_TYPES["json-ld"]
    base = public_base(request)
    catalog_url = f"{base}/api/catalog"
    keep = {"format": format} if format else {}

    def link(**params: object) -> str:
        query = {k: v for k, v in {**params, "page_size": page_size, **keep}.items() if v is not None}
        return f"{catalog_url}?{urlencode(query)}"

    total = until_commit(store, ("catalog-total",), lambda: catalog_total(store))  # COUNT(*) reads every record
    with cycle_collection_paused():
        body = _page(store, base, catalog_url, link, total, page_size, after, page, media)
    return respond(request, body, media)


def _page(store: Store, base: str, catalog_url: str, link: Callable[..., str], total: int, page_size: int,
          after: str | None, page: int | None, media: str) -> bytes:
    """One page of the catalog, written in ``media``."""
    if page is not None and after is None:
        entries = page_offset(store, (page - 1) * page_size, page_size + 1)
        view = link(page=page)
        previous = link(page=page - 1) if page > 1 else None
    else:
        entries = page_after(store, after or "", page_size + 1)
        view = link(after=after) if after else link()
        previous = None
    more = len(entries) > page_size
    entries = entries[:page_size]
    last_cursor = until_commit(store, ("catalog-last", page_size), lambda: last_page_cursor(store, total, page_size))
    # the builder's plain terms, written straight to text: no rdflib object on the way (issue 18's walk)
    described = list(rdf.described_terms(entries, base))
    out = [t for _, _, ts in described for t in ts]
    members = [(subject, entry.kind) for entry, subject, _ in described]
    node, catalog_triples = rdf.catalog_triples(rdf.CatalogInfo(uri=catalog_url, homepage=f"{base}/"), members, base)
    out += catalog_triples
    out += rdf.hydra_triples(node, view, total, first=link(),
                             next=link(after=entries[-1].id) if more and entries else None,
                             previous=previous,
                             last=link(after=last_cursor) if last_cursor else link())
    return rdf.render(out, rdf_format(media))
