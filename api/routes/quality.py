"""Metadata quality: a record's score explained, per-source and per-publisher reports, a badge per source.

Why JSON and HTML from the same route: portals read the report in a browser (``?format=html`` or an Accept header
asking for text/html) and tools read the JSON; both come from :func:`index.quality.report`, so they cannot disagree.
The HTML is rendered here with escaped f-strings (the other pages do the same, no template tree), charts are inline
SVG (:mod:`api.charts`) or CSS bars: no script, no CDN, nothing fetched by the browser.

A publisher is named in the URL by its SIREN (9 digits, the stable key of French public bodies, the one moisson's
obligation monitor uses) or else by its name as the records give it, URL-encoded (``/api/publishers/
M%C3%A9tropole%20de%20Lyon/quality``).
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from api.charts import bar_chart
from api.routes.deps import JSON, StoreDep, negotiate
from index.quality import QualityReport, ensure_schema, quality_of, report, score_and_store
from index.store import Store
from kernel.config import Config, ConfigError, load_config
from scoring.mqa import BANDS, MAX_POINTS

router = APIRouter(prefix="/api", tags=["quality"])

HTML = "text/html"
Format = Literal["json", "html"]
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
        detail["schema_validation"] = _validate_schemas(request, store, record_id)
    if _wants_html(request, format):
        return HTMLResponse(_dataset_html(detail))
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
    rep = report(store, source_id=source_id, top=top)
    title = f"source {source_id}"
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
    rep = report(store, publisher=publisher, top=top)
    if rep.datasets == 0:
        raise HTTPException(404, f"no scored active record of publisher {publisher!r}: give a SIREN (9 digits) or a "
                                 "name as the publisher facet of /api/datasets shows it")
    return _answer(request, format, rep, f"publisher {publisher}")


@router.get("/quality", summary="Every source's quality, to compare portals",
            responses={200: {"content": {HTML: {}}, "description": "JSON, or HTML with ?format=html"}})
def all_quality(request: Request, store: StoreDep,
                format: Annotated[Format | None, Query(description="overrides the Accept header")] = None,
                ) -> Response:
    """One line per source (datasets, mean score, band, bands, validated by SHACL) and the whole catalog."""
    rows = []
    for source in store.sources():
        rep = report(store, source_id=source["id"], top=3)
        rows.append({"source": source["id"], "type": source["type"], "datasets": rep.datasets, "mean": rep.mean,
                     "band": rep.band if rep.datasets else None, "bands": rep.bands,
                     "shacl_validated": rep.shacl["validated"], "shacl_conforming": rep.shacl["conforming"],
                     "fix_first": rep.fix_first[0].label if rep.fix_first else None})
    rows.sort(key=lambda r: (-r["mean"], r["source"]))
    overall = report(store, top=10)
    if _wants_html(request, format):
        return HTMLResponse(_all_html(rows, overall))
    return JSONResponse({"sources": rows, "all": overall.as_dict()})


@router.get("/sources/{source_id}/badge.svg", summary="A shields-style badge: the source's band and mean score",
            response_class=Response, responses={200: {"content": {"image/svg+xml": {}}},
                                                404: {"description": "no such source"}})
def source_badge(source_id: str, store: StoreDep) -> Response:
    if store.source(source_id) is None:
        raise HTTPException(404, f"no source {source_id!r}")
    rep = report(store, source_id=source_id, top=1)
    if rep.datasets:
        value, colour = f"{rep.band} · {rep.mean:.0f}/{MAX_POINTS}", BAND_COLOURS[rep.band]
    else:
        value, colour = "not scored", "#9f9f9f"
    return Response(badge_svg("metadata quality", value, colour), media_type="image/svg+xml",
                    headers={"Cache-Control": "max-age=3600"})


# -- helpers ------------------------------------------------------------------------------------------------------


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
    http = validation_client(settings.http if settings else None,
                             allow_private=bool(settings and settings.allow_private_networks),
                             contact=settings.contact if settings else "moisson@example.org")
    try:
        return [v.as_dict() for v in validate_entry(found[0], http)]
    finally:
        http.close()


def _answer(request: Request, format: Format | None, rep: QualityReport, title: str,
            badge: str | None = None) -> Response:
    if _wants_html(request, format):
        return HTMLResponse(_report_html(rep, title, badge))
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


# -- HTML ---------------------------------------------------------------------------------------------------------

_STYLE = """body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#222}
a{color:#0b5394}table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd;
text-align:left;vertical-align:top}th{background:#f4f4f4}.num{text-align:right}.muted{color:#666}
.band{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;color:#fff;font-weight:600}
.meter{background:#eee;width:16rem;height:.9rem;display:inline-block;vertical-align:middle}
.meter span{display:block;height:100%;background:#0b5394}ol.fixes li{margin:.4rem 0}
.ok{color:#2e7d32}.fail{color:#c62828}.na{color:#666}"""


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'><style>{_STYLE}</style></head>"
            f"<body><p class=muted><a href=/>moisson</a> · <a href=/api/quality?format=html>quality of every "
            f"source</a></p>{body}</body></html>")


def _band(name: str | None) -> str:
    if not name:
        return "<span class='band' style='background:#9f9f9f'>not scored</span>"
    return (f"<span class='band band-{escape(name)}' style='background:{BAND_COLOURS[name]}'>{escape(name)}</span>"
            f" <span class=muted>({BAND_RANGES[name]} points)</span>")


def _bar(points: float, most: float) -> str:
    share = 0 if not most else max(0.0, min(1.0, points / most))
    return f"<span class=meter title='{points:g} / {most:g}'><span style='width:{share * 100:.1f}%'></span></span>"


def histogram_svg(counts: list[int], step: int) -> str:
    """The score distribution: one bar per 45-point bucket, the lowest scores first."""
    last = len(counts) - 1
    items = [(f"{i * step}-{MAX_POINTS if i == last else (i + 1) * step - 1} points", float(n))
             for i, n in enumerate(counts)]
    return bar_chart(items, title="datasets per score range", width=560)


def _report_html(rep: QualityReport, title: str, badge: str | None) -> str:
    head = (f"<h1>Metadata quality — {escape(title)}</h1>"
            + (f"<p><img src='{escape(badge, quote=True)}' alt='badge'> <span class=muted>embed: "
               f"<code>{escape(badge)}</code></span></p>" if badge else "")
            + f"<p><strong>{rep.datasets}</strong> datasets · mean score <strong>{rep.mean:g}</strong> / {MAX_POINTS}"
              f" {_band(rep.band if rep.datasets else None)} · median {rep.median:g}</p>")
    bands = "".join(f"<tr><td>{_band(name)}</td><td class=num>{count}</td></tr>" for name, count in rep.bands.items())
    dims = "".join(
        f"<tr><td>{escape(name)}</td><td>{_bar(d['mean_points'], d['max_points'])}</td>"
        f"<td class=num>{d['mean_points']:g} / {d['max_points']:g}</td></tr>"
        for name in DIMENSIONS if (d := rep.dimensions.get(name)))
    fixes = "".join(
        f"<li class=fix data-indicator='{escape(f.indicator, quote=True)}'><strong>{escape(f.fix)}</strong><br>"
        f"<span class=muted>{escape(f.label)}: {f.datasets} datasets miss it, {f.points_each:g} points each — "
        f"{f.gain:g} points to gain</span></li>" for f in rep.fix_first)
    failing = sorted((i for i in rep.indicators if i["failing"] or i["not_checked"]),
                     key=lambda i: (-i["points_lost"], -i["not_checked"], i["key"]))
    indicator_rows = "".join(
        f"<tr><td>{escape(i['label'])}</td><td>{escape(i['dimension'])}</td><td class=num>{i['max_points']}</td>"
        f"<td class=num>{i['met_share'] * 100:.0f} %</td><td class=num>{i['failing']}</td>"
        f"<td class=num>{i['not_checked']}</td><td class=num>{i['points_lost']:g}</td></tr>" for i in failing)
    shacl = rep.shacl
    violations = "".join(f"<li>{escape(v['message'])} <span class=muted>({v['records']} datasets)</span></li>"
                         for v in shacl.get("violations", []))
    french_rows = "".join(
        f"<tr><td>{escape(c['label'])}</td><td class=num>{c['applicable']}</td><td class=num>{c['failing']}</td>"
        f"<td>{escape(c['fix'] or '')}</td></tr>" for c in rep.french)
    body = f"""{head}
<h2>Score distribution</h2>{histogram_svg(rep.histogram, MAX_POINTS // len(rep.histogram))}
<table><tr><th>band</th><th>datasets</th></tr>{bands}</table>
<h2>By FAIR dimension (mean points)</h2><table>{dims}</table>
<h2>Fix first</h2><p class=muted>Ranked by points to gain × datasets affected.</p>
<ol class=fixes>{fixes or '<li>nothing to fix: every checked indicator is met</li>'}</ol>
<h2>Indicators that fail</h2>
<table><tr><th>indicator</th><th>dimension</th><th>points</th><th>met</th><th>datasets failing</th>
<th>not checked</th><th>points lost</th></tr>{indicator_rows}</table>
<h2>DCAT-AP 3.0.1 (SHACL)</h2><p>{shacl.get('validated', 0)} validated, {shacl.get('conforming', 0)} conform,
{shacl.get('not_validated', 0)} not validated yet.</p><ul class=violations>{violations}</ul>
<h2>French rules</h2><p class=muted>Beside the MQA score, not inside its {MAX_POINTS} points.</p>
<table><tr><th>rule</th><th>datasets concerned</th><th>failing</th><th>what to do</th></tr>{french_rows}</table>
<p class=muted>JSON: add <code>?format=json</code>.</p>"""
    return _page(f"Quality — {title}", body)


_CHECK_CLASS = {"ok": "ok", "fail": "fail", "n/a": "na"}


def _link(url: str) -> str:
    """A clickable link for http(s) URLs only: a record's URL is the source's text, not to be trusted."""
    if url.lower().startswith(("http://", "https://")):
        return f"<a href='{escape(url, quote=True)}' rel='nofollow noopener'>{escape(url)}</a>"
    return escape(url)


def _dataset_html(d: dict[str, Any]) -> str:
    dims = "".join(
        f"<tr><td>{escape(name)}</td><td>{_bar(v['points'], v['max_points'])}</td>"
        f"<td class=num>{v['points']:g} / {v['max_points']:g}</td></tr>"
        for name in DIMENSIONS if (v := d["dimensions"].get(name)))
    rows = "".join(
        f"<tr><td>{escape(i['label'])}</td><td class=num>{i['points']:g} / {i['max_points']}</td>"
        f"<td class='{'ok' if i['status'] == 'met' else 'na' if i['status'].startswith('not') else 'fail'}'>"
        f"{escape(i['status'])}</td><td>{escape(i['fix'] or '')}</td></tr>" for i in d["indicators"])
    shacl = d["shacl"]
    violations = "".join(
        f"<li class='{'na' if v.get('external_reference') or v.get('severity') != 'violation' else 'fail'}'>"
        f"{escape(v['message'])}</li>" for v in shacl["violations"])
    french_rows = "".join(
        f"<tr><td>{escape(c['label'])}</td><td class='{_CHECK_CLASS[c['status']]}'>{escape(c['status'])}</td>"
        f"<td>{escape(c['detail'])}</td><td>{escape(c.get('fix') or '')}</td></tr>"
        for c in d["french"])
    links = "".join(
        f"<tr><td>{_link(link['url'])}</td>"
        f"<td class='{'ok' if link['ok'] else 'na' if link['ok'] is None else 'fail'}'>{escape(link['reason'])}</td>"
        f"<td>{escape(link.get('checked_at') or '')}</td></tr>" for link in d["links"])
    validation = ""
    if "schema_validation" in d:
        items = "".join(
            f"<li><strong>{escape(v['status'])}</strong> — {escape(v['url'] or '')} against {escape(v['schema'])}: "
            f"{escape(v['reason'])}<ul>"
            + "".join(f"<li>{escape(e['message'])}</li>" for e in v["errors"][:20]) + "</ul></li>"
            for v in d["schema_validation"])
        validation = f"<h2>Table Schema validation</h2><ul>{items or '<li>no CSV file declares a schema</li>'}</ul>"
    body = f"""<h1>Metadata quality — {escape(d.get('title') or d['record_id'])}</h1>
<p><a href='/api/datasets/{escape(d['record_id'], quote=True)}'>{escape(d['record_id'])}</a> · source
<a href='/api/sources/{escape(quote(d['source_id']), quote=True)}/quality?format=html'>{escape(d['source_id'])}</a></p>
<p>score <strong>{d['score']}</strong> / {d['max']} {_band(d['band'])}</p>
<table>{dims}</table>
<h2>Indicators</h2><table><tr><th>indicator</th><th>points</th><th>status</th><th>what to do</th></tr>{rows}</table>
<h2>DCAT-AP 3.0.1 (SHACL)</h2><p>{escape(shacl['summary'])}</p><ul class=violations>{violations}</ul>
<h2>French rules</h2><table><tr><th>rule</th><th>status</th><th>found</th><th>what to do</th></tr>{french_rows}</table>
<h2>Links</h2><table><tr><th>URL</th><th>verdict</th><th>checked</th></tr>{links}</table>{validation}
<p class=muted>computed {escape(d['computed_at'])} · JSON: add <code>?format=json</code>; validate the CSV files
against their declared Table Schema: <code>?validate=1</code></p>"""
    return _page(f"Quality — {d.get('title') or d['record_id']}", body)


def _all_html(rows: list[dict[str, Any]], overall: QualityReport) -> str:
    lines = "".join(
        f"<tr><td><a href='/api/sources/{escape(quote(r['source']), quote=True)}/quality?format=html'>"
        f"{escape(r['source'])}</a></td><td>{escape(r['type'])}</td><td class=num>{r['datasets']}</td>"
        f"<td class=num>{r['mean']:g}</td><td>{_band(r['band'])}</td>"
        f"<td class=num>{r['shacl_conforming']} / {r['shacl_validated']}</td><td>{escape(r['fix_first'] or '')}</td>"
        f"</tr>" for r in rows)
    body = f"""<h1>Metadata quality of every source</h1>
<p>{overall.datasets} datasets · mean {overall.mean:g} / {MAX_POINTS}
{_band(overall.band if overall.datasets else None)}</p>
{histogram_svg(overall.histogram, MAX_POINTS // len(overall.histogram))}
<table><tr><th>source</th><th>type</th><th>datasets</th><th>mean score</th><th>band</th><th>DCAT-AP conform /
validated</th><th>fix first</th></tr>{lines}</table>"""
    return _page("Metadata quality — moisson", body)
