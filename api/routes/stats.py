"""Download statistics across every portal: aggregates by dimension, trend, top datasets; JSON, CSV and Parquet (the
/stats page is in :mod:`api.pages.reports`).

The figures are :mod:`index.stats` (deltas between dated counter samples, resets and baselines handled).
"""

from __future__ import annotations

import io
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api import ratelimit
from api.routes.deps import StoreDep
from index import stats
from kernel.spreadsheet import csv_text

router = APIRouter(tags=["statistics"])

By = Literal["national", "source", "publisher", "theme", "departement", "region", "schema"]
Granularity = Literal["day", "week", "month", "year"]
DateQ = Annotated[str | None, Query(description="ISO date or date-time; the period is [start, end)",
                                    pattern=r"^\d{4}-\d{2}-\d{2}")]
PARQUET = "application/vnd.apache.parquet"
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {  # what format=csv|parquet answers (and its rate limit)
    200: {"content": {"application/json": {}, "text/csv": {}, PARQUET: {}}},
    429: {"description": "too many exports from this client: retry after Retry-After seconds"},
}


def _table_response(rows: list[dict[str, Any]], columns: list[str], fmt: str, name: str) -> Response:
    """Rows as CSV or Parquet (typed columns: strings and integers)."""
    if fmt == "csv":
        return Response(csv_text(rows, columns), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({c: [row.get(c) for row in rows] for c in columns})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return Response(sink.getvalue(), media_type=PARQUET,
                    headers={"Content-Disposition": f"attachment; filename={name}.parquet"})


@router.get("/api/stats/downloads", summary="Downloads by dimension and over time, across every portal",
            response_model=None, responses=EXPORT_RESPONSES)
def downloads(
    request: Request,
    store: StoreDep,
    by: Annotated[By, Query(description="national, or one value per source, publisher, theme, département, région, "
                                        "schema")] = "national",
    start: DateQ = None,
    end: DateQ = None,
    granularity: Annotated[Granularity, Query(description="trend periods")] = "month",
    metric: Annotated[str, Query(description="downloads, views, api_calls...", pattern=r"^\w+$")] = "downloads",
    key: Annotated[str | None, Query(description="the trend of one value of `by` (e.g. a source id)")] = None,
    format: Annotated[Literal["json", "csv", "parquet"], Query()] = "json",
    table: Annotated[Literal["aggregates", "trend"], Query(description="what CSV/Parquet export")] = "aggregates",
    limit: Annotated[int | None, Query(ge=1, le=100000)] = None,
) -> dict[str, Any] | Response:
    """Counter increases within [start, end) (``downloads``) and cumulative counters to date (``total``) per value
    of ``by``, and the trend per period. The first sample of a counter is a baseline (not in any period); a counter
    that went down was reset (its new value counts). Parts of ``source`` and ``publisher`` add up to ``national``;
    a record with several themes/places/schemas counts under each."""
    if format != "json":
        ratelimit.limit(request, "export")
    aggregates = stats.aggregate(store, by, metric=metric, start=start, end=end, limit=limit)
    points = stats.trend(store, granularity=granularity, metric=metric, by=by, key=key, start=start, end=end)
    if format != "json":
        if table == "trend":
            return _table_response([asdict(p) for p in points], ["period", "downloads"], format,
                                   f"{metric}-trend-{granularity}")
        return _table_response([{"by": by, **asdict(a)} for a in aggregates],
                               ["by", "key", "downloads", "total", "datasets"], format, f"{metric}-by-{by}")
    return {"by": by, "metric": metric, "start": start, "end": end, "granularity": granularity, "key": key,
            "downloads": sum(a.downloads for a in aggregates) if by in ("national", "source", "publisher") else None,
            "aggregates": [asdict(a) for a in aggregates], "trend": [asdict(p) for p in points]}


@router.get("/api/stats/top", summary="The most downloaded datasets over a period", response_model=None,
            responses=EXPORT_RESPONSES)
def top(request: Request, store: StoreDep, start: DateQ = None, end: DateQ = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 10,
        metric: Annotated[str, Query(pattern=r"^\w+$")] = "downloads",
        format: Annotated[Literal["json", "csv", "parquet"], Query()] = "json") -> list[dict[str, Any]] | Response:
    if format != "json":
        ratelimit.limit(request, "export")
    items = [asdict(t) for t in stats.top_datasets(store, start=start, end=end, limit=limit, metric=metric)]
    if format != "json":
        return _table_response(items, ["id", "title", "publisher", "source", "downloads"], format, f"top-{metric}")
    return items
