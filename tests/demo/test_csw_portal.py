"""`make demo` includes a local pycsw (acceptance 4): demo_portals starts it from demo/data/csw/ and it harvests."""

from __future__ import annotations

from demo.portals import csw
from index.store import Store
from normalise.model import DataService
from pipeline.harvest import run_harvest
from tests.conftest import DEMO_DATA, make_config


def test_demo_pycsw_is_harvestable_and_stops(store: Store) -> None:
    entries = csw.demo_portals(None, DEMO_DATA / "csw")
    try:
        [entry] = entries
        assert entry["type"] == "csw" and entry["url"].startswith("http://127.0.0.1:")
        config = make_config(f"""
            - id: {entry["id"]}
              type: csw
              url: {entry["url"]}
              options: {{page_size: {entry["options"]["page_size"]}}}
        """, http="{per_host_rps: 200, retries: 0}")
        result = run_harvest(store, config.sources[0], config, index_after=False)
        assert result.status == "succeeded", result.errors
        records = list(store.iter_entries(source_id=entry["id"]))
        assert len(records) == result.counts.new >= 10  # the recorded records, each once
        assert any(isinstance(r, DataService) for r in records)
        assert any(s.departements for r in records for s in r.spatial)  # French territories from bounding boxes
        process = csw._running[-1].process
    finally:
        csw.stop_demo_portals()
    assert process is not None and process.poll() is not None  # the pycsw process is gone
    assert csw._running == []
