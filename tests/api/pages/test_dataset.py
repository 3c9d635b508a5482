"""The dataset page: what a reuser needs, safe to show, findable by search engines (schema.org JSON-LD that moisson's
own web harvester reads back), and the Linked Data 303 for machines at the same IRI."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from lxml import html

from api.app import create_app
from harvesters.web import find_datasets, parse_jsonld_block
from index.store import Store
from kernel.records import RawRecord
from normalise.model import ContactPoint, Dataset, Distribution
from normalise.schema_org import normalise_schema_org
from tests.api.pages.conftest import Site

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}  # what browsers send


def ods_record(site: Site) -> tuple[str, Dataset]:
    store = Store(site.db)
    try:
        entry = next(e for e in store.iter_entries(source_id="ods")
                     if any(d.download_url and "/exports/csv" in d.download_url for d in e.distributions))
    finally:
        store.close()
    return entry.id, entry


def test_dataset_page_for_people(site: Site) -> None:
    record_id, entry = ods_record(site)
    response = httpx.get(f"{site.url}/datasets/{record_id}", headers=HTML)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    doc = html.fromstring(response.content)
    assert doc.cssselect("h1")[0].text_content() == entry.title
    text = doc.text_content()
    assert "Télécharger" in text and "Origine" in text and "Historique" in text
    # every distribution with its format by name, its link state from the link checker, a direct download link
    rows = doc.cssselect("#t-ressources ~ table tbody tr")
    assert len(rows) == len(entry.distributions)
    assert any("joignable" in r.text_content() and "vérifié le" in r.text_content() for r in rows)
    downloads = [a.get("href") for a in doc.cssselect("a.telechargement")]
    assert any(h.endswith("/exports/csv") for h in downloads)
    csv = next(h for h in downloads if h.endswith("/exports/csv"))
    assert httpx.get(csv).status_code == 200  # the demo portal's file
    # publisher page, source page, quality with its band and the fix list, alternates in DCAT-AP
    assert doc.cssselect("a[href^='/sources/ods']")
    assert doc.cssselect(f"a[href='/api/datasets/{record_id}/quality?format=html']")
    assert doc.cssselect("span.bande")
    alternates = {link.get("type") for link in doc.cssselect("link[rel=alternate]")}
    assert {"text/turtle", "application/ld+json", "application/rdf+xml"} <= alternates
    # downloads sampled at each of the two harvests: a small trend chart
    assert doc.cssselect("#t-stats ~ svg.chart circle.point") or doc.cssselect("svg.chart.line")


def test_embedded_jsonld_is_a_dataset_moisson_harvests_back(site: Site) -> None:
    record_id, entry = ods_record(site)
    page = httpx.get(f"{site.url}/datasets/{record_id}", headers=HTML)
    blocks = html.fromstring(page.content).xpath("//script[@type='application/ld+json']/text()")
    assert len(blocks) == 1
    found = list(find_datasets(parse_jsonld_block(blocks[0])))
    assert len(found) == 1  # the web harvester's own extraction
    raw = RawRecord(source_id="moisson", native_id=found[0]["@id"], profile="schema_org",
                    media_type="application/ld+json", url=str(page.url),
                    content=httpx.Response(200, json=found[0]).content)
    (back,) = normalise_schema_org(raw)
    assert back.title == entry.title
    assert back.publisher is not None and entry.publisher is not None
    assert back.publisher.name == entry.publisher.name
    assert {d.download_url or d.access_url for d in back.distributions} == {
        d.download_url or d.access_url for d in entry.distributions if d.download_url or d.access_url}
    assert back.licence == entry.licence
    assert back.landing_page is None or back.landing_page.startswith("http")


def test_machines_get_the_303_at_the_same_iri(site: Site) -> None:
    record_id, _ = ods_record(site)
    for accept in ("*/*", "application/json", "text/turtle", "application/ld+json"):
        response = httpx.get(f"{site.url}/datasets/{record_id}", headers={"accept": accept})
        assert response.status_code == 303 and response.headers["location"] == f"/api/datasets/{record_id}"
    asked = httpx.get(f"{site.url}/datasets/{record_id}", params={"format": "ttl"}, headers=HTML)
    assert asked.status_code == 303 and asked.headers["location"] == f"/api/datasets/{record_id}?format=ttl"
    missing = httpx.get(f"{site.url}/datasets/nope.0000000000000000", headers=HTML)
    assert missing.status_code == 404 and "introuvable" in missing.text


def test_what_the_source_wrote_is_shown_safely(tmp_path) -> None:  # noqa: ANN001
    store = Store(tmp_path / "moisson.db")
    entry = Dataset(id="x.1", source_id="x", native_id="1", title="<script>alert('t')</script>",
                    description="**Gras** <img src=x onerror=alert(1)> [lien](javascript:alert(2)) "
                                "[bon](https://example.org/doc)\n\n<script>alert(3)</script>",
                    contact_points=[ContactPoint(url="javascript:alert(4)", email="a@b.fr")],
                    distributions=[Distribution(access_url="javascript:alert(5)", download_url="https://x.fr/a.csv")])
    with store.transaction():
        store.upsert_entry(entry, "1", store.start_job("x", "full"))
    client = TestClient(create_app(store.path))
    page = client.get("/datasets/x.1", headers=HTML)
    assert page.status_code == 200
    doc = html.fromstring(page.text)
    scripts = doc.xpath("//script[not(@type='application/ld+json')]")
    assert [s.get("src") for s in scripts] == ["/static/moisson.js"]  # no script of the source's
    assert doc.cssselect("h1")[0].text_content() == "<script>alert('t')</script>"
    assert not [a for a in doc.xpath("//a/@href") if "javascript" in a.lower()]
    assert not doc.xpath("//img[@onerror]") and not doc.xpath("//*[@onerror]")
    assert doc.cssselect(".description strong")[0].text == "Gras"
    assert doc.cssselect(".description a[href='https://example.org/doc']")
    jsonld = doc.xpath("//script[@type='application/ld+json']/text()")[0]
    assert "</script" not in jsonld.lower() and "<" not in jsonld
    store.close()
