"""Publisher and source pages: what a publisher (by SIREN or name) publishes across every portal, its obligation
status and quality; what a source holds and how its harvests went; each one's quality over time, a point per harvest,
so that a portal sees the effect of its fixes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from api.charts import line_chart
from api.pages import labels
from api.pages.render import page, safe_url
from api.pages.search import facet_views, hit_view, source_names
from api.pages.search_state import SearchState
from api.report_cache import shared_report
from api.routes.deps import IndexDep, StoreDep
from index import obligations
from index.publishers import OverrideError
from index.quality import SIREN, quality_points
from index.search import SearchQuery
from index.store import Store
from scoring.mqa import band

router = APIRouter(include_in_schema=False)

BODY_KINDS = {"commune": "commune", "epci": "EPCI à fiscalité propre", "departement": "département",
              "region": "région"}
STATUS_WORDS = {"publishes": "publie ses données", "shared": "publie par un portail mutualisé",
                "none": "ne publie pas encore"}
JOB_STATUS = {"running": "en cours", "succeeded": "réussie", "partial": "partielle", "failed": "échouée",
              "interrupted": "interrompue"}
MODES = {"full": "complète", "incremental": "incrémentale"}


@dataclass
class _Summary:
    """What the publisher page says of its quality without the full report."""

    datasets: int = 0
    mean: float = 0.0
    band: str = "bad"
    median: float | None = None
    fix_first: list[Any] = field(default_factory=list)


def _quality_chart(points: list[Any], title: str) -> Markup:
    if not points:
        return Markup("")
    return Markup(line_chart([(p.at[:10], p.mean) for p in points], title=title, width=560, height=220))


def _monitor(store: Store) -> obligations.Monitor | None:
    try:
        return obligations.current(store)
    except OverrideError:  # a broken config/publishers.yaml: the page shows the rest
        return None


def _not_found(heading: str, message: str) -> HTMLResponse:
    return page("error.html", status_code=404, heading=heading, message=message)


@router.get("/editeurs/{key:path}", response_class=HTMLResponse)
def publisher_page(request: Request, key: str, store: StoreDep, index: IndexDep) -> Response:
    """``key`` is a SIREN (9 digits) or the publisher's name as the records give it."""
    monitor = _monitor(store)
    matches = monitor.matches if monitor else []
    if SIREN.match(key):
        mine = [m for m in matches if m.siren == key]
        names = [m.name for m in mine]
        siren: str | None = key
    else:
        mine = [m for m in matches if m.name == key]
        names = [key]
        siren = next((m.siren for m in mine if m.siren), None)
    if not names:
        return _not_found("Éditeur introuvable", f"Aucun jeu de données moissonné n'est publié par « {key} ».")
    state = SearchState(filters={"publisher": tuple(names)})
    result = index.search(SearchQuery(filters={"publisher": names}, page_size=20, sort="-modified", facet_size=8,
                                      facets=("source", "theme", "format", "licence", "quality_band", "region")))
    if result.total == 0:
        return _not_found("Éditeur introuvable", f"Aucun jeu de données moissonné n'est publié par « {key} ».")
    source_label = source_names(store)
    label = labels.FacetLabels(source_label)
    points = quality_points(store, publisher_keys=[siren or "", *names])
    # the full report scans every record's JSON for the publisher (seconds at a million records): the page shows the
    # latest point and the band counts of the index, and links to the report
    rep = _Summary(points[-1].datasets, points[-1].mean, band(points[-1].mean)) if points else _Summary()
    body = None
    if monitor:
        body_ids = {m.body_id for m in mine if m.body_id}
        body = next((b for b in monitor.bodies if b.id in body_ids), None)
    return page(
        "publisher.html", name=names[0], other_names=names[1:], siren=siren, total=result.total,
        hits=[hit_view(h, source_label) for h in result.hits], facets=facet_views(state, result, label),
        search_url=state.url(), feed_url=state.url("/recherche.atom"), report=rep,
        report_url=f"/api/publishers/{quote(siren or names[0], safe='')}/quality?format=html",
        body=body, body_type=BODY_KINDS.get(body.type, body.type) if body else None,
        status_words=STATUS_WORDS, chart=_quality_chart(points, "Score moyen des métadonnées après chaque moisson"),
        points=points,
    )


@router.get("/sources/{source_id}", response_class=HTMLResponse)
def source_page(request: Request, source_id: str, store: StoreDep, index: IndexDep) -> Response:
    row = store.source(source_id)
    if row is None:
        return _not_found("Portail introuvable", f"moisson ne moissonne aucun portail « {source_id} ».")
    state = SearchState(filters={"source": (source_id,)})
    result = index.search(SearchQuery(filters={"source": [source_id]}, page_size=10, sort="-modified", facet_size=8,
                                      facets=("publisher", "theme", "format", "licence", "quality_band",
                                              "departement")))
    names = source_names(store)
    label = labels.FacetLabels(names)
    jobs = store.jobs(source_id, limit=20)
    rep = shared_report(request, store, source_id=source_id, top=5)
    points = quality_points(store, source_id=source_id)
    return page(
        "source.html", source=row, name=row.get("name") or source_id, url=safe_url(row["url"]),
        records=store.count(source_id=source_id), total=result.total,
        hits=[hit_view(h, names) for h in result.hits], facets=facet_views(state, result, label),
        search_url=state.url(), feed_url=state.url("/recherche.atom"), jobs=jobs, job_status=JOB_STATUS,
        modes=MODES, report=rep, report_url=f"/api/sources/{quote(source_id)}/quality?format=html",
        badge=f"/api/sources/{quote(source_id)}/badge.svg", points=points,
        chart=_quality_chart(points, "Score moyen des métadonnées après chaque moisson"),
    )
