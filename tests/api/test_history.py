"""A record's history and the diff between two of its versions, through the API, after real harvests of the CKAN
emulator: changed at the source, withdrawn, restored."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from demo.server import PortalServer
from index.store import Store
from normalise.model import entry_id
from pipeline.harvest import run_harvest
from tests.pipeline.portals import ckan_config, recorded_ckan

EU = "http://publications.europa.eu/resource/authority/"
PARKINGS = "fe7cdceb-f65e-4e79-9ff2-d7895dc3b155"  # DataSud: parkings-ville-de-gap
DOWNLOAD = "https://www.datasud.fr/fr/dataset/datasets/4543/resource/6177/download/"


@pytest.fixture
def harvested(fixtures: Path, server: PortalServer, store: Store) -> Iterator[tuple[TestClient, list[int]]]:
    """Four harvests: first seen, changed at the source, removed, published again. Yields the API and job ids."""
    portal = recorded_ckan(fixtures)
    config = ckan_config({"gap": server.mount("/ckan", portal)})
    source = config.source("gap")
    jobs = [run_harvest(store, source, config, mode="full", index_after=False).job_id]
    original = copy.deepcopy(portal.package(PARKINGS))
    resources = copy.deepcopy(original["resources"])
    resources[0]["format"] = "JSON"
    portal.update(PARKINGS, title="Parkings de Gap", tags=[*original["tags"], {"name": "stationnement"}],
                  resources=resources)
    jobs.append(run_harvest(store, source, config, index_after=False).job_id)
    changed = copy.deepcopy(portal.package(PARKINGS))
    portal.delete(PARKINGS)
    jobs.append(run_harvest(store, source, config, mode="full", index_after=False).job_id)
    portal.put(changed, touch=False)
    jobs.append(run_harvest(store, source, config, mode="full", index_after=False).job_id)
    with TestClient(create_app(store.path)) as client:
        yield client, jobs


def test_history_lists_every_version_with_its_time_job_and_change(harvested: tuple[TestClient, list[int]]) -> None:
    client, jobs = harvested
    record = entry_id("gap", PARKINGS)

    response = client.get(f"/api/datasets/{record}/history")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == record and body["status"] == "active"
    assert [(v["version"], v["change"], v["job_id"]) for v in body["versions"]] == [
        (1, "new", jobs[0]), (2, "updated", jobs[1]), (3, "withdrawn", jobs[2]), (4, "restored", jobs[3])]
    assert all(v["at"] and len(v["hash"]) == 64 for v in body["versions"])
    assert body["versions"][2]["hash"] == body["versions"][1]["hash"] == body["versions"][3]["hash"]


def test_diff_of_two_versions_names_the_fields_that_changed(harvested: tuple[TestClient, list[int]]) -> None:
    client, _ = harvested
    record = entry_id("gap", PARKINGS)

    body = client.get(f"/api/datasets/{record}/diff", params={"from": 1, "to": 2}).json()

    assert (body["from"]["version"], body["to"]["version"]) == (1, 2)
    changes = {(c["path"], c["change"]): c for c in body["changes"]}
    assert changes[("title", "changed")]["from"] == "Parcs de stationnement de la Ville de Gap"
    assert changes[("title", "changed")]["to"] == "Parkings de Gap"
    assert changes[("keywords", "added")]["to"] == "stationnement"
    fmt = changes[(f"distributions[access_url={DOWNLOAD}].format", "changed")]
    assert (fmt["from"], fmt["to"]) == (EU + "file-type/SHP", EU + "file-type/JSON")
    assert body["summary"] == {"added": 1, "removed": 0, "changed": len(body["changes"]) - 1}
    assert not any("metrics" in c["path"] for c in body["changes"])  # counters are not part of a version

    backwards = client.get(f"/api/datasets/{record}/diff", params={"from": 2, "to": 1}).json()
    assert ("keywords", "removed") in {(c["path"], c["change"]) for c in backwards["changes"]}


def test_diff_defaults_to_the_last_change_and_a_withdrawal_changes_no_field(
        harvested: tuple[TestClient, list[int]]) -> None:
    client, _ = harvested
    record = entry_id("gap", PARKINGS)

    latest = client.get(f"/api/datasets/{record}/diff").json()
    assert (latest["from"]["version"], latest["to"]["version"]) == (3, 4)
    assert latest["to"]["change"] == "restored" and latest["changes"] == []
    withdrawal = client.get(f"/api/datasets/{record}/diff", params={"to": 3}).json()
    assert withdrawal["from"]["version"] == 2 and withdrawal["changes"] == []


def test_unknown_records_and_versions_are_404(harvested: tuple[TestClient, list[int]]) -> None:
    client, _ = harvested
    record = entry_id("gap", PARKINGS)

    assert client.get("/api/datasets/gap.0000000000000000/history").status_code == 404
    assert client.get("/api/datasets/gap.0000000000000000/diff").status_code == 404
    missing = client.get(f"/api/datasets/{record}/diff", params={"from": 1, "to": 9})
    assert missing.status_code == 404 and "versions 1 to 4" in missing.json()["detail"]
    assert client.get(f"/api/datasets/{record}/diff", params={"from": 0}).status_code == 422
