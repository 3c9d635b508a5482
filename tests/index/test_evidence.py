"""Match keys and pairwise checks of the duplicate clustering: what makes two records one dataset, and what does not.
Records are normalised from recorded real responses (the DataSud package and its data.gouv.fr copy) or built from the
model where a rule is checked on its own."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from demo.portals.udata import ADDITIONS, DATASUD, VANVES, load_portal_data
from index.evidence import (
    checksum_key,
    description_similarity,
    evidence,
    identity_key,
    strong_signals,
    title_key,
    url_key,
    weak_match,
)
from kernel.records import RawRecord
from normalise import normalise
from normalise.model import Agent, Dataset, Spatial, entry_to_json
from tests.conftest import DEMO_DATA

CANISPACES = "cfa98601-185f-4194-bc0f-119fc23a194b"


def _stored(entry: Dataset) -> dict:
    return orjson.loads(entry_to_json(entry))


def _datasud_pair(fixtures: Path) -> tuple[dict, dict]:
    """The recorded DataSud package and udata's recorded copy of it, normalised as a harvest does."""
    recording = json.loads((fixtures / "ckan" / DATASUD).read_text("utf-8"))
    package = next(json.loads(x["response"]["body"])["result"] for x in recording["requests_history"]
                   if "package_show" in x["request"]["url"] and CANISPACES in x["response"]["body"])
    ckan = normalise(RawRecord(source_id="datasud", native_id=CANISPACES, url="https://www.datasud.fr/api/3/action/"
                               "package_show", profile="ckan", content=orjson.dumps(package)))[0]
    datasets, _ = load_portal_data(fixtures / "ckan" / DATASUD, fixtures / "dcat" / VANVES,
                                   DEMO_DATA / "udata" / ADDITIONS)
    copy = next(d for d in datasets if d["harvest"].get("remote_id") == CANISPACES)
    udata = normalise(RawRecord(source_id="udata", native_id=copy["id"], url="https://www.data.gouv.fr/api/1/"
                                "datasets/", profile="udata", content=orjson.dumps(copy)))[0]
    return _stored(ckan), _stored(udata)


def test_urls_compare_without_their_cosmetics() -> None:
    same = ["https://www.datasud.fr/fr/dataset/datasets/4539/resource/6176/download/",
            "http://datasud.fr/fr/dataset/datasets/4539/resource/6176/download",
            "HTTPS://WWW.DATASUD.FR:443/fr/dataset/datasets/4539/resource/6176/download/?download=1#top",
            "https://www.datasud.fr/fr/dataset/datasets/4539/resource/6176/download?utm_source=datagouv"]
    assert len({url_key(u) for u in same}) == 1
    assert url_key("https://data.fr/x?b=2&a=1") == url_key("https://data.fr/x?a=1&b=2") == "data.fr/x?a=1&b=2"
    assert url_key("https://data.fr/x?a=1") != url_key("https://data.fr/x?a=2")  # a parameter that names the file
    assert url_key("https://data.fr/a%20b") == url_key("https://data.fr/a b")
    # GeoNetwork's record pages differ only by their route: it is kept
    assert url_key("https://geo.fr/srv/fre/catalog.search#/metadata/a") != url_key(
        "https://geo.fr/srv/fre/catalog.search#/metadata/b")
    assert url_key("https://data.fr/") is None and url_key("mailto:x@y.fr") is None and url_key("") is None


def test_identifiers_are_global_or_qualified_by_their_portal() -> None:
    assert identity_key("CFA98601-185F-4194-BC0F-119FC23A194B") == identity_key(f"urn:uuid:{CANISPACES}")
    assert identity_key("bureau-de-vote-vanves") is None  # a short id means nothing without its portal
    assert identity_key("bureau-de-vote-vanves", "vanves-seineouest.opendatasoft.com") == identity_key(
        "bureau-de-vote-vanves", "www.vanves-seineouest.opendatasoft.com")
    assert checksum_key("sha1:DA39A3EE5E6B4B0D3255BFEF95601890AFD80709") is None  # the empty file's
    assert checksum_key("SHA256:" + "ab" * 32) == checksum_key("ab" * 32)


def test_titles_compare_without_the_place_the_aggregator_adds_or_drops() -> None:
    assert title_key("Canispaces - Ville de Gap", "Ville de Gap") == title_key("Canispaces", "Ville de Gap")
    assert title_key("CANISPACES : VILLE DE GAP", "Commune de Gap") == "canispaces"
    assert title_key("Arbres (Ville de Saint-Étienne)", "Ville de St-Etienne") == "arbres"
    assert title_key("Budget primitif 2024", "Ville de Gap") != title_key("Budget primitif 2023", "Ville de Gap")


def test_recorded_copy_shares_strong_keys_with_its_origin(fixtures: Path) -> None:
    datasud, udata = _datasud_pair(fixtures)
    origin_keys = {e.digest: {e.role} for e in evidence(datasud, "www.datasud.fr")}
    signals, which = strong_signals(evidence(udata, "www.data.gouv.fr"), origin_keys, "udata", "datasud")
    kinds = {s.kind for s in signals}
    assert "harvest" in kinds and "file" in kinds  # udata's harvest block, and the same download URL
    assert which == "b"  # the other one (DataSud) is the origin
    assert any(f"udata says it was harvested from {CANISPACES} (datasud)" == s.text for s in signals)


def _record(title: str, description: str, siren: str | None = None, name: str = "Ville de Gap",
            departement: str = "05", source: str = "a") -> dict:
    return _stored(Dataset(id=f"{source}.1", source_id=source, native_id="1", title=title, description=description,
                           publisher=Agent(name=name, siren=siren), spatial=[Spatial(departements=[departement])]))


TEXT = ("Lieux réservés aux déjections canines de la Ville, relevés par le service propreté en 2025 avec leurs "
        "horaires d'entretien et le nombre de distributeurs de sacs.")


def test_weak_signal_holds_for_a_trimmed_copy_and_not_for_look_alikes() -> None:
    original = _record("Canispaces", TEXT, siren="210500617")
    trimmed = _record("Canispaces - Ville de Gap", " ".join(TEXT.split()[:12]) + "…", source="b")
    signal = weak_match(original, trimmed, [], [])
    assert signal is not None and "same title and publisher (SIREN 210500617)" in signal.text
    # two communes: another SIREN; homonyms named without SIREN: another département
    assert weak_match(original, _record("Canispaces", TEXT, siren="210500237", name="Ville de Briançon"), [], []) \
        is None
    assert weak_match(_record("Canispaces", TEXT, departement="93", name="Ville de Saint-Denis"),
                      _record("Canispaces", TEXT, departement="974", name="Ville de Saint-Denis"), [], []) is None
    # a commune and the agglomération of the same name, named without SIREN
    assert weak_match(_record("Canispaces", TEXT, name="CA Grand Gap Agglomération"), trimmed, [], []) is None
    # the same title, a description that only restates it
    other = _record("Canispaces", "Canispaces de la Ville de Gap. Plan des espaces mis à jour chaque trimestre "
                                  "par la direction de l'environnement, avec les photos de chaque site.")
    assert description_similarity(original["description"], other["description"]) < 0.8
    assert weak_match(original, other, [], []) is None
    # each says it was harvested from a different origin: strong signals disagree
    assert weak_match(original, trimmed, [(1, "origin")], [(2, "origin")]) is None
