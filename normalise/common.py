"""Helpers every normaliser shares: reading JSON records, cleaning text and HTML, the DCAT-AP gaps rule, the
publisher hint, the portal root of an API URL.

Why one module: the same rules must hold for every source type (a gap is a gap whatever the format), and the
normalisers of CKAN, DCAT, ISO 19139, ODS, udata and schema.org would otherwise each carry their own copy.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import orjson
from lxml import html as lxml_html

from kernel.config import PublisherHint
from normalise import NormaliseError
from normalise.model import Agent, Dataset


def load_json(content: bytes) -> dict[str, Any]:
    """Parse a raw record's JSON object, or raise NormaliseError saying why not."""
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise NormaliseError(f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise NormaliseError(f"expected a JSON object, got {type(data).__name__}")
    return data


def text(value: Any) -> str | None:
    """A stripped non-empty string, or None (sources put null, "", numbers or lists where text is expected)."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


_BLOCKS = ("p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "blockquote")


def text_from_html(value: Any) -> str | None:
    """Plain text of an HTML description, paragraphs kept as blank-line breaks.

    Why: dct:description is a plain literal; portals (ODS, schema.org pages) put rich-text HTML there, with inline
    styles and entities that would otherwise end up in search snippets and exports.
    """
    value = text(value)
    if value is None or "<" not in value:
        return value
    try:
        root = lxml_html.fragment_fromstring(value, create_parent="div")
    except Exception:  # lxml raises several types on garbage; the raw text is better than nothing
        return re.sub(r"<[^>]+>", " ", value).strip() or None
    for element in root.iter("script", "style"):
        element.drop_tree()
    for element in root.iter(*_BLOCKS):
        element.tail = "\n\n" + (element.tail or "") if element.tag != "br" else "\n" + (element.tail or "")
    out = root.text_content().replace("\xa0", " ")
    out = re.sub(r"[ \t\r\f\v]+", " ", out)
    out = re.sub(r" *\n *", "\n", out)
    out = re.sub(r"\n{3,}", "\n\n", out).strip()
    return out or None


def recommended_gaps(entry: Dataset) -> list[str]:
    """The mandatory and recommended DCAT-AP 3 dataset properties this record lacks, by their DCAT names.

    Why computed from the built record: whatever the source format, a property is missing exactly when the normalised
    field is empty, so one rule serves every JSON normaliser and cannot drift from what is actually exported.
    """
    checks = (
        ("dct:description", entry.description),
        ("dcat:contactPoint", entry.contact_points),
        ("dcat:distribution", entry.distributions),
        ("dcat:keyword", entry.keywords),
        ("dct:publisher", entry.publisher),
        ("dct:spatial", entry.spatial),
        ("dct:temporal", entry.temporal),
        ("dcat:theme", entry.themes),
    )
    return [name for name, value in checks if not value]


def publisher_from_hint(hint: PublisherHint | None) -> Agent | None:
    """The operator's publisher hint as an Agent (used only when the record names no publisher)."""
    if hint is None or not (hint.name or hint.siren):
        return None
    return Agent(name=hint.name or f"SIREN {hint.siren}", siren=hint.siren)


WEB_SCHEMES = ("http", "https", "ftp", "ftps")


def web_url(value: Any) -> str | None:
    """An absolute web URL (http, https, ftp) with a host, stripped; None for anything else.

    Why: a record's landing page and download links end up as links in the API's JSON, in reusers' pages and in
    ours; ``javascript:``, ``data:`` and ``vbscript:`` URLs run script when followed, ``file:`` points at the reader's
    own disk, and relative paths or words are no links at all. Every normaliser's links pass here (see
    normalise.limits). Browsers drop tabs and newlines inside a scheme (``java\tscript:``): so does urlsplit."""
    url = text(value)
    if url is None:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # an invalid IPv6 host, for one
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.netloc:
        return None
    return url


def portal_base(url: str) -> str:
    """The portal root of an API URL: everything before ``/api/`` (e.g. https://data.example.fr)."""
    head, sep, _ = url.partition("/api/")
    if sep:
        return head.rstrip("/")
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


Box = tuple[float, float, float, float]


def geojson_positions(geometry: Any) -> list[tuple[float, float]]:
    """Every (x, y) position of a GeoJSON geometry, feature or geometry collection."""
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    if not isinstance(geometry, dict):
        return []
    points: list[tuple[float, float]] = []

    def walk(coords: Any) -> None:
        if isinstance(coords, list | tuple) and len(coords) >= 2 and all(
                isinstance(c, int | float) and not isinstance(c, bool) for c in coords[:2]):
            points.append((float(coords[0]), float(coords[1])))
        elif isinstance(coords, list | tuple):
            for item in coords:
                walk(item)

    walk(geometry.get("coordinates"))
    for part in geometry.get("geometries") or []:
        if isinstance(part, dict):
            walk(part.get("coordinates"))
    return points


def bbox_of(points: list[tuple[float, float]]) -> Box | None:
    """(west, south, east, north) of positions, or None unless they are valid WGS84 longitudes/latitudes:
    projected coordinates, swapped axes or garbage give no box, which beats a wrong one."""
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    box = (min(xs), min(ys), max(xs), max(ys))
    west, south, east, north = box
    return box if -180 <= west <= east <= 180 and -90 <= south <= north <= 90 else None
