"""The HTTP API (FastAPI): search, records as JSON or DCAT-AP, sources and jobs, the Hydra-paged catalog.

``create_app(store_path)`` builds an app over one store (tests and the demo make several); the module-level ``app``
that ``uvicorn api.app:app`` loads is built on first access, over ``MOISSON_DB`` (or var/moisson.db), so that
importing this module touches no file. Routers live in :mod:`api.routes`, one per resource; add one with one line.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from api import pages
from api.docs import add_docs
from api.pages import render
from api.ratelimit import RateLimits
from api.report_cache import ReportCache
from api.routes import admin, catalog, clusters, datasets, history, obligations, quality, sources, stats
from api.security import SecurityMiddleware
from index.search import IndexUnavailableError, SearchGate
from index.store import Store
from scoring.tableschema import ValidationCache

DESCRIPTION = """moisson harvests French open-data portals (CKAN, DCAT, CSW, OpenDataSoft, udata, web pages),
normalises every record to DCAT-AP 3 and serves them here.

* `GET /api/datasets` searches (French-aware full text, facets, bbox); `GET /api/datasets/{id}` gives a record as
  JSON, or as DCAT-AP by content negotiation (`Accept: text/turtle`, `application/ld+json`, `application/rdf+xml`).
* `GET /api/catalog` is the whole aggregate as a Hydra-paged DCAT-AP catalog, for harvesters.
* `GET /api/sources` and `GET /api/jobs/{id}` tell how the harvests went, record by record.
* `GET /api/clusters/{id}` explains why records of several portals are one dataset (search shows it once).
"""


def create_app(store_path: str | os.PathLike[str] | None = None, *, base_url: str | None = None,
               allowed_hosts: list[str] | None = None) -> FastAPI:
    """An API over the store at ``store_path`` (default: ``MOISSON_DB``, else var/moisson.db). ``base_url`` is
    the public base of the IRIs and links it writes (default: ``MOISSON_BASE_URL``, else each request's own, whose
    host must then be among ``allowed_hosts``: default ``MOISSON_ALLOWED_HOSTS``, else loopback names only)."""
    app = FastAPI(title="moisson", version="0.1.0", description=DESCRIPTION, docs_url=None, redoc_url=None)
    app.state.store = Store(store_path)
    app.state.base_url = base_url
    app.state.validations = ValidationCache()  # ?validate=1 verdicts per file version (issue 13)
    app.state.rate_limits = RateLimits()  # per client, on the expensive endpoints (issue 13)
    app.state.search_gate = SearchGate()  # heavy searches one at a time, within a deadline (issue 13)
    app.state.reports = ReportCache()  # quality reports shared, the large ones one at a time
    app.add_middleware(SecurityMiddleware, base_url=base_url, hosts=allowed_hosts)
    add_docs(app)
    app.include_router(datasets.router)
    app.include_router(sources.router)
    app.include_router(catalog.router)
    app.include_router(history.router)
    app.include_router(admin.router)
    app.include_router(quality.router)
    app.include_router(obligations.router)
    app.include_router(stats.router)
    app.include_router(clusters.router)
    pages.install(app)  # the French search site: search, dataset, publisher, source pages, feeds
    app.add_exception_handler(IndexUnavailableError, _search_unavailable)
    return app


async def _search_unavailable(request: Request, exc: Exception) -> JSONResponse | HTMLResponse:
    """The search engine is down or unusable (issue 16): 503 with the reason, for the API in English, for people in
    French; the rest of the API (records, catalog, sources) does not need it and keeps answering."""
    headers = {"Retry-After": "30"}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": f"search is unavailable: {exc}"}, status_code=503, headers=headers)
    return render.page("error.html", status_code=503, headers=headers,
                       heading="Recherche momentanément indisponible",
                       message="Le moteur de recherche ne répond pas ; réessayez dans un instant. Les fiches restent "
                               "consultables par l’API.")


def __getattr__(name: str) -> Any:
    """``api.app.app`` for uvicorn, created on first access (PEP 562) rather than at import."""
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
