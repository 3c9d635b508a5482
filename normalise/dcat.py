"""One DCAT record (the N-Triples the DCAT harvester cut out of a catalog) -> Dataset or DataService.

Reads DCAT-AP 2.x and 3, GeoDCAT-AP (locn:geometry and dcat:bbox as WKT, GML or GeoJSON, prov attributions),
DCAT-AP.de (dcatde licences, politicalGeocoding) and the Spanish NTI profile (publisher as a skos:Concept, frequency
as a time:DurationDescription, dct:format as a dct:IMT node).

Why a small N-Triples reader of our own instead of rdflib: the records are our own sorted N-Triples, and rdflib
takes about 20 µs a triple to build a graph (4 ms for a 200-triple record), which alone would eat the whole budget
of 500 records a second per core. Reading the lines into a dict of subject -> predicate -> objects is ten times
faster and is all the mapping needs: every property is a dict lookup, never a query.

Choices worth knowing:

* Texts in several languages: French first, then English, then untagged, then any; every tagged value is kept in
  ``*_translations``. Keywords are the untagged ones plus those in the chosen language.
* Licence: a licence node's ``skos:exactMatch``/``owl:sameAs`` (DCAT-AP HVD points a local licence page at the EU
  URI that way) is tried before the node's IRI and its label. An IRI the vocabulary does not know stays the
  licence (it identifies a licence document); a label it does not know is kept as ``licence_label`` only.
* SIREN: read from the publisher's identifiers only for French records (French text or language, or an identifier
  that says SIREN/SIRET), because other countries have 9-digit company numbers that may pass the Luhn check.
* Themes: dcat:theme, dct:subject and GeoDCAT topic categories go through vocab.themes; their IRIs that are not EU
  data themes are kept in ``categories``; theme labels no vocabulary knows become keywords rather than being lost.
* Spatial: every geometry encoding of a location (GeoDCAT repeats the same extent as WKT, GML and GeoJSON) gives
  one Spatial with the union box; coordinates outside WGS84 ranges (a projected CRS) give no box rather than a
  wrong one. INSEE codes come from id.insee.fr-style IRIs, else from the box, else from the place name.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any, NamedTuple

import orjson

from kernel.config import PublisherHint
from kernel.ntriples import unescape
from kernel.records import RawRecord
from normalise import NormaliseError, territory, vocab
from normalise.common import Box, bbox_of, geojson_positions, publisher_from_hint, recommended_gaps
from normalise.geometry import box_geojson
from normalise.model import (
    AccessService,
    Agent,
    ContactPoint,
    DataService,
    Dataset,
    Distribution,
    PeriodOfTime,
    SchemaRef,
    Spatial,
    entry_id,
)

# -- vocabularies --------------------------------------------------------------------------------------------------

RDF_ = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ADMS = "http://www.w3.org/ns/adms#"
OWL = "http://www.w3.org/2002/07/owl#"
LOCN = "http://www.w3.org/ns/locn#"
SCHEMA = "http://schema.org/"
TIME = "http://www.w3.org/2006/time#"
SPDX = "http://spdx.org/rdf/terms#"
DCATAP = "http://data.europa.eu/r5r/"
GEODCAT = "http://data.europa.eu/930/"
ORG = "http://www.w3.org/ns/org#"

TYPE = RDF_ + "type"
DATASET, SERIES, SERVICE = DCAT + "Dataset", DCAT + "DatasetSeries", DCAT + "DataService"
NAME_PROPERTIES = (FOAF + "name", SKOS + "prefLabel", VCARD + "fn", VCARD + "organization-name", RDFS + "label",
                   DCT + "title")
LABEL_PROPERTIES = (RDFS + "label", SKOS + "prefLabel", DCT + "title", FOAF + "name", DCT + "description",
                    LOCN + "geographicName")
DATE_VALUE_PROPERTIES = (TIME + "inXSDDateTimeStamp", TIME + "inXSDDateTime", TIME + "inXSDDate",
                         TIME + "inXSDgYear", TIME + "inXSDgYearMonth")
DURATION_UNITS = ((TIME + "years", "Y"), (TIME + "months", "M"), (TIME + "weeks", "W"), (TIME + "days", "D"),
                  (TIME + "hours", "TH"), (TIME + "minutes", "TM"), (TIME + "seconds", "TS"))
MAX_KEPT_POSITIONS = 500  # larger geometries are kept as their box: a commune outline does not belong in a record


# -- a minimal N-Triples reader ------------------------------------------------------------------------------------


class Iri(str):
    """An IRI (a plain str, typed so that literals and nodes can be told apart)."""

    __slots__ = ()


class Blank(str):
    """A blank node, its label kept with the "_:" prefix so that it never equals an IRI."""

    __slots__ = ()


class Lit(NamedTuple):
    value: str
    lang: str | None = None
    datatype: str | None = None


Term = Iri | Blank | Lit
Graph = dict[str, dict[str, list[Term]]]

_TRIPLE = re.compile(r'^[ \t]*(<[^>]*>|_:\S+)[ \t]+<([^>]*)>[ \t]+(<[^>]*>|_:\S+|"(?:[^"\\\n]|\\.)*"'
                     r'(?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?)[ \t]*\.[ \t]*\r?$', re.MULTILINE)


def _term(text: str) -> Term:
    if text[0] == "<":
        return Iri(unescape(text[1:-1]))
    if text[0] == "_":
        return Blank(text)
    end = text.rindex('"')
    value = unescape(text[1:end])
    suffix = text[end + 1:]
    if suffix.startswith("@"):
        return Lit(value, suffix[1:].lower())
    if suffix.startswith("^^"):
        return Lit(value, None, unescape(suffix[3:-1]))
    return Lit(value)


def read_ntriples(content: bytes) -> Graph:
    """N-Triples -> {subject: {predicate: [objects]}}; raises NormaliseError on a line that is not a triple.

    One regular-expression scan of the whole text, terms parsed once each (subjects and shared objects repeat)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NormaliseError(f"record is not UTF-8 N-Triples ({exc})") from None
    graph: Graph = {}
    terms: dict[str, Term] = {}
    count = 0
    for subject, predicate, obj in _TRIPLE.findall(text):
        count += 1
        s = terms.get(subject) or terms.setdefault(subject, _term(subject))
        o = terms.get(obj) or terms.setdefault(obj, _term(obj))
        props = graph.get(s)
        if props is None:
            props = graph[s] = {}
        props.setdefault(unescape(predicate), []).append(o)
    lines = text.count("\n") + (not text.endswith("\n"))
    if count != lines:  # blank lines and comments are allowed; anything else is not a statement
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip() and not line.lstrip().startswith("#") and not _TRIPLE.match(line):
                raise NormaliseError(f"line {number} of the record is not an N-Triples statement: {line[:120]!r}")
    return graph


# -- reading helpers -----------------------------------------------------------------------------------------------


class Record:
    """A record's graph with the accessors the mapping needs; every one is a dict lookup."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._empty: dict[str, list[Term]] = {}

    def props(self, node: Term) -> dict[str, list[Term]]:
        return self.graph.get(node, self._empty) if not isinstance(node, Lit) else self._empty

    def objects(self, node: Term, *predicates: str) -> list[Term]:
        props = self.props(node)
        if len(predicates) == 1:
            return props.get(predicates[0], [])
        return [o for p in predicates for o in props.get(p, [])]

    def nodes(self, node: Term, *predicates: str) -> list[Term]:
        return [o for o in self.objects(node, *predicates) if not isinstance(o, Lit)]

    def iris(self, node: Term, *predicates: str) -> list[str]:
        return _unique(str(o) for o in self.objects(node, *predicates) if isinstance(o, Iri))

    def types(self, node: Term) -> set[str]:
        return {str(o) for o in self.objects(node, TYPE)}

    def text(self, node: Term, *predicates: str) -> str | None:
        """The best literal of the first predicate that has one (French, English, untagged, any)."""
        for predicate in predicates:
            best = best_text(self.objects(node, predicate))
            if best is not None:
                return best
        return None

    def translations(self, node: Term, predicate: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for lit in sorted((o for o in self.objects(node, predicate) if isinstance(o, Lit) and o.lang),
                          key=lambda lit: (lit.lang, lit.value)):
            value = lit.value.strip()
            if value and lit.lang not in out:
                out[_primary(lit.lang)] = value
        return out

    def label(self, node: Term) -> str | None:
        """What a node says about itself in words: a literal's value, else its label, name, title or description."""
        if isinstance(node, Lit):
            return node.value.strip() or None
        return self.text(node, *LABEL_PROPERTIES)

    def first_value(self, node: Term, *predicates: str) -> str | None:
        """The smallest of the values (IRIs or literals) of these properties: one stable pick among several."""
        values = [v for o in self.objects(node, *predicates) if (v := self.value(o))]
        return min(values) if values else None

    def value(self, node: Term) -> str | None:
        """A literal's value or an IRI, the usual two shapes of a URL or code property."""
        if isinstance(node, Lit):
            return node.value.strip() or None
        return str(node) if isinstance(node, Iri) else None


def _primary(lang: str | None) -> str:
    return (lang or "").lower().split("-")[0]


def _lang_rank(lit: Lit) -> tuple[int, str]:
    lang = _primary(lit.lang)
    if lang == "fr":
        return (0, "")
    if lang == "en":
        return (1, "")
    return (2, "") if not lang else (3, lang)


def best_text(values: Iterable[Term]) -> str | None:
    """French, then English, then untagged, then any other language; ties broken by value for stability."""
    texts = [v for v in values if isinstance(v, Lit) and v.value.strip()]
    if not texts:
        return None
    return min(texts, key=lambda lit: (_lang_rank(lit), lit.value)).value.strip()


def _unique(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _mail(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    return value[7:] if value.lower().startswith("mailto:") else value


def _is_url(value: str | None) -> bool:
    return bool(value) and value.startswith(("http://", "https://"))  # type: ignore[union-attr]


# -- entry point ---------------------------------------------------------------------------------------------------


def normalise_dcat(raw: RawRecord, hint: PublisherHint | None = None) -> list[Dataset | DataService]:
    """One dataset's (or data service's) N-Triples -> the entry it describes."""
    record = Record(read_ntriples(raw.content))
    root = _root(record, raw.native_id)
    types = record.types(root)
    common = _common(record, root, raw, hint)
    common.update(_provenance_links(record, root))
    # DCAT-AP requires a title; without one the record shows its identifier and says what is missing.
    title_gap = [] if record.text(root, DCT + "title") else ["dct:title"]
    if DATASET in types or SERIES in types or SERVICE not in types:
        dataset = _dataset(record, root, types, common)
        dataset.gaps = title_gap + recommended_gaps(dataset) + nested_gaps(dataset)
        return [dataset]
    service = _service(record, root, common)
    service.gaps = title_gap + _service_gaps(service) + agent_gaps(service)
    return [service]


PROV = "http://www.w3.org/ns/prov#"


def _provenance_links(record: Record, root: Term) -> dict[str, list[str]]:
    """Evidence for duplicate clustering (issue 14): ``owl:sameAs`` names other IRIs of this very resource,
    ``dct:source`` and ``prov:wasDerivedFrom`` the resource it was copied or derived from (adms:identifier is read
    with the identifiers). IRIs, or a literal URL as some exports write them."""
    def values(*predicates: str) -> list[str]:
        return _unique(v for o in record.objects(root, *predicates) if (v := record.value(o)) and not isinstance(
            o, Blank))

    return {"same_as": values(OWL + "sameAs"), "derived_from": values(DCT + "source", PROV + "wasDerivedFrom")}


def _root(record: Record, native_id: str) -> Term:
    """The described resource: the subject named by the record's native id, else the dataset-like subject nothing
    else in the record points to."""
    graph = record.graph
    if Iri(native_id) in graph:
        return Iri(native_id)
    typed = [s for s in graph if record.types(s) & {DATASET, SERIES, SERVICE}]
    by_identifier = [s for s in typed if any(isinstance(o, Lit) and o.value.strip() == native_id
                                             for o in record.objects(s, DCT + "identifier"))]
    if by_identifier:
        return sorted(by_identifier)[0]
    pointed = {o for props in graph.values() for objs in props.values() for o in objs if not isinstance(o, Lit)}
    candidates = [s for s in typed if s not in pointed] or typed
    if not candidates:
        raise NormaliseError("the record holds no dcat:Dataset, dcat:DatasetSeries nor dcat:DataService")
    return sorted(candidates)[0]


def _common(record: Record, root: Term, raw: RawRecord, hint: PublisherHint | None) -> dict[str, Any]:
    """What datasets and data services share (the fields of model._Entry)."""
    title = record.text(root, DCT + "title")
    # dct:abstract (a dct:description subproperty some catalogues use instead) when there is no description
    described = DCT + "description" if record.text(root, DCT + "description") else DCT + "abstract"
    description = record.text(root, described)
    languages = _unique(vocab.language(record.value(v)) for v in record.objects(root, DCT + "language"))
    french = _is_french(record, root, languages)
    keywords = _keywords(record.objects(root, DCAT + "keyword"))
    themes, categories, theme_words = _themes(record, root)
    publisher = next((a for n in record.objects(root, DCT + "publisher") if (a := _agent(record, n, french))), None)
    licence, licence_label = _licence_of(record, root)
    identifiers = _identifiers(record, root)
    return {
        "id": entry_id(raw.source_id, raw.native_id),
        "source_id": raw.source_id,
        "native_id": raw.native_id,
        "uri": str(root) if isinstance(root, Iri) else None,
        "title": title or (identifiers[0] if identifiers else raw.native_id),
        "title_translations": record.translations(root, DCT + "title"),
        "description": description,
        "description_translations": record.translations(root, described),
        "keywords": _unique(keywords + [w for w in theme_words if w not in keywords]),
        "themes": themes,
        "categories": categories,
        "publisher": publisher or publisher_from_hint(hint),
        "creators": [a for n in record.objects(root, DCT + "creator") if (a := _agent(record, n, french))],
        "contact_points": [c for n in record.objects(root, DCAT + "contactPoint") if (c := _contact(record, n))],
        "licence": licence,
        "licence_label": licence_label,
        "access_rights": _access_rights(record, root),
        "rights": _rights(record, root),
        "spatial": [s for n in record.objects(root, DCT + "spatial") if (s := spatial_of(record, n))],
        "temporal": [t for n in record.objects(root, DCT + "temporal") if (t := _period(record, n))],
        "issued": _date(record, root, DCT + "issued"),
        "modified": _date(record, root, DCT + "modified"),
        "languages": languages,
        "conforms_to": _conforms_to(record, root),
        "landing_page": record.first_value(root, DCAT + "landingPage"),
        "identifiers": identifiers,
    }


def _dataset(record: Record, root: Term, types: set[str], common: dict[str, Any]) -> Dataset:
    distributions = sorted(
        (d for n in record.objects(root, DCAT + "distribution") if (d := _distribution(record, n))),
        key=lambda d: (d.uri or "", d.access_url or "", d.download_url or "", d.title or ""),
    )
    if common["licence"] is None and common["licence_label"] is None:
        # DCAT-AP puts the licence on distributions; the dataset's is the one most of them share.
        counted = Counter((d.licence, d.licence_label) for d in distributions if d.licence or d.licence_label)
        if counted:
            common["licence"], common["licence_label"] = min(counted.items(), key=lambda kv: (-kv[1], str(kv[0])))[0]
    return Dataset(
        **common,
        type="series" if SERIES in types else "dataset",
        distributions=distributions,
        frequency=_frequency(record, root),
        version=record.text(root, OWL + "versionInfo", DCAT + "version", ADMS + "version"),
        provenance=next((t for n in record.objects(root, DCT + "provenance") if (t := record.label(n))), None),
        in_series=record.iris(root, DCAT + "inSeries"),
        hvd_categories=record.iris(root, DCATAP + "hvdCategory"),
        spatial_resolution_m=_number(record.objects(root, DCAT + "spatialResolutionInMeters")),
    )


def _service(record: Record, root: Term, common: dict[str, Any]) -> DataService:
    endpoints = sorted(_unique(record.value(v) for v in record.objects(root, DCAT + "endpointURL")))
    description = record.first_value(root, DCAT + "endpointDescription")
    return DataService(
        **common,
        endpoint_urls=endpoints,
        endpoint_description=description,
        service_type=_service_type(record, root, endpoints),
        serves_datasets=record.iris(root, DCAT + "servesDataset"),
    )


def agent_gaps(entry: Dataset | DataService) -> list[str]:
    """An agent known only by its IRI has no foaf:name, which DCAT-AP requires of every agent."""
    agents = [entry.publisher, *entry.creators]
    return ["foaf:Agent/foaf:name"] if any(a and a.uri and a.name == a.uri for a in agents) else []


def nested_gaps(dataset: Dataset) -> list[str]:
    """Mandatory properties missing on the nodes inside a dataset, named "<class>/<property>" as the SHACL report
    names them: a distribution without any URL, an access service without a title."""
    gaps = agent_gaps(dataset)
    if any(d.access_url is None for d in dataset.distributions):
        gaps.append("dcat:Distribution/dcat:accessURL")
    if any(d.access_service and not d.access_service.title for d in dataset.distributions):
        gaps.append("dcat:DataService/dct:title")
    return gaps


def _service_gaps(entry: DataService) -> list[str]:
    checks = (("dcat:endpointURL", entry.endpoint_urls), ("dct:description", entry.description),
              ("dcat:endpointDescription", entry.endpoint_description), ("dcat:servesDataset", entry.serves_datasets),
              ("dcat:contactPoint", entry.contact_points), ("dct:publisher", entry.publisher))
    return [name for name, value in checks if not value]


# -- properties ----------------------------------------------------------------------------------------------------


def _keywords(values: list[Term]) -> list[str]:
    """Untagged keywords plus those in the preferred language (a multilingual record repeats each keyword)."""
    untagged: list[str] = []
    tagged: dict[str, list[str]] = defaultdict(list)
    for value in values:
        if isinstance(value, Lit) and value.value.strip():
            (tagged[_primary(value.lang)] if value.lang else untagged).append(value.value.strip())
    chosen = "fr" if "fr" in tagged else "en" if "en" in tagged else None
    if chosen is None and tagged:
        chosen = max(sorted(tagged), key=lambda lang: len(tagged[lang]))
    return _unique(untagged + (tagged[chosen] if chosen else []))


def _themes(record: Record, root: Term) -> tuple[list[str], list[str], list[str]]:
    """(EU data themes, other classification IRIs, theme labels no vocabulary knows)."""
    iris: list[str] = []
    labels: list[str] = []
    for node in record.objects(root, DCAT + "theme", DCT + "subject", GEODCAT + "topicCategory"):
        if isinstance(node, Iri):
            iris.append(str(node))
        elif (label := record.label(node)) is not None:
            labels.append(label)
    iris, labels = _unique(iris), _unique(labels)
    themes = vocab.themes(iris + labels)
    categories = [iri for iri in iris if not iri.startswith(vocab.THEME_BASE)]
    unknown = [label for label in labels if not vocab.themes([label])]
    return themes, categories, unknown


_SIREN_CANDIDATE = re.compile(r"(?<!\d)(\d{3}[ .]?\d{3}[ .]?\d{3}(?:[ .]?\d{5})?)(?!\d)")
_SAYS_SIREN = re.compile(r"siren|siret|sirene|entreprise", re.IGNORECASE)


def _is_french(record: Record, root: Term, languages: list[str]) -> bool:
    if any(lang.endswith(("/FRA", "/FRE")) for lang in languages):
        return True
    return any(isinstance(o, Lit) and _primary(o.lang) == "fr"
               for o in record.objects(root, DCT + "title", DCT + "description", DCAT + "keyword"))


def _agent(record: Record, node: Term, french: bool) -> Agent | None:
    """A foaf:Agent, vcard:Kind or skos:Concept naming a body; a plain literal is taken as its name."""
    if isinstance(node, Lit):
        return Agent(name=node.value.strip()) if node.value.strip() else None
    name = record.text(node, *NAME_PROPERTIES)
    if name is None:
        for org in record.nodes(node, VCARD + "org", ORG + "memberOf"):
            if (name := record.text(org, *NAME_PROPERTIES)) is not None:
                break
    if name is None and isinstance(node, Iri):
        # an agent the page names only by its IRI (its description is not in the page): kept as that agent, its
        # IRI standing for a name; the record's gaps say foaf:name is missing
        return Agent(name=str(node), uri=str(node))
    if name is None:
        return None
    identifiers = [record.value(v) for v in record.objects(node, DCT + "identifier", SKOS + "notation",
                                                              ORG + "identifier")]
    identifiers += [record.text(n, SKOS + "notation") or record.value(n)
                    for n in record.objects(node, ADMS + "identifier")]
    if isinstance(node, Iri) and _SAYS_SIREN.search(node):
        identifiers.append(str(node))
    siren = None
    for identifier in filter(None, identifiers):
        if french or _SAYS_SIREN.search(identifier):
            siren = next((s for c in _SIREN_CANDIDATE.findall(identifier) if (s := vocab.siren(c))), None)
        if siren:
            break
    agent_type = next((t for t in record.iris(node, DCT + "type") if "/publishertype/" in t), None)
    email = next((m for v in record.objects(node, FOAF + "mbox", VCARD + "hasEmail") if (m := _mail(record.value(v)))),
                 None)
    homepage = next((record.value(v) for v in record.objects(node, FOAF + "homepage", FOAF + "workplaceHomepage")
                     if record.value(v)), None)
    return Agent(name=name, uri=str(node) if isinstance(node, Iri) else None, siren=siren, type=agent_type,
                 email=email, homepage=homepage)


def _contact(record: Record, node: Term) -> ContactPoint | None:
    if isinstance(node, Lit):
        value = node.value.strip()
        if not value:
            return None
        return ContactPoint(email=_mail(value)) if "@" in value else ContactPoint(name=value)
    name = record.text(node, VCARD + "fn", VCARD + "organization-name", FOAF + "name", RDFS + "label")
    if name is None:
        name = next((n for org in record.nodes(node, VCARD + "org")
                     if (n := record.text(org, VCARD + "organisation-name", VCARD + "organization-name"))), None)
    email = next((m for v in record.objects(node, VCARD + "hasEmail", FOAF + "mbox") if (m := _mail(_vcard_value(
        record, v)))), None)
    phone = next((p.removeprefix("tel:") for v in record.objects(node, VCARD + "hasTelephone")
                  if (p := _vcard_value(record, v))), None)
    url = next((u for v in record.objects(node, VCARD + "hasURL", FOAF + "homepage") if (u := record.value(v))), None)
    if not (name or email or phone or url):
        return None
    return ContactPoint(name=name, email=email, phone=phone, url=url)


def _vcard_value(record: Record, node: Term) -> str | None:
    """vCard values are IRIs (mailto:, tel:), literals, or nodes holding them in vcard:hasValue / rdf:value."""
    if isinstance(node, Blank) or (isinstance(node, Iri) and record.props(node)):
        inner = record.objects(node, VCARD + "hasValue", RDF_ + "value")
        if inner:
            return record.value(inner[0])
    return record.value(node)


def _licence(record: Record, node: Term) -> tuple[str | None, str | None]:
    """(licence URI, the source's wording) of one dct:license value."""
    if isinstance(node, Lit):
        return vocab.licence(node.value)
    label = record.label(node)
    for candidate in record.iris(node, SKOS + "exactMatch", OWL + "sameAs", SKOS + "closeMatch"):
        uri, _ = vocab.licence(candidate)
        if uri and (uri != candidate or uri.startswith(vocab.LICENCE_BASE)):
            return uri, (label or str(node)) if isinstance(node, Iri) else label
    if isinstance(node, Iri):
        uri, _ = vocab.licence(str(node))
        if (uri is None or uri == str(node)) and label:
            by_label, _ = vocab.licence(label)
            uri = by_label or uri
        return uri, label or str(node)
    return (vocab.licence(label)[0] if label else None), label


def _licence_of(record: Record, node: Term) -> tuple[str | None, str | None]:
    for value in record.objects(node, DCT + "license"):
        uri, label = _licence(record, value)
        if uri or label:
            return uri, label
    return None, None


def _access_rights(record: Record, node: Term) -> str | None:
    for value in record.objects(node, DCT + "accessRights"):
        found = vocab.access_rights(record.value(value)) or vocab.access_rights(record.label(value))
        if found:
            return found
    return None


def _rights(record: Record, node: Term) -> str | None:
    return next((t for v in record.objects(node, DCT + "rights") if (t := record.label(v) or record.value(v))), None)


def _conforms_to(record: Record, node: Term) -> list[str]:
    """Standards as IRIs (a literal URL counts; a blank-node standard with only a title is not a reference)."""
    return sorted(_unique(v for o in record.objects(node, DCT + "conformsTo") if _is_url(v := record.value(o))))


def _identifiers(record: Record, node: Term) -> list[str]:
    values = [record.value(v) for v in record.objects(node, DCT + "identifier") if isinstance(v, Lit)]
    for value in record.objects(node, ADMS + "identifier"):
        values.append(record.text(value, SKOS + "notation") if not isinstance(value, Lit) else value.value.strip())
    return _unique(values)


def _date(record: Record, node: Term, predicate: str) -> str | None:
    """ISO 8601 from the first readable value (an empty xsd:date or a date-time typed xsd:date still work)."""
    return next((d for v in record.objects(node, predicate) if isinstance(v, Lit) and (d := vocab.iso_datetime(
        v.value))), None)


def _period(record: Record, node: Term) -> PeriodOfTime | None:
    if isinstance(node, Lit):  # "2016-01-01/2016-12-31"
        start, _, end = node.value.partition("/")
        period = PeriodOfTime(start=vocab.iso_datetime(start), end=vocab.iso_datetime(end))
    else:
        period = PeriodOfTime(start=_instant(record, node, DCAT + "startDate", SCHEMA + "startDate",
                                             TIME + "hasBeginning"),
                              end=_instant(record, node, DCAT + "endDate", SCHEMA + "endDate", TIME + "hasEnd"))
    return period if period.start or period.end else None


def _instant(record: Record, node: Term, *predicates: str) -> str | None:
    for value in record.objects(node, *predicates):
        if isinstance(value, Lit):
            found = vocab.iso_datetime(value.value)
        else:  # time:Instant
            found = next((d for v in record.objects(value, *DATE_VALUE_PROPERTIES)
                          if isinstance(v, Lit) and (d := vocab.iso_datetime(v.value))), None)
        if found:
            return found
    return None


def _frequency(record: Record, node: Term) -> str | None:
    for value in record.objects(node, DCT + "accrualPeriodicity"):
        found = vocab.frequency(record.value(value))
        if found is None and not isinstance(value, Lit):
            for inner in record.objects(value, RDF_ + "value") or [value]:
                found = vocab.frequency(_duration(record, inner)) or vocab.frequency(record.label(inner))
                if found:
                    break
        if found:
            return found
    return None


def _duration(record: Record, node: Term) -> str | None:
    """A time:DurationDescription (the Spanish NTI way: "time:years 1") as an ISO 8601 repeating duration."""
    for predicate, unit in DURATION_UNITS:
        amount = _number(record.objects(node, predicate))
        if amount:
            number = f"{amount:g}"
            return f"R/PT{number}{unit[1]}" if unit.startswith("T") else f"R/P{number}{unit}"
    return None


def _number(values: list[Term]) -> float | None:
    for value in values:
        if isinstance(value, Lit):
            try:
                number = float(value.value.strip())
            except ValueError:
                continue
            if math.isfinite(number):
                return number
    return None


_SERVICE_TYPES = re.compile(r"(?<![a-z])(wmts|wms|wfs|wcs|csw|sos|wps|sparql|ogcapi|ogc-api|opensearch|atom)(?![a-z])",
                            re.IGNORECASE)


def _service_type(record: Record, node: Term, endpoints: list[str]) -> str | None:
    """The kind of service (wms, wfs, sparql, ogcapi...) from what it conforms to, its type, then its URLs."""
    hints = [*_conforms_to(record, node), *record.iris(node, DCT + "type", GEODCAT + "serviceType"), *endpoints]
    for hint in hints:
        path, _, query = hint.partition("?")
        match = _SERVICE_TYPES.search("/".join(path.rstrip("/").split("/")[-2:]) + "?" + query)  # not the host name
        if match:
            kind = match.group(1).lower()
            return "ogcapi" if kind in ("ogcapi", "ogc-api") else kind
    return None


# -- distributions -------------------------------------------------------------------------------------------------


def _distribution(record: Record, node: Term) -> Distribution | None:
    if isinstance(node, Lit):  # a bare URL given as the distribution
        url = node.value.strip()
        return Distribution(access_url=url) if _is_url(url) else None
    access = sorted(_unique(record.value(v) for v in record.objects(node, DCAT + "accessURL")))
    download = sorted(_unique(record.value(v) for v in record.objects(node, DCAT + "downloadURL")))
    format_value, format_label, media_value = _format_values(record, node)
    url = download[0] if download else access[0] if access else None
    services = record.objects(node, DCAT + "accessService")
    access_service = next((s for n in services if (s := _access_service(record, n))), None)
    if format_value is None and media_value is None and access_service and access_service.service_type:
        format_value = access_service.service_type  # served through a WMS/WFS...: that is its format
    file_type, media_type = vocab.file_format(format_value, media_type=media_value, url=url)
    licence, licence_label = _licence_of(record, node)
    conforms_to = _conforms_to(record, node)
    identifier = next((v.value.strip() for v in record.objects(node, DCT + "identifier")
                       if isinstance(v, Lit) and v.value.strip()), None)
    return Distribution(
        native_id=identifier or (str(node) if isinstance(node, Iri) else None),
        uri=str(node) if isinstance(node, Iri) else None,
        title=record.text(node, DCT + "title"),
        description=record.text(node, DCT + "description"),
        access_url=access[0] if access else (download[0] if download else None),
        download_url=download[0] if download else None,
        format=file_type,
        format_label=format_label,
        media_type=media_type,
        compress_format=record.first_value(node, DCAT + "compressFormat"),
        licence=licence,
        licence_label=licence_label,
        access_rights=_access_rights(record, node),
        rights=_rights(record, node),
        byte_size=_byte_size(record.objects(node, DCAT + "byteSize")),
        checksum=_checksum(record, node),
        issued=_date(record, node, DCT + "issued"),
        modified=_date(record, node, DCT + "modified"),
        languages=_unique(vocab.language(record.value(v)) for v in record.objects(node, DCT + "language")),
        conforms_to=conforms_to,
        schema=_schema(conforms_to),
        access_service=access_service,
        status=next(iter(record.iris(node, ADMS + "status")), None),
    )


def _format_values(record: Record, node: Term) -> tuple[str | None, str | None, str | None]:
    """(value for vocab.file_format, the source's format wording, media type) from dct:format and dcat:mediaType,
    which sources give as IRIs, literals or dct:IMT nodes (label = format, rdf:value = media type)."""
    format_value = media_value = None
    for value in record.objects(node, DCT + "format"):
        if isinstance(value, Lit | Iri) and not record.props(value):
            format_value = record.value(value)
        else:
            format_value = record.text(value, RDFS + "label", SKOS + "prefLabel", DCT + "title")
            media_value = record.text(value, RDF_ + "value")
            format_value = format_value or media_value or record.value(value)
        if format_value:
            break
    for value in record.objects(node, DCAT + "mediaType"):
        given = record.value(value) or record.text(value, RDF_ + "value", RDFS + "label")
        if given:
            media_value = given
            break
    return format_value, format_value or media_value, media_value


def _byte_size(values: list[Term]) -> int | None:
    size = _number(values)
    return int(size) if size is not None and size >= 0 else None


_HASH_NAME = re.compile(r"(sha|md)[-_/]?(\d+)", re.IGNORECASE)


def _checksum(record: Record, node: Term) -> str | None:
    """spdx:Checksum as "<algorithm>:<value>" (e.g. "sha256:1d5a..."), the value alone if the algorithm is unknown."""
    for checksum in record.objects(node, SPDX + "checksum"):
        value = record.text(checksum, SPDX + "checksumValue")
        if not value:
            continue
        algorithm = next((m for a in record.objects(checksum, SPDX + "algorithm")
                          if (m := _HASH_NAME.search(record.value(a) or ""))), None)
        return f"{algorithm.group(1).lower()}{algorithm.group(2)}:{value}" if algorithm else value
    return None


def _access_service(record: Record, node: Term) -> AccessService | None:
    endpoints = sorted(_unique(record.value(v) for v in record.objects(node, DCAT + "endpointURL")))
    if not endpoints:
        return None
    description = record.first_value(node, DCAT + "endpointDescription")
    return AccessService(title=record.text(node, DCT + "title"), endpoint_url=endpoints[0],
                         endpoint_description=description, conforms_to=_conforms_to(record, node),
                         service_type=_service_type(record, node, endpoints))


_SCHEMA_URL = re.compile(r"schema\.data\.gouv\.fr/(?:schemas/)?([\w.-]+/[\w.-]+)(?:/(\d[\w.-]*|latest))?")


def _schema(conforms_to: list[str]) -> SchemaRef | None:
    """A schema.data.gouv.fr schema named in dct:conformsTo (the DCAT form of udata's resource ``schema``)."""
    for url in conforms_to:
        match = _SCHEMA_URL.search(url)
        if match:
            return SchemaRef(name=match.group(1), version=match.group(2), url=url)
    return None


# -- spatial -------------------------------------------------------------------------------------------------------

_INSEE = re.compile(r"insee\.fr/.*?\b(commune|departement|region)s?/([0-9][0-9AB][0-9]{0,3})/?$", re.IGNORECASE)
_COG = re.compile(r"\b(COM|DEP|REG)_?([0-9][0-9AB][0-9]{0,3})\b")
GEOMETRY_PROPERTIES = (LOCN + "geometry", DCAT + "bbox", DCAT + "centroid")


def spatial_of(record: Record, node: Term) -> Spatial | None:
    """A dct:spatial value -> Spatial with its box and the INSEE codes of the territory it covers."""
    uri = str(node) if isinstance(node, Iri) else None
    label: str | None = None
    boxes: list[tuple[float, float, float, float]] = []
    geometry: dict[str, Any] | None = None
    literals: list[Lit] = []
    if isinstance(node, Lit):
        literals.append(node)
    else:
        label = record.text(node, RDFS + "label", SKOS + "prefLabel", LOCN + "geographicName", DCT + "title")
        literals += [v for v in record.objects(node, *GEOMETRY_PROPERTIES) if isinstance(v, Lit)]
    for literal in literals:
        parsed = parse_geometry(literal.value, literal.datatype)
        if parsed is None:
            if isinstance(node, Lit):
                label = literal.value.strip() or None
            continue
        box, shape = parsed
        boxes.append(box)
        if geometry is None and shape is not None:
            geometry = shape
    bbox = _union(boxes)
    if geometry is None and bbox is not None:
        geometry = _box_polygon(bbox)
    communes, departements, regions = _territory(uri, label, bbox)
    if not (uri or label or bbox):
        return None
    return Spatial(uri=uri, label=label, bbox=bbox, geometry=geometry, communes=communes, departements=departements,
                   regions=regions)


def _territory(uri: str | None, label: str | None, bbox: tuple[float, float, float, float] | None
               ) -> tuple[list[str], list[str], list[str]]:
    codes = []
    if uri:
        match = _INSEE.search(uri) or _COG.search(uri)
        if match:
            codes.append(match.group(2))
    if codes:
        communes, departements, regions = territory.for_codes(codes)
        return list(communes), list(departements), list(regions)
    if bbox is not None:
        departements, regions = territory.for_bbox(bbox)
        return [], list(departements), list(regions)
    if label:
        communes, departements, regions = territory.for_name(label)
        return list(communes), list(departements), list(regions)
    return [], [], []


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_PAIR = re.compile(rf"({_NUMBER})\s+({_NUMBER})")
_WKT = re.compile(r"^\s*(?:<([^>]*)>\s*)?(POINT|MULTIPOINT|LINESTRING|MULTILINESTRING|POLYGON|MULTIPOLYGON|ENVELOPE|"
                  r"BOX)\s*Z?\s*\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)
_GML_CORNER = re.compile(r"<(?:\w+:)?(lowerCorner|upperCorner)[^>]*>([^<]*)<", re.IGNORECASE)
_GML_POS = re.compile(r"<(?:\w+:)?(?:posList|pos|coordinates)[^>]*>([^<]*)<", re.IGNORECASE)
_SRS = re.compile(r'srsName\s*=\s*"([^"]*)"', re.IGNORECASE)
_LAT_LON_CRS = re.compile(r"EPSG(?::|/0/|::)4326\b|EPSG/0/4326", re.IGNORECASE)


def parse_geometry(text: str, datatype: str | None = None) -> tuple[Box, dict[str, Any] | None] | None:
    """(WGS84 box, GeoJSON geometry or None) of a WKT, GML or GeoJSON literal; None if unreadable or not WGS84.

    GeoSPARQL WKT and GML state their CRS: EPSG:4326 means latitude first, CRS84 (the default) longitude first."""
    text = text.strip()
    if not text:
        return None
    kind = (datatype or "").lower()
    try:
        if text.startswith("{") or "json" in kind:
            return _from_geojson(orjson.loads(text))
        if text.startswith("<") and not text.startswith("<http") or "gml" in kind:
            return _from_gml(text)
        return _from_wkt(text)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        return None


def _checked(box: Box, shape: dict[str, Any] | None) -> tuple[Box, dict[str, Any] | None] | None:
    """A box as given (west, south, east, north), kept only when it is one in WGS84; a west bound east of the east
    bound is a box across the antimeridian (ENVELOPE(170, -170, ...), a GML Envelope from 170 to -170)."""
    west, south, east, north = box
    if west > east and east >= -180 and west <= 180 and -90 <= south <= north <= 90:
        return box, box_geojson(box)
    return (box, shape) if bbox_of([box[:2], box[2:]]) == box else None


def _pairs_box(pairs: list[tuple[float, float]]) -> Box | None:
    """The box of a shape's positions. Positions all near ±180° on both sides (170, -175...) with none in between
    are a shape across the antimeridian: its box runs from the smallest eastern to the largest western longitude."""
    lons = [x for x, _ in pairs]
    if pairs and max(lons) - min(lons) > 180 and all(abs(x) >= 90 for x in lons) and max(lons) > 0 > min(lons):
        lats = [y for _, y in pairs]
        west, east = min(x for x in lons if x > 0), max(x for x in lons if x < 0)
        if -90 <= min(lats) <= max(lats) <= 90 and west <= 180 and east >= -180:
            return west, min(lats), east, max(lats)
    return bbox_of(pairs)


def _from_geojson(data: Any) -> tuple[Box, dict[str, Any] | None] | None:
    points = geojson_positions(data)
    box = bbox_of(points)
    if box is None:
        return None
    shape = data.get("geometry") if isinstance(data, dict) and data.get("type") == "Feature" else data
    return box, shape if len(points) <= MAX_KEPT_POSITIONS else None


def _from_wkt(text: str) -> tuple[Box, dict[str, Any] | None] | None:
    match = _WKT.match(text)
    if match is None:
        return None
    crs, kind, body = match.group(1) or "", match.group(2).upper(), match.group(3)
    numbers = [float(n) for n in re.findall(_NUMBER, body)]
    if kind in ("ENVELOPE", "BOX"):  # CQL ENVELOPE(west, east, north, south); BOX(west south, east north)
        if len(numbers) != 4:
            return None
        west, east, north, south = numbers if kind == "ENVELOPE" else (numbers[0], numbers[2], numbers[3], numbers[1])
        return _checked((west, south, east, north), None)
    pairs = [(float(x), float(y)) for x, y in _PAIR.findall(body)]
    if not pairs:
        return None
    if _LAT_LON_CRS.search(crs):
        pairs = [(y, x) for x, y in pairs]
    box = _pairs_box(pairs)
    if box is not None and box[0] > box[2]:
        return box, box_geojson(box)  # a ring across the antimeridian, as two halves
    shape = _wkt_geojson(kind, body, _LAT_LON_CRS.search(crs) is not None) if len(pairs) <= MAX_KEPT_POSITIONS else None
    return (box, shape) if box else None


def _wkt_geojson(kind: str, body: str, swap: bool) -> dict[str, Any] | None:
    """GeoJSON of the simple WKT shapes catalogs use (points and polygons); None for the rest."""

    def ring(text: str) -> list[list[float]]:
        return [[y, x] if swap else [x, y] for x, y in ((float(a), float(b)) for a, b in _PAIR.findall(text))]

    groups = re.findall(r"\(([^()]*)\)", "(" + body + ")") if kind != "POINT" else [body]
    if kind == "POINT":
        coords = ring(body)
        return {"type": "Point", "coordinates": coords[0]} if coords else None
    if kind == "POLYGON":
        return {"type": "Polygon", "coordinates": [ring(g) for g in groups]}
    if kind == "MULTIPOLYGON":
        polygons = re.findall(r"\(\s*(\([^()]*\)(?:\s*,\s*\([^()]*\))*)\s*\)", body)
        return {"type": "MultiPolygon",
                "coordinates": [[ring(g) for g in re.findall(r"\(([^()]*)\)", p)] for p in polygons]}
    return None


def _from_gml(text: str) -> tuple[Box, dict[str, Any] | None] | None:
    srs = _SRS.search(text)
    swap = bool(srs and _LAT_LON_CRS.search(srs.group(1)))
    corners = dict((name.lower(), value) for name, value in _GML_CORNER.findall(text))
    if "lowercorner" in corners and "uppercorner" in corners:
        lower = [float(n) for n in corners["lowercorner"].split()]
        upper = [float(n) for n in corners["uppercorner"].split()]
        if len(lower) < 2 or len(upper) < 2:
            return None
        if swap:
            lower, upper = lower[::-1], upper[::-1]
        return _checked((lower[0], lower[1], upper[0], upper[1]), None)
    numbers = [float(n) for chunk in _GML_POS.findall(text) for n in re.findall(_NUMBER, chunk)]
    pairs = list(zip(numbers[0::2], numbers[1::2], strict=False))
    if not pairs:
        return None
    if swap:
        pairs = [(y, x) for x, y in pairs]
    return (box, None) if (box := bbox_of(pairs)) else None


def _union(boxes: list[Box]) -> Box | None:
    """The box of several boxes; one across the antimeridian is kept as it is (a union with it has no single
    west-to-east box that would not cover the wrong side of the world)."""
    if not boxes:
        return None
    crossing = next((b for b in boxes if b[0] > b[2]), None)
    if crossing is not None:
        return crossing
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _box_polygon(box: Box) -> dict[str, Any]:
    west, south, east, north = box
    if west == east and south == north:
        return {"type": "Point", "coordinates": [west, south]}
    return box_geojson(box)
