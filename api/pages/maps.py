"""The map of France drawn on the server as SVG: a picker of zones for the search, and a dataset's coverage.

Why server-rendered SVG and not a map library: no tile server or CDN is reachable from an intranet (nor from the
tests), so a slippy map would show nothing but what we ship anyway — the départements' outlines. Drawn here, the map
is a few dozen kilobytes, needs no JavaScript to be read (each département is a link), and a small script
(``api/static/moisson.js``) adds drawing a rectangle on top. Outlines come from Natural Earth (see
:mod:`api.pages.mapdata`), projected equirectangularly with the x axis scaled by cos(46.5°), which keeps metropolitan
France's shape within a few percent at this size; the projection is written on the SVG (``data-*``) so the script
turns a drawn rectangle back into degrees.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from markupsafe import Markup, escape

from api.pages.render import STATIC

MAP_FILE = STATIC / "carte" / "departements.json"
METRO = (-5.3, 41.3, 9.7, 51.2)  # west, south, east, north of the metropolitan frame
COS = math.cos(math.radians(46.5))
INSET_HEIGHT = 70
VIEW_WIDTH = 560  # the drawing's own width: pictures of other sizes are scaled, so that every map lines up


@dataclass(frozen=True)
class Frame:
    """A rectangle of degrees drawn in a rectangle of pixels (x scaled by cos 46.5°, or the inset's own latitude)."""

    west: float
    south: float
    east: float
    north: float
    x: float
    y: float
    width: float
    height: float

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        return (self.x + (lon - self.west) / (self.east - self.west) * self.width,
                self.y + (self.north - lat) / (self.north - self.south) * self.height)

    def contains(self, bbox: tuple[float, float, float, float]) -> bool:
        west, south, east, north = bbox
        return west < self.east and east > self.west and south < self.north and north > self.south


@dataclass(frozen=True)
class Departement:
    code: str
    name: str
    region: str
    zone: str
    extent: tuple[float, float, float, float]
    rings: tuple[tuple[tuple[float, float], ...], ...]


@cache
def departements() -> tuple[Departement, ...]:
    data = json.loads(MAP_FILE.read_text("utf-8"))
    return tuple(Departement(d["code"], d["name"], d["region"], d["zone"], tuple(d["extent"]),
                             tuple(tuple(tuple(p) for p in ring) for ring in d["rings"]))
                 for d in data["departements"])


def extent_of(codes: list[str]) -> tuple[float, float, float, float] | None:
    """The extent of some départements (a région is its départements) from the map's outlines."""
    boxes = [d.extent for d in departements() if d.code in codes]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def frames(width: int) -> tuple[Frame, dict[str, Frame], int]:
    """The metropolitan frame, one inset frame per overseas département (in a row below), the total height."""
    west, south, east, north = METRO
    height = width * (north - south) / ((east - west) * COS)
    metro = Frame(west, south, east, north, 0, 0, width, height)
    overseas = [d for d in departements() if d.zone != "metro"]
    insets = {}
    cell = width / max(len(overseas), 1)
    for i, dep in enumerate(overseas):
        w, s, e, n = dep.extent
        pad = 0.1 * max(e - w, n - s)
        w, s, e, n = w - pad, s - pad, e + pad, n + pad
        scale = min((cell - 12) / ((e - w) * math.cos(math.radians((s + n) / 2))), (INSET_HEIGHT - 18) / (n - s))
        box_w = (e - w) * math.cos(math.radians((s + n) / 2)) * scale
        box_h = (n - s) * scale
        insets[dep.code] = Frame(w, s, e, n, i * cell + (cell - box_w) / 2, height + 8, box_w, box_h)
    return metro, insets, math.ceil(height + 8 + INSET_HEIGHT + 12)


def _path(rings: tuple[tuple[tuple[float, float], ...], ...], frame: Frame) -> str:
    parts = []
    for ring in rings:
        points = [frame.point(lon, lat) for lon, lat in ring]
        parts.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in points) + "Z")
    return "".join(parts)


def france(*, width: int = 560, title: str, links: Callable[[Departement], str | None] | None = None,
           highlight: frozenset[str] = frozenset(), bbox: tuple[float, float, float, float] | None = None,
           draw: bool = False, outlines: bool = True) -> Markup:
    """The map as inline SVG. ``links`` gives each département's link (None: not a link); ``highlight`` fills some;
    ``bbox`` is outlined; ``draw`` lets the page's script draw a rectangle on the metropolitan frame;
    ``outlines=False`` refers to the static outline picture instead of drawing every département (lighter pages)."""
    metro, insets, height = frames(VIEW_WIDTH)
    shown_height = round(height * width / VIEW_WIDTH)
    attrs = (f' data-draw="1" data-west="{metro.west}" data-north="{metro.north}" '
             f'data-deg-x="{(metro.east - metro.west) / metro.width:.6f}" '
             f'data-deg-y="{(metro.north - metro.south) / metro.height:.6f}"' if draw else "")
    role = 'role="group"' if links else 'role="img"'  # a picture's children are hidden from screen readers
    parts = [f'<svg class="carte" {role} aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {VIEW_WIDTH} {height}" width="{width}" height="{shown_height}"{attrs}>',
             f'<title>{escape(title)}</title>',
             f'<rect class="mer" x="0" y="0" width="{VIEW_WIDTH}" height="{metro.height:.0f}"/>']
    names = {d.code: d.name for d in departements()}
    for code, frame in insets.items():
        parts.append(f'<rect class="encart" x="{frame.x - 4:.1f}" y="{frame.y - 4:.1f}" '
                     f'width="{frame.width + 8:.1f}" height="{frame.height + 8:.1f}"/>')
        if outlines:
            parts.append(f'<text class="legende" x="{frame.x + frame.width / 2:.1f}" '
                         f'y="{frame.y + frame.height + 16:.1f}" text-anchor="middle">{escape(names[code])}</text>')
    if not outlines:
        parts.append(f'<image href="/carte/france.svg" x="0" y="0" width="{VIEW_WIDTH}" height="{height}"/>')
    for dep in departements() if outlines or highlight else ():
        if not outlines and dep.code not in highlight:
            continue
        frame = insets.get(dep.code, metro)
        css = "dep dep-on" if dep.code in highlight else "dep"
        shape = (f'<path class="{css}" d="{_path(dep.rings, frame)}">'
                 f'<title>{escape(dep.name)} ({dep.code})</title></path>')
        href = links(dep) if links else None
        if href:
            parts.append(f'<a href="{escape(href)}" aria-label="{escape(dep.name)} ({dep.code})">{shape}</a>')
        else:
            parts.append(shape)
    if bbox is not None:
        frame = metro if metro.contains(bbox) else next((f for f in insets.values() if f.contains(bbox)), None)
        if frame is not None:
            x1, y1 = frame.point(max(bbox[0], frame.west), min(bbox[3], frame.north))
            x2, y2 = frame.point(min(bbox[2], frame.east), max(bbox[1], frame.south))
            parts.append(f'<rect class="emprise" x="{x1:.1f}" y="{y1:.1f}" width="{max(x2 - x1, 2):.1f}" '
                         f'height="{max(y2 - y1, 2):.1f}"/>')
    if draw:
        parts.append('<rect class="trace" x="0" y="0" width="0" height="0"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


@cache
def outline_svg(width: int = VIEW_WIDTH) -> bytes:
    """Every département's outline as a standalone picture (the background of coverage maps, cached by browsers).
    Colours are presentation attributes: a picture cannot reach the site's stylesheet."""
    metro, insets, height = frames(width)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}">']
    for dep in departements():
        frame = insets.get(dep.code, metro)
        parts.append(f'<path d="{_path(dep.rings, frame)}" fill="#eef1f6" stroke="#8a94a6" stroke-width="0.5"/>')
    parts.append("</svg>")
    return "".join(parts).encode()
