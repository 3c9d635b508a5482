"""Bounding boxes as geometries, including boxes that cross the antimeridian.

Why its own module: a box whose west bound is east of its east bound (Fiji, the Chukchi Sea, a French Polynesia
extent from 178° E to 150° W) covers the Pacific side of the world; written naively as one polygon from west to east it
covers the other 330° instead. ISO 19139, DCAT (dcat:bbox) and the normalisers' GeoJSON all meet such boxes, and all
must write them the same way: split in two at ±180°.
"""

from __future__ import annotations

from typing import Any

Box = tuple[float, float, float, float]  # west, south, east, north (WGS84)


def crosses_antimeridian(bbox: Box) -> bool:
    west, _, east, _ = bbox
    return west > east


def box_parts(bbox: Box) -> list[Box]:
    """The box itself, or its two halves either side of the antimeridian."""
    west, south, east, north = bbox
    if not crosses_antimeridian(bbox):
        return [bbox]
    return [(west, south, 180.0, north), (-180.0, south, east, north)]


def _ring(box: Box) -> list[list[float]]:
    west, south, east, north = box
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def box_geojson(bbox: Box) -> dict[str, Any]:
    """A GeoJSON Polygon, or a MultiPolygon of both halves when the box crosses the antimeridian."""
    parts = box_parts(bbox)
    if len(parts) == 1:
        return {"type": "Polygon", "coordinates": [_ring(parts[0])]}
    return {"type": "MultiPolygon", "coordinates": [[_ring(part)] for part in parts]}


def _num(value: float) -> str:
    value = float(value)
    return repr(value).removesuffix(".0") if value == int(value) and abs(value) < 1e15 else repr(value)


def box_wkt(bbox: Box) -> str:
    """WKT POLYGON of the box, or MULTIPOLYGON of its two halves across the antimeridian."""
    rings = ["((" + ",".join(f"{_num(x)} {_num(y)}" for x, y in _ring(part)) + "))" for part in box_parts(bbox)]
    return f"POLYGON{rings[0]}" if len(rings) == 1 else f"MULTIPOLYGON({','.join(rings)})"
