"""`make demo` includes a local pygeoapi (OGC API - Records) with records made from the demo's ISO records: it
starts, harvests, harvests incrementally, and stops."""

from __future__ import annotations

from demo.portals import ogcapi_records
from index.store import Store
from pipeline.harvest import run_harvest
from tests.conftest import DEMO_DATA, make_config


def test_demo_pygeoapi_is_harvestable_incrementally_and_stops(store: Store) -> None:
    entries = ogcapi_records.demo_portals(None, DEMO_DATA / "ogcapi_records")
    try:
        [entry] = entries
        assert entry["type"] == "ogcapi-records" and entry["url"].startswith("http://127.0.0.1:")
        config = make_config(f"""
            - id: {entry["id"]}
              type: ogcapi-records
              url: {entry["url"]}
              options: {{page_size: {entry["options"]["page_size"]}}}
        """, http="{per_host_rps: 200, retries: 0}")
        result = run_harvest(store, config.sources[0], config, index_after=False)
        assert result.status == "succeeded", result.errors
        served = len(ogcapi_records._running[-1].features)
        assert result.counts.new == served >= 5  # the recorded ISO records that have a bounding box, each once
        again = run_harvest(store, config.sources[0], config, mode="incremental", index_after=False)
        assert again.status == "succeeded" and again.counts.new == 0 and again.counts.withdrawn == 0
        records = list(store.iter_entries(source_id=entry["id"]))
        assert any(s.departements for r in records for s in r.spatial)
        process = ogcapi_records._running[-1].process
    finally:
        ogcapi_records.stop_demo_portals()
    assert process is not None and process.poll() is not None
    assert ogcapi_records._running == []
