"""An HTTP proxy in front of the test server, to make the faults a healthy server never makes (queues full, another
major version, a search that does not answer in time): the client, the bulk helper and moisson's code all run for
real, only some answers are rewritten or held."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

Rewrite = Callable[[BaseHTTPRequestHandler, bytes], "tuple[int, bytes] | None"]


class _Forward(BaseHTTPRequestHandler):
    """Forwards to the real server; ``server.rewrite(handler, body)`` may answer instead."""

    server: EsProxy

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.server.seen.append((self.command, self.path, dict(self.headers)))
        self.server.bodies.append(body)
        status, content = self.server.rewrite(self, body) or self.server.upstream_answer(self, body)
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            if self.server.product:
                self.send_header("x-elastic-product", "Elasticsearch")
            self.send_header("content-length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (what a held search is for)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

    def log_message(self, *args: Any) -> None:
        pass


class EsProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream = upstream
        self.seen: list[tuple[str, str, dict[str, str]]] = []  # method, path, headers of every request
        self.bodies: list[bytes] = []  # and its body
        self.product = True  # send the header by which the client recognises Elasticsearch
        self.rewrite: Rewrite = lambda handler, body: None

    def url(self, userinfo: str = "") -> str:
        return f"http://{userinfo}127.0.0.1:{self.server_address[1]}"

    def upstream_answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes]:
        """What the real server answers the request."""
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length")}
        answer = requests.request(handler.command, self.upstream + handler.path, data=body, headers=headers,
                                  timeout=60)
        return answer.status_code, answer.content

    @contextmanager
    def holding_searches(self) -> Iterator[None]:
        """Searches get no answer until the block ends (a cluster too busy to answer in time); then the real one,
        to a client that has long given up."""
        release = threading.Event()

        def hold(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes] | None:
            if handler.path.split("?")[0].endswith("/_search"):
                release.wait(60)
            return None

        self.rewrite = hold
        try:
            yield
        finally:
            self.rewrite = lambda handler, body: None
            release.set()


@contextmanager
def running_proxy(upstream: str) -> Iterator[EsProxy]:
    server = EsProxy(upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
