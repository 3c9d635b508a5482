"""schema.org ``Dataset`` JSON-LD (what web pages embed for Google Dataset Search) -> DCAT-AP Dataset.

The JSON-LD comes as authors write it, not expanded: properties may be plain (``name``) or prefixed (``schema:name``,
``https://schema.org/name``); values may be strings, language-tagged ``{"@value", "@language"}`` objects, nested
things (``{"@type": "Organization", "name": ...}``) or lists of any of these. We read it leniently rather than
through a JSON-LD processor: pages rarely have a resolvable context, and a strict expansion would drop exactly the
sloppy-but-clear properties that matter.

Mapping: name/description (HTML stripped) -> title/description (other languages kept as translations); keywords
(comma-separated text, lists, DefinedTerms) -> keywords, and with ``about``/``genre`` -> EU themes; license (URL,
name or CreativeWork) -> vocab.licence; publisher (else provider, else the source's hint) -> publisher, with a SIREN
when an identifier is one; creator -> creators; contactPoint -> contact points; spatialCoverage (place name,
GeoShape box "south west north east", GeoCoordinates) -> Spatial with INSEE codes; temporalCoverage (ISO 8601
interval, "..", a year or a month) -> period; datePublished/dateCreated -> issued; dateModified -> modified;
inLanguage -> languages; distribution (DataDownload: contentUrl, encodingFormat, contentSize) -> distributions;
interactionStatistic (DownloadAction/ViewAction counters) -> metrics. Relative URLs resolve against the page.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from kernel.config import PublisherHint
from kernel.records import RawRecord
from normalise import NormaliseError, territory, vocab
from normalise.common import load_json, publisher_from_hint, recommended_gaps, text, text_from_html
from normalise.model import Agent, ContactPoint, Dataset, Distribution, PeriodOfTime, Spatial, entry_id

_PREFIXES = ("", "schema:", "https://schema.org/", "http://schema.org/")
_SIZE_UNITS = {"": 1, "b": 1, "o": 1, "kb": 10**3, "ko": 10**3, "kib": 2**10, "mb": 10**6, "mo": 10**6,
               "mib": 2**20, "gb": 10**9, "go": 10**9, "gib": 2**30, "tb": 10**12, "to": 10**12, "tib": 2**40}
_INTERACTIONS = {"DownloadAction": "downloads", "ViewAction": "views", "ShareAction": "shares",
                 "LikeAction": "likes", "CommentAction": "comments"}


def normalise_schema_org(raw: RawRecord, hint: PublisherHint | None = None) -> list[Dataset]:
    """One schema.org Dataset object (found on the page ``raw.url``) -> one Dataset."""
    node = load_json(raw.content)
    if "Dataset" not in types(node):
        raise NormaliseError(f"not a schema.org Dataset (type {node.get('@type')!r})")
    titles = _texts(get(node, "name"))
    if not titles:
        raise NormaliseError("the Dataset has no name")
    page = raw.url
    title_lang, title = _preferred(titles)
    description_lang, description = _preferred(_texts(get(node, "description")))
    licence, licence_label = _licence(get(node, "license"), page)
    keywords = _keywords(get(node, "keywords"))
    publisher = _agent(first(get(node, "publisher")) or first(get(node, "provider")), page) \
        or publisher_from_hint(hint)
    node_id = text(node.get("@id"))
    dataset = Dataset(
        id=entry_id(raw.source_id, raw.native_id),
        source_id=raw.source_id,
        native_id=raw.native_id,
        uri=urljoin(page, node_id) if node_id and not node_id.startswith("_:") else None,
        title=title,
        title_translations={lang: value for lang, value in titles if lang and lang != title_lang},
        description=text_from_html(description),
        description_translations={lang: text_from_html(value) or value
                                  for lang, value in _texts(get(node, "description"))
                                  if lang and lang != description_lang},
        keywords=keywords,
        themes=vocab.themes(keywords + _names(get(node, "about")) + _names(get(node, "genre"))),
        publisher=publisher,
        creators=[a for a in (_agent(c, page) for c in many(get(node, "creator"))) if a],
        contact_points=_contacts(node, publisher_node=first(get(node, "publisher"))),
        licence=licence,
        licence_label=licence_label,
        access_rights=vocab.access_rights(text(first(get(node, "conditionsOfAccess")))),
        spatial=[s for s in (_spatial(p) for p in many(get(node, "spatialCoverage"))) if s],
        temporal=[p for p in (_period(t) for t in many(get(node, "temporalCoverage"))) if p],
        issued=vocab.iso_datetime(text(first(get(node, "datePublished"))) or text(first(get(node, "dateCreated")))),
        modified=vocab.iso_datetime(text(first(get(node, "dateModified")))),
        languages=[lang for lang in (vocab.language(_language(v)) for v in many(get(node, "inLanguage"))) if lang],
        conforms_to=[urljoin(page, u) for u in (_url(v) for v in many(get(node, "schemaVersion"))
                                                + many(get(node, "conformsTo"))) if u],
        landing_page=_url(first(get(node, "url")), page) or page,
        identifiers=list(dict.fromkeys(i for i in (_identifier(v) for v in many(get(node, "identifier"))) if i)),
        version=text(first(get(node, "version"))),
        distributions=[d for d in (_distribution(v, page, licence, licence_label)
                                   for v in many(get(node, "distribution"))) if d],
        metrics=_metrics(node),
    )
    dataset.gaps = recommended_gaps(dataset)
    return [dataset]


# -- reading schema.org JSON-LD leniently ------------------------------------------------------------------------


def get(node: Any, name: str) -> Any:
    """A property by its schema.org name, whatever prefix the author used."""
    if not isinstance(node, dict):
        return None
    for prefix in _PREFIXES:
        if (value := node.get(prefix + name)) is not None:
            return value
    return None


def many(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def first(value: Any) -> Any:
    values = many(value)
    return values[0] if values else None


def types(node: Any) -> set[str]:
    if not isinstance(node, dict):
        return set()
    return {re.sub(r"^(https?://schema\.org/|schema:)", "", t) for t in many(node.get("@type")) if isinstance(t, str)}


def _texts(value: Any) -> list[tuple[str | None, str]]:
    """(language, text) pairs of a text property: strings, @value objects, lists of them."""
    out = []
    for item in many(value):
        if isinstance(item, dict):
            lang, item = text(item.get("@language")), item.get("@value")
        else:
            lang = None
        if (string := text(item)) is not None:
            out.append((lang.lower()[:2] if lang else None, string))
    return out


def _preferred(values: list[tuple[str | None, str]]) -> tuple[str | None, str | None]:
    """French first, then untagged, then English, then anything (moisson serves a French audience)."""
    for wanted in ("fr", None, "en"):
        for lang, value in values:
            if lang == wanted:
                return lang, value
    return values[0] if values else (None, None)


def _names(value: Any) -> list[str]:
    out = []
    for item in many(value):
        if isinstance(item, dict):
            out += [t for _, t in _texts(get(item, "name"))]
        elif (string := text(item)) is not None:
            out.append(string)
    return out


def _keywords(value: Any) -> list[str]:
    out: list[str] = []
    for item in many(value):
        if isinstance(item, str):
            out += [k.strip() for k in item.split(",") if k.strip()]
        else:
            out += _names(item)
    return list(dict.fromkeys(out))


def _url(value: Any, base: str | None = None) -> str | None:
    if isinstance(value, dict):
        value = get(value, "url") or value.get("@id")
    url = text(value)
    if not url or url.startswith("_:"):
        return None
    return urljoin(base, url) if base else url


def _identifier(value: Any) -> str | None:
    if isinstance(value, dict):
        return text(get(value, "value")) or text(get(value, "url")) or text(value.get("@id"))
    return text(value)


def _language(value: Any) -> str | None:
    if isinstance(value, dict):
        return text(get(value, "alternateName")) or text(get(value, "name"))
    return text(value)


def _licence(value: Any, page: str) -> tuple[str | None, str | None]:
    for item in many(value):
        url = _url(item, page) if isinstance(item, dict) or (text(item) or "").startswith("http") else None
        name = text(get(item, "name")) if isinstance(item, dict) else (None if url else text(item))
        for candidate in (url, name):
            if candidate and (uri := vocab.licence(candidate)[0]):
                return uri, name or url
        if url or name:
            return None, name or url
    return None, None


def _agent(node: Any, page: str) -> Agent | None:
    if isinstance(node, str):
        return Agent(name=node.strip()) if node.strip() else None
    if not isinstance(node, dict):
        return None
    name = _preferred(_texts(get(node, "name")))[1] or _preferred(_texts(get(node, "legalName")))[1]
    if not name:
        return None
    siren = None
    for ident in many(get(node, "identifier")) + many(get(node, "taxID")) + many(get(node, "leiCode")):
        digits = re.sub(r"\s", "", _identifier(ident) or "")
        if re.fullmatch(r"\d{9}|\d{14}", digits) and (siren := vocab.siren(digits)):
            break
    email = text(first(get(node, "email")))
    return Agent(name=name, uri=_url(node.get("@id"), page) if isinstance(node.get("@id"), str) else None,
                 siren=siren, email=email.removeprefix("mailto:") if email else None,
                 homepage=_url(first(get(node, "url")), page))


def _contacts(node: dict[str, Any], publisher_node: Any) -> list[ContactPoint]:
    found = many(get(node, "contactPoint")) + many(get(publisher_node, "contactPoint"))
    out = []
    for contact in found:
        if not isinstance(contact, dict):
            continue
        email = text(first(get(contact, "email")))
        point = ContactPoint(name=text(first(get(contact, "name"))) or text(first(get(contact, "contactType"))),
                             email=email.removeprefix("mailto:") if email else None,
                             phone=text(first(get(contact, "telephone"))), url=_url(first(get(contact, "url"))))
        if point.email or point.phone or point.url or point.name:
            out.append(point)
    return out


def _spatial(place: Any) -> Spatial | None:
    if isinstance(place, str):
        name, geo = text(place), None
    elif isinstance(place, dict):
        name, geo = _preferred(_texts(get(place, "name")))[1], first(get(place, "geo"))
    else:
        return None
    bbox = _bbox(geo)
    if not (name or bbox):
        return None
    communes, departements, regions = territory.for_place(name, bbox)
    return Spatial(label=name, bbox=bbox, communes=communes, departements=departements, regions=regions)


def _bbox(geo: Any) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of a GeoShape box ("south west north east", lat first) or GeoCoordinates."""
    if not isinstance(geo, dict):
        return None
    try:
        if (box := text(first(get(geo, "box")))) is not None:
            numbers = [float(n) for n in re.split(r"[\s,]+", box.strip()) if n]
            if len(numbers) != 4:
                return None
            lat1, lon1, lat2, lon2 = numbers
            return (min(lon1, lon2), min(lat1, lat2), max(lon1, lon2), max(lat1, lat2))
        lat, lon = get(geo, "latitude"), get(geo, "longitude")
        if lat is not None and lon is not None:
            lat, lon = float(lat), float(lon)
            return (lon, lat, lon, lat)
    except (TypeError, ValueError):
        return None
    return None


def _period(value: Any) -> PeriodOfTime | None:
    """An ISO 8601 interval ("2021-01-01/..", "2019/2020"), a year ("2023") or a month ("2023-04")."""
    value = text(value)
    if not value:
        return None
    if "/" in value:
        start_text, _, end_text = value.partition("/")
        start, _ = _span(start_text)
        _, end = _span(end_text)
    else:
        start, end = _span(value)
    return PeriodOfTime(start=start, end=end) if start or end else None


def _span(value: str) -> tuple[str | None, str | None]:
    """First and last day a date text stands for ("2023" is a whole year, ".." is open)."""
    value = value.strip()
    if value in ("", ".."):
        return None, None
    if re.fullmatch(r"\d{4}", value):
        return f"{value}-01-01", f"{value}-12-31"
    if match := re.fullmatch(r"(\d{4})-(\d{2})", value):
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12:
            return f"{value}-01", f"{value}-{calendar.monthrange(year, month)[1]:02d}"
    moment = vocab.iso_datetime(value)
    return moment, moment


def _distribution(node: Any, page: str, licence: str | None, licence_label: str | None) -> Distribution | None:
    if not isinstance(node, dict):
        return None
    download = _url(first(get(node, "contentUrl")), page)
    access = download or _url(first(get(node, "url")), page)
    if not access:
        return None
    encoding = text(first(get(node, "encodingFormat"))) or text(first(get(node, "fileFormat")))
    if encoding and "/" in encoding:
        file_type, media_type = vocab.file_format(media_type=encoding, url=download or access)
    else:
        file_type, media_type = vocab.file_format(encoding, url=download or access)
    own_licence, own_label = _licence(get(node, "license"), page)
    return Distribution(
        uri=_url(node.get("@id"), page) if isinstance(node.get("@id"), str) else None,
        title=_preferred(_texts(get(node, "name")))[1],
        description=text_from_html(_preferred(_texts(get(node, "description")))[1]),
        access_url=access,
        download_url=download,
        format=file_type,
        format_label=encoding,
        media_type=media_type,
        licence=own_licence or licence,
        licence_label=own_label or licence_label,
        byte_size=_size(first(get(node, "contentSize"))),
        issued=vocab.iso_datetime(text(first(get(node, "datePublished"))) or text(first(get(node, "uploadDate")))),
        modified=vocab.iso_datetime(text(first(get(node, "dateModified")))),
    )


def _size(value: Any) -> int | None:
    """contentSize in bytes: "123456", "1.2 MB", "800 Ko" (decimal units unless written KiB/MiB...)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    match = re.fullmatch(r"\s*([\d.,]+)\s*([a-zA-Z]*)\s*", text(value) or "")
    if not match or match.group(2).lower() not in _SIZE_UNITS:
        return None
    try:
        number = float(match.group(1).replace(",", "."))
    except ValueError:
        return None
    return int(number * _SIZE_UNITS[match.group(2).lower()])


def _metrics(node: dict[str, Any]) -> dict[str, int]:
    """interactionStatistic counters: DownloadAction -> downloads, ViewAction -> views..."""
    out: dict[str, int] = {}
    for counter in _counters(node):
        kinds = types(get(counter, "interactionType")) | {re.sub(r"^(https?://schema\.org/|schema:)", "", t)
                                                          for t in many(get(counter, "interactionType"))
                                                          if isinstance(t, str)}
        count = get(counter, "userInteractionCount")
        try:
            count = int(count)
        except (TypeError, ValueError):
            continue
        for kind in kinds:
            if kind in _INTERACTIONS:
                out[_INTERACTIONS[kind]] = out.get(_INTERACTIONS[kind], 0) + count
    return out


def _counters(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for counter in many(get(node, "interactionStatistic")):
        if isinstance(counter, dict):
            yield counter
