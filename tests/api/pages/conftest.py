"""The site over a real store: the udata and OpenDataSoft emulators harvested over loopback HTTP (twice, with
counters changed in between, so that statistics and quality points have a history), their links checked against the
emulators, dated obligation snapshots; served by uvicorn while the portals keep running, so that a download link on a
dataset page reaches the demo portal's file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from demo.portals.dcat import demo_portals as dcat_portals
from demo.portals.ods import OdsPortal
from demo.portals.udata import ADDITIONS, DATASUD, VANVES, UdataPortal, load_portal_data
from demo.screenshots import serve
from demo.server import PortalServer
from index.obligations import take_snapshot
from index.store import Store
from pipeline.harvest import run_harvest
from pipeline.scoring import check_links
from scoring.links import LinkChecker
from tests.conftest import DEMO_DATA, make_config


@dataclass
class Site:
    url: str
    db: Path
    portals: PortalServer


@pytest.fixture(scope="package")
def site(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    db = tmp_path_factory.mktemp("site") / "moisson.db"
    store = Store(db)
    udata = UdataPortal(*load_portal_data(fixtures / "ckan" / DATASUD, fixtures / "dcat" / VANVES,
                                          DEMO_DATA / "udata" / ADDITIONS))
    ods = OdsPortal.from_dir(fixtures / "ods")
    with PortalServer() as portals:
        dcat = [e for e in dcat_portals(portals, DEMO_DATA / "dcat") if e["id"] in ("demo-dcat-evian",
                                                                                          "demo-dcat-datara")]
        sources = [{"id": "udata", "type": "udata", "url": portals.mount("/udata", udata),
                    "name": "Portail udata de démonstration"},
                   {"id": "ods", "type": "ods", "url": portals.mount("/ods", ods),
                    "name": "Portail OpenDataSoft de démonstration"}, *dcat]
        config = make_config("\n".join(f"- {json.dumps(s)}" for s in sources), http="{retries: 0, per_host_rps: 1000}")
        store.sync_sources(config.sources)
        for bump in range(2):
            for source in config.sources:
                assert run_harvest(store, source, config, mode="full").status == "succeeded"
            udata.bump_metrics(downloads=3 + bump)
            ods.bump_counters(downloads=20)
        check_links(store, LinkChecker(timeout=2, allow_private=True, per_host_rps=1000), source_id="ods")
        take_snapshot(store, day="2026-09-01")
        take_snapshot(store)
        store.close()

        with serve(db) as url:
            yield Site(url, db, portals)
