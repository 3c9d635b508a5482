"""The search site: the search page (``/`` and ``/recherche``), the map to choose a zone (``/recherche/carte``).

Everything the page shows is a label (:mod:`api.pages.labels`), every link is the same search with one thing changed
(:class:`api.pages.search_state.SearchState`), and every state is a URL: ticking a facet, removing a filter, sorting,
paging and choosing a zone all work without JavaScript.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.pages import labels, maps
from api.pages.render import page
from api.pages.search_state import SORTS, BadSearch, SearchState, bbox_text, parse_bbox
from api.routes.deps import IndexDep, StoreDep, public_search, until_commit
from index.search import SearchBusyError, SearchIndex, SearchResult, SearchTimeoutError
from index.store import Store

router = APIRouter(include_in_schema=False)

PLACES_SHOWN = 3


@dataclass
class Hit:
    """One result as the page shows it."""

    id: str
    title: str
    description: str | None
    publisher: str | None
    publisher_url: str | None
    places: str
    modified: str | None
    formats: list[str]
    licence: str | None
    quality_band: str | None
    source: str
    source_name: str
    portals: int


def source_names(store: Store) -> dict[str, str]:
    """Each portal's name by id, for every page. Read once per commit: ``Store.sources`` also counts each portal's
    records, a walk of the whole records index (~100 ms a page at 1M records, measured)."""
    return until_commit(store, ("source-names",), lambda: {
        row["id"]: row["name"] or row["id"] for row in store.db.execute("SELECT id, name FROM sources ORDER BY id")})


def publisher_url(name: str) -> str:
    return "/editeurs/" + quote(name, safe="")


def places(summary: dict[str, Any]) -> str:
    """The territory of a hit by name: its communes, else its départements, else its régions (at most three)."""
    for key, name in (("communes", labels.commune), ("departements", labels.departement), ("regions", labels.region)):
        codes = summary.get(key) or []
        if codes:
            shown = ", ".join(name(c) for c in codes[:PLACES_SHOWN])
            return shown + (f" et {len(codes) - PLACES_SHOWN} autres" if len(codes) > PLACES_SHOWN else "")
    return ""


def hit_view(summary: dict[str, Any], names: dict[str, str]) -> Hit:
    publisher = summary.get("publisher")
    copies = summary.get("copies") or []  # duplicate clustering (issue 14): every portal carrying the dataset
    return Hit(id=summary["id"], title=summary.get("title") or summary["id"], description=summary.get("description"),
               publisher=publisher, publisher_url=publisher_url(publisher) if publisher else None,
               places=places(summary), modified=summary.get("modified"), formats=summary.get("formats") or [],
               licence=summary.get("licence"), quality_band=summary.get("quality_band"), source=summary["source"],
               source_name=names.get(summary["source"], summary["source"]),
               portals=len({c.get("source") for c in copies}) if copies else 1)


def page_links(state: SearchState, total: int, size: int) -> list[dict[str, Any]]:
    last = min((total + size - 1) // size, 500)
    if last <= 1:
        return []
    current = state.page
    shown = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    links: list[dict[str, Any]] = []
    if current > 1:
        links.append({"label": "‹ Précédente", "url": state.url(page=current - 1), "rel": "prev"})
    previous = 0
    for number in shown:
        if number - previous > 1:
            links.append({"label": "…", "url": None})
        links.append({"label": str(number), "url": state.url(page=number), "current": number == current})
        previous = number
    if current < last:
        links.append({"label": "Suivante ›", "url": state.url(page=current + 1), "rel": "next"})
    return links


def facet_views(state: SearchState, result: SearchResult, label: labels.FacetLabels) -> list[dict[str, Any]]:
    out = []
    for name in labels.FACET_ORDER:
        values = result.facets.get(name) or []
        if not values:
            continue
        chosen = state.filters.get(name, ())
        out.append({"name": name, "title": labels.FACET_TITLES[name], "choices": [
            {"value": v.value, "label": label(name, v.value), "count": v.count, "checked": v.value in chosen,
             "id": f"f-{name}-{i}"} for i, v in enumerate(values)]})
    return out


def bbox_words(bbox: tuple[float, float, float, float]) -> str:
    west, south, east, north = (f"{v:.2f}".replace(".", ",") for v in bbox)
    return f"de {west}° à {east}° de longitude, de {south}° à {north}° de latitude"


def _count(index: SearchIndex, state: SearchState) -> int:
    return index.search(state.query(page_size=0, facet_size=0)).total


def relaxed_searches(index: SearchIndex, state: SearchState, label: labels.FacetLabels) -> list[dict[str, Any]]:
    """For an empty result: the same search without each one of its filters (and without its zone), with counts.
    These are hints on a page whose search was answered: one that runs past the deadline ends them (what was counted
    is shown), never the page."""
    out: list[dict[str, Any]] = []
    with suppress(SearchTimeoutError):
        _relax(index, state, label, out)
    return out


def _relax(index: SearchIndex, state: SearchState, label: labels.FacetLabels, out: list[dict[str, Any]]) -> None:
    for name, value in state.active():
        others = {k: tuple(x for x in v if not (k == name and x == value)) for k, v in state.filters.items()}
        relaxed = SearchState(q=state.q, filters={k: v for k, v in others.items() if v}, bbox=state.bbox,
                              sort=state.sort, path=state.path)
        if total := _count(index, relaxed):
            out.append({"title": labels.FACET_TITLES[name], "label": label(name, value),
                        "url": relaxed.url(), "total": total})
    if state.bbox is not None:
        relaxed = SearchState(q=state.q, filters=state.filters, sort=state.sort, path=state.path)
        if total := _count(index, relaxed):
            out.append({"title": "Zone", "label": bbox_words(state.bbox), "url": relaxed.url(), "total": total})


def _bad_search(message: str) -> HTMLResponse:
    return page("error.html", status_code=400, heading="Recherche impossible", message=message)


@router.get("/", response_class=HTMLResponse)
@router.get("/recherche", response_class=HTMLResponse)
def search_page(request: Request, store: StoreDep, index: IndexDep) -> Response:
    try:
        state = SearchState.from_params(request.query_params)
    except BadSearch as exc:
        return _bad_search(str(exc))
    names = source_names(store)
    label = labels.FacetLabels(names)
    error = None
    try:
        result = public_search(request, index, state.query())
    except (SearchBusyError, SearchTimeoutError):
        return page("error.html", status_code=503, headers={"Retry-After": "2"}, heading="Recherche trop chargée",
                    message="Trop de recherches lourdes sont en cours : réessayez dans quelques secondes, ou "
                            "retirez des filtres.")
    except ValueError as exc:  # a query over a limit of the query language, an unknown value
        error = getattr(exc, "french", None) or f"Cette recherche ne peut pas être faite : {exc}"
        result = SearchResult(total=0, hits=[], facets={})
    suggestions = []
    relaxed: list[dict[str, Any]] = []
    if result.total == 0 and error is None:
        if state.q:
            suggestions = index.suggest(state.query(), limit=3)
        relaxed = relaxed_searches(index, state, label)
    active = [{"title": labels.FACET_TITLES[name], "label": label(name, value), "url": state.toggled(name, value)}
              for name, value in state.active()]
    if state.bbox:
        active.append({"title": "Zone", "label": bbox_words(state.bbox), "url": state.without_bbox()})
    landing = request.url.path == "/" and state.empty
    api_query = state.url("/api/datasets")
    return page(
        "search.html", status_code=400 if error else 200, state=state, total=result.total,
        hits=[hit_view(h, names) for h in result.hits],
        facets=facet_views(state, result, label), facets_exact=result.facets_exact, active=active,
        sorts=SORTS, first=(state.page - 1) * 20 + 1, pages=page_links(state, result.total, 20),
        suggestions=suggestions, relaxed=relaxed, error=error, landing=landing,
        catalogue_total=result.total if landing else 0, source_count=len(names), api_url=api_query,
        bbox_text=bbox_text(state.bbox) if state.bbox else "",
        bbox_words=bbox_words(state.bbox) if state.bbox else "",
        mini_map=maps.france(width=260, title="La zone choisie sur la carte de France", bbox=state.bbox,
                             outlines=False) if state.bbox else "",
    )


@router.get("/search")
def old_search(request: Request) -> RedirectResponse:
    """The first search page's address: kept working, permanently moved to /recherche."""
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/recherche{query}", status_code=308)


@router.get("/recherche/carte", response_class=HTMLResponse)
def map_page(request: Request) -> Response:
    """Choose a zone: click a département, draw a rectangle (with JavaScript), pick a région or a département from a
    list, or type coordinates. The choice goes back to the search as its ``bbox``."""
    params = request.query_params
    try:
        state = SearchState.from_params(params, path="/recherche")
    except BadSearch as exc:
        return _bad_search(str(exc))
    zone = params.get("zone")
    typed = [params.get(k, "").strip().replace(",", ".") for k in ("ouest", "sud", "est", "nord")]
    error = None
    if zone or any(typed):
        try:
            bbox = _chosen_bbox(zone, typed)
        except BadSearch as exc:
            error = str(exc)
        else:
            return RedirectResponse(state.url(bbox=bbox, page=1), status_code=303)

    def link(dep: maps.Departement) -> str:
        return state.url(bbox=dep.extent, page=1)

    regions = sorted({(d.region, labels.region(d.region)) for d in maps.departements()}, key=lambda r: r[1])
    deps = sorted(((d.code, d.name) for d in maps.departements()), key=lambda d: d[0])
    return page("map.html", state=state, error=error, regions=regions, departements=deps,
                carte=maps.france(width=560, title="Carte de France des départements : choisissez une zone",
                                  links=link, bbox=state.bbox, draw=True),
                hidden=[(k, v) for k, v in state.params() if k not in ("bbox", "page")],
                typed=typed if error else [f"{v:g}" for v in state.bbox] if state.bbox else ["", "", "", ""])


def _chosen_bbox(zone: str | None, typed: list[str]) -> tuple[float, float, float, float]:
    if zone:
        kind, _, code = zone.partition(":")
        codes = [d.code for d in maps.departements() if (d.code if kind == "dep" else d.region) == code]
        extent = maps.extent_of(codes)
        if extent is None:
            raise BadSearch(f"zone inconnue « {zone} »")
        return extent
    if not all(typed):
        raise BadSearch("donnez les quatre coordonnées (ouest, sud, est, nord), ou choisissez une région ou un "
                        "département")
    return parse_bbox(",".join(typed))


@router.get("/carte/france.svg")
def france_outline() -> Response:
    """The départements' outlines as a picture, the background of the small maps (cached a day by browsers)."""
    return Response(maps.outline_svg(), media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
