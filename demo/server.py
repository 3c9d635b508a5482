"""A tiny threaded HTTP server on loopback that dispatches to portal apps mounted at path prefixes.

Why not a framework: the portals only answer GETs (and CSW-style POSTs) from recorded data; the standard library's
ThreadingHTTPServer is enough and starts in milliseconds for each test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str  # below the app's mount point, starting with "/"
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    base_url: str  # absolute URL of the app's mount point, without trailing slash

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


App = Callable[[Request], Response]


@dataclass
class Hit:
    """One request as the server saw it: tests count requests and check what was (not) fetched."""

    method: str
    path: str
    status: int


class PortalServer:
    """Serve apps on 127.0.0.1 at a free port. ``mount('/ckan', app)`` then ``url('/ckan')``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.apps: dict[str, App] = {}
        self.hits: list[Hit] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle's algorithm the body waits for the client's delayed
            # ACK of the headers, 40 ms per request on Linux loopback (measured by bench/ckan_paging.py).
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read server.hits
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                response = server.dispatch(self.command, self.path, dict(self.headers.items()), body)
                self.send_response(response.status)
                headers = {"Content-Type": response.content_type, **response.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(response.body)

            do_GET = do_POST = do_HEAD = _handle

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, prefix: str = "") -> str:
        return self.base_url + prefix

    def mount(self, prefix: str, app: App) -> str:
        """Serve ``app`` below ``prefix`` (e.g. "/ckan"); returns its absolute URL."""
        self.apps[prefix.rstrip("/")] = app
        return self.url(prefix.rstrip("/"))

    def dispatch(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Response:
        parts = urlsplit(raw_path)
        for prefix in sorted(self.apps, key=len, reverse=True):
            if parts.path == prefix or parts.path.startswith(prefix + "/") or prefix == "":
                sub = parts.path[len(prefix):] or "/"
                request = Request(method, sub, parse_qs(parts.query, keep_blank_values=True), headers, body,
                                  self.url(prefix))
                try:
                    response = self.apps[prefix](request)
                except Exception as exc:  # a bug in a demo portal answers 500, like a real one would
                    response = Response(500, f"portal error: {exc}".encode(), content_type="text/plain")
                break
        else:
            response = Response(404, b"not found", content_type="text/plain")
        self.hits.append(Hit(method, raw_path, response.status))
        return response

    def start(self) -> PortalServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> PortalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
