"""MQA points on hand-made records; every expected figure is computed by hand in the test, from the weights."""

from __future__ import annotations

import pytest

from normalise.model import Agent, ContactPoint, Dataset, Distribution, PeriodOfTime, Spatial
from scoring.mqa import INDICATORS, MAX_POINTS, LinkStatus, band, score_entry

FT = "http://publications.europa.eu/resource/authority/file-type/"
IANA = "https://www.iana.org/assignments/media-types/"
ETALAB = "http://publications.europa.eu/resource/authority/licence/ETALAB_2_0"
PUBLIC = "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
ENVI = "http://publications.europa.eu/resource/authority/data-theme/ENVI"


def full_record() -> Dataset:
    csv = Distribution(access_url="https://x.fr/a.csv", download_url="https://x.fr/a.csv", format=FT + "CSV",
                       format_label="CSV", media_type=IANA + "text/csv", byte_size=1200, rights="Réutilisation libre")
    pdf = Distribution(access_url="https://x.fr/notice", format=FT + "PDF", format_label="PDF")
    return Dataset(
        id="s.1", source_id="s", native_id="1", title="Qualité de l'eau", keywords=["eau"], themes=[ENVI],
        spatial=[Spatial(departements=["69"])], temporal=[PeriodOfTime(start="2020-01-01", end="2020-12-31")],
        licence=ETALAB, access_rights=PUBLIC, contact_points=[ContactPoint(email="opendata@x.fr")],
        publisher=Agent(name="Ville de X"), issued="2020-01-01", modified="2021-01-01", distributions=[csv, pdf],
    )


def test_weights_add_up_to_405() -> None:
    assert sum(i.points for i in INDICATORS) == MAX_POINTS == 405


@pytest.mark.parametrize(("points", "expected"), [
    (405, "excellent"), (351, "excellent"), (350, "good"), (221, "good"), (220, "sufficient"), (121, "sufficient"),
    (120, "bad"), (0, "bad"),
])
def test_bands(points: int, expected: str) -> None:
    assert band(points) == expected


def test_full_record_scored_by_hand() -> None:
    links = {"https://x.fr/a.csv": LinkStatus(True, 200), "https://x.fr/notice": LinkStatus(False, 404)}
    quality = score_entry(full_record(), links=links, shacl_conforms=True)
    points = {r.key: r.points for r in quality.indicators}
    # findability, all dataset-level: keywords 30 + themes 30 + spatial 20 + temporal 20
    assert sum(points[k] for k in ("keywords", "themes", "spatial", "temporal")) == 100
    # accessibility, share of the 2 distributions: access reachable 1/2 x 50; download present 1/2 x 20;
    # download reachable 1/2 x 30 (the PDF has no download URL)
    assert (points["access_url_reachable"], points["download_url"], points["download_url_reachable"]) == (25, 10, 15)
    # interoperability, best distribution (the CSV meets all five) + SHACL: 20 + 10 + 10 + 20 + 20 + 30
    interop = ("format", "media_type", "format_vocabulary", "non_proprietary", "machine_readable",
               "dcat_ap_compliance")
    assert sum(points[k] for k in interop) == 110
    # reusability: licence 20 + from vocabulary 10 + access rights 10 + from vocabulary 5 + contact 20 + publisher 10
    reuse = ("licence", "licence_vocabulary", "access_rights", "access_rights_vocabulary", "contact_point",
             "publisher")
    assert sum(points[k] for k in reuse) == 75
    # contextuality: rights 1/2 x 5 + byte size 1/2 x 5 + issued 5 + modified 5
    assert sum(points[k] for k in ("rights", "byte_size", "issued", "modified")) == 15
    assert quality.score == 100 + 50 + 110 + 75 + 15 == 350
    assert quality.band == "good"
    assert quality.by_dimension["accessibility"] == (50, 100)


def test_bare_record_scores_nothing_and_says_why() -> None:
    bare = Dataset(id="s.2", source_id="s", native_id="2", title="Sans rien")
    quality = score_entry(bare, shacl_conforms=False)
    assert quality.score == 0 and quality.band == "bad"
    lost = [r.key for r in quality.missed()]
    assert lost[0] == "access_url_reachable"  # the heaviest indicator (50 points) comes first
    assert set(lost) == {i.key for i in INDICATORS}


def test_links_not_checked_yet_score_zero_and_are_marked_unchecked() -> None:
    quality = score_entry(full_record(), links={}, shacl_conforms=None)
    by_key = {r.key: r for r in quality.indicators}
    for key in ("access_url_reachable", "download_url_reachable", "dcat_ap_compliance"):
        assert by_key[key].points == 0 and by_key[key].checked is False
    assert by_key["download_url"].checked is True  # presence needs no check
    assert quality.score == 350 - 25 - 15 - 30


def test_distribution_licence_inherits_the_dataset_licence_and_free_text_is_not_a_vocabulary() -> None:
    record = full_record().model_copy(update={"licence": None, "licence_label": "voir conditions sur le site"})
    by_key = {r.key: r for r in score_entry(record, shacl_conforms=True).indicators}
    assert by_key["licence"].points == 20  # stated, in words
    assert by_key["licence_vocabulary"].points == 0  # but not as a known licence


U = "https://x.fr/f.csv"
OK = {U: LinkStatus(True, 200)}


def bare(**dist_fields) -> Dataset:
    return Dataset(id="s.3", source_id="s", native_id="3", title="Un fichier",
                   distributions=[Distribution(title="f", **dist_fields)])


# One change at a time to a record that scores 0, and the points it must bring, by hand from the weights.
@pytest.mark.parametrize(("change", "dist", "links", "expected"), [
    ({"keywords": ["eau"]}, {}, {}, {"keywords": 30}),
    ({"themes": [ENVI]}, {}, {}, {"themes": 30}),
    ({"spatial": [Spatial(departements=["69"])]}, {}, {}, {"spatial": 20}),
    ({"temporal": [PeriodOfTime(start="2020-01-01")]}, {}, {}, {"temporal": 20}),
    ({}, {"access_url": U}, OK, {"access_url_reachable": 50}),
    ({}, {"download_url": U}, {}, {"download_url": 20}),  # present; reachability not checked yet: 0
    ({}, {"download_url": U}, OK, {"download_url": 20, "download_url_reachable": 30, "access_url_reachable": 50}),
    ({}, {"download_url": U}, {U: LinkStatus(False, 404)}, {"download_url": 20}),
    ({}, {"format_label": "tableur"}, {}, {"format": 20}),  # stated, but in words only
    ({}, {"media_type": IANA + "text/csv"}, {}, {"media_type": 10, "format_vocabulary": 10}),
    ({}, {"format": FT + "CSV"}, {}, {"format": 20, "format_vocabulary": 10, "non_proprietary": 20,
                                      "machine_readable": 20}),
    ({}, {"format": FT + "XLS"}, {}, {"format": 20, "format_vocabulary": 10, "machine_readable": 20}),
    ({}, {"format": FT + "PDF"}, {}, {"format": 20, "format_vocabulary": 10}),  # on neither MQA list
    ({}, {"format": FT + "ZIP"}, {}, {"format": 20, "format_vocabulary": 10, "non_proprietary": 20}),
    ({"licence_label": "voir le site"}, {}, {}, {"licence": 20}),
    ({"licence": ETALAB}, {}, {}, {"licence": 20, "licence_vocabulary": 10}),
    ({}, {"licence": ETALAB}, {}, {"licence": 20, "licence_vocabulary": 10}),  # on the distribution
    ({"access_rights": PUBLIC}, {}, {}, {"access_rights": 10, "access_rights_vocabulary": 5}),
    ({"contact_points": [ContactPoint(email="a@x.fr")]}, {}, {}, {"contact_point": 20}),
    ({"publisher": Agent(name="Ville de X")}, {}, {}, {"publisher": 10}),
    ({}, {"rights": "Réutilisation libre"}, {}, {"rights": 5}),
    ({}, {"byte_size": 10}, {}, {"byte_size": 5}),
    ({"issued": "2020-01-01"}, {}, {}, {"issued": 5}),
    ({"modified": "2021-01-01"}, {}, {}, {"modified": 5}),
])
def test_each_indicator_alone(change: dict, dist: dict, links: dict, expected: dict[str, float]) -> None:
    base = score_entry(bare(), shacl_conforms=False)
    assert base.score == 0
    record = bare(**dist).model_copy(update=change)
    quality = score_entry(record, links=links, shacl_conforms=False)
    got = {r.key: r.points for r in quality.indicators if r.points}
    assert got == expected
    assert quality.score == sum(expected.values())


def test_shacl_verdict_alone_and_shares_of_distributions() -> None:
    assert {r.key: r.points for r in score_entry(bare(), shacl_conforms=True).indicators if r.points} == {
        "dcat_ap_compliance": 30}
    two = bare(byte_size=10).model_copy(update={"distributions": [Distribution(byte_size=10), Distribution(),
                                                                  Distribution(), Distribution()]})
    by_key = {r.key: r for r in score_entry(two, shacl_conforms=False).indicators}
    assert (by_key["byte_size"].points, by_key["byte_size"].share) == (1.25, 0.25)  # 5 points x 1/4
    # interoperability counts the best distribution: one CSV among three PDFs earns the full points
    mixed = bare().model_copy(update={"distributions": [Distribution(format=FT + "PDF")] * 3
                                      + [Distribution(format=FT + "CSV")]})
    by_key = {r.key: r for r in score_entry(mixed, shacl_conforms=False).indicators}
    assert by_key["machine_readable"].points == 20 and by_key["non_proprietary"].points == 20
