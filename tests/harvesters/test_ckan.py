"""CkanHarvester over real HTTP against the CKAN emulator serving the recorded fixtures."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from demo.portals.ckan import CkanPortal, load_recordings
from demo.portals.static import StaticFiles
from demo.server import PortalServer, Request, Response
from harvesters.ckan import CkanHarvester, portal_root, solr_date
from kernel.http import HttpClient
from kernel.records import RawRecord, RecordError, SourceError
from tests.conftest import make_config

CKAN_FILES = "ckan/*.json"


@pytest.fixture
def recordings(fixtures: Path) -> Any:
    return load_recordings(sorted(fixtures.glob(CKAN_FILES)))


@pytest.fixture
def portal(recordings: Any) -> CkanPortal:
    return CkanPortal(recordings.packages, recordings.organizations)


def harvester(url: str, options: str = "{}") -> CkanHarvester:
    config = make_config(f"- {{id: test-ckan, type: ckan, url: '{url}', options: {options}}}",
                         http="{timeout: 2, retries: 0, per_host_rps: 1000}")
    return CkanHarvester(config.sources[0], HttpClient(config.settings.http, allow_private=True))


def run(url: str, options: str = "{}", since: str | None = None) -> tuple[list[RawRecord], list[RecordError]]:
    items = list(harvester(url, options).harvest(since=since))
    return [i for i in items if isinstance(i, RawRecord)], [i for i in items if isinstance(i, RecordError)]


def search_calls(portal: CkanPortal) -> list[dict[str, Any]]:
    return [c.params for c in portal.calls if c.action == "package_search"]


def test_full_sweep_yields_every_package_with_provenance(server: PortalServer, portal: CkanPortal) -> None:
    url = server.mount("/ckan", portal)
    records, errors = run(url)
    assert errors == []
    assert sorted(r.native_id for r in records) == sorted(p["id"] for p in portal.packages)
    assert len(records) == 23
    datasud = next(r for r in records if r.native_id == "cfa98601-185f-4194-bc0f-119fc23a194b")
    assert datasud.profile == "ckan" and datasud.source_id == "test-ckan"
    assert datasud.url == f"{url}/api/3/action/package_show?id=cfa98601-185f-4194-bc0f-119fc23a194b"
    assert datasud.modified == "2025-07-16"
    package = orjson.loads(datasud.content)
    assert package["title"] == "Canispaces - Ville de Gap" and len(package["resources"]) == 3
    # the record's URL is a working package_show call for the same package
    shown = requests.get(datasud.url, timeout=5).json()
    assert shown["success"] is True and shown["result"]["id"] == datasud.native_id


def test_pages_by_rows_and_start_newest_first(server: PortalServer, portal: CkanPortal) -> None:
    url = server.mount("/ckan", portal)
    records, errors = run(url, "{page_size: 5}")
    assert errors == [] and len(records) == 23
    calls = search_calls(portal)
    assert [c["start"] for c in calls] == ["0", "5", "10", "15", "20"]  # the last page is short: no extra request
    assert {c["rows"] for c in calls} == {"5"}
    assert {c["sort"] for c in calls} == {"metadata_modified desc, id asc"}
    assert "fq" not in calls[0]
    modified = [datetime.fromisoformat(r.modified.replace(" ", "T")).replace(tzinfo=None) for r in records
                if r.modified]
    assert modified == sorted(modified, reverse=True)


def test_count_that_lies_low_or_high_does_not_lose_or_loop(server: PortalServer, recordings: Any) -> None:
    low = CkanPortal(recordings.packages, count_offset=-1)  # data.gov.au: count=3, four results
    high = CkanPortal(recordings.packages, count_offset=+50)
    url_low, url_high = server.mount("/low", low), server.mount("/high", high)
    assert len(run(url_low, "{page_size: 10}")[0]) == 23
    assert [c["start"] for c in search_calls(low)] == ["0", "10", "20"]
    records, errors = run(url_high, "{page_size: 10}")
    assert len(records) == 23 and errors == []
    assert [c["start"] for c in search_calls(high)] == ["0", "10", "20", "23"]  # stops on the empty page


def test_server_capping_rows_below_page_size_loses_nothing(server: PortalServer, recordings: Any) -> None:
    portal = CkanPortal(recordings.packages, rows_max=4)
    records, errors = run(server.mount("/ckan", portal), "{page_size: 10}")
    assert errors == [] and len(records) == 23
    assert [c["start"] for c in search_calls(portal)][:3] == ["0", "4", "8"]


def test_incremental_asks_only_for_changes_since(server: PortalServer, portal: CkanPortal) -> None:
    url = server.mount("/ckan", portal)
    since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat(timespec="seconds")
    portal.update("cfa98601-185f-4194-bc0f-119fc23a194b", title="Canispaces (mis à jour)")
    records, errors = run(url, since=since)
    assert errors == []
    assert [r.native_id for r in records] == ["cfa98601-185f-4194-bc0f-119fc23a194b"]
    assert orjson.loads(records[0].content)["title"] == "Canispaces (mis à jour)"
    assert search_calls(portal)[0]["fq"] == f"metadata_modified:[{solr_date(since)} TO *]"
    assert solr_date(since).endswith("Z")


def test_source_fq_option_is_anded_with_the_incremental_filter(server: PortalServer, portal: CkanPortal) -> None:
    url = server.mount("/ckan", portal)
    org = "communaute-dagglomeration-de-gap-tallard-durance"
    records, _ = run(url, f"{{fq: 'organization:{org}'}}")
    assert len(records) == 7
    records, _ = run(url, f"{{fq: 'organization:{org}'}}", since="2025-07-15T00:00:00+00:00")
    assert len(records) == 5  # two of DataSud's seven were last modified on 2025-07-10
    assert search_calls(portal)[-1]["fq"] == f"organization:{org} AND metadata_modified:[2025-07-15T00:00:00Z TO *]"


def test_organisations_read_once_and_attached_with_extras(server: PortalServer, portal: CkanPortal) -> None:
    org_id = "532"  # DataSud's Communauté d'Agglomération de Gap-Tallard-Durance
    portal.organizations[org_id] = {**portal.organizations[org_id], "package_count": 7,
                                    "extras": [{"key": "siret", "value": "20006759300018"}]}
    url = server.mount("/ckan", portal)
    records, _ = run(url)
    org_calls = [c.params for c in portal.calls if c.action == "organization_list"]
    assert len(org_calls) == 3  # 32 organisations, 25 per call: two pages and the empty one
    assert all(c["all_fields"] == "True" and c["include_extras"] == "True" for c in org_calls)
    datasud = [orjson.loads(r.content) for r in records if b'"owner_org":"communaute-dagglomeration' in r.content]
    assert len(datasud) == 7
    for package in datasud:
        assert package["organization"]["extras"] == [{"key": "siret", "value": "20006759300018"}]
        assert package["organization"]["title"] == "Communauté d'Agglomération de Gap-Tallard-Durance"
        assert "package_count" not in package["organization"]  # changes with siblings: kept out of the raw record


def test_harvest_without_organisations_keeps_the_embedded_ones(server: PortalServer, portal: CkanPortal) -> None:
    records, _ = run(server.mount("/ckan", portal), "{organizations: false}")
    assert not any(c.action == "organization_list" for c in portal.calls)
    package = orjson.loads(next(r for r in records if r.native_id == "cfa98601-185f-4194-bc0f-119fc23a194b").content)
    assert package["organization"]["name"] == "communaute-dagglomeration-de-gap-tallard-durance"


def test_tracking_summary_kept_and_fetched_on_demand(server: PortalServer, portal: CkanPortal) -> None:
    url = server.mount("/ckan", portal)
    records, _ = run(url)
    taxation = next(r for r in records if r.native_id == "95d9e550-8b36-4273-8df7-2b76c140e73a")
    assert orjson.loads(taxation.content)["tracking_summary"] == {"recent": 25, "total": 3073}
    portal.calls.clear()
    records, _ = run(url, "{tracking: true}")
    shows = [c.params for c in portal.calls if c.action == "package_show"]
    lacking = [p for p in portal.packages if "tracking_summary" not in p]
    assert len(shows) == len(lacking) and all(c["include_tracking"] == "True" for c in shows)
    assert len(records) == 23


def test_raw_records_are_byte_stable_across_harvests(server: PortalServer, portal: CkanPortal) -> None:
    url = server.mount("/ckan", portal)
    first = {r.native_id: r.hash for r in run(url)[0]}
    second = {r.native_id: r.hash for r in run(url)[0]}
    assert first == second


def test_malformed_packages_are_reported_and_the_rest_harvested(server: PortalServer, portal: CkanPortal) -> None:
    portal.inject("not a package", position=3)
    portal.inject({"name": "sans-identifiant", "title": "Sans identifiant"}, position=8)
    records, errors = run(server.mount("/ckan", portal), "{page_size: 10}")
    assert len(records) == 23
    assert len(errors) == 2 and all(e.page_level for e in errors)  # which stored record it was is unknown
    reasons = " | ".join(e.reason for e in errors)
    assert "is not an object but str" in reasons and "'sans-identifiant'" in reasons and "has no id" in reasons


def test_duplicates_from_a_portal_changing_during_the_sweep_are_dropped(server: PortalServer,
                                                                          portal: CkanPortal) -> None:
    first_page: list[str] = []

    def edit_before_second_page(action: str, params: dict[str, Any]) -> None:
        if action == "package_search" and params.get("start") == "5" and not first_page:
            # an edit during the sweep moves an already-seen package to the front: later pages shift forwards
            newest = sorted(portal.packages, key=lambda p: p["metadata_modified"], reverse=True)
            first_page.append(newest[2]["id"])
            portal.update(newest[2]["id"], notes="edited while harvested")
        return None

    portal.fail_when = edit_before_second_page
    records, errors = run(server.mount("/ckan", portal), "{page_size: 5}")
    ids = [r.native_id for r in records]
    assert errors == [] and len(ids) == len(set(ids)) == 23


def test_a_failing_page_is_a_page_error_after_what_was_read(server: PortalServer, portal: CkanPortal) -> None:
    portal.fail_when = lambda action, params: 500 if action == "package_search" and params.get("start") == "10" \
        else None
    records, errors = run(server.mount("/ckan", portal), "{page_size: 5}")
    assert len(records) == 10
    assert len(errors) == 1 and errors[0].page_level
    assert "start=10" in errors[0].reason and "HTTP 500" in errors[0].reason


def test_a_server_ignoring_start_stops_instead_of_looping(server: PortalServer, portal: CkanPortal) -> None:
    def ignore_start(request: Request) -> Response:
        request.query.pop("start", None)
        return portal(request)

    records, errors = run(server.mount("/ckan", ignore_start), "{page_size: 5}")
    assert len(records) == 5
    assert len(errors) == 1 and "ignore start" in errors[0].reason
    assert len(search_calls(portal)) == 2


def test_fallback_to_package_list_and_show_with_dkan_list_results(server: PortalServer, recordings: Any) -> None:
    dkan = CkanPortal(recordings.packages, search=False, status=False, list_shaped_show=True)
    records, errors = run(server.mount("/dkan", dkan))
    assert errors == []
    assert sorted(r.native_id for r in records) == sorted(p["id"] for p in dkan.packages)
    actions = [c.action for c in dkan.calls]
    assert actions.count("package_search") == 1 and actions.count("package_list") == 1
    assert actions.count("package_show") == 23
    french = next(r for r in records if r.native_id == "04be6288-696d-4331-850d-a144871a7e3a")
    assert orjson.loads(french.content)["metadata_created"] == "mar, 10/12/2019 - 09:23"


def test_fallback_reports_a_failing_package_show(server: PortalServer, recordings: Any) -> None:
    old = CkanPortal(recordings.packages[:3], search=False)
    name = recordings.packages[1]["name"]
    old.fail_when = lambda action, params: 500 if action == "package_show" and params.get("id") == name else None
    records, errors = run(server.mount("/old", old))
    assert len(records) == 2
    assert len(errors) == 1 and name in errors[0].reason and errors[0].page_level


def test_unreachable_portal_is_a_source_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens there
    with pytest.raises(SourceError, match=r"cannot reach the CKAN portal at http://127\.0\.0\.1:\d+.*refused"):
        run(f"http://127.0.0.1:{port}/ckan")


def test_a_site_that_is_not_ckan_is_a_source_error(server: PortalServer) -> None:
    url = server.mount("/site", StaticFiles({"/index.html": b"<html>hello</html>"}))
    with pytest.raises(SourceError, match=r"is not a CKAN portal .*package_search.*HTTP 404 \(text/plain\).*"
                                          r"package_list.*HTTP 404"):
        run(url)


def test_portal_root_accepts_api_urls() -> None:
    assert portal_root("https://data.example.fr/") == "https://data.example.fr"
    assert portal_root("https://data.example.fr/api/3/action/package_search?q=x") == "https://data.example.fr"
    assert portal_root("https://www.datasud.fr/fr/indexer/service/ckan/api/3") == \
        "https://www.datasud.fr/fr/indexer/service/ckan"


def test_a_first_page_server_error_fails_the_source(server: PortalServer, portal: CkanPortal) -> None:
    portal.fail_when = lambda action, params: 503 if action == "package_search" else None
    with pytest.raises(SourceError, match=r"package_search failed at .*HTTP 503: Internal Server Error"):
        run(server.mount("/ckan", portal))


def test_a_json_api_that_is_not_ckan_is_a_source_error(server: PortalServer) -> None:
    def other_api(request: Request) -> Response:
        return Response(200, b'{"data": [], "links": {}}')

    with pytest.raises(SourceError, match=r"is not a CKAN portal .*HTTP 200 \(application/json\), not a CKAN"):
        run(server.mount("/other", other_api))


def test_unknown_options_are_configuration_errors() -> None:
    from kernel.config import ConfigError

    with pytest.raises(ConfigError, match=r"options\.pagesize.*options of type 'ckan' are: page_size, fq"):
        make_config("- {id: x, type: ckan, url: 'https://data.example.fr', options: {pagesize: 5}}")
