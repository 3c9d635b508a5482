"""udata API v1 dataset JSON (data.gouv.fr is the reference) -> DCAT-AP Dataset.

Mapping, and why where it is not obvious:
- organisation -> publisher, with its SIREN from ``business_number_id`` (a SIRET or a SIREN; the harvester copies it
  from the organisation endpoint). A dataset owned by a person (``owner``) has that person as publisher; the source's
  publisher hint is used only when neither is given.
- ``license`` is a udata licence id (lov2, fr-lo, odc-odbl, cc-by, notspecified...) -> vocab.licence; the id is kept
  as the label. Distributions carry the dataset's licence (udata has no per-resource licence).
- ``frequency`` (udata ids: daily, monthly, annual, unknown...) -> EU frequency URI.
- ``spatial.zones`` are geozone ids ("fr:commune:69123", "fr:departement:69", "fr:region:84") -> INSEE codes through
  territory.for_codes; ``spatial.geom`` (GeoJSON) is kept with its bounding box; ``granularity`` is dropped.
- resources -> distributions: ``latest`` (the stable /datasets/r/{id} URL) is the access URL when given, ``url`` the
  download URL (except for ``type: api`` resources, which are services, not files); ``schema`` {name, version} ->
  SchemaRef and dct:conformsTo https://schema.data.gouv.fr/{name}/{version}/; ``checksum`` {type, value} ->
  "type:value"; ``filesize`` -> byte size; ``metrics.views`` is in fact the download count (udata counts resource
  redirects as views), so it becomes ``downloads``.
- dataset ``metrics``: views, resources_downloads (-> downloads), reuses, followers.
- ignored on purpose: ``quality`` (moisson computes its own score), ``badges`` (the portal's curation marks, which
  DCAT-AP has no property for; they stay in the raw record), community resources (not the publisher's).
"""

from __future__ import annotations

from typing import Any

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
)
from normalise.model import (
    AccessService,
    Agent,
    ContactPoint,
    Dataset,
    Distribution,
    HarvestNote,
    PeriodOfTime,
    SchemaRef,
    Spatial,
    entry_id,
)

SCHEMA_BASE = "https://schema.data.gouv.fr"
# udata geozone levels -> territory.for_codes prefixes
ZONE_LEVELS = {"commune": "COM", "departement": "DEP", "region": "REG", "epci": "EPCI"}
DATASET_METRICS = {"views": "views", "resources_downloads": "downloads", "downloads": "downloads",
                   "reuses": "reuses", "followers": "followers"}


def normalise_udata(raw: RawRecord, hint: PublisherHint | None = None) -> list[Dataset]:
    """One udata dataset -> one Dataset with its resources as distributions."""
    data = load_json(raw.content)
    if not isinstance(data.get("id"), str):
        raise NormaliseError("not a udata dataset: no id")
    title = text(data.get("title"))
    if not title:
        raise NormaliseError(f"dataset {data['id']!r} has no title")
    licence_id = text(data.get("license"))
    licence = vocab.licence(licence_id)[0] if licence_id else None
    page = text(data.get("page"))
    portal = portal_base(raw.url)
    frequency = text(data.get("frequency"))
    harvest = data.get("harvest") if isinstance(data.get("harvest"), dict) else {}
    dataset = Dataset(
        id=entry_id(raw.source_id, raw.native_id),
        source_id=raw.source_id,
        native_id=raw.native_id,
        uri=page,
        title=title,
        description=text(data.get("description")),
        keywords=[t for t in (text(tag) for tag in _items(data.get("tags"))) if t],
        publisher=_publisher(data, portal) or publisher_from_hint(hint),
        contact_points=_contacts(data),
        licence=licence,
        licence_label=licence_id,
        spatial=_spatial(data.get("spatial")),
        temporal=_temporal(data.get("temporal_coverage")),
        issued=vocab.iso_datetime(data.get("created_at")),
        modified=vocab.iso_datetime(data.get("last_update")) or vocab.iso_datetime(data.get("last_modified")),
        landing_page=page,
        identifiers=list(dict.fromkeys(i for i in (text(harvest.get("uri")), text(harvest.get("remote_url"))) if i)),
        frequency=vocab.frequency(frequency) if frequency else None,
        distributions=[d for d in (_distribution(r, page, licence, licence_id) for r in _items(data.get("resources")))
                       if d is not None],
        metrics=_counts(data.get("metrics"), DATASET_METRICS),
    )
    dataset.themes = vocab.themes(dataset.keywords)
    dataset.harvest = _harvest_note(harvest)
    dataset.gaps = recommended_gaps(dataset)
    return [dataset]


def _items(value: Any) -> list[Any]:
    """A list the record gives, or none: anything else in its place is a defect, and that element is lost."""
    return value if isinstance(value, list) else []


def _harvest_note(harvest: dict[str, Any]) -> HarvestNote | None:
    """udata's ``harvest`` block (a dataset data.gouv.fr harvested from another portal): where it came from, for
    duplicate clustering (issue 14). ``uri`` / ``dct_identifier`` (DCAT backends) name the origin's resource when
    ``remote_id`` is a bare id."""
    if not harvest:
        return None
    remote_id = text(harvest.get("remote_id")) or text(harvest.get("dct_identifier")) or text(harvest.get("uri"))
    note = HarvestNote(backend=text(harvest.get("backend")), domain=text(harvest.get("domain")),
                       source_id=text(harvest.get("source_id")), remote_id=remote_id,
                       remote_url=text(harvest.get("remote_url")) or text(harvest.get("uri")))
    return note if note.remote_id or note.remote_url or note.domain else None


def _publisher(data: dict[str, Any], portal: str) -> Agent | None:
    org = data.get("organization")
    if isinstance(org, dict) and (name := text(org.get("name"))):
        number = text(org.get("business_number_id"))
        return Agent(name=name, uri=text(org.get("page")) or text(org.get("uri")),
                     siren=vocab.siren(number) if number else None, homepage=text(org.get("url")))
    owner = data.get("owner")
    if isinstance(owner, dict):
        name = " ".join(p for p in (text(owner.get("first_name")), text(owner.get("last_name"))) if p)
        if name:
            return Agent(name=name, uri=text(owner.get("page")) or text(owner.get("uri")))
    return None


def _contacts(data: dict[str, Any]) -> list[ContactPoint]:
    single = data.get("contact_point")
    found = _items(data.get("contact_points")) or ([single] if isinstance(single, dict) else [])
    out = []
    for contact in found:
        if not isinstance(contact, dict):
            continue
        point = ContactPoint(name=text(contact.get("name")), email=text(contact.get("email")),
                             url=text(contact.get("contact_form")))
        if point.name or point.email or point.url:
            out.append(point)
    return out


def _spatial(spatial: Any) -> list[Spatial]:
    if not isinstance(spatial, dict):
        return []
    zones = [z for z in _items(spatial.get("zones")) if isinstance(z, str)]
    codes = []
    for zone in zones:
        parts = zone.split("@")[0].split(":")  # "fr:commune:69123" (older ids end with "@1942-01-01")
        if len(parts) == 3 and parts[0] == "fr" and parts[1] in ZONE_LEVELS:
            codes.append(f"{ZONE_LEVELS[parts[1]]}:{parts[2]}")
    communes, departements, regions = territory.for_codes(codes) if codes else ([], [], [])
    geometry = spatial.get("geom") if isinstance(spatial.get("geom"), dict) else None
    bbox = bbox_of(geojson_positions(geometry)) if geometry else None
    if bbox and not (communes or departements or regions):
        departements, regions = territory.for_bbox(bbox)
    if not (zones or geometry):
        return []
    return [Spatial(label=", ".join(zones) or None, bbox=bbox, geometry=geometry, communes=list(communes),
                    departements=list(departements), regions=list(regions))]


def _temporal(coverage: Any) -> list[PeriodOfTime]:
    if not isinstance(coverage, dict):
        return []
    start, end = vocab.iso_datetime(coverage.get("start")), vocab.iso_datetime(coverage.get("end"))
    return [PeriodOfTime(start=start, end=end)] if start or end else []


def _distribution(resource: Any, page: str | None, licence: str | None, licence_id: str | None) -> Distribution | None:
    if not isinstance(resource, dict) or not (url := text(resource.get("url"))):
        return None
    rid = text(resource.get("id"))
    fmt, mime = text(resource.get("format")), text(resource.get("mime"))
    file_type, media_type = vocab.file_format(fmt, media_type=mime, url=url)
    is_api = resource.get("type") == "api"
    schema = _schema(resource.get("schema"))
    checksum = resource.get("checksum") if isinstance(resource.get("checksum"), dict) else {}
    size = resource.get("filesize")
    return Distribution(
        native_id=rid,
        uri=f"{page}#resource-{rid}" if page and rid else None,
        title=text(resource.get("title")),
        description=text(resource.get("description")),
        access_url=text(resource.get("latest")) or url,
        download_url=None if is_api else url,
        format=file_type,
        format_label=fmt or mime,
        media_type=media_type,
        licence=licence,
        licence_label=licence_id,
        byte_size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
        checksum=f"{checksum.get('type') or 'sha1'}:{checksum['value']}" if text(checksum.get("value")) else None,
        issued=vocab.iso_datetime(resource.get("created_at")),
        modified=vocab.iso_datetime(resource.get("last_modified")),
        conforms_to=_schema_urls(schema),
        schema=schema,
        access_service=AccessService(endpoint_url=url, title=text(resource.get("title")), service_type="api")
        if is_api else None,
        metrics=_counts(resource.get("metrics"), {"views": "downloads"}),
    )


def _schema(value: Any) -> SchemaRef | None:
    """A resource's declared schema: {name, version} on schema.data.gouv.fr, or {url} for any other schema."""
    if not isinstance(value, dict):
        return None
    name, version, url = text(value.get("name")), text(value.get("version")), text(value.get("url"))
    if not (name or url):
        return None
    return SchemaRef(name=name, version=version, url=url)


def _schema_urls(schema: SchemaRef | None) -> list[str]:
    if schema is None:
        return []
    if schema.name:
        return [f"{SCHEMA_BASE}/{schema.name}/{schema.version}/" if schema.version else f"{SCHEMA_BASE}/{schema.name}/"]
    return [schema.url] if schema.url else []


def _counts(metrics: Any, names: dict[str, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    if isinstance(metrics, dict):
        for key, name in names.items():
            value = metrics.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and name not in out:
                out[name] = value
    return out
