"""CKAN package dict -> DCAT-AP 3 Dataset.

Why so many places for one property: CKAN's core schema is small (title, notes, tags, groups, organisation,
author/maintainer, license_*, url, resources) and every deployment adds the rest its own way — as ``extras`` (key/value
strings: ckanext-spatial's ``spatial`` GeoJSON and ``bbox-*``, ckanext-dcat's ``dcat_issued``, INSPIRE harvests'
``access_constraints`` as a JSON list in a string), as top-level scheming fields (data.gov.au's
``temporal_coverage_from``, ckanext-dcat's DCAT-AP schema with ``issued``, ``contact``, ``*_translated``), or as JSON
encoded inside strings (EnviDat's ``author``, ``maintainer``, ``date``). :class:`_Fields` reads a name from the top
level first and from the extras next, decoding JSON-in-strings and the HTML entities some harvesters left there
(DKAN's ``[{&quot;name&quot;...``), so each property below is looked up the same way whatever the flavour.

Mapping (following ckanext-dcat where it decides): ``url`` is the landing page (else the portal's /dataset/{name});
maintainer is the contact point and author the creator (the author is the contact when no maintainer is given);
``metadata_created``/``metadata_modified`` are issued/modified unless ``issued``/``dcat_issued`` say otherwise;
the organisation is the publisher (on DKAN, which has none, the publishing group), its SIREN read from its extras or
fields (SIREN or SIRET), or from the source's publisher hint when the hint names the same body; the package licence
applies to every resource. Counters (``tracking_summary``) go to ``metrics``: views on the dataset, downloads on
each resource.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

import orjson

from kernel.config import PublisherHint
from kernel.records import RawRecord
from normalise import NormaliseError, territory, vocab
from normalise.common import (
    bbox_of,
    geojson_positions,
    load_json,
    portal_base,
    publisher_from_hint,
    recommended_gaps,
    text,
    text_from_html,
    web_url,
)
from normalise.model import (
    AccessService,
    Agent,
    ContactPoint,
    Dataset,
    Distribution,
    HarvestNote,
    PeriodOfTime,
    Spatial,
    entry_id,
)
from normalise.vocab import fold

PREFERRED_LANGUAGES = ("fr", "en")
SIREN_KEYS = ("siren", "siret", "business_number_id", "numero_siren", "numero_siret", "siren_organisation")
# Formats whose resources are services to query, not files to download: they get an AccessService, no downloadURL.
SERVICE_FORMATS = {"wms": "wms", "wfs": "wfs", "wmts": "wmts", "wcs": "wcs", "api": "api", "sparql": "sparql",
                   "esri rest": "api", "arcgis rest": "api", "ogc api": "ogcapi", "ogc:wms": "wms", "ogc:wfs": "wfs",
                   "ogc:wmts": "wmts", "ogc:wcs": "wcs", "tms": "tms", "xyz": "tms"}
PAGE_FORMATS = {"html", "text/html", "htm", "web page", "website", "page web"}
_SERVICE_QUERY = re.compile(r"(?:^|[?&])(?:service=w[mfc]t?s|request=getcapabilities)", re.IGNORECASE)
_DATE_PREFIX = re.compile(r"^\s*date\s+(?:changed|modified|created)\s*:?\s*", re.IGNORECASE)
_SIZE = re.compile(r"^\s*(\d+)\s*(?:o|b|octets?|bytes?)?\s*$", re.IGNORECASE)
_HEX = {32: "md5", 40: "sha1", 64: "sha256"}
_ORCID = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")


def normalise_ckan(raw: RawRecord, hint: PublisherHint | None = None) -> list[Dataset]:
    """One CKAN package dict (as package_search or package_show give it) -> one Dataset."""
    data = _without_defects(load_json(raw.content))
    fields = _Fields(data)
    portal = portal_base(raw.url)
    package_id = text(data.get("id")) or raw.native_id
    name = text(data.get("name")) or package_id
    title_translations = _translations(data.get("title_translated"))
    title = text(data.get("title")) or _preferred(title_translations) or text(data.get("name"))
    if not title:
        raise NormaliseError(f"package {package_id!r} has neither a title nor a name")
    description_translations = {k: v for k, v in ((k, text_from_html(v)) for k, v in
                                                  _translations(data.get("notes_translated")).items()) if v}
    licence, licence_label = _licence(data)
    keywords = _keywords(data)
    publisher = _publisher(data, fields, portal, hint) or publisher_from_hint(hint)
    dataset = Dataset(
        id=entry_id(raw.source_id, raw.native_id),
        source_id=raw.source_id,
        native_id=raw.native_id,
        uri=web_url(fields.text("uri")) or f"{portal}/dataset/{quote(package_id, safe='')}",
        title=title,
        title_translations=title_translations,
        description=text_from_html(data.get("notes")) or _preferred(description_translations),
        description_translations=description_translations,
        keywords=keywords,
        themes=vocab.themes(_theme_values(data, fields, keywords)),
        publisher=publisher,
        creators=_creators(fields),
        contact_points=_contact_points(fields),
        licence=licence,
        licence_label=licence_label,
        access_rights=_access_rights(fields),
        rights=_rights(fields),
        spatial=_spatial(fields),
        temporal=_temporal(fields),
        issued=_date(fields.first("issued", "dcat_issued")) or _date(data.get("metadata_created")),
        modified=_date(fields.first("modified", "dcat_modified")) or _date(data.get("metadata_modified")),
        languages=_languages(fields),
        conforms_to=_strings(fields.value("conforms_to")),
        landing_page=web_url(text(data.get("url"))) or f"{portal}/dataset/{quote(name, safe='')}",
        identifiers=_identifiers(fields, package_id),
        frequency=_frequency(fields),
        version=text(data.get("version")) or fields.text("dcat_version"),
        provenance=_provenance(fields.value("provenance")),
        distributions=_distributions(data, portal, package_id, licence, licence_label),
        metrics=_tracking(data.get("tracking_summary"), "views"),
        # ckanext-dcat's DCAT-AP 2/3 fields (docs/mapping.md), scheming fields or extras alike
        documentation=_urls(fields.value("documentation")),
        is_referenced_by=_strings(fields.value("is_referenced_by")),
        applicable_legislation=_urls(fields.value("applicable_legislation")),
        hvd_categories=_hvd_categories(fields.value("hvd_category")),
        temporal_resolution=_duration(fields.value("temporal_resolution")),
        spatial_resolution_m=_number(fields.value("spatial_resolution_in_meters")),
    )
    dataset.harvest = _harvest_note(fields)
    dataset.gaps = recommended_gaps(dataset)
    return [dataset]


def _harvest_note(fields: _Fields) -> HarvestNote | None:
    """ckanext-harvest's extras on a harvested package (harvest_source_id, harvest_source_title, and harvest_url
    where a harvester sets it), with the ``guid`` its harvesters (ckanext-dcat, -spatial) keep: the record's id at its
    origin. Evidence for duplicate clustering (issue 14); a package nobody harvested has none of them."""
    source_url = web_url(fields.text("harvest_url", "harvest_source_url"))
    note = HarvestNote(source_id=fields.text("harvest_source_id"), source_title=fields.text("harvest_source_title"),
                       source_url=source_url, remote_id=fields.text("guid"),
                       domain=urlsplit(source_url).hostname if source_url else None)
    return note if note.source_id or note.source_title or note.source_url or note.remote_id else None



def _without_defects(data: dict[str, Any]) -> dict[str, Any]:
    """The package without the elements no CKAN serves (a list that is not a list, a title that is not text): a
    defect in one element loses that element, not the record."""
    kept = dict(data)
    for key in ("resources", "tags", "groups", "extras"):
        value = kept.get(key)
        if value is not None and not isinstance(value, list | dict if key == "extras" else list):
            del kept[key]
    for key in ("title", "name", "notes"):
        value = kept.get(key)
        if value is not None and not isinstance(value, str):
            del kept[key]
    return kept


class _Fields:
    """A package's properties by name: top-level (scheming) fields first, then extras; JSON-in-strings decoded."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.extras: dict[str, Any] = {}
        extras = data.get("extras") or []
        if isinstance(extras, dict):  # a few CKAN-compatible APIs give extras as a mapping
            self.extras = dict(extras)
        else:
            for extra in extras:
                if isinstance(extra, dict) and isinstance(extra.get("key"), str):
                    self.extras.setdefault(extra["key"], extra.get("value"))

    def raw(self, name: str) -> Any:
        value = self.data.get(name)
        if value in (None, "", [], {}):
            value = self.extras.get(name)
        return value

    def value(self, name: str) -> Any:
        return decode(self.raw(name))

    def first(self, *names: str) -> Any:
        for name in names:
            value = self.value(name)
            if value not in (None, "", [], {}):
                return value
        return None

    def text(self, *names: str) -> str | None:
        for name in names:
            value = self.value(name)
            if isinstance(value, list):  # ["1982"] from INSPIRE harvests
                value = next((v for v in value if text(v)), None)
            if found := text(value):
                return found
        return None


def decode(value: Any) -> Any:
    """A string holding JSON (possibly HTML-escaped) decoded; anything else as it is."""
    if not isinstance(value, str):
        return value
    stripped = value.strip()
    if "&quot;" in stripped or "&amp;" in stripped:
        stripped = html.unescape(stripped)
    if stripped[:1] in ("[", "{"):
        try:
            return orjson.loads(stripped)
        except orjson.JSONDecodeError:
            return stripped
    return stripped


# -- descriptive properties ----------------------------------------------------------------------------------------


def _translations(value: Any) -> dict[str, str]:
    """ckanext-fluent ``*_translated`` ({"en": "...", "fr": "..."}) as language -> text, empty values dropped."""
    value = decode(value)
    if not isinstance(value, dict):
        return {}
    return {str(lang): found for lang, v in value.items() if (found := text(v))}


def _preferred(translations: dict[str, Any]) -> Any:
    for lang in PREFERRED_LANGUAGES:
        if translations.get(lang):
            return translations[lang]
    return next(iter(translations.values()), None)


def _keywords(data: dict[str, Any]) -> list[str]:
    """Tag names (display_name when given), then the translated tags of ckanext-fluent: French first."""
    out: list[str] = []
    for tag in data.get("tags") or []:
        name = text(tag.get("display_name") or tag.get("name")) if isinstance(tag, dict) else text(tag)
        if name:
            out.append(name)
    translated = decode(data.get("tags_translated"))
    if isinstance(translated, dict):
        langs = [lang for lang in PREFERRED_LANGUAGES if lang in translated]
        for lang in langs + sorted(lang for lang in translated if lang not in PREFERRED_LANGUAGES):
            out += _strings(translated[lang])
    return list(dict.fromkeys(out))


def _theme_values(data: dict[str, Any], fields: _Fields, keywords: list[str]) -> list[str]:
    """What can name an EU data theme: declared themes (URIs or labels), groups and other CKAN categories, tags."""
    values = _strings(fields.value("theme")) + _strings(fields.value("themes"))
    for key in ("groups", "category", "categories"):
        groups = data.get(key)
        for group in groups if isinstance(groups, list) else []:
            if isinstance(group, dict):
                values += [v for v in (text(group.get("title")), text(group.get("display_name")),
                                       text(group.get("name"))) if v]
            elif text(group):
                values.append(str(group).strip())
    return values + keywords


def _provenance(value: Any) -> str | None:
    if isinstance(value, dict):
        return text(_preferred({k: v for k, v in value.items() if text(v)}))
    return text(value)


def _identifiers(fields: _Fields, package_id: str) -> list[str]:
    """Identifiers the publisher gives (identifier, guid, DOI); the CKAN id when there is none, as ckanext-dcat."""
    out = _strings(fields.value("identifier")) + _strings(fields.value("guid"))
    doi = fields.text("doi")
    if doi:
        out.append(doi if doi.startswith("http") else f"https://doi.org/{doi.removeprefix('doi:')}")
    return list(dict.fromkeys(out)) or [package_id]


def _frequency(fields: _Fields) -> str | None:
    for name in ("frequency", "accrual_periodicity", "update_freq", "frequency-of-update", "update_frequency"):
        if (value := fields.text(name)) and (uri := vocab.frequency(value)):
            return uri
    return None


def _languages(fields: _Fields) -> list[str]:
    """Declared languages (a list, a comma-separated string or one word); the metadata language as a fallback."""
    for name in ("language", "languages", "metadata-language"):
        value = fields.value(name)
        words = _strings(value) if isinstance(value, list) else re.split(r"[,;]", text(value) or "")
        uris = [uri for uri in (vocab.language(w.strip()) for w in words if w.strip()) if uri]
        if uris:
            return list(dict.fromkeys(uris))
    return []


# -- agents ---------------------------------------------------------------------------------------------------------


def _publisher(data: dict[str, Any], fields: _Fields, portal: str, hint: PublisherHint | None) -> Agent | None:
    org = data.get("organization")
    if isinstance(org, dict) and (name := text(org.get("title")) or text(org.get("display_name"))
                                  or text(org.get("name"))):
        slug = text(org.get("name"))
        siren = _siren(org)
        if siren is None and hint and hint.siren and hint.name and fold(hint.name) == fold(name):
            siren = hint.siren
        return Agent(name=name, uri=f"{portal}/organization/{quote(slug, safe='')}" if slug else None, siren=siren,
                     email=_email(_org_field(org, "email")), homepage=web_url(_org_field(org, "url")))
    # ckanext-dcat: a scheming publisher list, or legacy publisher_* extras
    scheming = fields.value("publisher")
    if isinstance(scheming, list):
        scheming = next((p for p in scheming if isinstance(p, dict)), None)
    if isinstance(scheming, dict) and (name := text(scheming.get("name"))):
        return Agent(name=name, uri=web_url(text(scheming.get("uri"))), email=_email(scheming.get("email")),
                     homepage=web_url(text(scheming.get("url"))), siren=_siren(scheming))
    if name := fields.text("publisher_name"):
        return Agent(name=name, uri=web_url(fields.text("publisher_uri")), email=_email(fields.text("publisher_email")),
                     homepage=web_url(fields.text("publisher_url")))
    # DKAN has no organisations: its groups are the publishers (their names read "group/<slug>")
    groups = [g for g in data.get("groups") or []
              if isinstance(g, dict) and str(g.get("name", "")).startswith("group/")]
    if len(groups) == 1 and (name := text(groups[0].get("title"))):
        return Agent(name=name, siren=_siren(groups[0]))
    return None


def _org_field(org: dict[str, Any], key: str) -> Any:
    if org.get(key):
        return org[key]
    for extra in org.get("extras") or []:
        if isinstance(extra, dict) and str(extra.get("key", "")).lower() == key:
            return extra.get("value")
    return None


def _siren(org: dict[str, Any]) -> str | None:
    """SIREN of an organisation from its fields or extras (SIREN or SIRET, Luhn-checked by vocab.siren)."""
    candidates = [org.get(key) for key in SIREN_KEYS]
    extras = org.get("extras")
    for extra in extras if isinstance(extras, list) else []:
        if isinstance(extra, dict) and str(extra.get("key", "")).strip().lower() in SIREN_KEYS:
            candidates.append(extra.get("value"))
    for value in candidates:
        if (found := text(value)) and (siren := vocab.siren(found)):
            return siren
    return None


def _people(value: Any, email: Any = None) -> list[dict[str, Any]]:
    """Persons from a CKAN author/maintainer: plain text (+ separate email), or EnviDat's JSON dict or list."""
    value = decode(value)
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, list):
        out = []
        for person in value:
            if not isinstance(person, dict):
                continue
            name = " ".join(p for p in (text(person.get("given_name")), text(person.get("name"))) if p)
            out.append({"name": name or text(person.get("affiliation")), "email": _email(person.get("email")),
                        "identifier": text(person.get("identifier"))})
        return [p for p in out if p["name"] or p["email"]]
    name, mail = text(value), _email(email)
    return [{"name": name, "email": mail, "identifier": None}] if name or mail else []


def _creators(fields: _Fields) -> list[Agent]:
    out = []
    for person in _people(fields.raw("author"), fields.raw("author_email")):
        if not person["name"]:  # an email alone names no one; it still serves as a contact point
            continue
        orcid = _ORCID.match(person["identifier"] or "")
        out.append(Agent(name=person["name"], email=person["email"],
                         uri=f"https://orcid.org/{orcid.group(1)}" if orcid else None))
    return out


def _contact_points(fields: _Fields) -> list[ContactPoint]:
    people = _people(fields.raw("maintainer"), fields.raw("maintainer_email"))
    scheming = fields.value("contact")
    for contact in scheming if isinstance(scheming, list) else [scheming] if isinstance(scheming, dict) else []:
        if isinstance(contact, dict):
            people.append({"name": text(contact.get("name")), "email": _email(contact.get("email")),
                           "url": web_url(text(contact.get("url")))})
    name, mail = fields.text("contact_name"), _email(fields.text("contact_email", "contact-email"))
    if name or mail:  # ckanext-dcat's contact_* extras, ckanext-spatial's contact-email
        people.append({"name": name, "email": mail, "url": web_url(fields.text("contact_uri"))})
    if (point := fields.text("contact_point")) and "@" in point:  # data.gov.au: an email address
        people.append({"name": None, "email": _email(point)})
    if not people:  # no maintainer: the author is who to ask (ckanext-dcat does the same)
        people = _people(fields.raw("author"), fields.raw("author_email"))
    out: list[ContactPoint] = []
    for person in people:
        point = ContactPoint(name=person.get("name"), email=person.get("email"), url=person.get("url"))
        if (point.name or point.email or point.url) and point not in out:
            out.append(point)
    return out


def _email(value: Any) -> str | None:
    found = text(value)
    if not found:
        return None
    found = found.removeprefix("mailto:").strip()
    return found if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", found) else None


# -- licence and rights ---------------------------------------------------------------------------------------------


def _licence(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """The licence URI from license_url, license_id or license_title (the first that maps); the title as label."""
    label = text(data.get("license_title")) or text(data.get("license_id")) or text(data.get("license_url"))
    for candidate in (data.get("license_url"), data.get("license_id"), data.get("license_title")):
        if (value := text(candidate)) and (uri := vocab.licence(value)[0]):
            return uri, label
    return None, label


def _access_rights(fields: _Fields) -> str | None:
    """The EU access right a value names; else ckanext-dcat's access_rights as the free text it is (a rights
    statement in words, kept rather than lost)."""
    for value in _strings(fields.value("access_rights")) + _strings(fields.value("access_constraints")):
        if uri := vocab.access_rights(value):
            return uri
    return next(iter(_strings(fields.value("access_rights"))), None)


def _rights(fields: _Fields) -> str | None:
    """A rights statement: ckanext-dcat's ``rights``, or INSPIRE access constraints (a list of sentences)."""
    value = fields.value("rights")
    if isinstance(value, dict):
        return text(_preferred({k: v for k, v in value.items() if text(v)}))
    statements = _strings(value) or _strings(fields.value("access_constraints"))
    return " ".join(statements) or None


# -- space and time -------------------------------------------------------------------------------------------------


def _spatial(fields: _Fields) -> list[Spatial]:
    coverage = fields.value("spatial_coverage")
    if isinstance(coverage, list):  # ckanext-dcat's scheming field: [{geom, bbox, centroid, text, uri}, ...]
        found = [s for item in coverage if isinstance(item, dict) and (s := _coverage(item))]
        if found:
            return found
    return _legacy_spatial(fields)


def _coverage(item: dict[str, Any]) -> Spatial | None:
    """One spatial_coverage object: its geometry (else its bbox polygon, else its centroid), its bbox, label and URI
    (a GeoNames IRI, typically)."""
    geometry = _geometry(item.get("geom")) or _geometry(item.get("bbox")) or _geometry(item.get("centroid"))
    box_shape = _geometry(item.get("bbox"))
    bbox = bbox_of(geojson_positions(box_shape or geometry)) if (box_shape or geometry) else None
    label, uri = text(item.get("text")), web_url(text(item.get("uri")))
    if not (geometry or label or uri):
        return None
    communes, departements, regions = territory.for_place(label, bbox)
    return Spatial(uri=uri, label=label, bbox=bbox, geometry=geometry, communes=communes, departements=departements,
                   regions=regions)


def _legacy_spatial(fields: _Fields) -> list[Spatial]:
    geometry = _geometry(fields.value("spatial"))
    label = fields.text("spatial-text", "spatial_text", "spatial_info", "spatial-name")
    coverage = fields.value("spatial_coverage")
    if geometry is None and isinstance(coverage, dict):  # data.gov.au: GeoJSON or free text
        geometry = _geometry(coverage)
    elif label is None:
        label = text(coverage)
    bbox = bbox_of(geojson_positions(geometry)) if geometry else _extras_bbox(fields)
    if geometry is None and bbox is not None:
        west, south, east, north = bbox
        geometry = {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                                                         [west, south]]]}
    uri = web_url(fields.text("spatial_uri"))
    if not (geometry or label or uri):
        return []
    communes, departements, regions = territory.for_place(label, bbox)
    return [Spatial(uri=uri, label=label, bbox=bbox, geometry=geometry, communes=_unique(communes),
                    departements=_unique(departements), regions=_unique(regions))]


def _geometry(value: Any) -> dict[str, Any] | None:
    value = decode(value)
    if isinstance(value, dict) and isinstance(value.get("type"), str) and (
            "coordinates" in value or "geometries" in value):
        return value
    return None


def _extras_bbox(fields: _Fields) -> tuple[float, float, float, float] | None:
    """ckanext-spatial's bbox-west-long / bbox-south-lat / bbox-east-long / bbox-north-lat extras."""
    try:
        west, south, east, north = (float(fields.text(f"bbox-{side}") or "x") for side in
                                    ("west-long", "south-lat", "east-long", "north-lat"))
    except ValueError:
        return None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        return None
    return (west, south, east, north)


def _temporal(fields: _Fields) -> list[PeriodOfTime]:
    periods: list[PeriodOfTime] = []
    for start_key, end_key in (("temporal_coverage-from", "temporal_coverage-to"),
                               ("temporal_coverage_from", "temporal_coverage_to"),
                               ("temporal_start", "temporal_end"), ("temporal-extent-begin", "temporal-extent-end")):
        start, end = _date(fields.text(start_key)), _date(fields.text(end_key))
        if start or end:
            periods.append(PeriodOfTime(start=start, end=end))
    scheming = fields.value("temporal_coverage")
    for item in scheming if isinstance(scheming, list) else []:
        if isinstance(item, dict):
            start, end = _date(item.get("start")), _date(item.get("end"))
            if start or end:
                periods.append(PeriodOfTime(start=start, end=end))
    dates = fields.value("date")  # EnviDat: [{"date": ..., "date_type": "collected", "end_date": ...}]
    for item in dates if isinstance(dates, list) else []:
        if isinstance(item, dict) and item.get("date_type") == "collected" and (start := _date(item.get("date"))):
            periods.append(PeriodOfTime(start=start, end=_date(item.get("end_date")) or start))
    return _unique_periods(periods)


def _unique_periods(periods: Iterable[PeriodOfTime]) -> list[PeriodOfTime]:
    out: list[PeriodOfTime] = []
    for period in periods:
        if period not in out:
            out.append(period)
    return out


def _date(value: Any) -> str | None:
    """ISO 8601 from whatever date text; DKAN prefixes some with "Date changed"."""
    if isinstance(value, list):
        value = next((v for v in value if text(v)), None)
    found = text(value)
    if not found:
        return None
    return vocab.iso_datetime(found) or vocab.iso_datetime(_DATE_PREFIX.sub("", found))


# -- resources ------------------------------------------------------------------------------------------------------


def _distributions(data: dict[str, Any], portal: str, package_id: str, licence: str | None,
                   licence_label: str | None) -> list[Distribution]:
    out: list[Distribution] = []
    used_ids: set[str] = set()
    for resource in data.get("resources") or []:
        if not isinstance(resource, dict):
            continue
        rid = text(resource.get("id"))
        page = f"{portal}/dataset/{quote(package_id, safe='')}/resource/{quote(rid, safe='')}" if rid else None
        unique = rid is not None and rid not in used_ids  # DataSud repeats ids for a layer's WMS and WFS
        if rid:
            used_ids.add(rid)
        distribution = _distribution(resource, page if unique else None, page, licence, licence_label)
        if distribution is not None:
            out.append(distribution)
    return out


def _distribution(resource: dict[str, Any], uri: str | None, page: str | None, licence: str | None,
                  licence_label: str | None) -> Distribution | None:
    url = web_url(text(resource.get("url")))
    access_url = web_url(text(resource.get("access_url"))) or url or page
    if access_url is None:
        return None  # neither a link nor an id: nothing a user could reach
    fmt = text(resource.get("format"))
    mimetype = text(resource.get("mimetype"))
    file_type, media_type = vocab.file_format(fmt, media_type=mimetype, url=url)
    service = _service_type(fmt, url)
    download = web_url(text(resource.get("download_url")))
    if download is None and url and service is None and _is_file(resource, fmt, file_type):
        download = url
    restricted = decode(resource.get("restricted"))  # EnviDat: {"level": "public", ...}
    level = restricted.get("level") if isinstance(restricted, dict) else None
    rights = decode(resource.get("rights"))
    own_licence, own_label = vocab.licence(text(resource.get("license")))  # ckanext-dcat: a resource's own licence
    services = _access_services(resource.get("access_services"))
    return Distribution(
        native_id=text(resource.get("id")),
        uri=uri,
        title=text(resource.get("name")) or _preferred(_translations(resource.get("name_translated"))),
        description=text_from_html(resource.get("description")),
        access_url=access_url,
        download_url=download,
        format=file_type,
        format_label=fmt or mimetype,
        media_type=media_type,
        licence=own_licence or (None if own_label else licence),
        licence_label=own_label or licence_label,
        access_rights=vocab.access_rights(level) if level else None,
        rights=_provenance(rights),
        byte_size=_size(resource.get("size")),
        checksum=_checksum(resource.get("hash")),
        issued=_date(resource.get("issued")) or _date(resource.get("created")),
        modified=_date(resource.get("modified")) or _date(resource.get("last_modified")),
        languages=[u for u in (vocab.language(v) for v in _strings(resource.get("language"))) if u],
        conforms_to=_strings(decode(resource.get("conforms_to"))),
        access_service=services[0] if services else
        AccessService(endpoint_url=url, title=text(resource.get("name")), service_type=service)
        if service and url else None,
        metrics=_tracking(resource.get("tracking_summary"), "downloads"),
        status=vocab.distribution_status(resource.get("status")),
        compress_format=_media_type(resource.get("compress_format")),
        documentation=_urls(decode(resource.get("documentation"))),
        applicable_legislation=_urls(decode(resource.get("applicable_legislation"))),
        temporal_resolution=_duration(decode(resource.get("temporal_resolution"))),
        spatial_resolution_m=_number(decode(resource.get("spatial_resolution_in_meters"))),
    )


def _access_services(value: Any) -> list[AccessService]:
    """ckanext-dcat's resource access_services: [{title, endpoint_url: [...], endpoint_description, ...}]."""
    out = []
    for item in decode(value) if isinstance(decode(value), list) else []:
        if not isinstance(item, dict):
            continue
        endpoints = _urls(item.get("endpoint_url"))
        if endpoints:
            out.append(AccessService(title=text(item.get("title")), endpoint_url=endpoints[0],
                                     endpoint_description=web_url(text(item.get("endpoint_description")))))
    return out


def _media_type(value: Any) -> str | None:
    """An IANA media-type URI for a media type written as a URI or as type/subtype."""
    found = text(value)
    return vocab.file_format(media_type=found)[1] if found else None


def _service_type(fmt: str | None, url: str | None) -> str | None:
    if fmt and (kind := SERVICE_FORMATS.get(fmt.strip().lower())):
        return kind
    if url and _SERVICE_QUERY.search(urlsplit(url).query):
        match = re.search(r"service=(w[mfc]t?s)", url, re.IGNORECASE)
        return match.group(1).lower() if match else "ogc"
    return None


def _is_file(resource: dict[str, Any], fmt: str | None, file_type: str | None) -> bool:
    """Whether the resource URL gives the data itself (an upload, or a known file format that is not a web page)."""
    if resource.get("url_type") == "upload":
        return True
    if fmt and fmt.strip().lower() in PAGE_FORMATS:
        return False
    return file_type is not None and not file_type.endswith(("/HTML", "_SRVC"))


def _size(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value >= 0:
        return int(value)
    if isinstance(value, str) and (match := _SIZE.match(value)):
        return int(match.group(1))
    return None


def _checksum(value: Any) -> str | None:
    found = text(value)
    if not found:
        return None
    if ":" in found:
        return found
    algorithm = _HEX.get(len(found))
    return f"{algorithm}:{found.lower()}" if algorithm and re.fullmatch(r"[0-9a-fA-F]+", found) else None


def _tracking(value: Any, metric: str) -> dict[str, int]:
    """CKAN's tracking_summary {total, recent}: the total, under our metric name."""
    if isinstance(value, dict) and isinstance(value.get("total"), int) and not isinstance(value["total"], bool):
        return {metric: value["total"]}
    return {}


# -- small helpers --------------------------------------------------------------------------------------------------


def _strings(value: Any) -> list[str]:
    """Non-empty strings from a string, a list (possibly JSON-encoded) or nothing."""
    value = decode(value)
    if isinstance(value, list):
        return [s for s in (text(v) for v in value) if s]
    single = text(value)
    return [single] if single else []


def _urls(value: Any) -> list[str]:
    return [u for u in (web_url(v) for v in _strings(value)) if u]


def _number(value: Any) -> float | None:
    """The first number of a value or a list of them (ckanext-dcat stores spatial_resolution_in_meters as a list)."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, int | float) and not isinstance(item, bool) and item >= 0:
            return float(item)
        try:
            number = float(text(item) or "x")
        except ValueError:
            continue
        if number >= 0:
            return number
    return None


_XSD_DURATION = re.compile(r"^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


def _duration(value: Any) -> str | None:
    """An xsd:duration (PT15M, P1D) from a value or the first of a list; anything else is no duration."""
    return next((v for v in _strings(value) if _XSD_DURATION.match(v)), None)


def _hvd_categories(value: Any) -> list[str]:
    """High-value dataset categories as EU URIs: given as URIs, or as the bare codes some portals store
    ("c_e1da4e07")."""
    out = []
    for item in _strings(value):
        if web_url(item):
            out.append(item)
        elif re.fullmatch(r"c_[0-9a-f]{8}", item):
            out.append(f"http://data.europa.eu/bna/{item}")
    return _unique(out)



def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
