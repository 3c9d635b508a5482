"""DCAT-AP 3 RDF from the normalised model: one graph builder, four serialisations, a streaming exporter.

Why here and not in the API: the CLI export, the API (one record, or a Hydra page of the aggregate) and the SHACL
check all need the same rendering, and it depends on nothing but :mod:`normalise.model`.

Choices that matter:

* Every object the official DCAT-AP 3.0.1 shapes constrain by class is typed (dct:LicenseDocument, dct:MediaType,
  vcard:Kind...): a SHACL ``sh:class`` check only sees ``rdf:type`` triples, so an untyped licence URI would be a
  violation although nothing is wrong with the record.
* Values the source gave as free text where DCAT-AP wants a resource (a licence name nobody could map, a format
  label) become a typed blank node carrying the text as ``rdfs:label``: nothing is lost, nothing is invented.
* ``locn:geometry`` is a ``locn:Geometry`` node with a GeoSPARQL ``gsp:asWKT`` literal, because DCAT-AP 3.0.1 makes
  the property's value a node (a bare literal fails its shapes); ``dcat:bbox`` stays a ``gsp:wktLiteral``.
* Subjects: the source's own IRI when it has one (so the aggregate links back to the original resource), else
  ``{base}/datasets/{id}``. Blank node labels are derived from the record id, so the same record always serialises
  to the same bytes and blank nodes of different records never clash when serialised pages are concatenated.
* The licence goes on each distribution too (DCAT-AP has no dataset licence; the dataset's applies to
  distributions that state none), and stays on the dataset where the source put it.
* One description, two kinds of terms: the builder (:func:`terms`) describes a record with plain terms -- an IRI is
  a ``str``, a literal a :class:`Lit` holding its final lexical form, a blank node a :class:`Blank` -- and both
  consumers read that one description: the flat writers (one block per subject, prefixed names, no nesting) write
  Turtle, JSON-LD, RDF/XML or N-Triples text from it straight, and :func:`rdflib_term` makes rdflib terms of it for
  what needs them (SHACL, ``pretty`` output, :func:`triples`, :func:`to_graph`). Why: building rdflib terms (a
  URIRef checks every character, a Literal parses its value) was half the cost of a catalog page; the walk of
  ``/api/catalog`` (issue 18) needs ~0.2 ms a record. A test parses the written N-Triples back and compares them,
  graph for graph, with the rdflib terms of the same description. :func:`iter_serialise` streams a whole export
  batch by batch; ``pretty=True`` (one record in the API) goes through rdflib for nested blank nodes.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
from rdflib import BNode, Graph, Literal, Namespace, URIRef

from kernel import ntriples as nt
from normalise import vocab
from normalise.geometry import box_wkt
from normalise.model import (
    AccessService,
    Address,
    Agent,
    Attribution,
    Conformity,
    ContactPoint,
    DataService,
    Dataset,
    Distribution,
    MetadataRecord,
    PeriodOfTime,
    SchemaRef,
    Spatial,
)


class _IllTypedLiterals(logging.Filter):
    """rdflib logs a traceback for every ill-typed literal (an empty xsd:date, a date-time typed xsd:date...).
    Catalogs are full of them and the lexical form, which is all we keep, is intact: not worth a log line each."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to convert Literal lexical form")


logging.getLogger("rdflib.term").addFilter(_IllTypedLiterals())


class Lit(NamedTuple):
    """A literal as the builder describes it: the lexical form written out (already what rdflib would normalise it
    to), a language tag or a datatype IRI."""

    value: str
    lang: str | None = None
    datatype: str | None = None


class Blank(NamedTuple):
    """A blank node by its label (a tuple, so that it never equals an IRI, which is a plain ``str``)."""

    label: str


Term = str | Lit | Blank  # the builder's terms: an IRI is a plain str
Triple = tuple[Any, Any, Any]  # rdflib terms (what :func:`triples` and :func:`described` give)
PlainTriple = tuple[Any, str, Any]  # the builder's terms (what :func:`terms` and the flat writers take)


class Terms:
    """A namespace whose terms are made once: ``DCAT.title`` is then a plain attribute read, a ``str``."""

    def __init__(self, iri: str) -> None:
        self._iri = iri

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        term = self._iri + name
        setattr(self, name, term)
        return term

    def __getitem__(self, name: str) -> str:
        return getattr(self, name)

    def __str__(self) -> str:
        return self._iri


PREFIXES: dict[str, Namespace] = {
    "dcat": Namespace("http://www.w3.org/ns/dcat#"), "dct": Namespace("http://purl.org/dc/terms/"),
    "foaf": Namespace("http://xmlns.com/foaf/0.1/"), "vcard": Namespace("http://www.w3.org/2006/vcard/ns#"),
    "adms": Namespace("http://www.w3.org/ns/adms#"), "dcatap": Namespace("http://data.europa.eu/r5r/"),
    "locn": Namespace("http://www.w3.org/ns/locn#"), "gsp": Namespace("http://www.opengis.net/ont/geosparql#"),
    "skos": Namespace("http://www.w3.org/2004/02/skos/core#"), "spdx": Namespace("http://spdx.org/rdf/terms#"),
    "prov": Namespace("http://www.w3.org/ns/prov#"), "owl": Namespace("http://www.w3.org/2002/07/owl#"),
    "rdfs": Namespace("http://www.w3.org/2000/01/rdf-schema#"), "xsd": Namespace("http://www.w3.org/2001/XMLSchema#"),
    "hydra": Namespace("http://www.w3.org/ns/hydra/core#"), "igeo": Namespace("http://rdf.insee.fr/def/geo#"),
    "rdf": Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    "geodcatap": Namespace("http://data.europa.eu/930/"), "dqv": Namespace("http://www.w3.org/ns/dqv#"),
    "cnt": Namespace("http://www.w3.org/2011/content#"), "eli": Namespace("http://data.europa.eu/eli/ontology#"),
}
ADMS, DCAT, DCATAP, DCTERMS, FOAF, GSP, HYDRA, IGEO, LOCN, OWL, RDF, RDFS, SKOS, SPDX, VCARD, XSD = (
    Terms(str(PREFIXES[p])) for p in ("adms", "dcat", "dcatap", "dct", "foaf", "gsp", "hydra", "igeo", "locn", "owl",
                                      "rdf", "rdfs", "skos", "spdx", "vcard", "xsd"))
CNT, DQV, ELI, GEODCATAP, PROV = (Terms(str(PREFIXES[p])) for p in ("cnt", "dqv", "eli", "geodcatap", "prov"))
GEODCAT_AP = "http://data.europa.eu/930/"
INSPIRE_ROLE = "http://inspire.ec.europa.eu/metadata-codelist/ResponsiblePartyRole/"
INSPIRE_DEGREE = "http://inspire.ec.europa.eu/metadata-codelist/DegreeOfConformity/"
INSPIRE_TOPIC = "http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/"
# Roles GeoDCAT-AP gives a property of their own (besides prov:qualifiedAttribution, which every role gets).
ROLE_PROPERTIES = {role: GEODCATAP[role] for role in ("custodian", "distributor", "originator", "principalInvestigator",
                                                        "processor", "resourceProvider", "user")}

DEFAULT_BASE = "http://localhost:8000"

# Canonical format name -> (rdflib serializer, media type). Aliases below map what users and the CLI type.
FORMATS: dict[str, tuple[str, str]] = {
    "turtle": ("turtle", "text/turtle"),
    "json-ld": ("json-ld", "application/ld+json"),
    "xml": ("xml", "application/rdf+xml"),
    "nt": ("nt", "application/n-triples"),
}
_ALIASES = {
    "ttl": "turtle", "turtle": "turtle", "text/turtle": "turtle",
    "jsonld": "json-ld", "json-ld": "json-ld", "application/ld+json": "json-ld",
    "xml": "xml", "rdf": "xml", "rdfxml": "xml", "rdf-xml": "xml", "rdf/xml": "xml", "application/rdf+xml": "xml",
    "nt": "nt", "ntriples": "nt", "n-triples": "nt", "application/n-triples": "nt",
}

_SPDX_ALGORITHMS = {"md5": "md5", "sha1": "sha1", "sha-1": "sha1", "sha256": "sha256", "sha-256": "sha256",
                    "sha512": "sha512", "sha-512": "sha512", "sha224": "sha224", "sha384": "sha384"}
_HEX_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}

# An IRI, as opposed to text with a colon ("OGC:WMS", "EPSG:4326"): a hierarchical scheme (://) or a known one.
_SCHEME = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|(?:urn|mailto|tel|doi|info|tag):)\S", re.IGNORECASE)
_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BNODE_BAD = re.compile(r"[^A-Za-z0-9_-]")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_YEAR = re.compile(r"^\d{4}$")
_YEAR_MONTH = re.compile(r"^\d{4}-\d{2}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def base_url(base: str | None = None) -> str:
    """The public base of moisson's own IRIs: explicit, else ``MOISSON_BASE_URL``, else http://localhost:8000."""
    return (base or os.environ.get("MOISSON_BASE_URL") or DEFAULT_BASE).rstrip("/")


def format_name(value: str) -> str:
    """Canonical format name (turtle, json-ld, xml, nt) for a name, an alias or a media type; ValueError if none."""
    try:
        return _ALIASES[value.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown RDF format {value!r}: use one of ttl, jsonld, rdfxml, nt") from None


def media_type(fmt: str) -> str:
    return FORMATS[format_name(fmt)][1]


def entry_iri(entry: Dataset | DataService, base: str | None = None) -> URIRef:
    """The subject of a record: its source IRI when it has a usable one, else moisson's own dataset IRI."""
    return URIRef(_subject(entry, base))


def moisson_iri(record_id: str, base: str | None = None) -> URIRef:
    return URIRef(_moisson_iri(record_id, base))


def _subject(entry: Dataset | DataService, base: str | None = None) -> str:
    return _iri(entry.uri) or _moisson_iri(entry.id, base)


def _moisson_iri(record_id: str, base: str | None = None) -> str:
    return f"{base_url(base)}/datasets/{_IRI_BAD.sub(_pct, record_id)}"


@dataclass
class CatalogInfo:
    """The dcat:Catalog that holds the aggregate (DCAT-AP makes title, description and publisher mandatory)."""

    uri: str | None = None  # default: {base}/api/catalog
    title: str = "moisson"
    description: str = ("Catalogue national agrégé des données ouvertes des collectivités françaises, moissonné "
                        "depuis leurs portails et normalisé en DCAT-AP 3.")
    publisher: Agent = field(default_factory=lambda: Agent(name="moisson"))
    homepage: str | None = None  # default: {base}/
    languages: list[str] = field(
        default_factory=lambda: ["http://publications.europa.eu/resource/authority/language/FRA"])
    modified: str | None = None


# -- building triples ---------------------------------------------------------------------------------------------


class _Builder:
    """Collects the triples of one record; blank node labels are derived from the record id (deterministic)."""

    def __init__(self, key: str, base: str) -> None:
        self.key = _BNODE_BAD.sub("_", key)
        self.base = base
        self.out: list[PlainTriple] = []
        self._n = 0
        self._typed: set[tuple[Any, Any]] = set()

    def add(self, s: Any, p: Any, o: Any) -> None:
        self.out.append((s, p, o))

    def bnode(self, role: str) -> Blank:
        self._n += 1
        return Blank(f"{role}{self._n}_{self.key}")  # starts with a letter: valid in RDF/XML nodeIDs too

    def typed(self, node: Any, cls: str) -> Any:
        """``node rdf:type cls`` once per record (shared vocabulary nodes recur across distributions)."""
        if (node, cls) not in self._typed:
            self._typed.add((node, cls))
            self.add(node, RDF.type, cls)
        return node

    def text(self, s: Any, p: str, value: str | None, lang: str | None = None) -> None:
        if value is not None and (clean := _clean(value)):
            self.add(s, p, Lit(clean, lang or None))

    def texts(self, s: Any, p: str, value: str | None, translations: dict[str, str]) -> None:
        """The main value untagged (its language is not known) unless a translation repeats it, then tagged ones."""
        if not translations:  # most values: no set to build
            if value is not None and (clean := _clean(value)):
                self.add(s, p, Lit(clean))
            return
        tagged = {(_clean(v), lang) for lang, v in translations.items() if v and _clean(v) and _lang(lang)}
        if value is not None and (clean := _clean(value)) and not any(text == clean for text, _ in tagged):
            self.add(s, p, Lit(clean))
        for text, lang in sorted(tagged, key=lambda t: t[1]):
            self.add(s, p, Lit(text, _lang(lang)))

    def date(self, s: Any, p: str, value: str | None) -> None:
        if value and (lit := _date(value)) is not None:
            self.add(s, p, lit)

    def resource(self, s: Any, p: str, value: str | None, cls: str, label_when_text: bool = True) -> None:
        """An IRI typed ``cls``; free text becomes a typed blank node labelled with it (no information lost)."""
        if not value:
            return
        node = _iri(value)
        if node is None:
            if not label_when_text or not (clean := _clean(value)):
                return
            node = self.bnode("r")
            self.add(node, RDFS.label, Lit(clean))
        self.typed(node, cls)
        self.add(s, p, node)

    def document(self, s: Any, p: str, value: str | None) -> None:
        if value and (node := _iri(value)) is not None:
            self.add(s, p, self.typed(node, FOAF.Document))


def triples(entry: Dataset | DataService, base: str | None = None, subject: str | None = None) -> list[Triple]:
    """Every triple describing one record, as rdflib terms."""
    return rdflib_triples(terms(entry, base, subject))


def terms(entry: Dataset | DataService, base: str | None = None, subject: str | None = None) -> list[PlainTriple]:
    """Every triple describing one record, in the builder's plain terms (see the module's docstring)."""
    b = _Builder(entry.id, base_url(base))
    s = str(subject) if subject else _subject(entry, b.base)
    if isinstance(entry, Dataset):
        _dataset(b, s, entry)
    else:
        _data_service(b, s, entry)
    return b.out


def _common(b: _Builder, s: str, e: Dataset | DataService) -> None:
    b.texts(s, DCTERMS.title, e.title, e.title_translations)
    b.texts(s, DCTERMS.description, e.description, e.description_translations)
    for keyword in e.keywords:
        b.text(s, DCAT.keyword, keyword)
    for lang, words in e.keyword_translations.items():
        for keyword in words:
            b.text(s, DCAT.keyword, keyword, _lang(lang))
    for theme in e.themes:
        if (node := _iri(theme)) is not None:
            _concept(b, node)
            b.add(s, DCAT.theme, node)
    # Other classifications as GeoDCAT-AP writes them: ISO topic categories geodcatap:topicCategory, concepts of any
    # other scheme (INSPIRE themes, GEMET, HVD categories...) dcat:theme, labelled with the source's words.
    for category in e.categories:
        if (node := _iri(category)) is None:
            b.text(s, DCTERMS.subject, category)
        elif category.startswith(INSPIRE_TOPIC):
            _concept(b, node)
            b.add(s, GEODCATAP.topicCategory, node)
        else:
            _concept(b, node, e.category_labels.get(category))
            b.add(s, DCAT.theme, node)
    if e.publisher is not None:
        b.add(s, DCTERMS.publisher, _agent(b, e.publisher))
    for creator in e.creators:
        b.add(s, DCTERMS.creator, _agent(b, creator))
    for holder in e.rights_holders:
        b.add(s, DCTERMS.rightsHolder, _agent(b, holder))
    for attribution in e.attributions:
        _attribution(b, s, attribution)
    for contact in e.contact_points:
        if (node := _contact(b, contact)) is not None:
            b.add(s, DCAT.contactPoint, node)
    _licence(b, s, e.licence, e.licence_label)
    b.resource(s, DCTERMS.accessRights, e.access_rights, DCTERMS.RightsStatement)
    b.resource(s, DCTERMS.rights, e.rights, DCTERMS.RightsStatement)
    for spatial in e.spatial:
        _spatial(b, s, spatial)
    for period in e.temporal:
        _period(b, s, period)
    b.date(s, DCTERMS.issued, e.issued)
    b.date(s, DCTERMS.modified, e.modified)
    for language in e.languages:
        b.resource(s, DCTERMS.language, language, DCTERMS.LinguisticSystem, label_when_text=False)
    for standard in e.conforms_to:
        _standard(b, s, standard, e.conformity)
    b.document(s, DCAT.landingPage, e.landing_page)
    for identifier in e.identifiers:
        b.text(s, DCTERMS.identifier, identifier)
    # GeoDCAT-AP and ckanext-dcat fidelity (issue 19)
    b.date(s, DCTERMS.created, e.created)
    _coded(b, s, GEODCATAP.resourceType, e.resource_type)
    for system in e.reference_systems:
        b.resource(s, GEODCATAP.referenceSystem, system, DCTERMS.Standard)
    b.texts(s, GEODCATAP.purpose, e.purpose, e.purpose_translations)
    for conformity in e.conformity:
        _conformity(b, s, conformity)
    for legislation in e.applicable_legislation:
        b.resource(s, DCATAP.applicableLegislation, legislation, ELI.LegalResource, label_when_text=False)
    for page in e.documentation:
        b.document(s, FOAF.page, page)
    for reference in e.is_referenced_by:
        if (node := _iri(reference)) is not None:
            b.add(s, DCTERMS.isReferencedBy, node)
    if e.metadata_record is not None:
        _metadata_record(b, s, e.metadata_record)
    _same_and_source(b, s, e)


def _same_and_source(b: _Builder, s: str, e: Dataset | DataService) -> None:
    """Issue 14 (duplicates): other IRIs of the same resource -- what the source says, and in moisson's own export the
    copies of a cluster on other portals -- as ``owl:sameAs`` plus an ``adms:identifier`` each (what DCAT-AP
    harvesters such as data.europa.eu compare); what it was copied from as ``dct:source``, a dcat:Dataset in DCAT-AP."""
    for value in e.same_as:
        if (node := _iri(value)) is not None and node != s:
            b.add(s, OWL.sameAs, node)
            identifier = b.typed(b.bnode("sameas"), ADMS.Identifier)
            b.add(identifier, SKOS.notation, _normal(node, XSD.anyURI))
            b.add(s, ADMS.identifier, identifier)
    for value in e.derived_from:
        if (node := _iri(value)) is not None and node != s:
            b.add(s, DCTERMS.source, b.typed(node, DCAT.Dataset))


def _dataset(b: _Builder, s: str, d: Dataset) -> None:
    b.add(s, RDF.type, DCAT.Dataset)
    if d.type == "series":  # DCAT 3: a series is a dataset; saying both keeps DCAT 2 harvesters seeing it
        b.add(s, RDF.type, DCAT.DatasetSeries)
    _common(b, s, d)
    b.resource(s, DCTERMS.accrualPeriodicity, d.frequency, DCTERMS.Frequency, label_when_text=False)
    b.text(s, DCAT.version, d.version)
    if d.provenance:  # GeoDCAT-AP: the lineage as the statement's dct:description, in each language given
        node = b.bnode("provenance")
        b.add(node, RDF.type, DCTERMS.ProvenanceStatement)
        b.texts(node, DCTERMS.description, d.provenance, d.provenance_translations)
        b.add(s, DCTERMS.provenance, node)
    for series in d.in_series:
        b.add(s, DCAT.inSeries, _iri(series) or _moisson_iri(series, b.base))
    for category in d.hvd_categories:
        if (node := _iri(category)) is not None:
            b.add(s, DCATAP.hvdCategory, node)
    if d.spatial_resolution_m is not None:
        b.add(s, DCAT.spatialResolutionInMeters, _decimal(d.spatial_resolution_m))
    if d.spatial_resolution_scale:  # GeoDCAT-AP: an equivalent scale is a quality measurement (1:50000 -> 0.00002)
        measure = b.bnode("measure")
        b.add(measure, RDF.type, DQV.QualityMeasurement)
        b.add(measure, DQV.isMeasurementOf, b.typed(GEODCATAP.spatialResolutionAsScale, DQV.Metric))
        b.add(measure, DQV.value, _decimal(1 / d.spatial_resolution_scale))
        b.add(s, DQV.hasQualityMeasurement, measure)
    if d.temporal_resolution:
        b.add(s, DCAT.temporalResolution, _normal(d.temporal_resolution, XSD.duration))
    for index, dist in enumerate(d.distributions):
        b.add(s, DCAT.distribution, _distribution(b, s, dist, index, d))


def _data_service(b: _Builder, s: str, d: DataService) -> None:
    b.add(s, RDF.type, DCAT.DataService)
    _common(b, s, d)
    for url in d.endpoint_urls:
        if (node := _iri(url)) is not None:
            b.add(s, DCAT.endpointURL, b.typed(node, RDFS.Resource))
    if d.endpoint_description and (node := _iri(d.endpoint_description)) is not None:
        b.add(s, DCAT.endpointDescription, b.typed(node, RDFS.Resource))
    for dataset in d.serves_datasets:
        b.add(s, DCAT.servesDataset, _iri(dataset) or _moisson_iri(dataset, b.base))
    _coded(b, s, GEODCATAP.serviceType, d.service_type_uri)
    for category in d.service_categories:
        _coded(b, s, GEODCATAP.serviceCategory, category)
    b.resource(s, GEODCATAP.serviceProtocol, d.protocol, DCTERMS.Standard, label_when_text=False)


def _distribution(b: _Builder, dataset: str, d: Distribution, index: int, owner: Dataset) -> Any:
    node = _iri(d.uri) or f"{_strip_fragment(dataset)}#distribution-{index + 1}"
    b.add(node, RDF.type, DCAT.Distribution)
    b.texts(node, DCTERMS.title, d.title, d.title_translations)
    b.texts(node, DCTERMS.description, d.description, d.description_translations)
    # DCAT-AP: accessURL is mandatory; for a file it is the download URL itself (the model's documented fallback).
    access = _iri(d.access_url) or _iri(d.download_url)
    if access is not None:
        b.add(node, DCAT.accessURL, access)
    if (download := _iri(d.download_url)) is not None:
        b.add(node, DCAT.downloadURL, download)
    b.resource(node, DCTERMS.format, d.format or d.format_label, DCTERMS.MediaTypeOrExtent)
    b.resource(node, DCAT.mediaType, d.media_type, DCTERMS.MediaType, label_when_text=False)
    b.resource(node, DCAT.compressFormat, d.compress_format, DCTERMS.MediaType, label_when_text=False)
    # DCAT-AP puts the licence on distributions (a dataset has none in the profile): the dataset's licence applies
    # to those that state none of their own, as CKAN's DCAT export also does. The dataset keeps it too.
    if d.licence or d.licence_label:
        _licence(b, node, d.licence, d.licence_label)
    else:
        _licence(b, node, owner.licence, owner.licence_label)
    b.resource(node, DCTERMS.accessRights, d.access_rights, DCTERMS.RightsStatement)
    b.resource(node, DCTERMS.rights, d.rights, DCTERMS.RightsStatement)
    if d.byte_size is not None and d.byte_size >= 0:
        b.add(node, DCAT.byteSize, Lit(str(d.byte_size), None, XSD.nonNegativeInteger))  # an int's str: canonical
    _checksum(b, node, d.checksum)
    b.date(node, DCTERMS.issued, d.issued)
    b.date(node, DCTERMS.modified, d.modified)
    for language in d.languages:
        b.resource(node, DCTERMS.language, language, DCTERMS.LinguisticSystem, label_when_text=False)
    standards = list(d.conforms_to)
    for standard in standards:
        b.resource(node, DCTERMS.conformsTo, standard, DCTERMS.Standard)
    if d.schema_ is not None:
        _schema(b, node, d.schema_, standards)
    if d.access_service is not None:
        b.add(node, DCAT.accessService, _access_service(b, d.access_service))
    if d.status and (status := _iri(d.status)) is not None:
        _concept(b, status)
        b.add(node, ADMS.status, status)
    _coded(b, node, ADMS.representationTechnique, d.representation_technique)
    if d.character_encoding:
        b.add(node, CNT.characterEncoding, Lit(d.character_encoding, None, XSD.string))
    for page in d.documentation:
        b.document(node, FOAF.page, page)
    for legislation in d.applicable_legislation:
        b.resource(node, DCATAP.applicableLegislation, legislation, ELI.LegalResource, label_when_text=False)
    if d.temporal_resolution:
        b.add(node, DCAT.temporalResolution, _normal(d.temporal_resolution, XSD.duration))
    if d.spatial_resolution_m is not None:
        b.add(node, DCAT.spatialResolutionInMeters, _decimal(d.spatial_resolution_m))
    return node


def _agent(b: _Builder, a: Agent) -> Any:
    node = _iri(a.uri) or b.bnode("agent")
    b.typed(node, FOAF.Agent)
    if a.name != a.uri:  # an agent known only by its IRI has no name to give (the record's gaps say so)
        b.texts(node, FOAF.name, a.name, a.name_translations)
    if a.phone and (digits := re.sub(r"[^\d+]", "", a.phone)):
        b.add(node, FOAF.phone, f"tel:{digits}")
    if a.address is not None:
        _locn_address(b, node, a.address)
    if a.siren:
        b.text(node, DCTERMS.identifier, a.siren)
        ident = b.bnode("id")
        b.add(ident, RDF.type, ADMS.Identifier)
        b.add(ident, SKOS.notation, Lit(a.siren))
        b.add(ident, ADMS.schemaAgency, Lit("INSEE (répertoire SIRENE)", "fr"))
        b.add(node, ADMS.identifier, ident)
    if a.type and (kind := _iri(a.type)) is not None:
        _concept(b, kind)
        b.add(node, DCTERMS.type, kind)
    if a.email and (mbox := _mailto(a.email)) is not None:
        b.add(node, FOAF.mbox, mbox)
    b.document(node, FOAF.homepage, a.homepage)
    return node


def _contact(b: _Builder, c: ContactPoint) -> Any | None:
    if not (c.name or c.email or c.phone or c.url):
        return None
    node = b.bnode("contact")
    b.add(node, RDF.type, VCARD.Kind)
    b.texts(node, VCARD.fn, c.name, c.name_translations)
    if c.address is not None:
        address = b.bnode("address")
        b.add(address, RDF.type, VCARD.Address)
        for prop, value in ((VCARD["street-address"], c.address.street), (VCARD.locality, c.address.locality),
                            (VCARD["postal-code"], c.address.postal_code), (VCARD.region, c.address.region),
                            (VCARD["country-name"], c.address.country)):
            b.text(address, prop, value)
        b.add(node, VCARD.hasAddress, address)
    if c.email and (mbox := _mailto(c.email)) is not None:
        b.add(node, VCARD.hasEmail, mbox)
    if c.phone and (digits := re.sub(r"[^\d+]", "", c.phone)):
        b.add(node, VCARD.hasTelephone, f"tel:{digits}")
    if c.url and (url := _iri(c.url)) is not None:
        b.add(node, VCARD.hasURL, url)
    return node


def _licence(b: _Builder, s: Any, uri: str | None, label: str | None) -> None:
    if (node := _iri(uri)) is not None:
        b.add(s, DCTERMS.license, b.typed(node, DCTERMS.LicenseDocument))
    elif label:  # a licence nobody could map: keep the source's words on a licence node
        b.resource(s, DCTERMS.license, label, DCTERMS.LicenseDocument)


def _spatial(b: _Builder, s: Any, sp: Spatial) -> None:
    node = _iri(sp.uri) or b.bnode("location")
    b.typed(node, DCTERMS.Location)
    b.text(node, SKOS.prefLabel, sp.label)
    if sp.geometry and (wkt := geojson_to_wkt(sp.geometry)):
        geometry = b.bnode("geometry")
        b.add(geometry, RDF.type, LOCN.Geometry)
        b.add(geometry, GSP.asWKT, Lit(wkt, None, GSP.wktLiteral))
        b.add(node, LOCN.geometry, geometry)
    if sp.bbox:
        b.add(node, DCAT.bbox, Lit(bbox_to_wkt(sp.bbox), None, GSP.wktLiteral))
    b.add(s, DCTERMS.spatial, node)
    # INSEE territories with the INSEE ontology's own terms (their current IRIs are opaque ids, not codes).
    for kind, codes in ((IGEO.Commune, sp.communes), (IGEO.Departement, sp.departements), (IGEO.Region, sp.regions)):
        for code in codes:
            area = b.bnode("insee")
            b.add(area, RDF.type, DCTERMS.Location)
            b.add(area, RDF.type, kind)
            b.add(area, IGEO.codeINSEE, _normal(code, XSD.token))
            b.add(s, DCTERMS.spatial, area)


def _period(b: _Builder, s: Any, p: PeriodOfTime) -> None:
    start = _date(p.start) if p.start else None
    end = _date(p.end) if p.end else None
    if start is None and end is None:
        return
    node = b.bnode("period")
    b.add(node, RDF.type, DCTERMS.PeriodOfTime)
    if start is not None:
        b.add(node, DCAT.startDate, start)
    if end is not None:
        b.add(node, DCAT.endDate, end)
    b.add(s, DCTERMS.temporal, node)


def _checksum(b: _Builder, s: Any, value: str | None) -> None:
    """spdx:Checksum needs an algorithm and a hex value; a checksum we cannot read that way is left out."""
    if not value:
        return
    algo, _, digest = value.strip().rpartition(":") if ":" in value else ("", "", value.strip())
    algo = algo.strip().lower()
    digest = digest.strip()
    if not _HEX.match(digest):
        return
    name = _SPDX_ALGORITHMS.get(algo) if algo else _HEX_LENGTHS.get(len(digest))
    if name is None:
        return
    node = b.bnode("checksum")
    algorithm = SPDX[f"checksumAlgorithm_{name}"]
    b.add(node, RDF.type, SPDX.Checksum)
    b.add(node, SPDX.algorithm, b.typed(algorithm, SPDX.ChecksumAlgorithm))
    b.add(node, SPDX.checksumValue, _normal(digest.lower(), XSD.hexBinary))
    b.add(s, SPDX.checksum, node)


def _schema(b: _Builder, s: Any, schema: SchemaRef, already: list[str]) -> None:
    if schema.url:
        if schema.url not in already:
            b.resource(s, DCTERMS.conformsTo, schema.url, DCTERMS.Standard)
        return
    if not schema.name:
        return
    node = b.bnode("standard")
    b.add(node, RDF.type, DCTERMS.Standard)
    b.text(node, DCTERMS.title, schema.name)
    b.text(node, OWL.versionInfo, schema.version)
    b.add(s, DCTERMS.conformsTo, node)


def _access_service(b: _Builder, a: AccessService) -> Any:
    node = b.bnode("service")
    b.add(node, RDF.type, DCAT.DataService)
    b.text(node, DCTERMS.title, a.title)
    if (endpoint := _iri(a.endpoint_url)) is not None:
        b.add(node, DCAT.endpointURL, b.typed(endpoint, RDFS.Resource))
    if a.endpoint_description and (description := _iri(a.endpoint_description)) is not None:
        b.add(node, DCAT.endpointDescription, b.typed(description, RDFS.Resource))
    for standard in a.conforms_to:
        b.resource(node, DCTERMS.conformsTo, standard, DCTERMS.Standard)
    b.resource(node, GEODCATAP.serviceProtocol, a.protocol, DCTERMS.Standard, label_when_text=False)
    return node


def _locn_address(b: _Builder, node: Any, address: Address) -> None:
    """An agent's address as GeoDCAT-AP writes it (ISA Core Location: locn:Address)."""
    out = b.bnode("address")
    b.add(out, RDF.type, LOCN.Address)
    for prop, value in ((LOCN.thoroughfare, address.street), (LOCN.postName, address.locality),
                        (LOCN.postCode, address.postal_code), (LOCN.adminUnitL2, address.region),
                        (LOCN.adminUnitL1, address.country)):
        b.text(out, prop, value)
    b.add(node, LOCN.address, out)


def _attribution(b: _Builder, s: Any, attribution: Attribution) -> None:
    """prov:qualifiedAttribution with the agent's INSPIRE role; GeoDCAT-AP's role properties (custodian, user...)
    besides. Publisher, owner, author and point of contact have DCAT properties of their own (see _common)."""
    node = b.bnode("attribution")
    agent = _agent(b, attribution.agent)
    b.add(node, RDF.type, PROV.Attribution)
    b.add(node, PROV.agent, agent)
    role = INSPIRE_ROLE + attribution.role
    b.add(node, DCAT.hadRole, b.typed(role, DCAT.Role))
    b.add(s, PROV.qualifiedAttribution, node)
    if attribution.role in ROLE_PROPERTIES:
        b.add(s, ROLE_PROPERTIES[attribution.role], agent)


def _standard(b: _Builder, s: Any, standard: str, conformity: list[Conformity]) -> None:
    """dct:conformsTo: an IRI, or a dct:Standard with the title (and date) a conformity statement gives."""
    if (node := _iri(standard)) is not None:
        b.add(s, DCTERMS.conformsTo, b.typed(node, DCTERMS.Standard))
        return
    statement = next((c for c in conformity if c.title == standard), None)
    node = b.bnode("standard")
    b.add(node, RDF.type, DCTERMS.Standard)
    b.text(node, DCTERMS.title, standard, _lang(statement.title_language or "") if statement else None)
    if statement is not None:
        b.date(node, DCTERMS.issued, statement.date)
    b.add(s, DCTERMS.conformsTo, node)


def _conformity(b: _Builder, s: Any, c: Conformity) -> None:
    """A conformity statement as GeoDCAT-AP writes it: the activity of testing the resource against a plan derived
    from the specification, which generated a result of an INSPIRE degree of conformity."""
    activity, result, association, plan = (b.bnode(r) for r in ("activity", "result", "association", "plan"))
    b.add(activity, RDF.type, PROV.Activity)
    b.add(activity, PROV.used, s)
    b.add(result, RDF.type, PROV.Entity)
    degree = INSPIRE_DEGREE + c.degree
    _concept(b, degree)
    b.add(result, DCTERMS.type, degree)
    b.texts(result, DCTERMS.description, c.explanation, c.explanation_translations)
    b.add(activity, PROV.generated, result)
    b.add(association, RDF.type, PROV.Association)
    b.add(plan, RDF.type, PROV.Plan)
    if (spec := _iri(c.specification)) is not None:
        b.add(plan, PROV.wasDerivedFrom, b.typed(spec, DCTERMS.Standard))
    else:
        spec_node = b.bnode("specification")
        b.add(spec_node, RDF.type, PROV.Entity)
        b.text(spec_node, DCTERMS.title, c.title, _lang(c.title_language or ""))
        b.date(spec_node, DCTERMS.issued, c.date)
        b.add(plan, PROV.wasDerivedFrom, spec_node)
    b.add(association, PROV.hadPlan, plan)
    b.add(activity, PROV.qualifiedAssociation, association)
    b.add(s, PROV.wasUsedBy, activity)


def _metadata_record(b: _Builder, s: Any, m: MetadataRecord) -> None:
    """The source's metadata record as a dcat:CatalogRecord (foaf:isPrimaryTopicOf), the original ISO record as its
    dct:source. Written only with the date DCAT-AP requires of a catalogue record."""
    if not m.modified or _date(m.modified) is None:
        return
    record = b.bnode("record")
    b.add(record, RDF.type, DCAT.CatalogRecord)
    b.add(record, FOAF.primaryTopic, b.typed(s, DCAT.Resource))  # DCAT-AP's shape checks the class, not subclasses
    b.add(record, DCTERMS.conformsTo, b.typed(GEODCAT_AP, DCTERMS.Standard))
    b.text(record, DCTERMS.identifier, m.identifier)
    b.date(record, DCTERMS.modified, m.modified)
    b.resource(record, DCTERMS.language, m.language, DCTERMS.LinguisticSystem, label_when_text=False)
    for contact in m.contact_points:
        if (node := _contact(b, contact)) is not None:
            b.add(record, DCAT.contactPoint, node)
    for attribution in m.attributions:
        node = b.bnode("attribution")
        b.add(node, RDF.type, PROV.Attribution)
        b.add(node, PROV.agent, _agent(b, attribution.agent))
        b.add(node, DCAT.hadRole, b.typed(INSPIRE_ROLE + attribution.role, DCAT.Role))
        b.add(record, PROV.qualifiedAttribution, node)
    source = b.bnode("source")  # the ISO record itself: a catalogue record of the same resource, as DCAT-AP wants
    b.add(source, RDF.type, DCAT.CatalogRecord)
    b.add(source, FOAF.primaryTopic, s)
    b.date(source, DCTERMS.modified, m.modified[:10])
    if m.character_encoding:
        b.add(source, CNT.characterEncoding, Lit(m.character_encoding, None, XSD.string))
    if m.standard:
        standard = b.bnode("standard")
        b.add(standard, RDF.type, DCTERMS.Standard)
        b.text(standard, DCTERMS.title, m.standard)
        b.text(standard, OWL.versionInfo, m.standard_version)
        b.add(source, DCTERMS.conformsTo, standard)
    b.add(record, DCTERMS.source, source)
    b.add(s, FOAF.isPrimaryTopicOf, record)


def _coded(b: _Builder, s: Any, p: str, value: str | None) -> None:
    """A code list value (INSPIRE resource type, service type, representation...) as a labelled skos:Concept."""
    if value and (node := _iri(value)) is not None:
        _concept(b, node)
        b.add(s, p, node)


def _decimal(value: float) -> Lit:
    return Lit(format(Decimal(repr(float(value))), "f"), None, XSD.decimal)


@lru_cache(maxsize=16384)
def _normal(value: str, datatype: str) -> Lit:
    """A typed literal in the lexical form rdflib gives it (a token's spaces collapsed, an integer's leading zeros
    dropped...): what the builder used to write when it made rdflib Literals, so its output stays the same."""
    return Lit(str(Literal(value, datatype=URIRef(datatype))), None, datatype)


def _concept(b: _Builder, node: str, label: str | None = None) -> None:
    """A skos:Concept with the prefLabel DCAT-AP requires: the official labels of EU data themes (from
    :mod:`normalise.vocab`), else the label the source gave, else the IRI's last segment in words (ADMS publisher
    types: "LocalAuthority")."""
    if (node, SKOS.Concept) in b._typed:
        return
    b.typed(node, SKOS.Concept)
    for lit in _concept_labels(node, label):
        b.add(node, SKOS.prefLabel, lit)


@lru_cache(maxsize=4096)
def _concept_labels(node: str, label: str | None) -> tuple[Lit, ...]:
    """A concept's prefLabels, worked out once per concept (a few hundred themes and codes recur in every page)."""
    labels = [(lang, text) for lang in ("en", "fr") if (text := vocab.theme_label(str(node), lang))]
    if labels:
        return tuple(Lit(text, lang) for lang, text in labels)
    if label and (clean := _clean(label)):
        return (Lit(clean),)
    code = str(node).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return (Lit(_CAMEL.sub(" ", code).replace("_", " ") or node),)


# -- graphs and serialisations ------------------------------------------------------------------------------------


def new_graph() -> Graph:
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def catalog_triples(info: CatalogInfo, members: Iterable[tuple[str, str]], base: str | None = None,
                    ) -> tuple[str, list[PlainTriple]]:
    """The dcat:Catalog of the aggregate and its dcat:dataset / dcat:service links to ``(subject, kind)``."""
    root = base_url(base)
    b = _Builder("catalog", root)
    node = str(info.uri or f"{root}/api/catalog")
    b.add(node, RDF.type, DCAT.Catalog)
    b.text(node, DCTERMS.title, info.title)
    b.text(node, DCTERMS.description, info.description)
    # an IRI for the aggregate's publisher (moisson itself): a harvester merging the pages then sees one publisher,
    # not one blank node per page (DCAT-AP allows one)
    publisher = info.publisher
    if not publisher.uri:
        publisher = publisher.model_copy(update={"uri": f"{root}/#publisher"})
    b.add(node, DCTERMS.publisher, _agent(b, publisher))
    b.document(node, FOAF.homepage, info.homepage or f"{root}/")
    for language in info.languages:
        b.resource(node, DCTERMS.language, language, DCTERMS.LinguisticSystem, label_when_text=False)
    b.date(node, DCTERMS.modified, info.modified)
    for subject, kind in members:
        b.add(node, DCAT.service if kind == "service" else DCAT.dataset, str(subject))
    return node, b.out


def hydra_triples(collection: str, view: str, total: int, *, first: str | None = None,
                  next: str | None = None, previous: str | None = None, last: str | None = None,
                  ) -> list[PlainTriple]:
    """Hydra paging of a catalog: the collection's size and this page's first/next/previous/last links (the
    vocabulary udata and data.europa.eu harvesters follow)."""
    collection, view = str(collection), str(view)
    out: list[PlainTriple] = [
        (collection, RDF.type, HYDRA.Collection),
        (collection, HYDRA.totalItems, Lit(str(int(total)), None, XSD.integer)),
        (collection, HYDRA.view, view),
        (view, RDF.type, HYDRA.PartialCollectionView),
    ]
    for predicate, url in ((HYDRA.first, first), (HYDRA.next, next), (HYDRA.previous, previous),
                           (HYDRA.last, last)):
        if url:
            out.append((view, predicate, str(url)))
    return out


def described_terms(entries: Iterable[Dataset | DataService], base: str | None = None,
                    ) -> Iterator[tuple[Dataset | DataService, str, list[PlainTriple]]]:
    """Each record with its subject and triples, in the builder's plain terms. Two records of one batch claiming the
    same source IRI (a dataset harvested from two portals) must not merge into one resource, so the later one takes
    its moisson IRI."""
    seen: set[str] = set()
    for entry in entries:
        subject = _subject(entry, base)
        if subject in seen:
            subject = _moisson_iri(entry.id, base)
        seen.add(subject)
        yield entry, subject, terms(entry, base, subject)


def described(entries: Iterable[Dataset | DataService], base: str | None = None,
              ) -> Iterator[tuple[Dataset | DataService, URIRef, list[Triple]]]:
    """:func:`described_terms` as rdflib terms (what SHACL validates)."""
    for entry, subject, entry_terms in described_terms(entries, base):
        yield entry, _uri(subject), rdflib_triples(entry_terms)


def to_graph(entries: Iterable[Dataset | DataService], catalog: CatalogInfo | None = None, *,
             base: str | None = None, graph: Graph | None = None) -> Graph:
    """One rdflib graph describing the records (and, when ``catalog`` is given, the dcat:Catalog listing them)."""
    graph = graph if graph is not None else new_graph()
    graph.addN((*triple, graph) for triple in rdflib_triples(_all_terms(entries, catalog, base)))
    return graph


def _all_terms(entries: Iterable[Dataset | DataService], catalog: CatalogInfo | None,
               base: str | None) -> list[PlainTriple]:
    out: list[PlainTriple] = []
    members: list[tuple[str, str]] = []
    for entry, subject, entry_terms in described_terms(entries, base):
        out.extend(entry_terms)
        members.append((subject, entry.kind))
    if catalog is not None:
        out.extend(catalog_triples(catalog, members, base)[1])
    return out


def serialise(entries: Iterable[Dataset | DataService] | Dataset | DataService, fmt: str, *,
              catalog: CatalogInfo | None = None, base: str | None = None, pretty: bool = True) -> bytes:
    """Records as DCAT-AP in ``fmt`` (turtle | json-ld | xml | nt, or an alias: ttl, jsonld, rdfxml).

    ``pretty`` (default) lets rdflib nest blank nodes, which reads best for one record; pass False for many
    records, the flat writers are several times faster."""
    if isinstance(entries, Dataset | DataService):
        entries = [entries]
    return render(_all_terms(entries, catalog, base), fmt, pretty=pretty)


def render(source: Iterable[PlainTriple], fmt: str, *, pretty: bool = False) -> bytes:
    """One complete document from the builder's triples: flat and fast, or ``pretty`` through an rdflib graph."""
    name = format_name(fmt)
    if pretty and name != "nt":
        graph = new_graph()
        graph.addN((*triple, graph) for triple in rdflib_triples(source))
        return serialise_graph(graph, name)
    triples_list = list(source)
    return _open(name) + _body(name, triples_list, first=True) + _close(name)


def serialise_graph(graph: Graph, fmt: str) -> bytes:
    """An rdflib graph in ``fmt`` with moisson's prefixes (JSON-LD compacted with them as context)."""
    name = format_name(fmt)
    if name == "json-ld":
        data = graph.serialize(format="json-ld", context=_context(), auto_compact=True)
        return data.encode() if isinstance(data, str) else data
    return graph.serialize(format=FORMATS[name][0], encoding="utf-8")


def ntriples(source: Iterable[PlainTriple]) -> str:
    """N-Triples, one line per triple, written straight from the builder's terms (no rdflib object on the way: the
    catalog walk's fast path). Each term's text is looked up first: predicates, classes, vocabulary IRIs and the
    record's own subjects recur from line to line."""
    known, write = _NT_TEXT.get, _nt_term
    return "".join([f"{known(s) or write(s)} {known(p) or write(p)} {known(o) or write(o)} .\n"
                    for s, p, o in source])


def rdflib_triples(source: Iterable[PlainTriple]) -> list[Triple]:
    term = rdflib_term
    return [(term(s), _uri(p), term(o)) for s, p, o in source]


def rdflib_term(term: Term) -> Any:
    """The rdflib term of a builder's term. The literal's lexical form is kept as the builder wrote it (it is
    already in rdflib's normal form: see :func:`_normal`, :func:`_date`)."""
    kind = term.__class__
    if kind is Lit:
        return Literal(term.value, lang=term.lang, datatype=_uri(term.datatype) if term.datatype else None,  # type: ignore[union-attr]
                       normalize=False)
    if kind is Blank:
        return BNode(term.label)  # type: ignore[union-attr]
    return _uri(term)  # type: ignore[arg-type]


@lru_cache(maxsize=65536)
def _uri(value: str) -> URIRef:
    return URIRef(value)


def iter_serialise(entries: Iterable[Dataset | DataService], fmt: str, *, catalog: CatalogInfo | None = None,
                   base: str | None = None, batch: int = 500) -> Iterator[bytes]:
    """A whole export as a stream of byte chunks, ``batch`` records at a time, whatever the number of records.

    The document is opened once (prefixes, the RDF/XML root element, the JSON-LD ``@graph`` array), each batch's
    descriptions are appended as they are built, and the catalog node comes last with its links to every record
    (kept as IRIs only, a few dozen bytes per record)."""
    name = format_name(fmt)
    members: list[tuple[str, str]] = []
    pending: list[Dataset | DataService] = []
    first = True
    yield _open(name)

    def flush() -> bytes:
        batch_described = list(described_terms(pending, base))
        members.extend((subject, entry.kind) for entry, subject, _ in batch_described)
        pending.clear()
        return _body(name, [t for _, _, ts in batch_described for t in ts], first=first)

    for entry in entries:
        pending.append(entry)
        if len(pending) >= batch:
            yield flush()
            first = False
    if pending:
        yield flush()
        first = False
    if catalog is not None:
        yield _body(name, catalog_triples(catalog, members, base)[1], first=first)
    yield _close(name)


# -- flat writers: one subject block per node, prefixed names, no nesting; valid Turtle / JSON-LD / RDF/XML -------

_LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NS_LONGEST = sorted(((str(ns), prefix) for prefix, ns in PREFIXES.items()), key=lambda t: -len(t[0]))


@lru_cache(maxsize=8192)
def _qname(iri: str) -> str | None:
    for namespace, prefix in _NS_LONGEST:
        if iri.startswith(namespace) and _LOCAL.fullmatch(iri[len(namespace):]):
            return f"{prefix}:{iri[len(namespace):]}"
    return None


def _grouped(source: Iterable[PlainTriple]) -> dict[Any, dict[str, dict[Any, None]]]:
    """subject -> predicate -> objects, in first-seen order, duplicates dropped."""
    groups: dict[Any, dict[str, dict[Any, None]]] = {}
    for s, p, o in source:
        groups.setdefault(s, {}).setdefault(p, {})[o] = None
    return groups


def _open(name: str) -> bytes:
    if name == "turtle":
        return "".join(f"@prefix {prefix}: <{ns}> .\n" for prefix, ns in PREFIXES.items()).encode() + b"\n"
    if name == "xml":
        return _XML_HEAD.encode()
    if name == "json-ld":
        return ('{"@context":' + orjson.dumps(_context()).decode() + ',"@graph":[').encode()
    return b""


def _body(name: str, chunk: list[PlainTriple], first: bool) -> bytes:
    if name == "nt":
        return ntriples(chunk).encode()
    groups = _grouped(chunk)
    if name == "turtle":
        return "".join(_ttl_block(s, preds) for s, preds in groups.items()).encode()
    if name == "xml":
        return "".join(_xml_block(s, preds) for s, preds in groups.items()).encode()
    nodes = [orjson.dumps(_jsonld_node(s, preds)) for s, preds in groups.items()]
    if not nodes:
        return b""
    return (b"" if first else b",") + b",".join(nodes)


def _close(name: str) -> bytes:
    return {"xml": b"</rdf:RDF>\n", "json-ld": b"]}\n"}.get(name, b"")


def _context() -> dict[str, str]:
    return {prefix: str(ns) for prefix, ns in PREFIXES.items()}


_XML_HEAD = ('<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF\n'
             + "".join(f'   xmlns:{p}="{ns}"\n' for p, ns in PREFIXES.items())
             + ">\n")


_NT_TEXT: dict[Any, str] = {}  # term -> N-Triples text, a bounded memo (emptied when full; dict ops are atomic)
_NT_TEXT_MAX = 50_000


def _nt_iri(value: str) -> str:
    return _NT_TEXT.get(value) or _nt_term(value)


def _nt_term(term: Any) -> str:
    kind = term.__class__
    if kind is Lit:
        text = nt.literal(term.value, term.lang, term.datatype)
    elif kind is Blank:
        text = "_:" + term.label
    else:
        text = nt.iri(term)
    if len(_NT_TEXT) >= _NT_TEXT_MAX:
        _NT_TEXT.clear()
    _NT_TEXT[term] = text
    return text


def _ttl_iri(value: str) -> str:
    return _qname(value) or _nt_iri(value)


def _ttl_term(term: Any) -> str:
    kind = term.__class__
    if kind is Lit:
        text = nt.literal(term.value, term.lang)
        if term.datatype and not term.lang and term.datatype != XSD.string:
            return f"{text}^^{_ttl_iri(term.datatype)}"
        return text
    if kind is Blank:
        return "_:" + term.label
    return _ttl_iri(term)


def _ttl_block(subject: Any, preds: dict[str, dict[Any, None]]) -> str:
    parts = [("a" if p == RDF.type else _ttl_iri(p)) + " " + ", ".join(_ttl_term(o) for o in objs)
             for p, objs in preds.items()]
    return f"{_ttl_term(subject)} " + " ;\n    ".join(parts) + " .\n\n"


def _jsonld_id(term: Any) -> str:
    return "_:" + term.label if term.__class__ is Blank else term


def _jsonld_value(term: Any) -> dict[str, str]:
    if term.__class__ is Lit:
        value = {"@value": term.value}
        if term.lang:
            value["@language"] = term.lang
        elif term.datatype and term.datatype != XSD.string:
            value["@type"] = _qname(term.datatype) or term.datatype
        return value
    return {"@id": _jsonld_id(term)}


def _jsonld_node(subject: Any, preds: dict[str, dict[Any, None]]) -> dict[str, Any]:
    node: dict[str, Any] = {"@id": _jsonld_id(subject)}
    for p, objs in preds.items():
        if p == RDF.type:
            node["@type"] = [_qname(o) or o for o in objs]
        else:
            node[_qname(p) or p] = [_jsonld_value(o) for o in objs]
    return node


def _xml_block(subject: Any, preds: dict[str, dict[Any, None]]) -> str:
    about = (f'rdf:nodeID="{subject.label}"' if subject.__class__ is Blank
             else f'rdf:about="{_xml_attr(subject)}"')
    lines = [f"  <rdf:Description {about}>\n"]
    for p, objs in preds.items():
        tag, declare = _xml_tag(p)
        for o in objs:
            kind = o.__class__
            if kind is Lit:
                attr = f' xml:lang="{o.lang}"' if o.lang else (
                    f' rdf:datatype="{_xml_attr(o.datatype)}"' if o.datatype and o.datatype != XSD.string else "")
                lines.append(f"    <{tag}{declare}{attr}>{_xml_text(o.value)}</{tag}>\n")
            elif kind is Blank:
                lines.append(f'    <{tag}{declare} rdf:nodeID="{o.label}"/>\n')
            else:
                lines.append(f'    <{tag}{declare} rdf:resource="{_xml_attr(o)}"/>\n')
    lines.append("  </rdf:Description>\n")
    return "".join(lines)


def _xml_tag(iri: str) -> tuple[str, str]:
    """A QName for a predicate; one outside moisson's prefixes gets its namespace declared on the element."""
    if (qname := _qname(iri)) is not None:
        return qname, ""
    match = re.search(r"[A-Za-z_][A-Za-z0-9_.-]*$", iri)
    if match is None or match.start() == 0:
        raise ValueError(f"predicate {iri!r} cannot be written in RDF/XML")
    return f"ns0:{match.group()}", f' xmlns:ns0="{_xml_attr(iri[:match.start()])}"'


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attr(text: str) -> str:
    return _xml_text(text).replace('"', "&quot;")


# -- values -------------------------------------------------------------------------------------------------------


def date_literal(value: str) -> Literal | None:
    """xsd:date, xsd:dateTime, xsd:gYear or xsd:gYearMonth as the value's own precision says; None if not a date."""
    lit = _date(value)
    return None if lit is None else rdflib_term(lit)


def _date(value: str) -> Lit | None:
    """:func:`date_literal` in the builder's terms: the source's lexical form kept (a date-time without seconds
    stays so), only a space before the time becomes the T the grammar wants."""
    value = value.strip()
    if _DATE.match(value):
        return Lit(value, None, XSD.date)
    if _DATETIME.match(value):
        return Lit(value.replace(" ", "T", 1), None, XSD.dateTime)
    if _YEAR.match(value):
        return Lit(value, None, XSD.gYear)
    if _YEAR_MONTH.match(value):
        return Lit(value, None, XSD.gYearMonth)
    return None


def bbox_to_wkt(bbox: tuple[float, float, float, float] | list[float]) -> str:
    """WKT of a box; one across the antimeridian (west > east) is a MULTIPOLYGON of its two halves."""
    west, south, east, north = (float(v) for v in bbox)
    return box_wkt((west, south, east, north))


def geojson_to_wkt(geometry: dict[str, Any]) -> str | None:
    """WKT of a GeoJSON geometry (all seven types); None for anything that is not one."""
    try:
        kind = geometry["type"]
        if kind == "GeometryCollection":
            parts = [geojson_to_wkt(g) for g in geometry["geometries"]]
            return None if any(p is None for p in parts) else f"GEOMETRYCOLLECTION({','.join(parts)})"  # type: ignore[arg-type]
        coords = geometry["coordinates"]
        body = {
            "Point": lambda c: _pos(c),
            "MultiPoint": lambda c: ",".join(f"({_pos(p)})" for p in c),
            "LineString": lambda c: _line(c),
            "MultiLineString": lambda c: ",".join(f"({_line(line)})" for line in c),
            "Polygon": lambda c: ",".join(f"({_line(ring)})" for ring in c),
            "MultiPolygon": lambda c: ",".join("(" + ",".join(f"({_line(r)})" for r in poly) + ")" for poly in c),
        }[kind](coords)
        return f"{kind.upper()}({body})"
    except (KeyError, TypeError, ValueError, IndexError):
        return None


def _pos(c: list[float]) -> str:
    return f"{_num(float(c[0]))} {_num(float(c[1]))}"


def _line(coords: list[list[float]]) -> str:
    return ",".join(_pos(c) for c in coords)


def _num(v: float) -> str:
    return repr(v).removesuffix(".0") if v == int(v) and abs(v) < 1e15 else repr(v)


def _pct(m: re.Match[str]) -> str:
    return "".join(f"%{b:02X}" for b in m.group().encode())


def _iri(value: str | None) -> str | None:
    """An absolute IRI (characters IRIs forbid percent-encoded), or None for text or relative references."""
    if not value:
        return None
    value = value.strip()
    if not _SCHEME.match(value):
        return None
    return _IRI_BAD.sub(_pct, value)


def _strip_fragment(iri: str) -> str:
    return iri.split("#", 1)[0]


def _mailto(email: str) -> str | None:
    address = email.strip().removeprefix("mailto:").strip()
    if "@" not in address or " " in address:
        return None
    return "mailto:" + _IRI_BAD.sub(_pct, address)


def _clean(text: str) -> str:
    """Text safe for every serialisation (RDF/XML cannot carry most control characters)."""
    return _XML_BAD.sub("", text).strip()


def _lang(tag: str) -> str | None:
    tag = tag.strip().replace("_", "-")
    return tag if re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", tag) else None
