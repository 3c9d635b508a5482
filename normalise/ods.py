"""OpenDataSoft dataset JSON (Explore API v2.1, also v2.0 and legacy v1) -> DCAT-AP Dataset.

Why lenient about the envelope: the same portal family has served three shapes over the years (v1 ``datasetid`` with
flat ``metas``, v2.0 ``{"dataset": {...}, "links": [...]}``, v2.1 flat results with ``metas.default``); the fields
that matter did not change, so one normaliser reads all three.

What an ODS dataset gives:
- ``metas.default``: title, description (HTML), publisher (a plain name), license + license_url, modified, keyword,
  theme (labels, which contain commas themselves: "Administration, Government, Public finances, Citizenship"),
  territory (names) and geographic_reference (ODS codes ``{country}_{admin level}_{code}``: for France level 40 is
  the région, 60 the département, 80 the commune, so ``fr_80_44069`` is Guérande), language.
- ``metas.dcat`` (when the portal enables it): created/issued, creator, contributor, contact_name/contact_email,
  accrualperiodicity, temporal, temporal_coverage_start/end, spatial, conforms_to, accessRights, granularity.
- ``metas.explore`` (only with ``include_app_metas=true``): download_count, api_call_count, popularity_score,
  reuse_count — the popularity figures kept in ``metrics`` for the statistics work.
- exports: every dataset with records can be exported through
  ``{portal}/api/explore/v2.1/catalog/datasets/{id}/exports/{format}`` (CSV, JSON, Excel, Parquet; GeoJSON,
  Shapefile and KML when the dataset has the ``geo`` feature). These are the dataset's distributions; their
  licence is the dataset's (the portal serves every export under it).
- attachments and alternative exports: files uploaded beside the data (``odsfile://name`` in the metadata, served at
  ``.../datasets/{id}/attachments/{attachment_id}``).

Publisher SIREN: ODS gives only a name. We take a SIREN (a) from the source's publisher hint when the hint names the
same body, or (b) from a dataset id that starts with a valid SIREN followed by "_", the file naming convention of the
Socle commun des données locales that French ODS portals follow ("264400516_arretes_ccas_guerande": CCAS de
Guérande). Both are checked (Luhn through vocab.siren) and never guessed otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from kernel.config import PublisherHint
from kernel.records import RawRecord
from normalise import NormaliseError, territory, vocab
from normalise.common import load_json, portal_base, publisher_from_hint, recommended_gaps, text, text_from_html
from normalise.model import Agent, ContactPoint, Dataset, Distribution, PeriodOfTime, Spatial, entry_id

EXPORTS = ("csv", "json", "xlsx", "parquet")
GEO_EXPORTS = ("geojson", "shp", "kml")
# What the export endpoint sends when the format has no media type of its own (a Shapefile comes zipped).
EXPORT_MEDIA_TYPES = {"shp": "application/zip"}
# ODS geographic_reference admin levels for France (OSM admin_level x 10) -> territory.for_codes prefixes.
FR_LEVELS = {"40": "REG", "60": "DEP", "80": "COM"}
EXPLORE_METRICS = {
    "download_count": "downloads",
    "api_call_count": "api_calls",
    "reuse_count": "reuses",
    "attachment_download_count": "attachment_downloads",
}


def normalise_ods(raw: RawRecord, hint: PublisherHint | None = None) -> list[Dataset]:
    """One ODS dataset JSON -> one Dataset with its export, attachment and alternative-export distributions."""
    data = load_json(raw.content)
    if isinstance(data.get("dataset"), dict):  # v2.0 envelope
        data = data["dataset"]
    dataset_id = data.get("dataset_id") or data.get("datasetid")
    if not dataset_id or not isinstance(dataset_id, str):
        raise NormaliseError("not an OpenDataSoft dataset: no dataset_id")
    metas = data.get("metas") if isinstance(data.get("metas"), dict) else {}
    default = metas.get("default") if isinstance(metas.get("default"), dict) else metas  # v1: flat metas
    dcat = metas.get("dcat") if isinstance(metas.get("dcat"), dict) else {}
    explore = metas.get("explore") if isinstance(metas.get("explore"), dict) else {}
    title = text(default.get("title"))
    if not title:
        raise NormaliseError(f"dataset {dataset_id!r} has no title")
    portal = portal_base(raw.url)
    landing = f"{portal}/explore/dataset/{quote(dataset_id)}/"

    licence, licence_label = _licence(default)
    modified = vocab.iso_datetime(default.get("modified"))
    data_modified = vocab.iso_datetime(default.get("data_processed")) or modified
    issued = vocab.iso_datetime(dcat.get("issued")) or vocab.iso_datetime(dcat.get("created"))
    language = vocab.language(default.get("language"))

    dataset = Dataset(
        id=entry_id(raw.source_id, raw.native_id),
        source_id=raw.source_id,
        native_id=raw.native_id,
        uri=landing,
        title=title,
        description=text_from_html(default.get("description")),
        keywords=_keywords(default.get("keyword")),
        themes=vocab.themes(_theme_labels(default.get("theme"))),
        publisher=_publisher(default.get("publisher"), dataset_id, hint),
        creators=[Agent(name=name) for name in _strings(dcat.get("creator"))],
        contact_points=_contact(dcat),
        licence=licence,
        licence_label=licence_label,
        access_rights=vocab.access_rights(dcat.get("accessRights") or dcat.get("access_rights")),
        spatial=_spatial(default, metas, data),
        temporal=_temporal(dcat),
        issued=issued,
        modified=modified,
        languages=[language] if language else [],
        conforms_to=_strings(dcat.get("conforms_to")),
        landing_page=landing,
        identifiers=[data["dataset_uid"]] if isinstance(data.get("dataset_uid"), str) else [],
        frequency=vocab.frequency(dcat.get("accrualperiodicity")),
        distributions=_distributions(data, default, portal, dataset_id, licence, licence_label, data_modified),
        metrics=_metrics(explore),
    )
    dataset.gaps = recommended_gaps(dataset)
    return [dataset]


def _strings(value: Any) -> list[str]:
    """A list of non-empty strings from a string, a list of strings or nothing."""
    if isinstance(value, list):
        return [s for s in (text(v) for v in value) if s]
    single = text(value)
    return [single] if single else []


# -- ODS specifics -------------------------------------------------------------------------------------------------


def _keywords(value: Any) -> list[str]:
    if isinstance(value, str):  # v1 gives a comma-separated string
        return [k.strip() for k in value.split(",") if k.strip()]
    return list(dict.fromkeys(_strings(value)))


def _theme_labels(value: Any) -> list[str]:
    """ODS theme labels; a v1 string holds one label (labels contain commas) unless ";" separates several."""
    if isinstance(value, str):
        return [t.strip() for t in value.split(";") if t.strip()]
    return _strings(value)


def _licence(default: dict[str, Any]) -> tuple[str | None, str | None]:
    label = text(default.get("license"))
    url = text(default.get("license_url"))
    for candidate in (url, label):
        if candidate:
            uri, _ = vocab.licence(candidate)
            if uri:
                return uri, label or url
    return None, label or url


def _publisher(name: Any, dataset_id: str, hint: PublisherHint | None) -> Agent | None:
    name = text(name)
    if not name:
        return publisher_from_hint(hint)
    siren = None
    if hint and hint.siren and hint.name and vocab.fold(hint.name) == vocab.fold(name):
        siren = hint.siren
    elif match := re.match(r"(\d{9})_", dataset_id):
        siren = vocab.siren(match.group(1))
    return Agent(name=name, siren=siren)


def _contact(dcat: dict[str, Any]) -> list[ContactPoint]:
    name, email = text(dcat.get("contact_name")), text(dcat.get("contact_email"))
    if not (name or email):
        return []
    return [ContactPoint(name=name, email=email.removeprefix("mailto:") if email else None)]


def _temporal(dcat: dict[str, Any]) -> list[PeriodOfTime]:
    start = vocab.iso_datetime(dcat.get("temporal_coverage_start"))
    end = vocab.iso_datetime(dcat.get("temporal_coverage_end"))
    if not (start or end) and (temporal := text(dcat.get("temporal"))) and "/" in temporal:
        first, _, last = temporal.partition("/")
        start, end = vocab.iso_datetime(first), vocab.iso_datetime(last)
    return [PeriodOfTime(start=start, end=end)] if start or end else []


def _spatial(default: dict[str, Any], metas: dict[str, Any], data: dict[str, Any]) -> list[Spatial]:
    names = _strings(default.get("territory"))
    label = ", ".join(names) or None
    codes = []
    for ref in _strings(default.get("geographic_reference")):
        country, _, rest = ref.partition("_")
        level, _, code = rest.partition("_")
        if country == "fr" and level in FR_LEVELS and code:
            codes.append(f"{FR_LEVELS[level]}:{code}")
    communes: list[str] = []
    departements: list[str] = []
    regions: list[str] = []
    if codes:
        communes, departements, regions = territory.for_codes(codes)
    else:
        for name in names:
            c, d, r = territory.for_name(name)
            communes, departements, regions = communes + c, departements + d, regions + r
    bbox = _inspire_bbox(metas, data)
    if not (label or bbox or communes or departements or regions):
        return []
    if bbox and not (communes or departements or regions):
        departements, regions = (list(x) for x in territory.for_bbox(bbox))
    return [Spatial(label=label, bbox=bbox, communes=_unique(communes), departements=_unique(departements),
                    regions=_unique(regions))]


def _inspire_bbox(metas: dict[str, Any], data: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """The INSPIRE interoperability metas' bounding box (v1 ``interop_metas.inspire``, v2 ``metas.inspire``)."""
    interop = data.get("interop_metas") if isinstance(data.get("interop_metas"), dict) else {}
    inspire = metas.get("inspire") or interop.get("inspire")
    if not isinstance(inspire, dict):
        return None
    try:
        west, south, east, north = (float(inspire[f"extend_bounding_box_{side}"]) for side in
                                    ("westbound_longitude", "southbound_latitude", "eastbound_longitude",
                                     "northbound_latitude"))
    except (KeyError, TypeError, ValueError):
        return None
    return (west, south, east, north)


def _distributions(data: dict[str, Any], default: dict[str, Any], portal: str, dataset_id: str,
                   licence: str | None, licence_label: str | None, modified: str | None) -> list[Distribution]:
    api = f"{portal}/api/explore/v2.1/catalog/datasets/{quote(dataset_id)}"
    title = text(default.get("title")) or dataset_id
    out: list[Distribution] = []
    if data.get("has_records", True):
        features = set(_strings(data.get("features")))
        for fmt in EXPORTS + (GEO_EXPORTS if "geo" in features else ()):
            url = f"{api}/exports/{fmt}"
            file_type, media_type = vocab.file_format(fmt, url=url)
            if media_type is None and fmt in EXPORT_MEDIA_TYPES:
                media_type = vocab.file_format(media_type=EXPORT_MEDIA_TYPES[fmt])[1]
            out.append(Distribution(native_id=f"export:{fmt}", uri=url, title=f"{dataset_id}.{fmt}",
                                    description=f"{title} ({fmt})", access_url=url, download_url=url,
                                    format=file_type, format_label=fmt, media_type=media_type, licence=licence,
                                    licence_label=licence_label, modified=modified))
    for kind in ("attachments", "alternative_exports"):
        items = data.get(kind)
        for item in items if isinstance(items, list) else []:  # anything else is a defect: that element is lost
            if not isinstance(item, dict) or not (item_id := text(item.get("id"))):
                continue
            url = f"{api}/{kind}/{quote(item_id)}"
            filename = (text(item.get("url")) or "").removeprefix("odsfile://")
            mimetype = text(item.get("mimetype"))
            file_type, media_type = vocab.file_format(media_type=mimetype, url=filename or None)
            out.append(Distribution(native_id=f"{kind[:-1]}:{item_id}", uri=url,
                                    title=text(item.get("title")) or filename or item_id,
                                    description=text(item.get("description")), access_url=url, download_url=url,
                                    format=file_type, format_label=_extension(filename) or mimetype,
                                    media_type=media_type, licence=licence, licence_label=licence_label,
                                    modified=modified))
    return out


def _extension(filename: str) -> str | None:
    _, dot, ext = filename.rpartition(".")
    return ext.lower() if dot and ext else None


def _metrics(explore: dict[str, Any]) -> dict[str, int]:
    """ODS popularity figures; ``popularity_x100`` keeps the float popularity_score in hundredths (metrics are ints)."""
    out: dict[str, int] = {}
    for key, name in EXPLORE_METRICS.items():
        value = explore.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = int(value)
    score = explore.get("popularity_score")
    if isinstance(score, int | float) and not isinstance(score, bool):
        out["popularity_x100"] = round(score * 100)
    return out


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
