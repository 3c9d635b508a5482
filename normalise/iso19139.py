"""ISO 19139 (gmd:MD_Metadata, gmi:MI_Metadata and profiles declaring gco:isoType) -> DCAT-AP, after GeoDCAT-AP.

The mapping follows SEMIC's reference transformation (SEMICeu/iso-19139-to-dcat-ap, extended profile), measured
against its own test cases by ``tests/normalise/test_semic_agreement.py`` (the README says where moisson differs):

* fileIdentifier, dateStamp, metadata language, metadata contacts and standard -> ``metadata_record`` (the
  dcat:CatalogRecord GeoDCAT-AP describes); citation identifiers -> ``identifiers`` (a codeSpace is prefixed as SEMIC
  does; an http(s) code is the resource IRI); hierarchyLevel dataset/series/service -> Dataset, Dataset(type="series"),
  DataService, and the INSPIRE ResourceType.
* title, abstract, purpose and lineage with their PT_FreeText translations, keyed by language.
* citation dates by their own type: creation -> created, publication -> issued, revision -> modified.
* responsible parties: every one, with its role, in ``attributions`` (prov:qualifiedAttribution); publisher ->
  publisher (then owner, custodian, the resource's point of contact: French catalogues rarely use the publisher
  role, and the body is what MQA and territory matching need; the source hint comes only after); owner ->
  ``rights_holders``; author, originator -> creators; pointOfContact -> contact points (the metadata contact when the
  resource names none). Names keep their translations; phone, address and web site are kept.
* keywords: INSPIRE themes (GEMET thesaurus or registry URIs) -> INSPIRE theme URIs in ``categories`` and EU themes
  via :func:`normalise.vocab.themes`; every anchored keyword -> its concept IRI in ``categories`` (dcat:theme), with
  its label; High-value dataset categories -> ``hvd_categories`` and an anchored ELI -> ``applicable_legislation``;
  INSPIRE service classification -> ``service_categories`` of a service; other keywords -> ``keywords`` (their
  translations in ``keyword_translations``); ISO topic categories -> INSPIRE TopicCategory IRIs in ``categories``
  (geodcatap:topicCategory) and EU themes.
* extents: every bounding box -> a Spatial with its GeoJSON geometry (split in two across the antimeridian) and the
  INSEE départements/régions it covers (:func:`normalise.territory.for_bbox`); geographic identifiers -> Spatial with
  their URI or name; temporal extents -> PeriodOfTime. Maintenance frequency -> EU frequency; reference systems ->
  CRS IRIs; spatial resolution -> equivalent scale or distance in metres.
* constraints: use constraints and useLimitation -> licence (:func:`normalise.vocab.licence` recognises Licence
  Ouverte/Etalab, ODbL, CC... in free text; an anchored licence document is kept as is) and ``rights`` (the text);
  access constraints -> EU access rights on the entry (INSPIRE "noLimitations" is public) and the source's own
  LimitationsOnPublicAccess IRI on each distribution, where GeoDCAT-AP puts it.
* conformity reports -> ``conformity`` (every degree) and, those that pass, ``conforms_to`` (the specification's IRI,
  an ELI for INSPIRE regulations cited by number, else its title).
* online resources by function: download, offline access and order -> Distributions with EU file type, IANA media
  type (a distributor's own formats, else the record's), byte size (transferSize is in MB), spatial representation
  and character encoding; WMS/WFS/WMTS/WCS/OGC API/Atom links -> Distributions with an ``access_service`` and its
  protocol; information and search -> ``documentation`` (foaf:page); a plain link without function -> landing page.
  For a service record they are the endpoints.

Parsing uses lxml with entities and network access off, and compiled XPath: the budget is 500 records a second. An
element the normaliser cannot read (a date that is no date, a bound that is no number) loses that element, not the
record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml import etree

from normalise import NormaliseError, territory, vocab
from normalise.common import publisher_from_hint, recommended_gaps
from normalise.geometry import box_geojson
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
    Spatial,
    entry_id,
)
from normalise.vocab import fold

if TYPE_CHECKING:
    from kernel.config import PublisherHint
    from kernel.records import RawRecord

NS = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gmi": "http://www.isotc211.org/2005/gmi",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "srv": "http://www.isotc211.org/2005/srv",
    "gml": "http://www.opengis.net/gml",
    "gml32": "http://www.opengis.net/gml/3.2",
    "xlink": "http://www.w3.org/1999/xlink",
}
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
INSPIRE_CODELIST = "http://inspire.ec.europa.eu/metadata-codelist/"
INSPIRE_TOPIC = INSPIRE_CODELIST + "TopicCategory/"
INSPIRE_ROLE = INSPIRE_CODELIST + "ResponsiblePartyRole/"
INSPIRE_RESOURCE_TYPE = INSPIRE_CODELIST + "ResourceType/"
INSPIRE_SERVICE_TYPE = INSPIRE_CODELIST + "SpatialDataServiceType/"
INSPIRE_SERVICE_CATEGORY = INSPIRE_CODELIST + "SpatialDataServiceCategory/"
INSPIRE_REPRESENTATION = INSPIRE_CODELIST + "SpatialRepresentationType/"
# The protocol of a service as GeoDCAT-AP names it (geodcatap:serviceProtocol), as SEMIC's XSLT writes it.
SERVICE_PROTOCOLS = {kind: f"http://www.opengeospatial.org/standards/{kind}"
                     for kind in ("wms", "wfs", "wmts", "wcs", "csw", "sos", "wps")}
# ISO 19115 MD_CharacterSetCode -> the IANA charset name cnt:characterEncoding takes.
CHARACTER_SETS = {"utf8": "UTF-8", "utf16": "UTF-16", "8859part1": "ISO-8859-1", "8859part15": "ISO-8859-15",
                  "usascii": "US-ASCII", "windows1252": "windows-1252", "ucs2": "UCS-2", "ucs4": "UCS-4"}
SERVICE_STANDARDS = {
    "wms": "http://www.opengis.net/def/serviceType/ogc/wms",
    "wfs": "http://www.opengis.net/def/serviceType/ogc/wfs",
    "wmts": "http://www.opengis.net/def/serviceType/ogc/wmts",
    "wcs": "http://www.opengis.net/def/serviceType/ogc/wcs",
    "csw": "http://www.opengis.net/def/serviceType/ogc/csw",
    "sos": "http://www.opengis.net/def/serviceType/ogc/sos",
    "wps": "http://www.opengis.net/def/serviceType/ogc/wps",
    "ogcapi": "http://www.opengis.net/spec/ogcapi-common-1/1.0",
    "atom": "https://www.rfc-editor.org/rfc/rfc4287",
}
# ISO 639-2 (bibliographic and terminology) -> the language tags RDF literals carry.
LANGUAGE_TAGS = {
    "eng": "en", "fre": "fr", "fra": "fr", "ger": "de", "deu": "de", "ita": "it", "spa": "es", "dut": "nl",
    "nld": "nl", "por": "pt", "cze": "cs", "ces": "cs", "pol": "pl", "slo": "sk", "slk": "sk", "slv": "sl",
    "hun": "hu", "rum": "ro", "ron": "ro", "bul": "bg", "gre": "el", "ell": "el", "dan": "da", "swe": "sv",
    "fin": "fi", "est": "et", "lav": "lv", "lit": "lt", "mlt": "mt", "gle": "ga", "hrv": "hr", "roh": "rm",
    "nor": "no", "ice": "is", "isl": "is", "cat": "ca", "eus": "eu", "baq": "eu", "bre": "br", "oci": "oc",
}
PUBLISHER_ROLES = ("publisher", "owner", "custodian", "pointOfContact", "distributor", "resourceProvider")
CREATOR_ROLES = ("author", "originator")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True)
_REGULATION = re.compile(
    r"(?:r[eè]glement|regulation|verordnung|verordening|na[rř][ií]zen[ií]|reglamento|regolamento)", re.I)
_REGULATION_NUMBER = re.compile(r"\b(\d{2,4})/(\d{4})\b")


def _xp(path: str) -> etree.XPath:
    return etree.XPath(path, namespaces=NS, smart_strings=False)


# Compiled once: lxml XPath objects are several times faster than ad-hoc .xpath() strings.
_METADATA = _xp("descendant-or-self::gmd:MD_Metadata[1] | descendant-or-self::gmi:MI_Metadata[1]"
                " | descendant-or-self::*[@gco:isoType='gmd:MD_Metadata'][1]")
_FILE_ID = _xp("string(gmd:fileIdentifier/*[1])")
_LEVEL = _xp("gmd:hierarchyLevel/gmd:MD_ScopeCode")
_MD_LANGUAGE = _xp("gmd:language/gmd:LanguageCode | gmd:language/gco:CharacterString")
_LOCALES = _xp("gmd:locale/gmd:PT_Locale")
_LOCALE_CODE = _xp("gmd:languageCode/gmd:LanguageCode")
_DATESTAMP = _xp("string(gmd:dateStamp/*[1])")
_IDENTIFICATION = _xp("gmd:identificationInfo/*[1]")
_CITATION = _xp("gmd:citation/gmd:CI_Citation")
_TITLE = _xp("gmd:title")
_ABSTRACT = _xp("gmd:abstract")
_CITATION_DATES = _xp("gmd:date/gmd:CI_Date")
_DATE_VALUE = _xp("string(gmd:date/*[1])")
_DATE_TYPE = _xp("gmd:dateType/gmd:CI_DateTypeCode")
_IDENTIFIERS = _xp("gmd:identifier/*")
_CODE = _xp("gmd:code")
_CODE_SPACE = _xp("string(gmd:codeSpace/*[1])")
_CITED_PARTIES = _xp("gmd:citedResponsibleParty/gmd:CI_ResponsibleParty")
_POINTS_OF_CONTACT = _xp("gmd:pointOfContact/gmd:CI_ResponsibleParty")
_MD_CONTACTS = _xp("gmd:contact/gmd:CI_ResponsibleParty")
_ORG_NAME = _xp("gmd:organisationName")
_INDIVIDUAL = _xp("gmd:individualName")
_EMAILS = _xp("gmd:contactInfo/gmd:CI_Contact/gmd:address/gmd:CI_Address/gmd:electronicMailAddress/*[1]")
_PHONE = _xp("string(gmd:contactInfo/gmd:CI_Contact/gmd:phone/gmd:CI_Telephone/gmd:voice/*[1])")
_ADDRESS = _xp("gmd:contactInfo/gmd:CI_Contact/gmd:address/gmd:CI_Address")
_ADDRESS_PARTS = {part: _xp(f"gmd:{part}") for part in
                  ("deliveryPoint", "city", "postalCode", "administrativeArea", "country")}
_ONLINE = _xp("string(gmd:contactInfo/gmd:CI_Contact/gmd:onlineResource/gmd:CI_OnlineResource/gmd:linkage/*[1])")
_ROLE = _xp("gmd:role/gmd:CI_RoleCode")
_KEYWORD_BLOCKS = _xp("gmd:descriptiveKeywords/gmd:MD_Keywords")
_KEYWORDS = _xp("gmd:keyword")
_THESAURUS_TITLE = _xp("gmd:thesaurusName/gmd:CI_Citation/gmd:title")
_TOPICS = _xp("gmd:topicCategory/gmd:MD_TopicCategoryCode")
_EXTENTS = _xp("gmd:extent/gmd:EX_Extent | srv:extent/gmd:EX_Extent")
_EXTENT_DESCRIPTION = _xp("gmd:description")
_BBOXES = _xp("gmd:geographicElement/gmd:EX_GeographicBoundingBox")
_BOUND = {side: _xp(f"string(gmd:{side}/gco:Decimal)") for side in
          ("westBoundLongitude", "southBoundLatitude", "eastBoundLongitude", "northBoundLatitude")}
_GEO_CODES = _xp("gmd:geographicElement/gmd:EX_GeographicDescription/gmd:geographicIdentifier/*/gmd:code")
_TIME = _xp("gmd:temporalElement/*/gmd:extent/*")
_BEGIN = _xp("gml:beginPosition | gml32:beginPosition | gml:begin/*/gml:timePosition"
             " | gml32:begin/*/gml32:timePosition")
_END = _xp("gml:endPosition | gml32:endPosition | gml:end/*/gml:timePosition | gml32:end/*/gml32:timePosition")
_INSTANT = _xp("gml:timePosition | gml32:timePosition")
_LANGUAGES = _xp("gmd:language/gmd:LanguageCode | gmd:language/gco:CharacterString")
_FREQUENCY = _xp("gmd:resourceMaintenance/gmd:MD_MaintenanceInformation/gmd:maintenanceAndUpdateFrequency/"
                 "gmd:MD_MaintenanceFrequencyCode")
_CONSTRAINTS = _xp("gmd:resourceConstraints/*")
_ACCESS_CODES = _xp("gmd:accessConstraints/gmd:MD_RestrictionCode")
_USE_CODES = _xp("gmd:useConstraints/gmd:MD_RestrictionCode")
_OTHER_CONSTRAINTS = _xp("gmd:otherConstraints")
_USE_LIMITATIONS = _xp("gmd:useLimitation")
_CONFORMANCE = _xp("gmd:dataQualityInfo/gmd:DQ_DataQuality/gmd:report/*/gmd:result/gmd:DQ_ConformanceResult")
_SPEC_TITLE = _xp("gmd:specification/gmd:CI_Citation/gmd:title")
_PASS = _xp("string(gmd:pass/gco:Boolean)")
_LINEAGE = _xp("gmd:dataQualityInfo/gmd:DQ_DataQuality/gmd:lineage/gmd:LI_Lineage/gmd:statement")
_PURPOSE = _xp("gmd:purpose")
_EXPLANATION = _xp("gmd:explanation")
_SPEC_DATE = _xp("string(gmd:specification/gmd:CI_Citation/gmd:date/gmd:CI_Date/gmd:date/*[1])")
_REFERENCE_SYSTEMS = _xp("gmd:referenceSystemInfo/*/gmd:referenceSystemIdentifier/*/gmd:code")
_SCALE = _xp("string(gmd:spatialResolution/gmd:MD_Resolution/gmd:equivalentScale/gmd:MD_RepresentativeFraction/"
             "gmd:denominator/gco:Integer)")
_DISTANCE = _xp("gmd:spatialResolution/gmd:MD_Resolution/gmd:distance/gco:Distance")
_REPRESENTATION = _xp("gmd:spatialRepresentationType/gmd:MD_SpatialRepresentationTypeCode")
_CHARACTER_SET = _xp("gmd:characterSet/gmd:MD_CharacterSetCode")
_STANDARD_NAME = _xp("string(gmd:metadataStandardName/*[1])")
_STANDARD_VERSION = _xp("string(gmd:metadataStandardVersion/*[1])")
_DISTRIBUTIONS = _xp("gmd:distributionInfo/gmd:MD_Distribution")
_FORMAT_NAMES = _xp("gmd:distributionFormat/gmd:MD_Format/gmd:name")
_DISTRIBUTORS = _xp("gmd:distributor/gmd:MD_Distributor")
_DISTRIBUTOR_FORMATS = _xp("gmd:distributorFormat/gmd:MD_Format/gmd:name")
_TRANSFERS = _xp("gmd:transferOptions/gmd:MD_DigitalTransferOptions")
_DISTRIBUTOR_TRANSFERS = _xp("gmd:distributorTransferOptions/gmd:MD_DigitalTransferOptions")
_TRANSFER_SIZE = _xp("string(gmd:transferSize/gco:Real)")
_ON_LINE = _xp("gmd:onLine/gmd:CI_OnlineResource")
_LINKAGE = _xp("string(gmd:linkage/gmd:URL)")
_PROTOCOL = _xp("gmd:protocol")
_NAME = _xp("gmd:name")
_DESCRIPTION = _xp("gmd:description")
_FUNCTION = _xp("gmd:function/gmd:CI_OnLineFunctionCode")
_SERVICE_TYPE = _xp("string(srv:serviceType/*[1])")
_CONNECT_POINTS = _xp("srv:containsOperations/srv:SV_OperationMetadata/srv:connectPoint/gmd:CI_OnlineResource")
_OPERATES_ON = _xp("srv:operatesOn")
_CHARACTER = _xp("gco:CharacterString | gmx:Anchor")
_FREE_TEXT = _xp("gmd:PT_FreeText/gmd:textGroup/gmd:LocalisedCharacterString")


def normalise_iso19139(raw: RawRecord, hint: PublisherHint | None = None) -> list[Dataset | DataService]:
    """One ISO 19139 record -> one Dataset (dataset, series and other levels) or one DataService (service)."""
    md = _metadata(raw.content)
    context = _Context(md)
    native_id = _FILE_ID(md).strip() or raw.native_id
    identification = _IDENTIFICATION(md)
    if not identification:
        raise NormaliseError("ISO record without gmd:identificationInfo")
    ident = identification[0]
    citation = _CITATION(ident)
    cite = citation[0] if citation else None
    title, title_tr = context.text(_first(_TITLE(cite)) if cite is not None else None)
    if not title:
        raise NormaliseError("ISO record without a title (gmd:citation/gmd:title)")
    description, description_tr = context.text(_first(_ABSTRACT(ident)))
    level = _code(_first(_LEVEL(md))) or "dataset"

    common: dict[str, Any] = {
        "id": entry_id(raw.source_id, native_id), "source_id": raw.source_id, "native_id": native_id,
        "title": title, "title_translations": title_tr, "description": description,
        "description_translations": description_tr,
        "resource_type": INSPIRE_RESOURCE_TYPE + level if re.fullmatch(r"[A-Za-z]+", level) else None,
    }
    if cite is not None:
        common["identifiers"] = _identifiers(cite)
        common["uri"] = next((c for c in common["identifiers"] if c.startswith(("http://", "https://"))), None)
        common["created"], common["issued"], common["modified"] = _dates(cite)
    found = _keywords(ident, context)
    common.update(keywords=found.keywords, keyword_translations=found.translations, categories=found.categories,
                  category_labels=found.labels, applicable_legislation=found.legislation)
    common["themes"] = vocab.themes(found.theme_sources)
    parties = _parties(ident, cite, context)
    common["publisher"] = _publisher(parties, hint)
    common["creators"] = [p["agent"] for p in parties if p["role"] in CREATOR_ROLES]
    common["rights_holders"] = [p["agent"] for p in parties if p["role"] == "owner"]
    common["attributions"] = _attributions(parties)
    common["contact_points"] = _contacts(parties) or _contacts(_md_parties(md, context), any_role=True)
    constraints = _constraints(ident, context)
    common.update(licence=constraints.licence, licence_label=constraints.licence_label,
                  access_rights=constraints.access_rights, rights=constraints.rights)
    common["spatial"] = _spatial(ident, context)
    common["temporal"] = _temporal(ident)
    common["conformity"] = _conformity(md, context)
    common["conforms_to"] = _conforms_to(common["conformity"])
    common["reference_systems"] = _reference_systems(md)
    common["purpose"], common["purpose_translations"] = context.text(_first(_PURPOSE(ident)))
    common["metadata_record"] = _metadata_record(md, native_id, context)

    distributions = _DISTRIBUTIONS(md)
    if level == "service":
        return [_service(ident, distributions, common, raw.source_id, found.service_categories, context)]

    links = _links(distributions, context)
    lineage, lineage_tr = context.text(_first(_LINEAGE(md)))
    dataset = Dataset(
        **common,
        type="series" if level == "series" else "dataset",
        languages=_unique(filter(None, (vocab.language(_code(el) or el.text) for el in _LANGUAGES(ident)))),
        frequency=vocab.frequency(_code(_first(_FREQUENCY(ident)))),
        provenance=lineage, provenance_translations=lineage_tr,
        hvd_categories=found.hvd,
        spatial_resolution_scale=_scale(ident), spatial_resolution_m=_distance(ident),
    )
    dataset.distributions, dataset.landing_page = distributions_from_links(links, [], dataset)
    dataset.documentation = documentation_from_links(links, dataset.landing_page)
    representation = _code(_first(_REPRESENTATION(ident)))
    encoding = CHARACTER_SETS.get(_code(_first(_CHARACTER_SET(ident))) or "")
    for dist in dataset.distributions:
        dist.access_rights = dist.access_rights or constraints.limitation_uri or dataset.access_rights
        dist.representation_technique = INSPIRE_REPRESENTATION + representation if representation else None
        dist.character_encoding = encoding
    dataset.gaps = recommended_gaps(dataset)
    return [dataset]


# -- parsing and text ---------------------------------------------------------------------------------------------


def _metadata(content: bytes) -> etree._Element:
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise NormaliseError(f"not well-formed XML: {exc}") from None
    found = _METADATA(root)
    if not found:
        raise NormaliseError(f"not an ISO 19139 record (root element <{etree.QName(root).localname}>)")
    return found[0]


class _Context:
    """What text extraction needs to know of the record: its language and the ids of its PT_Locales."""

    def __init__(self, md: etree._Element) -> None:
        language = _first(_MD_LANGUAGE(md))
        self.language = _language_tag(_code(language) or (language.text if language is not None else None))
        self.locales: dict[str, str] = {}
        for locale in _LOCALES(md):
            tag = _language_tag(_code(_first(_LOCALE_CODE(locale))))
            if tag and locale.get("id"):
                self.locales["#" + locale.get("id")] = tag

    def text(self, element: etree._Element | None) -> tuple[str | None, dict[str, str]]:
        """(main text, {language tag: text}) of a gco:CharacterString / gmx:Anchor / PT_FreeText property."""
        if element is None:
            return None, {}
        main = _clean(_first(_CHARACTER(element)))
        translations: dict[str, str] = {}
        for localised in _FREE_TEXT(element):
            value = _clean(localised)
            locale = localised.get("locale") or ""
            tag = self.locales.get(locale) or _language_tag(locale.lstrip("#").lower().replace("locale-", ""))
            if value and tag:
                translations.setdefault(tag, value)
        if main is None and translations:  # no text of its own: the record's language, else French, else the first
            main = translations.get(self.language or "") or translations.get("fr") or next(iter(translations.values()))
        if main and self.language and translations:
            translations.setdefault(self.language, main)
        return main, translations


def _language_tag(code: str | None) -> str | None:
    if not code:
        return None
    code = code.strip().lower()
    if len(code) == 2 and code.isalpha():
        return code
    return LANGUAGE_TAGS.get(code[:3])


def _first(items: list[Any]) -> Any:
    return items[0] if items else None


def _clean(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = " ".join("".join(element.itertext()).split()) if len(element) else " ".join((element.text or "").split())
    return text or None


def _value(element: etree._Element | None) -> str | None:
    """The text of a property, or the xlink:href of its gmx:Anchor when the text is empty."""
    if element is None:
        return None
    inner = _first(_CHARACTER(element))
    if inner is None:
        return _clean(element)
    return _clean(inner) or inner.get(XLINK_HREF)


def _href(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    inner = _first(_CHARACTER(element))
    href = (inner if inner is not None else element).get(XLINK_HREF)
    return href.strip() if href and href.strip().startswith(("http://", "https://")) else None


def _code(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    return (element.get("codeListValue") or element.text or "").strip() or None


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


# -- dates, parties, keywords, constraints ------------------------------------------------------------------------


def _identifiers(cite: etree._Element) -> list[str]:
    """Citation identifiers; a code with a codeSpace is written as SEMIC does (codeSpace then code), unless the code
    is already an IRI."""
    out = []
    for identifier in _IDENTIFIERS(cite):
        code = _value(_first(_CODE(identifier)))
        if not code:
            continue
        space = _CODE_SPACE(identifier).strip()
        out.append(code if not space or code.startswith(("http://", "https://", "urn:")) else space + code)
    return _unique(out)


def _dates(cite: etree._Element) -> tuple[str | None, str | None, str | None]:
    """(created, issued, modified): each from its own date type, the latest when a type is repeated."""
    found: dict[str, str] = {}
    for date in _CITATION_DATES(cite):
        kind = _code(_first(_DATE_TYPE(date)))
        value = vocab.iso_datetime(_DATE_VALUE(date).strip())
        if kind and value and (kind not in found or value > found[kind]):
            found[kind] = value
    return found.get("creation"), found.get("publication"), found.get("revision")


def _parties(ident: etree._Element, cite: etree._Element | None, context: _Context) -> list[dict[str, Any]]:
    elements = _POINTS_OF_CONTACT(ident) + (_CITED_PARTIES(cite) if cite is not None else [])
    return [party for party in (_party(el, context) for el in elements) if party]


def _md_parties(md: etree._Element, context: _Context) -> list[dict[str, Any]]:
    return [party for party in (_party(el, context) for el in _MD_CONTACTS(md)) if party]


def _party(element: etree._Element, context: _Context) -> dict[str, Any] | None:
    """A responsible party as its role, an Agent (organisation, else person) and a ContactPoint; None if it names
    nobody."""
    emails = [e for e in (_clean(el) for el in _EMAILS(element)) if e and "@" in e]
    organisation, organisation_tr = context.text(_first(_ORG_NAME(element)))
    individual, individual_tr = context.text(_first(_INDIVIDUAL(element)))
    email = emails[0] if emails else None
    if not (organisation or individual or email):
        return None
    phone = _PHONE(element).strip() or None
    url = _ONLINE(element).strip() or None
    address = _address(_first(_ADDRESS(element)), context)
    name = organisation or individual
    agent = Agent(name=name or email or "", email=email, homepage=url, phone=phone, address=address,
                  name_translations=organisation_tr if organisation else individual_tr)
    contact = ContactPoint(name=individual or organisation, email=email, phone=phone, url=url, address=address,
                           name_translations=individual_tr if individual else organisation_tr)
    return {"role": _code(_first(_ROLE(element))) or "", "agent": agent, "contact": contact,
            "organisation": organisation}


def _address(element: etree._Element | None, context: _Context) -> Address | None:
    if element is None:
        return None
    parts = {name: context.text(_first(xpath(element)))[0] for name, xpath in _ADDRESS_PARTS.items()}
    address = Address(street=parts["deliveryPoint"], locality=parts["city"], postal_code=parts["postalCode"],
                      region=parts["administrativeArea"], country=parts["country"])
    return address if any(address.model_dump().values()) else None


def _attributions(parties: list[dict[str, Any]]) -> list[Attribution]:
    out: list[Attribution] = []
    for party in parties:
        if party["role"] and re.fullmatch(r"[A-Za-z]+", party["role"]):
            attribution = Attribution(role=party["role"], agent=party["agent"])
            if attribution not in out:
                out.append(attribution)
    return out


def _publisher(parties: list[dict[str, Any]], hint: PublisherHint | None) -> Agent | None:
    for role in PUBLISHER_ROLES:
        for party in parties:
            if party["role"] == role and party["organisation"]:
                agent = party["agent"].model_copy(deep=True)
                if hint is not None and hint.siren and hint.name and fold(hint.name) == fold(agent.name):
                    agent.siren = hint.siren
                return agent
    return publisher_from_hint(hint)


def _contacts(parties: list[dict[str, Any]], any_role: bool = False) -> list[ContactPoint]:
    """The contact points of the parties whose role is pointOfContact (or of all of them: metadata contacts)."""
    chosen = [p for p in parties if any_role or p["role"] in ("pointOfContact", "")]
    out: list[ContactPoint] = []
    for party in chosen:
        if party["contact"] not in out:
            out.append(party["contact"])
    return out


class _Keywords:
    """What the descriptive keywords and topic categories give."""

    def __init__(self) -> None:
        self.keywords: list[str] = []
        self.translations: dict[str, list[str]] = {}
        self.categories: list[str] = []
        self.labels: dict[str, str] = {}
        self.theme_sources: list[str] = []
        self.hvd: list[str] = []
        self.legislation: list[str] = []
        self.service_categories: list[str] = []

    def concept(self, iri: str, label: str | None) -> None:
        if iri not in self.categories:
            self.categories.append(iri)
        if label and label != iri:
            self.labels.setdefault(iri, label)


_HVD_THESAURUS = re.compile(r"high.value|asd487ae75|high-value-dataset-category", re.I)


def _keywords(ident: etree._Element, context: _Context) -> _Keywords:
    found = _Keywords()
    for block in _KEYWORD_BLOCKS(ident):
        thesaurus_el = _first(_THESAURUS_TITLE(block))
        thesaurus = (_value(thesaurus_el) or "") + " " + (_href(thesaurus_el) or "")
        inspire_themes = "inspire" in thesaurus.lower() and ("theme" in thesaurus.lower() or "thème" in thesaurus)
        service_classification = "1205/2008" in thesaurus or "/2008/1205" in thesaurus
        hvd = bool(_HVD_THESAURUS.search(thesaurus))
        for keyword in _KEYWORDS(block):
            text, translations = context.text(keyword)
            href = _href(keyword)
            if not text and not href:
                continue
            if service_classification:  # INSPIRE service categories describe the service, they are no keywords
                code = (href or "").rstrip("/").rsplit("/", 1)[-1] or (text or "")
                if re.fullmatch(r"[A-Za-z]+", code):
                    found.service_categories.append(href or INSPIRE_SERVICE_CATEGORY + code)
                continue
            inspire = vocab.inspire_theme_uri(href or text or "") \
                if (inspire_themes or (href and "/theme/" in href)) else None
            if inspire:
                found.concept(inspire, text)
                found.theme_sources.append(inspire)
            elif href:
                found.concept(href, text)
                if href.startswith("http://data.europa.eu/eli/"):
                    found.legislation.append(href)
                elif hvd or href.startswith("http://data.europa.eu/bna/c_"):
                    found.hvd.append(href)
                elif text:
                    found.theme_sources.append(text)
            elif text:
                found.keywords.append(text)
                for lang, value in translations.items():
                    if lang != context.language and value != text:
                        found.translations.setdefault(lang, []).append(value)
                if thesaurus.strip():
                    found.theme_sources.append(text)
    for topic in _TOPICS(ident):
        code = (topic.text or "").strip()
        if code:
            found.concept(INSPIRE_TOPIC + code, None)
            found.theme_sources.append(code)
    found.keywords = _unique(found.keywords)
    found.translations = {lang: _unique(values) for lang, values in found.translations.items()}
    found.hvd, found.legislation = _unique(found.hvd), _unique(found.legislation)
    found.service_categories = _unique(found.service_categories)
    return found


class _Constraints:
    def __init__(self) -> None:
        self.licence: str | None = None
        self.licence_label: str | None = None
        self.access_rights: str | None = None
        self.limitation_uri: str | None = None  # the source's INSPIRE LimitationsOnPublicAccess IRI
        self.rights: str | None = None


def _constraints(ident: etree._Element, context: _Context) -> _Constraints:
    """Licence, EU access rights and rights text from the resource constraints."""
    use: list[tuple[str | None, str | None]] = []  # (text, href)
    access: list[tuple[str | None, str | None]] = []
    for block in _CONSTRAINTS(ident):
        others = [(context.text(el)[0], _href(el)) for el in _OTHER_CONSTRAINTS(block)]
        limitations = [(context.text(el)[0], _href(el)) for el in _USE_LIMITATIONS(block)]
        access_codes = [_code(el) for el in _ACCESS_CODES(block)]
        use_codes = [_code(el) for el in _USE_CODES(block)]
        use.extend(limitations)
        if use_codes or not access_codes:
            use.extend(others)
        if access_codes:
            access.extend(others)
            access.extend((code, None) for code in access_codes if code not in ("otherRestrictions", "license"))
    out = _Constraints()
    for text, href in use:
        uri = vocab.licence(href)[0] if href else None
        if uri is None and text:
            uri = vocab.licence(text)[0]
        if uri:
            out.licence, out.licence_label = uri, text or href
            break
    out.rights = "\n".join(_unique(text for text, _ in use if text)) or None
    for text, href in access:
        if href and "LimitationsOnPublicAccess/" in href:
            out.limitation_uri = out.limitation_uri or href
        out.access_rights = out.access_rights or (vocab.access_rights(href) if href else None) or \
            (vocab.access_rights(text) if text else None)
    return out


def _conformity(md: etree._Element, context: _Context) -> list[Conformity]:
    """Every conformity report, whatever its degree (GeoDCAT-AP's prov:wasUsedBy keeps them all)."""
    out: list[Conformity] = []
    for result in _CONFORMANCE(md):
        passed = _PASS(result).strip().lower()
        degree = "conformant" if passed in ("true", "1") else "notConformant" if passed in ("false", "0") \
            else "notEvaluated"
        title_el = _first(_SPEC_TITLE(result))
        title = context.text(title_el)[0]
        href = _href(title_el)
        if href is None and title and _REGULATION.search(title) and (match := _REGULATION_NUMBER.search(title)):
            number, year = match.groups()
            if len(year) == 4 and len(number) <= 4:
                href = f"http://data.europa.eu/eli/reg/{year}/{int(number)}"
        explanation, explanation_tr = context.text(_first(_EXPLANATION(result)))
        item = Conformity(specification=href, title=title, title_language=context.language,
                          date=vocab.iso_datetime(_SPEC_DATE(result).strip()), degree=degree,
                          explanation=explanation, explanation_translations=explanation_tr)
        if (href or title) and item not in out:
            out.append(item)
    return out


def _conforms_to(conformity: list[Conformity]) -> list[str]:
    """The specifications the resource passes: their IRI, else their title."""
    return _unique(c.specification or c.title or "" for c in conformity if c.degree == "conformant")


_EPSG = re.compile(r"(?:EPSG|urn:ogc:def:crs:EPSG:[\d.]*)[:/ ]*(\d{4,6})\b", re.I)


def _reference_systems(md: etree._Element) -> list[str]:
    """Coordinate reference systems as IRIs: the anchor's, or the OGC IRI of an EPSG code ("EPSG:2154")."""
    out = []
    for code in _REFERENCE_SYSTEMS(md):
        href, text = _href(code), _value(code)
        if href:
            out.append(href)
        elif text and (match := _EPSG.search(text)):
            out.append(f"http://www.opengis.net/def/crs/EPSG/0/{match.group(1)}")
        elif text and text.startswith(("http://", "https://")):
            out.append(text)
    return _unique(out)


def _scale(ident: etree._Element) -> int | None:
    try:
        value = int(_SCALE(ident).strip())
    except ValueError:
        return None
    return value if value > 0 else None


_TO_METRES = {"m": 1.0, "meter": 1.0, "metre": 1.0, "meters": 1.0, "metres": 1.0, "km": 1000.0, "cm": 0.01,
              "mm": 0.001}


def _distance(ident: etree._Element) -> float | None:
    element = _first(_DISTANCE(ident))
    if element is None:
        return None
    unit = (element.get("uom") or "m").rsplit("#", 1)[-1].rsplit("/", 1)[-1].strip().lower()
    try:
        value = float((element.text or "").strip()) * _TO_METRES[unit]
    except (ValueError, KeyError):
        return None
    return value if value > 0 else None


def _metadata_record(md: etree._Element, native_id: str, context: _Context) -> MetadataRecord | None:
    modified = vocab.iso_datetime(_DATESTAMP(md).strip())
    parties = _md_parties(md, context)
    language = _first(_MD_LANGUAGE(md))
    record = MetadataRecord(
        identifier=_FILE_ID(md).strip() or None, modified=modified,
        language=vocab.language(_code(language) or (language.text if language is not None else None)),
        contact_points=_contacts(parties, any_role=True), attributions=_attributions(parties),
        standard=_STANDARD_NAME(md).strip() or None, standard_version=_STANDARD_VERSION(md).strip() or None,
        character_encoding=CHARACTER_SETS.get(_code(_first(_CHARACTER_SET(md))) or ""),
    )
    return record if record.identifier or record.modified else None


# -- extents ------------------------------------------------------------------------------------------------------


def _spatial(ident: etree._Element, context: _Context) -> list[Spatial]:
    out: list[Spatial] = []
    for extent in _EXTENTS(ident):
        label = context.text(_first(_EXTENT_DESCRIPTION(extent)))[0]
        for box in _BBOXES(extent):
            bbox = _bbox(box)
            if bbox is None:
                continue
            departements, regions = territory.for_bbox(bbox)
            out.append(Spatial(label=label, bbox=bbox, geometry=box_geojson(bbox), departements=list(departements),
                               regions=list(regions)))
        for code_el in _GEO_CODES(extent):
            text, href = _value(code_el), _href(code_el)
            if not text and not href:
                continue
            communes, departements, regions = _territory_of(text) if text else ([], [], [])
            out.append(Spatial(uri=href, label=text if text != href else None, communes=list(communes),
                               departements=list(departements), regions=list(regions)))
    return out


def _bbox(box: etree._Element) -> tuple[float, float, float, float] | None:
    try:
        west, south, east, north = (float(_BOUND[side](box)) for side in
                                    ("westBoundLongitude", "southBoundLatitude", "eastBoundLongitude",
                                     "northBoundLatitude"))
    except ValueError:
        return None
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        return None
    if 0 < west - east < 180:  # west and east swapped (seen in French records); a box across the antimeridian
        west, east = east, west  # has west - east > 180 and is kept as is
    return west, south, east, north


_INSEE_CODE = re.compile(r"^(?:\d[\dAB]\d{3}|\d[\dAB]|97\d)$")


def _territory_of(text: str) -> tuple[list[str], list[str], list[str]]:
    """INSEE territories of a geographic identifier: a code (commune, département) or a name ("Rhône")."""
    code = text.strip().split(":")[-1].strip()
    if _INSEE_CODE.match(code):
        return tuple(list(x) for x in territory.for_codes([code]))  # type: ignore[return-value]
    return tuple(list(x) for x in territory.for_name(text))  # type: ignore[return-value]


def _temporal(ident: etree._Element) -> list[PeriodOfTime]:
    out: list[PeriodOfTime] = []
    for extent in _EXTENTS(ident):
        for time in _TIME(extent):
            begin, end = _first(_BEGIN(time)), _first(_END(time))
            if begin is None and end is None:
                instant = _first(_INSTANT(time))
                begin = end = instant
            start = vocab.iso_datetime((begin.text or "").strip()) if begin is not None else None
            stop = vocab.iso_datetime((end.text or "").strip()) if end is not None else None
            if start or stop:
                out.append(PeriodOfTime(start=start, end=stop))
    return out


# -- online resources ---------------------------------------------------------------------------------------------


def _links(distributions: list[etree._Element], context: _Context) -> list[dict[str, Any]]:
    """Every online resource of the distribution info, with the formats that apply to it (its distributor's own,
    else the record's) and the transfer size of its transfer options."""
    links: list[dict[str, Any]] = []

    def add(transfer: etree._Element, formats: list[dict[str, str | None]]) -> None:
        try:
            size = float(_TRANSFER_SIZE(transfer).strip())
        except ValueError:
            size = None
        for resource in _ON_LINE(transfer):
            link = _link(resource, context)
            if link is not None:
                link["formats"] = formats
                link["byte_size"] = round(size * 1_000_000) if size is not None and size >= 0 else None
                links.append(link)

    for dist in distributions:
        record_formats = _formats(_FORMAT_NAMES(dist))
        for transfer in _TRANSFERS(dist):
            add(transfer, record_formats)
        for distributor in _DISTRIBUTORS(dist):
            own = _formats(_DISTRIBUTOR_FORMATS(distributor)) or record_formats
            for transfer in _DISTRIBUTOR_TRANSFERS(distributor):
                add(transfer, own)
    return links


def _formats(names: list[etree._Element]) -> list[dict[str, str | None]]:
    out: list[dict[str, str | None]] = []
    for name in names:
        text, href = _value(name), _href(name)
        if (text or href) and {"label": text, "href": href} not in out:
            out.append({"label": text, "href": href})
    return out


def _link(resource: etree._Element, context: _Context) -> dict[str, Any] | None:
    protocol_el = _first(_PROTOCOL(resource))
    name, name_tr = context.text(_first(_NAME(resource)))
    description, description_tr = context.text(_first(_DESCRIPTION(resource)))
    link = make_link(_LINKAGE(resource), " ".join(filter(None, (_value(protocol_el), _href(protocol_el)))),
                     name, description, _code(_first(_FUNCTION(resource))) or "")
    if link is not None:
        link["name_translations"], link["description_translations"] = name_tr, description_tr
    return link


def make_link(url: str, protocol: str | None, name: str | None = None, description: str | None = None,
              function: str = "") -> dict[str, Any] | None:
    """An online resource as the distribution builder reads it (also used for Dublin Core dct:references)."""
    url = (url or "").strip()
    if not url.startswith(("http://", "https://", "ftp://")):
        return None
    protocol = protocol or ""
    return {"url": url, "protocol": protocol, "name": name, "description": description, "function": function,
            "service": _service_type(url, protocol)}


def _service_type(url: str, protocol: str) -> str | None:
    """wms, wfs, wmts, wcs, csw, sos, wps, ogcapi, atom or esri-rest when the link is a service endpoint."""
    text = protocol.upper()
    for kind in ("WMTS", "WMS", "WFS", "WCS", "CSW", "SOS", "WPS"):
        if re.search(rf"(?<![A-Z]){kind}(?![A-Z])", text) or f"WEB {_SERVICE_NAMES[kind]}" in text:
            return kind.lower()
    if "OGC API" in text or "OGCAPI" in text or "OGC:API" in text:
        return "ogcapi"
    if "ATOM" in text or "RFC4287" in text:
        return "atom"
    if "ESRI" in text and "REST" in text:
        return "esri-rest"
    if "service=" not in url.lower():
        return None
    query = {k.lower(): v for k, v in parse_qsl(urlsplit(url).query)}
    service = query.get("service", "").lower()
    return service if service in SERVICE_STANDARDS else None


_SERVICE_NAMES = {"WMTS": "MAP TILE SERVICE", "WMS": "MAP SERVICE", "WFS": "FEATURE SERVICE",
                  "WCS": "COVERAGE SERVICE", "CSW": "CATALOGUE SERVICE", "SOS": "SENSOR OBSERVATION",
                  "WPS": "PROCESSING SERVICE"}


def _endpoint(url: str) -> str:
    """The service endpoint of an OGC request URL: the URL without its request/service/version parameters."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in ("request", "service", "version", "acceptversions")]
    return urlunsplit(parts._replace(query=urlencode(query)))


_DOWNLOAD_FUNCTIONS = ("download", "offlineAccess", "order")
_PAGE_FUNCTIONS = ("information", "search", "browsing", "browseGraphic", "fileAccess", "completeMetadata")


def _is_download(link: dict[str, Any]) -> bool:
    protocol = link["protocol"].upper()
    if link["function"] in _DOWNLOAD_FUNCTIONS or "DOWNLOAD" in protocol or protocol.startswith("FILE"):
        return True
    return vocab.file_format(url=link["url"])[0] is not None and "LINK" not in protocol


def _is_page(link: dict[str, Any]) -> bool:
    return link["function"] in _PAGE_FUNCTIONS and not link["service"] and not _is_download(link)


def _declared(link: dict[str, Any], formats: list[str]) -> tuple[str | None, str | None, str | None]:
    """(EU file type, IANA media type, label) of the one format declared for a link, if there is exactly one."""
    declared = link.get("formats") or [{"label": f, "href": None} for f in formats]
    if len(declared) != 1:
        return None, None, None
    label, href = declared[0]["label"], declared[0]["href"]
    file_type, media = vocab.file_format(href) if href else (None, None)
    if file_type is None and media is None:
        file_type, media = vocab.file_format(label)
    return file_type, media, label or href


def distributions_from_links(links: list[dict[str, Any]], formats: list[str],
                             dataset: Dataset) -> tuple[list[Distribution], str | None]:
    """(distributions, landing page) of a dataset from its online resources (see :func:`make_link`).

    Download, offline access and order links are distributions with their file; service links distributions with an
    access service; information and search pages are documentation (see :func:`documentation_from_links`), the first
    plain link without a function the landing page.
    """
    out: list[Distribution] = []
    landing: str | None = None
    seen: set[str] = set()
    for link in links:
        if link["url"] in seen:
            continue
        seen.add(link["url"])
        common: dict[str, Any] = {
            "title": link["name"], "description": link["description"], "licence": dataset.licence,
            "licence_label": dataset.licence_label, "rights": dataset.rights,
            "title_translations": link.get("name_translations") or {},
            "description_translations": link.get("description_translations") or {},
            "byte_size": link.get("byte_size"),
        }
        declared_type, declared_media, declared_label = _declared(link, formats)
        if link["service"] == "csw":
            continue  # a catalogue link (typically this very record's GetRecordById): metadata, not the data
        if link["service"]:
            kind = link["service"]
            file_type, media = vocab.file_format(kind.upper())
            description = link["url"] if "getcapabilities" in link["url"].lower() else None
            out.append(Distribution(
                **common, access_url=link["url"], format=declared_type or file_type,
                format_label=declared_label or kind.upper(), media_type=declared_media or media,
                access_service=AccessService(  # DCAT-AP wants a title: the dataset's, when the link has none
                    title=link["name"] or link["description"] or f"{kind.upper()} : {dataset.title}",
                    endpoint_url=_endpoint(link["url"]) if kind != "atom" else link["url"],
                    endpoint_description=description or (link["url"] if kind == "atom" else None),
                    service_type=kind, conforms_to=[SERVICE_STANDARDS[kind]] if kind in SERVICE_STANDARDS else [],
                    protocol=SERVICE_PROTOCOLS.get(kind)),
            ))
        elif _is_download(link):
            label = declared_label or _format_hint(link)
            file_type, media = (declared_type, declared_media) if declared_type or declared_media else \
                vocab.file_format(label, url=link["url"])
            out.append(Distribution(**common, access_url=link["url"], download_url=link["url"], format=file_type,
                                    format_label=label, media_type=media))
        elif _is_page(link):
            continue  # documentation
        elif link["function"] == "" and "LINK" in link["protocol"].upper():
            landing = landing or link["url"]
        else:
            file_type, media = vocab.file_format(_format_hint(link), url=link["url"])
            out.append(Distribution(**common, access_url=link["url"], format=file_type,
                                    format_label=_format_hint(link), media_type=media))
    if landing is None:  # MQA's landing page: an information page will do
        landing = next((link["url"] for link in links if _is_page(link)), None)
    return out, landing


def documentation_from_links(links: list[dict[str, Any]], landing: str | None = None) -> list[str]:
    """The information and search pages of a record (foaf:page), but the one already given as landing page."""
    return _unique(link["url"] for link in links if _is_page(link) and link["url"] != landing)


def _format_hint(link: dict[str, Any]) -> str | None:
    """A format named by the link itself (a MIME type in the protocol, e.g. 'WWW:DOWNLOAD-1.0-http--download' has
    none; 'application/zip' has one)."""
    protocol = link["protocol"]
    return protocol if "/" in protocol and not protocol.startswith("http") else None


# -- services -----------------------------------------------------------------------------------------------------


def _service(ident: etree._Element, distributions: list[etree._Element], common: dict[str, Any], source_id: str,
             categories: list[str], context: _Context) -> DataService:
    """A service record: its distribution links are its endpoints (its operations' connect points when it has
    none), the GetCapabilities one its description as SEMIC writes it, else the endpoint itself."""
    links = _links(distributions, context)
    connect = [link for link in (_link(r, context) for r in _CONNECT_POINTS(ident)) if link]
    endpoints = _unique(link["url"] for link in (links or connect))
    kinds = [link["service"] for link in links + connect if link["service"]]
    declared = _SERVICE_TYPE(ident).strip()
    description = next((link["url"] for link in links or connect
                        if "getcapabilities" in link["url"].lower() or link["service"] == "atom"), None)
    served = []
    for operates in _OPERATES_ON(ident):
        ref = operates.get("uuidref")
        href = operates.get(XLINK_HREF)
        if ref:
            served.append(entry_id(source_id, ref.strip()))
        elif href and href.startswith(("http://", "https://")):
            served.append(href.strip())
    service_type = kinds[0] if kinds else (declared.lower().split(":")[-1] or None)
    type_code = declared.split(":")[-1].strip()
    service = DataService(
        **common,
        endpoint_urls=endpoints,
        endpoint_description=description or (endpoints[0] if endpoints else None),
        service_type=service_type,
        serves_datasets=_unique(served),
        service_type_uri=INSPIRE_SERVICE_TYPE + type_code if re.fullmatch(r"[A-Za-z]+", type_code) else None,
        service_categories=categories,
        protocol=SERVICE_PROTOCOLS.get(service_type or ""),
    )
    gaps = [name for name, value in (("dct:description", service.description),
                                     ("dcat:endpointURL", service.endpoint_urls),
                                     ("dcat:contactPoint", service.contact_points),
                                     ("dct:publisher", service.publisher),
                                     ("dcat:keyword", service.keywords)) if not value]
    service.gaps = gaps
    return service
