"""normalise_ods on every recorded ODS dataset shape (v2.1 examples, v2.0 captures, legacy v1), and the mapping."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from demo.portals.ods import datasets_from_dcat_recording
from kernel.config import PublisherHint
from kernel.records import RawRecord
from normalise import NormaliseError, normalise
from normalise.common import recommended_gaps, text_from_html
from normalise.model import Dataset
from scoring.shacl import validate_entries

PORTAL = "https://data.example.fr"
EU = "http://publications.europa.eu/resource/authority"


def raw(dataset: dict[str, Any], native_id: str | None = None) -> RawRecord:
    dataset_id = native_id or dataset.get("dataset_id") or dataset.get("datasetid") or dataset["dataset"]["dataset_id"]
    return RawRecord("ods-test", dataset_id, f"{PORTAL}/api/explore/v2.1/catalog/datasets/{dataset_id}", "ods",
                     orjson.dumps(dataset))


def one(dataset: dict[str, Any], hint: PublisherHint | None = None) -> Dataset:
    entries = normalise(raw(dataset), hint)
    assert len(entries) == 1 and isinstance(entries[0], Dataset)
    return entries[0]


def fixture_datasets(fixtures: Path) -> list[dict[str, Any]]:
    """Every dataset object the ODS fixtures hold, in each recorded shape."""
    folder = fixtures / "ods"
    examples = json.loads((folder / "opendatasoft_explore-v2.1_openapi.json").read_text("utf-8"))
    examples = examples["components"]["examples"]
    out = list(examples["datasets-v2.1"]["value"]["results"]) + [examples["dataset-v2.1"]["value"]]
    for name in ("terriajs_campbelltown_v2.0_catalog_datasets.json",
                 "terriajs_campbelltown_v2.0_catalog_datasets_total101_edited.json"):
        out += json.loads((folder / name).read_text("utf-8"))["datasets"]  # v2.0 envelopes, kept wrapped
    out.append(json.loads((folder / "terriajs_campbelltown_v2.0_catalog_dataset_weather-stations.json")
                          .read_text("utf-8")))
    out += json.loads((folder / "udata-ods_v1_search.json").read_text("utf-8"))["datasets"]
    for name in ("udata-ods_v1_dataset_inspire.json", "udata-ods_v1_dataset_with-attachments.json"):
        out.append(json.loads((folder / name).read_text("utf-8")))
    out += datasets_from_dcat_recording(folder / "udata-snapshot_capatlantique_v2.1_catalog_exports_dcat.json")
    return out


@pytest.fixture(scope="module")
def all_datasets(fixtures: Path) -> list[dict[str, Any]]:
    return fixture_datasets(fixtures)


@pytest.fixture(scope="module")
def by_id(all_datasets: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for item in all_datasets:
        data = item.get("dataset", item)
        out.setdefault(data.get("dataset_id") or data.get("datasetid"), item)
    return out


def test_every_recorded_shape_normalises(all_datasets: list[dict[str, Any]]) -> None:
    entries = [one(d) for d in all_datasets]
    assert len(entries) == 23
    assert all(e.title and e.landing_page and e.landing_page.startswith(f"{PORTAL}/explore/dataset/") for e in entries)
    assert all(e.gaps == recommended_gaps(e) for e in entries)


def test_normalised_records_are_valid_dcat_ap_except_for_declared_gaps(all_datasets: list[dict[str, Any]]) -> None:
    """Acceptance 1: every SHACL violation left is a property the source does not give, listed in ``gaps``."""
    entries = [one(d) for d in all_datasets]
    entries = list({e.id: e for e in entries}.values())
    reports = validate_entries(entries)
    for entry in entries:
        unexplained = [v for v in reports[entry.id].violations
                       if v.severity == "violation" and v.path not in entry.gaps]
        assert unexplained == [], (entry.native_id, unexplained)
    assert sum(r.conforms for r in reports.values()) >= len(entries) - 6  # only the description-less test datasets


def test_french_dataset_licence_publisher_siren_territory_and_exports(by_id: dict[str, dict[str, Any]]) -> None:
    entry = one(by_id["264400516_arretes_ccas_guerande"])
    assert entry.title == "Arrêtés du CCAS de Guérande"
    assert entry.licence == f"{EU}/licence/ETALAB_2_0"
    assert entry.licence_label == "Licence Ouverte v2.0 (Etalab)"
    # the SCDL file-naming convention "{SIREN}_{name}" gives the publisher's SIREN (Luhn-checked)
    assert entry.publisher is not None and entry.publisher.name == "CCAS Guérande"
    assert entry.publisher.siren == "264400516"
    assert entry.languages == [f"{EU}/language/FRA"]
    assert entry.spatial[0].communes == ["44069"] and entry.spatial[0].departements == ["44"]
    assert entry.spatial[0].regions == ["52"]
    assert entry.modified == "2025-07-30T09:00:06.799Z" and entry.issued == entry.modified
    assert [d.format_label for d in entry.distributions] == ["csv", "json", "xlsx", "parquet"]  # no geo feature
    csv = entry.distributions[0]
    assert csv.download_url == (f"{PORTAL}/api/explore/v2.1/catalog/datasets/264400516_arretes_ccas_guerande/"
                                "exports/csv")
    assert csv.format == f"{EU}/file-type/CSV"
    assert csv.media_type == "https://www.iana.org/assignments/media-types/text/csv"
    assert all(d.licence == entry.licence for d in entry.distributions)
    assert entry.uri == entry.landing_page == f"{PORTAL}/explore/dataset/264400516_arretes_ccas_guerande/"


def test_geo_exports_attachments_and_plain_text_description(by_id: dict[str, dict[str, Any]],
                                                            all_datasets: list[dict[str, Any]]) -> None:
    entry = one(by_id["geonames-all-cities-with-a-population-1000"])  # the catalog example, with an attachment
    formats = {d.format_label: d.format for d in entry.distributions}
    assert formats["geojson"] == f"{EU}/file-type/GEOJSON" and formats["shp"] == f"{EU}/file-type/SHP"
    assert formats["parquet"] == f"{EU}/file-type/PARQUET" and "kml" in formats
    attachment = next(d for d in entry.distributions if d.native_id == "attachment:cities1000_zip")
    assert attachment.download_url == (f"{PORTAL}/api/explore/v2.1/catalog/datasets/"
                                       "geonames-all-cities-with-a-population-1000/attachments/cities1000_zip")
    assert attachment.title == "cities1000.zip" and attachment.format == f"{EU}/file-type/ZIP"
    assert entry.licence is None and "dct:license" not in entry.gaps  # the example gives none (recommended only)
    single = one(all_datasets[2])  # the single-dataset example of the same dataset gives its licence
    assert single.licence == f"{EU}/licence/CC_BY_4_0" and single.licence_label == "CC BY 4.0"
    assert all(d.licence == single.licence for d in single.distributions)
    entry = single
    assert entry.description is not None and "<p>" not in entry.description and "&gt;" not in entry.description
    assert entry.description.startswith("All cities with a population > 1000")
    assert entry.identifiers == ["da_s2n5ed"]


def test_v1_legacy_shapes(by_id: dict[str, dict[str, Any]]) -> None:
    inspire = one(by_id["inspire"])
    assert inspire.spatial[0].bbox == (0.1568, 46.4944, 0.5084, 46.6848)  # INSPIRE interop metas
    assert inspire.spatial[0].departements == ["86"]
    files = one(by_id["with-attachments"])
    assert [d.native_id for d in files.distributions] == ["attachment:documentation_pdf",
                                                          "alternative_export:gtfs_zip"]  # has_records false
    assert files.keywords == ["keyword1"]
    assert one(by_id["test-c"]).gaps.count("dcat:distribution") == 1


def test_popularity_figures_from_metas_explore(by_id: dict[str, dict[str, Any]]) -> None:
    dataset = copy.deepcopy(by_id["weather-stations"]["dataset"])
    dataset["metas"]["explore"] = {"download_count": 1520, "api_call_count": 40211, "popularity_score": 3.27,
                                   "reuse_count": 2, "attachment_download_count": 9}
    entry = one(dataset)
    assert entry.metrics == {"downloads": 1520, "api_calls": 40211, "reuses": 2, "attachment_downloads": 9,
                             "popularity_x100": 327}
    assert one(by_id["weather-stations"]).metrics == {}  # without include_app_metas there are none


def test_metas_dcat(by_id: dict[str, dict[str, Any]]) -> None:
    dataset = copy.deepcopy(by_id["vulnerability"]["dataset"])
    dataset["metas"]["dcat"] = {
        "created": "2019-05-02", "issued": None, "creator": "Service SIG", "contributor": "OpenDataSoft",
        "contact_name": "Service données", "contact_email": "opendata@example.fr", "accrualperiodicity": "annual",
        "temporal_coverage_start": "2016-01-01", "temporal_coverage_end": "2016-12-31",
        "conforms_to": ["https://schema.data.gouv.fr/scdl/subventions/2.1.0/"], "accessRights": "public",
    }
    entry = one(dataset)
    assert entry.issued == "2019-05-02"
    assert [c.name for c in entry.creators] == ["Service SIG"]
    assert entry.contact_points[0].email == "opendata@example.fr"
    assert entry.frequency == f"{EU}/frequency/ANNUAL"
    assert entry.temporal[0].start == "2016-01-01" and entry.temporal[0].end == "2016-12-31"
    assert entry.conforms_to == ["https://schema.data.gouv.fr/scdl/subventions/2.1.0/"]
    assert entry.access_rights == f"{EU}/access-right/PUBLIC"
    assert "dcat:contactPoint" not in entry.gaps and "dct:temporal" not in entry.gaps


def test_publisher_hint_only_when_the_record_names_none(by_id: dict[str, dict[str, Any]]) -> None:
    hint = PublisherHint(name="Ville de Démo", siren="219200755")
    nameless = copy.deepcopy(by_id["test-c"])
    assert one(nameless, hint).publisher.model_dump(exclude_defaults=True) == {"name": "Ville de Démo",
                                                                            "siren": "219200755"}
    named = one(by_id["campbelltown_garbage_runs"], hint).publisher
    assert named.name == "Campbelltown City Council" and named.siren is None
    same = one(by_id["campbelltown_garbage_runs"], PublisherHint(name="CAMPBELLTOWN city council",
                                                                  siren="219200755")).publisher
    assert same.siren == "219200755"  # the hint names the same body


def test_bad_input_raises_normalise_error() -> None:
    with pytest.raises(NormaliseError, match="not valid JSON"):
        normalise(RawRecord("s", "x", f"{PORTAL}/api/explore/v2.1/catalog/datasets/x", "ods", b"{oops"))
    with pytest.raises(NormaliseError, match="no dataset_id"):
        normalise(RawRecord("s", "x", f"{PORTAL}/x", "ods", b'{"metas": {"default": {"title": "t"}}}'))
    with pytest.raises(NormaliseError, match="no title"):
        normalise(raw({"dataset_id": "untitled", "metas": {"default": {"description": "d"}}}))


def test_html_to_text() -> None:
    assert text_from_html("<p>Un&nbsp;<b>jeu</b></p><p>Deux<br/>lignes</p>") == "Un jeu\n\nDeux\nlignes"
    assert text_from_html("sans balise") == "sans balise"
    assert text_from_html("<p> </p>") is None


def test_no_element_of_a_real_dataset_crashes_the_normaliser_or_loses_the_record(
        by_id: dict[str, dict[str, Any]]) -> None:
    from tests.normalise.defects import crashes

    def run(dataset: dict[str, Any]) -> Dataset:
        (entry,) = normalise(raw(dataset, "fuzzed"))
        return entry

    problems = []
    for dataset in by_id.values():
        # the dataset's title lives in metas.default.title (v2), metas.title (v1): nothing else is indispensable
        problems += crashes(dataset, run, lambda path: "title" in path or path[0] in ("metas", "dataset", "datasetid",
                                                                                        "dataset_id"))
    assert problems == [], problems[:10]
