"""A DCAT page the fast parser refuses, read piece by piece: every readable record kept, each defect named.

Why: real catalogues publish pages with one sloppy element, and a page is all or nothing for an RDF parser. A
GeoNetwork export that writes ``<dcat:theme rdf:resource="…">Hydrographie</dcat:theme>`` (text where RDF/XML allows
none) made pyoxigraph refuse the page, and with it every dataset of the source. When that happens the harvester
(:mod:`harvesters.dcat`) cuts the page into pieces that stand alone and parses each one:

* RDF/XML: each child of ``rdf:RDF``, and each dataset inside a catalog's ``dcat:dataset`` (the catalog keeps its
  other properties); the document is read by lxml in recovery mode first, so broken XML (an unclosed tag, a stray
  ``&``) is repaired as far as it can be and the repair reported;
* Turtle: each statement block (the lines up to a line ending its statement with " ."), the prefixes and base kept;
* N-Triples: each line;
* JSON-LD: each node of ``@graph`` with the document's context.

A piece pyoxigraph refuses gets a second chance with rdflib, whose RDF/XML parser ignores text beside
``rdf:resource`` (the GeoNetwork case): its triples are kept and the defect reported as a warning. A piece neither
parser reads is lost, and reported as an error of the record it held (so that record keeps its last good version)
or, when it cannot be told which record it held, of the page (so that the sweep counts as incomplete and nothing is
withdrawn). Blank-node labels survive the cut: both parsers keep ``rdf:nodeID`` and ``_:`` labels as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from lxml import etree

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DCAT_NS = "http://www.w3.org/ns/dcat#"
ABOUT = f"{{{RDF_NS}}}about"
NODE_ID = f"{{{RDF_NS}}}nodeID"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
CONTAINER_TAGS = {f"{{{DCAT_NS}}}Catalog", f"{{{DCAT_NS}}}Catalogue"}
RECORD_LIST_TAGS = {f"{{{DCAT_NS}}}dataset", f"{{{DCAT_NS}}}service", f"{{{DCAT_NS}}}record"}


@dataclass
class Piece:
    """A part of a page that parses on its own: its bytes, where it was (a line, the resource it describes) and the
    IRI of the resource it describes, when it says."""

    data: bytes
    where: str
    about: str | None = None


class Unsplittable(Exception):
    """The page cannot be cut into pieces (not XML at all, JSON that is no object...)."""


def pieces(body: bytes, syntax: str) -> tuple[list[Piece], list[str]]:
    """(pieces, repairs made to the document before cutting it) for a page of the given syntax."""
    if syntax == "rdfxml":
        return _rdfxml_pieces(body)
    if syntax == "turtle":
        return _turtle_pieces(body), []
    if syntax == "ntriples":
        return _ntriples_pieces(body), []
    if syntax == "jsonld":
        return _jsonld_pieces(body), []
    raise Unsplittable(f"no piecewise reading for {syntax}")


# -- RDF/XML -------------------------------------------------------------------------------------------------------


def _rdfxml_pieces(body: bytes) -> tuple[list[Piece], list[str]]:
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=True,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise Unsplittable(f"not XML: {exc}") from None
    if root is None:
        raise Unsplittable("not XML: nothing could be read")
    repairs = [f"line {e.line}: {e.message.strip()} (XML repaired as far as it could be)" for e in parser.error_log
               if e.level_name in ("ERROR", "FATAL")][:20]
    rdf_root = root if root.tag == f"{{{RDF_NS}}}RDF" else root.find(f".//{{{RDF_NS}}}RDF")
    if rdf_root is None:
        raise Unsplittable("no rdf:RDF element")
    out: list[Piece] = []
    for child in rdf_root:
        if not isinstance(child.tag, str):
            continue
        if child.tag in CONTAINER_TAGS:
            out.extend(_catalog_pieces(rdf_root, child))
        else:
            out.append(_xml_piece(rdf_root, child))
    return out, repairs


def _catalog_pieces(rdf_root: etree._Element, catalog: etree._Element) -> Iterator[Piece]:
    """A catalog's records as pieces of their own, each still linked to the catalog; the rest of the catalog as one
    more piece."""
    catalog_about = catalog.get(ABOUT)
    for listing in [el for el in catalog if isinstance(el.tag, str) and el.tag in RECORD_LIST_TAGS]:
        nested = [el for el in listing if isinstance(el.tag, str)]
        if not nested:
            continue  # dcat:dataset rdf:resource="…": a reference, it stays with the catalog
        catalog.remove(listing)
        for record in nested:
            about = record.get(ABOUT)
            if catalog_about and about:
                link = etree.SubElement(etree.Element(catalog.tag, nsmap=catalog.nsmap), listing.tag)
                link.getparent().set(ABOUT, catalog_about)
                link.set(f"{{{RDF_NS}}}resource", about)
                yield _xml_piece(rdf_root, record, extra=[link.getparent()])
            else:
                yield _xml_piece(rdf_root, record)
    yield _xml_piece(rdf_root, catalog)


def _xml_piece(rdf_root: etree._Element, element: etree._Element,
               extra: list[etree._Element] | None = None) -> Piece:
    wrapper = etree.Element(rdf_root.tag, nsmap=rdf_root.nsmap)
    base = element.get(XML_BASE) or rdf_root.get(XML_BASE)
    if base:
        wrapper.set(XML_BASE, base)
    line = element.sourceline
    about = element.get(ABOUT)
    wrapper.append(_copy(element))
    for item in extra or []:
        wrapper.append(item)
    name = etree.QName(element).localname
    where = f"line {line}, {name}" + (f" <{about}>" if about else "") if line else name
    return Piece(etree.tostring(wrapper, encoding="utf-8"), where, about)


def _copy(element: etree._Element) -> etree._Element:
    from copy import deepcopy

    return deepcopy(element)


# -- Turtle, N-Triples ---------------------------------------------------------------------------------------------

_DIRECTIVE = re.compile(r"^\s*(@prefix|@base|prefix\s|base\s)", re.IGNORECASE)
_STATEMENT_END = re.compile(r"\.\s*(#.*)?$")
_SUBJECT = re.compile(r"^\s*(<[^>]*>|[A-Za-z][\w.-]*:[^\s;,]*|_:\S+)")


def _turtle_pieces(body: bytes) -> list[Piece]:
    """Statement blocks: lines gathered until one ends the statement (" ." outside a string, as serialisers write
    them), each piece carrying every directive seen before it."""
    text = body.decode("utf-8", "replace")
    directives: list[str] = []
    out: list[Piece] = []
    block: list[str] = []
    start = 0
    in_long_string = False
    for number, line in enumerate(text.splitlines(), 1):
        if not block and _DIRECTIVE.match(line):
            directives.append(line)
            continue
        if not block and not line.strip():
            continue
        if not block:
            start = number
        block.append(line)
        if line.count('"""') % 2:
            in_long_string = not in_long_string
        if not in_long_string and _STATEMENT_END.search(line.split('"')[-1] if '"' in line else line):
            out.append(_turtle_piece(directives, block, start))
            block = []
    if block:
        out.append(_turtle_piece(directives, block, start))
    return out


def _turtle_piece(directives: list[str], block: list[str], start: int) -> Piece:
    subject = _SUBJECT.match(block[0])
    about = subject.group(1)[1:-1] if subject and subject.group(1).startswith("<") else None
    where = f"lines {start}-{start + len(block) - 1}" + (f", <{about}>" if about else "")
    return Piece(("\n".join(directives + block) + "\n").encode("utf-8"), where, about)


def _ntriples_pieces(body: bytes) -> list[Piece]:
    out = []
    for number, line in enumerate(body.decode("utf-8", "replace").splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            subject = _SUBJECT.match(line)
            about = subject.group(1)[1:-1] if subject and subject.group(1).startswith("<") else None
            out.append(Piece(line.encode("utf-8") + b"\n", f"line {number}", about))
    return out


# -- JSON-LD -------------------------------------------------------------------------------------------------------


def _jsonld_pieces(body: bytes) -> list[Piece]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Unsplittable(f"not JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("@graph"), list):
        raise Unsplittable("a JSON-LD document without @graph cannot be cut into nodes")
    context = document.get("@context")
    out = []
    for position, node in enumerate(document["@graph"]):
        about = node.get("@id") if isinstance(node, dict) and isinstance(node.get("@id"), str) else None
        piece: dict[str, Any] = {"@graph": [node]}
        if context is not None:
            piece["@context"] = context
        where = f"@graph[{position}]" + (f" <{about}>" if about else "")
        out.append(Piece(orjson.dumps(piece), where, about if about and not about.startswith("_:") else None))
    return out


# -- rdflib, the second chance ---------------------------------------------------------------------------------------

_RDFLIB_FORMAT = {"rdfxml": "xml", "turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld"}


def rdflib_triples(data: bytes, syntax: str, base: str) -> list[tuple[Any, Any, Any]]:
    """The triples rdflib reads from a piece (rdflib terms); raises whatever rdflib raises on what it cannot read.
    Only ever given a piece: rdflib is 4x slower than oxigraph on whole pages."""
    from rdflib import Graph

    graph = Graph()
    graph.parse(data=data, format=_RDFLIB_FORMAT[syntax], publicID=base)
    return list(graph)
