"""Per-client rate limits on the expensive endpoints: a client over its limit gets 429 with Retry-After, the others
and the plain calls go on."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import RateLimits
from index import close_indexes
from index.search import HEAVY_FILTER_VALUES


def test_expensive_calls_are_limited_per_client(tmp_path: Path) -> None:
    app = create_app(tmp_path / "moisson.db")
    app.state.rate_limits = RateLimits({"search": "3/minute", "validate": "3/minute", "export": "2/minute"})
    heavy = [("theme", f"T{i}") for i in range(HEAVY_FILTER_VALUES + 1)]
    try:
        with TestClient(app) as client, TestClient(app, client=("203.0.113.9", 5000)) as other:
            assert [client.get("/api/datasets", params=heavy).status_code for _ in range(4)] == [200, 200, 200, 429]
            refused = client.get("/api/datasets", params=heavy)
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
            assert "at most 3 per 60 seconds" in refused.json()["detail"]
            assert client.get("/api/datasets", params={"q": "eau", "theme": "ENVI"}).status_code == 200  # plain
            assert other.get("/api/datasets", params=heavy).status_code == 200  # another client
            exports = [client.get("/api/stats/top", params={"format": "csv"}).status_code for _ in range(3)]
            assert exports == [200, 200, 429]
            assert client.get("/api/stats/top").status_code == 200  # JSON is not an export
            assert client.get("/api/obligations", params={"format": "csv"}).status_code == 429  # same budget
    finally:
        close_indexes()
