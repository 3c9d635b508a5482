"""DCAT catalogs: RDF/XML, Turtle, JSON-LD, N-Triples (with Hydra paging) and DCAT-US ``data.json``.

One raw record per dataset (dcat:Dataset, dcat:DatasetSeries, and a dcat:DataService described on its own): the
dataset's triples plus those of the nodes it reaches (distributions, publisher, contact point, periods, locations,
checksums...) but never another dataset's, as N-Triples. Blank nodes get labels derived from what they describe and
the lines are sorted, so an unchanged dataset gives the same bytes, hence the same hash, on every harvest whatever
the parser's random blank-node ids.

Pages are parsed one at a time: only one page graph is ever in memory. A page answered 304 Not Modified is not
fetched again; its URL is listed in :attr:`DcatHarvester.unchanged_pages` so that the pipeline counts the records it
held as unchanged (and does not withdraw them). Only a page without a next page keeps its validators, because the
body of a page with a next page is needed to follow the chain.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import urljoin

import orjson
import requests
from pydantic import BaseModel, ConfigDict, Field
from rdflib import BNode, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import RDF

from harvesters.base import Harvester
from harvesters.record import HarvestItem, RawRecord, RecordError, SourceError


class _IllTypedLiterals(logging.Filter):
    """rdflib logs a traceback for every ill-typed literal (an empty xsd:date, a date-time typed xsd:date...).
    Catalogs are full of them and the lexical form, which is all we keep, is intact: not worth a log line each."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to convert Literal lexical form")


logging.getLogger("rdflib.term").addFilter(_IllTypedLiterals())

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
HYDRA = "http://www.w3.org/ns/hydra/core#"

DATASET_TYPES = frozenset({URIRef(DCAT + "Dataset"), URIRef(DCAT + "DatasetSeries")})
SERVICE_TYPE = URIRef(DCAT + "DataService")
# A description never crosses into these: other datasets are records of their own, catalogs and Hydra views are
# containers, not part of what a dataset says about itself.
BOUNDARY_TYPES = DATASET_TYPES | {
    URIRef(DCAT + "Catalog"), URIRef(DCAT + "Catalogue"), URIRef(HYDRA + "Collection"),
    URIRef(HYDRA + "PartialCollectionView"), URIRef(HYDRA + "PagedCollection"),
}
NEXT_PAGE = (URIRef(HYDRA + "next"), URIRef(HYDRA + "nextPage"))
DCAT_DATASET = URIRef(DCAT + "dataset")
ACCESS_SERVICE = URIRef(DCAT + "accessService")
DCAT_SERVICE = URIRef(DCAT + "service")
DCT_IDENTIFIER = URIRef(DCT + "identifier")
DCT_MODIFIED = URIRef(DCT + "modified")

ACCEPT = ("text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, application/n-triples;q=0.7, "
          "application/json;q=0.6, application/xml;q=0.5, */*;q=0.1")
MAX_TRIPLES_PER_RECORD = 50_000
MAX_CONTEXT_DEPTH = 3

Syntax = Literal["rdfxml", "turtle", "jsonld", "ntriples", "dcat-us"]
RDFLIB_FORMAT = {"rdfxml": "xml", "turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt"}
SYNTAX_NAME = {"rdfxml": "RDF/XML", "turtle": "Turtle", "jsonld": "JSON-LD", "ntriples": "N-Triples",
               "dcat-us": "DCAT-US data.json"}
CONTENT_TYPES: dict[str, Syntax] = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "text/n3": "turtle",
    "application/rdf+xml": "rdfxml", "application/xml": "rdfxml", "text/xml": "rdfxml",
    "application/ld+json": "jsonld",
    "application/n-triples": "ntriples", "text/ntriples": "ntriples",
}


class DcatOptions(BaseModel):
    """``options:`` of a dcat source."""

    model_config = ConfigDict(extra="forbid")

    page_limit: int = Field(default=10_000, ge=1, description="pages followed at most (Hydra paging)")
    format: Syntax | None = Field(default=None, description="force a serialisation instead of detecting it")


class PageError(Exception):
    """A page that cannot be read as a DCAT catalog; the message is the parser's, in plain words."""


@dataclass
class Page:
    """One fetched page: its records (and per-record errors) and the URL of the next page, if any."""

    items: Iterable[HarvestItem]
    next_url: str | None = None
    syntax: str = ""


class DcatHarvester(Harvester):
    type: ClassVar[str] = "dcat"
    Options: ClassVar[type[BaseModel]] = DcatOptions
    supports_incremental: ClassVar[bool] = False  # a DCAT dump has no "changed since" filter

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unchanged_pages: list[str] = []
        self._contexts: dict[str, Any] = {}

    def harvest(self, since: str | None = None) -> Iterator[HarvestItem]:
        """Follow the catalog page by page. The first page failing (unreachable, unreadable) fails the source; a
        later one ends the sweep with a page-level error, after the records already read. A page answered 304 ends
        the sweep too: it was a last page (see the module docstring), its URL goes to :attr:`unchanged_pages`."""
        options: DcatOptions = self.options  # type: ignore[assignment]
        url: str | None = self.source.url
        seen: set[str] = set()
        while url is not None:
            first = not seen
            if url in seen:  # a next link pointing back: every page was read, the sweep is complete
                self.http.stats.log(f"GET {url}: Hydra next page already read, paging stopped")
                return
            if len(seen) >= options.page_limit:
                yield RecordError(f"stopped after {options.page_limit} pages (options.page_limit); "
                                  "the following pages were not harvested", url=url)
                return
            seen.add(url)
            try:
                response = self.http.get(url, conditional=True, remember=False, headers={"Accept": ACCEPT})
            except requests.RequestException as exc:
                if first:
                    raise
                yield RecordError(f"cannot fetch this page: {exc}", url=url)
                return
            if response.status_code == 304:
                self.unchanged_pages.append(url)  # only a last page keeps validators: nothing follows it
                return
            try:
                page = self.read_page(response.content, response.headers.get("Content-Type"), url)
            except PageError as exc:
                if first:
                    raise SourceError(f"{url}: {exc}") from None
                yield RecordError(str(exc), url=url)
                return
            yield from page.items
            if page.next_url is None:
                self.http.remember(url, response)
            url = page.next_url

    # -- one page ------------------------------------------------------------------------------------------------

    def read_page(self, body: bytes, content_type: str | None, url: str) -> Page:
        """Parse one page and describe its records; raises :class:`PageError` if it is not a readable catalog."""
        forced = self.options.format  # type: ignore[attr-defined]
        declared = _declared_syntax(content_type)
        sniffed = sniff_syntax(body)
        syntax = forced or declared or sniffed
        if syntax is None:
            raise PageError(f"not a DCAT catalog: cannot tell its serialisation (Content-Type {content_type!r})")
        try:
            return self._parse(body, syntax, url)
        except PageError as exc:
            # Servers mislabel catalogs (Turtle as text/plain, RDF/XML as application/octet-stream...): when the
            # content itself says otherwise, believe it before giving up.
            if forced or sniffed is None or sniffed == syntax:
                raise
            try:
                return self._parse(body, sniffed, url)
            except PageError:
                raise exc from None

    def _parse(self, body: bytes, syntax: Syntax, url: str) -> Page:
        if syntax == "dcat-us":
            return self._dcat_us_page(body, url)
        graph = Graph()
        try:
            if syntax == "jsonld":
                self._parse_jsonld(graph, body, url)
            elif syntax == "rdfxml":
                parse_rdfxml(graph, body, url)
            else:
                graph.parse(data=body, format=RDFLIB_FORMAT[syntax], publicID=url)
        except PageError:
            raise
        except Exception as exc:  # every rdflib parser raises its own kind; the message is what matters
            raise PageError(f"not valid {SYNTAX_NAME[syntax]}: {_parser_message(exc)}") from None
        return Page(self._rdf_records(graph, url), next_page(graph, url), syntax)

    def _rdf_records(self, graph: Graph, url: str) -> Iterator[HarvestItem]:
        stop = boundaries(graph)
        edges = outgoing(graph)  # one pass over the page instead of a store lookup per node (bench: 3x faster)
        terms = NtTerms()  # predicates and shared objects are written once per page, not once per triple
        for root in record_roots(graph):
            triples = describe(graph, root, stop, edges)
            if len(triples) > MAX_TRIPLES_PER_RECORD:
                yield RecordError(f"description of {len(triples)} triples is over the limit of "
                                  f"{MAX_TRIPLES_PER_RECORD}", native_id=_display_id(graph, root), url=url)
                continue
            native_id = record_id(graph, root)
            if native_id is None:
                yield RecordError("a dataset given as a blank node without dct:identifier cannot be told apart "
                                  "across harvests", native_id=_display_id(graph, root), url=url)
                continue
            modified = graph.value(root, DCT_MODIFIED)
            yield RawRecord(
                source_id=self.source.id, native_id=native_id, url=url, profile="dcat",
                content=to_ntriples(triples, terms), media_type="application/n-triples",
                modified=str(modified) if isinstance(modified, RdfLiteral) and str(modified) else None,
            )

    def _dcat_us_page(self, body: bytes, url: str) -> Page:
        try:
            catalog = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise PageError(f"not valid JSON: {exc}") from None
        datasets = catalog.get("dataset") if isinstance(catalog, dict) else None
        if not isinstance(datasets, list):
            raise PageError("not a DCAT-US data.json: no \"dataset\" list")
        return Page(self._dcat_us_records(datasets, url), None, "dcat-us")

    def _dcat_us_records(self, datasets: list[Any], url: str) -> Iterator[HarvestItem]:
        for position, dataset in enumerate(datasets):
            identifier = dataset.get("identifier") if isinstance(dataset, dict) else None
            if not isinstance(identifier, str) or not identifier.strip():
                title = dataset.get("title") if isinstance(dataset, dict) else None
                yield RecordError("data.json dataset without an identifier",
                                  native_id=str(title or f"dataset[{position}]"), url=url)
                continue
            modified = dataset.get("modified")
            yield RawRecord(
                source_id=self.source.id, native_id=identifier.strip(), url=url, profile="dcat-us",
                content=orjson.dumps(dataset, option=orjson.OPT_SORT_KEYS), media_type="application/json",
                modified=str(modified) if modified else None,
            )

    def _parse_jsonld(self, graph: Graph, body: bytes, url: str) -> None:
        """JSON-LD with its remote contexts fetched through our HTTP layer (rdflib would fetch them itself,
        bypassing the address guard, the rate limit and the size cap)."""
        from rdflib.plugins.parsers.jsonld import to_rdf

        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise PageError(f"not valid JSON-LD: {exc}") from None
        document = self._inline_contexts(document, url, 0)
        to_rdf(document, graph, base=url)

    def _inline_contexts(self, node: Any, base: str, depth: int) -> Any:
        if isinstance(node, list):
            return [self._inline_contexts(item, base, depth) for item in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key == "@context":
                out[key] = self._resolve_context(value, base, depth)
            else:
                out[key] = self._inline_contexts(value, base, depth)
        return out

    def _resolve_context(self, context: Any, base: str, depth: int) -> Any:
        if isinstance(context, list):
            return [self._resolve_context(item, base, depth) for item in context]
        if isinstance(context, dict):  # "@import", and contexts scoped to a term, may name remote contexts too
            resolved = {}
            if isinstance(context.get("@import"), str):  # JSON-LD 1.1: the imported context, then the local terms
                imported = self._resolve_context(context["@import"], base, depth)
                resolved.update(imported if isinstance(imported, dict) else {})
            for key, value in context.items():
                if key == "@import":
                    continue
                if isinstance(value, dict) and "@context" in value:
                    value = {**value, "@context": self._resolve_context(value["@context"], base, depth)}
                resolved[key] = value
            return resolved
        if not isinstance(context, str):
            return context
        if depth >= MAX_CONTEXT_DEPTH:
            raise PageError(f"JSON-LD contexts nested more than {MAX_CONTEXT_DEPTH} deep ({context})")
        context_url = urljoin(base, context)
        if context_url not in self._contexts:
            try:
                response = self.http.get(context_url, headers={"Accept": "application/ld+json, application/json"})
                fetched = orjson.loads(response.content)
            except (requests.RequestException, orjson.JSONDecodeError) as exc:
                raise PageError(f"cannot load the JSON-LD context {context_url}: {exc}") from None
            inner = fetched.get("@context", {}) if isinstance(fetched, dict) else {}
            self._contexts[context_url] = self._resolve_context(inner, context_url, depth + 1)
        return self._contexts[context_url]


# -- serialisation detection ---------------------------------------------------------------------------------------


def _declared_syntax(content_type: str | None) -> Syntax | None:
    media_type = (content_type or "").split(";")[0].strip().lower()
    return CONTENT_TYPES.get(media_type)


_TURTLE_START = re.compile(rb"^(@prefix|@base|prefix\s|base\s)", re.IGNORECASE)
_NTRIPLES_LINE = re.compile(rb"^(<[^>\s]*>|_:\S+)\s+<[^>\s]*>\s+.+\.\s*$")


def sniff_syntax(body: bytes) -> Syntax | None:
    """The serialisation a document's first bytes show, or None if it looks like none we read."""
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        lowered = head[:512].lower()
        if b"<html" in lowered or b"<!doctype html" in lowered:
            return None
        first_line = head.split(b"\n", 1)[0]
        if _NTRIPLES_LINE.match(first_line.strip()):
            return "ntriples" if not _TURTLE_START.search(head) else "turtle"
        return "rdfxml"
    if head.startswith((b"{", b"[")):
        return "dcat-us" if _looks_dcat_us(body) else "jsonld"
    if _TURTLE_START.match(head) or head.startswith((b"#", b"_:")):
        return "turtle"
    return None


def _looks_dcat_us(body: bytes) -> bool:
    """DCAT-US data.json is plain JSON with a top-level "dataset" list (JSON-LD uses IRIs or @graph)."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(document, dict) and isinstance(document.get("dataset"), list) and "@graph" not in document


def _parser_message(exc: Exception) -> str:
    """The parser's own words, on one line, without rdflib's echo of the raw bytes around the error."""
    text = " ".join(str(exc).split())
    text = re.sub(r"^at line (\d+) of <[^>]*>:", r"line \1:", text)
    text, _, context = text.partition(" at ^ in:")
    around = re.search(r"b?'([^']*)'\^b?'([^']*)'", context)
    if around:  # rdflib shows the bytes around the error as "...b'before'^b'after'..."
        before, after = (" ".join(part.replace("\\n", " ").split()) for part in around.groups())
        text += f" near {before[-40:] + ' ^ ' + after[:30]!r}"
    return text or type(exc).__name__


def parse_rdfxml(graph: Graph, body: bytes, url: str) -> None:
    """RDF/XML through rdflib's handler on defusedxml's expat reader: external entities and DTD fetches refused."""
    from xml.sax import handler
    from xml.sax.xmlreader import InputSource

    from defusedxml.expatreader import DefusedExpatParser
    from rdflib.plugins.parsers.rdfxml import ErrorHandler, RDFXMLHandler

    parser = DefusedExpatParser(forbid_dtd=False, forbid_entities=False, forbid_external=True)
    parser.start_namespace_decl("xml", "http://www.w3.org/XML/1998/namespace")  # as rdflib's own create_parser
    parser.setFeature(handler.feature_namespaces, 1)
    source = InputSource(url)
    source.setByteStream(io.BytesIO(body))  # shares the bytes, no copy
    content_handler = RDFXMLHandler(graph)
    content_handler.setDocumentLocator(source)  # type: ignore[arg-type]
    parser.setContentHandler(content_handler)
    parser.setErrorHandler(ErrorHandler())
    parser.parse(source)


# -- records of a page graph ---------------------------------------------------------------------------------------


def boundaries(graph: Graph) -> set[Any]:
    """The nodes a description stops at: datasets, series, catalogs and Hydra containers."""
    return {s for t in BOUNDARY_TYPES for s in graph.subjects(RDF.type, t)}


def record_roots(graph: Graph) -> list[URIRef | BNode]:
    """The subjects that are records: datasets and series (typed, or listed by a catalog's dcat:dataset), and data
    services described on their own (not merely the access service of a distribution). Sorted for a stable order."""
    roots: set[Any] = set()
    for rdf_type in DATASET_TYPES:
        roots.update(graph.subjects(RDF.type, rdf_type))
    roots.update(s for s in graph.objects(None, DCAT_DATASET) if (s, None, None) in graph)
    access_only = set(graph.objects(None, ACCESS_SERVICE)) - set(graph.objects(None, DCAT_SERVICE))
    roots.update(s for s in graph.subjects(RDF.type, SERVICE_TYPE) if s not in access_only)
    containers = {s for t in BOUNDARY_TYPES - DATASET_TYPES for s in graph.subjects(RDF.type, t)}
    roots = {r for r in roots - containers if isinstance(r, URIRef | BNode)}
    return sorted(roots, key=lambda node: (isinstance(node, BNode), str(node)))


def outgoing(graph: Graph) -> dict[Any, list[tuple[Any, Any]]]:
    """subject -> [(predicate, object)] for the whole graph, read in one pass."""
    edges: dict[Any, list[tuple[Any, Any]]] = defaultdict(list)
    for s, p, o in graph:
        edges[s].append((p, o))
    return edges


_RDF_TYPE = RDF.type
_NODE = (URIRef, BNode)


def describe(graph: Graph, root: URIRef | BNode, stop: set[Any] | None = None,
             edges: dict[Any, list[tuple[Any, Any]]] | None = None) -> list[tuple[Any, Any, Any]]:
    """The root's triples and those of every node it reaches, stopping at other records and containers. ``edges``
    (from :func:`outgoing`) saves the graph lookups when many records are described from one page."""
    stop = boundaries(graph) if stop is None else stop
    triples = []
    seen = {root}
    queue = [root]
    while queue:
        node = queue.pop()
        for predicate, obj in (edges.get(node, ()) if edges is not None else graph.predicate_objects(node)):
            triples.append((node, predicate, obj))
            if predicate == _RDF_TYPE or obj in seen or not isinstance(obj, _NODE):
                continue
            seen.add(obj)
            if obj not in stop:
                queue.append(obj)
    return triples


def record_id(graph: Graph, root: URIRef | BNode) -> str | None:
    """The record's native id: its IRI, or for a blank node its dct:identifier."""
    if isinstance(root, URIRef):
        return str(root)
    identifiers = sorted(str(o) for o in graph.objects(root, DCT_IDENTIFIER) if isinstance(o, RdfLiteral) and str(o))
    return identifiers[0].strip() if identifiers else None


def _display_id(graph: Graph, root: URIRef | BNode) -> str:
    title = graph.value(root, URIRef(DCT + "title"))
    return record_id(graph, root) or (f"untitled: {title}" if title else "a blank-node dataset")


def next_page(graph: Graph, url: str) -> str | None:
    """The Hydra next page (hydra:next of a PartialCollectionView, or the older hydra:nextPage), if any; the one
    stated for the page just read wins when a document names several."""
    candidates: list[tuple[bool, str]] = []
    for predicate in NEXT_PAGE:
        for subject, target in graph.subject_objects(predicate):
            if isinstance(target, URIRef | RdfLiteral) and str(target).strip():
                candidates.append((str(subject) != url, urljoin(url, str(target).strip())))
    return min(candidates)[1] if candidates else None


# -- deterministic N-Triples -----------------------------------------------------------------------------------


class NtTerms(dict[Any, str]):
    """IRIs and literals already written in N-Triples syntax (:func:`nt_term`), kept for the page."""

    def __missing__(self, node: Any) -> str:
        text = self[node] = nt_term(node)
        return text


def to_ntriples(triples: list[tuple[Any, Any, Any]], terms: NtTerms | None = None) -> bytes:
    """Sorted N-Triples with content-derived blank-node labels: the same description gives the same bytes."""
    terms = NtTerms() if terms is None else terms
    labels = blank_labels(triples, terms)

    def term(node: Any) -> str:
        if isinstance(node, BNode):
            return "_:" + labels[node]
        return terms[node]

    lines = {f"{term(s)} {term(p)} {term(o)} ." for s, p, o in triples}
    return ("\n".join(sorted(lines)) + "\n").encode("utf-8")


def blank_labels(triples: list[tuple[Any, Any, Any]], terms: NtTerms | None = None) -> dict[BNode, str]:
    """Label each blank node by a digest of what it says, refined through the blank nodes it points to (the
    Weisfeiler-Lehman colour refinement that canonicalisation algorithms start with), so labels do not depend on
    the parser's ids nor on triple order. Blank nodes saying exactly the same thing get the same label, which merges
    them: a redundant copy (the same agent repeated inline, as GeoNetwork writes it) says nothing more."""
    terms = NtTerms() if terms is None else terms
    out: dict[BNode, list[tuple[str, Any]]] = defaultdict(list)
    for s, p, o in triples:
        if isinstance(s, BNode):
            out[s].append((terms[p], o))
        if isinstance(o, BNode):
            out.setdefault(o, [])
    if not out:
        return {}
    colour = {b: "" for b in out}
    distinct = 1
    for _ in range(len(out) + 1):
        refined = {}
        for b, edges in out.items():
            parts = sorted(f"{p} {('_' + colour[o]) if isinstance(o, BNode) else terms[o]}" for p, o in edges)
            refined[b] = hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()[:16]
        colour = refined
        now = len(set(colour.values()))
        if now == distinct:
            break
        distinct = now
    return {b: "b" + c for b, c in colour.items()}


_IRI_ESCAPES = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LITERAL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}
_LITERAL_SPECIAL = re.compile(r'[\\"\n\r]')


def nt_term(node: Any) -> str:
    """One IRI or literal in N-Triples syntax (UTF-8; only what the grammar forbids is escaped)."""
    if isinstance(node, URIRef):
        return "<" + _IRI_ESCAPES.sub(lambda m: f"\\u{ord(m.group()):04X}", str(node)) + ">"
    if isinstance(node, RdfLiteral):
        text = '"' + _LITERAL_SPECIAL.sub(lambda m: _LITERAL_ESCAPES[m.group()], str(node)) + '"'
        if node.language:
            return text + "@" + node.language
        if node.datatype is not None and str(node.datatype) != "http://www.w3.org/2001/XMLSchema#string":
            return text + "^^" + nt_term(node.datatype)
        return text
    if isinstance(node, BNode):
        return "_:" + str(node)
    raise TypeError(f"not an RDF term: {node!r}")
