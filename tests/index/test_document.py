"""Flattening a DCAT-AP record into the index document: facet codes, territories, schemas, counters, summary."""

from __future__ import annotations

import pytest

from index.document import (
    EXCERPT_CHARS,
    SUMMARY_FIELDS,
    envelope,
    facet_value,
    licence_code,
    schema_name,
    sort_key,
    to_document,
)
from index.quality import ensure_schema
from normalise.model import Agent, DataService, Dataset, Distribution, SchemaRef, Spatial

from .conftest import FILE_TYPE, LICENCE, THEME


def _dataset(**fields) -> Dataset:
    return Dataset(id="lyon.1", source_id="lyon", native_id="1", title=fields.pop("title", "Arrêts de bus"),
                   **fields)


@pytest.mark.parametrize(("uri", "code"), [
    (LICENCE + "CC_BY_4_0", "CC_BY_4_0"),
    ("https://www.etalab.gouv.fr/licence-ouverte-open-licence", "ETALAB_2_0"),
    ("https://www.etalab.gouv.fr/licence-ouverte-open-licence/", "ETALAB_2_0"),
    ("https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte_v1.0.pdf", "ETALAB_1_0"),
    ("http://opendatacommons.org/licenses/odbl/1.0/", "ODBL"),
    ("https://opendatacommons.org/licenses/by/", "ODC_BY"),
    ("https://creativecommons.org/licenses/by-sa/4.0/", "CC_BY_SA_4_0"),
    ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0"),
    ("https://spdx.org/licenses/Apache-2.0.html", "APACHE_2_0"),
    ("https://example.org/licences/ma-licence", "MA_LICENCE"),
])
def test_licence_codes_are_short_and_readable(uri: str, code: str) -> None:
    assert licence_code(uri) == code


def test_facet_values_accept_uris_and_codes_alike() -> None:
    assert facet_value("theme", THEME + "ENVI") == facet_value("theme", "envi") == "ENVI"
    assert facet_value("format", FILE_TYPE + "CSV") == facet_value("format", "csv") == "CSV"
    assert facet_value("licence", "https://creativecommons.org/licenses/by/4.0/") == "CC_BY_4_0"
    assert facet_value("keyword", "  Transports  Publics ") == "transports publics"
    assert facet_value("publisher", " Ville de Paris ") == "Ville de Paris"  # names are kept as written


def test_schema_names_come_from_schema_data_gouv_urls_only() -> None:
    assert schema_name("https://schema.data.gouv.fr/scdl/subventions/2.1.1/") == "scdl/subventions"
    assert schema_name("https://schema.data.gouv.fr/schemas/etalab/schema-irve-statique/latest/schema-statique.json") \
        == "etalab/schema-irve-statique"
    assert schema_name("http://data.europa.eu/eli/reg/2010/1089") is None


def test_document_flattens_facets_and_filters() -> None:
    entry = _dataset(
        description="Les arrêts du réseau TCL.",
        keywords=["Transport", "bus", " "],
        themes=[THEME + "TRAN", THEME + "REGI", "http://inspire.ec.europa.eu/theme/tn"],
        publisher=Agent(name=" Métropole de Lyon ", siren="200046977"),
        licence="https://www.etalab.gouv.fr/licence-ouverte-open-licence",
        distributions=[
            Distribution(format=FILE_TYPE + "CSV", licence="http://opendatacommons.org/licenses/odbl/1.0/",
                         schema=SchemaRef(name="etalab/schema-arrets", version="1.0"), metrics={"downloads": 5}),
            Distribution(format=FILE_TYPE + "GEOJSON", format_label="GeoJSON", metrics={"downloads": 7},
                         conforms_to=["https://schema.data.gouv.fr/scdl/equipements/1.0/"]),
            Distribution(format_label="Shapefile (zip)"),
            Distribution(format=FILE_TYPE + "CSV"),
        ],
        spatial=[Spatial(departements=["69"], regions=["84"], bbox=(4.7, 45.6, 5.0, 45.9)),
                 Spatial(communes=["69123"], departements=["69"], bbox=(4.8, 45.7, 4.9, 46.0))],
        modified="2024-03-01T10:00:00+01:00",
        issued="2020-01-01",
    )
    doc = to_document(entry)
    assert doc["id"] == "lyon.1" and doc["kind"] == "dataset" and doc["source"] == "lyon"
    assert doc["theme"] == ["TRAN", "REGI"]  # non-EU classifications are not themes
    assert doc["format"] == ["CSV", "GEOJSON"]
    assert doc["licence"] == ["ETALAB_2_0", "ODBL"]  # the record's own first, then its distributions'
    assert doc["publisher"] == ["Métropole de Lyon"] and doc["publisher_siren"] == "200046977"
    assert doc["keywords"] == ["Transport", "bus"] and doc["keyword"] == ["transport", "bus"]
    assert doc["departement"] == ["69"] and doc["region"] == ["84"]
    assert doc["schema"] == ["etalab/schema-arrets", "scdl/equipements"]
    assert doc["popularity"] == 12  # summed over distributions when the dataset has no counter of its own
    assert doc["bbox"] == (4.7, 45.6, 5.0, 46.0)  # envelope of every box
    assert doc["modified"] == "2024-03-01T10:00:00+01:00" and doc["issued"] == "2020-01-01"
    assert doc["quality_band"] == [] and doc["quality_score"] is None  # no store: not scored
    summary = doc["summary"]
    assert tuple(summary) == SUMMARY_FIELDS
    assert summary["formats"] == ["CSV", "GEOJSON", "Shapefile (zip)"]  # unmapped formats still shown
    assert summary["licence"] == "ETALAB_2_0" and summary["themes"] == ["TRAN", "REGI"]
    assert summary["publisher"] == "Métropole de Lyon" and summary["description"] == "Les arrêts du réseau TCL."
    assert summary["departements"] == ["69"] and summary["regions"] == ["84"]  # a results page names them


def test_summary_keeps_a_short_excerpt_of_the_description() -> None:
    words = " ".join(f"mot{i}" for i in range(200))
    summary = to_document(_dataset(description=words))["summary"]
    assert summary["description"].endswith("…")
    assert len(summary["description"]) <= EXCERPT_CHARS + 1
    assert words.startswith(summary["description"][:-1])


def test_own_download_counter_is_not_added_to_the_files_counters() -> None:
    entry = _dataset(metrics={"downloads": 100, "views": 900},
                     distributions=[Distribution(metrics={"downloads": 60}), Distribution(metrics={"downloads": 40})])
    assert to_document(entry)["popularity"] == 100


def test_invalid_boxes_are_left_out() -> None:
    assert envelope([(5.0, 45.0, 4.0, 46.0), (float("nan"), 0, 1, 1)]) is None
    assert to_document(_dataset(spatial=[Spatial(label="Lyon")]))["bbox"] is None


def test_data_service_document() -> None:
    service = DataService(id="geo.9", source_id="geo", native_id="9", title="Service WMS des routes",
                          endpoint_urls=["https://geo.example.fr/wms"], licence=LICENCE + "ODC_BL")
    doc = to_document(service)
    assert doc["kind"] == "service" and doc["format"] == [] and doc["licence"] == ["ODC_BL"]
    assert doc["summary"]["kind"] == "service" and doc["summary"]["description"] is None


def test_quality_comes_from_the_store_when_scored(store) -> None:
    entry = _dataset()
    assert to_document(entry, store)["quality_band"] == []  # no quality table yet
    ensure_schema(store)
    assert to_document(entry, store)["quality_score"] is None  # table, but this record is not scored
    store.db.execute("INSERT INTO quality (record_id, hash, score, band, indicators, computed_at) "
                     "VALUES ('lyon.1', 'h', 230, 'good', '[]', '2024-01-01')")
    doc = to_document(entry, store)
    assert doc["quality_score"] == 230 and doc["quality_band"] == ["good"] and doc["summary"]["quality_band"] == "good"


def test_title_sort_ignores_case_and_accents() -> None:
    assert sorted(["Zones", "écoles", "Eau", "arbres"], key=sort_key) == ["arbres", "Eau", "écoles", "Zones"]
