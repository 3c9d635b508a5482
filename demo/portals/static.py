"""Serve files (DCAT catalogs, data.json, sitemaps...) with ETag and Last-Modified, answering conditional GETs."""

from __future__ import annotations

import hashlib
import mimetypes
from email.utils import formatdate
from pathlib import Path

from demo.server import Request, Response

CONTENT_TYPES = {
    ".ttl": "text/turtle", ".rdf": "application/rdf+xml", ".xml": "application/xml", ".jsonld": "application/ld+json",
    ".json": "application/json", ".nt": "application/n-triples", ".html": "text/html; charset=utf-8",
    ".txt": "text/plain",
}


class StaticFiles:
    """Map URL paths to bytes. ``files`` may be changed between requests (tests edit a catalog in place)."""

    def __init__(self, files: dict[str, bytes | Path] | None = None, mtime: float = 1_700_000_000.0) -> None:
        self.files: dict[str, bytes | Path] = dict(files or {})
        self.mtime = mtime

    def put(self, path: str, content: bytes | Path) -> None:
        self.files["/" + path.lstrip("/")] = content
        self.mtime += 60

    def __call__(self, request: Request) -> Response:
        content = self.files.get(request.path)
        if content is None:
            return Response(404, b"not found", content_type="text/plain")
        body = content.read_bytes() if isinstance(content, Path) else content
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": formatdate(self.mtime, usegmt=True)}
        if request.headers.get("If-None-Match") == etag:
            return Response(304, b"", headers)
        suffix = Path(request.path).suffix
        ctype = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(request.path)[0] or "application/octet-stream"
        return Response(200, body, headers, content_type=ctype)
