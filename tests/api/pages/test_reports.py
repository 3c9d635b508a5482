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


def test_pages_carry_no_inline_script_or_style(site: Site) -> None:
    """Ready for a Content-Security-Policy of script-src 'self' and style-src 'self': no inline script, event
    handler, style element or style attribute (JSON-LD blocks are data); the one script and the one stylesheet come
    from the site."""
    record = httpx.get(f"{site.url}/api/datasets", params={"source": "ods", "page_size": 1}).json()["hits"][0]["id"]
    paths = ["/", "/recherche?q=ville&theme=ENVI", "/recherche?q=statoinnement", "/recherche/carte",
             f"/datasets/{record}", "/sources/udata", "/api/quality?format=html",
             "/api/sources/udata/quality?format=html",
             f"/api/datasets/{record}/quality?format=html", "/obligations", "/obligations?region=93", "/stats",
             "/recherche?bbox=6.5,46.3,6.7,46.5"]
    for path in paths:
        doc = html.fromstring(httpx.get(site.url + path, headers={"accept": "text/html"}, timeout=30).content)
        assert not doc.xpath("//style"), path
        assert not doc.xpath("//*[@style]"), path
        assert not [a for el in doc.iter() if isinstance(el.tag, str) for a in el.attrib if a.lower().startswith("on")]
        scripts = doc.xpath("//script")
        assert all(s.get("src") == "/static/moisson.js" or s.get("type") == "application/ld+json" for s in scripts)
        assert all(not s.get("src") or not (s.text or "").strip() for s in scripts)
        assert [link.get("href") for link in doc.xpath("//link[@rel='stylesheet']")] == ["/static/moisson.css"]
        assert not [u for u in doc.xpath("//@src | //@href") if u.startswith(("//", "http")) and site.url not in u
                    and u not in _source_links(doc)], path


def _source_links(doc: html.HtmlElement) -> set[str]:
    """Links to the sources' own pages and files, which are the point of a link (never loaded by the page)."""
    return {a.get("href") for a in doc.xpath("//a[@href]")}
