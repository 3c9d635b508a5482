"""Feeds for people who watch and for crawlers: the Atom feed of any search, the sitemap of dataset pages, robots.txt.

Why Atom: every feed reader and most monitoring tools read it, and a search URL is all a reuser has to give: the same
parameters as the search page (``/recherche.atom?q=…&theme=…``), newest changes first. The sitemap streams the store
by pages of 50,000 URLs (the protocol's limit), so its cost does not grow with the catalogue held in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from api.pages.render import render
from api.pages.search import hit_view, source_names
from api.pages.search_state import BadSearch, SearchState
from api.routes.deps import IndexDep, StoreDep, public_base, public_search
from index.search import SearchBusyError, SearchTimeoutError

router = APIRouter(include_in_schema=False)

FEED_ENTRIES = 50
SITEMAP_URLS = 50_000
ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"


def _atom_time(value: str | None) -> str:
    """RFC 3339 as Atom wants it; a bare date is midnight UTC."""
    if not value:
        return datetime.now(UTC).isoformat(timespec="seconds")
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text if "T" in text else text[:10])
    except ValueError:
        return datetime.now(UTC).isoformat(timespec="seconds")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


@router.get("/recherche.atom")
def search_feed(request: Request, store: StoreDep, index: IndexDep) -> Response:
    """The newest (by modification date) datasets of a search, as Atom 1.0."""
    try:
        state = SearchState.from_params(request.query_params)
    except BadSearch as exc:
        return Response(str(exc), status_code=400, media_type="text/plain; charset=utf-8")
    state = SearchState(q=state.q, filters=state.filters, bbox=state.bbox, sort="-modified")
    try:
        result = public_search(request, index, state.query(page_size=FEED_ENTRIES, facet_size=0))
    except (SearchBusyError, SearchTimeoutError) as exc:
        return Response(str(exc), status_code=503, headers={"Retry-After": "2"}, media_type="text/plain; charset=utf-8")
    except ValueError as exc:
        return Response(getattr(exc, "french", None) or str(exc), status_code=400,
                        media_type="text/plain; charset=utf-8")
    base = public_base(request)
    names = source_names(store)
    hits = [hit_view(h, names) for h in result.hits]
    updated = max((_atom_time(h.modified) for h in hits), default=_atom_time(None))
    title = "moisson — " + (f"« {state.q} »" if state.q else "nouveaux jeux de données") + (
        " (filtrée)" if state.filters or state.bbox else "")
    body = render("atom.xml", hits=hits, base=base, title=title, updated=updated, atom_time=_atom_time,
                  self_url=base + str(request.url).removeprefix(str(request.base_url).rstrip("/")),
                  page_url=base + state.url())
    return Response(body, media_type=ATOM)


def _sitemap_pages(store) -> int:  # noqa: ANN001 - a Store
    total = store.db.execute("SELECT COUNT(*) FROM records WHERE status = 'active'").fetchone()[0]
    return max(1, -(-total // SITEMAP_URLS))


@router.get("/sitemap.xml")
def sitemap(request: Request, store: StoreDep) -> Response:
    """A sitemap index when the catalogue needs several sitemaps, else the one sitemap itself."""
    pages = _sitemap_pages(store)
    if pages == 1:
        return sitemap_page(request, store, 1)
    base = public_base(request)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    lines += [f"<sitemap><loc>{base}/sitemap-{n}.xml</loc></sitemap>" for n in range(1, pages + 1)]
    lines.append("</sitemapindex>")
    return Response("\n".join(lines), media_type=XML)


@router.get("/sitemap-{number}.xml")
def sitemap_page(request: Request, store: StoreDep, number: int) -> Response:
    """Dataset pages number×50,000 onwards, in store order, with their last change (streamed)."""
    if number < 1 or number > _sitemap_pages(store):
        return Response("no such sitemap", status_code=404, media_type="text/plain")
    base = public_base(request)

    def lines() -> Iterator[str]:
        yield ('<?xml version="1.0" encoding="UTF-8"?>\n'
               '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n')
        if number == 1:
            yield f"<url><loc>{base}/recherche</loc><changefreq>daily</changefreq></url>\n"
        last, offset = None, (number - 1) * SITEMAP_URLS
        # rowid order, skipped to the page's start once; then keyset pages of 1,000 rows
        row = store.db.execute("SELECT rowid FROM records WHERE status = 'active' ORDER BY rowid LIMIT 1 OFFSET ?",
                               (offset,)).fetchone()
        if row is None:
            yield "</urlset>\n"
            return
        last, sent = row[0] - 1, 0
        while sent < SITEMAP_URLS:
            rows = store.db.execute(
                "SELECT rowid, id, changed_at FROM records WHERE status = 'active' AND rowid > ? ORDER BY rowid "
                "LIMIT ?", (last, min(1000, SITEMAP_URLS - sent))).fetchall()
            if not rows:
                break
            for r in rows:
                yield (f"<url><loc>{base}/datasets/{quote(r['id'])}</loc>"
                       f"<lastmod>{_atom_time(r['changed_at'])}</lastmod></url>\n")
            sent += len(rows)
            last = rows[-1]["rowid"]
        yield "</urlset>\n"

    return StreamingResponse(lines(), media_type=XML)


@router.get("/robots.txt")
def robots(request: Request) -> Response:
    base = public_base(request)
    return Response(f"User-agent: *\nDisallow: /api/\nAllow: /api/datasets/\nSitemap: {base}/sitemap.xml\n",
                    media_type="text/plain; charset=utf-8")
