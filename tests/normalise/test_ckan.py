"""CKAN package dicts -> DCAT-AP Datasets: every recorded package normalises; specific values checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from demo.portals.ckan import load_recordings
from kernel.config import PublisherHint
from kernel.records import RawRecord
from normalise import NormaliseError, normalise
from normalise.ckan import normalise_ckan
from normalise.model import Dataset

EU = "http://publications.europa.eu/resource/authority"
IANA = "https://www.iana.org/assignments/media-types"
PORTAL = "https://ckan.example.org"
DATASUD_CANISPACES = "cfa98601-185f-4194-bc0f-119fc23a194b"
DKAN_FRENCH = "04be6288-696d-4331-850d-a144871a7e3a"
ENVIDAT_AVALANCHES = "91c9414e-13ce-49c2-9b1e-3ccc9e4a5314"
LEGACY_ZIMBABWE = "756d6426-d52d-492a-a263-599ad1caa123"
TAXATION = "95d9e550-8b36-4273-8df7-2b76c140e73a"


@pytest.fixture(scope="module")
def packages(fixtures: Path) -> dict[str, dict[str, Any]]:
    """Every package of the recorded CKAN fixtures, by id (the emulator's loader reads all their shapes)."""
    return {p["id"]: p for p in load_recordings(sorted(fixtures.glob("ckan/*.json"))).packages}


def raw(package: Any, source_id: str = "test-ckan") -> RawRecord:
    native = package.get("id") if isinstance(package, dict) else None
    native = native if isinstance(native, str) and native else "x"  # the harvester's id is always text
    return RawRecord(source_id=source_id, native_id=native, url=f"{PORTAL}/api/3/action/package_show?id={native}",
                     profile="ckan", content=orjson.dumps(package))


def one(package: dict[str, Any], hint: PublisherHint | None = None) -> Dataset:
    entries = normalise_ckan(raw(package), hint)
    assert len(entries) == 1
    return entries[0]


def by_name(packages: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    return next(p for p in packages.values() if p.get("name") == name)


def test_every_recorded_package_normalises(packages: dict[str, dict[str, Any]]) -> None:
    assert len(packages) == 23
    for package in packages.values():
        dataset = normalise(raw(package))[0]  # through the registry, as the pipeline calls it
        assert isinstance(dataset, Dataset)
        assert dataset.title and dataset.native_id == package["id"]
        assert dataset.id.startswith("test-ckan.")
        assert dataset.modified and dataset.landing_page and dataset.uri
        assert all(d.access_url for d in dataset.distributions)  # DCAT-AP's mandatory accessURL, always present
        assert len(dataset.distributions) == len(package.get("resources") or [])


def test_every_recorded_package_passes_the_dcat_ap_shapes(packages: dict[str, dict[str, Any]]) -> None:
    from scoring.shacl import validate_entries

    entries = [one(p) for p in packages.values()]
    reports = validate_entries(entries)
    failing = {e.title: [v.message for v in reports[e.id].violations if v.severity == "violation"]
               for e in entries if not reports[e.id].conforms_alone}
    assert failing == {}


def test_datasud_french_record(packages: dict[str, dict[str, Any]]) -> None:
    dataset = one(packages[DATASUD_CANISPACES])
    assert dataset.title == "Canispaces - Ville de Gap"
    assert dataset.licence == f"{EU}/licence/ETALAB_2_0" and dataset.licence_label == "Licence Ouverte 2.0"
    assert dataset.publisher is not None
    assert dataset.publisher.name == "Communauté d'Agglomération de Gap-Tallard-Durance"
    assert dataset.publisher.uri == f"{PORTAL}/organization/communaute-dagglomeration-de-gap-tallard-durance"
    assert dataset.keywords == ["chien", "canispace"]
    assert f"{EU}/data-theme/ENVI" in dataset.themes  # the "Environnement et climat" group
    assert dataset.landing_page == "https://www.datasud.fr/explorer/fr/jeux-de-donnees/canispaces----ville-de-gap"
    assert dataset.issued is not None and dataset.issued.startswith("2025-07-16T08:11:44.531")  # metadata_created
    assert dataset.modified == "2025-07-16"
    assert [(c.name, c.email) for c in dataset.contact_points] == [("Ville de Gap", "voirie@ville-gap.fr")]
    shp, wms, wfs = dataset.distributions
    assert shp.format == f"{EU}/file-type/SHP" and shp.format_label == "Shapefile (zip)"
    assert shp.media_type == f"{IANA}/application/zip" and shp.byte_size == 1955
    assert shp.download_url == shp.access_url == \
        "https://www.datasud.fr/fr/dataset/datasets/4539/resource/6176/download/"
    assert shp.licence == dataset.licence
    assert wms.format == f"{EU}/file-type/WMS_SRVC" and wms.download_url is None
    assert wms.access_service is not None and wms.access_service.service_type == "wms"
    assert wfs.access_service is not None and wfs.access_service.service_type == "wfs"
    # DataSud gives the WMS and WFS resources the same id: only the first keeps the resource IRI
    assert wms.uri == f"{PORTAL}/dataset/{DATASUD_CANISPACES}/resource/1112" and wfs.uri is None
    assert "dct:description" not in dataset.gaps and "dct:temporal" in dataset.gaps


def test_dkan_french_record_with_french_dates(packages: dict[str, dict[str, Any]]) -> None:
    dataset = one(packages[DKAN_FRENCH])
    assert dataset.issued == "2019-12-10T09:23:00"  # "mar, 10/12/2019 - 09:23": day first
    assert dataset.modified == "2019-09-30T22:00:00"
    assert dataset.description == "Liste et coordonnées des antennes de proximité du conseil régional Hauts-de-France."
    assert dataset.languages == [f"{EU}/language/FRA"]  # metadata-language "fre"
    assert dataset.frequency == f"{EU}/frequency/AS_NEEDED"  # ISO "asNeeded" (an EU concept since 2026)
    assert dataset.identifiers == ["4b5f8e1b-de37-47cd-9203-37a59f318b09"]  # the INSPIRE guid
    assert dataset.licence is not None and "etalab" in dataset.licence.lower()  # license_title is the Etalab URL
    assert dataset.publisher is not None and dataset.publisher.name == "Région Hauts-de-France"  # DKAN group
    assert [(c.name, c.email) for c in dataset.contact_points] == [
        ("Opendata de la Région Hauts-de-France", "opendata@hautsdefrance.fr"), (None, "sig@hautsdefrance.fr")]
    assert dataset.creators == []  # an author email alone names no creator
    (spatial,) = dataset.spatial
    assert spatial.bbox == (1.18652344, 48.80546301, 4.65820313, 51.16423318)
    assert spatial.geometry is not None and spatial.geometry["type"] == "Polygon"
    xlsx, viewer = dataset.distributions
    assert xlsx.format == f"{EU}/file-type/XLSX" and xlsx.byte_size == 42  # "42 octets"
    assert xlsx.modified == "2019-12-19T03:00:00"  # "Date changed  jeu, 19/12/2019 - 03:00"
    assert xlsx.download_url is not None
    assert viewer.format is None and viewer.download_url is None and viewer.access_url.startswith("https://sig.")


def test_dkan_bbox_gives_hauts_de_france_territory(packages: dict[str, dict[str, Any]]) -> None:
    (spatial,) = one(packages[DKAN_FRENCH]).spatial
    assert "32" in spatial.regions  # Hauts-de-France
    assert {"59", "62"} <= set(spatial.departements)


def test_envidat_json_in_strings(packages: dict[str, dict[str, Any]]) -> None:
    dataset = one(packages[ENVIDAT_AVALANCHES])
    assert [(a.name, a.email) for a in dataset.creators] == [
        ("WSL Institute for Snow and Avalanche Research SLF", "data@slf.ch")]
    assert [(c.name, c.email) for c in dataset.contact_points] == [("Avalanche Warning Service SLF", "data@slf.ch")]
    assert dataset.identifiers == ["https://doi.org/10.16904/envidat.412"]
    assert dataset.licence is None and dataset.licence_label == "Other (Specified in the description)"
    assert dataset.temporal[0].start == "2023-06-09"  # the "collected" date
    (spatial,) = dataset.spatial
    assert spatial.label == "Switzerland" and spatial.bbox == (5.95587, 45.81802, 10.49203, 47.80838)
    assert dataset.version == "1.0" and dataset.languages == [f"{EU}/language/ENG"]
    csv = dataset.distributions[0]
    assert csv.format == f"{EU}/file-type/CSV" and csv.byte_size == 185231
    assert csv.access_rights == f"{EU}/access-right/PUBLIC"  # restricted: {"level": "public"}


def test_envidat_creators_keep_orcids(packages: dict[str, dict[str, Any]]) -> None:
    dataset = one(by_name(packages, "dataset-for-canopy-scale-vpd-reduction-in-a-mature-forest-alters-stomatal-respon"))
    orcids = {a.name: a.uri for a in dataset.creators}
    assert orcids["Marcus Schaub"] == "https://orcid.org/0000-0002-0158-8892"
    assert orcids["Jonas Gisler"] is None


def test_legacy_spatial_harvest_extras(packages: dict[str, dict[str, Any]]) -> None:
    dataset = one(packages[LEGACY_ZIMBABWE])
    assert dataset.issued == "2012-05-10" and dataset.modified == "2012-05-10T21:04:00"  # dcat_* over metadata_*
    assert [(p.start, p.end) for p in dataset.temporal] == [("1982", "1986")]  # '["1982"]' JSON lists
    assert dataset.languages == [f"{EU}/language/{code}" for code in ("ENG", "SPA", "CAT")]  # "en,es,ca"
    assert dataset.frequency == f"{EU}/frequency/NOT_PLANNED"  # ISO "notPlanned" (an EU concept since 2026)
    assert dataset.identifiers == ["9df8df51-63db-37a8-e044-0003ba9b0d98"]
    assert dataset.rights == "Subject to a licence fee. Subject to usual BGS terms and conditions."
    assert dataset.spatial[0].bbox == (25.0, -22.0, 33.0, -15.0)
    assert [c.email for c in dataset.contact_points] == ["info@gs.org", "enquiries@bgs.ac.uk"]
    assert [a.name for a in dataset.creators] == ["John Doe"]
    assert dataset.metrics == {"views": 0} and dataset.distributions[0].metrics == {"downloads": 0}
    page = dataset.distributions[0]
    assert page.format == f"{EU}/file-type/HTML" and page.download_url is None  # a web page, not a file
    assert dataset.publisher is None and "dct:publisher" in dataset.gaps


def test_multilingual_scheming_package(packages: dict[str, dict[str, Any]]) -> None:
    dataset = one(by_name(packages, "test-dataset-multilingual"))
    assert dataset.title == "Test DCAT dataset"
    assert dataset.title_translations["ca"] == "Conjunt de dades de prova DCAT"
    assert dataset.description_translations["es"] == "Una descripción cualquiera"
    assert dataset.keywords == ["Oaks", "Pines", "Roures", "Pins", "Robles", "Pinos"]
    assert dataset.issued == "2024-05-01" and dataset.modified == "2024-05-05"
    assert dataset.provenance == "Statement about provenance" and dataset.version == "1.0b"
    assert [c.email for c in dataset.contact_points] == ["contact1@example.org", "contact2@example.org"]
    (csv,) = dataset.distributions
    assert csv.download_url == "https://example.com/data.csv" and csv.issued == "2024-05-01T01:20:33"
    assert csv.rights == "Some stament about rights"
    assert csv.languages == [f"{EU}/language/{code}" for code in ("ENG", "CAT", "SPA")]


def test_data_gov_au_top_level_fields(packages: dict[str, dict[str, Any]]) -> None:
    murray = one(by_name(packages, "murray-darling-basin-water-resource-plan-areas-surface-water"))
    assert murray.licence == f"{EU}/licence/CC_BY_4_0"
    assert murray.frequency == f"{EU}/frequency/IRREG"  # update_freq "infrequently"
    assert murray.temporal == [] and "dct:temporal" in murray.gaps  # "Current" is not a date
    assert murray.spatial[0].label == "Murray-Darling Basin, Australia"
    assert (None, "gis@mdba.gov.au") in [(c.name, c.email) for c in murray.contact_points]
    assert murray.languages == [f"{EU}/language/ENG"]
    taxation = one(packages[TAXATION])
    assert taxation.metrics == {"views": 3073}  # tracking_summary.total
    assert taxation.spatial[0].bbox == (96.816941408, -43.598215003, 159.109219008, -9.142175977)  # spatial_coverage
    assert taxation.licence == f"{EU}/licence/CC_BY_3_0"
    assert f"{EU}/data-theme/ECON" in taxation.themes
    assert [d.format_label for d in taxation.distributions] == ["JSON", "wms", "WFS", "CSV", "CSV", "CSV"]


def test_ckanext_spatial_geojson_extra(packages: dict[str, dict[str, Any]]) -> None:
    dataset = one(by_name(packages, "dataset-2"))
    (spatial,) = dataset.spatial
    assert spatial.label == "Africa" and spatial.geometry is not None
    assert spatial.bbox == (-19.9, -34.2, 50.8, 36.7)


def test_licences_that_map_to_nothing_keep_their_wording(packages: dict[str, dict[str, Any]]) -> None:
    no_resources = one(by_name(packages, "dataset-3"))
    assert no_resources.licence is None and no_resources.licence_label == "License not specified"
    assert no_resources.distributions == [] and "dcat:distribution" in no_resources.gaps
    other_open = one(by_name(packages, "100-validated-species-of-plants"))
    assert other_open.licence is None and other_open.licence_label == "Other (Open)"
    cc = one(by_name(packages, "1617in10-regulation-of-sale-of-overseas-properties-20170426-c"))
    assert cc.licence == f"{EU}/licence/CC_BY"


def test_landing_page_falls_back_to_the_portal_page(packages: dict[str, dict[str, Any]]) -> None:
    dataset = one(packages[ENVIDAT_AVALANCHES])  # url is null
    assert dataset.landing_page == f"{PORTAL}/dataset/fatal-avalanche-accidents-in-switzerland-since-1936-37"
    assert dataset.uri == f"{PORTAL}/dataset/{ENVIDAT_AVALANCHES}"


def test_publisher_siren_from_organisation_extras_or_hint(packages: dict[str, dict[str, Any]]) -> None:
    package = dict(packages[DATASUD_CANISPACES])
    package["organization"] = {**package["organization"], "extras": [{"key": "SIRET", "value": "216 901 231 00011"}]}
    assert one(package).publisher.siren == "216901231"  # type: ignore[union-attr]
    # hint SIRENs below are test values: the hint is the operator's word, used when it names the same body
    hint = PublisherHint(name="Communauté d'agglomération de Gap Tallard Durance", siren="123456789")
    assert one(packages[DATASUD_CANISPACES], hint).publisher.siren == "123456789"  # type: ignore[union-attr]
    other = PublisherHint(name="Région Sud", siren="987654321")
    assert one(packages[DATASUD_CANISPACES], other).publisher.siren is None  # type: ignore[union-attr]
    # a record naming no publisher takes the hint
    anonymous = one(packages[LEGACY_ZIMBABWE], other)
    assert anonymous.publisher is not None and anonymous.publisher.name == "Région Sud"
    assert "dct:publisher" not in anonymous.gaps


@pytest.mark.parametrize(("content", "reason"), [
    (b"not json", "not valid JSON"),
    (b'["a", "list"]', "expected a JSON object"),
    (orjson.dumps({"id": "x", "title": 42}), "neither a title nor a name"),  # the bad title lost, nothing left
    (orjson.dumps({"id": "x", "title": "", "name": ""}), "neither a title nor a name"),
])
def test_malformed_packages_raise_a_plain_reason(content: bytes, reason: str) -> None:
    record = RawRecord(source_id="s", native_id="x", url=f"{PORTAL}/api/3/action/package_show?id=x",
                       profile="ckan", content=content)
    with pytest.raises(NormaliseError, match=reason):
        normalise_ckan(record)


def test_a_defective_element_loses_that_element_not_the_package() -> None:
    dataset = one({"id": "x", "title": 42, "name": "arbres", "resources": "oops", "tags": 7,
                   "notes": ["not", "text"], "groups": {"a": 1}, "extras": 3.5})
    assert dataset.title == "arbres" and dataset.distributions == [] and dataset.keywords == []
    assert dataset.description is None and "dct:description" in dataset.gaps


def test_minimal_package_lists_its_gaps() -> None:
    dataset = one({"id": "abc", "name": "minimal", "metadata_modified": "2024-03-01T10:00:00"})
    assert dataset.title == "minimal" and dataset.description is None
    assert dataset.landing_page == f"{PORTAL}/dataset/minimal"
    assert dataset.modified == "2024-03-01T10:00:00"
    assert {"dct:description", "dcat:distribution", "dcat:contactPoint", "dct:publisher"} <= set(dataset.gaps)


def test_resource_without_url_is_reached_through_its_portal_page() -> None:
    dataset = one({"id": "abc", "title": "T", "resources": [{"id": "r1", "name": "upload", "format": "CSV"}]})
    (dist,) = dataset.distributions
    assert dist.access_url == f"{PORTAL}/dataset/abc/resource/r1" and dist.download_url is None


def test_no_element_of_a_real_package_crashes_the_normaliser_or_loses_the_record(
        packages: dict[str, dict[str, Any]]) -> None:
    from tests.normalise.defects import crashes

    package = packages[DATASUD_CANISPACES]
    # only the title (and the name it falls back on) cannot be done without
    assert crashes(package, one, lambda path: path[0] in ("title", "name")) == []


def test_harvest_extras_say_where_the_package_was_harvested_from(packages: dict[str, dict[str, Any]]) -> None:
    """Issue 14: ckanext-harvest's extras and the guid its harvesters keep become the record's provenance note; a
    package nobody harvested has none."""
    package = by_name(packages, "canispaces----ville-de-gap")
    assert one(package).harvest is None
    harvested = {**package, "extras": [
        {"key": "guid", "value": "https://www.ville-gap.fr/donnees/canispaces"},
        {"key": "harvest_object_id", "value": "0b9b5c43-54c5-4f3c-9a3e-2f0c1d8a7e11"},
        {"key": "harvest_source_id", "value": "3f1e0c55-8d2b-4b7a-a0f4-6a1b2c3d4e5f"},
        {"key": "harvest_source_title", "value": "Données ouvertes de la Ville de Gap"},
        {"key": "harvest_url", "value": "https://www.ville-gap.fr/donnees/catalogue.ttl"}]}
    note = one(harvested).harvest
    assert note is not None
    assert (note.remote_id, note.source_title, note.domain) == (
        "https://www.ville-gap.fr/donnees/canispaces", "Données ouvertes de la Ville de Gap", "www.ville-gap.fr")
