"""Metadata quality: a record's score explained, per-source and per-publisher reports, a badge per source.

Why JSON and HTML from the same route: portals read the report in a browser (``?format=html`` or an Accept header
asking for text/html) and tools read the JSON; both come from :func:`index.quality.report`, so they cannot disagree.
The HTML pages, in French, are :mod:`api.pages.reports` on the site's templates; charts are inline SVG
(:mod:`api.charts`): nothing fetched from another site.

A publisher is named in the URL by its SIREN (9 digits, the stable key of French public bodies, the one moisson's
obligation monitor uses) or else by its name as the records give it, URL-encoded (``/api/publishers/
M%C3%A9tropole%20de%20Lyon/quality``).
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from api.pages.reports import all_quality_page, dataset_quality_page, quality_report_page
from api.ratelimit import limit
from api.report_cache import shared_report, store_size
from api.routes.deps import JSON, StoreDep, negotiate
from index.quality import QualityReport, ensure_schema, quality_of, report, score_and_store
from index.store import Store
from kernel.config import Config, ConfigError, load_config
from scoring.mqa import BANDS, MAX_POINTS

router = APIRouter(prefix="/api", tags=["quality"])

HTML = "text/html"
Format = Literal["json", "html"]
BAND_WORDS = {"excellent": "excellente", "good": "bonne", "sufficient": "suffisante", "bad": "insuffisante"}
BAND_COLOURS = {"excellent": "#4c1", "good": "#97ca00", "sufficient": "#dfb317", "bad": "#e05d44"}
BAND_RANGES = {name: f"{floor}-{(BANDS[i - 1][0] - 1) if i else MAX_POINTS}" for i, (floor, name) in enumerate(BANDS)}
DIMENSIONS = ("findability", "accessibility", "interoperability", "reusability", "contextuality")


def _wants_html(request: Request, format: Format | None) -> bool:
    if format is not None:
        return format == "html"
    return negotiate(request.headers.get("accept"), [JSON, HTML]) == HTML


# -- routes -------------------------------------------------------------------------------------------------------


@router.get("/datasets/{record_id}/quality", summary="A record's quality: MQA score explained, SHACL, French rules",
            responses={200: {"content": {HTML: {}}, "description": "JSON, or HTML with ?format=html"},
                       404: {"description": "no record with this id"}})
def dataset_quality(request: Request, record_id: str, store: StoreDep,
                    format: Annotated[Format | None, Query(description="overrides the Accept header")] = None,
                    validate: Annotated[bool, Query(description="also download the CSV files that declare a Table "
                                                                "Schema and validate them (bounded: 5 files of 10 MB "
                                                                "at most)")] = False,
                    ) -> Response:
    """Every MQA indicator with its points, status (met, partly met, missed, not checked, not validated) and, when
    missed, what to change; the SHACL violations in plain words; the French checks; each link's last verdict."""
    detail = quality_of(store, record_id) or _score_now(store, record_id)
    if validate:
        limit(request, "validate")
        detail["schema_validation"] = _validate_schemas(request, store, record_id)
    if _wants_html(request, format):
        return dataset_quality_page(detail)
    return JSONResponse(detail)


@router.get("/sources/{source_id}/quality", summary="A source's quality report: distribution, what to fix first",
            responses={200: {"content": {HTML: {}}, "description": "JSON, or HTML with ?format=html"},
                       404: {"description": "no such source"}})
def source_quality(request: Request, source_id: str, store: StoreDep,
                   format: Annotated[Format | None, Query(description="overrides the Accept header")] = None,
                   top: Annotated[int, Query(ge=1, le=23, description="length of the fix-first list")] = 10,
                   ) -> Response:
    """Score distribution, mean and median, band counts, mean points per FAIR dimension, the indicators that fail
    most, the fix-first list (points to gain x datasets affected, each saying what to change), the most frequent
    DCAT-AP violations and the French checks, over the source's active records."""
    if store.source(source_id) is None:
        raise HTTPException(404, f"no source {source_id!r}: GET /api/sources lists them")
    rep = shared_report(request, store, source_id=source_id, top=top)
    title = f"le portail {source_id}"
    return _answer(request, format, rep, title, badge=f"/api/sources/{quote(source_id)}/badge.svg")


@router.get("/publishers/{publisher}/quality", summary="A publisher's quality report (by SIREN or name)",
            responses={200: {"content": {HTML: {}}, "description": "JSON, or HTML with ?format=html"},
                       404: {"description": "no active record of this publisher"}})
def publisher_quality(request: Request, publisher: str, store: StoreDep,
                      format: Annotated[Format | None, Query(description="overrides the Accept header")] = None,
                      top: Annotated[int, Query(ge=1, le=23)] = 10) -> Response:
    """``publisher`` is a SIREN (9 digits) or the publisher's name, URL-encoded, exactly as the records give it
    (the ``publisher`` facet of /api/datasets lists the names; a name with a "/" is reached by its SIREN). Same
    report as for a source."""
    rep = shared_report(request, store, publisher=publisher, top=top)
    if rep.datasets == 0:
        raise HTTPException(404, f"no scored active record of publisher {publisher!r}: give a SIREN (9 digits) or a "
                                 "name as the publisher facet of /api/datasets shows it")
    return _answer(request, format, rep, f"l'éditeur {publisher}")


@router.get("/quality", summary="Every source's quality, to compare portals",
            responses={200: {"content": {HTML: {}}, "description": "JSON, or HTML with ?format=html"}})
def all_quality(request: Request, store: StoreDep,
                format: Annotated[Format | None, Query(description="overrides the Accept header")] = None,
                ) -> Response:
    """One line per source (datasets, mean score, band, bands, validated by SHACL) and the whole catalog."""
    rows, overall = request.app.state.reports.get(request, store, ("all sources",), lambda: store_size(store),
                                                  lambda: _compare_sources(store))
    if _wants_html(request, format):
        return all_quality_page(rows, overall)
    return JSONResponse({"sources": rows, "all": overall.as_dict()})


@router.get("/sources/{source_id}/badge.svg", summary="A shields-style badge: the source's band and mean score",
            response_class=Response, responses={200: {"content": {"image/svg+xml": {}}},
                                                404: {"description": "no such source"}})
def source_badge(request: Request, source_id: str, store: StoreDep) -> Response:
    if store.source(source_id) is None:
        raise HTTPException(404, f"no source {source_id!r}")
    rep = shared_report(request, store, source_id=source_id, top=1)
    # a picture for people, on French portals: in French (issue 15)
    if rep.datasets:
        value, colour = f"{BAND_WORDS[rep.band]} · {rep.mean:.0f}/{MAX_POINTS}", BAND_COLOURS[rep.band]
    else:
        value, colour = "non évaluée", "#9f9f9f"
    return Response(badge_svg("qualité des métadonnées", value, colour), media_type="image/svg+xml",
                    headers={"Cache-Control": "max-age=3600"})


# -- helpers ------------------------------------------------------------------------------------------------------


def _compare_sources(store: Store) -> tuple[list[dict[str, Any]], QualityReport]:
    rows = []
    for source in store.sources():
        rep = report(store, source_id=source["id"], top=3)
        rows.append({"source": source["id"], "type": source["type"], "datasets": rep.datasets, "mean": rep.mean,
                     "band": rep.band if rep.datasets else None, "bands": rep.bands,
                     "shacl_validated": rep.shacl["validated"], "shacl_conforming": rep.shacl["conforming"],
                     "fix_first": rep.fix_first[0].label if rep.fix_first else None})
    rows.sort(key=lambda r: (-r["mean"], r["source"]))
    return rows, report(store, top=10)


def _score_now(store: Store, record_id: str) -> dict[str, Any]:
    """A record harvested before scoring existed (or by a store that skipped it): score it now, SHACL included
    (one record costs tens of milliseconds)."""
    ensure_schema(store)
    row = store.db.execute("SELECT hash, data FROM records WHERE id = ?", (record_id,)).fetchone()
    if row is None:
        raise HTTPException(404, f"no dataset with id {record_id!r}: ids look like <source>.<16 hex digits>, as "
                                 "returned by GET /api/datasets?q=...")
    from scoring import shacl

    entry = store.load_entry(row["data"])
    verdict = shacl.validate_entry(entry)
    score_and_store(store, entry, row["hash"], shacl_conforms=verdict.conforms_alone,
                    shacl_violations=[v.as_dict() for v in verdict.violations])
    detail = quality_of(store, record_id)
    assert detail is not None
    return detail


def _config(request: Request) -> Config | None:
    """The app's config, else the running scheduler's, else the sources file; None when there is none."""
    from pipeline.scheduler import active

    config = getattr(request.app.state, "config", None)
    if config is None and (scheduler := active()) is not None:
        config = scheduler.config
    if config is None:
        try:
            config = load_config()
        except ConfigError:
            return None
    return config


def _validate_schemas(request: Request, store: Store, record_id: str) -> list[dict[str, Any]]:
    from scoring.tableschema import validate_entry, validation_client

    found = store.entry(record_id)
    assert found is not None
    config = _config(request)
    settings = config.settings if config is not None else None
    cache = request.app.state.validations
    http = validation_client(settings.http if settings else None,
                             allow_private=bool(settings and settings.allow_private_networks),
                             contact=settings.contact if settings else "moisson@example.org",
                             validators=cache.validators)
    try:
        return [v.as_dict() for v in validate_entry(found[0], http, cache)]
    finally:
        http.close()


def _answer(request: Request, format: Format | None, rep: QualityReport, title: str,
            badge: str | None = None) -> Response:
    if _wants_html(request, format):
        return quality_report_page(rep, title, badge)
    return JSONResponse(rep.as_dict())


def badge_svg(label: str, value: str, colour: str) -> str:
    """A flat shields.io-style badge; widths from a per-character estimate of Verdana 11px."""
    def width(text: str) -> int:
        return int(sum(7.5 if c.isupper() or c in "mw" else 6.2 if c.isalnum() else 4.2 for c in text)) + 10

    left, right = width(label), width(value)
    total = left + right
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
            f'aria-label="{escape(label)}: {escape(value)}"><title>{escape(label)}: {escape(value)}</title>'
            f'<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
            f'<stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="{total}" '
            f'height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="{left}" height="20" '
            f'fill="#555"/><rect x="{left}" width="{right}" height="20" fill="{colour}"/><rect width="{total}" '
            f'height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" '
            f'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
            f'<text x="{left / 2:.1f}" y="14">{escape(label)}</text>'
            f'<text x="{left + right / 2:.1f}" y="14">{escape(value)}</text></g></svg>')
