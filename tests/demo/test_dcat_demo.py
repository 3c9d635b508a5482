"""The DCAT demo portals: every catalog served from demo/data/dcat harvests cleanly, twice."""

from __future__ import annotations

import yaml

from demo.portals.dcat import demo_portals
from demo.server import PortalServer
from index.store import Store
from kernel.config import parse_config
from pipeline.harvest import run_harvest
from tests.conftest import DEMO_DATA


def test_demo_catalogs_harvest_and_stay_unchanged(server: PortalServer, store: Store) -> None:
    entries = demo_portals(server, DEMO_DATA / "dcat")
    assert [e["id"] for e in entries] == ["demo-dcat-vanves", "demo-dcat-datara", "demo-dcat-sextant",
                                          "demo-dcat-cuzk", "demo-dcat-evian", "demo-dcat-hydra"]
    config = parse_config(yaml.safe_dump({"settings": {"allow_private_networks": True}, "sources": entries}))
    first = {s.id: run_harvest(store, s, config, index_after=False) for s in config.sources}
    assert {k: (r.status, r.counts.new) for k, r in first.items()} == {
        "demo-dcat-vanves": ("succeeded", 3), "demo-dcat-datara": ("succeeded", 1),
        "demo-dcat-sextant": ("succeeded", 1), "demo-dcat-cuzk": ("succeeded", 1),
        "demo-dcat-evian": ("succeeded", 8), "demo-dcat-hydra": ("succeeded", 4)}
    again = [run_harvest(store, s, config, index_after=False) for s in config.sources]
    assert [(r.counts.unchanged, r.counts.new + r.counts.updated) for r in again] == [
        (3, 0), (1, 0), (1, 0), (1, 0), (8, 0), (4, 0)]
