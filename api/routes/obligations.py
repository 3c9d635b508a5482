"""The open-data obligation monitor: bodies under obligation and their status, rates, trend, publisher matches, and
the data behind the page a ministry reads at a glance (/obligations, in :mod:`api.pages.reports`).

The monitor itself is :mod:`index.obligations` (cached per store until records, scores or overrides change).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from api import ratelimit
from api.routes.deps import StoreDep
from index import obligations, registry_baseline
from index.publishers import OverrideError

router = APIRouter(tags=["obligations"])

Status = Literal["publishes", "shared", "none", "compliant"]
Comparison = Literal["both", "registry_only", "live_only", "neither"]
BodyType = Literal["commune", "epci", "departement", "region"]


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
    comparison: Annotated[Comparison | None, Query(
        description="the registries' view against the live one: both, registry_only (a registry lists the body as "
                    "publishing, moisson does not see it: the gap), live_only, neither")] = None,
    format: Annotated[Literal["json", "csv"], Query(description="csv: every matching body, one per row")] = "json",
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any] | Response:
    """Every body under the obligation (communes > 3,500 inhabitants, their EPCI, départements, régions) with its
    status, datasets, sources, the bodies whose shared portal it publishes through, last update, mean MQA score and
    the socle-commun schemas it covers. JSON pages through them; CSV gives them all."""
    monitor = _monitor(store)
    bodies = monitor.filtered(region=region, departement=departement, type=type, status=status)
    bodies = registry_baseline.filtered(bodies, comparison)
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
            "unmatched_publishers": len(monitor.unmatched()),
            "registry_baseline": registry_baseline.summary(monitor.bodies)}


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
