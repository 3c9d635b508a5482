"""Security headers on every answer, the Host names the server answers to, and /docs served from moisson itself
(issue 13)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import CONTENT_SECURITY_POLICY
from index import close_indexes, sync_index
from index.store import Store
from normalise.model import Dataset
from tests.api.test_obligations_browser import run_chromium


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "moisson.db")
    job = store.start_job("lyon", "full")
    with store.transaction():
        store.upsert_entry(Dataset(id="lyon.1", source_id="lyon", native_id="1", title="Qualité de l'eau"), "1", job)
    sync_index(store)
    yield store
    close_indexes()
    store.close()


@pytest.mark.parametrize("path", ["/", "/search?q=eau", "/api/datasets?q=eau", "/api/datasets/lyon.1", "/docs",
                                  "/api/sources", "/openapi.json", "/api/datasets/nope", "/stats"])
def test_every_answer_carries_the_security_headers(store: Store, path: str) -> None:
    client = TestClient(create_app(store.path))
    response = client.get(path)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    script_src = next(d for d in CONTENT_SECURITY_POLICY.split(";") if d.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_a_forged_host_header_does_not_become_the_base_of_links(store: Store, monkeypatch: pytest.MonkeyPatch,
                                                                ) -> None:
    """Finding 9: without MOISSON_BASE_URL, links and DCAT IRIs were built on whatever Host the request named, so
    one request (and any cache keeping its answer) pointed readers and harvesters at the forger's site."""
    monkeypatch.delenv("MOISSON_BASE_URL", raising=False)
    client = TestClient(create_app(store.path, allowed_hosts=["data.example.fr"]))
    forged = client.get("/api/datasets", params={"q": "eau"}, headers={"Host": "evil.example"})
    assert forged.status_code == 400 and "MOISSON_BASE_URL" in forged.json()["detail"]
    assert "evil.example/" not in forged.text
    fine = client.get("/api/datasets", params={"q": "eau"}, headers={"Host": "data.example.fr"})
    assert fine.json()["hits"][0]["url"] == "http://data.example.fr/api/datasets/lyon.1"
    configured = TestClient(create_app(store.path, base_url="https://moisson.example"))
    hit = configured.get("/api/datasets", params={"q": "eau"}, headers={"Host": "evil.example"}).json()["hits"][0]
    assert hit["url"] == "https://moisson.example/api/datasets/lyon.1"  # a base is configured: Host never used


def test_loopback_names_are_answered_by_default(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOISSON_ALLOWED_HOSTS", raising=False)
    monkeypatch.delenv("MOISSON_BASE_URL", raising=False)
    client = TestClient(create_app(store.path), base_url="http://127.0.0.1:8000")
    assert client.get("/api/sources").status_code == 200
    assert client.get("/api/sources", headers={"Host": "[::1]:8000"}).status_code == 200
    assert client.get("/api/sources", headers={"Host": "moisson.example"}).status_code == 400


def test_docs_use_no_cdn(store: Store) -> None:
    client = TestClient(create_app(store.path))
    page = client.get("/docs").text
    assert "cdn" not in page.lower() and "<script>" not in page  # only script files of our own
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css", "/docs/start.js"):
        assert asset in page and client.get(asset).status_code == 200
    assert client.get("/redoc").status_code == 404  # ReDoc loads from a CDN too: not served


def test_docs_render_in_a_browser_under_the_policy(store: Store, tmp_path: Path) -> None:
    """Swagger UI starts and lists the API's operations in headless chromium, offline, under the CSP."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(store.path), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/docs"
        dom = run_chromium(["--virtual-time-budget=15000", "--dump-dom", url], tmp_path).stdout
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
    assert 'class="opblock opblock-get"' in dom and 'data-path="/api/datasets"' in dom, dom[:2000]
