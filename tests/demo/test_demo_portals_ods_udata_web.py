"""The ODS, udata and web demo portals of `make demo` (acceptance 4): mounted from demo/data/, harvested whole."""

from __future__ import annotations

import yaml

from demo.portals import ods, udata, web
from demo.server import PortalServer
from index.store import Store
from kernel.config import parse_config
from pipeline.harvest import run_harvest
from tests.conftest import DEMO_DATA


def test_demo_portals_harvest_into_the_store(server: PortalServer, store: Store) -> None:
    entries = (ods.demo_portals(server, DEMO_DATA / "ods") + udata.demo_portals(server, DEMO_DATA / "udata")
               + web.demo_portals(server, DEMO_DATA / "web"))
    try:
        assert [(e["id"], e["type"]) for e in entries] == [("demo-ods", "ods"), ("demo-udata", "udata"),
                                                           ("demo-web", "web")]
        text = yaml.safe_dump({"settings": {"allow_private_networks": True, "http": {"per_host_rps": 200}},
                               "sources": entries}, allow_unicode=True)
        config = parse_config(text)  # options validated against each harvester's Options
        store.sync_sources(config.sources)
        results = {s.id: run_harvest(store, s, config, mode="full", index_after=False) for s in config.sources}
        assert {k: (r.status, r.counts.new) for k, r in results.items()} == {
            "demo-ods": ("succeeded", 9), "demo-udata": ("succeeded", 9), "demo-web": ("succeeded", 8)}
        assert store.count(source_id="demo-udata") == 9
    finally:
        web.stop_demo_portals()
