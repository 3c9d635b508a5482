"""UdataHarvester over real HTTP against the udata API v1 emulator built from the recorded fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
import requests

from demo.portals.udata import ADDITIONS, DATASUD, VANVES, UdataPortal, load_portal_data
from demo.server import PortalServer, Request, Response
from harvesters.udata import UdataHarvester, api_root
from index.store import Store
from kernel.http import HttpClient
from kernel.records import RawRecord, RecordError, SourceError
from pipeline.harvest import run_harvest
from tests.conftest import DEMO_DATA, make_config

VANVES_VFE = "66397176ff2a31840e29304c"
GAP_PARKINGS = "6889fff04b3bbc104668b265"


@pytest.fixture
def portal(fixtures: Path) -> UdataPortal:
    """The emulator on the fixtures themselves (DataSud recording, data.gouv.fr Vanves catalog) + our additions."""
    return UdataPortal(*load_portal_data(fixtures / "ckan" / DATASUD, fixtures / "dcat" / VANVES,
                                         DEMO_DATA / "udata" / ADDITIONS))


def harvester(url: str, options: str = "{}") -> UdataHarvester:
    config = make_config(f"- {{id: test-udata, type: udata, url: '{url}', options: {options}}}",
                         http="{timeout: 2, retries: 0, per_host_rps: 1000}")
    return UdataHarvester(config.sources[0], HttpClient(config.settings.http, allow_private=True))


def run(url: str, options: str = "{}", since: str | None = None) -> tuple[list[RawRecord], list[RecordError]]:
    items = list(harvester(url, options).harvest(since=since))
    return [i for i in items if isinstance(i, RawRecord)], [i for i in items if isinstance(i, RecordError)]


def paths(server: PortalServer, part: str) -> list[str]:
    return [hit.path for hit in server.hits if part in hit.path]


def test_full_sweep_with_organisation_siret(server: PortalServer, portal: UdataPortal) -> None:
    url = server.mount("/udata", portal)
    records, errors = run(url)
    assert errors == []
    assert sorted(r.native_id for r in records) == sorted(portal.datasets)
    assert len(records) == 9
    vfe = next(r for r in records if r.native_id == VANVES_VFE)
    assert vfe.profile == "udata" and vfe.url == f"{url}/api/1/datasets/{VANVES_VFE}/"
    assert vfe.modified == "2024-05-06T15:15:18+00:00"
    dataset = orjson.loads(vfe.content)
    # the organisation's business number, fetched once per organisation, travels in the raw record
    assert dataset["organization"]["name"] == "Ville de Vanves"
    assert dataset["organization"]["business_number_id"] == "219200755"
    assert dataset["resources"][0]["schema"]["name"] == "etalab/schema-vehicules-faibles-emissions-renouvellement-parc"
    assert sorted(paths(server, "/organizations/")) == [
        "/udata/api/1/organizations/54884a24c751df7226a3fc16/", "/udata/api/1/organizations/65b0a3c1d2e4f60011a2b3c4/"]
    assert requests.get(vfe.url, timeout=5).json()["id"] == VANVES_VFE


def test_follows_next_page_sorted_by_creation(server: PortalServer, portal: UdataPortal) -> None:
    url = server.mount("/udata", portal)
    records, errors = run(url, "{page_size: 4, fetch_organizations: false}")
    assert errors == [] and len(records) == 9
    pages = [parse_qs(urlsplit(p).query) for p in paths(server, "/api/1/datasets/?")]
    assert [(q["page"], q["sort"]) for q in pages] == [(["1"], ["created"]), (["2"], ["created"]),
                                                       (["3"], ["created"])]
    assert paths(server, "/organizations/") == []
    assert "business_number_id" not in orjson.loads(records[0].content)["organization"]


def test_incremental_stops_at_the_first_older_dataset(server: PortalServer, portal: UdataPortal) -> None:
    url = server.mount("/udata", portal)
    portal.touch(VANVES_VFE, title="Véhicules à faibles émissions — mise à jour")
    records, errors = run(url, "{page_size: 2}", since="2025-08-01T00:00:00+00:00")
    assert errors == [] and [r.native_id for r in records] == [VANVES_VFE]
    pages = [parse_qs(urlsplit(p).query) for p in paths(server, "/api/1/datasets/?")]
    assert len(pages) == 1 and pages[0]["sort"] == ["-last_update"]  # no further page once older ones appear
    assert UdataHarvester.supports_incremental


def test_deleted_datasets_are_left_out(server: PortalServer, portal: UdataPortal) -> None:
    portal.touch(GAP_PARKINGS, deleted="2025-08-02T10:00:00+00:00")
    url = server.mount("/udata", portal)
    records, _ = run(url)
    assert GAP_PARKINGS not in {r.native_id for r in records} and len(records) == 8


def test_organisation_failure_costs_only_the_siren(server: PortalServer, portal: UdataPortal) -> None:
    def broken_organisations(request: Request) -> Response:
        if "/organizations/" in request.path:
            return Response(500, b'{"message": "down"}')
        return portal(request)

    url = server.mount("/udata", broken_organisations)
    records, errors = run(url)
    assert errors == [] and len(records) == 9
    assert all("business_number_id" not in orjson.loads(r.content)["organization"] for r in records)


def test_paging_guards(server: PortalServer, portal: UdataPortal) -> None:
    def looping(request: Request) -> Response:
        response = portal(request)
        body = json.loads(response.body)
        body["next_page"] = f"{request.base_url}/api/1/datasets/?page=1&page_size=4&sort=created"
        return Response(200, json.dumps(body).encode())

    url = server.mount("/loop", looping)
    records, errors = run(url, "{page_size: 4, fetch_organizations: false}")
    assert len(records) == 4 and len(errors) == 1 and errors[0].page_level and "already fetched" in errors[0].reason

    def elsewhere(request: Request) -> Response:
        response = portal(request)
        body = json.loads(response.body)
        body["next_page"] = "http://192.0.2.1/api/1/datasets/?page=2"
        return Response(200, json.dumps(body).encode())

    url = server.mount("/away", elsewhere)
    records, errors = run(url, "{page_size: 4, fetch_organizations: false}")
    assert len(records) == 4 and "leaves the portal's host" in errors[0].reason


def test_a_site_that_is_not_udata_fails_the_source(server: PortalServer) -> None:
    url = server.mount("/nothing", lambda request: Response(404, b"<h1>404</h1>", content_type="text/html"))
    with pytest.raises(SourceError, match="udata datasets API"):
        run(url)


def test_api_root_forms() -> None:
    assert api_root("https://www.data.gouv.fr/fr/") == "https://www.data.gouv.fr"
    assert api_root("https://www.data.gouv.fr/api/1/datasets/") == "https://www.data.gouv.fr"
    assert api_root("https://data.example.fr") == "https://data.example.fr"


def test_pipeline_samples_metrics_without_new_versions(server: PortalServer, portal: UdataPortal,
                                                       store: Store) -> None:
    url = server.mount("/udata", portal)
    config = make_config(f"- {{id: demo-udata, type: udata, url: '{url}'}}", http="{retries: 0, per_host_rps: 1000}")
    store.sync_sources(config.sources)
    first = run_harvest(store, config.sources[0], config, mode="full", index_after=False)
    assert first.status == "succeeded" and first.counts.new == 9
    portal.bump_metrics(views=7, downloads=2)
    second = run_harvest(store, config.sources[0], config, mode="full", index_after=False)
    assert second.counts.unchanged == 9 and second.counts.updated == 0
    rows = store.db.execute("SELECT distribution, metric, job_id FROM metric_samples").fetchall()
    second_job = {(r["distribution"] != "", r["metric"]) for r in rows if r["job_id"] == second.job_id}
    # dataset views and downloads changed, and each resource's download count (udata's resource "views")
    assert second_job == {(False, "views"), (False, "downloads"), (True, "downloads")}
