"""Public bodies a publisher can be: every commune and EPCI of the reference, the départements and régions, with the
open-data obligation flag from ``config/reference/obligated.csv``.

Why every commune and EPCI and not only the obligated ones: a small commune that publishes is still a body; matching
it to itself (not under obligation) is better than calling it "unmatched", and it keeps a homonym check honest (a
name shared by a small and a large commune is ambiguous, whatever the obligation says).

Ids are "<type>:<code>" as in obligated.csv: commune INSEE code, EPCI SIREN, département and région codes. A territory
taken over by a body with a special status ("departement:75" by the Ville de Paris) resolves to that body.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from normalise.reference import DEFAULT_OUT, TABLE_FILES, read_csv
from normalise.territory import name_key

REFERENCE_DIR = DEFAULT_OUT
COLLECTIVITES_SIREN = "collectivites_siren.csv"  # départements' and régions' SIRENs (OFGL via datactivist, 2022)
TYPES = ("commune", "epci", "departement", "region")
TYPE_LABELS = {"commune": "communes", "epci": "EPCI", "departement": "départements", "region": "régions"}


@dataclass(frozen=True)
class Body:
    id: str
    type: str  # commune | epci | departement | region
    nature: str  # commune, CC, CA, CU, METRO, MET69, departement, region, statut particulier
    code: str
    siren: str
    name: str
    population: int
    departement: str  # the body's département code ("" for a région)
    region: str
    zone: str  # metro | drom | com
    epci: str  # a commune's EPCI SIREN
    covers: tuple[str, ...] = ()
    obligated: bool = False
    members: tuple[str, ...] = ()  # an EPCI's member communes (INSEE codes)


@dataclass
class Registry:
    bodies: dict[str, Body] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # taken-over territory id -> body id
    by_siren: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # type -> name key -> body ids
    epci_short: dict[str, list[str]] = field(default_factory=dict)  # EPCI name key without CA/CC/CU -> ids

    def get(self, body_id: str | None) -> Body | None:
        """The body with this id, following a taken-over territory to the body that runs it."""
        if not body_id:
            return None
        return self.bodies.get(self.aliases.get(body_id, body_id))

    def obligated(self) -> list[Body]:
        return [b for b in self.bodies.values() if b.obligated]

    def departement_body(self, code: str) -> Body | None:
        return self.get(f"departement:{code}")

    def region_body(self, code: str) -> Body | None:
        return self.get(f"region:{code}")

    def parents(self, body: Body) -> list[str]:
        """Bodies whose territory holds this one: a commune's EPCI, its département's and région's bodies."""
        out = []
        if body.type == "commune" and body.epci:
            out.append(f"epci:{body.epci}")
        if body.type in ("commune", "epci") and (dep := self.departement_body(body.departement)):
            out.append(dep.id)
        if body.type != "region" and (reg := self.region_body(body.region)):
            out.append(reg.id)
        return [p for p in dict.fromkeys(out) if p != body.id]


def _int(value: str) -> int:
    return int(value) if value and value.isdigit() else 0


@cache
def registry(reference_dir: Path = REFERENCE_DIR) -> Registry:
    """All bodies, loaded once per process from the committed reference tables."""
    reg = Registry()
    obligated = {row["id"]: row for row in read_csv(reference_dir / TABLE_FILES["obligated"][0])}
    communes = [r for r in read_csv(reference_dir / TABLE_FILES["communes"][0]) if r["kind"] == "commune"]
    epci_rows = read_csv(reference_dir / TABLE_FILES["epci"][0])
    dep_zone = {d["code"]: d["zone"] for d in read_csv(reference_dir / TABLE_FILES["departements"][0])}
    members = {e["siren"]: tuple(e["members"].split()) for e in epci_rows}

    def add(row: dict[str, str], is_obligated: bool) -> None:
        body = Body(
            id=row["id"], type=row["type"], nature=row["nature"], code=row["code"], siren=row["siren"],
            name=row["name"], population=_int(row["population"]), departement=row["departement"],
            region=row["region"], zone=row["zone"], epci=row["epci"], covers=tuple(row["covers"].split()),
            obligated=is_obligated, members=members.get(row["code"], ()) if row["type"] == "epci" else (),
        )
        reg.bodies[body.id] = body
        for covered in body.covers:
            reg.aliases[covered] = body.id

    for row in obligated.values():
        add(row, True)
    for c in communes:
        if f"commune:{c['code']}" not in obligated:
            add({"id": f"commune:{c['code']}", "type": "commune", "nature": "commune", "code": c["code"],
                 "siren": c["siren"], "name": c["name"], "population": c["population"],
                 "departement": c["departement"], "region": c["region"], "zone": dep_zone.get(c["departement"], ""),
                 "epci": c["epci"], "covers": ""}, False)
    weight: dict[str, Counter[tuple[str, str, str]]] = defaultdict(Counter)  # EPCI -> (dep, région, zone) -> pop
    for c in communes:
        if c["epci"]:
            weight[c["epci"]][(c["departement"], c["region"], dep_zone.get(c["departement"], ""))] += _int(
                c["population"]) + 1
    for e in epci_rows:
        if f"epci:{e['siren']}" not in obligated:
            dep, region, zone = weight[e["siren"]].most_common(1)[0][0] if weight[e["siren"]] else ("", "", "")
            add({"id": f"epci:{e['siren']}", "type": "epci", "nature": e["type"], "code": e["siren"],
                 "siren": e["siren"], "name": e["name"], "population": e["population_municipal"],
                 "departement": dep, "region": region, "zone": zone, "epci": "", "covers": ""}, False)
    _index(reg, reference_dir)
    return reg


def _index(reg: Registry, reference_dir: Path) -> None:
    _collectivite_sirens(reg, reference_dir)
    names: dict[str, dict[str, list[str]]] = {t: defaultdict(list) for t in TYPES}
    for body in reg.bodies.values():
        if body.siren:
            reg.by_siren.setdefault(body.siren, body.id)
        names[body.type][name_key(body.name)].append(body.id)
        if body.type == "epci":
            short = _epci_short(name_key(body.name))
            if short:
                reg.epci_short.setdefault(short, []).append(body.id)
    # the territories a special-status body took over keep their names ("Haute-Corse", "Paris"...)
    dep_names = {row["code"]: row["name"] for row in read_csv(reference_dir / TABLE_FILES["departements"][0])}
    region_names = {row["code"]: row["name"] for row in read_csv(reference_dir / TABLE_FILES["regions"][0])}
    for covered, body_id in reg.aliases.items():
        kind, code = covered.split(":")
        name = (dep_names if kind == "departement" else region_names).get(code)
        if name and body_id not in names[kind][name_key(name)]:
            names[kind][name_key(name)].append(body_id)
    for alias, body_id in NAME_ALIASES.items():
        body = reg.bodies.get(body_id)
        if body is not None and body_id not in names[body.type][name_key(alias)]:
            names[body.type][name_key(alias)].append(body_id)
    reg.by_name = {t: dict(v) for t, v in names.items()}


def _collectivite_sirens(reg: Registry, reference_dir: Path) -> None:
    """The SIRENs of départements and régions, which the administrative reference lacks: from OFGL's table (see
    config/reference/README.md). A SIREN of a territory taken over by a body with a special status (Bas-Rhin, Haute-
    Corse, the collectivités territoriales de Martinique and de Guyane...) leads to that body, as its id does; the body
    keeps its own SIREN when it has one."""
    path = reference_dir / COLLECTIVITES_SIREN
    if not path.exists():
        return
    for row in read_csv(path):
        kind = "region" if row["type"] in ("REG", "CTU") else "departement"
        body = reg.get(f"{kind}:{row['code']}")
        if body is None or not row["siren"]:
            continue
        if not body.siren and body.id == f"{kind}:{row['code']}":
            body = reg.bodies[body.id] = replace(body, siren=row["siren"])
        reg.by_siren.setdefault(row["siren"], body.id)


def _epci_short(key: str) -> str:
    """An EPCI name key without its legal form: "ca grand annecy" -> "grand annecy"."""
    for prefix in ("ca ", "cc ", "cu ", "metropole ", "communaute "):
        if key.startswith(prefix):
            return key[len(prefix):]
    for suffix in (" metropole", " agglomeration", " agglo"):
        if key.endswith(suffix):
            return key[: -len(suffix)]
    return ""


# Names bodies are commonly published under that differ from the reference's (brand names, former names).
NAME_ALIASES = {
    "Région Sud": "region:93",
    "Sud": "region:93",
    "PACA": "region:93",
    "Provence-Alpes-Côte d'Azur": "region:93",
    "Réunion": "region:04",
    "Corse": "region:94",
    "Martinique": "region:02",
    "Guyane": "region:03",
    "Mayotte": "departement:976",
    "Alsace": "departement:6AE",
    "Paris": "commune:75056",
}
