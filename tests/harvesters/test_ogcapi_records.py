"""OGC API - Records over real HTTP: collections, items paged along next links, into the store and index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from demo.portals.ogcapi_records import PygeoapiError, PygeoapiServer, build_features
from demo.server import PortalServer, Request, Response
from harvesters.ogcapi_records import OgcApiRecordsHarvester
from index.store import Store
from kernel.config import HttpSettings, SourceConfig
from kernel.http import HttpClient
from kernel.records import RawRecord, RecordError, SourceError
from normalise import normalise
from normalise.model import DataService, Dataset
from pipeline.harvest import run_harvest
from tests.conftest import make_config

FAST = HttpSettings(per_host_rps=200, retries=0)
TOWNS = [("Lyon", 4.835, 45.764), ("Marseille", 5.370, 43.297), ("Lille", 3.060, 50.630),
         ("Rennes", -1.680, 48.110), ("Nantes", -1.554, 47.218)]


def record(n: int, town: str, lon: float, lat: float, service: bool = False) -> dict[str, Any]:
    """A record as OGC API - Records Part 1 (core) writes it."""
    links: list[dict[str, Any]] = [
        {"rel": "self", "href": f"/collections/metadata/items/rec-{n}", "type": "application/geo+json"},
        {"rel": "alternate", "href": f"https://data.example.fr/jeux/{n}", "type": "text/html"},
    ]
    if service:
        links.append({"rel": "item", "href": "https://geo.example.fr/wms?SERVICE=WMS&REQUEST=GetCapabilities",
                      "type": "application/xml", "protocol": "OGC:WMS", "title": f"WMS {town}"})
    else:
        links.append({"rel": "enclosure", "href": f"https://data.example.fr/files/{n}.csv", "type": "text/csv",
                      "title": f"Export CSV {town}"})
    return {
        "id": f"rec-{n}", "type": "Feature", "conformsTo": ["http://www.opengis.net/spec/ogcapi-records-1/1.0/req/record-core"],
        "geometry": {"type": "Polygon", "coordinates": [[[lon - .02, lat - .02], [lon + .02, lat - .02],
                                                          [lon + .02, lat + .02], [lon - .02, lat + .02],
                                                          [lon - .02, lat - .02]]]},
        "time": {"interval": ["2020-01-01", ".."]},
        "properties": {
            "type": "service" if service else "dataset", "title": f"Stationnement à {town}",
            "description": f"Places de stationnement de {town}.", "keywords": ["stationnement", town.lower()],
            "themes": [{"concepts": [{"id": "TRAN"}],
                        "scheme": "http://publications.europa.eu/resource/authority/data-theme"}],
            "language": {"code": "fr"}, "created": "2021-03-04", "updated": f"2024-05-{n:02d}T10:00:00Z",
            "license": "etalab-2.0", "rights": "Réutilisation libre",
            "contacts": [{"organization": f"Ville de {town}", "emails": [{"value": f"open@{town.lower()}.fr"}],
                          "roles": ["publisher", "pointOfContact"]}],
            "formats": [{"name": "CSV", "mediaType": "text/csv"}],
        },
        "links": links,
    }


class RecordsApp:
    """Landing, /collections and /collections/{id}/items?limit=&offset= with next links (relative hrefs)."""

    def __init__(self, features: list[dict[str, Any]]) -> None:
        self.features = features
        self.repeat_last_page = False
        self.fail_offset: int | None = None

    def __call__(self, request: Request) -> Response:
        if request.path == "/collections":
            return self._json({"collections": [
                {"id": "metadata", "itemType": "record", "title": "Catalogue"},
                {"id": "parkings", "itemType": "feature", "title": "Parkings (features, not records)"}]})
        if request.path == "/collections/metadata/items":
            limit, offset = int(request.arg("limit") or 10), int(request.arg("offset") or 0)
            if offset == self.fail_offset:
                return Response(500, b"boom", content_type="text/plain")
            page = self.features[offset:offset + limit]
            links = [{"rel": "self", "href": request.path}]
            following = offset + limit if offset + limit < len(self.features) else None
            if self.repeat_last_page and following is None:
                following = offset
            if following is not None:
                links.append({"rel": "next", "href": f"items?limit={limit}&offset={following}&f=json"})
            return self._json({"type": "FeatureCollection", "numberMatched": len(self.features),
                               "numberReturned": len(page), "features": page, "links": links})
        return Response(404, b"{}")

    @staticmethod
    def _json(data: dict[str, Any]) -> Response:
        return Response(200, orjson.dumps(data), content_type="application/json")


@pytest.fixture
def records_api(server: PortalServer) -> tuple[RecordsApp, str]:
    features = [record(n + 1, town, lon, lat, service=n == 4) for n, (town, lon, lat) in enumerate(TOWNS)]
    app = RecordsApp(features)
    return app, server.mount("/records", app)


def _harvest(url: str, **options: object) -> list[RawRecord | RecordError]:
    source = SourceConfig(id="records", type="ogcapi-records", url=url, options=options)
    return list(OgcApiRecordsHarvester(source, HttpClient(FAST, allow_private=True)).harvest())


def test_items_are_paged_along_next_links(records_api: tuple[RecordsApp, str], server: PortalServer) -> None:
    _, url = records_api
    items = _harvest(url, page_size=2)
    assert [i.native_id for i in items] == [f"rec-{n}" for n in range(1, 6)]
    assert all(isinstance(i, RawRecord) and i.profile == "ogcapi-record" for i in items)
    assert items[0].url == url.split("/records")[0] + "/collections/metadata/items/rec-1"  # self link, absolute
    item_requests = [h.path for h in server.hits if "/items" in h.path]
    assert len(item_requests) == 3 and not any("parkings" in h.path for h in server.hits)


def test_a_server_repeating_its_last_page_does_not_loop(records_api: tuple[RecordsApp, str]) -> None:
    app, url = records_api
    app.repeat_last_page = True
    items = _harvest(url, page_size=2)
    assert [i.native_id for i in items] == [f"rec-{n}" for n in range(1, 6)]


def test_page_failure_is_reported_and_first_failure_fails_the_source(records_api: tuple[RecordsApp, str]) -> None:
    app, url = records_api
    app.fail_offset = 2
    items = _harvest(url, page_size=2)
    assert [i.native_id for i in items if isinstance(i, RawRecord)] == ["rec-1", "rec-2"]
    assert [i.page_level for i in items if isinstance(i, RecordError)] == [True]
    app.fail_offset = 0
    with pytest.raises(SourceError):
        _harvest(url, page_size=2)
    with pytest.raises(SourceError, match="unknown collection"):
        _harvest(url, collections=["nope"])


def test_incremental_on_a_server_that_ignores_sortby_reads_every_page(records_api: tuple[RecordsApp, str]) -> None:
    app, url = records_api  # the hand-written server declares no sorting and ignores sortby
    app.features = [app.features[1], app.features[0], *app.features[2:]]  # updated 2, 1, 3, 4, 5 (May 2024)
    items = _harvest_since(url, "2024-05-03T00:00:00Z", page_size=2)  # page 1 (2, 1) looks sorted and old
    assert [i.native_id for i in items if isinstance(i, RawRecord)] == ["rec-2", "rec-1", "rec-3", "rec-4", "rec-5"]


def _harvest_since(url: str, since: str, **options: object) -> list[RawRecord | RecordError]:
    source = SourceConfig(id="records", type="ogcapi-records", url=url, options=options)
    return list(OgcApiRecordsHarvester(source, HttpClient(FAST, allow_private=True)).harvest(since=since))

def test_pipeline_stores_datasets_and_services(records_api: tuple[RecordsApp, str], store: Store) -> None:
    _, url = records_api
    config = make_config(f"""
        - id: records
          type: ogcapi-records
          url: {url}
          options: {{page_size: 2}}
    """, http="{per_host_rps: 200, retries: 0}")
    result = run_harvest(store, config.sources[0], config)
    assert result.status == "succeeded", result.errors
    entries = {e.native_id: e for e in store.iter_entries(source_id="records")}
    assert len(entries) == 5
    lyon = entries["rec-1"]
    assert isinstance(lyon, Dataset) and lyon.title == "Stationnement à Lyon"
    assert lyon.publisher.name == "Ville de Lyon" and lyon.contact_points[0].email == "open@lyon.fr"
    assert lyon.licence == "http://publications.europa.eu/resource/authority/licence/ETALAB_2_0"
    assert "http://publications.europa.eu/resource/authority/data-theme/TRAN" in lyon.themes
    assert lyon.spatial[0].departements == ["69"] and lyon.temporal[0].start == "2020-01-01"
    assert lyon.landing_page == "https://data.example.fr/jeux/1"
    [csv] = lyon.distributions
    assert csv.download_url == "https://data.example.fr/files/1.csv"
    assert csv.format == "http://publications.europa.eu/resource/authority/file-type/CSV"
    service = entries["rec-5"]
    assert isinstance(service, DataService) and service.service_type == "wms"
    assert service.endpoint_urls == ["https://geo.example.fr/wms?SERVICE=WMS&REQUEST=GetCapabilities"]


# -- against a real server: pygeoapi (TinyDB catalogue) with records made from the ISO fixtures -----------------------


@pytest.fixture(scope="module")
def pygeoapi(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PygeoapiServer]:
    features = build_features(sorted((fixtures / "csw").glob("*.xml")), tmp_path_factory.mktemp("records"),
                              variants=40)
    server = PygeoapiServer(features, tmp_path_factory.mktemp("pygeoapi"))
    try:
        server.start()
    except PygeoapiError as exc:
        pytest.fail(f"{exc}")
    yield server
    server.stop()


def _harvester(url: str, **options: object) -> OgcApiRecordsHarvester:
    source = SourceConfig(id="pygeoapi", type="ogcapi-records", url=url, options=options)
    return OgcApiRecordsHarvester(source, HttpClient(FAST, allow_private=True))


def _records(items: list[RawRecord | RecordError]) -> list[RawRecord]:
    assert not [i for i in items if isinstance(i, RecordError)]
    return [i for i in items if isinstance(i, RawRecord)]


def test_pygeoapi_every_record_once_along_next_links(pygeoapi: PygeoapiServer) -> None:
    harvester = _harvester(pygeoapi.url, page_size=7)
    records = _records(list(harvester.harvest()))
    assert len(records) == len(pygeoapi.features) >= 50
    assert len({r.native_id for r in records}) == len(records)
    assert {r.native_id for r in records} == {f["id"] for f in pygeoapi.features}
    pages = -(-len(records) // 7)
    assert harvester.http.stats.requests == 1 + pages  # /collections, then one request per page
    entries = [e for r in records for e in normalise(r)]
    lyon = next(e for e in entries if e.title.startswith("Données de Lyon (69)"))
    assert lyon.spatial and "69" in lyon.spatial[0].departements  # the geometry came through
    assert any(isinstance(e, DataService) for e in entries) and any(isinstance(e, Dataset) for e in entries)


def test_pygeoapi_bbox_filter(pygeoapi: PygeoapiServer) -> None:
    around_lyon = (4.6, 45.6, 5.0, 45.9)
    records = _records(list(_harvester(pygeoapi.url, bbox=around_lyon).harvest()))
    expected = {f["id"] for f in pygeoapi.features if _meets(f["geometry"], around_lyon)}
    assert expected and {r.native_id for r in records} == expected
    assert len(records) < len(pygeoapi.features)


def test_pygeoapi_datetime_filter_on_updated(pygeoapi: PygeoapiServer) -> None:
    records = _records(list(_harvester(pygeoapi.url, datetime="2024-02-01T00:00:00Z/..").harvest()))
    expected = {f["id"] for f in pygeoapi.features if f["properties"]["updated"] >= "2024-02-01T00:00:00Z"}
    assert expected and {r.native_id for r in records} == expected


def test_pygeoapi_incremental_asks_newest_first_and_stops_at_the_last_harvest(pygeoapi: PygeoapiServer) -> None:
    since = "2024-02-05T00:00:00+00:00"
    harvester = _harvester(pygeoapi.url, page_size=5)
    records = _records(list(harvester.harvest(since=since)))
    changed = sorted(f["properties"]["updated"] for f in pygeoapi.features if f["properties"]["updated"] >= since)
    assert len(records) == len(changed) and 0 < len(records) < len(pygeoapi.features)
    assert all(orjson.loads(r.content)["properties"]["updated"] >= "2024-02-05" for r in records)
    # /collections, /conformance (sorting declared), then no page past the last harvest
    assert harvester.http.stats.requests <= 2 + len(changed) // 5 + 1
    nothing = _harvester(pygeoapi.url, page_size=5)
    assert _records(list(nothing.harvest(since="2030-01-01T00:00:00Z"))) == []
    assert nothing.http.stats.requests == 3  # /collections, /conformance and the first page


def test_pygeoapi_incremental_through_the_pipeline(pygeoapi: PygeoapiServer, store: Store) -> None:
    config = make_config(f"""
        - id: pygeoapi
          type: ogcapi-records
          url: {pygeoapi.url}
          options: {{page_size: 20}}
    """, http="{per_host_rps: 200, retries: 0}")
    full = run_harvest(store, config.sources[0], config, index_after=False)
    assert (full.status, full.counts.new) == ("succeeded", len(pygeoapi.features))
    again = run_harvest(store, config.sources[0], config, mode="incremental", index_after=False)
    assert again.status == "succeeded" and again.counts.new == 0 and again.counts.withdrawn == 0
    assert store.count(source_id="pygeoapi") == len(pygeoapi.features)


def _meets(geometry: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    xs = [p[0] for p in geometry["coordinates"][0]]
    ys = [p[1] for p in geometry["coordinates"][0]]
    return min(xs) <= box[2] and max(xs) >= box[0] and min(ys) <= box[3] and max(ys) >= box[1]
