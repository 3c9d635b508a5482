"""OGC API - Records over real HTTP: collections, items paged along next links, into the store and index."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from demo.server import PortalServer, Request, Response
from harvesters.ogcapi_records import OgcApiRecordsHarvester
from index.store import Store
from kernel.config import HttpSettings, SourceConfig
from kernel.http import HttpClient
from kernel.records import RawRecord, RecordError, SourceError
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
