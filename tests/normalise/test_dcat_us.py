"""normalise_dcat_us on the recorded ArcGIS Hub data.json of Évian-les-Bains (harvested over loopback)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from demo.portals.static import StaticFiles
from demo.server import PortalServer
from harvesters.dcat import DcatHarvester
from kernel.config import PublisherHint, SourceConfig
from kernel.http import HttpClient
from kernel.records import RawRecord
from normalise import NormaliseError
from normalise.dcat_us import normalise_dcat_us
from normalise.model import Dataset, entry_from_json, entry_to_json
from scoring.shacl import validate_entries

EU = "http://publications.europa.eu/resource/authority/"
EVIAN = "udata_evian_arcgis-hub_dcat-us-1.1.json"


@pytest.fixture(scope="module")
def evian(fixtures: Path) -> list[Dataset]:
    with PortalServer() as server:
        base = server.mount("/evian", StaticFiles({"/data.json": fixtures / "dcat" / EVIAN}))
        source = SourceConfig(id="evian", type="dcat", url=f"{base}/data.json")
        raws = list(DcatHarvester(source, HttpClient(allow_private=True)).harvest())
    assert all(isinstance(r, RawRecord) and r.profile == "dcat-us" for r in raws)
    return [e for r in raws for e in normalise_dcat_us(r)]  # type: ignore[arg-type]


def raw(dataset: dict, native_id: str = "x") -> RawRecord:
    return RawRecord(source_id="src", native_id=native_id, url="https://example.fr/data.json", profile="dcat-us",
                     content=orjson.dumps(dataset))


def test_every_dataset_normalises(evian: list[Dataset]) -> None:
    assert len(evian) == 8
    for entry in evian:
        assert entry.title and entry.publisher is not None
        assert entry.access_rights == EU + "access-right/PUBLIC"
        assert entry_from_json(entry_to_json(entry)) == entry


def test_every_shacl_violation_is_a_gap_the_record_states(evian: list[Dataset]) -> None:
    reports = validate_entries(evian)
    for entry in evian:
        unexplained = [v for v in reports[entry.id].violations if v.severity == "violation" and v.gap not in entry.gaps]
        assert unexplained == [], (entry.native_id, unexplained)


def test_publishers_as_each_dataset_names_them(evian: list[Dataset]) -> None:
    assert [e.publisher.name for e in evian if e.publisher] == [
        "Ville d'Evian-les-Bains", "Ville d'Evian-les-Bains", "Mairie Evian-les-Bains", "Ville d'Evian-les-Bains",
        "Ville Evian-les-Bains", "sigevian", "sigevian", "sigevian"]


def test_html_description_and_licence(evian: list[Dataset]) -> None:
    entry = evian[0]
    assert entry.title == "stationnement velos"
    assert entry.description == "Emplacement et description des stationnement vélos à Evian-les-Bains"
    assert entry.licence_label == ("Soumis à la licence Etalab : "
                                   "https://www.etalab.gouv.fr/licence-ouverte-open-licence/")
    assert entry.licence is not None and "etalab" in entry.licence.lower()
    assert entry.landing_page == (
        "https://ville-d-evian-opendata-ville-evian.hub.arcgis.com/maps/f6565516d1354383b25793e630cf3f2b_5")
    assert entry.issued == "2022-07-29T10:07:13Z" and entry.modified == "2022-07-29T11:29:07.556Z"
    assert entry.keywords == ["mobilite", "geospatial"]  # "geospatial" is no EU theme: kept as a keyword
    assert entry.contact_points[0].name == "sigevian"


def test_spatial_box_and_territory(evian: list[Dataset]) -> None:
    [spatial] = evian[0].spatial
    assert spatial.bbox == pytest.approx((6.5735, 46.3912, 6.6069, 46.4028))
    assert spatial.departements == ["74"] and spatial.regions == ["84"]
    unfilled = [e for e in evian if not e.spatial]  # ArcGIS's "{{extent:computeSpatialProperty}}"
    assert len(unfilled) == 3 and all("dct:spatial" in e.gaps for e in unfilled)


def test_distributions(evian: list[Dataset]) -> None:
    by_title = {d.title: d for d in evian[0].distributions}
    assert list(by_title) == ["ArcGIS Hub Dataset", "ArcGIS GeoService", "CSV", "GeoJSON", "Shapefile", "KML"]
    assert by_title["CSV"].format == EU + "file-type/CSV"
    assert by_title["CSV"].media_type == "https://www.iana.org/assignments/media-types/text/csv"
    assert by_title["GeoJSON"].format == EU + "file-type/GEOJSON"
    assert by_title["Shapefile"].format_label == "ZIP"
    assert by_title["CSV"].access_url.endswith("/csv?layers=5") and by_title["CSV"].download_url is None
    assert all(d.licence == evian[0].licence for d in evian[0].distributions)


def test_epoch_milliseconds_interval_frequency_and_geojson() -> None:
    dataset = {
        "identifier": "ds-1", "title": "Comptages vélo", "description": "<p>Comptages</p><p>horaires</p>",
        "issued": 1656489600000, "modified": "1656576000000", "accrualPeriodicity": "R/P1M",
        "temporal": "2022-01-01/2022-12-31", "language": ["fr-FR"], "accessLevel": "non-public",
        "spatial": {"type": "Point", "coordinates": [4.85, 45.75]}, "theme": ["Transport"],
        "distribution": [{"downloadURL": "https://example.fr/comptages.csv"}, {"title": "sans URL"}],
    }
    entry = normalise_dcat_us(raw(dataset, "ds-1"))[0]
    assert entry.issued == "2022-06-29T08:00:00Z" and entry.modified == "2022-06-30T08:00:00Z"
    assert entry.frequency == EU + "frequency/MONTHLY"
    assert (entry.temporal[0].start, entry.temporal[0].end) == ("2022-01-01", "2022-12-31")
    assert entry.languages == [EU + "language/FRA"]
    assert entry.access_rights == EU + "access-right/NON_PUBLIC"
    assert entry.description == "Comptages\n\nhoraires"
    assert entry.spatial[0].bbox == (4.85, 45.75, 4.85, 45.75) and entry.spatial[0].departements == ["69"]
    assert entry.themes == [EU + "data-theme/TRAN"]
    [distribution] = entry.distributions  # a distribution without any URL leads nowhere
    assert distribution.format == EU + "file-type/CSV" and distribution.access_url == distribution.download_url


def test_publisher_hint_and_missing_title() -> None:
    entry = normalise_dcat_us(raw({"identifier": "ds-2"}, "ds-2"), PublisherHint(name="Ville d'Évian"))[0]
    assert entry.publisher is not None and entry.publisher.name == "Ville d'Évian"
    assert entry.title == "ds-2" and entry.gaps[:2] == ["dct:title", "dct:description"]


def test_not_a_json_object() -> None:
    with pytest.raises(NormaliseError):
        normalise_dcat_us(raw([1, 2]))  # type: ignore[arg-type]


def test_no_element_of_a_real_dataset_crashes_the_normaliser_or_loses_the_record(fixtures: Path) -> None:
    from tests.normalise.defects import crashes

    catalog = orjson.loads((fixtures / "dcat" / EVIAN).read_bytes())
    problems = []
    for dataset in catalog["dataset"][:3]:
        problems += crashes(dataset, lambda d: normalise_dcat_us(raw(d))[0], lambda path: False)
    assert problems == [], problems[:10]
def test_a_distribution_that_is_not_a_list_or_object_is_no_distribution() -> None:
    """Found by the fuzzing of issue 13: "distribution": 1 raised TypeError instead of being ignored."""
    for value in (1, "x", None, {"downloadURL": "https://example.fr/a.csv"}):
        (entry,) = normalise_dcat_us(raw({"identifier": "x", "title": "t", "distribution": value}))
        assert len(entry.distributions) == (1 if isinstance(value, dict) else 0)
