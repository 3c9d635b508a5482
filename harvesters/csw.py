"""OGC Catalogue Service for the Web (CSW 2.0.2 and 3.0): GetCapabilities, then GetRecords page by page.

Why the requests are ours and the vocabulary OWSLib's: OWSLib's CSW client does its own HTTP, which would bypass the
one HTTP layer (address guard, politeness, retries, accounting). So every request goes through ``self.http``;
OWSLib encodes the filters (:mod:`owslib.fes` for CSW 2.0.2, :mod:`owslib.fes2` for 3.0) and reads exception
reports (:class:`owslib.ows.ExceptionReport`); responses are parsed with lxml with entities and network access off.

Output schema: ISO 19139 (``gmd``) when the capabilities list it (or do not say), else Dublin Core ``csw:Record``;
if the first ISO page is refused with an exception report, the harvest falls back to Dublin Core once.

Paging: ``startPosition`` advances by the number of records a page actually returned. ``nextRecord`` is read but not
trusted: real servers answer ``returned=2, nextRecord=85`` (skipping 82 records) or ``returned=6, nextRecord=3``
(going back). The sweep stops on an empty page, on a page that adds no record not already seen, past
``numberOfRecordsMatched``, or after a bounded number of pages — never loops.

Failures: an exception report on GetCapabilities or on the first page is a :class:`SourceError`; on a later page it
is a page-level :class:`RecordError` with the server's message, and the harvest goes on with the next page (the
position is known from the page size). A page that is not well-formed XML is salvaged record by record: complete
records are kept, a record that does not parse is a record error, a page cut short (truncated) is a page-level error.

Incremental: ``apiso:Modified >= since`` (``dct:modified`` in Dublin Core) when the capabilities list that queryable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar, Literal
from urllib.parse import urlencode

import requests
from lxml import etree
from owslib import fes, fes2
from owslib.ows import ExceptionReport
from pydantic import BaseModel, ConfigDict, Field

from harvesters.base import Harvester
from kernel.records import HarvestItem, RawRecord, RecordError, SourceError

CSW2 = "http://www.opengis.net/cat/csw/2.0.2"
CSW3 = "http://www.opengis.net/cat/csw/3.0"
GMD = "http://www.isotc211.org/2005/gmd"
GMI = "http://www.isotc211.org/2005/gmi"
GCO = "http://www.isotc211.org/2005/gco"
DC = "http://purl.org/dc/elements/1.1/"
DCT = "http://purl.org/dc/terms/"
OWS_NAMESPACES = ("http://www.opengis.net/ows", "http://www.opengis.net/ows/1.1", "http://www.opengis.net/ows/2.0")
NS = {"gmd": GMD, "gmi": GMI, "gco": GCO, "dc": DC, "dct": DCT, "csw": CSW2, "csw30": CSW3}

MAX_FAILED_PAGES = 5  # consecutive page failures before giving up on the rest of the catalogue

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False)
_ISO_TAG = re.compile(rb"<((?:[\w.-]+:)?(?:[A-Z]+_)?M[DI]_Metadata)[\s>/]")
_DC_TAG = re.compile(rb"<((?:[\w.-]+:)?Record)[\s>/]")
_XMLNS = re.compile(rb"""\sxmlns(?::[\w.-]+)?\s*=\s*(?:"[^"]*"|'[^']*')""")
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([\w.-]+)["']""")
_ATTRIBUTE = r"""\b{}\s*=\s*["'](\d+)["']"""


class CswOptions(BaseModel):
    """``options:`` of a csw source."""

    model_config = ConfigDict(extra="forbid")

    page_size: int = Field(default=50, ge=1, le=1000, description="records per GetRecords page (maxRecords)")
    version: Literal["2.0.2", "3.0.0"] = Field(default="2.0.2", description="CSW version to speak")
    output_schema: Literal["auto", "iso19139", "dublin-core"] = Field(
        default="auto", description="auto: ISO 19139 when the server offers it, else Dublin Core")
    type: str | None = Field(default=None, description="only records of this type, e.g. dataset, series, service")
    keywords: list[str] = Field(default_factory=list, description="only records carrying every one of these")


@dataclass
class _Schema:
    """What one output schema means on the wire and in the store."""

    name: str
    uri: str
    type_names: str
    profile: str
    tag: re.Pattern[bytes]
    prefix: str  # queryables prefix: apiso: for ISO, dc:/dct: for Dublin Core


ISO = _Schema("iso19139", GMD, "gmd:MD_Metadata", "iso19139", _ISO_TAG, "apiso")
DUBLIN_CORE = _Schema("dublin-core", CSW2, "csw:Record", "csw-dc", _DC_TAG, "dc")


@dataclass
class _Page:
    """One GetRecords answer: its counters and records (element, or bytes that did not parse)."""

    matched: int | None = None
    returned: int | None = None
    next_record: int | None = None
    records: list[etree._Element | bytes] = field(default_factory=list)
    truncated: bool = False


class CswServerError(Exception):
    """The server answered with an OWS exception report; the message is the server's own."""


class CswHarvester(Harvester):
    type: ClassVar[str] = "csw"
    Options: ClassVar[type[BaseModel]] = CswOptions
    supports_incremental: ClassVar[bool] = True
    options: CswOptions

    def harvest(self, since: str | None = None) -> Iterator[HarvestItem]:
        url = self.source.url
        capabilities = self._capabilities(url)
        schema = self._choose_schema(capabilities)
        since_date = since[:10] if since and self._supports_modified(capabilities, schema) else None
        try:
            yield from self._sweep(url, schema, since_date, first_page_fallback=self.options.output_schema == "auto")
        except _FallBack:
            yield from self._sweep(url, DUBLIN_CORE if self.options.version == "2.0.2" else _csw3(DUBLIN_CORE),
                                   since_date, first_page_fallback=False)

    # -- capabilities ---------------------------------------------------------------------------------------------

    def _capabilities(self, url: str) -> etree._Element:
        params = {"service": "CSW", "version": self.options.version, "request": "GetCapabilities"}
        response = self.http.session.get(url, params=params)
        try:
            root = etree.fromstring(response.content, _PARSER)
        except etree.XMLSyntaxError as exc:
            if response.status_code >= 400:
                raise SourceError(f"GetCapabilities failed: HTTP {response.status_code} from {url}") from None
            raise SourceError(f"{url} is not a CSW: GetCapabilities is not XML ({exc})") from None
        if _is_exception(root):
            raise SourceError(f"GetCapabilities refused by {url}: {_exception_message(root)}")
        if response.status_code >= 400:
            raise SourceError(f"GetCapabilities failed: HTTP {response.status_code} from {url}")
        if etree.QName(root).localname != "Capabilities":
            raise SourceError(f"{url} is not a CSW: GetCapabilities answered <{etree.QName(root).localname}>")
        return root

    def _choose_schema(self, capabilities: etree._Element) -> _Schema:
        wanted = self.options.output_schema
        if wanted == "auto":
            offered = _operation_values(capabilities, "GetRecords", "outputSchema")
            wanted = "iso19139" if not offered or GMD in offered else "dublin-core"
        schema = ISO if wanted == "iso19139" else DUBLIN_CORE
        return schema if self.options.version == "2.0.2" else _csw3(schema)

    def _supports_modified(self, capabilities: etree._Element, schema: _Schema) -> bool:
        queryables = " ".join(
            value
            for name in ("SupportedISOQueryables", "SupportedDublinCoreQueryables", "AdditionalQueryables")
            for value in _operation_values(capabilities, "GetRecords", name, constraint=True)
        )
        return (f"{schema.prefix}:Modified" if schema.prefix == "apiso" else "dct:modified") in queryables

    # -- paging ---------------------------------------------------------------------------------------------------

    def _sweep(self, url: str, schema: _Schema, since: str | None, first_page_fallback: bool) -> Iterator[HarvestItem]:
        size = self.options.page_size
        start, matched, failures, pages = 1, None, 0, 0
        seen: set[str] = set()
        while True:
            pages += 1
            if matched is not None and pages > math.ceil(matched / size) + 3:
                yield RecordError(f"stopped after {pages - 1} pages: the server keeps announcing more records "
                                  f"than the {matched} it says match", None, url)
                return
            try:
                page = self._page(url, schema, start, since)
            except (CswServerError, requests.RequestException) as exc:
                if matched is None:  # the first page: nothing tells where the next one starts
                    if first_page_fallback and schema.name == "iso19139" and isinstance(exc, CswServerError):
                        raise _FallBack() from None
                    raise SourceError(f"GetRecords failed at startPosition {start}: {_plain(exc)}") from None
                yield RecordError(f"GetRecords page at startPosition {start} failed: {_plain(exc)}", None, url)
                failures += 1
                start += size
                if failures >= MAX_FAILED_PAGES or start > matched:
                    if failures >= MAX_FAILED_PAGES:
                        yield RecordError(f"gave up after {failures} failed pages in a row", None, url)
                    return
                continue
            failures = 0
            if page.matched is not None:
                matched = page.matched
            repeated = 0
            for item in self._records(page, schema, url, start):
                if isinstance(item, RawRecord):
                    if item.native_id in seen:
                        repeated += 1
                        continue  # a server that pages back (nextRecord lies): each record once
                    seen.add(item.native_id)
                yield item
            if page.truncated:
                yield RecordError(f"GetRecords page at startPosition {start} was cut short (not well-formed XML "
                                  f"after {len(page.records)} complete records)", None, url)
                if matched is None or start + size > matched:
                    return
                start += size
                continue
            count = len(page.records)
            if count == 0 or repeated == count:  # an empty page, or one that brings nothing new: the end
                return
            start += count
            if matched is not None and start > matched:
                return

    def _page(self, url: str, schema: _Schema, start: int, since: str | None) -> _Page:
        body = self._get_records_request(schema, start, since)
        # the session, not http.post: servers send exception reports with HTTP 400/500, and the message matters
        response = self.http.session.post(url, data=body, headers={"Content-Type": "application/xml"})
        if response.status_code >= 400:
            try:
                root = etree.fromstring(response.content, _PARSER)
            except etree.XMLSyntaxError:
                root = None
            if root is not None and _is_exception(root):
                raise CswServerError(_exception_message(root))
            response.raise_for_status()
        return _parse_page(response.content, schema)

    def _get_records_request(self, schema: _Schema, start: int, since: str | None) -> bytes:
        csw3 = self.options.version == "3.0.0"
        csw_ns = CSW3 if csw3 else CSW2
        root = etree.Element(f"{{{csw_ns}}}GetRecords", nsmap={"csw": csw_ns, "gmd": GMD, "ogc": fes.namespaces["ogc"],
                                                                 "fes": fes2.namespaces["fes"],
                                                                 "apiso": "http://www.opengis.net/cat/csw/apiso/1.0",
                                                                 "dc": DC, "dct": DCT})
        root.set("service", "CSW")
        root.set("version", self.options.version)
        if not csw3:  # CSW 3.0 dropped the attribute (results are the default) and rejects it
            root.set("resultType", "results")
        root.set("startPosition", str(start))
        root.set("maxRecords", str(self.options.page_size))
        root.set("outputSchema", schema.uri)
        root.set("outputFormat", "application/xml")
        query = etree.SubElement(root, f"{{{csw_ns}}}Query", typeNames=schema.type_names)
        etree.SubElement(query, f"{{{csw_ns}}}ElementSetName").text = "full"
        expressions = self._filters(schema, since, csw3)
        if expressions:
            module = fes2 if csw3 else fes
            expression = expressions[0] if len(expressions) == 1 else module.And(expressions)
            constraint = etree.SubElement(query, f"{{{csw_ns}}}Constraint", version="2.0.0" if csw3 else "1.1.0")
            constraint.append(module.FilterRequest().setConstraint(expression))
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def _filters(self, schema: _Schema, since: str | None, csw3: bool) -> list[object]:
        module = fes2 if csw3 else fes
        iso = schema.prefix == "apiso"
        out: list[object] = []
        if self.options.type:
            out.append(module.PropertyIsEqualTo("apiso:Type" if iso else "dc:type", self.options.type))
        for keyword in self.options.keywords:
            out.append(module.PropertyIsLike("apiso:Subject" if iso else "dc:subject", f"%{keyword}%", wildCard="%"))
        if since:
            out.append(module.PropertyIsGreaterThanOrEqualTo("apiso:Modified" if iso else "dct:modified", since))
        return out

    # -- records --------------------------------------------------------------------------------------------------

    def _records(self, page: _Page, schema: _Schema, url: str, start: int) -> Iterator[HarvestItem]:
        for position, record in enumerate(page.records, start=start):
            if isinstance(record, bytes):
                native_id = _guess_id(record, schema)
                yield RecordError(f"record at position {position} is not well-formed XML", native_id,
                                  self._record_url(url, schema, native_id) if native_id else url)
                continue
            native_id, modified = _identity(record, schema)
            if not native_id:
                yield RecordError(f"record at position {position} has no identifier "
                                  f"({'gmd:fileIdentifier' if schema.prefix == 'apiso' else 'dc:identifier'})",
                                  None, url)
                continue
            content = etree.tostring(record, xml_declaration=True, encoding="UTF-8")
            yield RawRecord(source_id=self.source.id, native_id=native_id, url=self._record_url(url, schema, native_id),
                            profile=schema.profile, content=content, media_type="application/xml", modified=modified)

    def _record_url(self, url: str, schema: _Schema, native_id: str) -> str:
        """A GetRecordById URL: the provenance link resolves to this very record."""
        params = {"service": "CSW", "version": self.options.version, "request": "GetRecordById", "id": native_id,
                  "outputSchema": schema.uri, "elementSetName": "full"}
        return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


class _FallBack(Exception):  # noqa: N818 - control flow, not an error
    """The server refused the ISO output schema on the first page: harvest in Dublin Core instead."""


def _csw3(schema: _Schema) -> _Schema:
    if schema.name == "dublin-core":
        return _Schema(schema.name, CSW3, "csw:Record", schema.profile, schema.tag, schema.prefix)
    return schema


# -- parsing ------------------------------------------------------------------------------------------------------


def _parse_page(content: bytes, schema: _Schema) -> _Page:
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError:
        return _salvage(content, schema)
    if _is_exception(root):
        raise CswServerError(_exception_message(root))
    results = root.find(f"{{{CSW2}}}SearchResults")
    if results is None:
        results = root.find(f"{{{CSW3}}}SearchResults")
    if results is None:
        raise CswServerError(f"not a GetRecords response (<{etree.QName(root).localname}>)")
    page = _Page(_int(results.get("numberOfRecordsMatched")), _int(results.get("numberOfRecordsReturned")),
                 _int(results.get("nextRecord")))
    page.records = [child for child in results if isinstance(child.tag, str)]
    return page


def _salvage(content: bytes, schema: _Schema) -> _Page:
    """A page that is not well-formed: keep each complete record that parses on its own, flag the others."""
    page = _Page()
    for name in ("numberOfRecordsMatched", "numberOfRecordsReturned", "nextRecord"):
        match = re.search(_ATTRIBUTE.format(name).encode(), content[:4096])
        setattr(page, {"numberOfRecordsMatched": "matched", "numberOfRecordsReturned": "returned",
                       "nextRecord": "next_record"}[name], int(match.group(1)) if match else None)
    starts = list(schema.tag.finditer(content))
    if not starts:
        page.truncated = True
        return page
    header = content[:starts[0].start()]
    declarations = b" ".join(m.group(0).strip() for m in _XMLNS.finditer(header))
    encoding = _ENCODING.match(content)
    prolog = b'<?xml version="1.0" encoding="' + (encoding.group(1) if encoding else b"UTF-8") + b'"?>'
    for index, match in enumerate(starts):
        tag = match.group(1)
        end_tag = re.compile(rb"</" + re.escape(tag) + rb"\s*>")
        limit = starts[index + 1].start() if index + 1 < len(starts) else len(content)
        closes = list(end_tag.finditer(content, match.start(), limit))
        close = closes[-1] if closes else None  # the last closing tag before the next record starts
        if close is None:
            if index + 1 == len(starts):  # the last record never ends: the page was cut short
                page.truncated = True
                break
            page.records.append(content[match.start():limit])  # a broken record, others follow
            continue
        chunk = content[match.start():close.end()]
        try:
            wrapper = etree.fromstring(prolog + b"<wrapper " + declarations + b">" + chunk + b"</wrapper>", _PARSER)
            page.records.append(wrapper[0])
        except etree.XMLSyntaxError:
            page.records.append(chunk)
    closing = re.search(rb"</(?:[\w.-]+:)?GetRecordsResponse\s*>\s*$", content)
    if closing is None:
        page.truncated = True
    return page


def _identity(record: etree._Element, schema: _Schema) -> tuple[str | None, str | None]:
    if schema.prefix == "apiso":
        native_id = record.xpath("string(gmd:fileIdentifier/*[1])", namespaces=NS).strip()
        modified = record.xpath("string(gmd:dateStamp/*[1])", namespaces=NS).strip()
    else:
        native_id = record.xpath("string(dc:identifier[1])", namespaces=NS).strip()
        modified = record.xpath("string(dct:modified[1])", namespaces=NS).strip()
    return native_id or None, modified or None


def _guess_id(chunk: bytes, schema: _Schema) -> str | None:
    """The identifier of a record that does not parse, read from its text when it can be."""
    pattern = (rb"<(?:[\w.-]+:)?fileIdentifier>\s*<[^>]+>\s*([^<\s][^<]*?)\s*<" if schema.prefix == "apiso"
               else rb"<(?:[\w.-]+:)?identifier[^>]*>\s*([^<\s][^<]*?)\s*<")
    match = re.search(pattern, chunk)
    return match.group(1).decode("utf-8", "replace") if match else None


def _is_exception(root: etree._Element) -> bool:
    qname = etree.QName(root)
    return qname.localname == "ExceptionReport" and qname.namespace in OWS_NAMESPACES


def _exception_message(root: etree._Element) -> str:
    report = ExceptionReport(root, etree.QName(root).namespace)
    parts = [report.code or "", f"({report.locator})" if report.locator else "", (report.msg or "").strip()]
    return " ".join(p for p in parts if p) or "exception report without text"


def _operation_values(capabilities: etree._Element, operation: str, name: str, constraint: bool = False) -> list[str]:
    """Values of a Parameter (or Constraint) of an operation, whatever the OWS version's layout."""
    kind = "Constraint" if constraint else "Parameter"
    return [
        (value.text or "").strip()
        for value in capabilities.xpath(
            f"//*[local-name()='Operation'][@name='{operation}']/*[local-name()='{kind}'][@name='{name}']"
            "//*[local-name()='Value']"
        )
    ]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _plain(exc: BaseException) -> str:
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    return str(exc) or type(exc).__name__
