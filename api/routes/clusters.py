"""Clusters: one dataset as harvested from several portals, explained (issue 14, :mod:`index.clusters`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from api.routes.deps import StoreDep, public_base
from api.routes.models import ClusterResponse
from index import clusters

router = APIRouter(prefix="/api/clusters", tags=["clusters"])


@router.get("", summary="Duplicates across portals: totals, and per source the share of copies")
def list_clusters(request: Request, store: StoreDep,
                  source: Annotated[str | None, Query(description="only clusters with a copy from this source")] = None,
                  limit: Annotated[int, Query(ge=0, le=500, description="clusters listed, largest first")] = 20,
                  ) -> dict[str, Any]:
    """How many records are copies of one another, and which portals merely re-publish others: per source, its
    records, those that have a copy elsewhere, and those that are copies of a primary record on another portal."""
    base = public_base(request)
    listed = []
    for detail in clusters.iter_clusters(store, source_id=source):
        if len(listed) >= limit:
            break
        listed.append({"id": detail["id"], "size": detail["size"], "sources": detail["sources"],
                       "primary": detail["primary"], "primary_reason": detail["primary_reason"],
                       "title": detail["records"][0]["title"], "url": f"{base}/api/clusters/{detail['id']}"})
    return {"summary": clusters.summary(store), "sources": [s.as_dict() for s in clusters.source_shares(store)],
            "clusters": listed}


@router.get("/{cluster_id}", response_model=ClusterResponse, summary="One cluster of copies, explained",
            responses={404: {"description": "no record belongs to a cluster with this id"}})
def get_cluster(cluster_id: str, store: StoreDep) -> dict[str, Any]:
    """The records of one dataset found on several portals (the primary first), why its primary was chosen, and each
    link with its signals in plain words ("same download URL ...", "demo-udata says it was harvested from ...")."""
    detail = clusters.explain(store, cluster_id)
    if detail is None:
        raise HTTPException(404, f"no cluster {cluster_id!r}: cluster ids come with every search hit (cluster_id) and "
                                 "every record (meta.cluster)")
    return detail
