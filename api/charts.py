"""Inline SVG charts drawn on the server: a line chart, horizontal bars, a map of départements (their pages are
:mod:`api.pages.reports`).

Why hand-made SVG: the pages must render without a CDN or any network (tests and the demo have none), and three small
chart kinds do not justify a plotting dependency. Everything written into the SVG is escaped; elements carry classes
(``series``, ``point``, ``bar``, ``dep``) so that a test can find them in a browser's rendered DOM.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from html import escape

from normalise.reference import DEFAULT_OUT, TABLE_FILES, read_csv

FONT = "font-family='system-ui,sans-serif' font-size='12'"


def _fmt(value: float, percent: bool, decimals: int = 1) -> str:
    if percent:
        return f"{value * 100:.{decimals}f} %".replace(".", ",")
    return f"{value:,.0f}".replace(",", "\u202f")


def _nice_top(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^n x 4 at or above ``value``: four grid steps with round labels."""
    step = value / 4
    magnitude = 10 ** math.floor(math.log10(step)) if step > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= step:
            return factor * magnitude * 4
    return value


def line_chart(points: Sequence[tuple[str, float]], *, title: str, percent: bool = False, width: int = 720,
               height: int = 260) -> str:
    """One series over labelled periods (x: the labels in order, y: values from 0)."""
    left, right, top, bottom = 64, 40, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max((v for _, v in points), default=0) or (1 if not percent else 0.01)
    top_value = _nice_top(top_value * 1.05)
    decimals = 2 if percent and top_value < 0.05 else 1  # 0,12 % and 0,15 % must not both read "0,1 %"
    parts = [f"<svg class='chart line' role='img' aria-label='{escape(title, quote=True)}' "
             f"xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}'>",
             f"<title>{escape(title)}</title>",
             f"<text x='{left}' y='16' {FONT} font-weight='bold'>{escape(title)}</text>"]
    for i in range(5):  # horizontal grid and y labels
        value = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f"<line x1='{left}' x2='{width - right}' y1='{y:.1f}' y2='{y:.1f}' stroke='#ddd'/>")
        parts.append(f"<text x='{left - 6}' y='{y + 4:.1f}' text-anchor='end' {FONT}>"
                     f"{_fmt(value, percent, decimals)}</text>")
    if not points:
        parts.append(f"<text x='{left + plot_w / 2}' y='{top + plot_h / 2}' text-anchor='middle' {FONT} "
                     "class='empty'>pas encore de données</text></svg>")
        return "".join(parts)
    step = plot_w / max(len(points) - 1, 1)
    coords = []
    for i, (label, value) in enumerate(points):
        x = left + (i * step if len(points) > 1 else plot_w / 2)
        y = top + plot_h - plot_h * value / top_value
        coords.append((x, y, label, value))
    parts.append("<polyline class='series' fill='none' stroke='#0b5394' stroke-width='2' points='"
                 + " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in coords) + "'/>")
    every = max(1, math.ceil(len(coords) / 12))
    for i, (x, y, label, value) in enumerate(coords):
        parts.append(f"<circle class='point' cx='{x:.1f}' cy='{y:.1f}' r='3.5' fill='#0b5394'>"
                     f"<title>{escape(label)} : {_fmt(value, percent, decimals)}</title></circle>")
        if i % every == 0 or i == len(coords) - 1:
            parts.append(f"<text x='{x:.1f}' y='{height - bottom + 18}' text-anchor='middle' {FONT}>"
                         f"{escape(label)}</text>")
    parts.append(f"<line x1='{left}' x2='{width - right}' y1='{top + plot_h}' y2='{top + plot_h}' stroke='#666'/>")
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(items: Sequence[tuple[str, float]], *, title: str, percent: bool = False, width: int = 720) -> str:
    """Horizontal bars, one per labelled value, in the order given."""
    label_w, bar_h, gap, top = 200, 18, 6, 28
    height = top + len(items) * (bar_h + gap) + 8
    plot_w = width - label_w - 90
    top_value = max((v for _, v in items), default=0) or 1  # the longest bar spans the plot
    parts = [f"<svg class='chart bars' role='img' aria-label='{escape(title, quote=True)}' "
             f"xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}'>",
             f"<title>{escape(title)}</title>",
             f"<text x='0' y='16' {FONT} font-weight='bold'>{escape(title)}</text>"]
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_h + gap)
        w = max(plot_w * value / top_value, 1 if value else 0)
        parts.append(f"<text x='{label_w - 8}' y='{y + 13}' text-anchor='end' {FONT}>{escape(label[:32])}</text>")
        parts.append(f"<rect class='bar' x='{label_w}' y='{y}' width='{w:.1f}' height='{bar_h}' fill='#3d85c6'>"
                     f"<title>{escape(label)} : {_fmt(value, percent)}</title></rect>")
        parts.append(f"<text x='{label_w + w + 6:.1f}' y='{y + 13}' {FONT}>{_fmt(value, percent)}</text>")
    parts.append("</svg>")
    return "".join(parts)


@cache
def _departement_points() -> dict[str, tuple[float, float, str, str]]:
    """département code -> (lon, lat, name, zone): the centre of its places' extent (the reference has no shapes)."""
    out = {}
    for row in read_csv(DEFAULT_OUT / TABLE_FILES["departements"][0]):
        if row["west"]:
            lon = (float(row["west"]) + float(row["east"])) / 2
            lat = (float(row["south"]) + float(row["north"])) / 2
            out[row["code"]] = (lon, lat, row["name"], row["zone"])
    return out


def colour(rate: float | None) -> str:
    """Grey for no body, then from red (0 %) through orange to green (50 % and more: already far above today)."""
    if rate is None:
        return "#cccccc"
    t = min(rate / 0.5, 1.0)
    red = (215, 48, 39)
    mid = (253, 174, 97)
    green = (26, 152, 80)
    a, b, u = (red, mid, t * 2) if t < 0.5 else (mid, green, (t - 0.5) * 2)
    return "#" + "".join(f"{round(x + (y - x) * u):02x}" for x, y in zip(a, b, strict=True))


def departement_map(rates: dict[str, tuple[float, int, int]], *, title: str, width: int = 560) -> str:
    """France by département: one disc per département at the centre of its extent, its colour the rate
    (``rates``: code -> (rate, compliant, bodies)), its size the number of bodies; overseas départements in a row
    of insets below. A département absent from ``rates`` is drawn grey."""
    points = _departement_points()
    metro = {c: p for c, p in points.items() if p[3] == "metro"}
    west, east, south, north = -5.3, 9.7, 41.3, 51.2
    scale_x = math.cos(math.radians(46.5))
    map_h = width * (north - south) / ((east - west) * scale_x)
    inset_h = 70
    height = int(28 + map_h + inset_h + 30)
    most = max((b for _, _, b in rates.values()), default=1) or 1

    def disc(code: str, x: float, y: float, name: str) -> str:
        rate, compliant, bodies = rates.get(code, (None, 0, 0))
        r = 4 + 8 * math.sqrt(bodies / most) if bodies else 4
        label = f"{name} ({code}) : {compliant}/{bodies}" + (f" — {_fmt(rate, True)}" if rate is not None else "")
        return (f"<circle class='dep' data-code='{escape(code, quote=True)}' cx='{x:.1f}' cy='{y:.1f}' r='{r:.1f}' "
                f"fill='{colour(rate)}' stroke='#555' stroke-width='0.6'><title>{escape(label)}</title></circle>")

    parts = [f"<svg class='chart map' role='img' aria-label='{escape(title, quote=True)}' "
             f"xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}'>",
             f"<title>{escape(title)}</title>",
             f"<text x='0' y='16' {FONT} font-weight='bold'>{escape(title)}</text>",
             f"<rect x='0' y='24' width='{width}' height='{map_h + 4:.0f}' fill='#f4f7fb'/>"]
    for code, (lon, lat, name, _) in sorted(metro.items()):
        x = (lon - west) / (east - west) * width
        y = 26 + (north - lat) / (north - south) * map_h
        parts.append(disc(code, x, y, name))
    overseas = sorted(c for c, p in points.items() if p[3] == "drom")
    for code in rates:
        if code not in points and code not in overseas and code not in metro:
            overseas.append(code)  # a body of its own without places (Alsace's 6AE): shown in the row
    y0 = 28 + map_h + 10
    for i, code in enumerate(overseas):
        x = 40 + i * ((width - 60) / max(len(overseas), 1))
        parts.append(disc(code, x, y0 + 24, points[code][2] if code in points else code))
        parts.append(f"<text x='{x:.1f}' y='{y0 + 54:.1f}' text-anchor='middle' {FONT}>{escape(code)}</text>")
    legend_y = height - 8
    for i, (label, rate) in enumerate([("0 %", 0.0), ("12,5 %", 0.125), ("25 %", 0.25), ("≥ 50 %", 0.5),
                                       ("aucun organisme", None)]):
        x = 10 + i * 105
        parts.append(f"<rect x='{x}' y='{legend_y - 10}' width='12' height='12' fill='{colour(rate)}'/>")
        parts.append(f"<text x='{x + 16}' y='{legend_y}' {FONT}>{escape(label)}</text>")
    parts.append("</svg>")
    return "".join(parts)
