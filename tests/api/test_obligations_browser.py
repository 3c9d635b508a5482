"""Issue 7, acceptance 4: the obligation page and the statistics chart render in a real headless browser.

The API runs under uvicorn on 127.0.0.1 over a store harvested (twice, counters changed in between) from fixture
portals, with dated obligation snapshots; Debian's chromium loads the pages, dumps the rendered DOM (the charts' SVG
elements must be in it) and takes screenshots (a PNG that is not blank).
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.portals.ods import OdsPortal
from demo.portals.udata import ADDITIONS, DATASUD, VANVES, UdataPortal, load_portal_data
from demo.screenshots import chromium_path, serve
from demo.server import PortalServer
from index.obligations import take_snapshot
from index.store import Store
from pipeline.harvest import run_harvest
from tests.conftest import DEMO_DATA, make_config

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    try:
        return chromium_path()
    except RuntimeError as exc:
        pytest.fail(f"this test renders the pages in a real browser: {exc} (.ci/run installs it on CI)")


@pytest.fixture(scope="module")
def api_url(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("browser") / "moisson.db"
    store = Store(db)
    udata = UdataPortal(*load_portal_data(fixtures / "ckan" / DATASUD, fixtures / "dcat" / VANVES,
                                          DEMO_DATA / "udata" / ADDITIONS))
    ods = OdsPortal.from_dir(fixtures / "ods")
    with PortalServer() as portals:
        config = make_config(f"""
            - {{id: udata, type: udata, url: '{portals.mount("/udata", udata)}'}}
            - {{id: ods, type: ods, url: '{portals.mount("/ods", ods)}'}}
            """, http="{retries: 0, per_host_rps: 1000}")
        store.sync_sources(config.sources)
        for bump in range(2):
            for source in config.sources:
                assert run_harvest(store, source, config, mode="full", index_after=False).status == "succeeded"
            udata.bump_metrics(downloads=3 + bump)
            ods.bump_counters(downloads=20)
    take_snapshot(store, day="2026-09-01")
    take_snapshot(store, day="2026-10-01")
    take_snapshot(store)
    store.close()

    with serve(db) as url:
        yield url


def run_chromium(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def rendered_dom(url: str, tmp_path: Path) -> str:
    result = run_chromium(["--dump-dom", url], tmp_path)
    assert result.returncode == 0 and "<html" in result.stdout, result.stderr[-2000:]
    return result.stdout


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    """(width, height, raw scanlines) of a PNG, read with zlib only (no imaging library needed)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)


def assert_not_blank(path: Path) -> None:
    assert path.exists() and path.stat().st_size > 5000, "no screenshot, or a tiny one"
    width, height, raw = png_pixels(path)
    assert (width, height) == (1280, 1600)
    # a blank page is one colour: its scanlines (filter byte + pixels) hold almost no distinct bytes
    assert len(set(raw)) > 50
    assert raw.count(255) < 0.98 * len(raw), "the page is (almost) all white"


def test_obligation_page_renders_in_chromium(api_url: str, tmp_path: Path) -> None:
    dom = rendered_dom(f"{api_url}/obligations", tmp_path)
    assert "Obligation d'ouverture des données" in dom
    assert re.search(r"<svg[^>]*class=\"chart line\"", dom)  # the trend of the national rate
    assert len(re.findall(r"<circle class=\"point\"", dom)) == 3  # three dated snapshots
    assert re.search(r"<polyline class=\"series\"", dom)
    assert len(re.findall(r"<circle class=\"dep\"", dom)) >= 96  # the map: one disc per département
    assert re.search(r"<circle class=\"dep\" data-code=\"92\"[^>]*fill=\"#(?!cccccc)", dom)  # Vanves publishes
    assert len(re.findall(r"<rect class=\"bar\"", dom)) == 4  # rates by type of body
    assert "Provence-Alpes-Côte d'Azur" in dom and "Hauts-de-Seine" in dom  # tables by région and département
    shot = tmp_path / "obligations.png"
    result = run_chromium([f"--screenshot={shot}", "--window-size=1280,1600", f"{api_url}/obligations"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert_not_blank(shot)


def test_statistics_chart_renders_in_chromium(api_url: str, tmp_path: Path) -> None:
    dom = rendered_dom(f"{api_url}/stats?granularity=day", tmp_path)
    assert re.search(r"<svg[^>]*class=\"chart line\"", dom)
    assert re.search(r"<polyline class=\"series\"", dom)
    assert len(re.findall(r"<circle class=\"point\"", dom)) >= 1
    assert "pas encore de données" not in dom
    assert len(re.findall(r"<rect class=\"bar\"", dom)) >= 2  # downloads by publisher
    shot = tmp_path / "stats.png"
    result = run_chromium([f"--screenshot={shot}", "--window-size=1280,1600", f"{api_url}/stats"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert_not_blank(shot)
