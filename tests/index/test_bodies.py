"""index.bodies: the départements' and régions' SIRENs read from config/reference/collectivites_siren.csv."""

from __future__ import annotations

from index.bodies import registry
from index.publishers import Matcher


def test_departements_and_regions_have_their_siren_and_taken_over_territories_lead_to_their_body() -> None:
    reg = registry()
    assert reg.get("departement:11").siren == "221100019"  # Aude
    assert reg.get("region:76").siren == "200053791"  # Occitanie
    assert reg.by_siren["222000036"] == "region:94"  # the Haute-Corse's SIREN: the Collectivité de Corse
    assert reg.get("region:94").siren == "200076958"  # which keeps its own
    assert reg.by_siren["226700011"] == "departement:6AE"  # the Bas-Rhin's: the Collectivité européenne d'Alsace
    assert reg.get("departement:6AE").siren == ""  # whose own SIREN is not in the 2022 table: never guessed
    territories = [b for b in reg.bodies.values() if b.type in ("departement", "region")]
    assert all(b.siren for b in territories if b.id != "departement:6AE")


def test_a_publisher_carrying_a_departement_siren_is_matched_by_it() -> None:
    match = Matcher(registry()).match("CD11 - Service SIG", "221100019")  # the Aude's SIREN
    assert (match.body_id, match.rule, match.confidence) == ("departement:11", "siren", 1.0)
