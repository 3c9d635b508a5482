"""Issue 7, acceptance 3: two harvests over real HTTP of fixture portals whose counters changed in between give the
right deltas — a counter that went down counts as a reset — and national figures equal the sum of their parts."""

from __future__ import annotations

from pathlib import Path

from demo.portals.ods import OdsPortal
from demo.portals.udata import ADDITIONS, DATASUD, VANVES, UdataPortal, load_portal_data
from demo.server import PortalServer
from index.stats import aggregate, top_datasets, trend
from index.store import Store
from pipeline.harvest import run_harvest
from tests.conftest import DEMO_DATA, make_config

GAP_PARKINGS = "6889fff04b3bbc104668b265"


def _harvest_all(store: Store, config) -> None:
    for source in config.sources:
        result = run_harvest(store, source, config, mode="full", index_after=False)
        assert result.status == "succeeded", result.error


def test_two_harvests_give_deltas_with_a_reset_and_parts_that_add_up(fixtures: Path, server: PortalServer,
                                                                      store: Store) -> None:
    udata = UdataPortal(*load_portal_data(fixtures / "ckan" / DATASUD, fixtures / "dcat" / VANVES,
                                          DEMO_DATA / "udata" / ADDITIONS))
    ods = OdsPortal.from_dir(fixtures / "ods")
    config = make_config(f"""
        - {{id: udata, type: udata, url: '{server.mount("/udata", udata)}'}}
        - {{id: ods, type: ods, url: '{server.mount("/ods", ods)}'}}
        """, http="{retries: 0, per_host_rps: 1000}")
    store.sync_sources(config.sources)
    _harvest_all(store, config)
    # first harvest: baselines only — what the counters hold happened before moisson watched
    assert aggregate(store)[0].downloads == 0
    baseline_total = aggregate(store)[0].total
    assert baseline_total == (sum(d["metrics"]["resources_downloads"] for d in udata.datasets.values())
                              + sum(c["download_count"] for c in ods.counters.values()))

    # between the harvests: a day of use everywhere, and two counters that went down (the portals reset them)
    udata.bump_metrics(views=5, downloads=3)
    udata.set_metrics(GAP_PARKINGS, resources_downloads=2)
    ods.bump_counters(downloads=10)
    ods_reset = max(ods.counters, key=lambda i: ods.counters[i]["download_count"])
    ods.set_counters(ods_reset, download_count=4)
    _harvest_all(store, config)

    native = {row["id"]: (row["source_id"], row["native_id"])
              for row in store.db.execute("SELECT id, source_id, native_id FROM records")}
    got = {native[t.id]: t.downloads for t in top_datasets(store, limit=100)}
    expected = {("udata", i): 3 * len(d["resources"]) for i, d in udata.datasets.items() if d["resources"]}
    expected[("udata", GAP_PARKINGS)] = 2  # reset: the new value is what was downloaded since
    expected.update({("ods", i): 10 for i in ods.counters})
    expected[("ods", ods_reset)] = 4
    assert got == {k: v for k, v in expected.items() if v}

    national = aggregate(store)[0]
    assert national.downloads == sum(expected.values())
    assert national.total == (sum(d["metrics"]["resources_downloads"] for d in udata.datasets.values())
                              + sum(c["download_count"] for c in ods.counters.values()))
    for by in ("source", "publisher"):
        parts = aggregate(store, by)
        assert sum(p.downloads for p in parts) == national.downloads, by
        assert sum(p.total for p in parts) == national.total, by
        assert sum(p.datasets for p in parts) == national.datasets, by
    by_source = {a.key: a.downloads for a in aggregate(store, "source")}
    assert by_source == {"udata": sum(v for (s, _), v in expected.items() if s == "udata"),
                         "ods": sum(v for (s, _), v in expected.items() if s == "ods")}
    assert sum(p.downloads for p in trend(store, granularity="day")) == national.downloads
    # a third harvest with nothing changed adds nothing
    _harvest_all(store, config)
    assert aggregate(store)[0].downloads == national.downloads
