"""Administration: start a harvest by hand, in the background, from an API call.

Why a token from the environment and nothing more: the admin surface is one action that costs the sources' servers
requests; it must be closed by default (no MOISSON_ADMIN_TOKEN, no admin API) and needs no user accounts. The
harvest runs like a scheduled one: through the scheduler when `moisson serve` runs one, else in a background thread,
within the process's concurrency limit and under the store's per-source lock either way.
"""

from __future__ import annotations

import hmac
import os
import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, status
from pydantic import BaseModel, Field

from api.routes.deps import StoreDep
from kernel.config import Config, ConfigError, load_config

router = APIRouter(prefix="/api/admin", tags=["admin"])

TOKEN_ENV = "MOISSON_ADMIN_TOKEN"


def require_token(authorization: Annotated[str | None, Header(description="Bearer <MOISSON_ADMIN_TOKEN>")] = None,
                  ) -> None:
    """401 unless ``Authorization: Bearer <token>`` matches MOISSON_ADMIN_TOKEN (unset: the admin API is closed)."""
    expected = os.environ.get(TOKEN_ENV)
    scheme, _, given = (authorization or "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                              expected.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            "admin token required: send Authorization: Bearer <token>, the value of "
                            f"{TOKEN_ENV} on the server (unset there: the admin API is closed)",
                            headers={"WWW-Authenticate": "Bearer"})


class HarvestStarted(BaseModel):
    source: str
    mode: str = Field(description="full, incremental, or auto (chosen as for a scheduled run)")
    status: Literal["started"] = "started"
    via: Literal["scheduler", "thread"] = Field(description="who runs it: the running scheduler, or this process")
    jobs: str = Field(description="where to follow it: the source's job log")


def _config(request: Request) -> Config:
    """The config of the running scheduler, else the app's, else the sources file (MOISSON_CONFIG...)."""
    from pipeline.scheduler import active

    scheduler = active()
    if scheduler is not None:
        return scheduler.config
    config = getattr(request.app.state, "config", None)
    if config is not None:
        return config
    try:
        return load_config()
    except ConfigError as exc:
        raise HTTPException(503, f"no usable sources file on the server: {exc}") from None


@router.post("/harvest/{source_id}", status_code=status.HTTP_202_ACCEPTED, response_model=HarvestStarted,
             dependencies=[Depends(require_token)], summary="Start a harvest of a source in the background",
             responses={401: {"description": "no or wrong admin token"}, 404: {"description": "unknown source"},
                        409: {"description": "the source is being harvested, or is disabled"}})
def start_harvest(request: Request, store: StoreDep,
                  source_id: Annotated[str, Path(description="a source id of the sources file")],
                  mode: Annotated[Literal["full", "incremental"] | None,
                                  Query(description="default: full when a sweep is due, else incremental")] = None,
                  ) -> dict[str, Any]:
    """Answers at once (202); the job appears in GET /api/sources/{source_id}/jobs when it starts."""
    from pipeline.runner import run_one
    from pipeline.scheduler import active

    config = _config(request)
    try:
        source = config.source(source_id)
    except ConfigError as exc:
        raise HTTPException(404, str(exc)) from None
    if not source.enabled:
        raise HTTPException(409, f"source {source_id!r} is disabled in the sources file")
    if (lock := store.harvest_lock(source_id)) is not None:
        raise HTTPException(409, f"source {source_id!r} is being harvested by job {lock['job_id']} since "
                                 f"{lock['acquired_at']}")
    scheduler = active()
    if scheduler is not None:
        scheduler.run_now(source_id, mode)
        via = "scheduler"
    else:
        threading.Thread(target=run_one, args=(store.path, source, config), kwargs={"mode": mode},
                         name=f"harvest-{source_id}", daemon=True).start()
        via = "thread"
    return {"source": source_id, "mode": mode or "auto", "via": via, "jobs": f"/api/sources/{source_id}/jobs"}
