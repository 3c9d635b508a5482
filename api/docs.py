"""``/docs``: Swagger UI served from moisson itself, so the API's documentation works offline and under the
Content-Security-Policy of :mod:`api.security`.

Why not FastAPI's own page: it loads Swagger UI from a CDN (nothing shows on a machine without the Internet, and every
reader's visit is announced to a third party) and starts it with an inline script, which a policy without inline
script refuses. Here the assets come from the ``fastapi-offline`` package (Swagger UI 5's distribution files, on
PyPI; ``swagger-ui-bundle`` ships Swagger UI 4, which cannot read the OpenAPI 3.1 that FastAPI writes) and the page
starts them with a script file of ours.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
SWAGGER_UI_FILES = Path(fastapi_offline.__file__).parent / "static"  # swagger-ui-bundle.js, swagger-ui.css

_PAGE = f"""<!doctype html><html lang=en><head><meta charset=utf-8><title>moisson — API</title>
<meta name=viewport content='width=device-width,initial-scale=1'>
<link rel=stylesheet href={ASSETS}/swagger-ui.css></head>
<body><div id=swagger-ui></div>
<script src={ASSETS}/swagger-ui-bundle.js></script><script src=/docs/start.js></script></body></html>"""

_START = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
                               presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"});
});
"""


def add_docs(app: FastAPI) -> None:
    """Mount the page, its start script and Swagger UI's files (create the app with ``docs_url=None``)."""
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI_FILES), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_PAGE)

    @app.get("/docs/start.js", include_in_schema=False)
    def start() -> Response:
        return Response(_START, media_type="text/javascript")
