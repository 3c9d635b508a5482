"""The report pages speak French: quality (record, source, every source), obligation, statistics."""

from __future__ import annotations

import re

import httpx
from lxml import html

from tests.api.pages.conftest import Site

ENGLISH = re.compile(r"\b(?:Indicators that fail|French rules|points to gain|datasets per score range|not checked yet|"
                     r"Metadata quality|Fix first|validated|band)\b")


def french_page(site: Site, path: str) -> html.HtmlElement:
    response = httpx.get(site.url + path, headers={"accept": "text/html"}, timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html"), path
    doc = html.fromstring(response.content)
    assert doc.get("lang") == "fr"
    visible = " ".join(t for t in doc.xpath("//body//text()[not(ancestor::*[@lang='en'])]"))
    assert not ENGLISH.search(visible), (path, ENGLISH.search(visible))
    return doc


def test_quality_pages_in_french(site: Site) -> None:
    doc = french_page(site, "/api/sources/evian/quality?format=html".replace("evian", "demo-dcat-evian"))
    assert "À corriger d'abord" in doc.text_content() and "Règles françaises" in doc.text_content()
    assert [li.get("data-indicator") for li in doc.cssselect("ol.correctifs li")]
    # the SHACL message of the three records without a description, in French
    assert "Le jeu de données n'a pas de description (dct:description) : DCAT-AP en exige au moins 1." \
        in doc.text_content()
    overview = french_page(site, "/api/quality?format=html")
    assert len(overview.cssselect("tbody tr")) == 4
    record = httpx.get(f"{site.url}/api/datasets", params={"source": "ods", "page_size": 1}).json()["hits"][0]["id"]
    detail = french_page(site, f"/api/datasets/{record}/quality?format=html")
    assert "joignable" in detail.text_content() and "Indicateurs" in detail.text_content()


def test_obligation_and_statistics_pages_in_french(site: Site) -> None:
    doc = french_page(site, "/obligations")
    assert "Taux national" in doc.text_content() and len(doc.cssselect("svg.chart.map circle.dep")) >= 96
    listed = french_page(site, "/obligations?departement=05")
    assert "Hautes-Alpes" in listed.cssselect("h2")[0].text_content()
    stats = french_page(site, "/stats?granularity=day")
    assert "Téléchargements" in stats.text_content() and stats.cssselect("svg.chart polyline.series")
