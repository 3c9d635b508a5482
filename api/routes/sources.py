"""Sources and their harvest jobs: what is harvested, how the last harvests went, and why a record failed."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Path, Query

from api.routes.deps import SQL_INT_MAX, StoreDep, until_commit
from api.routes.models import JobDetail, JobSummary, SourceDetail, SourceSummary
from index.store import Store

router = APIRouter(prefix="/api", tags=["sources"])


def _summary(store: Store, row: dict[str, Any], records: int | None = None) -> dict[str, Any]:
    jobs = store.jobs(row["id"], limit=1)
    return {
        "id": row["id"], "type": row["type"], "url": row["url"], "name": row.get("name"),
        "enabled": bool(row["enabled"]),
        "records": records if records is not None else store.count(source_id=row["id"]),
        "last_success": row.get("last_success"), "last_full_sweep": row.get("last_full_sweep"),
        "last_job": jobs[0] if jobs else None,
    }


def _source_or_404(store: Store, source_id: str) -> dict[str, Any]:
    row = store.source(source_id)
    if row is None:
        raise HTTPException(404, f"no source {source_id!r}: GET /api/sources lists them")
    return row


@router.get("/sources", response_model=list[SourceSummary], summary="Every source, with its last job")
def list_sources(store: StoreDep) -> list[dict[str, Any]]:
    """Sources known to the store (those of the sources file, and disabled ones left out of it), with their
    active record counts and the summary of their last harvest job. Cached until the next commit: the counts walk
    every record's index entry (~100 ms at 1M records)."""
    return until_commit(store, ("sources",), lambda: [_summary(store, row, row["records"]) for row in store.sources()])


@router.get("/sources/{source_id}", response_model=SourceDetail, summary="One source",
            responses={404: {"description": "no such source"}})
def get_source(source_id: str, store: StoreDep) -> dict[str, Any]:
    row = _source_or_404(store, source_id)
    config = orjson.loads(row["config"]) if row.get("config") else {}
    return {**_summary(store, row), "schedule": config.get("schedule"), "publisher": config.get("publisher"),
            "added_at": row["added_at"], "updated_at": row["updated_at"]}


@router.get("/sources/{source_id}/jobs", response_model=list[JobSummary], summary="The job log of a source",
            responses={404: {"description": "no such source"}})
def source_jobs(source_id: str, store: StoreDep,
                limit: Annotated[int, Query(ge=1, le=1000, description="most recent first")] = 50,
                ) -> list[dict[str, Any]]:
    _source_or_404(store, source_id)
    return store.jobs(source_id, limit=limit)


@router.get("/jobs/{job_id}", response_model=JobDetail, summary="One job, with its per-record errors",
            responses={404: {"description": "no such job"}})
def get_job(job_id: Annotated[int, Path(ge=1, le=SQL_INT_MAX)], store: StoreDep) -> dict[str, Any]:
    """A harvest job with every record (or page) it could not harvest and why, and its HTTP retries."""
    job = store.job(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id}: GET /api/sources/{{id}}/jobs lists a source's jobs")
    return job
