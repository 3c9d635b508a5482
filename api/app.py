"""The HTTP API (FastAPI): search, records as JSON or DCAT-AP, sources and jobs, the Hydra-paged catalog.

``create_app(store_path)`` builds an app over one store (tests and the demo make several); the module-level ``app``
that ``uvicorn api.app:app`` loads is built on first access, over ``MOISSON_DB`` (or var/moisson.db), so that
importing this module touches no file. Routers live in :mod:`api.routes`, one per resource; add one with one line.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI

from api.routes import admin, catalog, clusters, datasets, history, obligations, pages, quality, sources, stats
from index.store import Store

DESCRIPTION = """moisson harvests French open-data portals (CKAN, DCAT, CSW, OpenDataSoft, udata, web pages),
normalises every record to DCAT-AP 3 and serves them here.

* `GET /api/datasets` searches (French-aware full text, facets, bbox); `GET /api/datasets/{id}` gives a record as
  JSON, or as DCAT-AP by content negotiation (`Accept: text/turtle`, `application/ld+json`, `application/rdf+xml`).
* `GET /api/catalog` is the whole aggregate as a Hydra-paged DCAT-AP catalog, for harvesters.
* `GET /api/sources` and `GET /api/jobs/{id}` tell how the harvests went, record by record.
* `GET /api/clusters/{id}` explains why records of several portals are one dataset (search shows it once).
"""


def create_app(store_path: str | os.PathLike[str] | None = None, *, base_url: str | None = None) -> FastAPI:
    """An API over the store at ``store_path`` (default: ``MOISSON_DB``, else var/moisson.db). ``base_url`` is
    the public base of the IRIs and links it writes (default: ``MOISSON_BASE_URL``, else each request's own)."""
    app = FastAPI(title="moisson", version="0.1.0", description=DESCRIPTION)
    app.state.store = Store(store_path)
    app.state.base_url = base_url
    app.include_router(pages.router)
    app.include_router(datasets.router)
    app.include_router(sources.router)
    app.include_router(catalog.router)
    app.include_router(history.router)
    app.include_router(admin.router)
    app.include_router(quality.router)
    app.include_router(obligations.router)
    app.include_router(stats.router)
    app.include_router(clusters.router)
    return app


def __getattr__(name: str) -> Any:
    """``api.app.app`` for uvicorn, created on first access (PEP 562) rather than at import."""
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
