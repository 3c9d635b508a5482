"""What the ``harvested`` fixture of the obligation monitor tests yields: a store harvested over real HTTP from
fixture portals — the udata emulator (organisations with their SIREN) and two DCAT catalogs (publishers named
only) — once per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.portals.static import StaticFiles
from demo.portals.udata import ADDITIONS, DATASUD, VANVES, UdataPortal, load_portal_data
from demo.server import PortalServer
from index.store import Store
from pipeline.harvest import run_harvest
from tests.conftest import DEMO_DATA, make_config

EVIAN = "udata_evian_arcgis-hub_dcat-us-1.1.json"


def harvest_fixture_portals(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Yield the harvested store (a test module wraps this in its ``harvested`` fixture), closed afterwards."""
    portal = UdataPortal(*load_portal_data(fixtures / "ckan" / DATASUD, fixtures / "dcat" / VANVES,
                                           DEMO_DATA / "udata" / ADDITIONS))
    files = StaticFiles({f"/{EVIAN}": fixtures / "dcat" / EVIAN, f"/{VANVES}": fixtures / "dcat" / VANVES})
    store = Store(tmp_path_factory.mktemp("monitor") / "moisson.db")
    with PortalServer() as server:
        udata = server.mount("/udata", portal)
        dcat = server.mount("/dcat", files)
        config = make_config(f"""
            - {{id: udata, type: udata, url: '{udata}'}}
            - {{id: evian, type: dcat, url: '{dcat}/{EVIAN}'}}
            - {{id: vanves, type: dcat, url: '{dcat}/{VANVES}'}}
            """, http="{retries: 0, per_host_rps: 1000}")
        store.sync_sources(config.sources)
        for source in config.sources:
            result = run_harvest(store, source, config, mode="full", index_after=False)
            assert result.status == "succeeded", result.error
    yield store
    store.close()
