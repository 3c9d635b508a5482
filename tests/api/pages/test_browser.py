"""The site in a real browser (Debian's chromium driven by Playwright): a reuser's journey with real clicks — type a
query, tick a facet, see the count and the URL change, remove the filter, pick and draw a zone on the map, open a
dataset, follow its download link to the demo portal's file, open its quality report — screenshots that are not
blank, the keyboard, the pages without JavaScript, and axe-core finding no accessibility violation."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright

from demo.screenshots import CHROMIUM_ARGS, chromium_path
from tests.api.pages.conftest import Site
from tests.api.pages.test_dataset import ods_record
from tests.api.test_obligations_browser import png_pixels


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        executable = chromium_path()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="fr-FR", accept_downloads=True)
    tab = context.new_page()
    yield tab
    context.close()


def count(page: Page) -> int:
    text = page.locator("#titre-resultats").inner_text()
    return 0 if text.startswith("Aucun") else int(re.sub(r"\D", "", text))


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def assert_not_blank(png: bytes, tmp_path, name: str) -> None:  # noqa: ANN001
    path = tmp_path / f"{name}.png"
    path.write_bytes(png)
    width, height, raw = png_pixels(path)
    assert width == 1280 and height >= 1000
    assert len(set(raw)) > 50 and raw.count(255) < 0.98 * len(raw), f"{name}: the page is (almost) blank"
    assert zlib.compress(raw)  # a real image, decoded


def test_a_reusers_journey_with_real_clicks(site: Site, page: Page, tmp_path) -> None:  # noqa: ANN001
    page.goto(f"{site.url}/")
    assert_not_blank(page.screenshot(), tmp_path, "accueil")
    everything = count(page)
    page.fill("#q", "ville")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"/recherche\?q=ville"))
    words = count(page)
    assert 0 < words < everything
    # tick a facet: the page reloads with the filter in its URL, a smaller count, and a chip to remove it
    box = page.locator("form.facettes input[name=theme]").last
    value = box.get_attribute("value")
    with page.expect_navigation():
        page.locator(f"label[for='{box.get_attribute('id')}']").click()
    assert query(page)["theme"] == [value] and query(page)["q"] == ["ville"]
    assert 0 < count(page) < words
    assert page.locator("form.facettes input[name=theme]:checked").count() == 1
    assert_not_blank(page.screenshot(), tmp_path, "filtre")
    with page.expect_navigation():
        page.locator("ul.actifs a").first.click()
    assert "theme" not in query(page) and count(page) == words
    # pick a zone on the map: click a département
    page.click("text=Choisir une zone sur la carte")
    page.wait_for_url(re.compile(r"/recherche/carte"))
    assert_not_blank(page.screenshot(), tmp_path, "carte")
    with page.expect_navigation():
        page.locator("svg.carte a[aria-label='Haute-Savoie (74)']").click()
    assert query(page)["q"] == ["ville"] and "bbox" in query(page)
    assert 0 < count(page) < words
    assert page.locator("svg.carte rect.emprise").count() == 1
    # draw a zone: drag across the Alps, then apply it
    page.goto(f"{site.url}/recherche/carte")
    svg = page.locator("svg.carte[data-draw]").bounding_box()
    assert svg is not None
    page.mouse.move(svg["x"] + svg["width"] * 0.72, svg["y"] + svg["height"] * 0.45)
    page.mouse.down()
    page.mouse.move(svg["x"] + svg["width"] * 0.80, svg["y"] + svg["height"] * 0.50, steps=8)
    page.mouse.move(svg["x"] + svg["width"] * 0.88, svg["y"] + svg["height"] * 0.58, steps=8)
    page.mouse.up()
    assert page.input_value("#ouest") and page.input_value("#nord")
    west, east = float(page.input_value("#ouest")), float(page.input_value("#est"))
    south, north = float(page.input_value("#sud")), float(page.input_value("#nord"))
    assert 5 < west < east < 9.5 and 43 < south < north < 47.5
    with page.expect_navigation():
        page.click("button[name=appliquer]")
    page.wait_for_url(re.compile(r"/recherche\?"))
    bbox = [float(v) for v in query(page)["bbox"][0].split(",")]
    assert bbox == pytest.approx([west, south, east, north], abs=0.01)
    assert count(page) > 0  # Évian's records lie there
    # open a dataset of the OpenDataSoft portal and download its file from the demo portal
    record_id, _ = ods_record(site)
    page.goto(f"{site.url}/recherche?source=ods")
    with page.expect_navigation():
        page.locator(f"ol.resultats h2 a[href='/datasets/{record_id}']").click()
    assert page.url.endswith(f"/datasets/{record_id}")
    assert_not_blank(page.screenshot(), tmp_path, "jeu")
    link = page.locator("a.telechargement[href$='/exports/csv']")
    with page.expect_download() as download:
        link.click()
    assert download.value.url.startswith(site.portals.url("/ods")) and download.value.url.endswith("/exports/csv")
    content = download.value.path().read_bytes()
    assert content and b"\n" in content  # the emulator's CSV export: its header line
    # its quality report
    with page.expect_navigation():
        page.click("text=Le détail et ce qu'il faut corriger")
    assert "/quality" in page.url and page.locator("h1").inner_text().startswith("Qualité des métadonnées")
    assert_not_blank(page.screenshot(), tmp_path, "qualite")


def test_keyboard_reaches_the_content_and_the_filters(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/recherche")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    for _ in range(60):  # tabbing on reaches a facet box, and the space bar ticks it
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "theme":
            break
    else:
        pytest.fail("no facet box reachable by the keyboard")
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert "theme" in query(page)


def test_pages_work_without_javascript(site: Site, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site.url}/recherche")
    page.locator("form.facettes input[name=region]").first.check()
    with page.expect_navigation():
        page.click("text=Appliquer les filtres")
    assert "region" in query(page) and count(page) > 0
    page.goto(f"{site.url}/recherche/carte")
    page.select_option("#zone-liste", "dep:74")
    with page.expect_navigation():
        page.click("button[name=appliquer]")
    assert "bbox" in query(page)
    context.close()


AXE_PAGES = {
    "recherche": "/recherche?q=ville",
    "recherche vide": "/recherche?q=statoinnement",
    "carte": "/recherche/carte",
    "jeu de données": None,  # filled from the search
    "éditeur": None,
    "portail": "/sources/udata",
    "qualité d'un portail": "/api/sources/udata/quality?format=html",
    "qualité de tous les portails": "/api/quality?format=html",
    "qualité d'un jeu": None,
    "obligation": "/obligations",
    "obligation d'un département": "/obligations?departement=05",
    "téléchargements": "/stats",
}


def test_axe_core_finds_no_violation(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/recherche?source=udata")
    dataset = page.locator("ol.resultats h2 a").first.get_attribute("href")
    publisher = page.locator("ol.resultats a[href^='/editeurs/']").first.get_attribute("href")
    pages = {**AXE_PAGES, "jeu de données": dataset, "éditeur": publisher,
             "qualité d'un jeu": f"/api/datasets/{dataset.rsplit('/', 1)[-1]}/quality?format=html"}
    axe = Axe()
    found = {}
    for name, path in pages.items():
        page.goto(site.url + path)
        result = axe.run(page)
        violations = result.response["violations"]
        if violations:
            found[name] = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
    assert found == {}, found


def test_the_content_security_policy_refuses_nothing_on_any_page(site: Site, page: Page) -> None:
    """Every page (and /docs, Swagger UI served from our own files) runs under the strict policy of api/security.py
    (scripts and styles from moisson's own files only): the browser reports no refusal, and /docs still shows the
    API's operations."""
    refused: list[str] = []
    page.on("console", lambda message: refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text else None)
    page.goto(f"{site.url}/recherche?source=udata")
    dataset = page.locator("ol.resultats h2 a").first.get_attribute("href")
    for path in [*(p for p in AXE_PAGES.values() if p), dataset, "/docs"]:
        response = page.goto(site.url + path)
        assert response is not None and "style-src 'self';" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    assert page.locator(".opblock-summary-path", has_text="/api/datasets").first.is_visible()
    assert refused == [], refused
