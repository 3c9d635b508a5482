"""Synthetic portals serving a :class:`bench.corpus.Corpus` over real HTTP on loopback, one per corpus source.

Why not the demo emulators (demo/portals/*.py): they hold their recorded packages in memory and sort or scan them on
every call, which is right for tests and the demo but cannot serve a million records. These portals render each page
on request from the corpus' random-access generator, so serving a national corpus costs no memory, and they run in a
process of their own (:func:`serve_in_process`) so that the harvest being measured pays none of their CPU or RSS.

Each source ``s`` lives under ``/{s.id}`` and speaks its type's protocol as far as moisson's harvesters use it:

* ckan: ``status_show``, ``organization_list`` (all_fields, paged), ``package_search`` (rows, start,
  ``fq=metadata_modified:[X TO *]``), ``package_show`` (id or name), ``package_list``.
* udata: ``/api/1/datasets/`` (page, page_size, ``next_page`` links), ``/api/1/organizations/{id}/``.
* ods: ``/api/explore/v2.1/catalog/datasets`` (limit, offset, ``where`` with ``dataset_id > "X"`` past the
  10,000 window and ``modified >= date'X'``).
* csw: ``GetCapabilities`` (ISO 19139 output, ``apiso:Modified`` queryable), ``GetRecords`` POST (startPosition,
  maxRecords, ``PropertyIsGreaterThanOrEqualTo apiso:Modified``).
* dcat: Hydra-paged RDF/XML at ``/catalog.rdf?page=N&page_size=M``; dcat-us: ``/data.json``. Both with an ETag,
  answering 304 Not Modified to a matching ``If-None-Match``, as a static file server does.
"""

from __future__ import annotations

import hashlib
import math
import multiprocessing
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

import orjson
from lxml import etree

from bench.corpus import (
    PAGE_SIZES,
    PORTALS,
    PORTALS_HOST,
    Corpus,
    Source,
    ckan_org_id,
    ckan_package,
    dcat_us_dataset,
    iso19139_record,
    ods_dataset,
    position_of,
    udata_dataset,
    udata_organisation,
)
from demo.server import PortalServer, Request, Response

ODS_WINDOW = 10_000
_SINCE_FQ = re.compile(r"metadata_modified:\[(\S+) TO \*\]")
_ODS_AFTER = re.compile(r'dataset_id\s*>\s*"([^"]+)"')
_ODS_SINCE = re.compile(r"modified\s*>=\s*date'([^']+)'")
_CSW_START = re.compile(rb'startPosition="(\d+)"')
_CSW_MAX = re.compile(rb'maxRecords="(\d+)"')
CSW_NS = "http://www.opengis.net/cat/csw/2.0.2"


def source_url(source: Source, base: str) -> str:
    """The URL a sources.yaml entry gives for this source."""
    root = f"{base}/{source.id}"
    return {"csw": f"{root}/csw", "dcat": f"{root}/catalog.rdf", "dcat-us": f"{root}/data.json"}.get(source.type, root)


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _json(body: Any, status: int = 200) -> Response:
    return Response(status, orjson.dumps(body), content_type="application/json; charset=utf-8")


def _etagged(request: Request, body: bytes, content_type: str) -> Response:
    """A static file server's answer: an ETag, and 304 when the client already has this version."""
    etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
    if request.headers.get("If-None-Match") == etag:
        return Response(304, b"", headers={"ETag": etag}, content_type=content_type)
    return Response(200, body, headers={"ETag": etag}, content_type=content_type)


class CorpusPortals:
    """The app mounted at the server's root: dispatches ``/{source id}/...`` to the source type's protocol."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.handlers: dict[str, Callable[[Source, Request, str], Response]] = {
            "ckan": self._ckan, "udata": self._udata, "ods": self._ods, "csw": self._csw, "dcat": self._dcat,
            "dcat-us": self._dcat_us,
        }

    def __call__(self, request: Request) -> Response:
        source_id, _, rest = request.path.lstrip("/").partition("/")
        try:
            source = self.corpus.by_id(source_id)
        except KeyError:
            return Response(404, b"no such portal", content_type="text/plain")
        response = self.handlers[source.type](source, request, "/" + rest)
        if b"{PORTALS" in response.body:  # a copy names an ODS origin by the address it is served from
            base = request.base_url.encode()
            response.body = response.body.replace(PORTALS_HOST.encode(), base.split(b"://", 1)[-1]).replace(
                PORTALS.encode(), base)
        return response

    @cached_property
    def _org_by_id(self) -> dict[str, Any]:
        return {udata_organisation(p, "")["id"]: p for p in self.corpus.publishers}

    # -- CKAN -----------------------------------------------------------------------------------------------------

    def _ckan(self, source: Source, request: Request, path: str) -> Response:
        action = path.removeprefix("/api/3/action/").strip("/")
        params = {k: v[-1] for k, v in request.query.items()}
        envelope: dict[str, Any] = {"help": f"{request.base_url}/api/3/action/help_show?name={action}",
                                    "success": True}
        if action == "status_show":
            envelope["result"] = {"ckan_version": "2.10.4", "site_title": source.id, "extensions": ["spatial"]}
        elif action == "organization_list":
            orgs = [self.corpus.publishers[i] for i in (source.publisher, *source.aggregates)]
            offset, limit = int(params.get("offset", 0)), int(params.get("limit", 25))
            envelope["result"] = [
                {"id": ckan_org_id(pub.siren), "name": pub.slug, "title": pub.name, "type": "organization",
                 "is_organization": True, "state": "active", "package_count": 0,
                 "extras": [{"key": "siren", "value": pub.siren}]}
                for pub in orgs[offset:offset + limit]]
        elif action == "package_search":
            total = source.size
            if match := _SINCE_FQ.search(params.get("fq", "")):
                total = self.corpus.count_since(source, _instant(match.group(1)))
            start, rows = int(params.get("start", 0)), min(int(params.get("rows", 10)), 1000)
            results = [ckan_package(self.corpus.record(source, p)) for p in range(start, min(total, start + rows))]
            envelope["result"] = {"count": total, "results": results, "sort": params.get("sort"), "facets": {},
                                  "search_facets": {}}
        elif action == "package_show":
            position = position_of(params.get("id", ""))
            if position is None or not 0 <= position < source.size:
                return _json({"success": False, "error": {"__type": "Not Found Error", "message": "Not found"}}, 404)
            envelope["result"] = ckan_package(self.corpus.record(source, position))
        elif action == "package_list":
            envelope["result"] = [self.corpus.record(source, p).name for p in range(source.size)]
        else:
            return _json(f"Bad request - Action name not known: {action}", 400)
        return _json(envelope)

    # -- udata ----------------------------------------------------------------------------------------------------

    def _udata(self, source: Source, request: Request, path: str) -> Response:
        if path.startswith("/api/1/organizations/"):
            org_id = path.removeprefix("/api/1/organizations/").strip("/")
            pub = self._org_by_id.get(org_id)
            if pub is None:
                return _json({"message": "Not found"}, 404)
            return _json(udata_organisation(pub, source.host))
        if path.rstrip("/") != "/api/1/datasets":
            return _json({"message": "Not found"}, 404)
        page = max(1, int(request.arg("page", "1") or 1))
        size = min(int(request.arg("page_size", "20") or 20), 1000)
        start = (page - 1) * size
        data = [udata_dataset(self.corpus.record(source, p)) for p in range(start, min(source.size, start + size))]
        query = {k: v[-1] for k, v in request.query.items()}
        next_page = None
        if start + size < source.size:
            next_page = f"{request.base_url}/{source.id}/api/1/datasets/?{urlencode({**query, 'page': page + 1})}"
        return _json({"data": data, "page": page, "page_size": size, "total": source.size, "next_page": next_page,
                      "previous_page": None})

    # -- OpenDataSoft ---------------------------------------------------------------------------------------------

    def _ods(self, source: Source, request: Request, path: str) -> Response:
        if path.rstrip("/") != "/api/explore/v2.1/catalog/datasets":
            return _json({"error": "Unknown endpoint"}, 404)
        limit = min(int(request.arg("limit", "10") or 10), 100)
        offset = int(request.arg("offset", "0") or 0)
        if offset + limit > ODS_WINDOW:
            return _json({"error_code": "InvalidRESTParameterError",
                          "message": "Invalid value for offset + limit: must be <= 10000"}, 400)
        where = request.arg("where", "") or ""
        first, stop = 0, source.size
        if match := _ODS_AFTER.search(where):
            first = int(match.group(1).split("_")[1]) + 1
        if match := _ODS_SINCE.search(where):
            stop = self.corpus.count_since(source, _instant(match.group(1)))
        begin = first + offset
        results = [ods_dataset(self.corpus.record(source, p)) for p in range(begin, min(stop, begin + limit))]
        return _json({"total_count": max(0, stop - first), "results": results})

    # -- CSW ------------------------------------------------------------------------------------------------------

    def _csw(self, source: Source, request: Request, path: str) -> Response:
        if request.method == "GET":
            return Response(200, CAPABILITIES.replace(b"{URL}", f"{request.base_url}/{source.id}/csw".encode()),
                            content_type="application/xml")
        start = int(m.group(1)) if (m := _CSW_START.search(request.body)) else 1
        size = int(m.group(1)) if (m := _CSW_MAX.search(request.body)) else 10
        total = source.size
        if b"apiso:Modified" in request.body:
            root = etree.fromstring(request.body, etree.XMLParser(resolve_entities=False, no_network=True))
            literal = root.xpath("//*[local-name()='PropertyIsGreaterThanOrEqualTo']/*[local-name()='Literal']")
            if literal:
                total = self.corpus.count_since(source, _instant(literal[0].text))
        first = start - 1
        positions = range(first, min(total, first + size))
        records = b"".join(iso19139_record(self.corpus.record(source, p)).split(b"?>", 1)[1] for p in positions)
        returned = len(positions)
        next_record = first + returned + 1 if first + returned < total else 0
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<csw:GetRecordsResponse xmlns:csw="{CSW_NS}" '
                'version="2.0.2">\n<csw:SearchStatus timestamp="2025-06-01T08:00:00Z"/>\n'
                f'<csw:SearchResults numberOfRecordsMatched="{total}" numberOfRecordsReturned="{returned}" '
                f'elementSet="full" nextRecord="{next_record}">').encode() + records + \
            b"</csw:SearchResults>\n</csw:GetRecordsResponse>\n"
        return Response(200, body, content_type="application/xml")

    # -- DCAT -----------------------------------------------------------------------------------------------------

    def _dcat(self, source: Source, request: Request, path: str) -> Response:
        page = max(1, int(request.arg("page", "1") or 1))
        size = int(request.arg("page_size", str(PAGE_SIZES["dcat"])) or PAGE_SIZES["dcat"])
        if page > max(1, math.ceil(source.size / size)):
            return Response(404, b"no such page", content_type="text/plain")
        body = self.corpus.dcat_page(source, page, size, f"{request.base_url}/{source.id}/catalog.rdf")
        return _etagged(request, body, "application/rdf+xml")

    def _dcat_us(self, source: Source, request: Request, path: str) -> Response:
        catalog = {"@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
                   "@type": "dcat:Catalog", "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
                   "dataset": [dcat_us_dataset(self.corpus.record(source, p)) for p in range(source.size)]}
        return _etagged(request, orjson.dumps(catalog), "application/json")


CAPABILITIES = b"""<?xml version="1.0" encoding="UTF-8"?>
<csw:Capabilities xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:ows="http://www.opengis.net/ows" \
xmlns:xlink="http://www.w3.org/1999/xlink" version="2.0.2">
  <ows:ServiceIdentification><ows:Title>Catalogue</ows:Title><ows:ServiceType>CSW</ows:ServiceType>
    <ows:ServiceTypeVersion>2.0.2</ows:ServiceTypeVersion></ows:ServiceIdentification>
  <ows:OperationsMetadata>
    <ows:Operation name="GetRecords">
      <ows:DCP><ows:HTTP><ows:Post xlink:href="{URL}"/></ows:HTTP></ows:DCP>
      <ows:Parameter name="outputSchema"><ows:Value>http://www.opengis.net/cat/csw/2.0.2</ows:Value>
        <ows:Value>http://www.isotc211.org/2005/gmd</ows:Value></ows:Parameter>
      <ows:Constraint name="SupportedISOQueryables"><ows:Value>apiso:Modified</ows:Value>
        <ows:Value>apiso:Type</ows:Value><ows:Value>apiso:Subject</ows:Value></ows:Constraint>
    </ows:Operation>
  </ows:OperationsMetadata>
</csw:Capabilities>
"""


# -- a server in a process of its own ---------------------------------------------------------------------------------


def _serve(records: int, seed: int, sources: int | None, conn: Any) -> None:
    corpus = Corpus(records, seed=seed, sources=sources)
    with PortalServer() as server:
        server.hits = _NoHits()  # a million requests are not worth remembering here
        server.mount("", CorpusPortals(corpus))
        conn.send(server.base_url)
        conn.recv()  # until told to stop


class _NoHits(list):  # type: ignore[type-arg]
    def append(self, _item: Any) -> None:
        pass


class PortalProcess:
    """``with PortalProcess(corpus) as base_url:`` serves the corpus from a child process."""

    def __init__(self, corpus: Corpus) -> None:
        self.args = (corpus.records, corpus.seed, corpus.source_count)

    def __enter__(self) -> str:  # the base URL of the portals
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(*self.args, child), daemon=True)
        self.process.start()
        return str(self.conn.recv())

    def cpu_seconds(self) -> float:
        """CPU time the portals process has used so far (user + system): what serving the corpus cost."""
        import psutil

        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def __exit__(self, *exc: object) -> None:
        self.conn.send("stop")
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.terminate()


def serve_in_process(corpus: Corpus) -> PortalProcess:
    return PortalProcess(corpus)


