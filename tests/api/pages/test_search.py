"""The search page over harvested records: labels not codes, filters in the page's own URL, suggestions on an empty
result, the zone chooser; bad input gets a French 400, never a 500."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
from lxml import html

from api.pages import labels
from api.pages.search_state import SearchState
from normalise import territory
from tests.api.pages.conftest import Site

CODE = re.compile(r"^(?:[A-Z0-9]+(?:_[A-Z0-9]+)+|[A-Z]{4}|\d{2,3}|2[AB])$")  # ETALAB_2_0, TRAN, 84, 2A


def get(site: Site, path: str, **params: object) -> tuple[httpx.Response, html.HtmlElement]:
    response = httpx.get(site.url + path, params=params, headers={"accept": "text/html"}, timeout=30)
    return response, html.fromstring(response.content) if response.content else html.fromstring("<p/>")


def facet_values(doc: html.HtmlElement) -> dict[str, list[tuple[str, str, str]]]:
    """facet -> (value, label, href-less label text) of each checkbox of the side bar."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for box in doc.cssselect("form.facettes input[type=checkbox]"):
        label = doc.cssselect(f"label[for={box.get('id')}]")[0]
        text = re.sub(r"\s*\(≈?\s*[\d\u202f]+\)\s*$", "", label.text_content()).strip()
        out.setdefault(box.get("name"), []).append((box.get("value"), text, label.text_content()))
    return out


def test_every_facet_value_is_a_french_label(site: Site) -> None:
    response, doc = get(site, "/recherche")
    assert response.status_code == 200 and doc.get("lang") == "fr"
    facets = facet_values(doc)
    assert {"theme", "region", "departement", "licence", "format", "source", "publisher"} <= set(facets)
    for name, values in facets.items():
        for value, label, _ in values:
            if name in ("theme", "licence", "region", "departement", "quality_band", "source", "kind"):
                assert not CODE.match(label), f"{name} shows the code {label!r}"
                assert label != value, f"{name} shows its value {value!r}"
    themes = dict((v, lab) for v, lab, _ in facets["theme"])
    assert all(themes[code] == labels.theme(code) for code in themes)
    regions = dict((v, lab) for v, lab, _ in facets["region"])
    assert regions and all(regions[code] == territory.region_name(code) for code in regions)
    assert "Provence-Alpes-Côte d'Azur" in regions.values()  # DataSud's records
    deps = dict((v, lab) for v, lab, _ in facets["departement"])
    assert all(lab.startswith(territory.departement_name(code) or "?") for code, lab in deps.items())
    assert "Licence Ouverte / Open Licence version 2.0" in [lab for _, lab, _ in facets["licence"]]
    assert "Portail udata de démonstration" in [lab for _, lab, _ in facets["source"]]
    # the hits too: territory by name, licence by name, quality band in French
    first = doc.cssselect("ol.resultats > li")[0].text_content()
    assert not re.search(r"\b(?:ETALAB_2_0|ODC_BL|CC_BY_\d_\d)\b", first)
    assert any(band in doc.text_content() for band in labels.BANDS.values())


def test_ticking_a_facet_filters_and_the_chip_removes_it(site: Site) -> None:
    _, doc = get(site, "/recherche")
    total = int(re.sub(r"\D", "", doc.cssselect("#titre-resultats")[0].text_content()))
    value, label, _ = facet_values(doc)["theme"][-1]
    # what the form submits when the box is ticked: the same page with theme=<code>
    response, filtered = get(site, "/recherche", theme=value)
    count = int(re.sub(r"\D", "", filtered.cssselect("#titre-resultats")[0].text_content()) or 0)
    assert 0 < count < total
    chips = filtered.cssselect("ul.actifs a")
    assert [c.get("aria-label") for c in chips] == [f"Retirer le filtre Thème : {label}"]
    assert chips[0].get("href") == "/recherche"
    ticked = filtered.cssselect(f"form.facettes input[name=theme][value={value}]")[0]
    assert ticked.get("checked") is not None
    # the other links of the page keep the filter: sort form, feed, JSON
    assert filtered.cssselect("select#tri")[0].getparent().cssselect(f"input[name=theme][value={value}]")
    feed = next(a.get("href") for a in filtered.cssselect("a") if a.get("href", "").startswith("/recherche.atom"))
    assert parse_qs(urlsplit(feed).query)["theme"] == [value]


def test_an_empty_result_suggests_spellings_and_dropping_a_filter(site: Site) -> None:
    _, doc = get(site, "/recherche", q="statoinnement gap")  # "stationnement", misspelt
    empty = doc.cssselect("div.vide")[0].text_content()
    assert "Aucun jeu de données" in empty and "Vouliez-vous dire" in empty
    suggestion = doc.cssselect("div.vide a")[0]
    assert suggestion.text_content() == "stationnement gap"
    _, again = get(site, suggestion.get("href"))
    assert again.cssselect("ol.resultats > li")
    # a filter that empties the result is offered for removal, with what remains
    _, doc = get(site, "/recherche", q="stationnement", region="28")
    relaxed = doc.cssselect("div.vide li a")
    assert relaxed and "sans « Région : Normandie »" in relaxed[0].text_content()
    assert parse_qs(urlsplit(relaxed[0].get("href")).query) == {"q": ["stationnement"]}


def test_zone_chosen_from_the_list_or_typed_becomes_the_bbox(site: Site) -> None:
    response = httpx.get(site.url + "/recherche/carte", params={"q": "eau", "zone": "reg:93"})
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    params = parse_qs(target.query)
    assert target.path == "/recherche" and params["q"] == ["eau"]
    west, south, east, north = (float(v) for v in params["bbox"][0].split(","))
    assert 4 < west < 5.5 and 42.9 < south < 43.2 and 7.3 < east < 7.8 and 44.9 < north < 45.2  # PACA
    typed = httpx.get(site.url + "/recherche/carte", params={"ouest": "4,7", "sud": "45.6", "est": "5", "nord": "46"})
    assert parse_qs(urlsplit(typed.headers["location"]).query)["bbox"] == ["4.7,45.6,5,46"]
    wrong = httpx.get(site.url + "/recherche/carte", params={"ouest": "9", "sud": "45.6", "est": "5", "nord": "46"})
    assert wrong.status_code == 200 and "ouest ≤ est" in wrong.text
    _, doc = get(site, "/recherche/carte")
    links = doc.cssselect("svg.carte a")
    assert len(links) == 101  # every département is a link to the search in its extent
    assert "bbox=" in links[0].get("href")


def test_search_in_a_zone_shows_it_and_lets_it_go(site: Site) -> None:
    _, everything = get(site, "/recherche")
    _, doc = get(site, "/recherche", bbox="6.5,46.3,6.7,46.5")  # Évian-les-Bains
    shown = int(re.sub(r"\D", "", doc.cssselect("#titre-resultats")[0].text_content()) or 0)
    total = int(re.sub(r"\D", "", everything.cssselect("#titre-resultats")[0].text_content()))
    assert 0 < shown < total
    chip = [a for a in doc.cssselect("ul.actifs a") if "Zone" in a.text_content()][0]
    assert chip.get("href") == "/recherche"
    assert doc.cssselect("svg.carte rect.emprise")


def test_bad_input_gets_a_french_400(site: Site) -> None:
    for params in ({"page": "0"}, {"page": "x"}, {"bbox": "1,2,3"}, {"sort": "colour"}):
        response, doc = get(site, "/recherche", **params)
        assert response.status_code == 400 and "Recherche impossible" in doc.text_content(), params
    response, doc = get(site, "/recherche", q='"eau OR (vélo')  # slips are forgiven: a page, never a 500
    assert response.status_code == 200 and doc.get("lang") == "fr"
    moved = httpx.get(f"{site.url}/search", params={"q": "eau"})  # the first address of the page
    assert moved.status_code == 308 and moved.headers["location"] == "/recherche?q=eau"


def test_search_state_links() -> None:
    state = SearchState(q="eau", filters={"theme": ("ENVI",)}, bbox=(4.7, 45.6, 5.0, 45.9), sort="-modified", page=3)
    assert state.url() == "/recherche?q=eau&theme=ENVI&bbox=4.7%2C45.6%2C5%2C45.9&sort=-modified&page=3"
    assert state.toggled("theme", "ENVI") == "/recherche?q=eau&bbox=4.7%2C45.6%2C5%2C45.9&sort=-modified"
    assert state.toggled("theme", "TRAN").startswith("/recherche?q=eau&theme=ENVI&theme=TRAN&")
    assert "bbox" not in state.without_bbox() and "page" not in state.without_bbox()
