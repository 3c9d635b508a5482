"""index.portal_links: registry organisations linked to bodies with the publisher matcher, territory from the
registries telling homonyms apart and refusing a name matched in the wrong région."""

from __future__ import annotations

from harvesters.registries import Organisation
from index.portal_links import Linker


def test_a_siren_links_first_and_a_name_with_its_kind_next() -> None:
    linker = Linker(overrides=[])
    acigne = linker.link(Organisation("ACIGNE", "213500010", "COM", "35", "53"))
    assert (acigne.body, acigne.rule, acigne.confidence) == ("commune:35001", "siren", 1.0)
    aude = linker.link(Organisation("Département de l'Aude", kind="Local government", region="76"))
    assert (aude.body, aude.rule) == ("departement:11", "name:departement")
    assert aude.config() == {"name": "Département de l'Aude", "body": "departement:11", "confidence": 0.9,
                             "rule": "name:departement"}


def test_a_region_tells_homonyms_apart_and_refuses_a_name_of_another_region() -> None:
    linker = Linker(overrides=[])
    assert linker.link(Organisation("Saint-Denis")).body is None  # a commune name of several départements
    reunion = linker.link(Organisation("Saint-Denis", region="04"))
    assert (reunion.body, reunion.rule, reunion.confidence) == ("commune:97411", "name+region", 0.6)
    wrong = linker.link(Organisation("Albi", region="84"))  # Albi is in Occitanie (76)
    assert wrong.body is None and wrong.rule == "territory-mismatch" and "commune:81004" in wrong.candidates
    assert linker.link(Organisation("Albi", region="76")).body == "commune:81004"


def test_bodies_the_reference_does_not_list_keep_their_siren_and_say_why() -> None:
    link = Linker(overrides=[]).link(Organisation("ADEUPa", "306966110", "OACT", "29", "53"))
    assert link.body is None and link.siren == "306966110" and link.rule in ("none", "other-body")
    assert link.config()["siren"] == "306966110" and "body" not in link.config()
