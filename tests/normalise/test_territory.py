"""Territories from codes, names and bounding boxes, read from the committed tables in config/reference/."""

from __future__ import annotations

import pytest

from normalise import territory

BRITTANY = ["22", "29", "35", "56"]
ARA = ["01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"]


# --------------------------------------------------------------------------------------------------------------------
# Codes
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codes", "communes", "departements", "regions"),
    [
        (["69123"], ["69123"], ["69"], ["84"]),
        (["2A004"], ["2A004"], ["2A"], ["94"]),
        (["97411"], ["97411"], ["974"], ["04"]),
        (["69383"], ["69123"], ["69"], ["84"]),  # Lyon 3e arrondissement counts as Lyon
        (["74010"], ["74010"], ["74"], ["84"]),  # Annecy
        (["69"], [], ["69"], ["84"]),
        (["974"], [], ["974"], ["04"]),
        (["84"], [], ["84"], ["93"]),  # a bare two-digit code is a département (Vaucluse), not a région
        (["REG:53"], [], BRITTANY, ["53"]),
        (["region:84"], [], ARA, ["84"]),
        (["DEP:2B"], [], ["2B"], ["94"]),
        (["REG_53"], [], BRITTANY, ["53"]),
        (["REG53"], [], BRITTANY, ["53"]),
        (["COM:75056"], ["75056"], ["75"], ["11"]),
        (["http://id.insee.fr/geo/departement/62"], [], ["62"], ["32"]),
        (["https://id.insee.fr/geo/region/53"], [], BRITTANY, ["53"]),
        (["http://id.insee.fr/geo/commune/69123"], ["69123"], ["69"], ["84"]),
        (["216901231"], ["69123"], ["69"], ["84"]),  # SIREN of the Ville de Lyon
        (["69123", "69", "38"], ["69123"], ["38", "69"], ["84"]),
        (["99999", "foo", "", "REG:00"], [], [], []),
        ("69123", ["69123"], ["69"], ["84"]),
    ],
)
def test_for_codes(codes, communes, departements, regions) -> None:
    assert territory.for_codes(codes) == (communes, departements, regions)


def test_for_codes_epci_gives_its_member_communes() -> None:
    communes, departements, regions = territory.for_codes(["EPCI:200046977"])  # Métropole de Lyon
    assert len(communes) == 58 and "69123" in communes and "69266" in communes  # Lyon, Villeurbanne
    assert (departements, regions) == (["69"], ["84"])
    assert territory.for_codes(["200046977"]) == (communes, departements, regions)


def test_for_codes_nothing() -> None:
    assert territory.for_codes(None) == ([], [], [])
    assert territory.for_codes([]) == ([], [], [])


# --------------------------------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "communes", "departements", "regions"),
    [
        ("Lyon", ["69123"], ["69"], ["84"]),
        ("LYON", ["69123"], ["69"], ["84"]),
        ("Lyon 3e Arrondissement", ["69123"], ["69"], ["84"]),
        ("Saint-Étienne", ["42218"], ["42"], ["84"]),
        ("St Etienne", ["42218"], ["42"], ["84"]),
        ("ST-ETIENNE", ["42218"], ["42"], ["84"]),
        ("Les Sables-d'Olonne", ["85194"], ["85"], ["52"]),
        ("Sables-d'Olonne (Les)", ["85194"], ["85"], ["52"]),
        ("L'Abergement-Clémenciat", ["01001"], ["01"], ["84"]),
        ("Abergement Clemenciat", ["01001"], ["01"], ["84"]),
        ("Annecy-le-Vieux", ["74010"], ["74"], ["84"]),  # former commune: counts as Annecy
        ("Rhône", [], ["69"], ["84"]),
        ("Bretagne", [], BRITTANY, ["53"]),
        ("La Réunion", [], ["974"], ["04"]),
        ("Paris", ["75056"], ["75"], ["11"]),  # département and commune at once
        ("Vienne", [], ["86"], ["75"]),  # the département, not the commune of Isère
        ("Saint-Denis", [], [], []),  # ambiguous: Seine-Saint-Denis or La Réunion
        ("Saint-Denis (93)", ["93066"], ["93"], ["11"]),
        ("Saint-Denis, La Réunion", ["97411"], ["974"], ["04"]),
        ("Saint-Denis (97400)", ["97411"], ["974"], ["04"]),
        ("France", [], [], []),
        ("France métropolitaine", [], [], []),
        ("Atlantis", [], [], []),
        ("", [], [], []),
    ],
)
def test_for_name(name, communes, departements, regions) -> None:
    assert territory.for_name(name) == (communes, departements, regions)


def test_for_name_with_a_departement_hint() -> None:
    assert territory.for_name("Saint-Denis", departement="974") == (["97411"], ["974"], ["04"])
    assert territory.for_name("Saint-Denis", departement="Seine-Saint-Denis") == (["93066"], ["93"], ["11"])
    assert territory.for_name("Saint-Denis", departement="69") == ([], [], [])


@pytest.mark.parametrize(
    ("name", "size", "member", "departements"),
    [
        ("Métropole de Lyon", 58, "69123", ["69"]),
        ("Communauté d'agglomération du Grand Annecy", 34, "74010", ["74"]),
        ("CA du Grand Annecy", 34, "74010", ["74"]),
        ("Grand Annecy", 34, "74010", ["74"]),
        ("Bordeaux Métropole", 28, "33063", ["33"]),
    ],
)
def test_for_name_epci_gives_its_member_communes(name, size, member, departements) -> None:
    communes, deps, _ = territory.for_name(name)
    assert len(communes) == size and member in communes
    assert deps == departements


def test_for_name_prefers_the_commune_to_an_epci_named_after_it() -> None:
    assert territory.for_name("Dunkerque") == (["59183"], ["59"], ["32"])
    assert len(territory.for_name("CU de Dunkerque")[0]) > 10


def test_name_key_folds_the_usual_variants() -> None:
    assert territory.name_key("Saint-Germain-en-Laye") == territory.name_key("ST GERMAIN EN LAYE")
    assert territory.name_key("Communauté de communes du Pays de Gex") == territory.name_key("CC du Pays de Gex")


# --------------------------------------------------------------------------------------------------------------------
# Bounding boxes
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bbox", "departements", "regions"),
    [
        ((4.77, 45.70, 4.90, 45.81), ["69"], ["84"]),  # Lyon
        ((4.840, 45.750, 4.841, 45.751), ["69"], ["84"]),  # a point in Lyon: no place inside, nearest one
        ((2.25, 48.81, 2.42, 48.90), ["75"], ["11"]),  # Paris
        ((-1.75, 48.05, -1.60, 48.15), ["35"], ["53"]),  # Rennes
        ((-5.14, 47.28, -1.02, 48.90), BRITTANY, ["53"]),  # Brittany's extent, not the Loire-Atlantique it cuts
        ((55.2, -21.4, 55.85, -20.85), ["974"], ["04"]),  # La Réunion
        ((8.5, 41.3, 9.6, 43.05), ["2A", "2B"], ["94"]),  # Corsica
        ((4.0, 44.0, 6.0, 46.0), ["07", "26", "38", "42", "69"], ["84"]),
        ((-5.2, 41.3, 9.6, 51.1), [], []),  # metropolitan France: national, on purpose
        ((-180, -90, 180, 90), [], []),  # the world
        ((-10.0, 35.0, 20.0, 60.0), [], []),  # Western Europe
        ((-30.0, 60.0, -20.0, 65.0), [], []),  # Iceland: no French place
        ((138.5, -37.7, 138.6, -37.6), [], []),  # Adelaide (the CKAN fixtures' spatial)
        ((-20.0, -35.0, 55.0, 37.0), [], []),  # Africa (demo.ckan.org's dataset-2): holds Mayotte, is not about it
        ((44.9, -13.1, 45.35, -12.6), ["976"], ["06"]),  # Mayotte itself
    ],
)
def test_for_bbox(bbox, departements, regions) -> None:
    assert territory.for_bbox(bbox) == (departements, regions)


@pytest.mark.parametrize(
    "bbox",
    [None, (1, 2, 3), ("a", "b", "c", "d"), (5.0, 45.0, 4.0, 46.0), (4.0, 46.0, 5.0, 45.0), (200, 0, 210, 1),
     (float("nan"), 45.0, 5.0, 46.0)],
)
def test_for_bbox_invalid_boxes_give_nothing(bbox) -> None:
    assert territory.for_bbox(bbox) == ([], [])


def test_for_bbox_accepts_lists_and_strings() -> None:
    assert territory.for_bbox(["4.77", "45.70", "4.90", "45.81"]) == (["69"], ["84"])


# --------------------------------------------------------------------------------------------------------------------
# Lookups
# --------------------------------------------------------------------------------------------------------------------


def test_lookups() -> None:
    lyon = territory.commune("69123")
    assert lyon is not None and lyon.name == "Lyon" and lyon.siren == "216901231" and lyon.population > 500_000
    assert lyon.epci == "200046977"
    assert territory.commune("69383").parent == "69123"
    metropole = territory.epci("200046977")
    assert metropole is not None and metropole.type == "MET69" and len(metropole.members) == 58
    assert territory.body_for_siren("216901231") == ("commune", "69123")
    assert territory.body_for_siren("200046977") == ("epci", "200046977")
    assert territory.body_for_siren("732829320") is None
    assert territory.departement_name("2A") == "Corse-du-Sud"
    assert territory.region_name("53") == "Bretagne"
    assert territory.region_of("974") == "04"
    assert territory.commune("00000") is None and territory.region_of("00") is None


def test_for_place_takes_the_name_else_the_box() -> None:
    rennes = (-1.75, 48.05, -1.60, 48.15)
    assert territory.for_place("Paris", rennes)[1] == ["75"]  # the name says more than a box
    assert territory.for_place("Zone d'étude", rennes) == ([], ["35"], ["53"])  # no French place in the name
    assert territory.for_place(None, None) == ([], [], [])
