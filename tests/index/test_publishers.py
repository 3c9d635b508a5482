"""Publisher matching (issue 7, acceptance 2): SIREN matched exactly, name-only matches with their confidence and
rule, an override wins, unmatched publishers listed; the rules one by one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.publishers import (
    DEFAULT_OVERRIDES,
    Context,
    Matcher,
    OverrideError,
    load_overrides,
    match_publishers,
)
from index.store import Store
from tests.index.obligation_portals import harvest_fixture_portals


@pytest.fixture(scope="module")
def harvested(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    yield from harvest_fixture_portals(fixtures, tmp_path_factory)


def by_name(store: Store, overrides: list | None = None) -> dict[tuple[str, str | None], object]:
    return {(m.name, m.siren): m for m in match_publishers(store, overrides=overrides or [])}


def test_publishers_with_a_siren_are_matched_exactly(harvested: Store) -> None:
    matches = by_name(harvested)
    vanves = matches[("Ville de Vanves", "219200755")]  # udata organisation business_number_id
    assert (vanves.body_id, vanves.rule, vanves.confidence, vanves.obligated) == ("commune:92075", "siren", 1.0, True)
    gap = matches[("Communauté d'Agglomération de Gap-Tallard-Durance", "200067825")]
    assert (gap.body_id, gap.rule, gap.confidence) == ("epci:200067825", "siren", 1.0)
    assert gap.datasets == 7 and gap.sources == ["udata"]
    with_siren = [m for m in matches.values() if m.siren]
    assert with_siren and all(m.rule == "siren" and m.confidence == 1.0 for m in with_siren)


def test_name_only_matches_carry_their_confidence_and_rule(harvested: Store) -> None:
    matches = by_name(harvested)
    evian = {name: m for (name, siren), m in matches.items() if "vian" in name and siren is None}
    # ArcGIS Hub writes the publisher three ways; all are the Ville d'Évian-les-Bains (74119), by name
    assert {m.body_id for n, m in evian.items() if n != "sigevian"} == {"commune:74119"}
    assert {(m.rule, m.confidence) for n, m in evian.items() if n != "sigevian"} == {("name:commune", 0.9)}
    bare = matches[("Vanves", None)]  # data.gouv.fr's DCAT export names the organisation only
    assert (bare.body_id, bare.rule, bare.confidence) == ("commune:92075", "bare-name", 0.7)
    named = [m for m in matches.values() if m.body_id and m.rule != "siren"]
    assert named and all(0 < m.confidence < 1 for m in named)


def test_unmatched_publishers_are_listed_with_a_reason(harvested: Store) -> None:
    unmatched = {m.name: m for m in match_publishers(harvested, overrides=[]) if m.body_id is None}
    assert unmatched["sigevian"].reason == "no body of that name"
    assert unmatched["sigevian"].datasets == 3 and unmatched["sigevian"].sources == ["evian"]


def test_an_override_wins(harvested: Store, tmp_path: Path) -> None:
    path = tmp_path / "publishers.yaml"
    path.write_text("""overrides:
  - {publisher: sigevian, body: "commune:74119"}          # unmatched -> matched
  - {publisher: "VILLE de vanves", body: none}              # a SIREN match undone (name folded)
  - {siren: "200067825", body: "departement:05"}            # by SIREN, against the SIREN rule
  - {publisher: "Vanves", body: "departement:75"}           # a taken-over territory: its body (Ville de Paris)
""", "utf-8")
    matches = by_name(harvested, load_overrides(path))
    assert (matches[("sigevian", None)].body_id, matches[("sigevian", None)].rule) == ("commune:74119", "override")
    assert matches[("sigevian", None)].confidence == 1.0
    undone = matches[("Ville de Vanves", "219200755")]
    assert (undone.body_id, undone.rule, undone.reason) == (None, "override", "marked as no body by hand")
    assert matches[("Communauté d'Agglomération de Gap-Tallard-Durance", "200067825")].body_id == "departement:05"
    assert matches[("Vanves", None)].body_id == "commune:75056"


def test_override_file_errors_name_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "publishers.yaml"
    path.write_text("overrides:\n  - {publisher: X, body: 'commune:00000'}\n", "utf-8")
    with pytest.raises(OverrideError, match="override #1: no body 'commune:00000'"):
        load_overrides(path)
    path.write_text("overrides:\n  - {body: 'commune:69123'}\n", "utf-8")
    with pytest.raises(OverrideError, match="#1 needs 'publisher'"):
        load_overrides(path)
    path.write_text("overrides:\n  - {siren: '123', body: 'commune:69123'}\n", "utf-8")
    with pytest.raises(OverrideError, match="not a SIREN"):
        load_overrides(path)
    assert load_overrides(tmp_path / "missing.yaml") == []


def test_the_committed_overrides_file_loads() -> None:
    assert load_overrides(DEFAULT_OVERRIDES) == []  # its examples are comments


@pytest.mark.parametrize(("name", "body", "rule", "confidence"), [
    ("Ville de Lyon", "commune:69123", "name:commune", 0.9),
    ("Mairie de Lyon", "commune:69123", "name:commune", 0.9),
    ("Métropole de Lyon", "epci:200046977", "name:epci", 0.95),
    ("Communauté d'agglomération du Grand Annecy", "epci:200066793", "name:epci", 0.95),
    ("Grand Annecy", "epci:200066793", "epci-short", 0.75),
    ("Toulouse Métropole", "epci:243100518", "name:epci", 0.95),
    ("Département du Rhône", "departement:69", "name:departement", 0.9),
    ("Conseil départemental de la Haute-Corse", "region:94", "name:departement", 0.9),  # Collectivité de Corse
    ("Région Bretagne", "region:53", "name:region", 0.9),
    ("Conseil régional d'Occitanie", "region:76", "name:region", 0.9),
    ("Région Sud", "region:93", "name:region", 0.9),  # PACA's brand name
    ("Paris", "commune:75056", "bare-name", 0.7),
    ("Rhône", "departement:69", "bare-name", 0.7),
])
def test_name_rules(name: str, body: str, rule: str, confidence: float) -> None:
    match = Matcher(overrides=[]).match(name)
    assert (match.body_id, match.rule, match.confidence) == (body, rule, confidence)


def test_homonyms_need_a_territory() -> None:
    matcher = Matcher(overrides=[])
    alone = matcher.match("Ville de Saint-Denis")
    assert alone.body_id is None and alone.rule == "ambiguous" and "commune:93066" in alone.candidates
    reunion = matcher.match("Ville de Saint-Denis", context=Context(Counter({"974": 5, "93": 1})))
    assert (reunion.body_id, reunion.rule, reunion.confidence) == ("commune:97411", "name+territory", 0.8)
    assert matcher.match("Mayenne").rule == "ambiguous"  # the département or the commune


def test_other_bodies_and_siren_mismatches_are_not_matched() -> None:
    matcher = Matcher(overrides=[])
    ccas = matcher.match("CCAS Guérande", "264400516")  # ODS capatlantique: the commune's social centre
    assert (ccas.body_id, ccas.rule) == (None, "other-body")
    assert matcher.match("DDTM 80 (Direction Départementale des Territoires et de la Mer de la Somme)").body_id is None
    # a commune's name with another SIREN (a régie, an office...) is not the commune
    regie = matcher.match("Ville de Lyon", "264400516")
    assert (regie.body_id, regie.rule, regie.candidates) == (None, "siren-mismatch", ["commune:69123"])
    # the SIREN wins over the name
    assert matcher.match("Ville de Lyon", "219200755").body_id == "commune:92075"
