"""The pages for people: a French search site over the catalogue, beside the JSON API.

One module per page family — :mod:`~api.pages.search` (search, map), :mod:`~api.pages.dataset`,
:mod:`~api.pages.bodies` (publishers, sources), :mod:`~api.pages.feeds` (Atom, sitemap, robots.txt),
:mod:`~api.pages.reports` (quality, obligation and statistics pages) — rendered from ``api/templates/`` (Jinja2,
autoescaped) with ``api/static/`` (one stylesheet, one small script, the map's data). :func:`install` adds them to
an app.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.pages import bodies, dataset, feeds, reports, search
from api.pages.render import STATIC


def install(app: FastAPI) -> None:
    for module in (search, dataset, bodies, feeds, reports):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
