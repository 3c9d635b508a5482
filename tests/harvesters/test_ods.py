"""OdsHarvester over real HTTP against the Explore API emulator serving the recorded ODS fixtures."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
import requests

from demo.portals.ods import OdsPortal
from demo.server import PortalServer, Request, Response
from harvesters.ods import OdsHarvester, portal_root
from index.store import Store
from kernel.http import HttpClient
from kernel.records import RawRecord, RecordError, SourceError
from pipeline.harvest import run_harvest
from tests.conftest import make_config

ALL_IDS = sorted([
    "264400516_arretes_ccas_guerande", "campbelltown-heat-aggregated-measures", "campbelltown_garbage_runs",
    "campelltown-business-directory", "ccc-combined-facilities-list-excluding-family-day-care-centres",
    "geonames-all-cities-with-a-population-1000", "vulnerability", "weather-stations",
    "world-administrative-boundaries-countries-and-territories",
])


@pytest.fixture
def portal(fixtures: Path) -> OdsPortal:
    return OdsPortal.from_dir(fixtures / "ods")


def harvester(url: str, options: str = "{}") -> OdsHarvester:
    config = make_config(f"- {{id: test-ods, type: ods, url: '{url}', options: {options}}}",
                         http="{timeout: 2, retries: 0, per_host_rps: 1000}")
    return OdsHarvester(config.sources[0], HttpClient(config.settings.http, allow_private=True))


def run(url: str, options: str = "{}", since: str | None = None) -> tuple[list[RawRecord], list[RecordError]]:
    items = list(harvester(url, options).harvest(since=since))
    return [i for i in items if isinstance(i, RawRecord)], [i for i in items if isinstance(i, RecordError)]


def catalog_queries(server: PortalServer) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(hit.path).query) for hit in server.hits
            if urlsplit(hit.path).path.endswith("/catalog/datasets") and "offset=" in hit.path]


def test_full_sweep_yields_every_dataset_with_provenance(server: PortalServer, portal: OdsPortal) -> None:
    url = server.mount("/ods", portal)
    records, errors = run(url)
    assert errors == []
    assert sorted(r.native_id for r in records) == ALL_IDS
    guerande = next(r for r in records if r.native_id == "264400516_arretes_ccas_guerande")
    assert guerande.profile == "ods" and guerande.source_id == "test-ods"
    assert guerande.url == f"{url}/api/explore/v2.1/catalog/datasets/264400516_arretes_ccas_guerande"
    assert guerande.modified == "2025-07-30T09:00:06.799000+00:00"
    dataset = orjson.loads(guerande.content)
    assert dataset["metas"]["default"]["title"] == "Arrêtés du CCAS de Guérande"
    # include_app_metas=true is what brings the popularity figures
    assert set(dataset["metas"]["explore"]) >= {"download_count", "api_call_count", "popularity_score"}
    # the record's URL is a working single-dataset call for the same dataset
    shown = requests.get(guerande.url, timeout=5).json()
    assert shown["dataset_id"] == guerande.native_id


def test_pages_by_offset_sorted_by_id_asking_app_metas(server: PortalServer, portal: OdsPortal) -> None:
    url = server.mount("/ods", portal)
    records, _ = run(url, "{page_size: 4}")
    assert [r.native_id for r in records] == ALL_IDS  # stable order: sorted on the id
    queries = catalog_queries(server)
    assert [q["offset"] for q in queries] == [["0"], ["4"], ["8"]]  # the short third page ends the sweep
    assert all(q["limit"] == ["4"] and q["order_by"] == ["dataset_id"] and q["include_app_metas"] == ["true"]
               for q in queries)


def test_continues_by_key_past_the_api_window(server: PortalServer, fixtures: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    portal = OdsPortal.from_dir(fixtures / "ods", window=6)  # the real API refuses offset + limit > 10,000
    monkeypatch.setattr(OdsHarvester, "window", 6)
    url = server.mount("/ods", portal)
    records, errors = run(url, "{page_size: 2}")
    assert errors == []
    assert [r.native_id for r in records] == ALL_IDS  # every dataset once, none skipped at the switch
    queries = catalog_queries(server)
    assert [q["offset"][0] for q in queries] == ["0", "2", "4", "0", "2"]
    assert "where" not in queries[2]
    assert queries[3]["where"] == queries[4]["where"] == [f'dataset_id > "{ALL_IDS[5]}"']
    assert all(int(q["offset"][0]) + int(q["limit"][0]) <= 6 for q in queries)


def test_incremental_asks_only_what_changed_since(server: PortalServer, portal: OdsPortal) -> None:
    url = server.mount("/ods", portal)
    records, errors = run(url, "{where: 'language = \"en\"'}", since="2021-01-01T00:00:00+00:00")
    assert errors == []
    assert sorted(r.native_id for r in records) == [
        "campelltown-business-directory", "geonames-all-cities-with-a-population-1000",
        "world-administrative-boundaries-countries-and-territories"]
    where = "(language = \"en\") AND modified >= date'2021-01-01T00:00:00+00:00'"
    assert catalog_queries(server)[0]["where"] == [where]
    assert OdsHarvester.supports_incremental


def test_old_portal_serving_only_v2_0(server: PortalServer, fixtures: Path) -> None:
    url = server.mount("/ods", OdsPortal.from_dir(fixtures / "ods", versions=("v2.0",)))
    records, errors = run(url)
    assert errors == [] and sorted(r.native_id for r in records) == ALL_IDS
    assert all("/api/v2/catalog/datasets/" in r.url for r in records)
    assert "dataset" not in orjson.loads(records[0].content)  # the v2.0 envelope is removed


def test_portal_url_forms() -> None:
    assert portal_root("https://data.example.fr/") == "https://data.example.fr"
    assert portal_root("https://data.example.fr/explore/") == "https://data.example.fr"
    assert portal_root("https://data.example.fr/api/explore/v2.1/catalog/datasets") == "https://data.example.fr"


def test_a_site_that_is_not_ods_fails_the_source(server: PortalServer) -> None:
    url = server.mount("/nothing", lambda request: Response(404, b"not found", content_type="text/plain"))
    with pytest.raises(SourceError, match="not an OpenDataSoft portal"):
        run(url)


def test_a_server_ignoring_offset_cannot_make_the_harvest_loop(server: PortalServer, portal: OdsPortal) -> None:
    def ignore_offset(request: Request) -> Response:
        request.query.pop("offset", None)
        return portal(request)

    url = server.mount("/ods", ignore_offset)
    records, errors = run(url, "{page_size: 3}")
    assert [r.native_id for r in records] == ALL_IDS[:3]
    assert len(errors) == 1 and errors[0].page_level and "ignore offset" in errors[0].reason


def test_a_failing_later_page_is_a_page_error_after_the_good_ones(server: PortalServer, portal: OdsPortal) -> None:
    def broken_second_page(request: Request) -> Response:
        if request.arg("offset") == "4":
            return Response(500, b'{"message": "boom"}')
        return portal(request)

    url = server.mount("/ods", broken_second_page)
    records, errors = run(url, "{page_size: 4}")
    assert [r.native_id for r in records] == ALL_IDS[:4]
    assert len(errors) == 1 and errors[0].page_level and "500" in errors[0].reason


def test_pipeline_keeps_popularity_figures_and_counts_unchanged_records(server: PortalServer, portal: OdsPortal,
                                                                         store: Store) -> None:
    url = server.mount("/ods", portal)
    config = make_config(f"- {{id: demo-ods, type: ods, url: '{url}'}}", http="{retries: 0, per_host_rps: 1000}")
    source = config.sources[0]
    store.sync_sources(config.sources)
    first = run_harvest(store, source, config, mode="full", index_after=False)
    assert first.status == "succeeded" and first.counts.new == 9 and first.counts.failed == 0
    portal.set_counters("264400516_arretes_ccas_guerande", download_count=1234, api_call_count=56)
    portal.bump_counters(downloads=5)
    second = run_harvest(store, source, config, mode="full", index_after=False)
    # new counters are statistics samples, not new versions of the records
    assert second.counts.unchanged == 9 and second.counts.updated == 0
    samples = _samples(store, "downloads")
    guerande = [s for s in samples if s["record_id"].startswith("demo-ods.") and s["value"] in (1234 + 5,)]
    assert guerande, "the changed download count of the Guérande dataset was sampled"
    assert {s["job_id"] for s in samples} == {first.job_id, second.job_id}


def _samples(store: Store, metric: str) -> list[dict[str, Any]]:
    sql = "SELECT record_id, value, job_id FROM metric_samples WHERE metric = ? AND distribution = ''"
    rows = store.db.execute(sql, (metric,)).fetchall()
    return [dict(row) for row in rows]


def test_harvested_fixtures_are_valid_dcat_ap_with_formats_licences_publishers_and_popularity(
        server: PortalServer, portal: OdsPortal) -> None:
    """Acceptance 1, end to end: fixtures served over loopback -> harvest -> normalise -> official SHACL shapes."""
    from normalise import normalise
    from scoring.shacl import validate_entries

    url = server.mount("/ods", portal)
    records, errors = run(url)
    entries = [entry for record in records for entry in normalise(record)]
    assert errors == [] and len(entries) == 9
    assert all(e.distributions and all(d.format and d.media_type for d in e.distributions) for e in entries)
    assert sum(e.licence is not None for e in entries) == 6  # three recorded datasets declare none
    # two recorded datasets name no publisher: the record says so instead of inventing one
    assert sorted(e.native_id for e in entries if e.publisher is None) == [
        "geonames-all-cities-with-a-population-1000", "vulnerability"]
    assert all("dct:publisher" in e.gaps for e in entries if e.publisher is None)
    assert all({"downloads", "api_calls", "reuses", "popularity_x100"} <= e.metrics.keys() for e in entries)
    reports = validate_entries(entries)
    for entry in entries:
        unexplained = [v for v in reports[entry.id].violations if v.severity == "violation"
                       and v.path not in entry.gaps]
        assert unexplained == [], (entry.native_id, unexplained)
