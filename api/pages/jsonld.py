"""A record as a schema.org ``Dataset`` in JSON-LD, embedded in its page for search engines (Google Dataset Search).

Why these properties: they are the ones Google's Dataset guidelines read (name, description, url, identifier,
keywords, license, creator/publisher, spatialCoverage, temporalCoverage, distribution, dates) and the ones moisson's
own web harvester maps back (:mod:`normalise.schema_org`), so that moisson can harvest its own pages: the tests check
that round trip. Every ``<`` is written ``\\u003c``, so no value can close the script element.
"""

from __future__ import annotations

from typing import Any

import orjson
from markupsafe import Markup

from normalise.model import DataService, Dataset


def _place(entry: Dataset | DataService, names: list[str]) -> dict[str, Any] | None:
    boxes = [s.bbox for s in entry.spatial if s.bbox]
    place: dict[str, Any] = {"@type": "Place"}
    if names:
        place["name"] = ", ".join(names)
    if boxes:
        west = min(b[0] for b in boxes)
        south = min(b[1] for b in boxes)
        east = max(b[2] for b in boxes)
        north = max(b[3] for b in boxes)
        place["geo"] = {"@type": "GeoShape", "box": f"{south:g} {west:g} {north:g} {east:g}"}
    return place if len(place) > 1 else None


def dataset_jsonld(entry: Dataset | DataService, *, page_url: str, place_names: list[str],
                   catalogue_url: str) -> dict[str, Any]:
    """The schema.org description of a record published at ``page_url``."""
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": page_url,
        "url": page_url,
        "name": entry.title,
        "identifier": [entry.id] + ([entry.uri] if entry.uri else []),
        "isAccessibleForFree": True,
        "includedInDataCatalog": {"@type": "DataCatalog", "name": "moisson", "url": catalogue_url},
    }
    description = (entry.description or "").strip()
    # Google wants 50 to 5,000 characters; a record without a description still says what it is
    data["description"] = description[:5000] if len(description) >= 50 else (
        f"{entry.title}. {description}".strip() + " — jeu de données publié"
        + (f" par {entry.publisher.name}" if entry.publisher else "") + ", référencé par moisson.")
    if entry.keywords:
        data["keywords"] = entry.keywords
    if entry.licence:
        data["license"] = entry.licence
    if entry.publisher:
        publisher: dict[str, Any] = {"@type": "Organization", "name": entry.publisher.name}
        if entry.publisher.siren:
            publisher["identifier"] = entry.publisher.siren
        if entry.publisher.homepage:
            publisher["url"] = entry.publisher.homepage
        data["publisher"] = publisher
        data["creator"] = publisher
    contacts = [c for c in entry.contact_points if c.email or c.url or c.phone]
    if contacts:
        data["contactPoint"] = [{"@type": "ContactPoint", "contactType": "information",
                                 **({"name": c.name} if c.name else {}), **({"email": c.email} if c.email else {}),
                                 **({"url": c.url} if c.url else {}), **({"telephone": c.phone} if c.phone else {})}
                                for c in contacts]
    if place := _place(entry, place_names):
        data["spatialCoverage"] = place
    periods = [p for p in entry.temporal if p.start or p.end]
    if periods:
        data["temporalCoverage"] = f"{periods[0].start or '..'}/{periods[0].end or '..'}"
    if entry.issued:
        data["datePublished"] = entry.issued
    if entry.modified:
        data["dateModified"] = entry.modified
    if entry.landing_page:
        data["sameAs"] = entry.landing_page
    if isinstance(entry, Dataset):
        downloads = []
        for dist in entry.distributions:
            url = dist.download_url or dist.access_url
            if not url:
                continue
            item: dict[str, Any] = {"@type": "DataDownload", "contentUrl": url}
            if dist.title:
                item["name"] = dist.title
            if dist.media_type or dist.format_label:
                item["encodingFormat"] = (dist.media_type or "").rsplit("media-types/", 1)[-1] or dist.format_label
            if dist.byte_size:
                item["contentSize"] = f"{dist.byte_size} B"
            downloads.append(item)
        if downloads:
            data["distribution"] = downloads
    return data


def script(data: dict[str, Any]) -> Markup:
    """The JSON-LD as a script element's content, safe inside HTML."""
    text = orjson.dumps(data).decode().replace("<", "\\u003c")  # "<" only occurs inside JSON strings
    return Markup(f'<script type="application/ld+json">{text}</script>')
