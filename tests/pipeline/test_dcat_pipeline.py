"""DCAT sources end to end through run_harvest over real HTTP: static catalogs served on loopback, harvested,
normalised, stored and indexed; a second harvest of an unchanged catalog rewrites nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.portals.dcat import hydra_pages
from demo.portals.static import StaticFiles
from demo.server import PortalServer, Request, Response
from index import close_indexes, open_index
from index.search import SearchQuery
from index.store import Store
from kernel.config import Config
from normalise.model import entry_id
from pipeline.harvest import JobResult, run_harvest
from tests.conftest import make_config

SOURCE = "dcat-test"
VANVES = "udata_data.gouv.fr_org_catalog.rdf.xml"
INVALID_TURTLE = "semic_dcat-ap-3.0.1_example-bee-population-dataset-series-combined_INVALID-TURTLE.ttl"
BUREAUX = "https://vanves-seineouest.opendatasoft.com/explore/dataset/bureau-de-vote-vanves/"


@pytest.fixture(autouse=True)
def _close_indexes() -> Iterator[None]:
    yield
    close_indexes()  # each test has its own store and index directory


def config_for(url: str) -> Config:
    return make_config(f"- {{id: {SOURCE}, type: dcat, url: '{url}'}}",
                       http="{timeout: 5, retries: 0, per_host_rps: 1000}")


def harvest(store: Store, url: str, index: bool = False) -> JobResult:
    config = config_for(url)
    return run_harvest(store, config.sources[0], config, index_after=index)


def versions(store: Store) -> int:
    return store.db.execute("SELECT COUNT(*) FROM record_versions").fetchone()[0]


def test_unchanged_catalog_twice_rewrites_nothing_and_is_searchable(server: PortalServer, store: Store,
                                                                     fixtures: Path) -> None:
    base = server.mount("/dcat", StaticFiles({"/org.rdf": fixtures / "dcat" / VANVES}))
    first = harvest(store, f"{base}/org.rdf", index=True)
    assert (first.status, first.counts.new, first.counts.failed) == ("succeeded", 3, 0)
    written = versions(store)
    second = harvest(store, f"{base}/org.rdf", index=True)
    assert (second.status, second.counts.unchanged, second.counts.new, second.counts.updated) == ("succeeded", 3, 0, 0)
    assert second.counts.withdrawn == 0
    assert [h.status for h in server.hits] == [200, 304]  # the catalog was not even downloaded again
    assert versions(store) == written
    entry, meta = store.entry(entry_id(SOURCE, BUREAUX))
    assert entry.title == "Bureaux de vote - Vanves" and meta["status"] == "active" and meta["version"] == 1
    found = open_index(store).search(SearchQuery(q="bureaux de vote"))
    assert entry_id(SOURCE, BUREAUX) in [hit["id"] for hit in found.hits]


def test_catalog_without_validators_gives_the_same_hashes(server: PortalServer, store: Store, fixtures: Path) -> None:
    """A server without ETag: the catalog is read and parsed again, and every record hashes the same."""
    body = (fixtures / "dcat" / "udata_datara_geonetwork_geodcat-ap.rdf.xml").read_bytes()
    url = server.mount("/plain", lambda request: Response(200, body, content_type="application/rdf+xml"))
    assert harvest(store, url).counts.new == 1
    raw_before = store.db.execute("SELECT hash FROM raw_records").fetchall()
    second = harvest(store, url)
    assert (second.counts.unchanged, second.counts.updated) == (1, 0)
    assert store.db.execute("SELECT hash FROM raw_records").fetchall() == raw_before


def test_paged_catalog_second_harvest_all_unchanged(server: PortalServer, store: Store, fixtures: Path) -> None:
    app = StaticFiles()
    base = server.mount("/hydra", app)
    for path, body in hydra_pages(fixtures / "dcat", base).items():
        app.put(path, body)
    first = harvest(store, f"{base}/hydra/page1.jsonld")
    assert (first.status, first.counts.new) == ("succeeded", 4)
    second = harvest(store, f"{base}/hydra/page1.jsonld")
    # page 1 read again (its next link is needed), page 2 answered 304: every record unchanged, none withdrawn
    assert (second.status, second.counts.unchanged, second.counts.withdrawn) == ("succeeded", 4, 0)
    assert [h.status for h in server.hits] == [200, 200, 200, 304]


def test_dataset_gone_from_the_catalog_is_withdrawn(server: PortalServer, store: Store, fixtures: Path) -> None:
    app = StaticFiles({"/c.rdf": fixtures / "dcat" / VANVES})
    base = server.mount("/dcat", app)
    harvest(store, f"{base}/c.rdf")
    text = (fixtures / "dcat" / VANVES).read_text("utf-8")
    app.put("/c.rdf", text.replace('<rdf:type rdf:resource="http://www.w3.org/ns/dcat#DataService"/>', "").encode())
    second = harvest(store, f"{base}/c.rdf")
    assert (second.counts.unchanged, second.counts.withdrawn) == (2, 1)


def test_unreadable_page_fails_the_job_and_keeps_the_records(server: PortalServer, store: Store,
                                                             fixtures: Path) -> None:
    app = StaticFiles({"/bees.ttl": fixtures / "dcat" /
                       "semic_dcat-ap-3.0.1_example-bee-population-dataset-series-modified.ttl"})
    base = server.mount("/dcat", app)
    assert harvest(store, f"{base}/bees.ttl").counts.new == 4
    app.put("/bees.ttl", b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<https://example.fr/ds/1> a dcat:Dataset ;")
    failed = harvest(store, f"{base}/bees.ttl")
    assert failed.status == "failed"
    assert failed.error is not None and "not valid Turtle: line 2" in failed.error
    assert store.jobs(SOURCE)[0]["error"] == failed.error
    assert store.count(source_id=SOURCE) == 4  # the last good state stays


def test_invalid_turtle_keeps_what_is_readable_and_withdraws_nothing(server: PortalServer, store: Store,
                                                                     fixtures: Path) -> None:
    app = StaticFiles({"/bees.ttl": fixtures / "dcat" /
                       "semic_dcat-ap-3.0.1_example-bee-population-dataset-series-modified.ttl"})
    base = server.mount("/dcat", app)
    assert harvest(store, f"{base}/bees.ttl").counts.new == 4
    app.put("/bees.ttl", fixtures / "dcat" / INVALID_TURTLE)  # the same datasets and more, two statements broken
    result = harvest(store, f"{base}/bees.ttl")
    assert result.status == "partial" and result.counts.withdrawn == 0
    reasons = [e["reason"] for e in store.job(result.job_id)["errors"]]
    assert len(reasons) == 2 and all(r.startswith(("lines 32-32: ", "lines 34-34: ")) for r in reasons)
    assert store.count(source_id=SOURCE) >= 5


def test_geonetwork_page_oxigraph_refuses_every_record_stored_the_job_says_what_and_where(
        server: PortalServer, store: Store, fixtures: Path) -> None:
    """Acceptance: the whole source no longer fails on one sloppy element of a real GeoNetwork export."""
    from tests.harvesters.test_dcat import THEME, geonetwork_page

    page = geonetwork_page(fixtures).replace(THEME, THEME.replace(" />", ">Hauts-de-France</dcat:theme>"), 1)
    base = server.mount("/dcat", StaticFiles({"/geonetwork.rdf": page.encode()}))
    result = harvest(store, f"{base}/geonetwork.rdf")
    assert (result.status, result.counts.new, result.counts.failed) == ("succeeded", 2, 0)
    [warning] = store.job(result.job_id)["errors"]
    assert warning["reason"].startswith("warning: line ") and "Hauts-de-France" in warning["reason"]
    assert warning["native_id"].startswith("https://www.geo2france.fr/") and warning["url"].endswith("geonetwork.rdf")
    assert [w.native_id for w in result.warnings] == [warning["native_id"]]


def test_one_malformed_record_is_listed_and_the_others_imported(server: PortalServer, store: Store) -> None:
    turtle = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
    <https://example.fr/ds/1> a dcat:Dataset ; dct:title "Parkings"@fr .
    <https://example.fr/ds/2> a dcat:Dataset ; dct:title "Arbres"@fr .
    [] a dcat:Dataset ; dct:title "Sans identifiant"@fr ."""
    base = server.mount("/dcat", StaticFiles({"/c.ttl": turtle}))
    result = harvest(store, f"{base}/c.ttl")
    assert (result.status, result.counts.new, result.counts.failed) == ("partial", 2, 1)
    [error] = store.job(result.job_id)["errors"]
    assert error["native_id"] == "untitled: Sans identifiant" and "dct:identifier" in error["reason"]


def test_unreachable_catalog_fails_with_a_clear_reason(server: PortalServer, store: Store) -> None:
    def gone(request: Request) -> Response:
        return Response(404, b"not found", content_type="text/plain")

    url = server.mount("/gone", gone)
    result = harvest(store, f"{url}/catalog.rdf")
    assert result.status == "failed" and result.error is not None and "HTTP 404" in result.error


def test_record_error_on_a_page_does_not_keep_gone_datasets(server: PortalServer, store: Store) -> None:
    catalog = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
    <https://example.fr/ds/1> a dcat:Dataset ; dct:title "Parkings"@fr .
    {second}
    [] a dcat:Dataset ; dct:title "Sans identifiant"@fr ."""
    app = StaticFiles({"/c.ttl": catalog.format(second='<https://example.fr/ds/2> a dcat:Dataset .').encode()})
    base = server.mount("/dcat", app)
    assert harvest(store, f"{base}/c.ttl").counts.new == 2
    app.put("/c.ttl", catalog.format(second="").encode())
    assert harvest(store, f"{base}/c.ttl").counts.withdrawn == 1
