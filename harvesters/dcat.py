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
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import urljoin

import orjson
import pyoxigraph as ox
import requests
from pydantic import BaseModel, ConfigDict, Field

from harvesters import lenient_rdf
from harvesters.base import Harvester
from kernel import jsonpage, ntriples
from kernel.ntriples import Term, is_blank, is_literal
from kernel.records import HarvestItem, RawRecord, RecordError, SourceError

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
HYDRA = "http://www.w3.org/ns/hydra/core#"

RDF_TYPE = ntriples.iri("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DATASET_TYPES = frozenset({ntriples.iri(DCAT + "Dataset"), ntriples.iri(DCAT + "DatasetSeries")})
SERVICE_TYPE = ntriples.iri(DCAT + "DataService")
# A description never crosses into these: other datasets are records of their own, catalogs and Hydra views are
# containers, not part of what a dataset says about itself.
BOUNDARY_TYPES = DATASET_TYPES | {ntriples.iri(t) for t in (
    DCAT + "Catalog", DCAT + "Catalogue", HYDRA + "Collection", HYDRA + "PartialCollectionView",
    HYDRA + "PagedCollection")}
NEXT_PAGE = (ntriples.iri(HYDRA + "next"), ntriples.iri(HYDRA + "nextPage"))
DCAT_DATASET = ntriples.iri(DCAT + "dataset")
ACCESS_SERVICE = ntriples.iri(DCAT + "accessService")
DCAT_SERVICE = ntriples.iri(DCAT + "service")
DCT_IDENTIFIER = ntriples.iri(DCT + "identifier")
DCT_MODIFIED = ntriples.iri(DCT + "modified")
DCT_TITLE = ntriples.iri(DCT + "title")
# the only predicates whose triples the split looks up by predicate rather than by subject
WATCHED = frozenset({DCAT_DATASET, ACCESS_SERVICE, DCAT_SERVICE, *NEXT_PAGE})

ACCEPT = ("text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, application/n-triples;q=0.7, "
          "application/json;q=0.6, application/xml;q=0.5, */*;q=0.1")
MAX_TRIPLES_PER_RECORD = 50_000
MAX_CONTEXT_DEPTH = 3

Syntax = Literal["rdfxml", "turtle", "jsonld", "ntriples", "dcat-us"]
OXIGRAPH_FORMAT = {"rdfxml": ox.RdfFormat.RDF_XML, "turtle": ox.RdfFormat.TURTLE,
                   "ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD}
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
        if syntax == "jsonld":
            body = self._inlined_jsonld(body, url)
        try:
            graph = PageGraph.read(body, syntax, url)
        except PageError:
            raise
        except SyntaxError as exc:  # oxigraph's parsers, and expat's on a page with a DTD
            refusal = f"not valid {SYNTAX_NAME[syntax]}: {_oxigraph_message(exc, body)}"
            return self._lenient_page(body, syntax, url, refusal)
        except ValueError as exc:  # defusedxml's refusal of an external entity
            raise PageError(f"not valid {SYNTAX_NAME[syntax]}: {exc}") from None
        return Page(self._rdf_records(graph, url), graph.next_page(url), syntax)

    def _lenient_page(self, body: bytes, syntax: Syntax, url: str, refusal: str) -> Page:
        """The page read piece by piece (see :mod:`harvesters.lenient_rdf`) after pyoxigraph refused it whole: the
        records of every piece one parser or the other reads, a warning for each defect worked around, an error for
        each piece neither reads. A page nothing can be read from fails as before, with oxigraph's words."""
        if syntax == "rdfxml" and declares_entities(body):
            try:  # never read a DTD page other than through the defused parser (entity bombs)
                body = without_dtd(body)
            except (SyntaxError, ValueError):
                raise PageError(refusal) from None
        try:
            parts, repairs = lenient_rdf.pieces(body, syntax)
        except lenient_rdf.Unsplittable:
            raise PageError(refusal) from None
        graph = PageGraph()
        problems: list[RecordError] = [RecordError(repair, url=url, warning=True) for repair in repairs]
        read = 0
        for piece in parts:
            try:
                graph.load(piece.data, syntax, url)
                read += 1
                continue
            except SyntaxError as exc:
                first = _oxigraph_message(exc, piece.data, place=False)
            try:
                triples = lenient_rdf.rdflib_triples(piece.data, syntax, url)
            except Exception as exc:  # rdflib raises assorted errors on what it cannot read
                second = " ".join(str(exc).split()) or type(exc).__name__
                problems.append(RecordError(f"{piece.where}: {first}; not readable by a lenient parser either "
                                            f"({second}): this part of the page was not harvested",
                                            native_id=piece.about, url=url))
                continue
            for s, p, o in triples:
                graph.add(_rdflib_term(s), _rdflib_term(p), _rdflib_term(o))
            read += 1
            problems.append(RecordError(f"{piece.where}: {first}; read by a lenient parser (rdflib), which skips "
                                        "what it cannot understand", native_id=piece.about, url=url, warning=True))
        if not read:
            raise PageError(refusal)
        self.http.stats.log(f"GET {url}: {refusal}; read piece by piece ({read} of {len(parts)} pieces)")
        records = list(self._rdf_records(graph, url))
        listed = {r.native_id for r in records if isinstance(r, RawRecord)}
        # a warning about a piece whose record was read is that record's; the record itself is harvested
        items = [p for p in problems if p.warning or p.native_id not in listed]
        return Page([*items, *records], graph.next_page(url), syntax)

    def _rdf_records(self, graph: PageGraph, url: str) -> Iterator[HarvestItem]:
        stop = graph.boundaries()
        for root in graph.record_roots():
            triples = graph.describe(root, stop)
            if len(triples) > MAX_TRIPLES_PER_RECORD:
                yield RecordError(f"description of {len(triples)} triples is over the limit of "
                                  f"{MAX_TRIPLES_PER_RECORD}", native_id=graph.display_id(root), url=url)
                continue
            native_id = graph.record_id(root)
            if native_id is None:
                yield RecordError("a dataset given as a blank node without dct:identifier cannot be told apart "
                                  "across harvests", native_id=graph.display_id(root), url=url)
                continue
            yield RawRecord(
                source_id=self.source.id, native_id=native_id, url=url, profile="dcat",
                content=to_ntriples(triples), media_type="application/n-triples",
                modified=graph.literal(root, DCT_MODIFIED),
            )

    def _dcat_us_page(self, body: bytes, url: str) -> Page:
        try:
            catalog = jsonpage.loads(body)  # one record nested too deep must not cost the page
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

    def _inlined_jsonld(self, body: bytes, url: str) -> bytes:
        """JSON-LD with its remote contexts fetched through our HTTP layer (a JSON-LD processor would fetch them
        itself, bypassing the address guard, the rate limit and the size cap), ready for oxigraph."""
        try:
            document = jsonpage.loads(body)
        except orjson.JSONDecodeError as exc:
            raise PageError(f"not valid JSON-LD: {exc}") from None
        return orjson.dumps(self._inline_contexts(document, url, 0))

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
        document = jsonpage.loads(body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(document, dict) and isinstance(document.get("dataset"), list) and "@graph" not in document


def declares_entities(body: bytes) -> bool:
    """Whether an XML document has a DTD (entity declarations). oxigraph's RDF/XML parser expands internal entities
    without a limit (a "billion laughs" page would take all the memory), so such a page is first expanded by
    :func:`without_dtd`."""
    return b"<!DOCTYPE" in body or b"<!ENTITY" in body


def without_dtd(body: bytes) -> bytes:
    """The document with its internal entities expanded and its DTD gone, by defusedxml's expat parser: external
    entities and DTD fetches refused, expat's own limit on entity amplification. The XML is written out again
    (prefixes renamed, which RDF/XML does not see) so that one RDF parser reads every page."""
    from xml.etree.ElementTree import tostring

    from defusedxml.ElementTree import fromstring

    root = fromstring(body, forbid_dtd=False, forbid_entities=False, forbid_external=True)
    return tostring(root, encoding="utf-8")


def _oxigraph_message(exc: SyntaxError, body: bytes, place: bool = True) -> str:
    """oxigraph's words with the place shown: "line 32, column 31: ... near '…the text there…'" (without the line
    and column when ``place`` is false: in a piece of a page they would count from the piece, not the page)."""
    text = " ".join(str(exc.msg if exc.msg else exc).split())
    text = re.sub(r"^Parser error at line \d+ column \d+: ", "", text)
    text = re.sub(r" \(line \d+\)$", "", text)
    if not exc.lineno:
        return text
    lines = body.split(b"\n", exc.lineno)
    around = lines[exc.lineno - 1].decode("utf-8", "replace").strip() if len(lines) >= exc.lineno else ""
    where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "") + ": " if place else ""
    return f"{where}{text}" + (f" near {around[:80]!r}" if around else "")


# -- one page as N-Triples terms -----------------------------------------------------------------------------------
#
# A page is read into a dict subject -> [(predicate, object)] whose terms are N-Triples text (<iri>, _:label,
# "literal"@lang or ^^<datatype>). Strings hash and compare fast, every term is converted once per page, and a
# record's N-Triples are its lines joined: nothing left to serialise.

def _oxigraph_term(node: Any) -> Term:
    if isinstance(node, ox.NamedNode):
        return ntriples.iri(node.value)
    if isinstance(node, ox.BlankNode):
        return "_:" + node.value
    return ntriples.literal(node.value, node.language, node.datatype.value)


def _rdflib_term(node: Any) -> Term:
    from rdflib import BNode, URIRef

    if isinstance(node, URIRef):
        return ntriples.iri(str(node))
    if isinstance(node, BNode):
        return "_:" + str(node)
    return ntriples.literal(str(node), node.language, str(node.datatype) if node.datatype else None)


class PageGraph:
    """One page's triples indexed by subject, with the few indexes the split needs (typed subjects, and the objects
    of dcat:dataset, dcat:accessService, dcat:service and the Hydra next links), all built in the one pass."""

    def __init__(self) -> None:
        self.edges: dict[Term, list[tuple[Term, Term]]] = defaultdict(list)
        self.typed: dict[Term, set[Term]] = defaultdict(set)
        self.watched: dict[Term, list[tuple[Term, Term]]] = defaultdict(list)

    def add(self, s: Term, p: Term, o: Term) -> None:
        self.edges[s].append((p, o))
        if p == RDF_TYPE:
            self.typed[o].add(s)
        elif p in WATCHED:
            self.watched[p].append((s, o))

    @classmethod
    def read(cls, body: bytes, syntax: Literal["rdfxml", "turtle", "ntriples", "jsonld"], url: str) -> PageGraph:
        """Every RDF syntax by oxigraph (~4x rdflib's speed on a whole page, see bench/normalisation.py), which keeps
        literals as written (rdflib rewrites "…Z" dates to "…+00:00"). Lenient: an IRI with a space in a download URL
        is kept (escaped in the N-Triples) rather than failing the whole page. JSON-LD must have its remote contexts
        inlined already. Raises SyntaxError (oxigraph's, and expat's ParseError for a DTD page)."""
        graph = cls()
        graph.load(body, syntax, url)
        return graph

    def load(self, body: bytes, syntax: Literal["rdfxml", "turtle", "ntriples", "jsonld"], url: str) -> None:
        """Add a document's (or a piece's) triples; raises SyntaxError when oxigraph refuses it. Nothing is added
        then: the triples are collected first."""
        if syntax == "rdfxml" and declares_entities(body):
            body = without_dtd(body)
        terms: dict[Any, Term] = {}  # oxigraph term -> N-Triples, once per document
        triples = []
        for quad in ox.parse(body, OXIGRAPH_FORMAT[syntax], base_iri=url, lenient=True):
            triple = []
            for node in (quad.subject, quad.predicate, quad.object):
                term = terms.get(node)
                if term is None:
                    term = terms[node] = _oxigraph_term(node)
                triple.append(term)
            triples.append(triple)
        for triple in triples:
            self.add(*triple)

    def boundaries(self) -> set[Term]:
        """The nodes a description stops at: datasets, series, catalogs and Hydra containers."""
        return {s for t in BOUNDARY_TYPES for s in self.typed.get(t, ())}

    def objects(self, predicate: Term) -> set[Term]:
        return {o for _, o in self.watched.get(predicate, ())}

    def record_roots(self) -> list[Term]:
        """The subjects that are records: datasets and series (typed, or listed by a catalog's dcat:dataset), and
        data services described on their own (not merely the access service of a distribution). Sorted for a
        stable order, blank nodes last."""
        roots: set[Term] = set()
        for rdf_type in DATASET_TYPES:
            roots.update(self.typed.get(rdf_type, ()))
        roots.update(s for s in self.objects(DCAT_DATASET) if s in self.edges)
        access_only = self.objects(ACCESS_SERVICE) - self.objects(DCAT_SERVICE)
        roots.update(s for s in self.typed.get(SERVICE_TYPE, ()) if s not in access_only)
        containers = {s for t in BOUNDARY_TYPES - DATASET_TYPES for s in self.typed.get(t, ())}
        return sorted((r for r in roots - containers if not is_literal(r)), key=lambda node: (is_blank(node), node))

    def describe(self, root: Term, stop: set[Term]) -> list[tuple[Term, Term, Term]]:
        """The root's triples and those of every node it reaches, stopping at other records and containers."""
        triples = []
        seen = {root}
        queue = [root]
        edges = self.edges
        while queue:
            node = queue.pop()
            for predicate, obj in edges.get(node, ()):
                triples.append((node, predicate, obj))
                if predicate == RDF_TYPE or obj in seen or is_literal(obj):
                    continue
                seen.add(obj)
                if obj not in stop:
                    queue.append(obj)
        return triples

    def literals(self, subject: Term, predicate: Term) -> list[str]:
        return [ntriples.value(o) for p, o in self.edges.get(subject, ()) if p == predicate and is_literal(o)]

    def literal(self, subject: Term, predicate: Term) -> str | None:
        """The first non-empty literal value of a property, if any."""
        return next((value for value in self.literals(subject, predicate) if value), None)

    def record_id(self, root: Term) -> str | None:
        """The record's native id: its IRI, or for a blank node its dct:identifier."""
        if not is_blank(root):
            return ntriples.value(root)
        identifiers = sorted(value for value in self.literals(root, DCT_IDENTIFIER) if value)
        return identifiers[0].strip() if identifiers else None

    def display_id(self, root: Term) -> str:
        title = self.literal(root, DCT_TITLE)
        return self.record_id(root) or (f"untitled: {title}" if title else "a blank-node dataset")

    def next_page(self, url: str) -> str | None:
        """The Hydra next page (hydra:next of a PartialCollectionView, or the older hydra:nextPage), if any; the
        one stated for the page just read wins when a document names several."""
        candidates: list[tuple[bool, str]] = []
        for predicate in NEXT_PAGE:
            for subject, target in self.watched.get(predicate, ()):
                value = "" if is_blank(target) else ntriples.value(target).strip()
                if value:
                    candidates.append((ntriples.value(subject) != url, urljoin(url, value)))
        return min(candidates)[1] if candidates else None


# -- deterministic N-Triples -----------------------------------------------------------------------------------


def to_ntriples(triples: list[tuple[Term, Term, Term]]) -> bytes:
    """Sorted N-Triples with content-derived blank-node labels: the same description gives the same bytes."""
    labels = blank_labels(triples)
    if labels:
        triples = [(labels.get(s, s), p, labels.get(o, o)) for s, p, o in triples]
    lines = {f"{s} {p} {o} ." for s, p, o in triples}
    return ("\n".join(sorted(lines)) + "\n").encode("utf-8")


def blank_labels(triples: list[tuple[Term, Term, Term]]) -> dict[Term, Term]:
    """Label each blank node by a digest of what it says, refined through the blank nodes it points to (the
    Weisfeiler-Lehman colour refinement that canonicalisation algorithms start with), so labels do not depend on
    the parser's ids nor on triple order. Blank nodes saying exactly the same thing get the same label, which merges
    them: a redundant copy (the same agent repeated inline, as GeoNetwork writes it) says nothing more."""
    out: dict[Term, list[tuple[Term, Term]]] = defaultdict(list)
    for s, p, o in triples:
        if is_blank(s):
            out[s].append((p, o))
        if is_blank(o):
            out.setdefault(o, [])
    if not out:
        return {}
    colour = {b: "" for b in out}
    distinct = 1
    for _ in range(len(out) + 1):
        refined = {}
        for b, edges in out.items():
            parts = sorted(f"{p} {('_' + colour[o]) if is_blank(o) else o}" for p, o in edges)
            refined[b] = hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()[:16]
        colour = refined
        now = len(set(colour.values()))
        if now == distinct:
            break
        distinct = now
    return {b: "_:b" + c for b, c in colour.items()}

