"""normalise_schema_org on the JSON-LD of the demo website and on hand-made schema.org Dataset variants."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest

from harvesters.web import find_datasets, parse_jsonld_block
from kernel.config import PublisherHint
from kernel.records import RawRecord
from normalise import NormaliseError, normalise
from normalise.model import Dataset
from scoring.shacl import validate_entries
from tests.conftest import DEMO_DATA

SITE = DEMO_DATA / "web" / "site"
BASE = "https://val-de-demo.example"
EU = "http://publications.europa.eu/resource/authority"


def site_datasets() -> list[tuple[str, dict[str, Any]]]:
    """(page URL, Dataset object) for every JSON-LD Dataset of the demo site's pages."""
    out = []
    for path in sorted(SITE.rglob("*.html")):
        html = path.read_text("utf-8").replace("{{BASE}}", BASE)
        page = f"{BASE}/{path.relative_to(SITE).as_posix()}".replace("index.html", "")
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S):
            out += [(page, d) for d in find_datasets(parse_jsonld_block(block))]
    return out


def one(data: dict[str, Any], page: str = f"{BASE}/page.html", hint: PublisherHint | None = None) -> Dataset:
    entries = normalise(RawRecord("web-test", str(data.get("@id") or data.get("name")), page, "schema-org",
                                  orjson.dumps(data), media_type="application/ld+json"), hint)
    assert len(entries) == 1 and isinstance(entries[0], Dataset)
    return entries[0]


def by_name(name: str) -> tuple[str, dict[str, Any]]:
    """The fullest description of the dataset of that name (its own page rather than a listing)."""
    return max(((page, d) for page, d in site_datasets() if d.get("name") == name), key=lambda pd: len(pd[1]))


def test_every_site_dataset_normalises_to_valid_dcat_ap() -> None:
    entries = [one(d, page) for page, d in site_datasets()]
    # 6 allowed (one also listed on the home page) + 2 in the section robots.txt forbids (read here from disk)
    assert len(entries) == 9
    reports = validate_entries(entries)
    for entry in entries:
        unexplained = [v for v in reports[entry.id].violations
                       if v.severity == "violation" and v.path not in entry.gaps]
        assert unexplained == [], (entry.title, unexplained)


def test_rich_dataset() -> None:
    page, data = by_name("Qualité de l'air")
    entry = one(data, page)
    assert entry.uri == f"{BASE}/jeux-de-donnees/qualite-air.html#dataset"
    assert entry.landing_page == f"{BASE}/jeux-de-donnees/qualite-air.html"
    assert entry.description == ("Mesures horaires du dioxyde d'azote et des particules fines (PM10) aux trois "
                                 "stations du Val de Démo.\n\nDonnées brutes, non validées.")
    assert entry.keywords == ["air", "pollution", "NO2", "PM10"]
    assert entry.themes == [f"{EU}/data-theme/ENVI"]
    assert entry.licence == f"{EU}/licence/ETALAB_2_0"
    assert entry.publisher.name == "Communauté de communes du Val de Démo"
    assert [c.name for c in entry.creators] == ["Observatoire démo de l'air"]
    assert entry.contact_points[0].email == "donnees@val-de-demo.invalid"
    assert entry.languages == [f"{EU}/language/FRA"]
    assert entry.issued == "2021-01-15" and entry.modified is not None and entry.modified.startswith("2024-03-01")
    assert entry.temporal[0].start == "2021-01-01" and entry.temporal[0].end is None  # "2021-01-01/.." is open
    spatial = entry.spatial[0]
    assert spatial.label == "Lyon" and spatial.bbox == (4.77, 45.70, 4.90, 45.81)  # box is "S W N E"
    assert spatial.communes == ["69123"] and spatial.departements == ["69"]
    csv, geojson = entry.distributions
    assert csv.download_url == f"{BASE}/fichiers/air-2024.csv" and csv.format == f"{EU}/file-type/CSV"
    assert csv.byte_size == 1_200_000 and csv.licence == entry.licence
    assert geojson.media_type == "https://www.iana.org/assignments/media-types/application/geo+json"


def test_graph_reference_creative_work_licence_and_relative_urls() -> None:
    page, data = by_name("Stationnements vélo")
    entry = one(data, page)
    assert entry.publisher.name == "Communauté de communes du Val de Démo"  # resolved from {"@id": "#val-de-demo"}
    assert entry.licence == f"{EU}/licence/ODC_BL" and entry.licence_label == "ODbL"
    assert entry.distributions[0].download_url == f"{BASE}/fichiers/velos.geojson"
    assert entry.distributions[0].format == f"{EU}/file-type/GEOJSON"


def test_years_identifiers_and_licence_names() -> None:
    page, data = by_name("Budget primitif 2023")
    entry = one(data, page)
    assert (entry.temporal[0].start, entry.temporal[0].end) == ("2023-01-01", "2023-12-31")
    assert entry.identifiers == ["budget-primitif-2023"]
    assert entry.licence == f"{EU}/licence/ETALAB_2_0" and entry.licence_label == "Licence Ouverte v2.0"
    assert entry.landing_page == page  # no url of its own: the page it is on


def test_languages_siren_counters_and_coordinates() -> None:
    entry = one({
        "@context": "https://schema.org", "@type": "Dataset",
        "name": [{"@value": "Population", "@language": "en"}, {"@value": "Population légale", "@language": "fr"}],
        "description": {"@value": "Populations légales 2021", "@language": "fr"},
        "keywords": [{"@type": "DefinedTerm", "name": "démographie"}, "population"],
        "license": {"@type": "CreativeWork", "url": "https://creativecommons.org/licenses/by/4.0/"},
        "publisher": {"@type": "GovernmentOrganization", "name": "Ville de Vanves",
                      "identifier": {"@type": "PropertyValue", "propertyID": "SIRET", "value": "219 200 755 00011"}},
        "spatialCoverage": {"@type": "Place", "geo": {"@type": "GeoCoordinates", "latitude": 48.82,
                                                      "longitude": 2.29}},
        "temporalCoverage": "2021-02",
        "inLanguage": [{"@type": "Language", "name": "French", "alternateName": "fr"}],
        "interactionStatistic": [
            {"@type": "InteractionCounter", "interactionType": "https://schema.org/DownloadAction",
             "userInteractionCount": 321},
            {"@type": "InteractionCounter", "interactionType": {"@type": "ViewAction"}, "userInteractionCount": "45"},
        ],
        "distribution": {"@type": "DataDownload", "contentUrl": "/files/pop.xlsx", "contentSize": "2048"},
    })
    assert entry.title == "Population légale" and entry.title_translations == {"en": "Population"}
    assert entry.keywords == ["démographie", "population"]
    assert entry.licence == f"{EU}/licence/CC_BY_4_0"
    assert entry.publisher.siren == "219200755"
    assert entry.spatial[0].bbox == (2.29, 48.82, 2.29, 48.82) and entry.spatial[0].departements == ["92"]
    assert (entry.temporal[0].start, entry.temporal[0].end) == ("2021-02-01", "2021-02-28")
    assert entry.languages == [f"{EU}/language/FRA"]
    assert entry.metrics == {"downloads": 321, "views": 45}
    assert entry.distributions[0].download_url == f"{BASE}/files/pop.xlsx"
    assert entry.distributions[0].format == f"{EU}/file-type/XLSX" and entry.distributions[0].byte_size == 2048


def test_hint_gaps_and_errors() -> None:
    minimal = {"@type": "Dataset", "name": "Seul un nom"}
    entry = one(minimal, hint=PublisherHint(name="Ville de Démo"))
    assert entry.publisher.name == "Ville de Démo"
    assert {"dct:description", "dcat:distribution", "dcat:keyword"} <= set(entry.gaps)
    assert "dct:publisher" not in entry.gaps
    with pytest.raises(NormaliseError, match="not a schema.org Dataset"):
        one({"@type": "WebPage", "name": "x"})
    with pytest.raises(NormaliseError, match="no name"):
        one({"@type": "Dataset", "description": "sans nom"})


@pytest.mark.parametrize("url", ["javascript:alert(document.domain)", " JavaScript:alert(1)", "java\tscript:alert(1)",
                                 "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "file:///etc/passwd"])
def test_script_urls_never_reach_a_record(url: str) -> None:
    """Finding 8 (issue 13): schema.org records kept javascript: URLs in landing_page, access_url and download_url,
    which the JSON API served as they were (the CKAN normaliser dropped them; now every normaliser does, one way)."""
    entry = one({"@type": "Dataset", "name": "Piège", "url": url, "publisher": {"@type": "Organization",
                                                                                "name": "X", "url": url},
                 "distribution": [{"@type": "DataDownload", "contentUrl": url, "url": url, "encodingFormat": "CSV"}]})
    assert entry.landing_page != url.strip() and not (entry.landing_page or "").lower().startswith(
        ("javascript", "data", "vbscript", "file"))
    links = [entry.landing_page, entry.publisher.homepage if entry.publisher else None]
    links += [u for d in entry.distributions for u in (d.access_url, d.download_url)]
    assert all(link is None or link.startswith(("http://", "https://")) for link in links), links
