"""A record's history: every version the store kept (new, updated, withdrawn, restored) and what changed between two.

Why: an aggregator republishes what others wrote; when a title, a licence or a download link changes, a reuser must
be able to see when, in which harvest job, and exactly which fields, without fetching the source's own history.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from api.routes.deps import SQL_INT_MAX, StoreDep
from index.store import Store

router = APIRouter(prefix="/api/datasets", tags=["history"])


class Version(BaseModel):
    version: int = Field(description="1 when first harvested, +1 at every change, withdrawal or restoration")
    at: str = Field(description="when the version was stored (ISO 8601, UTC)")
    job_id: int = Field(description="the harvest job that stored it: GET /api/jobs/{job_id}")
    change: Literal["new", "updated", "withdrawn", "restored"]
    hash: str = Field(description="digest of the record's content at this version")


class History(BaseModel):
    id: str
    status: Literal["active", "withdrawn"]
    versions: list[Version] = Field(description="oldest first")


class Change(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    path: str = Field(description="dotted field path; list items by an identifying field, e.g. "
                                  "distributions[download_url=https://...].format, else by position")
    change: Literal["added", "removed", "changed"]
    from_: Any = Field(None, alias="from", description="the value before (removed, changed)")
    to: Any = Field(None, description="the value after (added, changed)")


class Diff(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    from_: Version = Field(alias="from")
    to: Version
    changes: list[Change] = Field(description="empty when the versions say the same (a withdrawal, for instance)")
    summary: dict[str, int] = Field(description="how many paths were added, removed and changed")


def _versions_or_404(store: Store, record_id: str) -> list[dict[str, Any]]:
    versions = store.history(record_id)
    if not versions:
        raise HTTPException(404, f"no record {record_id!r}")
    return versions


@router.get("/{record_id}/history", response_model=History, summary="Every version of a record",
            responses={404: {"description": "no record with this id"}})
def get_history(record_id: str, store: StoreDep) -> dict[str, Any]:
    """The versions of a record, oldest first, each with its time, the harvest job that stored it and the kind of
    change. A withdrawn record keeps its history; if its source restores it, a ``restored`` version follows."""
    versions = _versions_or_404(store, record_id)
    found = store.entry(record_id)
    status = found[1]["status"] if found else "withdrawn"
    return {"id": record_id, "status": status, "versions": versions}


@router.get("/{record_id}/diff", response_model=Diff, summary="What changed between two versions of a record",
            responses={404: {"description": "no record with this id, or no such version"}})
def get_diff(record_id: str, store: StoreDep,
             from_: Annotated[int | None, Query(alias="from", ge=1, le=SQL_INT_MAX,
                                                description="default: the version before `to`")] = None,
             to: Annotated[int | None, Query(ge=1, le=SQL_INT_MAX, description="default: the latest version")] = None,
             ) -> dict[str, Any]:
    """A field-level diff: the paths added, removed and changed from version ``from`` to version ``to`` (either
    order; the same version twice gives no change). Download and view counters are not part of a version."""
    versions = {v["version"]: v for v in _versions_or_404(store, record_id)}
    latest = max(versions)
    to = latest if to is None else to
    from_ = max(1, to - 1) if from_ is None else from_
    for wanted in (from_, to):
        if wanted not in versions:
            raise HTTPException(404, f"record {record_id!r} has no version {wanted} (versions 1 to {latest})")
    changes = store.diff(record_id, from_, to) or []
    summary = {kind: sum(c["change"] == kind for c in changes) for kind in ("added", "removed", "changed")}
    return {"id": record_id, "from": versions[from_], "to": versions[to], "changes": changes, "summary": summary}
