"""Name the source type of a portal from its address alone: `moisson sources detect URL`.

Why probes and not guesses from the URL: the same software runs under any domain and path. Each probe asks the one
thing only that software answers — CKAN ``status_show``, the ODS Explore catalog, udata ``/api/1/site/``, a CSW
``GetCapabilities``, an OGC API - Records landing page and its conformance classes — then the address itself is
read: a DCAT document (its RDF types), a DCAT-US ``data.json``, or a web page carrying schema.org Dataset JSON-LD or
a ``<link rel="alternate">`` DCAT feed. APIs are tried at the given address and at the host's root, since portals
live under paths ("/fr/indexer/service/ckan/", "/explore/").

The result names the type, the URL to put in sources.yaml, the evidence (what answered what, including the probes
that failed, so an operator can see why), and a confidence: 0.95 when an API answered with its own signature, 0.8
when a document parsed as the format, 0.6 for weaker signs. When nothing matches, ``type`` is None and the evidence
says what was tried: "cannot tell" is an answer, not a failure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from lxml import etree
from lxml import html as lxml_html

from kernel.config import SourceConfig, suggest_id
from kernel.http import HttpClient

CONFIDENT, PARSED, WEAK = 0.95, 0.8, 0.6
RDF_TYPES = {"application/rdf+xml": "rdfxml", "text/turtle": "turtle", "application/x-turtle": "turtle",
             "application/ld+json": "jsonld", "application/n-triples": "ntriples", "text/n3": "turtle"}
FEED_TYPES = tuple(RDF_TYPES)
CSW_NAMESPACES = ("http://www.opengis.net/cat/csw/2.0.2", "http://www.opengis.net/cat/csw/3.0")
RECORDS_CONFORMANCE = "http://www.opengis.net/spec/ogcapi-records-1/"
DCAT_NS = "http://www.w3.org/ns/dcat#"
MAX_PROBE_BYTES = 5 * 1024 * 1024


@dataclass
class Detection:
    """What a portal is. ``type`` None means: cannot tell (the evidence says what was tried)."""

    type: str | None
    url: str
    evidence: list[str] = field(default_factory=list)
    confidence: float = 0.0
    name: str | None = None
    answered: int | None = None  # the HTTP status the given address answered; None: no answer at all
    moved_to: str | None = None  # where the given address redirected to, when that is another host

    @property
    def found(self) -> bool:
        return self.type is not None

    def source_entry(self, source_id: str | None = None) -> dict[str, Any]:
        """A sources.yaml entry for this portal, validated by kernel.config."""
        if self.type is None:
            raise ValueError("cannot tell the source type, so there is no entry to write")
        host = urlsplit(self.url).hostname or "source"
        entry: dict[str, Any] = {"id": source_id or suggest_id(host.removeprefix("www.")), "type": self.type,
                                 "url": self.url}
        if self.name:
            entry["name"] = self.name
        SourceConfig.model_validate(entry)
        return entry


class _Probe:
    """One probing session: fetches through the caller's HttpClient, remembers answers, collects evidence."""

    def __init__(self, url: str, http: HttpClient) -> None:
        self.url = url
        self.http = http
        self.evidence: list[str] = []
        self._cache: dict[str, requests.Response | Exception] = {}

    def get(self, url: str, accept: str = "application/json") -> requests.Response | None:
        """GET without raising; failures become evidence lines and None."""
        if url not in self._cache:
            try:
                self._cache[url] = self.http.get(url, headers={"Accept": accept})
            except (requests.RequestException, ValueError) as exc:
                self._cache[url] = exc
        answer = self._cache[url]
        if isinstance(answer, Exception):
            self.evidence.append(f"GET {url}: {_reason(answer)}")
            return None
        if len(answer.content) > MAX_PROBE_BYTES:
            self.evidence.append(f"GET {url}: answer too large to inspect")
            return None
        return answer

    def json(self, url: str) -> Any:
        response = self.get(url)
        if response is None:
            return None
        try:
            return response.json()
        except ValueError:
            self.evidence.append(f"GET {url}: not JSON ({_ctype(response) or 'no Content-Type'})")
            return None


def detect(url: str, http: HttpClient, *, first: str | None = None) -> Detection:
    """Probe ``url`` and name its source type (see the module docstring for the probes and their order).

    ``first``: a source type to try before the others (`moisson sources detect --all` checks the configured type
    first: a confirmed portal then costs one or two requests, not a round of every API)."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Detection(None, url, [f"{url!r} is not an http(s) URL"])
    probe = _Probe(url, http)
    page = probe.get(url, accept="text/html, application/json;q=0.9, application/rdf+xml;q=0.9, "
                                  "text/turtle;q=0.9, application/xml;q=0.8, */*;q=0.5")
    answered, moved_to = _answer(probe)
    if page is None and not _reachable(probe):
        return Detection(None, url, probe.evidence + ["cannot tell: the address does not answer"])
    checks = sorted(_CHECKS, key=lambda check: check not in CHECKS_OF.get(first or "", ()))
    for check in checks:
        found = check(probe, url, page)
        if found is not None:
            found.evidence = probe.evidence + found.evidence
            found.answered, found.moved_to = answered, moved_to
            return found
    return Detection(None, url, probe.evidence + [
        "cannot tell: no CKAN, OpenDataSoft, udata, CSW or OGC API - Records API answered, and the address is "
        "neither a DCAT document, a data.json, nor a page with schema.org Dataset JSON-LD or a DCAT feed link"],
        answered=answered, moved_to=moved_to)


def _answer(probe: _Probe) -> tuple[int | None, str | None]:
    """The status the given address answered (None: no answer) and the other host it redirected to, if any."""
    answer = probe._cache.get(probe.url)
    response = answer if isinstance(answer, requests.Response) else getattr(answer, "response", None)
    if not isinstance(response, requests.Response):
        return None, None
    final = response.url or probe.url
    moved = _host(final) != _host(probe.url)
    return response.status_code, final if moved else None


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{(parts.hostname or '').removeprefix('www.')}:{parts.port or ''}"


def _reachable(probe: _Probe) -> bool:
    answer = probe._cache.get(probe.url)
    return not isinstance(answer, requests.ConnectionError | requests.Timeout)


# -- the probes, in order --------------------------------------------------------------------------------------------


# Page paths of the portal software, below which their API root is not: /explore/dataset/x (ODS), /fr/datasets/x
# (udata), /dataset/x and /organization/x (CKAN).
_PORTAL_PAGES = re.compile(r"/(explore|datasets?|organizations?|groups?|fr|en|es|catalogue|catalog)(/.*)?$")


def _bases(url: str) -> list[str]:
    """Where a portal's API may be rooted: the given address (without query, fragment or a trailing API path), the
    same without a known page path ("/explore/dataset/x", "/fr/datasets/x"...), and the host's root."""
    parts = urlsplit(url)
    path = re.split(r"/api/", parts.path, maxsplit=1)[0].rstrip("/")
    given = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    portal = urlunsplit((parts.scheme, parts.netloc, _PORTAL_PAGES.sub("", path), "", ""))
    root = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    return list(dict.fromkeys([given, portal, root]))


def _ckan(probe: _Probe, url: str, page: requests.Response | None) -> Detection | None:
    for base in _bases(url):
        body = probe.json(f"{base}/api/3/action/status_show")
        if isinstance(body, dict) and body.get("success") is True and isinstance(body.get("result"), dict):
            result = body["result"]
            version = result.get("ckan_version") or "version not given"
            return Detection("ckan", base, [f"{base}/api/3/action/status_show: CKAN {version}"], CONFIDENT,
                             _clean_name(result.get("site_title")))
    return None


def _ods(probe: _Probe, url: str, page: requests.Response | None) -> Detection | None:
    for base in _bases(url):
        body = probe.json(f"{base}/api/explore/v2.1/catalog/datasets?limit=1")
        if isinstance(body, dict) and isinstance(body.get("results"), list) and "total_count" in body:
            return Detection("ods", base, [f"{base}/api/explore/v2.1/catalog/datasets: Explore API v2.1 catalog of "
                                           f"{body['total_count']} datasets"], CONFIDENT)
    return None


def _udata(probe: _Probe, url: str, page: requests.Response | None) -> Detection | None:
    for base in _bases(url):
        base = re.sub(r"/(fr|en|es)$", "", base)
        body = probe.json(f"{base}/api/1/site/")
        if isinstance(body, dict) and "id" in body and "title" in body and isinstance(body.get("metrics"), dict):
            count = body["metrics"].get("datasets")
            return Detection("udata", base, [f"{base}/api/1/site/: udata site {body['title']!r}"
                                             + (f" with {count} datasets" if count is not None else "")],
                             CONFIDENT, _clean_name(body.get("title")))
    return None


def _csw(probe: _Probe, url: str, page: requests.Response | None) -> Detection | None:
    parts = urlsplit(url)
    endpoint = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    for version in ("2.0.2", "3.0.0"):
        response = probe.get(f"{endpoint}?service=CSW&request=GetCapabilities&version={version}",
                             accept="application/xml, text/xml")
        root = _xml_root(response.content) if response is not None else None
        if root is not None and etree.QName(root).localname == "Capabilities" \
                and etree.QName(root).namespace in CSW_NAMESPACES:
            title = root.findtext(".//{http://www.opengis.net/ows}Title") or \
                root.findtext(".//{http://www.opengis.net/ows/2.0}Title")
            return Detection("csw", endpoint, [f"{endpoint}: CSW {root.get('version') or version} GetCapabilities"],
                             CONFIDENT, _clean_name(title))
    return None


def _ogcapi_records(probe: _Probe, url: str, page: requests.Response | None) -> Detection | None:
    parts = urlsplit(url)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    landing = probe.json(f"{base}?f=json") if not isinstance(_json_of(page), dict) else _json_of(page)
    if not isinstance(landing, dict) or not isinstance(landing.get("links"), list):
        return None
    conformance_url = next((link.get("href") for link in landing["links"] if isinstance(link, dict)
                            and str(link.get("rel", "")).endswith("conformance") and link.get("href")),
                           f"{base}/conformance")
    classes = landing.get("conformsTo")
    if not isinstance(classes, list):
        body = probe.json(urljoin(base + "/", conformance_url) if not conformance_url.startswith("http")
                          else conformance_url)
        classes = body.get("conformsTo") if isinstance(body, dict) else None
    records = [c for c in classes or [] if isinstance(c, str) and c.startswith(RECORDS_CONFORMANCE)]
    if records:
        return Detection("ogcapi-records", base, [f"{base}: OGC API landing page conforming to {records[0]}"],
                         CONFIDENT, _clean_name(landing.get("title")))
    if classes:
        probe.evidence.append(f"{base}: an OGC API, but not OGC API - Records (no {RECORDS_CONFORMANCE} class)")
    return None


def _document(probe: _Probe, url: str, page: requests.Response | None) -> Detection | None:
    """The address itself: a DCAT document in any RDF serialisation, or a DCAT-US data.json."""
    if page is None:
        return None
    data = _json_of(page)
    if isinstance(data, dict) and isinstance(data.get("dataset"), list):
        return Detection("dcat", url, [f"{url}: a DCAT-US data.json of {len(data['dataset'])} datasets"], PARSED,
                         _clean_name(data.get("title")))
    syntax = RDF_TYPES.get(_ctype(page)) or _sniff_rdf(page.content)
    if syntax is None:
        return None
    count = _dcat_count(page.content, syntax, url)
    if count is None:
        probe.evidence.append(f"{url}: looks like RDF ({syntax}) but does not parse")
        return None
    if count:
        return Detection("dcat", url, [f"{url}: RDF ({syntax}) describing {count} dcat:Dataset/DataService"], PARSED)
    probe.evidence.append(f"{url}: RDF ({syntax}) without any dcat:Dataset, dcat:Catalog or dcat:DataService")
    return None


def _web(probe: _Probe, url: str, page: requests.Response | None) -> Detection | None:
    """A web page: schema.org Dataset JSON-LD (-> web), or a DCAT feed it links (-> dcat), or a data.json."""
    if page is None or "html" not in _ctype(page):
        return None
    try:
        tree = lxml_html.fromstring(page.content)
    except (etree.ParserError, ValueError):
        return None
    datasets = 0
    for script in tree.xpath("//script[contains(translate(@type, 'LDJSON', 'ldjson'), 'ld+json')]"):
        try:
            datasets += _count_jsonld_datasets(json.loads(_strip_comment(script.text or "")))
        except ValueError:
            continue
    title = _clean_name(tree.findtext(".//title"))
    if datasets:
        return Detection("web", url, [f"{url}: a web page with {datasets} schema.org Dataset JSON-LD object(s)"],
                         PARSED if datasets else WEAK, title)
    for link in tree.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        media = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" in rel and media in FEED_TYPES:
            feed = urljoin(page.url, link.get("href"))
            response = probe.get(feed, accept=media)
            if response is not None and _dcat_count(response.content, RDF_TYPES[media], feed):
                return Detection("dcat", feed, [f"{url} links a DCAT feed ({media}) at {feed}"], PARSED, title)
    root = _bases(url)[-1]
    body = probe.json(f"{root}/data.json")
    if isinstance(body, dict) and isinstance(body.get("dataset"), list):
        return Detection("dcat", f"{root}/data.json", [f"{root}/data.json: a DCAT-US data.json of "
                                                        f"{len(body['dataset'])} datasets"], PARSED, title)
    return None


_CHECKS: list[Callable[[_Probe, str, requests.Response | None], Detection | None]] = [
    _document, _ckan, _ods, _udata, _csw, _ogcapi_records, _web,
]
CHECKS_OF = {"ckan": (_ckan,), "ods": (_ods,), "udata": (_udata,), "csw": (_csw,), "ogcapi-records": (_ogcapi_records,),
             "dcat": (_document, _web), "web": (_web,)}


# -- helpers -------------------------------------------------------------------------------------------------------


def _reason(exc: Exception) -> str:
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    return str(exc) or type(exc).__name__


def _ctype(response: requests.Response) -> str:
    return (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def _json_of(response: requests.Response | None) -> Any:
    if response is None or "json" not in _ctype(response):
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _xml_root(body: bytes) -> Any:
    try:
        return etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError:
        return None


def _sniff_rdf(body: bytes) -> str | None:
    head = body[:2000].lstrip()
    if re.match(rb"^(@prefix|@base|prefix\s|base\s)", head, re.IGNORECASE):
        return "turtle"
    if b"<rdf:RDF" in head or b"http://www.w3.org/1999/02/22-rdf-syntax-ns#" in head and head.startswith(b"<"):
        return "rdfxml"
    return None


def _dcat_count(body: bytes, syntax: str, url: str) -> int | None:
    """How many dcat:Dataset/DatasetSeries/DataService/Catalog subjects the document has; None if unparseable."""
    from harvesters.dcat import PageGraph
    from kernel import ntriples

    try:
        if syntax == "jsonld" and _has_remote_context(json.loads(body)):
            # remote contexts would be fetched outside our HTTP layer: count the DCAT types written out (a
            # schema.org "Dataset" under a schema.org context is not DCAT)
            return len(re.findall(rb"(dcat:|/ns/dcat#)(Dataset|DatasetSeries|DataService|Catalog)\b", body))
        graph = PageGraph.read(body, syntax, url)  # type: ignore[arg-type]
    except (SyntaxError, ValueError):  # oxigraph's and expat's, JSON's, defusedxml's refusals
        return None
    kinds = [ntriples.iri(DCAT_NS + k) for k in ("Dataset", "DatasetSeries", "DataService", "Catalog")]
    return len(set().union(*(graph.typed.get(kind, ()) for kind in kinds)))


def _has_remote_context(node: Any) -> bool:
    if isinstance(node, list):
        return any(_has_remote_context(n) for n in node)
    if isinstance(node, dict):
        context = node.get("@context")
        if isinstance(context, str) or (isinstance(context, list) and any(isinstance(c, str) for c in context)):
            return True
        return any(_has_remote_context(v) for k, v in node.items() if k != "@context")
    return False


def _count_jsonld_datasets(node: Any, depth: int = 0) -> int:
    if depth > 12:
        return 0
    if isinstance(node, list):
        return sum(_count_jsonld_datasets(n, depth + 1) for n in node)
    if not isinstance(node, dict):
        return 0
    kinds = node.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if any(isinstance(k, str) and re.sub(r"^(https?://schema\.org/|schema:)", "", k) == "Dataset" for k in kinds):
        return 1
    return sum(_count_jsonld_datasets(v, depth + 1) for k, v in node.items() if k != "@context")


def _strip_comment(text: str) -> str:
    text = text.strip()
    text = re.sub(r"^(<!--|<!\[CDATA\[)", "", text)
    return re.sub(r"(-->|\]\]>)$", "", text).strip()


def _clean_name(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


# -- sources.yaml --------------------------------------------------------------------------------------------------


def probe_client(settings: Any = None, *, allow_private: bool = False, contact: str = "moisson@example.org"
                 ) -> HttpClient:
    """An HttpClient for probing: the configured politeness, but short timeouts and no retries (a probe that fails
    is evidence, not something to insist on)."""
    from kernel.config import HttpSettings

    base = settings or HttpSettings()
    quick = base.model_copy(update={"timeout": min(base.timeout, 15.0), "total_timeout": 60.0, "retries": 0,
                                    "max_response_mb": min(base.max_response_mb, 20.0)})
    return HttpClient(quick, allow_private=allow_private, contact=contact)


def entry_yaml(entry: dict[str, Any]) -> str:
    """The entry as a YAML list item, indented for a ``sources:`` block."""
    import yaml

    text = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, default_flow_style=False)
    return "".join(f"  {line}" if line.strip() else line for line in text.splitlines(keepends=True))


def append_source(path: Any, entry: dict[str, Any]) -> str:
    """Append ``entry`` to the sources file at ``path`` (comments and layout kept), after validating the result
    with kernel.config (ids unique, options known...). Returns the new text; raises ConfigError if invalid."""
    from pathlib import Path

    from kernel.config import parse_config

    path = Path(path)
    text = path.read_text("utf-8") if path.exists() else "sources:\n"
    block = entry_yaml(entry)
    lines = text.splitlines()
    key = next((i for i, line in enumerate(lines) if re.match(r"^sources:", line)), None)
    if key is None:
        new = text.rstrip("\n") + "\nsources:\n" + block
    elif re.match(r"^sources:\s*\[\s*\]\s*(#.*)?$", lines[key]):
        new = "\n".join(lines[:key] + ["sources:"] + lines[key + 1:]).rstrip("\n") + "\n"
        new = _insert_after_block(new, block)
    else:
        new = _insert_after_block(text, block)
    parse_config(new, path)
    path.write_text(new, "utf-8")
    return new


def _insert_after_block(text: str, block: str) -> str:
    """Insert ``block`` at the end of the ``sources:`` block (before the next top-level key, if any)."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if re.match(r"^sources:", line))
    end = len(lines)
    for i in range(start + 1, len(lines)):
        if re.match(r"^[^\s#]", lines[i]):
            end = i
            break
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    head = "".join(lines[:end])
    if head and not head.endswith("\n"):
        head += "\n"
    return head + block + "".join(lines[end:])
