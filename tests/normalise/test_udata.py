"""normalise_udata on the udata API v1 datasets rebuilt from the fixtures, and on hand-made edge cases."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from demo.portals.udata import ADDITIONS, DATASUD, VANVES, UdataPortal, load_portal_data
from demo.server import PortalServer
from harvesters.udata import UdataHarvester
from kernel.config import PublisherHint
from kernel.http import HttpClient
from kernel.records import RawRecord
from normalise import NormaliseError, normalise
from normalise.model import Dataset
from scoring.shacl import validate_entries
from tests.conftest import DEMO_DATA, make_config

PORTAL = "https://www.data.gouv.fr"
EU = "http://publications.europa.eu/resource/authority"
VANVES_VFE = "66397176ff2a31840e29304c"
VANVES_VOTE = "61892c9d076a4d62434a1318"
GAP_CANISPACES = "6889ffed4b3bbc104668b260"


@pytest.fixture(scope="module")
def datasets(fixtures: Path) -> Iterator[dict[str, dict[str, Any]]]:
    """The raw records the harvester makes from the emulator (organisation SIREN attached), by dataset id."""
    portal = UdataPortal(*load_portal_data(fixtures / "ckan" / DATASUD, fixtures / "dcat" / VANVES,
                                           DEMO_DATA / "udata" / ADDITIONS))
    with PortalServer() as server:
        url = server.mount("", portal)
        config = make_config(f"- {{id: udata-test, type: udata, url: '{url}'}}", http="{per_host_rps: 1000}")
        records = list(UdataHarvester(config.sources[0], HttpClient(allow_private=True)).harvest())
        assert all(isinstance(r, RawRecord) for r in records)
        yield {r.native_id: orjson.loads(r.content) for r in records if isinstance(r, RawRecord)}


@pytest.fixture(scope="module")
def portal_url(datasets: dict[str, dict[str, Any]]) -> str:
    return datasets[VANVES_VFE]["uri"].split("/api/1/")[0]


def raw(data: dict[str, Any]) -> RawRecord:
    base = str(data.get("uri") or f"{PORTAL}/api/1/datasets/{data['id']}/")
    return RawRecord("udata-test", data["id"], base, "udata", orjson.dumps(data))


def one(data: dict[str, Any], hint: PublisherHint | None = None) -> Dataset:
    entries = normalise(raw(data), hint)
    assert len(entries) == 1 and isinstance(entries[0], Dataset)
    return entries[0]


def test_every_dataset_normalises_to_valid_dcat_ap(datasets: dict[str, dict[str, Any]]) -> None:
    """Acceptance 1: formats, licences, publishers and popularity figures; SHACL violations only where gaps say."""
    entries = [one(d) for d in datasets.values()]
    assert len(entries) == 9
    assert all(e.publisher is not None and e.publisher.siren in ("219200755", "200067825") for e in entries)
    assert all(e.distributions and all(d.format for d in e.distributions) for e in entries)
    assert all(e.metrics.keys() >= {"views", "downloads", "reuses", "followers"} for e in entries)
    reports = validate_entries(entries)
    for entry in entries:
        unexplained = [v for v in reports[entry.id].violations
                       if v.severity == "violation" and v.path not in entry.gaps]
        assert unexplained == [], (entry.native_id, unexplained)


def test_schema_conforms_to_spatial_frequency_and_temporal(datasets: dict[str, dict[str, Any]],
                                                           portal_url: str) -> None:
    entry = one(datasets[VANVES_VFE])
    assert entry.title == "Ville de Vanves - Part des véhicules à faibles émissions dans le renouvellement du parc"
    assert entry.publisher.name == "Ville de Vanves" and entry.publisher.siren == "219200755"
    assert entry.publisher.homepage == "http://www.vanves.fr"
    assert entry.frequency == f"{EU}/frequency/ANNUAL"
    assert (entry.temporal[0].start, entry.temporal[0].end) == ("2023-01-01", "2023-12-31")
    spatial = entry.spatial[0]
    assert (spatial.communes, spatial.departements, spatial.regions) == (["92075"], ["92"], ["11"])
    csv = next(d for d in entry.distributions if d.format_label == "csv")
    assert csv.schema_ is not None
    assert csv.schema_.name == "etalab/schema-vehicules-faibles-emissions-renouvellement-parc"
    assert csv.schema_.version == "0.1.2"
    assert csv.conforms_to == [
        "https://schema.data.gouv.fr/etalab/schema-vehicules-faibles-emissions-renouvellement-parc/0.1.2/"]
    assert csv.format == f"{EU}/file-type/CSV"
    assert csv.media_type == "https://www.iana.org/assignments/media-types/text/csv"
    assert csv.access_url == f"{portal_url}/fr/datasets/r/aab4d337-a617-4c18-a045-291d68787a7d"
    assert csv.download_url.startswith("https://vanves-seineouest.opendatasoft.com/api/explore/v2.1/")
    assert entry.identifiers == [
        "https://vanves-seineouest.opendatasoft.com/explore/dataset/vfe_public_219200755_20240506/"]
    # "notspecified" is no licence: the source's words are kept, no URI is invented
    assert entry.licence is None and entry.licence_label == "notspecified"


def test_datasud_dataset_licence_contact_sizes_and_metrics(datasets: dict[str, dict[str, Any]],
                                                           portal_url: str) -> None:
    data = datasets[GAP_CANISPACES]
    entry = one(data)
    assert entry.licence == f"{EU}/licence/ETALAB_2_0" and entry.licence_label == "lov2"
    assert entry.contact_points[0].email == "voirie@ville-gap.fr"
    shapefile = entry.distributions[0]
    assert shapefile.format == f"{EU}/file-type/SHP" and shapefile.format_label == "shapefile (zip)"
    assert shapefile.byte_size == 1955 and shapefile.licence == entry.licence
    # resource.metrics.views is udata's download count; dataset resources_downloads is the sum
    assert shapefile.metrics == {"downloads": data["resources"][0]["metrics"]["views"]}
    assert entry.metrics == {"views": data["metrics"]["views"], "downloads": data["metrics"]["resources_downloads"],
                             "reuses": data["metrics"]["reuses"], "followers": data["metrics"]["followers"]}
    assert entry.landing_page == entry.uri == f"{portal_url}/fr/datasets/canispaces-ville-de-gap/"


def test_siret_gives_the_siren(datasets: dict[str, dict[str, Any]]) -> None:
    data = copy.deepcopy(datasets[VANVES_VOTE])
    # a SIRET built on the Vanves SIREN with a valid check digit (constructed for the test)
    data["organization"]["business_number_id"] = "219 200 755 00011"
    assert one(data).publisher.siren == "219200755"
    data["organization"]["business_number_id"] = "21920075500012"  # wrong check digit: no SIREN, name kept
    publisher = one(data).publisher
    assert publisher.siren is None and publisher.name == "Ville de Vanves"


def test_owner_then_hint_when_no_organisation(datasets: dict[str, dict[str, Any]]) -> None:
    data = copy.deepcopy(datasets[VANVES_VOTE])
    data["organization"] = None
    data["owner"] = {"id": "u1", "first_name": "Camille", "last_name": "Martin", "page": f"{PORTAL}/fr/users/cm/"}
    hint = PublisherHint(name="Ville de Vanves", siren="219200755")
    assert one(data, hint).publisher.name == "Camille Martin"
    data["owner"] = None
    assert one(data, hint).publisher.siren == "219200755"
    assert "dct:publisher" in one(data).gaps


def test_resources_api_checksum_geometry_and_quality_ignored(datasets: dict[str, dict[str, Any]]) -> None:
    data = copy.deepcopy(datasets[VANVES_VOTE])
    data["resources"].append({"id": "api-1", "title": "API des bureaux de vote", "type": "api", "filetype": "remote",
                              "format": "json", "url": "https://api.example.fr/bureaux", "metrics": {}})
    data["resources"][0]["checksum"] = {"type": "sha1", "value": "da39a3ee5e6b4b0d3255bfef95601890afd80709"}
    data["spatial"] = {"zones": [], "granularity": "poi",
                       "geom": {"type": "MultiPolygon", "coordinates": [[[[2.27, 48.81], [2.30, 48.81],
                                                                          [2.30, 48.83], [2.27, 48.81]]]]}}
    data["quality"] = {"score": 0.1}
    data["badges"] = [{"kind": "spd"}]
    entry = one(data)
    api = entry.distributions[-1]
    assert api.download_url is None and api.access_service is not None
    assert api.access_service.endpoint_url == "https://api.example.fr/bureaux"
    assert entry.distributions[0].checksum == "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert entry.spatial[0].bbox == (2.27, 48.81, 2.30, 48.83)
    assert entry.spatial[0].departements == ["92"]
    assert one(datasets[VANVES_VOTE]).model_dump(exclude={"spatial", "distributions"}) == \
        entry.model_dump(exclude={"spatial", "distributions"})  # quality and badges change nothing


def test_bad_input_raises_normalise_error() -> None:
    with pytest.raises(NormaliseError, match="no id"):
        normalise(RawRecord("s", "x", f"{PORTAL}/api/1/datasets/x/", "udata", b'{"title": "t"}'))
    with pytest.raises(NormaliseError, match="no title"):
        normalise(RawRecord("s", "x", f"{PORTAL}/api/1/datasets/x/", "udata", b'{"id": "x", "title": " "}'))
    with pytest.raises(NormaliseError, match="JSON object"):
        normalise(RawRecord("s", "x", f"{PORTAL}/api/1/datasets/x/", "udata", b"[1, 2]"))


def test_no_element_of_a_real_dataset_crashes_the_normaliser_or_loses_the_record(
        datasets: dict[str, dict[str, Any]]) -> None:
    from tests.normalise.defects import crashes

    def run(data: dict[str, Any]) -> object:
        return normalise(RawRecord("udata-test", "fuzzed", f"{PORTAL}/api/1/datasets/fuzzed/", "udata",
                                   orjson.dumps(data)))[0]

    problems = []
    for key in (VANVES_VFE, GAP_CANISPACES):
        problems += crashes(datasets[key], run, lambda path: path[0] in ("title", "id", "slug"))
    assert problems == [], "\n".join(problems)


def test_harvest_block_says_where_data_gouv_fr_took_the_dataset_from(datasets: dict[str, dict[str, Any]]) -> None:
    """Issue 14: the recorded harvest block (DataSud, a CKAN) is kept as the record's provenance evidence."""
    note = one(datasets[GAP_CANISPACES]).harvest
    assert note is not None
    assert (note.backend, note.domain, note.remote_id) == ("CKAN", "www.datasud.fr",
                                                           "cfa98601-185f-4194-bc0f-119fc23a194b")
    assert note.remote_url == "https://www.datasud.fr/explorer/fr/jeux-de-donnees/canispaces----ville-de-gap"
    vanves = one(datasets[VANVES_VOTE]).harvest  # harvested by data.gouv.fr's DCAT backend from the ODS portal
    assert vanves is not None and vanves.remote_id.startswith("https://vanves-seineouest.opendatasoft.com/")
    assert one({**datasets[VANVES_VOTE], "harvest": None}).harvest is None
