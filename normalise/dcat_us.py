"""One DCAT-US 1.1 dataset (an element of a ``data.json`` "dataset" list) -> Dataset.

DCAT-US (Project Open Data) is plain JSON, not RDF: ArcGIS Hub, Socrata and many US-built portals publish it, French
cities on ArcGIS Hub included. What it gives, and how it maps:

- title, description (often HTML from ArcGIS: tags stripped), keyword, theme (free labels: EU themes when the
  vocabulary knows them, else kept as keywords), identifier (the native id), landingPage;
- issued/modified: ISO 8601, sometimes ArcGIS epoch milliseconds;
- publisher ``{"name", "subOrganizationOf"}``, contactPoint ``{"fn", "hasEmail": "mailto:..."}``;
- license: a URL, or on ArcGIS Hub an HTML fragment of free text ("Soumis à la licence Etalab : https://...");
- accessLevel public / restricted public / non-public -> EU access rights; rights -> dct:rights;
- spatial: "west,south,east,north", a GeoJSON geometry (object or string), or a place name; ArcGIS leaves the
  template "{{extent:computeSpatialProperty}}" when it has no extent, which is no place at all;
- temporal: an ISO 8601 interval "start/end"; accrualPeriodicity: ISO 8601 "R/P1M";
- distribution: downloadURL / accessURL, mediaType, format, title, description, conformsTo, describedBy.
"""

from __future__ import annotations

from typing import Any

import orjson

from kernel.config import PublisherHint
from kernel.records import RawRecord
from normalise import NormaliseError, territory, vocab
from normalise.common import publisher_from_hint, recommended_gaps, text, text_from_html
from normalise.dcat import parse_geometry
from normalise.model import Agent, ContactPoint, Dataset, Distribution, PeriodOfTime, Spatial, entry_id


def normalise_dcat_us(raw: RawRecord, hint: PublisherHint | None = None) -> list[Dataset]:
    try:
        data = orjson.loads(raw.content)
    except orjson.JSONDecodeError as exc:
        raise NormaliseError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise NormaliseError("a data.json dataset must be a JSON object")
    title = text_from_html(data.get("title"))
    keywords = _strings(data.get("keyword"))
    theme_labels = _strings(data.get("theme"))
    themes = vocab.themes(theme_labels)
    licence, licence_label = _licence(data.get("license"))
    identifier = text(data.get("identifier"))
    dataset = Dataset(
        id=entry_id(raw.source_id, raw.native_id),
        source_id=raw.source_id,
        native_id=raw.native_id,
        uri=identifier if identifier and identifier.startswith(("http://", "https://")) else None,
        title=title or identifier or raw.native_id,
        description=text_from_html(data.get("description")),
        keywords=list(dict.fromkeys(keywords + [t for t in theme_labels if not vocab.themes([t])])),
        themes=themes,
        publisher=_publisher(data.get("publisher")) or publisher_from_hint(hint),
        contact_points=[c for c in [_contact(data.get("contactPoint"))] if c],
        licence=licence,
        licence_label=licence_label,
        access_rights=vocab.access_rights(text(data.get("accessLevel"))),
        rights=text_from_html(data.get("rights")),
        spatial=[s for s in [_spatial(data.get("spatial"))] if s],
        temporal=[p for p in [_period(data.get("temporal"))] if p],
        issued=vocab.iso_datetime(data.get("issued")),
        modified=vocab.iso_datetime(data.get("modified")),
        languages=list(dict.fromkeys(u for lang in _strings(data.get("language")) if (u := vocab.language(lang)))),
        conforms_to=[u for u in [text(data.get("conformsTo"))] if u],
        landing_page=text(data.get("landingPage")),
        identifiers=[identifier] if identifier else [],
        frequency=vocab.frequency(text(data.get("accrualPeriodicity"))),
        distributions=[d for item in _items(data.get("distribution")) if (d := _distribution(item, licence,
                                                                                             licence_label))],
    )
    dataset.gaps = ([] if title else ["dct:title"]) + recommended_gaps(dataset)
    return [dataset]


def _items(value: Any) -> list[Any]:
    """A list as is, one object as a list of one, anything else as nothing (found by fuzzing: a number crashed)."""
    return value if isinstance(value, list) else [value] if isinstance(value, dict) else []


def _strings(value: Any) -> list[str]:
    """A list of non-empty strings from a list, a single string or a comma-free garbage value."""
    items = value if isinstance(value, list) else [value]
    return list(dict.fromkeys(t for item in items if (t := text(item))))


def _licence(value: Any) -> tuple[str | None, str | None]:
    """ArcGIS Hub writes the licence as HTML text: read the words, and the URL inside them if the words say nothing."""
    label = text_from_html(value)
    return vocab.licence(label) if label else (None, None)


def _publisher(value: Any) -> Agent | None:
    if isinstance(value, str):
        return Agent(name=value.strip()) if value.strip() else None
    if not isinstance(value, dict):
        return None
    name = text(value.get("name"))
    if name is None:
        return None
    return Agent(name=name, email=_mail(value.get("mbox") or value.get("email")))


def _mail(value: Any) -> str | None:
    found = text(value)
    return found[7:] if found and found.lower().startswith("mailto:") else found


def _contact(value: Any) -> ContactPoint | None:
    if not isinstance(value, dict):
        return None
    name, email = text(value.get("fn")), _mail(value.get("hasEmail"))
    if not (name or email):
        return None
    return ContactPoint(name=name, email=email)


def _spatial(value: Any) -> Spatial | None:
    """ "west,south,east,north", a GeoJSON geometry, or a place name (ArcGIS's unfilled template is nothing)."""
    if isinstance(value, dict):
        value = orjson.dumps(value).decode()
    label = text(value)
    if label is None or "{{" in label:
        return None
    parts = label.split(",")
    if len(parts) == 4:
        try:
            west, south, east, north = (float(p) for p in parts)
        except ValueError:
            pass
        else:
            label = f"POLYGON(({west} {south},{east} {south},{east} {north},{west} {north},{west} {south}))"
    parsed = parse_geometry(label)
    if parsed is None:
        communes, departements, regions = territory.for_name(label)
        return Spatial(label=label, communes=list(communes), departements=list(departements), regions=list(regions))
    bbox, geometry = parsed
    departements, regions = territory.for_bbox(bbox)
    return Spatial(bbox=bbox, geometry=geometry, departements=list(departements), regions=list(regions))


def _period(value: Any) -> PeriodOfTime | None:
    found = text(value)
    if found is None:
        return None
    start, _, end = found.partition("/")
    period = PeriodOfTime(start=vocab.iso_datetime(start), end=vocab.iso_datetime(end))
    return period if period.start or period.end else None


def _distribution(item: Any, licence: str | None, licence_label: str | None) -> Distribution | None:
    if not isinstance(item, dict):
        return None
    download, access = text(item.get("downloadURL")), text(item.get("accessURL"))
    if not (download or access):
        return None
    format_label = text(item.get("format"))
    media = text(item.get("mediaType"))
    file_type, media_type = vocab.file_format(format_label, media_type=media, url=download or access)
    conforms = [u for u in [text(item.get("conformsTo"))] if u]
    return Distribution(
        title=text(item.get("title")),
        description=text_from_html(item.get("description")),
        access_url=access or download,
        download_url=download,
        format=file_type,
        format_label=format_label or media,
        media_type=media_type,
        # DCAT-US has no distribution licence: the dataset's applies to every distribution.
        licence=licence,
        licence_label=licence_label,
        conforms_to=conforms,
    )

