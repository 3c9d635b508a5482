"""The report pages in French on the site's templates: metadata quality (a record, a source, a publisher, every
source), the open-data obligation (``/obligations``) and download statistics (``/stats``).

The quality pages are served by the JSON routes of :mod:`api.routes.quality` when a browser asks for HTML (the same
report, so they cannot disagree); the obligation and statistics pages are routes of their own here. Charts are the
server-drawn SVG of :mod:`api.charts`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from api.charts import bar_chart, departement_map, line_chart
from api.pages.render import page, percent
from api.routes.deps import StoreDep
from index import obligations, registry_baseline, stats
from index.bodies import TYPE_LABELS
from index.obligations import Rate
from index.publishers import OverrideError
from index.quality import QualityReport
from scoring.mqa import BANDS, INDICATORS, MAX_POINTS

router = APIRouter(include_in_schema=False)

DIMENSIONS = ("findability", "accessibility", "interoperability", "reusability", "contextuality")
BAND_RANGES = {name: f"{floor} à {(BANDS[i - 1][0] - 1) if i else MAX_POINTS}" for i, (floor, name) in enumerate(BANDS)}
STATUS_LABELS = {"publishes": "publie", "shared": "via un portail mutualisé", "none": "ne publie pas"}
COMPARISON_LABELS = {"both": "connu et vu", "registry_only": "connu des registres, pas vu",
                     "live_only": "vu, inconnu des registres", "neither": "rien de connu"}
PERIOD_LABELS = {"day": "jour", "week": "semaine", "month": "mois", "year": "année"}
Granularity = Literal["day", "week", "month", "year"]


def histogram(counts: list[int]) -> Markup:
    """The score distribution: one bar per 45-point bucket, the lowest scores first."""
    step = MAX_POINTS // len(counts)
    last = len(counts) - 1
    items = [(f"{i * step} à {MAX_POINTS if i == last else (i + 1) * step - 1} points", float(n))
             for i, n in enumerate(counts)]
    return Markup(bar_chart(items, title="Jeux de données par tranche de score", width=560))


# -- quality ------------------------------------------------------------------------------------------------------


def quality_report_page(rep: QualityReport, title: str, badge: str | None) -> HTMLResponse:
    failing = sorted((i for i in rep.indicators if i["failing"] or i["not_checked"]),
                     key=lambda i: (-i["points_lost"], -i["not_checked"], i["key"]))
    own = [v for v in rep.shacl.get("violations", [])]
    return page("quality_report.html", rep=rep, title=title, badge=badge, max_points=MAX_POINTS,
                band_ranges=BAND_RANGES, dimensions=[(n, rep.dimensions[n]) for n in DIMENSIONS
                                                      if n in rep.dimensions],
                histogram=histogram(rep.histogram), failing=failing, violations=own)


def dataset_quality_page(detail: dict[str, Any]) -> HTMLResponse:
    shacl = detail["shacl"]
    own = [v for v in shacl["violations"] if v.get("severity") == "violation" and not v.get("external_reference")]
    external = [v for v in shacl["violations"] if v.get("external_reference")]
    from api.pages.fr import shacl_summary

    return page("quality_dataset.html", d=detail, max_points=MAX_POINTS, band_ranges=BAND_RANGES,
                dimensions=[(n, detail["dimensions"][n]) for n in DIMENSIONS if n in detail["dimensions"]],
                shacl_summary=shacl_summary(shacl["validated"], shacl.get("conforms"), len(own), len(external)),
                quote=quote)


def all_quality_page(rows: list[dict[str, Any]], overall: QualityReport) -> HTMLResponse:
    key_of = {i.label: i.key for i in INDICATORS}
    rows = [{**r, "fix_first_key": key_of.get(r["fix_first"] or "")} for r in rows]
    return page("quality_all.html", rows=rows, overall=overall, max_points=MAX_POINTS, band_ranges=BAND_RANGES,
                histogram=histogram(overall.histogram), quote=quote)


# -- obligation ---------------------------------------------------------------------------------------------------


def _monitor(store: Any) -> obligations.Monitor:
    try:
        return obligations.current(store)
    except OverrideError as exc:  # a broken config/publishers.yaml: say which entry, do not serve wrong figures
        raise HTTPException(500, str(exc)) from exc


def _rate_rows(rates: list[Rate], link: str | None = None) -> list[dict[str, Any]]:
    return [{"label": r.label, "code": r.scope.split(":", 1)[1] if ":" in r.scope else "", "link": link,
             "bodies": r.bodies, "direct": r.direct, "shared": r.shared, "rate": percent(r.rate, 1)}
            for r in sorted(rates, key=lambda r: (-r.rate, r.label))]


@router.get("/obligations", response_class=HTMLResponse)
def obligations_page(store: StoreDep, region: str | None = None, departement: str | None = None) -> HTMLResponse:
    monitor = _monitor(store)
    rates = monitor.rates()
    national = rates["national"][0]
    points = [(p.day, p.rate) for p in obligations.trend(store)]
    dep_rates = {r.scope.split(":", 1)[1]: (r.rate, r.compliant, r.bodies) for r in rates["by_departement"]}
    chosen = [(label, code, key) for label, code, key in
              [("région", region, "region"), ("département", departement, "departement")] if code]
    bodies = monitor.filtered(region=region, departement=departement) if chosen else []
    return page(
        "obligations.html", monitor=monitor, national=national, national_rate=percent(national.rate, 1),
        unmatched=len(monitor.unmatched()), baseline=registry_baseline.summary(monitor.bodies)["national"],
        trend=Markup(line_chart(points, title="Taux national de conformité (instantanés datés)", percent=True)),
        by_type=Markup(bar_chart([(r.label, r.rate) for r in rates["by_type"]], title="Taux par type d'organisme",
                                 percent=True, width=460)),
        france=Markup(departement_map(dep_rates, title="Taux par département (taille : nombre d'organismes "
                                                       "soumis)")),
        chosen=chosen, bodies=bodies, type_labels=TYPE_LABELS, status_labels=STATUS_LABELS,
        comparison_labels=COMPARISON_LABELS,
        query="&".join(f"{key}={quote(code)}" for _, code, key in chosen),
        by_region=_rate_rows(rates["by_region"], "region"),
        by_departement=_rate_rows(rates["by_departement"], "departement"))


# -- statistics ---------------------------------------------------------------------------------------------------

DateQ = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}")]


@router.get("/stats", response_class=HTMLResponse)
def stats_page(store: StoreDep, start: DateQ = None, end: DateQ = None,
               granularity: Granularity = "month") -> HTMLResponse:
    national = stats.aggregate(store, "national", start=start, end=end)
    points = stats.trend(store, granularity=granularity, start=start, end=end)
    publishers = stats.aggregate(store, "publisher", start=start, end=end, limit=12)
    return page(
        "stats.html", start=start, end=end,
        downloads=national[0].downloads if national else 0, total=national[0].total if national else 0,
        datasets=national[0].datasets if national else 0,
        chart=Markup(line_chart([(p.period, p.downloads) for p in points],
                                title=f"Téléchargements par {PERIOD_LABELS[granularity]}")),
        sources=stats.aggregate(store, "source", start=start, end=end),
        by_publisher=Markup(bar_chart([(a.key, a.downloads) for a in publishers],
                                      title="Éditeurs les plus téléchargés")),
        top=stats.top_datasets(store, start=start, end=end, limit=15))
