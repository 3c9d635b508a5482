"""OGC API - Records record (a GeoJSON feature, Records Part 1 core) -> DCAT-AP.

Why close to the DCAT mapping: the Records core model was designed after DCAT (title, description, keywords,
themes with schemes, contacts with roles, created/updated, license, rights, formats, links), so most properties map
one to one. Links reuse the ISO 19139 distribution builder: ``rel=enclosure`` (or a download ``type``) is a
download, an OGC service link (by its ``protocol``, ``type`` or URL) an access service, a ``text/html`` alternate
the landing page. The geometry gives the bounding box (and the INSEE territories it covers); ``time`` the period.
``type: service`` gives a DataService whose endpoints are its links.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import orjson

from normalise import NormaliseError, territory, vocab
from normalise.common import publisher_from_hint, recommended_gaps
from normalise.iso19139 import distributions_from_links, make_link
from normalise.model import Agent, ContactPoint, DataService, Dataset, PeriodOfTime, Spatial, entry_id

if TYPE_CHECKING:
    from kernel.config import PublisherHint
    from kernel.records import RawRecord

PUBLISHER_ROLES = ("publisher", "owner", "custodian", "distributor", "pointOfContact")


def normalise_ogcapi_record(raw: RawRecord, hint: PublisherHint | None = None) -> list[Dataset | DataService]:
    """One record feature -> one Dataset (or DataService for ``type: service``)."""
    try:
        feature = orjson.loads(raw.content)
    except orjson.JSONDecodeError as exc:
        raise NormaliseError(f"not JSON: {exc}") from None
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        raise NormaliseError("not an OGC API - Records feature (no properties object)")
    props = feature["properties"]
    native_id = str(feature.get("id") or raw.native_id)
    title = _text(props.get("title"))
    if not title:
        raise NormaliseError("record without a title")
    keywords = [k for k in (_text(v) for v in _list(props.get("keywords"))) if k]
    concepts, theme_words = _themes(props.get("themes"))
    contacts = [c for c in _list(props.get("contacts")) if isinstance(c, dict)]
    licence, licence_label = vocab.licence(props.get("license") or _link_href(feature, "license"))
    links = [link for link in (_as_link(item) for item in _list(feature.get("links")) if isinstance(item, dict))
             if link]
    common: dict[str, Any] = {
        "id": entry_id(raw.source_id, native_id), "source_id": raw.source_id, "native_id": native_id,
        "title": title, "description": _text(props.get("description")),
        "keywords": list(dict.fromkeys(keywords)), "categories": concepts,
        "themes": vocab.themes(concepts + theme_words + keywords),
        "publisher": _publisher(contacts) or publisher_from_hint(hint),
        "contact_points": _contact_points(contacts),
        "licence": licence, "licence_label": licence_label, "rights": _text(props.get("rights")),
        "access_rights": vocab.access_rights(props.get("accessRights")) if props.get("accessRights") else None,
        "spatial": _spatial(feature.get("geometry")),
        "temporal": _temporal(props.get("time") or feature.get("time")),
        "issued": vocab.iso_datetime(props.get("created")), "modified": vocab.iso_datetime(props.get("updated")),
        "identifiers": [native_id],
        "uri": native_id if native_id.startswith(("http://", "https://")) else None,
    }
    if str(props.get("type") or "").lower() == "service":
        service = DataService(**common, endpoint_urls=[link["url"] for link in links if link["service"]]
                              or [link["url"] for link in links if link["function"] != "information"],
                              service_type=next((link["service"] for link in links if link["service"]), None))
        service.gaps = [name for name, value in (("dct:description", service.description),
                                                 ("dcat:endpointURL", service.endpoint_urls)) if not value]
        return [service]
    languages = [props.get("language")] + list(_list(props.get("languages")))
    dataset = Dataset(
        **common,
        type="series" if str(props.get("type") or "").lower() == "series" else "dataset",
        languages=list(dict.fromkeys(filter(None, (vocab.language(_code(v)) for v in languages if v)))),
    )
    formats = [f.get("name") or f.get("mediaType") for f in _list(props.get("formats")) if isinstance(f, dict)]
    dataset.distributions, dataset.landing_page = distributions_from_links(links, [f for f in formats if f], dataset)
    dataset.gaps = recommended_gaps(dataset)
    return [dataset]


def _text(value: Any) -> str | None:
    if isinstance(value, dict):  # {"fr": "...", "en": "..."}: prefer French, then any
        value = value.get("fr") or next(iter(value.values()), None)
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _code(value: Any) -> str | None:
    return value.get("code") if isinstance(value, dict) else value if isinstance(value, str) else None


def _themes(themes: Any) -> tuple[list[str], list[str]]:
    """(concept URIs, concept labels or ids without a URI) of the record's themes."""
    uris: list[str] = []
    words: list[str] = []
    for theme in _list(themes):
        if not isinstance(theme, dict):
            continue
        scheme = str(theme.get("scheme") or "")
        for concept in _list(theme.get("concepts")):
            if not isinstance(concept, dict):
                continue
            url = concept.get("url") or (concept.get("id") if str(concept.get("id", "")).startswith("http") else None)
            if not url and scheme.startswith("http") and concept.get("id"):
                url = scheme.rstrip("/") + "/" + str(concept["id"])
            if url:
                uris.append(str(url))
            words.extend(str(v) for v in (concept.get("title"), concept.get("id")) if v)
    return list(dict.fromkeys(uris)), words


def _emails(contact: dict[str, Any]) -> Iterator[str]:
    for email in _list(contact.get("emails")):
        value = email.get("value") if isinstance(email, dict) else email
        if isinstance(value, str) and "@" in value:
            yield value


def _publisher(contacts: list[dict[str, Any]]) -> Agent | None:
    for role in PUBLISHER_ROLES:
        for contact in contacts:
            name = contact.get("organization") or contact.get("name")
            if role in _list(contact.get("roles")) and isinstance(name, str) and name:
                return Agent(name=name, email=next(_emails(contact), None))
    return None


def _contact_points(contacts: list[dict[str, Any]]) -> list[ContactPoint]:
    chosen = [c for c in contacts if "pointOfContact" in _list(c.get("roles"))] or contacts
    out = []
    for contact in chosen:
        name = contact.get("name") or contact.get("organization")
        email = next(_emails(contact), None)
        if name or email:
            out.append(ContactPoint(name=name, email=email))
    return out


def _link_href(feature: dict[str, Any], rel: str) -> str | None:
    for link in _list(feature.get("links")):
        if isinstance(link, dict) and link.get("rel") == rel and isinstance(link.get("href"), str):
            return link["href"]
    return None


def _as_link(link: dict[str, Any]) -> dict[str, Any] | None:
    rel = str(link.get("rel") or "")
    if rel in ("self", "collection", "root", "license", "next", "prev", "parent"):
        return None
    media = str(link.get("type") or "")
    protocol = str(link.get("protocol") or "") or (media if "/" in media else "")
    if rel == "alternate" and media.startswith("text/html"):
        protocol = "WWW:LINK"
    function = "download" if rel in ("enclosure", "download") else ("information" if rel in ("alternate", "about",
                                                                                               "describedby") else "")
    return make_link(str(link.get("href") or ""), protocol, _text(link.get("title")), None, function)


def _spatial(geometry: Any) -> list[Spatial]:
    if not isinstance(geometry, dict) or "coordinates" not in geometry:
        return []
    points = list(_positions(geometry["coordinates"]))
    if not points:
        return []
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    bbox = (min(xs), min(ys), max(xs), max(ys))
    if not (-180 <= bbox[0] <= bbox[2] <= 180 and -90 <= bbox[1] <= bbox[3] <= 90):
        return []
    departements, regions = territory.for_bbox(bbox)
    return [Spatial(bbox=bbox, geometry=geometry, departements=list(departements), regions=list(regions))]


def _positions(coordinates: Any) -> Iterator[tuple[float, float]]:
    if isinstance(coordinates, list | tuple) and len(coordinates) >= 2 and all(
            isinstance(c, int | float) for c in coordinates[:2]):
        yield float(coordinates[0]), float(coordinates[1])
    elif isinstance(coordinates, list | tuple):
        for item in coordinates:
            yield from _positions(item)


def _temporal(time: Any) -> list[PeriodOfTime]:
    if not isinstance(time, dict):
        return []
    interval = time.get("interval")
    if isinstance(interval, list) and len(interval) == 2:
        start, end = (vocab.iso_datetime(v) if v not in (None, "..") else None for v in interval)
    else:
        start = end = vocab.iso_datetime(time.get("date") or time.get("timestamp"))
    return [PeriodOfTime(start=start, end=end)] if start or end else []


def _list(value: Any) -> list[Any]:
    """A JSON list, or nothing: a record may put anything where a list is expected (found by fuzzing: ``true``)."""
    return value if isinstance(value, list) else []
