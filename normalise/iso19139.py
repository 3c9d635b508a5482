"""ISO 19139 (gmd:MD_Metadata, gmi:MI_Metadata and profiles declaring gco:isoType) -> DCAT-AP, after GeoDCAT-AP.

The mapping follows SEMIC's iso-19139-to-dcat-ap (documentation/Mappings.md), checked against its golden pair
(csw/semic_..._input.xml -> dcat/semic_..._expected_output.ttl), onto moisson's model:

* fileIdentifier -> native id; citation identifiers -> ``identifiers`` (an http(s) code is the resource IRI);
  hierarchyLevel dataset/series/service -> Dataset, Dataset(type="series"), DataService.
* title and abstract with their PT_FreeText translations, keyed by language (the metadata language included).
* citation dates: publication -> issued (creation when there is no publication date: the model has no dct:created
  and the creation date is the nearest one), revision -> modified.
* responsible parties: role publisher -> publisher (then owner, custodian, the resource's point of contact: French
  catalogues rarely use the publisher role, and the body is what MQA and territory matching need; the source hint
  comes only after); originator/author -> creators; pointOfContact -> contact points (the metadata contact when the
  resource names none, as the golden pair's catalogue record does).
* keywords: INSPIRE themes (GEMET thesaurus or registry URIs) -> INSPIRE theme URIs in ``categories`` and EU themes
  via :func:`normalise.vocab.themes`; anchored keywords -> their concept URIs in ``categories``; other keywords ->
  ``keywords``; ISO topic categories -> INSPIRE TopicCategory URIs in ``categories`` and EU themes.
* extents: every bounding box -> a Spatial with its GeoJSON polygon and the INSEE départements/régions it covers
  (:func:`normalise.territory.for_bbox`); geographic identifiers -> Spatial with their URI or name; temporal
  extents -> PeriodOfTime. Lineage -> provenance; maintenance frequency -> EU frequency.
* constraints: use constraints and useLimitation -> licence (:func:`normalise.vocab.licence` recognises Licence
  Ouverte/Etalab, ODbL, CC... in free text; an anchored licence document is kept as is) and ``rights`` (the text);
  access constraints -> EU access rights (INSPIRE "noLimitations" is public).
* conformity reports that pass -> ``conforms_to`` (the specification's URI, an ELI for INSPIRE regulations cited
  by number, else its title).
* online resources: download links -> Distributions with EU file type and IANA media type; WMS/WFS/WMTS/WCS/OGC
  API/Atom links -> Distributions with an ``access_service``; the first information link -> landing page. For a
  service record they are the endpoints.

Parsing uses lxml with entities and network access off, and compiled XPath: the budget is 500 records a second.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml import etree

from normalise import NormaliseError, territory, vocab
from normalise.common import publisher_from_hint, recommended_gaps
from normalise.model import (
    AccessService,
    Agent,
    ContactPoint,
    DataService,
    Dataset,
    Distribution,
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
INSPIRE_TOPIC = "http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/"
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
CREATOR_ROLES = ("originator", "author", "principalInvestigator")

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
_IDENTIFIER_CODES = _xp("gmd:identifier/*/gmd:code")
_CITED_PARTIES = _xp("gmd:citedResponsibleParty/gmd:CI_ResponsibleParty")
_POINTS_OF_CONTACT = _xp("gmd:pointOfContact/gmd:CI_ResponsibleParty")
_MD_CONTACTS = _xp("gmd:contact/gmd:CI_ResponsibleParty")
_ORG_NAME = _xp("gmd:organisationName")
_INDIVIDUAL = _xp("gmd:individualName")
_EMAILS = _xp("gmd:contactInfo/gmd:CI_Contact/gmd:address/gmd:CI_Address/gmd:electronicMailAddress/*[1]")
_PHONE = _xp("string(gmd:contactInfo/gmd:CI_Contact/gmd:phone/gmd:CI_Telephone/gmd:voice/*[1])")
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
_DISTRIBUTIONS = _xp("gmd:distributionInfo/gmd:MD_Distribution")
_FORMAT_NAMES = _xp("gmd:distributionFormat/gmd:MD_Format/gmd:name"
                    " | gmd:distributor/gmd:MD_Distributor/gmd:distributorFormat/gmd:MD_Format/gmd:name")
_ONLINE_RESOURCES = _xp("gmd:transferOptions/gmd:MD_DigitalTransferOptions/gmd:onLine/gmd:CI_OnlineResource"
                        " | gmd:distributor/gmd:MD_Distributor/gmd:distributorTransferOptions/"
                        "gmd:MD_DigitalTransferOptions/gmd:onLine/gmd:CI_OnlineResource")
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
    }
    if cite is not None:
        codes = [_value(code) for code in _IDENTIFIER_CODES(cite)]
        common["identifiers"] = _unique(c for c in codes if c)
        common["uri"] = next((c for c in common["identifiers"] if c.startswith(("http://", "https://"))), None)
        common["issued"], common["modified"] = _dates(cite)
    keywords, categories, theme_sources = _keywords(ident, context)
    common["keywords"], common["categories"] = keywords, categories
    common["themes"] = vocab.themes(theme_sources)
    parties = _parties(ident, cite)
    common["publisher"] = _publisher(parties, hint)
    common["creators"] = [_agent(p) for p in parties if p["role"] in CREATOR_ROLES]
    common["contact_points"] = _contacts(parties, _MD_CONTACTS(md), context)
    licence, licence_label, access_rights, rights = _constraints(ident, context)
    common.update(licence=licence, licence_label=licence_label, access_rights=access_rights, rights=rights)
    common["spatial"] = _spatial(ident, context)
    common["temporal"] = _temporal(ident)
    common["conforms_to"] = _conformity(md, context)

    distributions = _DISTRIBUTIONS(md)
    if level == "service":
        return [_service(md, ident, distributions, common, raw.source_id)]

    links, formats = _links(distributions, context)
    dataset = Dataset(
        **common,
        type="series" if level == "series" else "dataset",
        languages=_unique(filter(None, (vocab.language(_code(el) or el.text) for el in _LANGUAGES(ident)))),
        frequency=vocab.frequency(_code(_first(_FREQUENCY(ident)))),
        provenance=context.text(_first(_LINEAGE(md)))[0],
    )
    dataset.distributions, dataset.landing_page = distributions_from_links(links, formats, dataset)
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
        if main is None and translations:
            main = translations.get(self.language or "") or next(iter(translations.values()))
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


def _dates(cite: etree._Element) -> tuple[str | None, str | None]:
    found: dict[str, str] = {}
    for date in _CITATION_DATES(cite):
        kind = _code(_first(_DATE_TYPE(date)))
        value = vocab.iso_datetime(_DATE_VALUE(date).strip())
        if kind and value and (kind not in found or value > found[kind]):
            found[kind] = value
    return found.get("publication") or found.get("creation"), found.get("revision")


def _parties(ident: etree._Element, cite: etree._Element | None) -> list[dict[str, Any]]:
    elements = _POINTS_OF_CONTACT(ident) + (_CITED_PARTIES(cite) if cite is not None else [])
    return [_party(el) for el in elements]


def _party(element: etree._Element) -> dict[str, Any]:
    emails = [e for e in (_clean(el) for el in _EMAILS(element)) if e and "@" in e]
    return {
        "role": _code(_first(_ROLE(element))) or "",
        "organisation": _value(_first(_ORG_NAME(element))),
        "individual": _value(_first(_INDIVIDUAL(element))),
        "email": emails[0] if emails else None,
        "phone": _PHONE(element).strip() or None,
        "url": _ONLINE(element).strip() or None,
    }


def _agent(party: dict[str, Any]) -> Agent:
    return Agent(name=party["organisation"] or party["individual"], email=party["email"], homepage=party["url"])


def _publisher(parties: list[dict[str, Any]], hint: PublisherHint | None) -> Agent | None:
    for role in PUBLISHER_ROLES:
        for party in parties:
            if party["role"] == role and party["organisation"]:
                agent = _agent(party)
                if hint is not None and hint.siren and hint.name and fold(hint.name) == fold(agent.name):
                    agent.siren = hint.siren
                return agent
    return publisher_from_hint(hint)


def _contacts(parties: list[dict[str, Any]], md_contacts: list[etree._Element],
              context: _Context) -> list[ContactPoint]:
    chosen = [p for p in parties if p["role"] == "pointOfContact"] or [_party(el) for el in md_contacts]
    out: list[ContactPoint] = []
    for party in chosen:
        if not (party["individual"] or party["organisation"] or party["email"]):
            continue
        contact = ContactPoint(name=party["individual"] or party["organisation"], email=party["email"],
                               phone=party["phone"], url=party["url"])
        if contact not in out:
            out.append(contact)
    return out


def _keywords(ident: etree._Element, context: _Context) -> tuple[list[str], list[str], list[str]]:
    """(free keywords, category URIs, values to map to EU themes)."""
    keywords: list[str] = []
    categories: list[str] = []
    theme_sources: list[str] = []
    for block in _KEYWORD_BLOCKS(ident):
        thesaurus_el = _first(_THESAURUS_TITLE(block))
        thesaurus = (_value(thesaurus_el) or "") + " " + (_href(thesaurus_el) or "")
        inspire_themes = "inspire" in thesaurus.lower() and ("theme" in thesaurus.lower() or "thème" in thesaurus)
        service_classification = "1205/2008" in thesaurus or "/2008/1205" in thesaurus
        for keyword in _KEYWORDS(block):
            text = _value(keyword)
            href = _href(keyword)
            if not text and not href:
                continue
            inspire = vocab.inspire_theme_uri(href or text) if (inspire_themes or (href and "/theme/" in href)) \
                else None
            if inspire:
                categories.append(inspire)
                theme_sources.append(inspire)
            elif href:
                categories.append(href)
                if text and not service_classification:
                    theme_sources.append(text)
            elif service_classification:
                continue  # INSPIRE service categories describe the service, they are no keywords
            elif text:
                keywords.append(text)
                if thesaurus.strip():
                    theme_sources.append(text)
    for topic in _TOPICS(ident):
        code = (topic.text or "").strip()
        if code:
            categories.append(INSPIRE_TOPIC + code)
            theme_sources.append(code)
    return _unique(keywords), _unique(categories), theme_sources


def _constraints(ident: etree._Element, context: _Context) -> tuple[str | None, str | None, str | None, str | None]:
    """(licence URI, licence label, access-rights URI, rights text) from the resource constraints."""
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
            access.extend((code, None) for code in access_codes if code != "otherRestrictions")
    licence_uri, licence_label = None, None
    for text, href in use:
        uri = vocab.licence(href)[0] if href else None
        if uri is None and text:
            uri = vocab.licence(text)[0]
        if uri:
            licence_uri, licence_label = uri, text or href
            break
    rights = "\n".join(_unique(text for text, _ in use if text)) or None
    access_rights = None
    for text, href in access:
        access_rights = (vocab.access_rights(href) if href else None) or (vocab.access_rights(text) if text else None)
        if access_rights:
            break
    return licence_uri, licence_label, access_rights, rights


def _conformity(md: etree._Element, context: _Context) -> list[str]:
    out: list[str] = []
    for result in _CONFORMANCE(md):
        if _PASS(result).strip().lower() not in ("true", "1"):
            continue
        title_el = _first(_SPEC_TITLE(result))
        href = _href(title_el)
        title = context.text(title_el)[0]
        if href:
            out.append(href)
        elif title and _REGULATION.search(title) and (match := _REGULATION_NUMBER.search(title)):
            number, year = match.groups()
            if len(year) == 4 and len(number) <= 4:
                out.append(f"http://data.europa.eu/eli/reg/{year}/{int(number)}")
        elif title:
            out.append(title)
    return _unique(out)


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
            west, south, east, north = bbox
            polygon = {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north],
                                                           [west, north], [west, south]]]}
            out.append(Spatial(label=label, bbox=bbox, geometry=polygon, departements=list(departements),
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


def _links(distributions: list[etree._Element], context: _Context) -> tuple[list[dict[str, Any]], list[str]]:
    """Every online resource of the distribution info as a dict, and the declared format names."""
    links: list[dict[str, Any]] = []
    formats: list[str] = []
    for dist in distributions:
        formats.extend(f for f in (_value(el) for el in _FORMAT_NAMES(dist)) if f)
        for resource in _ONLINE_RESOURCES(dist):
            link = _link(resource, context)
            if link is not None:
                links.append(link)
    return links, _unique(formats)


def _link(resource: etree._Element, context: _Context) -> dict[str, Any] | None:
    protocol_el = _first(_PROTOCOL(resource))
    return make_link(_LINKAGE(resource), " ".join(filter(None, (_value(protocol_el), _href(protocol_el)))),
                     context.text(_first(_NAME(resource)))[0], context.text(_first(_DESCRIPTION(resource)))[0],
                     _code(_first(_FUNCTION(resource))) or "")


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
        if re.search(rf"(?<![A-Z]){kind}(?![A-Z])", text):
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


def _endpoint(url: str) -> str:
    """The service endpoint of an OGC request URL: the URL without its request/service/version parameters."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in ("request", "service", "version", "acceptversions")]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _is_download(link: dict[str, Any]) -> bool:
    protocol = link["protocol"].upper()
    if link["function"] == "download" or "DOWNLOAD" in protocol or protocol.startswith("FILE"):
        return True
    return vocab.file_format(url=link["url"])[0] is not None and "LINK" not in protocol


def distributions_from_links(links: list[dict[str, Any]], formats: list[str],
                             dataset: Dataset) -> tuple[list[Distribution], str | None]:
    """(distributions, landing page) of a dataset from its online resources (see :func:`make_link`)."""
    declared = formats[0] if len(formats) == 1 else None
    out: list[Distribution] = []
    landing: str | None = None
    seen: set[str] = set()
    for link in links:
        if link["url"] in seen:
            continue
        seen.add(link["url"])
        common = {"title": link["name"], "description": link["description"], "licence": dataset.licence,
                  "licence_label": dataset.licence_label, "rights": dataset.rights}
        if link["service"] == "csw":
            continue  # a catalogue link (typically this very record's GetRecordById): metadata, not the data
        if link["service"]:
            kind = link["service"]
            file_type, media = vocab.file_format(kind.upper())
            description = link["url"] if "getcapabilities" in link["url"].lower() else None
            out.append(Distribution(
                **common, access_url=link["url"], format=file_type, format_label=kind.upper(), media_type=media,
                access_service=AccessService(  # DCAT-AP wants a title: the dataset's, when the link has none
                    title=link["name"] or f"{kind.upper()} : {dataset.title}",
                    endpoint_url=_endpoint(link["url"]) if kind != "atom" else link["url"],
                    endpoint_description=description or (link["url"] if kind == "atom" else None),
                    service_type=kind, conforms_to=[SERVICE_STANDARDS[kind]] if kind in SERVICE_STANDARDS else []),
            ))
        elif _is_download(link):
            label = declared or _format_hint(link)
            file_type, media = vocab.file_format(label, url=link["url"])
            out.append(Distribution(**common, access_url=link["url"], download_url=link["url"], format=file_type,
                                    format_label=label, media_type=media))
        elif link["function"] in ("information", "search", "") and "LINK" in link["protocol"].upper():
            landing = landing or link["url"]
        else:
            file_type, media = vocab.file_format(_format_hint(link), url=link["url"])
            out.append(Distribution(**common, access_url=link["url"], format=file_type,
                                    format_label=_format_hint(link), media_type=media))
    return out, landing


def _format_hint(link: dict[str, Any]) -> str | None:
    """A format named by the link itself (a MIME type in the protocol, e.g. 'WWW:DOWNLOAD-1.0-http--download' has
    none; 'application/zip' has one)."""
    protocol = link["protocol"]
    return protocol if "/" in protocol and not protocol.startswith("http") else None


# -- services -----------------------------------------------------------------------------------------------------


def _service(md: etree._Element, ident: etree._Element, distributions: list[etree._Element],
             common: dict[str, Any], source_id: str) -> DataService:
    context = _Context(md)
    links, _ = _links(distributions, context)
    connect = [link for link in (_link(r, context) for r in _CONNECT_POINTS(ident)) if link]
    endpoints = _unique(link["url"] for link in (links or connect))
    kinds = [link["service"] for link in links + connect if link["service"]]
    declared = _SERVICE_TYPE(ident).strip()
    description = next((link["url"] for link in links + connect
                        if "getcapabilities" in link["url"].lower() or link["service"] == "atom"), None)
    served = []
    for operates in _OPERATES_ON(ident):
        ref = operates.get("uuidref")
        href = operates.get(XLINK_HREF)
        if ref:
            served.append(entry_id(source_id, ref.strip()))
        elif href and href.startswith(("http://", "https://")):
            served.append(href.strip())
    service = DataService(
        **common,
        endpoint_urls=endpoints,
        endpoint_description=description,
        service_type=kinds[0] if kinds else (declared.lower().split(":")[-1] or None),
        serves_datasets=_unique(served),
    )
    gaps = [name for name, value in (("dct:description", service.description),
                                     ("dcat:endpointURL", service.endpoint_urls),
                                     ("dcat:contactPoint", service.contact_points),
                                     ("dct:publisher", service.publisher),
                                     ("dcat:keyword", service.keywords)) if not value]
    service.gaps = gaps
    return service
