"""The CKAN emulator answers as CKAN 2.x does (envelopes, errors, paging, filters), and the demo mounts it."""

from __future__ import annotations

from pathlib import Path

import requests

from demo.portals.ckan import CkanPortal, demo_portals, load_recordings
from demo.server import PortalServer
from kernel.config import parse_config
from tests.conftest import DEMO_DATA


def test_demo_portal_serves_the_demo_data(server: PortalServer) -> None:
    (entry,) = demo_portals(server, DEMO_DATA / "ckan")
    assert entry["type"] == "ckan" and entry["url"] == server.url("/ckan")
    parse_config(f"settings: {{allow_private_networks: true}}\nsources:\n  - {{id: {entry['id']}, type: ckan, "
                 f"url: '{entry['url']}'}}\n")  # a valid sources.yaml entry
    body = requests.get(f"{entry['url']}/api/3/action/package_search", params={"rows": 0}, timeout=5).json()
    assert body["success"] is True and body["result"]["count"] == 23
    assert (DEMO_DATA / "ckan" / "SOURCES.md").read_text().count("sha256") == 14


def test_envelopes_and_errors_as_ckan_gives_them(server: PortalServer, fixtures: Path) -> None:
    recordings = load_recordings(sorted(fixtures.glob("ckan/*.json")))
    url = server.mount("/ckan", CkanPortal(recordings.packages, recordings.organizations))
    api = f"{url}/api/3/action"
    status = requests.get(f"{api}/status_show", timeout=5).json()
    assert status["success"] is True and status["help"].endswith("help_show?name=status_show")
    unknown = requests.get(f"{api}/nope", timeout=5)
    assert unknown.status_code == 400 and unknown.json() == "Bad request - Action name not known: nope"
    missing = requests.get(f"{api}/package_show", params={"id": "nope"}, timeout=5)
    assert missing.status_code == 404 and missing.json()["error"]["__type"] == "Not Found Error"
    bad_fq = requests.get(f"{api}/package_search", params={"fq": "((("}, timeout=5)
    assert bad_fq.status_code == 400 and bad_fq.json()["error"]["__type"] == "Search Query Error"
    # POST with a JSON body and the unversioned path work too (ckanapi's defaults)
    posted = requests.post(f"{url}/api/action/package_show", json={"id": "canispaces----ville-de-gap"}, timeout=5)
    assert posted.json()["result"]["id"] == "cfa98601-185f-4194-bc0f-119fc23a194b"
    found = requests.get(f"{api}/package_search", params={"q": "déchetteries"}, timeout=5).json()["result"]
    assert [p["name"] for p in found["results"]] == ["dechetteries-de-la-cagtd"]
    names = requests.get(f"{api}/package_list", timeout=5).json()["result"]
    assert len(names) == 23 and "canispaces----ville-de-gap" in names
    orgs = requests.get(f"{api}/organization_list", params={"all_fields": "true"}, timeout=5).json()["result"]
    assert len(orgs) == 25 and all("package_count" in o for o in orgs)  # CKAN's default cap per call
    org = requests.get(f"{api}/organization_show", params={"id": "532"}, timeout=5).json()["result"]
    assert org["name"] == "communaute-dagglomeration-de-gap-tallard-durance"
    page = requests.get(f"{url}/dataset/canispaces----ville-de-gap", timeout=5)
    assert page.status_code == 200 and "Canispaces" in page.text


def test_incremental_filter_and_sort(server: PortalServer, fixtures: Path) -> None:
    recordings = load_recordings(sorted(fixtures.glob("ckan/*.json")))
    portal = CkanPortal(recordings.packages)
    url = server.mount("/ckan", portal)
    params = {"fq": "metadata_modified:[2025-07-15T00:00:00Z TO *]", "sort": "metadata_modified desc, id asc",
              "rows": 100}
    result = requests.get(f"{url}/api/3/action/package_search", params=params, timeout=5).json()["result"]
    modified = [p["metadata_modified"] for p in result["results"]]
    assert result["count"] == len(modified) == 8  # 5 DataSud packages of 2025-07-16, 3 EnviDat ones
    assert modified == sorted(modified, key=lambda m: m[:10], reverse=True)
    portal.update("cfa98601-185f-4194-bc0f-119fc23a194b", title="changed")
    newest = requests.get(f"{url}/api/3/action/package_search", params={**params, "rows": 1},
                          timeout=5).json()["result"]["results"][0]
    assert newest["id"] == "cfa98601-185f-4194-bc0f-119fc23a194b" and newest["title"] == "changed"
