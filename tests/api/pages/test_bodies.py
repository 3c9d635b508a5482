"""Publisher and source pages: what each publishes, obligation status, quality over time (a point per harvest)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from lxml import html

from index.quality import quality_points, report
from index.store import Store
from tests.api.pages.conftest import Site


def page(site: Site, path: str) -> tuple[httpx.Response, html.HtmlElement]:
    response = httpx.get(site.url + path, headers={"accept": "text/html"}, timeout=30)
    return response, html.fromstring(response.content)


def test_source_page_tells_how_its_harvests_went_and_its_quality_over_time(site: Site) -> None:
    response, doc = page(site, "/sources/udata")
    assert response.status_code == 200
    assert doc.cssselect("h1")[0].text_content() == "Portail udata de démonstration"
    jobs = doc.cssselect("#t-moissons ~ div.defile table tbody tr")
    assert len(jobs) == 2 and all("réussie" in row.text_content() for row in jobs)
    store = Store(site.db)
    points = quality_points(store, source_id="udata")
    rep = report(store, source_id="udata")
    store.close()
    assert len(points) == 2  # one per harvest
    assert points[-1].datasets == rep.datasets and points[-1].mean == rep.mean
    assert doc.cssselect("#t-qualite ~ svg.chart circle.point") or len(doc.cssselect("svg.chart circle.point")) == 2
    assert doc.cssselect("a[href='/api/sources/udata/quality?format=html']")
    assert page(site, "/sources/nope")[0].status_code == 404


def test_publisher_page_by_name_and_by_siren(site: Site) -> None:
    store = Store(site.db)
    with_siren = next(e for e in store.iter_entries() if e.publisher and e.publisher.siren)
    name, siren = with_siren.publisher.name, with_siren.publisher.siren  # type: ignore[union-attr]
    count = sum(1 for e in store.iter_entries() if e.publisher and e.publisher.name == name)
    store.close()
    response, doc = page(site, f"/editeurs/{quote(name, safe='')}")
    assert response.status_code == 200 and doc.cssselect("h1")[0].text_content() == name
    assert siren in doc.text_content()
    assert f"{count}" in doc.cssselect("ul.kpis")[0].text_content()
    assert len(doc.cssselect("ol.resultats > li")) == min(count, 20)
    assert "Obligation d'ouverture" in doc.text_content() and "Qualité des métadonnées" in doc.text_content()
    by_siren = page(site, f"/editeurs/{siren}")[1]
    assert by_siren.cssselect("h1")[0].text_content() == name
    # its quality after each harvest of the portals carrying it
    assert len(by_siren.cssselect("#t-qualite ~ table tbody tr")) == 2
    assert page(site, "/editeurs/Personne%20du%20tout")[0].status_code == 404


def test_hits_link_to_publisher_and_source_pages(site: Site) -> None:
    _, doc = page(site, "/recherche")
    publishers = {a.get("href") for a in doc.cssselect("ol.resultats a[href^='/editeurs/']")}
    sources = {a.get("href") for a in doc.cssselect("ol.resultats a[href^='/sources/']")}
    assert publishers and sources
    for href in list(publishers)[:3] + list(sources)[:2]:
        assert page(site, href)[0].status_code == 200, href
