"""harvesters.registries.catalogues: a record's catalogue endpoint or why it has none; and (acceptance 2 of issue 17)
every entry of the generated config/sources.france.yaml accepted by its harvester's own URL building, checked
against the platform's documented API path, without network."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter

from harvesters import harvester_class
from harvesters.registries import Catalogue, Exclusion, PortalRecord, catalogue_of
from harvesters.registries.catalogues import catalogue_key, site_key
from kernel.config import SOURCE_TYPES, SourceConfig, load_config
from kernel.http import HttpClient
from tests.conftest import DEMO_DATA, ROOT

GENERATED = ROOT / "config" / "sources.france.yaml"


def record(platform: str | None, *endpoints: tuple[str, str], homepage: str = "https://data.example.fr",
           **kwargs: object) -> PortalRecord:
    return PortalRecord("cdi", "example", "Example", homepage, platform, list(endpoints), **kwargs)  # type: ignore[arg-type]


# -- the first request of every generated entry -----------------------------------------------------------------------


class FirstRequest(BaseAdapter):
    """A transport that keeps the requests it is given and answers none: no network is touched."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:  # type: ignore[override]
        self.seen.append(request)
        raise requests.ConnectionError("no network in this test")

    def close(self) -> None:
        pass


def first_request(source: SourceConfig, tmp_path: Path) -> str:
    """The URL of the first request the source's harvester makes (its own URL building, over the HTTP layer)."""
    http = HttpClient(allow_private=True)
    capture = FirstRequest()
    http.session.mount("http://", capture)
    http.session.mount("https://", capture)
    harvester = harvester_class(source.type)(source, http)
    if source.type == "web":  # the crawl runs in a child process: its first request is the spec's start page
        return harvester._spec(tmp_path)["start_url"]  # type: ignore[attr-defined]
    with contextlib.suppress(Exception):  # the harvest fails at its first request, which is all we want
        for _ in harvester.harvest():
            break
    assert capture.seen, f"{source.id}: the harvester made no request"
    return capture.seen[0].url or ""


def _ods_catalog_path() -> str:
    """/api/explore/v2.1/catalog/datasets from Opendatasoft's own OpenAPI document (demo/data/ods)."""
    spec = json.loads((DEMO_DATA / "ods" / "opendatasoft_explore-v2.1_openapi.json").read_text())
    assert "/catalog/datasets" in spec["paths"] and "get" in spec["paths"]["/catalog/datasets"]
    return urlsplit(spec["servers"][0]["url"]).path + "/catalog/datasets"


# The platforms' documented DCAT feeds, the only addresses a generated dcat source may have: ArcGIS Hub's DCAT-US
# and DCAT-AP feeds (doc.arcgis.com, "Hub DCAT feeds"), ckanext-dcat's catalog endpoints, an Isogeo share's feed,
# GBIF IPT's /dcat, Data Fair's catalogue route (api/src/catalog/router.ts), a data.json (DCAT-US).
DCAT_FEEDS = re.compile(r"(/api/feed/dcat-us/1\.1\.json|/api/feed/dcat-ap/2\.0\.1\.json|/catalog\.(ttl|xml|jsonld|n3)"
                        r"|^/[0-9a-f]{32}/[\w-]+|/dcat|/data-fair/api/v1/catalog/dcat|/data\.json)$")


def check_documented(source: SourceConfig, url: str) -> None:
    parts, entry = urlsplit(url), urlsplit(source.url)
    query = {k.lower(): v for k, v in parse_qs(parts.query).items()}
    assert parts.scheme in ("http", "https") and parts.netloc == entry.netloc, (source.id, url)
    if source.type == "ods":
        assert parts.path == _ods_catalog_path() and query["limit"] == ["1"], (source.id, url)
    elif source.type == "ckan":  # CKAN's Action API (docs.ckan.org, "API guide"): /api/3/action/<action>
        assert parts.path == entry.path.rstrip("/") + "/api/3/action/status_show", (source.id, url)
    elif source.type == "csw":  # OGC 07-006r1, KVP binding: the service's address with service and request
        assert parts.path == entry.path and query["service"] == ["CSW"] and query["request"] == ["GetCapabilities"]
    elif source.type == "udata":  # udata API v1 (doc.data.gouv.fr): /api/1/datasets/
        assert parts.path == "/api/1/datasets/", (source.id, url)
    elif source.type == "ogcapi-records":  # OGC API - Records Part 1: /collections/{collectionId}/items
        assert re.fullmatch(r".*/collections/[^/]+/items", parts.path) and query["f"] == ["json"], (source.id, url)
    elif source.type == "dcat":
        assert url == source.url and DCAT_FEEDS.search(parts.path), (source.id, url)
    elif source.type == "web":
        assert url == source.url


@pytest.fixture(scope="module")
def generated() -> list[SourceConfig]:
    return load_config(GENERATED).sources


@pytest.mark.parametrize("source_type", SOURCE_TYPES)
def test_every_generated_entry_is_accepted_by_its_harvesters_url_building(source_type: str, tmp_path: Path,
                                                                          generated: list[SourceConfig]) -> None:
    sources = [s for s in generated if s.type == source_type]
    assert any(s.enabled for s in sources), f"no enabled {source_type} source in {GENERATED}"
    for source in sources:
        check_documented(source, first_request(source, tmp_path))


def test_a_misbuilt_address_would_be_caught() -> None:
    """The check is not a formality: an ODS source given as its API address (…/api, as registries list it) makes
    the harvester ask …/api/api/explore/…, which the documented path refuses."""
    wrong = SourceConfig(id="x", type="ods", url="https://data.laregion.fr/api")
    with pytest.raises(AssertionError):
        check_documented(wrong, first_request(wrong, Path(".")))
    right = catalogue_of(record("opendatasoft", ("opendatasoftapi", "https://data.laregion.fr/api")))
    assert isinstance(right, Catalogue) and right.url == "https://data.laregion.fr"


# -- a record's endpoint ---------------------------------------------------------------------------------------------


def test_an_arcgis_hub_is_read_by_its_dcat_us_feed_and_by_records_only_when_nothing_else_is_listed() -> None:
    hub = "https://data-x.opendata.arcgis.com"
    full = catalogue_of(record("arcgishub", ("ogcrecordsapi", f"{hub}/api/search/v1"),
                               ("dcatap201", f"{hub}/api/feed/dcat-ap/2.0.1.json"),
                               ("dcatus11", f"{hub}/api/feed/dcat-us/1.1.json")))
    assert isinstance(full, Catalogue)
    assert (full.type, full.url, full.evidence) == ("dcat", f"{hub}/api/feed/dcat-us/1.1.json", "listed")
    records = catalogue_of(record("arcgishub", ("ogcrecordsapi", f"{hub}/api/search/v1")))
    assert isinstance(records, Catalogue)
    assert (records.type, records.url) == ("ogcapi-records", f"{hub}/api/search/v1/collections/dataset")


@pytest.mark.parametrize(("endpoint", "expected"), [
    (("ckan:package-search", "https://d.fr/data/api/3/action/package_search"), ("ckan", "https://d.fr/data")),
    (("ckan", "https://d.fr/api/3"), ("ckan", "https://d.fr")),
    (("opendatasoft", "https://d.fr/api"), ("ods", "https://d.fr")),
    (("udataapi", "https://www.data.gouv.fr/api/1"), ("udata", "https://www.data.gouv.fr")),
    (("csw202", "https://d.fr/geonetwork/srv/eng/csw?SERVICE=CSW&REQUEST=GetCapabilities"),
     ("csw", "https://d.fr/geonetwork/srv/eng/csw")),
    (("dcat:ttl", "https://d.fr/catalog.ttl"), ("dcat", "https://d.fr/catalog.ttl")),
    (("schemaorg:datacatalog", "https://d.fr"), ("web", "https://d.fr")),
])
def test_listed_endpoints_give_the_root_their_harvester_wants(endpoint: tuple[str, str],
                                                               expected: tuple[str, str]) -> None:
    found = catalogue_of(record(None, endpoint))
    assert isinstance(found, Catalogue) and (found.type, found.url) == expected and found.evidence == "listed"


@pytest.mark.parametrize(("platform", "homepage", "expected"), [
    ("opendatasoft", "https://aix.opendatasoft.com/pages/accueil/", ("ods", "https://aix.opendatasoft.com")),
    ("geonetwork", "https://geo.fr/geonetwork/srv/fre/catalog.search#/home", ("csw", "https://geo.fr/geonetwork/srv/fre/csw")),
    ("isogeo", "http://open.isogeo.com/s/8ab60e6590a94eed922345badee8c6ca/B1MYSE2Es9iPJWXgR9KOSD062PPo0",
     ("dcat", "https://dcat.isogeo.com/8ab60e6590a94eed922345badee8c6ca/B1MYSE2Es9iPJWXgR9KOSD062PPo0")),
    ("arcgis", "https://data-x.opendata.arcgis.com", ("dcat", "https://data-x.opendata.arcgis.com/api/feed/dcat-us/1.1.json")),
    ("udata", "https://www.data.gouv.fr/fr/", ("udata", "https://www.data.gouv.fr")),
])
def test_an_address_is_derived_from_the_platforms_layout_when_none_is_listed(platform: str, homepage: str,
                                                                              expected: tuple[str, str]) -> None:
    found = catalogue_of(record(platform, homepage=homepage))
    assert isinstance(found, Catalogue) and (found.type, found.url) == expected and found.evidence == "derived"


@pytest.mark.parametrize(("platform", "endpoints", "reason"), [
    ("lizmap", [("lizmap:service", "https://x.lizmap.com/a/index.php/lizmap/service")], "map-viewer"),
    ("geoserver", [("wms130", "https://d.fr/geoserver/ows?service=WMS")], "map-server"),
    ("thredds", [("thredds:catalog", "https://d.fr/thredds/catalog.html")], "data-server"),
    ("dataverse", [("dataverseapi", "https://d.fr/api/search")], "unsupported-platform"),
    ("custom", [], "no-endpoint"),
    ("geonetwork", [], "no-endpoint"),  # a GeoNetwork whose mount point the homepage does not tell
])
def test_what_is_not_a_catalogue_is_left_out_with_the_reason(platform: str, endpoints: list[tuple[str, str]],
                                                             reason: str) -> None:
    found = catalogue_of(record(platform, *endpoints, catalog_type="Geoportal"))
    assert isinstance(found, Exclusion) and found.reason == reason and found.detail


def test_an_inactive_portal_is_left_out_whatever_it_lists() -> None:
    found = catalogue_of(record("opendatasoft", ("opendatasoft", "https://d.fr/api"), status="inactive"))
    assert isinstance(found, Exclusion) and found.reason == "inactive"


def test_keys_tell_one_catalogue_and_one_site() -> None:
    eng = Catalogue("csw", "https://www.geo.fr/geonetwork/srv/eng/csw", "listed", "csw202")
    fre = Catalogue("csw", "http://geo.fr/geonetwork/srv/fre/csw/", "derived", "derived:geonetwork")
    portal = Catalogue("csw", "https://geo.fr/geonetwork/other/fre/csw", "listed", "csw202")
    assert catalogue_key(eng) == catalogue_key(fre) != catalogue_key(portal)  # a sub-portal is another catalogue
    share = "https://dcat.isogeo.com/8ab60e6590a94eed922345badee8c6ca/tok"
    assert site_key(share) == site_key("https://open.isogeo.com/s/8ab60e6590a94eed922345badee8c6ca/tok")
    assert site_key(share) != site_key("https://dcat.isogeo.com/1b2b441f63e1434a9c7f03892d05826f/tok")
    assert site_key("https://www.geo2france.fr/ckan") != site_key("https://www.geo2france.fr/geonetwork/srv/eng/csw")
    assert site_key("https://datanova.laposte.fr/data-fair/api/v1/catalog/dcat") == site_key("https://datanova.laposte.fr")
