"""The registry baseline beside the live obligation monitor (acceptance 3 of issue 17): each body under obligation
known to publish by a registry or not, compared with what moisson sees, in the monitor's data, its API (JSON, CSV),
its CLI and its page — over a store harvested from fixture portals over real HTTP."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app
from index import registry_baseline
from index.obligations import compute, to_csv
from index.store import Store
from tests.index.obligation_portals import harvest_fixture_portals


@pytest.fixture(scope="module")
def harvested(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    yield from harvest_fixture_portals(fixtures, tmp_path_factory)


def test_what_the_registries_say_of_a_body_and_where(harvested: Store) -> None:
    known = registry_baseline.listings()
    vanves = known["commune:92075"]  # OpenDataFrance 2022: Vanves publishes on Seine Ouest's portal and data.gouv.fr
    assert {item.record for item in vanves} >= {"odf-2022:219200755"}
    assert any("vanves-seineouest.opendatasoft.com" in (item.portal or "") for item in vanves)
    aude = {item.registry for item in known["departement:11"]}
    assert aude == {"cdi", "odf-2022"}  # Common Data Index: the owner of opendata.aude.fr
    assert "commune:74119" not in known  # Évian: no registry lists it


def test_each_obligated_body_compares_the_registries_with_the_live_status(harvested: Store) -> None:
    bodies = {b.id: b for b in compute(harvested).bodies}
    vanves, evian, gap, lyon = (bodies[i] for i in ("commune:92075", "commune:74119", "commune:05061",
                                                    "commune:69123"))
    assert (vanves.status, vanves.registry_status, vanves.comparison) == ("publishes", "listed", "both")
    assert "OpenDataFrance, observatoire 2022 (2022)" in vanves.registries and vanves.registry_portals
    assert (evian.status, evian.registry_status, evian.comparison) == ("publishes", "not_listed", "live_only")
    assert (gap.status, gap.comparison) == ("shared", "both")  # live through its agglomération's portal
    assert (lyon.status, lyon.registry_status, lyon.comparison) == ("none", "listed", "registry_only")  # the gap
    assert "https://data.grandlyon.com" in lyon.registry_portals


def test_the_baseline_summary_adds_up_with_the_live_rates(harvested: Store) -> None:
    monitor = compute(harvested)
    summary = registry_baseline.summary(monitor.bodies)
    national = summary["national"]
    rate = monitor.rates()["national"][0]
    assert national["bodies"] == rate.bodies == 4267
    assert national["live"] == rate.compliant == national["both"] + national["live_only"]
    assert national["listed"] == national["both"] + national["registry_only"] > 500
    assert sum(national[k] for k in registry_baseline.COMPARISONS) == national["bodies"]
    assert sum(row["listed"] for row in summary["by_type"].values()) == national["listed"]
    assert [r["key"] for r in summary["registries"]] == ["cdi", "odf-2022"]
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(to_csv(monitor.bodies)))}
    assert rows["commune:69123"]["comparison"] == "registry_only"
    assert "data.grandlyon.com" in rows["commune:69123"]["registry_portals"]


@pytest.fixture(scope="module")
def client(harvested: Store) -> Iterator[TestClient]:
    with TestClient(create_app(harvested.path)) as test_client:
        yield test_client


def test_the_api_gives_the_baseline_beside_the_live_status(client: TestClient) -> None:
    summary = client.get("/api/obligations/summary").json()["registry_baseline"]
    gap = client.get("/api/obligations", params={"comparison": "registry_only", "limit": 10000}).json()
    assert gap["total"] == summary["national"]["registry_only"]
    assert all(item["comparison"] == "registry_only" and item["registries"] for item in gap["items"])
    lyon = client.get("/api/obligations", params={"departement": "69", "type": "commune"}).json()["items"]
    assert next(i for i in lyon if i["id"] == "commune:69123")["registry_status"] == "listed"
    exported = client.get("/api/obligations", params={"comparison": "live_only", "format": "csv"}).text
    assert "commune:74119" in exported and exported.splitlines()[0].endswith("registry_portals,comparison")
    assert client.get("/api/obligations", params={"comparison": "maybe"}).status_code == 422


def test_the_page_shows_the_registries_beside_the_live_status(client: TestClient) -> None:
    page = client.get("/obligations", params={"departement": "69"}).text
    assert "Connus des registres" in page and "Connus, pas vus" in page
    assert '<th scope="col">Registres</th>' in page and "connu des registres, pas vu" in page  # Lyon's row
    assert "comparison=registry_only" in page


def test_the_cli_gives_the_baseline_and_filters_on_it(harvested: Store) -> None:
    result = CliRunner().invoke(app, ["--db", str(harvested.path), "obligations", "--type", "region",
                                      "--comparison", "registry_only"])
    assert result.exit_code == 0, result.output
    assert "registry baseline" in result.stdout and "OpenDataFrance" in result.stdout
    assert "region:53" in result.stdout and "registry_only" in result.stdout  # Bretagne: listed, not harvested
    wrong = CliRunner().invoke(app, ["--db", str(harvested.path), "obligations", "--comparison", "maybe"])
    assert wrong.exit_code == 2 and "--comparison takes one of" in wrong.stderr
