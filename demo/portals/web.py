"""A small website without an API, for the web crawler: pages with schema.org JSON-LD, a sitemap, a robots.txt that
forbids a section, and a page linking a DCAT feed.

The site (demo/data/web/site/, written for moisson, fictional content) is served with ``{{BASE}}`` replaced by the
site's absolute URL, since robots.txt, sitemaps and JSON-LD ids need absolute URLs and the server's port is chosen
at start. What the crawler must find (the tests assert it) is listed in demo/data/web/README.md.
"""

from __future__ import annotations

import threading
from pathlib import Path

from demo.portals.static import CONTENT_TYPES
from demo.server import PortalServer, Request, Response

STUB_FILES = {".csv": ("text/csv", b"id;valeur\n1;42\n"), ".geojson": ("application/geo+json",
              b'{"type": "FeatureCollection", "features": []}'), ".json": ("application/json", b"[]")}


class WebSite:
    """Serve a folder of pages; ``put`` adds or replaces a page between crawls (tests)."""

    def __init__(self, root: Path) -> None:
        self.lock = threading.Lock()
        self.pages: dict[str, str] = {}
        for path in root.rglob("*"):
            if path.is_file():
                self.pages["/" + path.relative_to(root).as_posix()] = path.read_text("utf-8")

    def put(self, path: str, text: str) -> None:
        with self.lock:
            self.pages["/" + path.lstrip("/")] = text

    def remove(self, path: str) -> None:
        with self.lock:
            self.pages.pop("/" + path.lstrip("/"), None)

    def __call__(self, request: Request) -> Response:
        path = request.path
        if path.endswith("/"):
            path += "index.html"
        with self.lock:
            text = self.pages.get(path)
        if text is None:
            if path.startswith("/fichiers/"):
                suffix = Path(path).suffix
                content_type, body = STUB_FILES.get(suffix, ("application/octet-stream", b"demo"))
                return Response(200, body, content_type=content_type)
            return Response(404, b"<h1>Page introuvable</h1>", content_type="text/html; charset=utf-8")
        content_type = CONTENT_TYPES.get(Path(path).suffix, "text/plain; charset=utf-8")
        if content_type.startswith("text/") and "charset" not in content_type:
            content_type += "; charset=utf-8"
        return Response(200, text.replace("{{BASE}}", request.base_url).encode("utf-8"), content_type=content_type)


_SERVERS: list[PortalServer] = []


def demo_portals(server: PortalServer, data_dir: Path) -> list[dict]:
    """Start the demo website on a server of its own; return its sources.yaml entry.

    Why not on the shared server: robots.txt and sitemap.xml only mean something at the root of a host, and the
    shared server's root belongs to no portal."""
    site_server = PortalServer().start()
    _SERVERS.append(site_server)
    url = site_server.mount("", WebSite(data_dir / "site"))
    return [{"id": "demo-web", "type": "web", "url": url + "/", "name": "Site du Val de Démo (sans API)",
             "options": {"max_depth": 3, "max_pages": 100}}]


def stop_demo_portals() -> None:
    while _SERVERS:
        _SERVERS.pop().stop()
