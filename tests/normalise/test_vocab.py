"""Vocabulary mapping: the values below are those the fixtures hold (CKAN license_id/title/url, resource formats and
mimetypes, ODS themes, ISO 19139 topic categories and code lists, DCAT language/frequency URIs), plus the forms the
French portals write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree

from normalise import vocab
from normalise.vocab import (
    ACCESS_RIGHT_BASE,
    FILE_TYPE_BASE,
    FREQUENCY_BASE,
    IANA_BASE,
    LANGUAGE_BASE,
    LICENCE_BASE,
    THEME_BASE,
    VOCAB_DIR,
)

LO1 = "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf"
LO2 = LICENCE_BASE + "ETALAB_2_0"


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _json_objects(folder: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(folder.glob("*.json")):
        yield from _walk(json.loads(path.read_text(encoding="utf-8")))


# --------------------------------------------------------------------------------------------------------------------
# Licences
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # CKAN / udata ids
        ("odc-odbl", LICENCE_BASE + "ODC_BL"),
        ("lov2", LO2),
        ("fr-lo", LO1),
        ("cc-by", LICENCE_BASE + "CC_BY"),
        ("cc-by-4.0", LICENCE_BASE + "CC_BY_4_0"),
        ("cc-by-sa", LICENCE_BASE + "CC_BYSA"),
        ("cc-zero", LICENCE_BASE + "CC0"),
        ("odc-by", LICENCE_BASE + "ODC_BY"),
        ("odc-pddl", LICENCE_BASE + "ODC_PDDL"),
        ("uk-ogl", LICENCE_BASE + "OGL_3_0"),
        # SPDX ids
        ("etalab-2.0", LO2),
        ("ODbL-1.0", LICENCE_BASE + "ODC_BL"),
        ("CC-BY-SA-4.0", LICENCE_BASE + "CC_BYSA_4_0"),
        ("CC-BY-NC-ND-3.0", LICENCE_BASE + "CC_BYNCND_3_0"),
        ("CC0-1.0", LICENCE_BASE + "CC0"),
        # titles (CKAN license_title, ODS "license", udata)
        ("ODbL", LICENCE_BASE + "ODC_BL"),
        ("Open Database License (ODbL)", LICENCE_BASE + "ODC_BL"),
        ("Licence Ouverte (Etalab)", LO1),
        ("Licence Ouverte v2.0 (Etalab)", LO2),
        ("Licence Ouverte / Open Licence version 2.0", LO2),
        ("CC BY", LICENCE_BASE + "CC_BY"),
        ("CC BY 4.0", LICENCE_BASE + "CC_BY_4_0"),
        ("Creative Commons Attribution", LICENCE_BASE + "CC_BY"),
        ("Creative Commons Attribution 4.0 International", LICENCE_BASE + "CC_BY_4_0"),
        ("Creative Commons Attribution (CC-BY 4.0)", LICENCE_BASE + "CC_BY_4_0"),
        ("Creative Commons Attribution 3.0 Australia", LICENCE_BASE + "CC_BY_3_0"),
        ("Creative Commons Attribution-NonCommercial-ShareAlike 4.0", LICENCE_BASE + "CC_BYNCSA_4_0"),
        ("Open Government Licence v3.0", LICENCE_BASE + "OGL_3_0"),
        # URLs
        ("https://creativecommons.org/licenses/by/4.0/", LICENCE_BASE + "CC_BY_4_0"),
        ("http://creativecommons.org/licenses/by/4.0", LICENCE_BASE + "CC_BY_4_0"),
        ("http://creativecommons.org/licenses/by/3.0/au/", LICENCE_BASE + "CC_BY_3_0"),
        ("https://creativecommons.org/licenses/by-sa/4.0/deed.fr", LICENCE_BASE + "CC_BYSA_4_0"),
        ("http://creativecommons.org/publicdomain/zero/1.0/", LICENCE_BASE + "CC0"),
        ("http://www.opendefinition.org/licenses/cc-by", LICENCE_BASE + "CC_BY"),
        ("http://opendatacommons.org/licenses/odbl/1.0/", LICENCE_BASE + "ODC_BL"),
        ("https://opendatacommons.org/licenses/by/1-0/", LICENCE_BASE + "ODC_BY"),
        ("http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/", LICENCE_BASE + "OGL_3_0"),
        ("https://www.etalab.gouv.fr/licence-ouverte-open-licence", LO2),
        ("https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf", LO2),
        ("http://www.etalab.gouv.fr/pages/Licence_ouverte_Open_licence-5899923.html", LO1),
        ("http://publications.europa.eu/resource/authority/licence/CC0", LICENCE_BASE + "CC0"),
        ("http://publications.europa.eu/resource/authority/licence/etalab_2_0", LO2),
        # free text (ISO 19139 useLimitation / otherConstraints, ArcGIS HTML)
        ("Licence Ouverte 1.0 http://www.data.gouv.fr/Licence-Ouverte-Open-Licence.", LO1),
        (
            "Licence Ouverte / Open Licence Version 2.0  "
            "https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf",
            LO2,
        ),
        ("Licence Ouverte / Open License (compatible ODC-BY, CC-BY 2.0)", LO1),
        ("Licence Ouverte Etalab 2.0", LO2),
        ("licence ouverte v2", LO2),
        (
            '<DIV STYLE="text-align:Left;"><P><SPAN>Soumis à la licence Etalab : '
            "https://www.etalab.gouv.fr/licence-ouverte-open-licence/</SPAN></P></DIV>",
            LO2,
        ),
        ("Données diffusées sous licence ODbL", LICENCE_BASE + "ODC_BL"),
    ],
)
def test_licence_maps_ids_titles_urls_and_text(value: str, expected: str) -> None:
    uri, label = vocab.licence(value)
    assert uri == expected
    assert label  # the source wording is kept


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("notspecified", "notspecified"),
        ("License not specified", "License not specified"),
        ("other-open", "other-open"),
        ("Other (Specified in the description)", "Other (Specified in the description)"),
        ("Utilisation libre sous réserve de mentionner la source",
         "Utilisation libre sous réserve de mentionner la source"),
        ("  ", None),
        ("", None),
        (None, None),
    ],
)
def test_licence_without_a_known_licence_gives_no_uri(value: str | None, label: str | None) -> None:
    assert vocab.licence(value) == (None, label)


def test_licence_keeps_an_unknown_licence_url_as_uri_and_strips_tags_from_labels() -> None:
    assert vocab.licence("https://example.org/licences/maison") == ("https://example.org/licences/maison",) * 2
    assert vocab.licence("<p>Licence   <b>maison</b></p>") == (None, "Licence maison")


@pytest.mark.parametrize(
    ("value", "is_open", "french_admin"),
    [
        (LO2, True, True),
        (LICENCE_BASE + "ODC_BL", True, True),
        (LO1, True, True),
        (LICENCE_BASE + "CC_BY_4_0", True, False),
        (LICENCE_BASE + "CC_BYSA_3_0", True, False),
        (LICENCE_BASE + "CC_BYNC_4_0", False, False),
        (LICENCE_BASE + "CC_BYND_4_0", False, False),
        (LICENCE_BASE + "APACHE_2_0", True, True),
        (LICENCE_BASE + "EUPL_1_2", True, True),
        ("https://example.org/licences/maison", False, False),
        (None, False, False),
    ],
)
def test_licence_openness_and_decree_2017_638(value: str | None, is_open: bool, french_admin: bool) -> None:
    assert vocab.licence_is_open(value) is is_open
    assert vocab.licence_is_french_admin(value) is french_admin


@pytest.mark.parametrize(
    ("value", "expected"),
    [("other-open", True), ("other-pd", True), ("other-closed", False), ("other-nc", False), ("notspecified", None),
     ("odc-odbl", True), ("CC BY-NC 4.0", False), ("https://example.org/x", None), (None, None)],
)
def test_licence_openness_from_any_value(value: str | None, expected: bool | None) -> None:
    assert vocab.licence_openness(value) is expected


def test_licence_titles() -> None:
    assert vocab.licence_title(LO2) == "Licence Ouverte / Open Licence version 2.0"
    assert vocab.licence_title(LICENCE_BASE + "CC_BYNCSA_4_0") == (
        "Creative Commons Attribution-NonCommercial-ShareAlike 4.0"
    )
    assert vocab.licence_title("https://example.org/x") is None


def test_every_licence_value_in_the_ckan_and_ods_fixtures_is_understood(fixtures: Path) -> None:
    """Each licence a CKAN or ODS fixture carries maps to a URI, or is one of the values that name no licence."""
    seen = 0
    for folder in ("ckan", "ods"):
        for obj in _json_objects(fixtures / folder):
            for key in ("license_id", "license_title", "license_url", "license"):
                value = obj.get(key)
                if not isinstance(value, str) or not value.strip():
                    continue
                seen += 1
                uri, label = vocab.licence(value)
                assert uri or vocab.fold(label) in vocab._licences().unnamed, (key, value)
    assert seen > 30


def test_licence_table_has_no_id_claimed_by_two_licences() -> None:
    data = yaml.safe_load((VOCAB_DIR / "licences.yaml").read_text(encoding="utf-8"))
    owner: dict[str, str] = {}
    for entry in data["licences"]:
        uri = entry.get("uri") or LICENCE_BASE + entry["code"]
        for ident in [entry["label"], *entry.get("ids", [])]:
            key = vocab.fold(str(ident))
            assert owner.setdefault(key, uri) == uri, f"{ident!r} is listed for {owner[key]} and {uri}"


# --------------------------------------------------------------------------------------------------------------------
# File formats
# --------------------------------------------------------------------------------------------------------------------


def ft(code: str) -> str:
    return FILE_TYPE_BASE + code


def mt(media: str) -> str:
    return IANA_BASE + media


@pytest.mark.parametrize(
    ("value", "media_type", "url", "expected"),
    [
        ("CSV", None, None, (ft("CSV"), mt("text/csv"))),
        ("csv", "text/csv", None, (ft("CSV"), mt("text/csv"))),
        ("csv lonlat/xy", None, None, (ft("CSV"), mt("text/csv"))),
        ("GeoJSON", None, None, (ft("GEOJSON"), mt("application/geo+json"))),
        ("JSON", None, None, (ft("JSON"), mt("application/json"))),
        ("shapefile (zip)", "application/zip", None, (ft("SHP"), mt("application/zip"))),
        ("SHP", None, None, (ft("SHP"), None)),
        ("ESRI Shapefile", None, None, (ft("SHP"), None)),
        ("ZIP", "application/zip", None, (ft("ZIP"), mt("application/zip"))),
        ("KML", None, None, (ft("KML"), mt("application/vnd.google-earth.kml+xml"))),
        ("KMZ", "application/vnd.google-earth.kmz", None, (ft("KMZ"), mt("application/vnd.google-earth.kmz"))),
        ("PDF", "application/pdf", None, (ft("PDF"), mt("application/pdf"))),
        ("TXT", "text/plain", None, (ft("TXT"), mt("text/plain"))),
        ("xlsx", None, None, (ft("XLSX"), mt("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        ("WMS", None, None, (ft("WMS_SRVC"), None)),
        ("wfs", None, None, (ft("WFS_SRVC"), None)),
        ("OGC:WMS-1.1.1-http-get-map", None, None, (ft("WMS_SRVC"), None)),
        ("ArcGIS GeoServices REST API", None, None, (ft("REST"), None)),
        ("Web Page", None, None, (ft("HTML"), mt("text/html"))),
        ("text/html", None, None, (ft("HTML"), mt("text/html"))),
        ("mif/mid", None, None, (ft("MIF_MID"), None)),
        ("http://publications.europa.eu/resource/authority/file-type/WMS", None, None, (ft("WMS_SRVC"), None)),
        ("https://www.iana.org/assignments/media-types/text/csv", None, None, (ft("CSV"), mt("text/csv"))),
        # media types alone, including the non-registered ones portals send
        (None, "application/vnd.ms-excel", None, (ft("XLS"), mt("application/vnd.ms-excel"))),
        (None, "application/xls", None, (ft("XLS"), mt("application/vnd.ms-excel"))),
        (None, "xlsx", None, (ft("XLSX"), mt("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (None, "application/json; charset=utf-8", None, (ft("JSON"), mt("application/json"))),
        (None, "application/x-zip-compressed", None, (ft("ZIP"), mt("application/zip"))),
        (None, "application/x-shapefile", None, (ft("SHP"), None)),
        # URLs
        (None, None, "https://data.example.fr/files/arbres.geojson", (ft("GEOJSON"), mt("application/geo+json"))),
        (None, None, "https://data.example.fr/files/arbres.CSV?download=1", (ft("CSV"), mt("text/csv"))),
        (None, None, "https://geo.example.fr/wms?SERVICE=WMS&REQUEST=GetCapabilities", (ft("WMS_SRVC"), None)),
        (None, None, "https://x.opendatasoft.com/api/explore/v2.1/catalog/datasets/a/exports/csv",
         (ft("CSV"), mt("text/csv"))),
        (None, None, "https://services.arcgis.com/x/arcgis/rest/services/Arbres/FeatureServer", (ft("REST"), None)),
        # the label wins over the URL; the given media type wins over the format's own
        ("CSV", None, "https://data.example.fr/download?id=3", (ft("CSV"), mt("text/csv"))),
        # nothing to say
        ("", None, None, (None, None)),
        ("uri", None, None, (None, None)),
        (None, "", "https://data.example.fr/page", (None, None)),
        (None, None, None, (None, None)),
    ],
)
def test_file_format(value: str | None, media_type: str | None, url: str | None, expected: tuple) -> None:
    assert vocab.file_format(value, media_type=media_type, url=url) == expected


def test_every_resource_format_in_the_ckan_fixtures_is_recognised(fixtures: Path) -> None:
    seen = set()
    for obj in _json_objects(fixtures / "ckan"):
        if "url" in obj and isinstance(obj.get("format"), str) and obj["format"].strip():
            seen.add(obj["format"])
            assert vocab.file_format(obj["format"])[0], obj["format"]
        if isinstance(obj.get("mimetype"), str) and obj["mimetype"].strip():
            assert vocab.file_format(media_type=obj["mimetype"])[0], obj["mimetype"]
    assert len(seen) > 10


@pytest.mark.parametrize(
    ("code", "machine_readable", "non_proprietary"),
    # data.europa.eu MQA's own lists (edp-machine-readable-format, edp-non-proprietary-format)
    [("CSV", True, True), ("GEOJSON", True, True), ("XLSX", True, False), ("SHP", True, False),
     ("PDF", False, False), ("DOCX", False, False), ("WMS_SRVC", False, True), ("ODS", True, True),
     ("GML", False, False), ("ZIP", False, True)],
)
def test_format_mqa_flags(code: str, machine_readable: bool, non_proprietary: bool) -> None:
    assert vocab.format_is_machine_readable(ft(code)) is machine_readable
    assert vocab.format_is_non_proprietary(ft(code)) is non_proprietary


def test_format_flags_are_false_for_unknown_or_missing_formats() -> None:
    assert not vocab.format_is_machine_readable(None)
    assert not vocab.format_is_non_proprietary("https://example.org/format/foo")
    assert vocab.format_label(ft("WMS_SRVC")) == "WMS"
    assert vocab.format_label(ft("RDF_XML")) == "RDF XML"


def test_format_table_aliases_are_not_claimed_by_two_formats() -> None:
    data = yaml.safe_load((VOCAB_DIR / "file_types.yaml").read_text(encoding="utf-8"))
    owner: dict[str, str] = {}
    for code, entry in data["formats"].items():
        for alias in [str(code), *(entry.get("aliases") or []), *(entry.get("ext") or [])]:
            key = vocab.fold(str(alias))
            assert owner.setdefault(key, str(code)) == str(code), f"{alias!r}: {owner[key]} and {code}"
        if entry.get("media"):
            assert vocab.file_format(media_type=entry["media"])[1] == mt(entry["media"])


# --------------------------------------------------------------------------------------------------------------------
# Themes
# --------------------------------------------------------------------------------------------------------------------


def th(*codes: str) -> list[str]:
    return [THEME_BASE + c for c in codes]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["Environnement"], th("ENVI")),
        (["Transports, Déplacements"], th("TRAN")),
        (["Culture, Patrimoine"], th("EDUC")),
        (["Aménagement du territoire, Urbanisme, Bâtiments, Equipements, Logement"], th("REGI")),
        (["Spatial planning, Town planning, Buildings, Equipment, Housing"], th("REGI")),
        (["Administration, Government, Public finances, Citizenship"], th("GOVE")),
        (["Culture, Heritage", "Environment"], th("EDUC", "ENVI")),
        (["Waste and Recycling"], th("ENVI")),
        (["Investment, Tourism and Growth"], th("ECON")),
        (["Environmental Protection"], th("ENVI")),
        (["Économie et finances", "Health"], th("ECON", "HEAL")),
        (["http://publications.europa.eu/resource/authority/data-theme/SOCI"], th("SOCI")),
        (["ECON"], th("ECON")),
        # ISO 19115 topic categories as the CSW fixtures write them: through the INSPIRE Metadata Regulation's topic ->
        # INSPIRE theme alignment, then SEMIC's INSPIRE theme -> data theme alignment (economy has only related themes)
        (["planningCadastre"], th("ECON", "REGI")),
        (["planningCadastre_Planning"], th("ECON", "REGI")),
        (["environment_EnvironmentalProtection"], th("ENVI")),
        (["farming", "economy"], th("AGRI", "ENER", "ECON", "ENVI")),
        (["geoscientificInformation"], th("REGI", "TECH", "ENVI")),
        (["climatologyMeteorologyAtmosphere"], th("ENVI", "TECH")),
        # INSPIRE themes, by URI and by label (English and French), as SEMIC's alignment maps them
        (["http://inspire.ec.europa.eu/theme/tn"], th("TRAN")),
        (["Hydrographie"], th("ENVI", "TECH")),
        (["Land use"], th("ECON", "ENVI")),
        (["Unités administratives"], th("GOVE")),
        # words in labels nothing else matched
        (["Pistes cyclables"], th("TRAN")),
        (["Qualité de l'eau"], th("ENVI")),
        # duplicates collapse, unknown values add nothing
        (["Environnement", "Environment", "Hydrography"], th("ENVI", "TECH")),
        (["geospatial", "zzz", ""], []),
    ],
)
def test_themes(values: list[str], expected: list[str]) -> None:
    assert vocab.themes(values) == expected


def test_themes_accepts_a_single_string_or_nothing() -> None:
    assert vocab.themes("Santé") == th("HEAL")
    assert vocab.themes(None) == []
    assert vocab.theme_label(THEME_BASE + "TRAN", "fr") == "Transports"
    assert vocab.theme_label(THEME_BASE + "TRAN", "en") == "Transport"
    assert vocab.inspire_theme_uri("Hydrographie") == "http://inspire.ec.europa.eu/theme/hy"
    assert vocab.inspire_theme_uri("http://inspire.ec.europa.eu/theme/TN") == "http://inspire.ec.europa.eu/theme/tn"


def test_every_iso_topic_category_in_the_csw_fixtures_has_a_theme(fixtures: Path) -> None:
    topics = set()
    for path in sorted((fixtures / "csw").glob("*.xml")):
        if "bad_xml" in path.name:
            continue  # deliberately broken fixture
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
        tree = etree.parse(str(path), parser)
        for node in tree.iter("{http://www.isotc211.org/2005/gmd}MD_TopicCategoryCode"):
            topics.add((node.text or "").strip())
    assert len(topics) >= 5
    for topic in topics:
        assert vocab.themes([topic]), topic


# --------------------------------------------------------------------------------------------------------------------
# Languages, frequencies, access rights
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [("fr", "FRA"), ("fra", "FRA"), ("fre", "FRA"), ("FRE", "FRA"), ("fr-FR", "FRA"), ("fr_FR", "FRA"),
     ("French", "FRA"), ("Français", "FRA"), ("francais", "FRA"), ("en", "ENG"), ("English", "ENG"),
     ("ger", "DEU"), ("dut", "NLD"), ("cze", "CES"), ("ita", "ITA"), ("ca", "CAT"), ("es", "SPA"),
     ("Breton", "BRE"),
     ("http://publications.europa.eu/resource/authority/language/FRE", "FRA"),
     ("http://publications.europa.eu/resource/authority/language/DEU", "DEU"),
     ("http://id.loc.gov/vocabulary/iso639-1/fr", "FRA"),
     ("http://lexvo.org/id/iso639-3/eng", "ENG")],
)
def test_language(value: str, code: str) -> None:
    assert vocab.language(value) == LANGUAGE_BASE + code


@pytest.mark.parametrize("value", ["", None, "xx", "klingon", "http://example.org/lang/zz"])
def test_language_unknown(value: str | None) -> None:
    assert vocab.language(value) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        # ISO 19115 MD_MaintenanceFrequencyCode (CSW fixtures) and udata ids
        ("annually", "ANNUAL"), ("continual", "CONT"), ("asNeeded", "AS_NEEDED"), ("notPlanned", "NOT_PLANNED"),
        ("irregular", "IRREG"), ("fortnightly", "BIWEEKLY"), ("biannually", "ANNUAL_2"), ("semiannual", "ANNUAL_2"),
        ("punctual", "NEVER"), ("unknown", "UNKNOWN"), ("threeTimesAYear", "ANNUAL_3"),
        # data.gov.au update_freq
        ("infrequently", "IRREG"), ("never", "NEVER"), ("daily", "DAILY"),
        # French words
        ("Mensuelle", "MONTHLY"), ("hebdomadaire", "WEEKLY"), ("trimestriel", "QUARTERLY"), ("annuelle", "ANNUAL"),
        ("Temps réel", "CONT"), ("bimensuel", "MONTHLY_2"), ("quotidienne", "DAILY"),
        # ISO 8601 repeating durations (DCAT-US accrualPeriodicity)
        ("R/P1D", "DAILY"), ("R/P1W", "WEEKLY"), ("R/P1M", "MONTHLY"), ("R/P3M", "QUARTERLY"), ("R/P1Y", "ANNUAL"),
        ("r/p1y", "ANNUAL"), ("R/PT1H", "HOURLY"), ("R/P2Y", "BIENNIAL"),
        # URIs
        ("http://publications.europa.eu/resource/authority/frequency/IRREG", "IRREG"),
        ("http://publications.europa.eu/resource/authority/frequency/BIENNIAL", "BIENNIAL"),
        ("http://purl.org/cld/freq/monthly", "MONTHLY"),
    ],
)
def test_frequency(value: str, code: str) -> None:
    assert vocab.frequency(value) == FREQUENCY_BASE + code


@pytest.mark.parametrize("value", ["", None, "R/P7X", "whenever I feel like it"])
def test_frequency_unknown(value: str | None) -> None:
    assert vocab.frequency(value) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("public", "PUBLIC"),
        ("http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/noLimitations", "PUBLIC"),
        ("http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/INSPIRE_Directive_Article13_1e",
         "RESTRICTED"),
        ("no limitations", "PUBLIC"),
        ("Pas de restriction d'accès public", "PUBLIC"),
        ("Pas de restriction d’accès public selon les conditions de la directive INSPIRE", "PUBLIC"),
        ("accès libre", "PUBLIC"),
        ("Diffusion restreinte", "RESTRICTED"),
        ("restreint", "RESTRICTED"),
        ("Données non communicables", "NON_PUBLIC"),
        ("confidentiel", "CONFIDENTIAL"),
        ("http://publications.europa.eu/resource/authority/access-right/NOPE", None),
        ("restriction", None),
        ("Accès restreint", "RESTRICTED"),
        ("non-public", "NON_PUBLIC"),
        ("private", "NON_PUBLIC"),
        ("http://publications.europa.eu/resource/authority/access-right/PUBLIC", "PUBLIC"),
        ("otherRestrictions", None),
        ("", None),
    ],
)
def test_access_rights(value: str, code: str | None) -> None:
    assert vocab.access_rights(value) == (ACCESS_RIGHT_BASE + code if code else None)


# --------------------------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-12-10T09:23:00.123Z", "2019-12-10T09:23:00.123Z"),
        ("2019-12-10T09:23:00Z", "2019-12-10T09:23:00Z"),
        ("2019-12-10T09:23:00+00:00", "2019-12-10T09:23:00Z"),
        ("2019-12-10T09:23:00", "2019-12-10T09:23:00"),
        ("2019-12-10T09:23:00.000000", "2019-12-10T09:23:00"),
        ("2024-02-07T17:22:30.529297Z", "2024-02-07T17:22:30.529297Z"),
        ("2025-07-30T09:00:06.799000+00:00", "2025-07-30T09:00:06.799Z"),
        ("2019-12-10 09:23:00+02:00", "2019-12-10T09:23:00+02:00"),
        ("2019-12-10", "2019-12-10"),
        ("2019-12-10+02:00", "2019-12-10"),  # xsd:date with a time zone
        ("2019", "2019"),
        ("2019-05", "2019-05"),
        ("mar, 10/12/2019 - 09:23", "2019-12-10T09:23:00"),  # DKAN French (udata-ckan_dkan fixture)
        ("Date changed  jeu, 19/12/2019 - 03:00", "2019-12-19T03:00:00"),
        ("lundi 3 mai 2021", "2021-05-03"),
        ("10/12/2019", "2019-12-10"),  # French order: day first
        ("2019/12/10", "2019-12-10"),
        ("10 décembre 2019", "2019-12-10"),
        ("décembre 2019", "2019-12"),
        ("le 1er mars 2020 à 14h30", "2020-03-01T14:30:00"),
        ("Tue, 10 Dec 2019 09:23:00 GMT", "2019-12-10T09:23:00Z"),
        ("March 2019", "2019-03"),
        ("20191210", "2019-12-10"),
        ("1575969780000", "2019-12-10T09:23:00Z"),  # epoch milliseconds
        (1575969780000, "2019-12-10T09:23:00Z"),
        (1575969780, "2019-12-10T09:23:00Z"),  # epoch seconds
        (datetime(2019, 12, 10, 9, 23, tzinfo=UTC), "2019-12-10T09:23:00Z"),
        (date(2019, 12, 10), "2019-12-10"),
    ],
)
def test_iso_datetime(value: Any, expected: str) -> None:
    assert vocab.iso_datetime(value) == expected


@pytest.mark.parametrize(
    "value",
    ["", "   ", None, "null", "N/A", "None", "inconnue", "0000-00-00", "2019-13-45", "garbage text", "version 2",
     True, [], {}, object(), float("nan"), "9999-99-99T99:99", "10000000000000000000000"],
)
def test_iso_datetime_never_raises_and_gives_none_for_junk(value: Any) -> None:
    assert vocab.iso_datetime(value) is None


# --------------------------------------------------------------------------------------------------------------------
# SIREN
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("732829320", "732829320"),
        ("732 829 320", "732829320"),
        ("73282932000074", "732829320"),  # SIRET
        ("732 829 320 00074", "732829320"),
        ("732.829.320", "732829320"),
        ("FR40303265045", "303265045"),  # intra-community VAT number
        ("216901231", "216901231"),  # Ville de Lyon
        ("35600000000048", "356000000"),  # La Poste, Luhn-valid SIRET
        ("35600000009075", "356000000"),  # La Poste exception: digit sum multiple of 5
        (732829320, "732829320"),
        ("732829321", None),  # bad check digit
        ("73282932000075", None),
        ("35600000009090", None),  # La Poste, neither rule
        ("123456789", None),
        ("000000000", None),
        ("12345", None),
        ("abcdefghi", None),
        ("", None),
        (None, None),
    ],
)
def test_siren(value: Any, expected: str | None) -> None:
    assert vocab.siren(value) == expected


def test_fold() -> None:
    assert vocab.fold("  Économie, Finances & Œuvres ") == "economie finances oeuvres"
    assert vocab.fold("CC-BY_4.0") == "cc by 4 0"
