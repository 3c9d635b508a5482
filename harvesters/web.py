"""Web portals without an API: a polite Scrapy crawl that finds schema.org Dataset JSON-LD and DCAT feeds.

Why a child process: Scrapy runs on the Twisted reactor, which cannot be restarted within one process, while a
harvester is a plain generator called once per job (and many jobs run in one process). So :class:`WebHarvester`
starts ``python -m harvesters.web SPEC OUT`` and reads the JSON-lines file ``OUT`` as it grows, yielding records
while the crawl goes on; closing the generator (a failed job, Ctrl-C) terminates the child.

The crawl (child side, :class:`CatalogSpider`):
- obeys robots.txt (ROBOTSTXT_OBEY), reads its ``Sitemap:`` lines (else tries /sitemap.xml), follows sitemap
  indexes and in-site links, within ``max_depth`` (links followed from a sitemap entry or the start page) and
  ``max_pages``; only the source's host and ``options.allowed_domains`` are crawled;
- is polite: AutoThrottle on, per-domain concurrency and delay from the sources file's HTTP settings, our
  User-Agent; every request, robots.txt and redirects included, goes through :class:`AddressGuardMiddleware`, the
  private-address guard of :mod:`kernel.http`, unless the config allows private networks, and connects only to an
  address that :mod:`harvesters.web_resolver` checked (no DNS rebinding);
- extracts schema.org ``Dataset`` objects from ``<script type="application/ld+json">`` (plain, arrays, ``@graph``,
  nested in a WebPage, listed by a DataCatalog's ``dataset``). A dataset listed on one page but pointing (``url``) to
  its own in-site page is deferred to that page, which usually describes it best; it is emitted from the listing
  only if its page brings no such dataset (forbidden by robots.txt, beyond the limits, gone...). Each dataset is
  emitted once, keyed by its ``@id``, else ``url``, else ``identifier``, else page + name;
- fetches ``<link rel="alternate">`` DCAT feeds (RDF/XML, Turtle, JSON-LD, N-Triples); the parent reads them with
  harvesters.dcat's page reader (so they become ordinary "dcat" records) and follows their Hydra next pages through
  a DcatHarvester.

Completeness: a 5xx, a timeout or unreadable JSON-LD on a page, or the ``max_pages`` limit reached, is a page-level
error (the sweep is incomplete, nothing is withdrawn); a 404/410 is a page that is gone, not an error.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urldefrag, urljoin, urlsplit

import orjson
import requests
from pydantic import BaseModel, ConfigDict, Field

from harvesters.base import Harvester
from kernel import jsonpage
from kernel.http import BlockedAddressError, check_address
from kernel.records import HarvestItem, RawRecord, RecordError, SourceError

FEED_TYPES = ("application/rdf+xml", "text/turtle", "application/ld+json", "application/n-triples",
              "application/x-turtle", "text/n3")
DATA_EXTENSIONS = ("csv", "json", "geojson", "xml", "rdf", "ttl", "nt", "jsonld", "parquet", "gz", "shp", "kml",
                   "kmz", "gpkg", "txt", "tsv", "ods", "zip")
MAX_SITEMAP_NESTING = 3
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class WebOptions(BaseModel):
    """``options:`` of a web source."""

    model_config = ConfigDict(extra="forbid")

    max_depth: int = Field(default=3, ge=0, le=20, description="links followed from the start page or a sitemap")
    max_pages: int = Field(default=1000, ge=1, le=1_000_000, description="pages fetched at most")
    allowed_domains: list[str] = Field(default_factory=list, description="hosts crawled besides the source's")
    sitemaps: bool = Field(default=True, description="read robots.txt Sitemap lines and /sitemap.xml")
    feeds: bool = Field(default=True, description='follow <link rel="alternate"> DCAT feeds')
    crawl_timeout: float = Field(default=3600.0, gt=0, description="seconds for the whole crawl")


class WebHarvester(Harvester):
    type: ClassVar[str] = "web"
    Options: ClassVar[type[BaseModel]] = WebOptions
    options: WebOptions

    def harvest(self, since: str | None = None) -> Iterator[HarvestItem]:
        with tempfile.TemporaryDirectory(prefix="moisson-web-") as tmp:
            workdir = Path(tmp)
            out = workdir / "items.jsonl"
            out.touch()
            spec = self._spec(workdir)
            (workdir / "spec.json").write_text(json.dumps(spec), "utf-8")
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT),
                                                                              os.environ.get("PYTHONPATH")])))
            with (workdir / "crawl.log").open("wb") as log:
                child = subprocess.Popen([sys.executable, "-m", "harvesters.web", str(workdir / "spec.json"),
                                          str(out)], stdout=subprocess.DEVNULL, stderr=log, env=env,
                                         cwd=str(PROJECT_ROOT))
            try:
                yield from self._read(child, out, workdir)
            finally:
                if child.poll() is None:
                    child.terminate()
                    try:
                        child.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        child.kill()
                        child.wait()

    def _spec(self, workdir: Path) -> dict[str, Any]:
        settings = self.http.settings
        return {
            "start_url": self.source.url,
            "allowed_domains": self.options.allowed_domains,
            "max_depth": self.options.max_depth,
            "max_pages": self.options.max_pages,
            "sitemaps": self.options.sitemaps,
            "feeds": self.options.feeds,
            "crawl_timeout": self.options.crawl_timeout,
            "user_agent": self.http.session.headers["User-Agent"],
            "allow_private": self.http.allow_private,
            "delay": 1.0 / settings.per_host_rps,
            "concurrency": settings.per_host_concurrency,
            "timeout": settings.timeout,
            "retries": settings.retries,
            "max_bytes": int(settings.max_response_mb * 1024 * 1024),
            "feed_dir": str(workdir),
        }

    def _read(self, child: subprocess.Popen[bytes], out: Path, workdir: Path) -> Iterator[HarvestItem]:
        """Yield what the child writes, line by line, until it exits (or the crawl deadline passes)."""
        deadline = time.monotonic() + self.options.crawl_timeout + 60
        seen: set[str] = set()
        done = False
        pending = b""
        with out.open("rb") as handle:
            while True:
                exited = child.poll() is not None
                chunk = handle.read()  # after the child exited, this is everything it wrote last
                if chunk:
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        if line.strip():
                            message = orjson.loads(line)
                            done = done or message.get("type") == "done"
                            yield from self._handle(message, seen)
                    continue
                if exited:
                    break
                if time.monotonic() > deadline:
                    yield RecordError(f"crawl killed after {self.options.crawl_timeout:.0f}s", None, self.source.url)
                    return
                time.sleep(0.05)
        if not done:
            log = (workdir / "crawl.log").read_text("utf-8", errors="replace").strip().splitlines()
            tail = " | ".join(log[-5:]) or f"exit status {child.returncode}"
            raise SourceError(f"the crawler of {self.source.url} stopped unexpectedly: {tail}")

    def _handle(self, message: dict[str, Any], seen: set[str]) -> Iterator[HarvestItem]:
        kind = message.get("type")
        if kind == "dataset":
            key = message["key"]
            if key not in seen:
                seen.add(key)
                yield RawRecord(source_id=self.source.id, native_id=key, url=message["page"], profile="schema-org",
                                content=orjson.dumps(message["data"]), media_type="application/ld+json",
                                modified=_modified(message["data"]))
        elif kind == "feed":
            yield from self._feed(message, seen)
        elif kind == "error":
            yield RecordError(message["reason"], None, message.get("url"))
        elif kind == "start_failed":
            raise SourceError(message["reason"])
        elif kind == "stats":
            self.http.stats.add(requests=int(message.get("requests", 0)), bytes=int(message.get("bytes", 0)))
            for event in message.get("events", []):
                self.http.stats.log(event)

    def _feed(self, message: dict[str, Any], seen: set[str]) -> Iterator[HarvestItem]:
        """A DCAT feed found on the site: its first page was fetched by the crawl, later Hydra pages are fetched
        by a DcatHarvester (same HTTP layer). Records already given by another page of the crawl are skipped."""
        from harvesters.dcat import DcatHarvester, PageError

        url = message["url"]
        path = Path(message["file"])
        body = path.read_bytes()
        path.unlink(missing_ok=True)
        feed_source = self.source.model_copy(update={"type": "dcat", "url": url, "options": {}})
        reader = DcatHarvester(feed_source, self.http)
        try:
            page = reader.read_page(body, message.get("content_type"), url)
        except PageError as exc:
            yield RecordError(f"DCAT feed {url} linked from {message.get('page')}: {exc}", None, url)
            return
        items: list[Any] = [page.items]
        if page.next_url:
            items.append(DcatHarvester(feed_source.model_copy(update={"url": page.next_url}), self.http).harvest())
        for group in items:
            try:
                for item in group:
                    if isinstance(item, RawRecord):
                        if item.native_id in seen:
                            continue
                        seen.add(item.native_id)
                    yield item
            except (SourceError, requests.RequestException) as exc:
                yield RecordError(f"DCAT feed {url}: {exc}", None, url)


def _modified(data: dict[str, Any]) -> str | None:
    value = data.get("dateModified") or data.get("schema:dateModified")
    return value if isinstance(value, str) else None


# =================================================================================================================
# Child process: the Scrapy crawl. Imported only there, so the parent never loads Scrapy or Twisted.
# =================================================================================================================


def _jsonld_type_names(node: dict[str, Any]) -> set[str]:
    types = node.get("@type") or node.get("type") or []
    types = types if isinstance(types, list) else [types]
    out = set()
    for value in types:
        if isinstance(value, str):
            out.add(re.sub(r"^(https?://schema\.org/|schema:)", "", value))
    return out


def find_datasets(document: Any, context: Any = None, depth: int = 0,
                  nodes: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Every schema.org Dataset object in a JSON-LD document, with the document's @context attached and references
    to other nodes of the same @graph (``{"@id": "#org"}``) replaced by those nodes, one level deep."""
    if depth > 12:
        return
    if isinstance(document, list):
        for item in document:
            yield from find_datasets(item, context, depth + 1, nodes)
        return
    if not isinstance(document, dict):
        return
    context = document.get("@context", context)
    if isinstance(document.get("@graph"), list):
        nodes = {n["@id"]: n for n in document["@graph"] if isinstance(n, dict) and isinstance(n.get("@id"), str)}
    if "Dataset" in _jsonld_type_names(document):
        found = {key: _embed(value, nodes or {}) for key, value in document.items()}
        if context is not None and "@context" not in found:
            found["@context"] = context
        yield found
        return
    for key, value in document.items():
        if key != "@context" and isinstance(value, dict | list):
            yield from find_datasets(value, context, depth + 1, nodes)


def _embed(value: Any, nodes: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_embed(item, nodes) for item in value]
    if isinstance(value, dict) and set(value) == {"@id"} and value["@id"] in nodes:
        return nodes[value["@id"]]
    return value


def parse_jsonld_block(text: str) -> Any:
    """JSON-LD from a script element; tolerates the HTML comment and CDATA wrappers some CMSs add."""
    cleaned = text.strip()
    cleaned = re.sub(r"^(<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)", "", cleaned).strip()
    cleaned = re.sub(r"(-->|//\s*\]\]>|\]\]>)$", "", cleaned).strip()
    return jsonpage.loads(cleaned)  # a block nested too deep is cut, and its dataset refused by normalise.limits


def dataset_key(data: dict[str, Any], page_url: str) -> str:
    """The identity of a dataset across harvests: @id, else url, else identifier, else page + name."""
    for name in ("@id", "url"):
        value = data.get(name)
        if isinstance(value, str) and value.strip() and not value.startswith("_:"):
            return urljoin(page_url, value.strip())
    identifier = data.get("identifier")
    if isinstance(identifier, list):
        identifier = identifier[0] if identifier else None
    if isinstance(identifier, dict):
        identifier = identifier.get("value") or identifier.get("@id")
    if isinstance(identifier, str | int) and str(identifier).strip():
        return str(identifier).strip()
    name = data.get("name")
    return f"{urldefrag(page_url)[0]}#{name if isinstance(name, str) else 'dataset'}"


def _crawl(spec_path: str, out_path: str) -> int:
    """Run the crawl described by the spec file, writing JSON lines to ``out_path``. Returns the exit status."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.exceptions import IgnoreRequest
    from scrapy.http import HtmlResponse, Response, XmlResponse
    from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor
    from scrapy.spidermiddlewares.httperror import HttpError
    from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

    spec = json.loads(Path(spec_path).read_text("utf-8"))
    def emit(message: dict[str, Any]) -> None:
        """One JSON line, written whole and flushed at once (the parent reads the file as it grows)."""
        with open(out_path, "ab") as out:
            out.write(orjson.dumps(message) + b"\n")

    class BlockedRequest(IgnoreRequest):
        """A request to a private or loopback address refused by the guard."""

    class AddressGuardMiddleware:
        """The address guard of kernel.http for every request Scrapy makes (robots.txt and redirects too)."""

        def __init__(self) -> None:
            self.checked: dict[str, str | None] = {}

        def process_request(self, request: scrapy.Request, spider: scrapy.Spider | None = None) -> None:
            host = urlsplit(request.url).hostname or ""
            if host not in self.checked:
                try:
                    check_address(request.url, spec["allow_private"])
                    self.checked[host] = None
                except BlockedAddressError as exc:
                    self.checked[host] = str(exc)
                except requests.RequestException:
                    self.checked[host] = None  # unresolvable: let the downloader report it
            if self.checked[host]:
                raise BlockedRequest(self.checked[host])

    class CatalogSpider(scrapy.Spider):
        name = "moisson-web"

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            start = spec["start_url"]
            self.start_url = start
            hosts = [urlsplit(start).hostname or ""] + list(spec["allowed_domains"])
            self.allowed_domains = hosts
            # allow_domains is not used: Scrapy compares it with host:port, so a site on a port would match nothing
            self.links = LinkExtractor(deny_extensions=list(IGNORED_EXTENSIONS) + list(DATA_EXTENSIONS),
                                       tags=("a", "area"), attrs=("href",))
            self.scheduled: set[str] = set()
            self.pages = 0
            self.truncated = False
            self.keys: set[str] = set()
            self.pending: dict[str, list[tuple[str, dict[str, Any], str]]] = {}  # page url -> listed datasets
            self.processed: dict[str, set[str]] = {}  # page url -> dataset keys and urls found on it
            self.feeds: set[str] = set()
            self.events: list[str] = []

        async def start(self) -> Any:  # Scrapy >= 2.13
            for request in self.start_requests():
                yield request

        def start_requests(self) -> Iterator[scrapy.Request]:  # Scrapy < 2.13
            yield self._page(self.start_url, 0, start=True)
            if spec["sitemaps"]:
                robots = urljoin(self.start_url, "/robots.txt")
                yield scrapy.Request(robots, callback=self.parse_robots, errback=self.on_quiet_error,
                                     dont_filter=True, meta={"dont_obey_robotstxt": True})

        # -- requests ------------------------------------------------------------------------------------------

        def _page(self, url: str, depth: int, start: bool = False) -> scrapy.Request | None:
            url = urldefrag(url)[0]
            if url in self.scheduled or depth > spec["max_depth"]:
                return None
            if self.pages >= spec["max_pages"]:
                self.truncated = True
                return None
            self.scheduled.add(url)
            self.pages += 1
            return scrapy.Request(url, callback=self.parse_page, errback=self.on_error,
                                  meta={"page_depth": depth, "start": start}, dont_filter=start)

        def _sitemap(self, url: str, nesting: int) -> scrapy.Request:
            return scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_quiet_error,
                                  meta={"nesting": nesting})

        # -- callbacks -----------------------------------------------------------------------------------------

        def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
            urls = list(sitemap_urls_from_robots(response.body, base_url=response.url))
            for url in urls or [urljoin(self.start_url, "/sitemap.xml")]:
                yield self._sitemap(url, 0)

        def on_quiet_error(self, failure: Any) -> None:
            """robots.txt and sitemaps are optional: a site without them is not in error."""
            if failure.check(HttpError) and failure.value.response.status in (404, 410):
                return
            if not failure.check(IgnoreRequest):
                self.events.append(f"GET {failure.request.url}: {failure.getErrorMessage()}")

        def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
            body = response.body
            if body[:2] == b"\x1f\x8b":
                try:
                    body = gzip.decompress(body)[: spec["max_bytes"]]
                except OSError:
                    return
            try:
                sitemap = Sitemap(body)
            except Exception:  # not XML: not a sitemap
                return
            nesting = response.meta.get("nesting", 0)
            for entry in sitemap:
                loc = entry.get("loc")
                if not loc:
                    continue
                if sitemap.type == "sitemapindex":
                    if nesting < MAX_SITEMAP_NESTING:
                        yield self._sitemap(loc, nesting + 1)
                elif request := self._page(loc, 0):
                    yield request

        def parse_page(self, response: Response) -> Iterator[scrapy.Request]:
            depth = response.meta.get("page_depth", 0)
            url = urldefrag(response.url)[0]
            found: set[str] = set()
            if isinstance(response, XmlResponse):  # a sitemap given as the start URL or linked as a page
                yield from self.parse_sitemap(response)
            if not isinstance(response, HtmlResponse):
                self._close_page(url, found)
                return
            for block in response.xpath("//script[contains(translate(@type, 'LDJSON', 'ldjson'), 'ld+json')]"
                                        "/text()").getall():
                try:
                    document = parse_jsonld_block(block)
                except ValueError as exc:
                    emit({"type": "error", "url": url, "reason": f"unreadable JSON-LD on {url}: {exc}"})
                    continue
                for data in find_datasets(document):
                    yield from self._dataset(data, url, depth, found)
            if spec["feeds"]:
                for link in response.xpath("//link[@href]"):
                    rel = (link.attrib.get("rel") or "").lower().split()
                    media = (link.attrib.get("type") or "").split(";")[0].strip().lower()
                    if "alternate" in rel and media in FEED_TYPES:
                        feed = urldefrag(response.urljoin(link.attrib["href"]))[0]
                        if feed not in self.feeds:
                            self.feeds.add(feed)
                            yield scrapy.Request(feed, callback=self.parse_feed, errback=self.on_error,
                                                 meta={"page": url})
            for link in self.links.extract_links(response):
                if (urlsplit(link.url).hostname or "") not in self.allowed_domains:
                    continue
                if request := self._page(link.url, depth + 1):
                    yield request
            self._close_page(url, found)

        def _dataset(self, data: dict[str, Any], page: str, depth: int, found: set[str]) -> Iterator[Any]:
            key = dataset_key(data, page)
            own = data.get("url")
            own_url = urldefrag(urljoin(page, own))[0] if isinstance(own, str) and own.strip() else None
            found.add(key)
            if own_url:
                found.add(own_url)
            in_site = own_url and (urlsplit(own_url).hostname or "") in self.allowed_domains
            if own_url and own_url != page and in_site:
                seen_there = self.processed.get(own_url)
                if seen_there is None:  # its own page is still to come: defer to it
                    self.pending.setdefault(own_url, []).append((key, data, page))
                    if request := self._page(own_url, depth + 1):
                        yield request
                    return
                if key in seen_there or own_url in seen_there:
                    return  # its own page already gave it
            self._emit_dataset(key, data, page)

        def _emit_dataset(self, key: str, data: dict[str, Any], page: str) -> None:
            if key not in self.keys:
                self.keys.add(key)
                emit({"type": "dataset", "key": key, "page": page, "data": data})

        def _close_page(self, url: str, found: set[str]) -> None:
            """A page is done: the datasets other pages listed for it are emitted unless it gave them itself."""
            self.processed[url] = found
            for key, data, page in self.pending.pop(url, []):
                if key not in found and url not in found:
                    self._emit_dataset(key, data, page)

        def parse_feed(self, response: Response) -> None:
            path = Path(spec["feed_dir"]) / f"feed-{len(self.feeds)}-{abs(hash(response.url))}"
            path.write_bytes(response.body)
            content_type = response.headers.get("Content-Type", b"").decode("latin-1")
            emit({"type": "feed", "url": response.url, "page": response.meta.get("page"), "file": str(path),
                  "content_type": content_type})

        def on_error(self, failure: Any) -> None:
            """A page that failed. The start page failing (even forbidden by robots.txt) fails the source: a sweep
            that saw nothing must not withdraw everything. 404/410 is a page gone; robots.txt and offsite refusals
            are the rules; anything else (5xx, timeouts, the address guard) makes the sweep incomplete."""
            request = failure.request
            url = urldefrag(request.url)[0]
            status = failure.value.response.status if failure.check(HttpError) else None
            if status is not None:
                reason = f"HTTP {status}"
            elif failure.check(BlockedRequest):
                reason = str(failure.value)
            else:
                reason = failure.getErrorMessage()
            if request.meta.get("start"):
                emit({"type": "start_failed", "reason": f"cannot crawl {url}: {reason}"})
            elif status in (404, 410):
                self.events.append(f"GET {url}: HTTP {status} (gone)")
            elif status is None and failure.check(IgnoreRequest) and not failure.check(BlockedRequest):
                self.events.append(f"GET {url}: {reason}")  # robots.txt, offsite: the site's rules
            else:
                emit({"type": "error", "url": url, "reason": f"{url}: {reason}"})
            self._close_page(url, set())

        def closed(self, reason: str) -> None:
            state["closed"] = True
            for url in list(self.pending):
                self._close_page(url, set())
            if self.truncated:
                emit({"type": "error", "url": self.start_url,
                      "reason": f"stopped at max_pages={spec['max_pages']}: pages beyond it were not crawled"})
            if reason not in ("finished", "shutdown"):
                emit({"type": "error", "url": self.start_url, "reason": f"crawl ended early: {reason}"})
            stats = self.crawler.stats
            emit({"type": "stats", "requests": stats.get_value("downloader/request_count", 0),
                  "bytes": stats.get_value("downloader/response_bytes", 0),
                  "events": self.events[-200:] + [f"robots.txt forbade {stats.get_value('robotstxt/forbidden', 0)} "
                                                  "requests"]})

    settings = {
        "USER_AGENT": spec["user_agent"],
        "ROBOTSTXT_OBEY": True,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": spec["delay"],
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(spec["concurrency"]),
        "DOWNLOAD_DELAY": spec["delay"],
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": spec["concurrency"],
        "DOWNLOAD_TIMEOUT": spec["timeout"],
        "DOWNLOAD_MAXSIZE": spec["max_bytes"],
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_TIMES": spec["retries"],
        "DEPTH_LIMIT": 0,
        "CLOSESPIDER_TIMEOUT": spec["crawl_timeout"],
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "DOWNLOADER_MIDDLEWARES": {AddressGuardMiddleware: 50},
    }
    if not spec["allow_private"]:  # connect only to the address checked (see harvesters.web_resolver)
        settings["TWISTED_DNS_RESOLVER"] = "harvesters.web_resolver.GuardedResolver"
    state = {"closed": False}
    process = CrawlerProcess(settings=settings)
    process.crawl(CatalogSpider)
    process.start()
    if not state["closed"]:  # Scrapy logs its own failures but returns normally: the crawl never ran
        emit({"type": "start_failed", "reason": f"the crawler could not run on {spec['start_url']} (see its log)"})
        return 1
    emit({"type": "done"})
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(_crawl(sys.argv[1], sys.argv[2]))
