"""moisson harvests moisson: the API served by uvicorn on loopback, its /api/catalog read by moisson's own DCAT
harvester over real HTTP, following the Hydra next links. What others (data.europa.eu, udata) do with it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from api.app import create_app
from harvesters import harvester_class
from index.store import JobCounts
from kernel.config import SourceConfig
from kernel.http import HttpClient
from kernel.records import RawRecord
from normalise import normalise
from tests.api.test_app import build_records
from tests.conftest import make_config


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = create_app(Path(tmp_path_factory.mktemp("self")) / "moisson.db")
    store = app.state.store
    store.sync_sources([SourceConfig(id="lyon", type="ckan", url="https://data.example.fr"),
                        SourceConfig(id="nantes", type="dcat", url="https://nantes.example.fr/catalog.ttl")])
    for source in ("lyon", "nantes"):
        job = store.start_job(source, "full")
        with store.transaction():
            for entry in build_records():
                if entry.source_id == source and entry.native_id != "gone":
                    store.upsert_entry(entry, entry.native_id, job)
        store.finish_job(job, "succeeded", JobCounts(new=13))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(10)
    store.close()


@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "rdf"])
def test_moisson_catalog_is_harvestable_by_a_dcat_harvester(served: str, fmt: str) -> None:
    config = make_config(f"- {{id: moisson, type: dcat, url: '{served}/api/catalog?page_size=7&format={fmt}'}}",
                         http="{per_host_rps: 1000, retries: 0}")
    http = HttpClient(config.settings.http, allow_private=True)
    items = list(harvester_class("dcat")(config.sources[0], http).harvest())
    http.close()
    raws = [item for item in items if isinstance(item, RawRecord)]
    assert [item for item in items if not isinstance(item, RawRecord)] == []
    assert http.stats.requests == 4  # 26 records, 7 per page: every page once, no loop
    entries = [entry for raw in raws for entry in normalise(raw)]
    published = {e.title: e for e in build_records() if e.native_id != "gone"}
    assert sorted(e.title for e in entries) == sorted(published)
    for entry in entries:
        original = published[entry.title]
        assert entry.kind == original.kind
        assert entry.themes == original.themes and entry.keywords == original.keywords
        assert (entry.publisher and entry.publisher.name) == (original.publisher and original.publisher.name)
        if original.kind == "dataset":
            assert sorted(d.format for d in entry.distributions) == sorted(d.format for d in original.distributions)
            assert sorted(d.download_url for d in entry.distributions) == sorted(
                d.download_url for d in original.distributions)
        if original.uri:  # the source's IRI is kept as the subject, so it stays the record's identity
            assert entry.native_id == original.uri
