"""Agreement with SEMIC's reference ISO 19139 -> GeoDCAT-AP transformation, property by property.

Each case of ``data/semic_iso19139/`` (SEMIC's own test cases: an ISO record and the Turtle its XSLT writes, see the
folder's SOURCES.md) is normalised by moisson and serialised by :mod:`normalise.rdf`; the two graphs are then
compared property by property:

* the resources compared are the record's dataset or service, each of its distributions (paired by access URL, then
  download URL), each distribution's access service, and the catalogue record (``foaf:isPrimaryTopicOf``);
* a property of one of them agrees when moisson gives every value SEMIC gives and, for a property the DCAT-AP shapes
  limit to one value on that class, nothing else. Blank nodes (agents, locations, periods, provenance...) agree when
  moisson's node carries every value of SEMIC's, recursively; ``rdf:type`` is not compared (class names are a
  modelling choice: foaf:Organization or foaf:Agent);
* values are compared as RDF, not as text: literals by their words (whitespace collapsed; a literal moisson writes
  without a language tag matches SEMIC's tagged one, a different tag does not), numbers as numbers, dates by their
  lexical form, geometry literals (WKT, GML, GeoJSON) by the box they describe; IRIs as IRIs, where the official EU
  tables make two IRIs the same concept (``language/FRE`` is the ISO 639-2/B code of ``language/FRA``; the licence
  table's ``skos:exactMatch``) they are the same value;
* a property is a DCAT-AP property when the official DCAT-AP 3.0.1 shapes (``config/shacl``) constrain it on the
  resource's class; every other property SEMIC writes is GeoDCAT-AP's own.

The test prints the table (``pytest -s``) and holds moisson to >= 95 % of the DCAT-AP properties and >= 85 % of
GeoDCAT-AP's own. Where moisson deliberately differs, the README says why.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF

from kernel.records import RawRecord
from normalise import rdf, vocab
from normalise.iso19139 import normalise_iso19139

CASES_DIR = Path(__file__).resolve().parent / "data" / "semic_iso19139"
ROOT = Path(__file__).resolve().parents[2]
SHACL = ROOT / "config" / "shacl" / "dcat-ap-3.0.1" / "dcat-ap-SHACL.ttl"
SH = Namespace("http://www.w3.org/ns/shacl#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
EU_LICENCE = "http://publications.europa.eu/resource/authority/licence/"
GEOMETRY_TYPES = {GSP.wktLiteral, GSP.gmlLiteral, GSP.geoJSONLiteral}
ROOT_CLASSES = (DCAT.Dataset, DCAT.DatasetSeries, DCAT.DataService)
DCAT_AP_THRESHOLD, GEODCAT_AP_THRESHOLD = 95.0, 85.0


def cases() -> list[str]:
    return sorted(p.name for p in CASES_DIR.iterdir() if (p / "input.xml").is_file())


# -- what DCAT-AP says: properties per class and their maximum counts, from the official shapes ---------------------


@cache
def dcat_ap_shapes() -> dict[URIRef, dict[URIRef, int | None]]:
    """{class: {property: sh:maxCount or None}} for every property the DCAT-AP 3.0.1 shapes constrain."""
    graph = Graph().parse(SHACL, format="turtle")
    out: dict[URIRef, dict[URIRef, int | None]] = defaultdict(dict)
    for shape in graph.subjects(RDF.type, SH.NodeShape):
        target = graph.value(shape, SH.targetClass)
        if target is None:
            continue
        for prop in graph.objects(shape, SH.property):
            path = graph.value(prop, SH.path)
            if not isinstance(path, URIRef):
                continue
            maximum = graph.value(prop, SH.maxCount)
            known = out[target].get(path)
            limit = int(maximum) if maximum is not None else None
            out[target][path] = limit if known is None else min(known, limit or known)
    return out


def profile_of(cls: URIRef, prop: URIRef) -> str:
    classes = (DCAT.Dataset, DCAT.DatasetSeries) if cls in (DCAT.Dataset, DCAT.DatasetSeries) else (cls,)
    shapes = dcat_ap_shapes()
    return "DCAT-AP" if any(prop in shapes.get(c, {}) for c in classes) else "GeoDCAT-AP"


def single_valued(cls: URIRef, prop: URIRef) -> bool:
    classes = (DCAT.Dataset, DCAT.DatasetSeries) if cls in (DCAT.Dataset, DCAT.DatasetSeries) else (cls,)
    return any(dcat_ap_shapes().get(c, {}).get(prop) == 1 for c in classes)


# -- equivalences the official EU tables state ---------------------------------------------------------------------


@cache
def language_aliases() -> dict[str, str]:
    """EU language URI written with an ISO 639-2/B or /T code (SEMIC writes language/FRE) -> the table's URI."""
    out: dict[str, str] = {}
    for code, concept in vocab.generated("languages")["concepts"].items():
        for iso in (*concept["iso639_2b"], *concept["iso639_2t"]):
            out.setdefault(EU_LANGUAGE + iso.upper(), EU_LANGUAGE + code)
    return out


@cache
def licence_matches() -> dict[str, str]:
    """Licence page (as a URL key) -> EU licence URI, from the official table's skos:exactMatch."""
    return {url_key(page): EU_LICENCE + code for code, concept in vocab.generated("licences")["concepts"].items()
            for page in concept.get("exact_match", [])}


def url_key(url: str) -> str:
    return re.sub(r"^https?://(www\.)?", "", url.strip()).rstrip("/").lower()


def canonical_iri(iri: str) -> str:
    iri = language_aliases().get(iri, iri)
    return licence_matches().get(url_key(iri), iri)


# -- comparing values ----------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def box(lit: Literal) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of a WKT, GML or GeoJSON literal: the comparison is on what it describes."""
    text = str(lit)
    if lit.datatype == GSP.geoJSONLiteral:
        try:
            coords = json.loads(text)["coordinates"]
        except (ValueError, KeyError, TypeError):
            return None
        numbers = [float(v) for v in re.findall(_NUMBER, json.dumps(coords))]
    else:
        text = re.sub(r"<[^>]*srsName=\"[^\"]*\"[^>]*>", " ", text) if lit.datatype == GSP.gmlLiteral else text
        text = re.sub(r"^\s*<[^>]+>\s*", "", text) if text.lstrip().startswith("<http") else text
        numbers = [float(v) for v in re.findall(_NUMBER, re.sub(r"<[^>]+>", " ", text))]
    if len(numbers) < 4 or len(numbers) % 2:
        return None
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def words(lit: Literal) -> str:
    return " ".join(str(lit).split())


def as_number(lit: Literal) -> float | None:
    try:
        return float(str(lit))
    except ValueError:
        return None


@dataclass
class Comparison:
    expected: Graph
    actual: Graph
    roots: tuple[object, object]

    def same(self, e: object, a: object, depth: int = 0) -> bool:
        if e == self.roots[0]:
            return a == self.roots[1]
        if isinstance(e, Literal):
            return isinstance(a, Literal) and self.same_literal(e, a)
        if isinstance(e, URIRef):
            return isinstance(a, URIRef) and (e == a or canonical_iri(str(e)) == canonical_iri(str(a)))
        if isinstance(e, BNode) and isinstance(a, BNode | URIRef):
            return depth < 8 and self.covers(e, a, depth + 1)
        return False

    @staticmethod
    def same_literal(e: Literal, a: Literal) -> bool:
        if e.datatype in GEOMETRY_TYPES or a.datatype in GEOMETRY_TYPES:
            be, ba = box(e), box(a)
            return be is not None and ba is not None and all(abs(x - y) < 1e-9 for x, y in zip(be, ba, strict=True))
        if e.language and a.language and e.language.lower() != a.language.lower():
            return False
        if words(e) == words(a):
            return True
        ne, na = as_number(e), as_number(a)
        return ne is not None and na is not None and abs(ne - na) <= 1e-12 * max(1.0, abs(ne))

    def covers(self, e: object, a: object, depth: int = 0) -> bool:
        """Every value of every property of expected node ``e`` has a match among actual node ``a``'s."""
        for prop in set(self.expected.predicates(e)) - {RDF.type}:
            found = list(self.actual.objects(a, prop))
            if not all(any(self.same(v, w, depth) for w in found) for v in self.expected.objects(e, prop)):
                return False
        return True


# -- the resources compared ----------------------------------------------------------------------------------------


def root(graph: Graph) -> object:
    served = set(graph.objects(None, DCAT.accessService))
    found = [s for cls in ROOT_CLASSES for s in graph.subjects(RDF.type, cls) if s not in served]
    assert found, "no dataset or service in the graph"
    return found[0]


def root_class(graph: Graph, node: object) -> URIRef:
    types = set(graph.objects(node, RDF.type))
    return next(c for c in (DCAT.DatasetSeries, DCAT.DataService, DCAT.Dataset) if c in types)


def distribution_key(graph: Graph, node: object) -> str | None:
    for prop in (DCAT.accessURL, DCAT.downloadURL):
        value = graph.value(node, prop)
        if value is not None:
            return str(value)
    return None


@dataclass
class Slot:
    case: str
    resource: str
    cls: URIRef
    prop: URIRef
    agreed: bool
    extra: int = 0

    @property
    def profile(self) -> str:
        return profile_of(self.cls, self.prop)


@dataclass
class Report:
    slots: list[Slot] = field(default_factory=list)

    def percent(self, profile: str | None = None) -> float:
        chosen = [s for s in self.slots if profile is None or s.profile == profile]
        return 100.0 * sum(s.agreed for s in chosen) / len(chosen) if chosen else 100.0


def compare_resource(cmp: Comparison, case: str, resource: str, cls: URIRef, e: object, a: object | None,
                     skip: frozenset[URIRef] = frozenset()) -> Iterator[Slot]:
    for prop in sorted(set(cmp.expected.predicates(e)) - {RDF.type} - skip):
        expected_values = list(cmp.expected.objects(e, prop))
        actual_values = list(cmp.actual.objects(a, prop)) if a is not None else []
        matched = [any(cmp.same(v, w) for w in actual_values) for v in expected_values]
        extra = sum(not any(cmp.same(v, w) for v in expected_values) for w in actual_values)
        agreed = all(matched) and not (extra and single_valued(cls, prop))
        yield Slot(case, resource, cls, prop, agreed, extra)


def compare_case(case: str) -> list[Slot]:
    folder = CASES_DIR / case
    expected = Graph().parse(folder / "expected_output.ttl", format="turtle")
    raw = RawRecord(source_id="semic", native_id=case, url=f"file://{folder}/input.xml", profile="iso19139",
                    content=(folder / "input.xml").read_bytes(), media_type="application/xml")
    [entry] = normalise_iso19139(raw)
    actual = Graph()
    for triple in rdf.triples(entry):
        actual.add(triple)
    e_root, a_root = root(expected), root(actual)
    cls = root_class(expected, e_root)
    assert cls in set(actual.objects(a_root, RDF.type)), f"{case}: moisson's resource is not a {cls}"
    cmp = Comparison(expected, actual, (e_root, a_root))
    nested = frozenset({DCAT.distribution, FOAF.isPrimaryTopicOf})
    slots = list(compare_resource(cmp, case, "entry", cls, e_root, a_root, skip=nested))

    # distributions, paired by access (then download) URL, and their access services
    actual_dists = {distribution_key(actual, d): d for d in actual.objects(a_root, DCAT.distribution)}
    expected_dists = list(expected.objects(e_root, DCAT.distribution))
    if expected_dists:
        pairs = [(d, actual_dists.get(distribution_key(expected, d))) for d in expected_dists]
        slots.append(Slot(case, "entry", cls, DCAT.distribution, all(a is not None for _, a in pairs)))
        for e_dist, a_dist in pairs:
            slots += compare_resource(cmp, case, "distribution", DCAT.Distribution, e_dist, a_dist,
                                      skip=frozenset({DCAT.accessService}))
            for e_service in expected.objects(e_dist, DCAT.accessService):
                services = list(actual.objects(a_dist, DCAT.accessService)) if a_dist is not None else []
                a_service = next((s for s in services if actual.value(s, DCAT.endpointURL)
                                  == expected.value(e_service, DCAT.endpointURL)), None)
                slots.append(Slot(case, "distribution", DCAT.Distribution, DCAT.accessService, a_service is not None))
                slots += compare_resource(cmp, case, "access service", DCAT.DataService, e_service, a_service)

    # the catalogue record
    for e_record in expected.objects(e_root, FOAF.isPrimaryTopicOf):
        a_record = actual.value(a_root, FOAF.isPrimaryTopicOf)
        slots.append(Slot(case, "entry", cls, FOAF.isPrimaryTopicOf, a_record is not None))
        slots += compare_resource(cmp, case, "catalogue record", DCAT.CatalogRecord, e_record, a_record)
    return slots


@pytest.fixture(scope="module")
def report() -> Report:
    assert len(cases()) >= 8, "the SEMIC cases are missing"
    return Report([slot for case in cases() for slot in compare_case(case)])


def qname(iri: URIRef) -> str:
    for prefix, ns in (("geodcatap", "http://data.europa.eu/930/"), ("dcat", str(DCAT)), ("dct", str(DCTERMS)),
                       ("foaf", str(FOAF)), ("prov", "http://www.w3.org/ns/prov#"), ("adms", "http://www.w3.org/ns/adms#"),
                       ("dqv", "http://www.w3.org/ns/dqv#"), ("cnt", "http://www.w3.org/2011/content#")):
        if str(iri).startswith(ns):
            return f"{prefix}:{str(iri)[len(ns):]}"
    return str(iri)


def table(report: Report) -> str:
    rows: dict[tuple[str, str, str], list[Slot]] = defaultdict(list)
    for slot in report.slots:
        rows[(slot.profile, slot.resource, qname(slot.prop))].append(slot)
    lines = [f"{'profile':<11} {'resource':<17} {'property':<32} agreed  cases that differ"]
    for (profile, resource, prop), slots in sorted(rows.items()):
        agreed = sum(s.agreed for s in slots)
        differ = sorted({s.case for s in slots if not s.agreed})
        lines.append(f"{profile:<11} {resource:<17} {prop:<32} {agreed:>2}/{len(slots):<3}  {', '.join(differ)}")
    total = {p: [s for s in report.slots if s.profile == p] for p in ("DCAT-AP", "GeoDCAT-AP")}
    lines.append(f"DCAT-AP properties: {report.percent('DCAT-AP'):.1f} % of {len(total['DCAT-AP'])}; "
                 f"GeoDCAT-AP's own: {report.percent('GeoDCAT-AP'):.1f} % of {len(total['GeoDCAT-AP'])}; "
                 f"all: {report.percent():.1f} % of {len(report.slots)} ({len(cases())} SEMIC cases)")
    return "\n".join(lines)


def test_agreement_with_semic_reference_transformation(report: Report) -> None:
    print("\n" + table(report))
    assert report.percent("DCAT-AP") >= DCAT_AP_THRESHOLD
    assert report.percent("GeoDCAT-AP") >= GEODCAT_AP_THRESHOLD


def test_the_comparison_can_fail() -> None:
    """The measure is not a tautology: a record stripped of its title and distributions disagrees."""
    folder = CASES_DIR / "geo-bbox-precision"
    expected = Graph().parse(folder / "expected_output.ttl", format="turtle")
    actual = Graph()
    subject = URIRef("http://www.my-organisation.eu/so/lu/land-use-map")
    actual.add((subject, RDF.type, DCAT.Dataset))
    actual.add((subject, DCTERMS.title, Literal("Another title", lang="en")))
    cmp = Comparison(expected, actual, (root(expected), subject))
    slots = {s.prop: s for s in compare_resource(cmp, "x", "entry", DCAT.Dataset, root(expected), subject)}
    assert not slots[DCTERMS.title].agreed and not slots[DCTERMS.description].agreed
    assert Comparison.same_literal(Literal("a  b", lang="en"), Literal("a b"))
    assert not Comparison.same_literal(Literal("a b", lang="en"), Literal("a b", lang="fr"))
    assert Comparison.same_literal(Literal("POLYGON((1 2,3 2,3 4,1 4,1 2))", datatype=GSP.wktLiteral),
                                   Literal('{"type":"Polygon","coordinates":[[[1,4],[3,2]]]}',
                                           datatype=GSP.geoJSONLiteral))
