"""The open-data obligation monitor: bodies under obligation and their status, rates, trend, publisher matches, and
the page a ministry reads at a glance (/obligations).

The monitor itself is :mod:`index.obligations` (cached per store until records, scores or overrides change).
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from api import ratelimit
from api.charts import bar_chart, departement_map, line_chart, report_page
from api.routes.deps import StoreDep
from index import obligations
from index.bodies import TYPE_LABELS
from index.obligations import Rate
from index.publishers import OverrideError

router = APIRouter(tags=["obligations"])

Status = Literal["publishes", "shared", "none", "compliant"]
BodyType = Literal["commune", "epci", "departement", "region"]
STATUS_LABELS = {"publishes": "publie", "shared": "via un portail mutualisé", "none": "ne publie pas"}


def _monitor(store: Any) -> obligations.Monitor:
    try:
        return obligations.current(store)
    except OverrideError as exc:  # a broken config/publishers.yaml: say which entry, do not serve wrong figures
        raise HTTPException(500, str(exc)) from exc


@router.get("/api/obligations", summary="Bodies under the open-data obligation and whether they publish",
            response_model=None, responses={200: {"content": {"application/json": {}, "text/csv": {}}},
                                            429: {"description": "too many CSV exports from this client"}})
def list_obligations(
    request: Request,
    store: StoreDep,
    region: Annotated[str | None, Query(description="INSEE région code, e.g. 84")] = None,
    departement: Annotated[str | None, Query(description="INSEE département code, e.g. 69")] = None,
    type: Annotated[BodyType | None, Query(description="kind of body")] = None,
    status: Annotated[Status | None, Query(description="publishes, shared (only through a shared portal), none, "
                                                        "or compliant (publishes or shared)")] = None,
    format: Annotated[Literal["json", "csv"], Query(description="csv: every matching body, one per row")] = "json",
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any] | Response:
    """Every body under the obligation (communes > 3,500 inhabitants, their EPCI, départements, régions) with its
    status, datasets, sources, the bodies whose shared portal it publishes through, last update, mean MQA score and
    the socle-commun schemas it covers. JSON pages through them; CSV gives them all."""
    monitor = _monitor(store)
    bodies = monitor.filtered(region=region, departement=departement, type=type, status=status)
    if format == "csv":
        ratelimit.limit(request, "export")
        return Response(obligations.to_csv(bodies), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=obligations.csv"})
    return {"computed_at": monitor.computed_at, "total": len(bodies), "offset": offset, "limit": limit,
            "items": [obligations.body_dict(b) for b in bodies[offset:offset + limit]]}


@router.get("/api/obligations/summary", summary="Rates: national, by type of body, région, département; trend")
def obligations_summary(store: StoreDep) -> dict[str, Any]:
    """Compliance rates (bodies that publish, directly or through a shared portal, over bodies under obligation) and
    the national trend from the dated snapshots (written after harvests and by `moisson obligations snapshot`)."""
    monitor = _monitor(store)
    rates = monitor.rates()
    return {"computed_at": monitor.computed_at,
            **{name: [r.as_dict() for r in values] for name, values in rates.items()},
            "national": rates["national"][0].as_dict(),
            "trend": [p.as_dict() for p in obligations.trend(store)],
            "unmatched_publishers": len(monitor.unmatched())}


@router.get("/api/obligations/trend", summary="Snapshots of one scope over time")
def obligations_trend(store: StoreDep,
                      scope: Annotated[str, Query(description="national, type:commune, region:84, departement:69")]
                      = "national",
                      start: str | None = None, end: str | None = None) -> list[dict[str, Any]]:
    return [p.as_dict() for p in obligations.trend(store, scope, start=start, end=end)]


@router.get("/api/obligations/publishers", summary="Harvested publishers and the body each is matched to")
def obligation_publishers(
    store: StoreDep,
    matched: Annotated[bool | None, Query(description="true: matched only; false: unmatched only")] = None,
) -> list[dict[str, Any]]:
    """Each publisher (name, SIREN) with the body it is linked to, the rule that matched and its confidence, or why
    it is not matched (no body of that name, ambiguous with its candidates, another kind of body)."""
    monitor = _monitor(store)
    items = monitor.matches if matched is None else [m for m in monitor.matches if (m.body_id is not None) == matched]
    return [m.as_dict() for m in items]


# -- the page ---------------------------------------------------------------------------------------------------------


def _pct(rate: Rate) -> str:
    return f"{rate.rate * 100:.1f} %".replace(".", ",")


def _rate_rows(rates: list[Rate], link: str | None = None) -> str:
    rows = []
    for r in sorted(rates, key=lambda r: (-r.rate, r.label)):
        label = escape(r.label)
        if link:
            code = r.scope.split(":", 1)[1]
            label = f"<a href='/obligations?{link}={escape(code, quote=True)}'>{label}</a> " \
                    f"<span class=muted>{escape(code)}</span>"
        rows.append(f"<tr><td>{label}</td><td class=n>{r.bodies}</td><td class=n>{r.direct}</td>"
                    f"<td class=n>{r.shared}</td><td class=n>{_pct(r)}</td></tr>")
    return ("<table><tr><th></th><th class=n>organismes</th><th class=n>publient</th><th class=n>mutualisé</th>"
            "<th class=n>taux</th></tr>" + "".join(rows) + "</table>")


@router.get("/obligations", response_class=HTMLResponse, include_in_schema=False)
def obligations_page(store: StoreDep, region: str | None = None, departement: str | None = None) -> HTMLResponse:
    monitor = _monitor(store)
    rates = monitor.rates()
    national = rates["national"][0]
    kpis = "".join(
        f"<div class=kpi><span class=muted>{escape(label)}</span><b>{value}</b></div>"
        for label, value in [("Taux national", _pct(national)), ("Organismes soumis", f"{national.bodies:,}"),
                             ("Publient eux-mêmes", national.direct), ("Via un portail mutualisé", national.shared),
                             ("Jeux de données", national.datasets),
                             ("Éditeurs non rattachés", len(monitor.unmatched()))])
    points = [(p.day, p.rate) for p in obligations.trend(store)]
    trend_svg = line_chart(points, title="Taux national de conformité (instantanés datés)", percent=True)
    by_type = bar_chart([(r.label, r.rate) for r in rates["by_type"]], title="Taux par type d'organisme",
                        percent=True, width=460)
    dep_rates = {r.scope.split(":", 1)[1]: (r.rate, r.compliant, r.bodies) for r in rates["by_departement"]}
    france = departement_map(dep_rates, title="Taux par département (taille : nombre d'organismes soumis)")
    filters = [("région", region, "region"), ("département", departement, "departement")]
    chosen = [(label, code, key) for label, code, key in filters if code]
    listing = ""
    if chosen:
        bodies = monitor.filtered(region=region, departement=departement)
        rows = "".join(
            f"<tr><td>{escape(b.name)}</td><td>{escape(TYPE_LABELS[b.type])}</td><td class=n>{b.population:,}</td>"
            f"<td>{escape(STATUS_LABELS[b.status])}</td><td class=n>{b.datasets + b.shared_datasets}</td>"
            f"<td>{escape(', '.join(b.sources))}</td><td class=n>{'' if b.quality is None else b.quality}</td>"
            f"<td>{escape(', '.join(b.schemas))}</td><td>{escape((b.last_update or '')[:10])}</td></tr>"
            for b in bodies)
        what = ", ".join(f"{label} {escape(code)}" for label, code, _ in chosen)
        query = "&".join(f"{key}={escape(code, quote=True)}" for _, code, key in chosen)
        listing = (f"<h2>Organismes — {what}</h2><p><a href='/api/obligations?{query}&format=csv'>CSV</a></p>"
                   "<table><tr><th>organisme</th><th>type</th><th class=n>population</th><th>statut</th>"
                   "<th class=n>jeux</th><th>sources</th><th class=n>qualité /405</th><th>socle commun</th>"
                   f"<th>mise à jour</th></tr>{rows}</table>")
    body = f"""<h1>Obligation d'ouverture des données des collectivités</h1>
<p class=muted>Loi pour une République numérique (art. 6) : collectivités de plus de 3 500 habitants, leurs EPCI à
fiscalité propre, départements et régions (le critère des 50 agents n'est pas applicable faute de données).
Calculé le {escape(monitor.computed_at)}. Données : <a href=/api/obligations>/api/obligations</a>
(<a href='/api/obligations?format=csv'>CSV</a>), <a href=/api/obligations/summary>/api/obligations/summary</a>,
<a href='/api/obligations/publishers?matched=false'>éditeurs non rattachés</a>.</p>
<div class=kpis>{kpis}</div>
<div class=grid><div>{trend_svg}{by_type}</div><div>{france}</div></div>
{listing}
<div class=grid><div><h2>Par région</h2>{_rate_rows(rates["by_region"], "region")}</div>
<div><h2>Par département</h2>{_rate_rows(rates["by_departement"], "departement")}</div></div>"""
    return HTMLResponse(report_page("Obligation open data — moisson", body))
