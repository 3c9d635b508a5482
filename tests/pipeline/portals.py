"""Portals for the pipeline tests: the CKAN emulator over the recorded fixtures (cloned to make a larger catalog),
and wrappers that slow a portal down or make it fail for a while, as real servers do."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from demo.portals.ckan import CkanPortal, load_recordings
from demo.server import Request, Response
from kernel.config import Config
from tests.conftest import make_config

# Politeness is tested in tests/harvesters/test_http.py; here it would only slow the tests down.
FAST_HTTP = "{per_host_rps: 1000, backoff: 0.01, max_retry_after: 0.05, timeout: 5}"


def recorded_ckan(fixtures: Path, copies: int = 1) -> CkanPortal:
    """A CKAN portal serving the recorded packages (23), plus ``copies - 1`` clones of each under new ids."""
    recordings = load_recordings(sorted((fixtures / "ckan").glob("*.json")))
    packages: list[dict[str, Any]] = list(recordings.packages)
    for copy in range(1, copies):
        for package in recordings.packages:
            label = package.get("title") or package.get("name") or package["id"]
            packages.append({**package, "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{package['id']}/{copy}")),
                             "name": f"{package.get('name') or package['id']}-{copy}", "title": f"{label} ({copy})"})
    return CkanPortal(packages, recordings.organizations)


def ckan_config(sources: dict[str, str], page_size: int = 10, **settings: object) -> Config:
    """A config of CKAN sources ``{id: url}`` on loopback."""
    lines = [f'- {{id: {sid}, type: ckan, url: "{url}", options: {{page_size: {page_size}}}}}'
             for sid, url in sources.items()]
    settings.setdefault("http", FAST_HTTP)
    return make_config("\n".join(lines), **settings)


class Slow:
    """Wraps an app: each request waits ``delay`` seconds first (a slow portal, so a harvest can be caught midway)."""

    def __init__(self, app: Callable[[Request], Response], delay: float) -> None:
        self.app = app
        self.delay = delay

    def __call__(self, request: Request) -> Response:
        time.sleep(self.delay)
        return self.app(request)


class Failing:
    """Wraps an app: requests whose path contains ``path`` get the ``responses`` in turn, then the app answers."""

    def __init__(self, app: Callable[[Request], Response], path: str, *responses: Response) -> None:
        self.app = app
        self.path = path
        self.responses = list(responses)

    def __call__(self, request: Request) -> Response:
        if self.path in request.path and self.responses:
            return self.responses.pop(0)
        return self.app(request)


@contextmanager
def stalled_server() -> Iterator[str]:
    """A server that accepts connections, reads the request and never answers; yields its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/stalled"
    finally:
        stop.set()
        thread.join()
        listener.close()
        for conn in held:
            conn.close()
