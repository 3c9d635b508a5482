"""Feeds: the Atom feed of a search (parsed by feedparser, newest first), the sitemap of dataset pages, robots.txt —
and moisson's own web harvester crawling moisson's pages through them."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
import httpx
from lxml import etree

from harvesters import harvester_class
from index.store import Store
from kernel.config import SourceConfig
from kernel.http import HttpClient
from kernel.records import RawRecord
from tests.api.pages.conftest import Site
from tests.conftest import make_config


def test_atom_feed_of_a_search_lists_the_newest_first(site: Site) -> None:
    response = httpx.get(f"{site.url}/recherche.atom", params={"source": "udata"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title.startswith("moisson") and feed.feed.language == "fr"
    times = [datetime(*e.updated_parsed[:6], tzinfo=UTC) for e in feed.entries]
    assert len(times) >= 5 and times == sorted(times, reverse=True)
    store = Store(site.db)
    titles = {e.title for e in store.iter_entries(source_id="udata")}
    store.close()
    assert {e.title for e in feed.entries} <= titles  # the filter holds
    assert all(e.link.startswith(f"{site.url}/datasets/udata.") for e in feed.entries)
    everything = feedparser.parse(httpx.get(f"{site.url}/recherche.atom").content)
    assert len(everything.entries) > len(feed.entries)
    assert httpx.get(f"{site.url}/recherche.atom", params={"bbox": "x"}).status_code == 400


def test_sitemap_lists_every_dataset_page(site: Site) -> None:
    robots = httpx.get(f"{site.url}/robots.txt").text
    assert f"Sitemap: {site.url}/sitemap.xml" in robots
    root = etree.fromstring(httpx.get(f"{site.url}/sitemap.xml").content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = root.xpath("//s:url/s:loc/text()", namespaces=ns)
    store = Store(site.db)
    ids = {row[0] for row in store.db.execute("SELECT id FROM records WHERE status = 'active'")}
    store.close()
    assert {loc.rsplit("/", 1)[-1] for loc in locs if "/datasets/" in loc} == ids
    assert len(root.xpath("//s:url/s:lastmod", namespaces=ns)) == len(locs) - 1  # all but the search page
    assert httpx.get(f"{site.url}/sitemap-2.xml").status_code == 404


def test_moisson_harvests_its_own_pages(site: Site) -> None:
    """The web harvester, as for any portal: robots.txt, the sitemap, each dataset page's JSON-LD."""
    config = make_config(f"""
        - {{id: moisson, type: web, url: '{site.url}/', options: {{max_depth: 0, max_pages: 400, feeds: false}}}}
        """, http="{retries: 0, per_host_rps: 1000}")
    source: SourceConfig = config.sources[0]
    http = HttpClient(config.settings.http, allow_private=True, contact="test@moisson.invalid")
    try:
        items = list(harvester_class("web")(source, http).harvest())
    finally:
        http.close()
    records = [i for i in items if isinstance(i, RawRecord)]
    store = Store(site.db)
    active = store.count()
    titles = {e.title for e in store.iter_entries()}
    store.close()
    assert len(records) == active, [i for i in items if not isinstance(i, RawRecord)][:3]
    from normalise import normalise

    harvested = {e.title for r in records for e in normalise(r)}
    assert harvested == titles
