"""WebHarvester: a real Scrapy crawl (child process) of the demo website served on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import psutil
import pytest

from demo.portals.web import WebSite
from demo.server import PortalServer, Request, Response
from harvesters.web import WebHarvester, dataset_key, find_datasets, parse_jsonld_block
from index.store import Store
from kernel.http import HttpClient
from kernel.records import RawRecord, RecordError, SourceError
from pipeline.harvest import run_harvest
from tests.conftest import DEMO_DATA, make_config

SITE = DEMO_DATA / "web" / "site"
HTTP = "{timeout: 5, retries: 0, per_host_rps: 200, per_host_concurrency: 4}"


@pytest.fixture
def site() -> WebSite:
    return WebSite(SITE)


@pytest.fixture
def site_url(server: PortalServer, site: WebSite) -> str:
    """The site at the root of its own server: robots.txt and sitemap.xml only count at a host's root."""
    return server.mount("", site)


def harvester(url: str, options: str = "{}", allow_private: bool = True) -> WebHarvester:
    config = make_config(f"- {{id: test-web, type: web, url: '{url}/', options: {options}}}", http=HTTP)
    return WebHarvester(config.sources[0], HttpClient(config.settings.http, allow_private=allow_private))


def run(url: str, options: str = "{}") -> tuple[list[RawRecord], list[RecordError]]:
    items = list(harvester(url, options).harvest())
    return [i for i in items if isinstance(i, RawRecord)], [i for i in items if isinstance(i, RecordError)]


def expected(url: str) -> dict[str, str]:
    """native id -> profile of every dataset the site allows robots to find (demo/data/web/README.md)."""
    return {
        f"{url}/jeux-de-donnees/qualite-air.html#dataset": "schema-org",
        f"{url}/jeux-de-donnees/marches-publics.html": "schema-org",
        f"{url}/jeux-de-donnees/velos.html#dataset": "schema-org",
        "budget-primitif-2023": "schema-org",
        "budget-primitif-2024": "schema-org",
        f"{url}/jeux-de-donnees/arbres-remarquables.html": "schema-org",
        f"{url}/dcat/decheteries": "dcat",
        f"{url}/dcat/horaires-piscine": "dcat",
    }


def test_every_allowed_dataset_once_and_nothing_forbidden_fetched(server: PortalServer, site_url: str) -> None:
    """Acceptance 2."""
    records, errors = run(site_url)
    assert errors == []
    found = [r.native_id for r in records]
    assert len(found) == len(set(found)), "a dataset was yielded twice"
    assert {r.native_id: r.profile for r in records} == expected(site_url)
    assert not [hit.path for hit in server.hits if hit.path.startswith("/prive/")]
    fetched = {hit.path for hit in server.hits}
    assert {"/robots.txt", "/sitemap.xml", "/jeux-de-donnees/arbres-remarquables.html", "/catalogue.ttl"} <= fetched
    assert not [p for p in fetched if p.startswith("/fichiers/")]  # data files are not crawled as pages
    # the listing on the home page defers to the dataset's own, richer page
    air = next(r for r in records if r.native_id.endswith("qualite-air.html#dataset"))
    assert air.url == f"{site_url}/jeux-de-donnees/qualite-air.html" and b"spatialCoverage" in air.content
    # a dataset only listed (its page has no JSON-LD) comes from the listing page
    listed = next(r for r in records if r.native_id.endswith("marches-publics.html"))
    assert listed.url == f"{site_url}/"


def test_polite_identity_and_robots_read_first(site: WebSite) -> None:
    agents: set[str] = set()

    def recording(request: Request) -> Response:
        agents.add(request.headers.get("User-Agent", ""))
        return site(request)

    with PortalServer() as other:
        url = other.mount("", recording)
        h = harvester(url)
        list(h.harvest())
        assert other.hits[0].path == "/robots.txt"
    assert agents == {h.http.session.headers["User-Agent"]} and agents.pop().startswith("moisson/")
    assert h.http.stats.requests >= 10 and h.http.stats.bytes > 0  # the crawl's traffic counts in the job log
    assert any("Forbidden by robots.txt" in event for event in h.http.stats.events)


def test_depth_limit(server: PortalServer, site_url: str) -> None:
    records, errors = run(site_url, "{max_depth: 0}")
    assert errors == []
    found = {r.native_id for r in records}
    # depth 0: the start page and the pages the sitemap lists; their links are not followed
    assert f"{site_url}/jeux-de-donnees/arbres-remarquables.html" in found
    assert f"{site_url}/jeux-de-donnees/qualite-air.html#dataset" in found
    assert f"{site_url}/jeux-de-donnees/velos.html#dataset" not in found
    assert "/catalogue.html" not in {hit.path for hit in server.hits}


def test_page_limit_makes_the_sweep_incomplete(server: PortalServer, site_url: str) -> None:
    records, errors = run(site_url, "{max_pages: 3}")
    assert len(errors) == 1 and errors[0].page_level and "max_pages=3" in errors[0].reason
    pages = [h for h in server.hits if h.path.endswith((".html", "/")) and not h.path.endswith("robots.txt")]
    assert len(pages) <= 3


def test_private_addresses_are_refused_unless_allowed(server: PortalServer, site_url: str) -> None:
    with pytest.raises(SourceError, match="allow_private_networks"):
        list(harvester(site_url, allow_private=False).harvest())
    assert server.hits == []  # not even robots.txt


def test_a_site_closed_to_robots_fails_instead_of_looking_empty(server: PortalServer, site: WebSite,
                                                                 site_url: str) -> None:
    site.put("/robots.txt", "User-agent: *\nDisallow: /\n")
    with pytest.raises(SourceError, match="robots.txt"):
        list(harvester(site_url).harvest())
    assert {hit.path for hit in server.hits} == {"/robots.txt"}  # read (for the rules and the sitemaps), no page


def test_unreachable_site_fails_the_source() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SourceError, match="cannot crawl"):
        list(harvester(f"http://127.0.0.1:{port}").harvest())


def test_broken_pages_are_page_errors_and_the_rest_is_found(site: WebSite, site_url: str) -> None:
    site.put("/jeux-de-donnees/velos.html", '<html><head><script type="application/ld+json">{"@type": "Dataset",'
                                            '</script></head><body></body></html>')
    site.remove("/jeux-de-donnees/budget.html")  # gone: not an error
    records, errors = run(site_url)
    assert len(errors) == 1 and errors[0].page_level and "unreadable JSON-LD" in errors[0].reason
    found = {r.native_id for r in records}
    assert found == set(expected(site_url)) - {f"{site_url}/jeux-de-donnees/velos.html#dataset",
                                               "budget-primitif-2023", "budget-primitif-2024"}


def test_a_server_error_is_a_page_error(site: WebSite) -> None:
    def failing(request: Request) -> Response:
        if request.path == "/jeux-de-donnees/arbres-remarquables.html":
            return Response(503, b"maintenance", content_type="text/plain")
        return site(request)

    with PortalServer() as other:
        url = other.mount("", failing)
        records, errors = run(url)
    assert len(errors) == 1 and errors[0].page_level and "HTTP 503" in errors[0].reason
    assert errors[0].url == f"{url}/jeux-de-donnees/arbres-remarquables.html"
    assert len(records) == 7


def test_closing_the_generator_stops_the_crawl(site_url: str) -> None:
    items = harvester(site_url).harvest()
    first = next(items)
    assert isinstance(first, RawRecord)
    assert _crawlers(), "the crawl runs in a child process"
    items.close()
    assert _crawlers() == []


def _crawlers() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True)
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE and "harvesters.web" in " ".join(p.cmdline())]


def test_pipeline_twice_rewrites_nothing(site_url: str, store: Store) -> None:
    config = make_config(f"- {{id: demo-web, type: web, url: '{site_url}/'}}", http=HTTP)
    store.sync_sources(config.sources)
    first = run_harvest(store, config.sources[0], config, mode="full", index_after=False)
    assert first.status == "succeeded" and first.counts.new == 8 and first.counts.failed == 0
    second = run_harvest(store, config.sources[0], config, mode="full", index_after=False)
    assert second.status == "succeeded" and second.counts.unchanged == 8


def test_jsonld_reading() -> None:
    graph = {"@context": {"@vocab": "https://schema.org/"}, "@graph": [
        {"@type": "Organization", "@id": "#org", "name": "Org"},
        {"@type": ["schema:Dataset"], "@id": "#d", "publisher": {"@id": "#org"}},
        {"@type": "DataCatalog", "dataset": [{"@type": "Dataset", "name": "listed"}]},
        {"@type": "WebPage", "mainEntity": {"@type": "https://schema.org/Dataset", "name": "main"}},
    ]}
    found = list(find_datasets(graph))
    assert [d.get("@id") or d.get("name") for d in found] == ["#d", "listed", "main"]
    assert found[0]["publisher"] == {"@type": "Organization", "@id": "#org", "name": "Org"}
    assert all(d["@context"] == {"@vocab": "https://schema.org/"} for d in found)
    assert parse_jsonld_block("<!-- {\"a\": 1} -->") == {"a": 1}
    page = "https://site.example/p.html"
    assert dataset_key({"@id": "#d", "url": "x.html"}, page) == "https://site.example/p.html#d"
    assert dataset_key({"url": "x.html"}, page) == "https://site.example/x.html"
    assert dataset_key({"identifier": {"@type": "PropertyValue", "value": "ID-1"}}, page) == "ID-1"
    assert dataset_key({"name": "N"}, page) == "https://site.example/p.html#N"


@pytest.fixture(autouse=True)
def _no_crawler_left() -> Iterator[None]:
    yield
    assert _crawlers() == []


SITECUSTOMIZE = '''
import socket
_real_getaddrinfo, _real_gethostbyname, _answered = socket.getaddrinfo, socket.gethostbyname, []

def getaddrinfo(host, *args, **kwargs):  # the guard's lookup gets a public address, every later one loopback
    if host == "rebind.example":
        address = "93.184.215.14" if not _answered else "127.0.0.1"
        _answered.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, args[0] if args and args[0] else 0))]
    return _real_getaddrinfo(host, *args, **kwargs)

def gethostbyname(host):
    if host == "rebind.example":
        _answered.append("127.0.0.1")
        return "127.0.0.1"
    return _real_gethostbyname(host)

socket.getaddrinfo, socket.gethostbyname = getaddrinfo, gethostbyname
'''


def test_a_name_that_rebinds_to_loopback_is_not_crawled(server: PortalServer, site_url: str, tmp_path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 6 (issue 13) in the Scrapy crawl: the guard middleware resolved the host, then Twisted resolved it
    again to connect. The crawl's child gets a resolver (the system's, replaced through sitecustomize: not our code)
    that answers a public address to the first lookup and 127.0.0.1 after; the site on loopback must not be
    reached. Before the fix the crawl fetched robots.txt and the pages from 127.0.0.1."""
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    port = site_url.rsplit(":", 1)[1]
    with pytest.raises(SourceError, match="DNS lookup failed"):  # Twisted words the resolver's refusal so
        list(harvester(f"http://rebind.example:{port}", allow_private=False).harvest())
    assert server.hits == []
