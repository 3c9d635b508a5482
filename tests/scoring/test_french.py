"""French rules beside MQA: declared schema known to schema.data.gouv.fr (name, version), licence of décret 2017-638."""

from __future__ import annotations

import pytest

from normalise.model import Dataset, Distribution, SchemaRef
from scoring import french

ETALAB = "http://publications.europa.eu/resource/authority/licence/ETALAB_2_0"
ODBL = "http://publications.europa.eu/resource/authority/licence/ODC_BL"  # ODbL
CC_BY = "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"


def record(*dists: Distribution, **fields) -> Dataset:
    return Dataset(id="s.1", source_id="s", native_id="1", title="Budget", distributions=list(dists), **fields)


def checks(entry: Dataset) -> dict[str, french.Check]:
    return {c.key: c for c in french.check_entry(entry)}


def test_catalogue_is_the_recorded_snapshot() -> None:
    cat = french.catalogue()
    assert len(cat) == 95
    budget = cat["scdl/budget"]
    assert budget.schema_type == "tableschema" and budget.latest == "0.8.3"
    assert budget.schema_url("0.8.1") == "https://schema.data.gouv.fr/schemas/scdl/budget/0.8.1/schema.json"
    assert budget.schema_url(None) == budget.schema_url("latest") == budget.latest_url


@pytest.mark.parametrize(("url", "name", "version"), [
    ("https://schema.data.gouv.fr/scdl/budget/0.8.1/", "scdl/budget", "0.8.1"),
    ("https://schema.data.gouv.fr/schemas/scdl/catalogue/0.1.3/schema.json", "scdl/catalogue", "0.1.3"),
    ("https://schema.data.gouv.fr/schemas/scdl/catalogue/latest/schema.json", "scdl/catalogue", "latest"),
    ("https://schema.data.gouv.fr/etalab/schema-irve-statique/", "etalab/schema-irve-statique", None),
])
def test_schema_urls_are_read_as_name_and_version(url: str, name: str, version: str | None) -> None:
    ref = french.schema_ref_from_url(url)
    assert ref is not None and (ref.name, ref.version) == (name, version)


def test_no_schema_declared_is_not_applicable() -> None:
    result = checks(record(Distribution(access_url="https://x.fr/a.csv"), licence=ETALAB))
    assert result["schema_known"].status == result["schema_version_known"].status == "n/a"
    assert result["licence_french_admin"].status == "ok"
    assert result["licence_french_admin"].detail.startswith("Licence Ouverte")


def test_known_schema_and_version_on_a_distribution() -> None:
    dist = Distribution(access_url="https://x.fr/b.csv", schema=SchemaRef(name="scdl/budget", version="0.8.1"))
    result = checks(record(dist, licence=ETALAB))
    assert result["schema_known"].status == "ok" and result["schema_known"].detail == "scdl/budget"
    assert result["schema_version_known"].status == "ok"


def test_misspelt_schema_gets_a_suggestion() -> None:
    dist = Distribution(access_url="https://x.fr/b.csv", schema=SchemaRef(name="scdl/budgets", version="0.8.1"))
    result = checks(record(dist))
    assert result["schema_known"].status == "fail"
    assert result["schema_known"].fix == ("name the schema exactly as schema.data.gouv.fr does "
                                          "(did you mean scdl/budget?)")
    assert result["schema_version_known"].status == "n/a"  # nothing known to check the version against


def test_unknown_or_missing_version_says_which_exist() -> None:
    wrong = Distribution(access_url="https://x.fr/b.csv",
                         conforms_to=["https://schema.data.gouv.fr/scdl/deliberations/9.9.9/"])
    result = checks(record(wrong))
    assert result["schema_known"].status == "ok"
    version = result["schema_version_known"]
    assert version.status == "fail" and version.detail == "scdl/deliberations has no version 9.9.9"
    assert "latest: 2.1.5" in (version.fix or "")
    missing = Distribution(access_url="https://x.fr/b.csv", schema=SchemaRef(name="scdl/deliberations"))
    version = checks(record(missing))["schema_version_known"]
    assert version.status == "fail" and version.fix == ("state the version of scdl/deliberations the file follows "
                                                        "(latest: 2.1.5)")


def test_dataset_level_conforms_to_counts_too() -> None:
    entry = record(conforms_to=["https://schema.data.gouv.fr/scdl/subventions/2.1.1/"])
    assert checks(entry)["schema_version_known"].status == "ok"
    assert [(d, r.name) for d, r in french.declared_schemas(entry)] == [(None, "scdl/subventions")]


@pytest.mark.parametrize(("licence", "label", "status"), [
    (ETALAB, None, "ok"),
    (ODBL, None, "ok"),
    (CC_BY, None, "fail"),  # open, but not in the décret's list: needs an homologation
    (None, "voir le site", "fail"),
    (None, None, "fail"),
])
def test_licence_allowed_to_administrations(licence: str | None, label: str | None, status: str) -> None:
    result = checks(record(licence=licence, licence_label=label))["licence_french_admin"]
    assert result.status == status
    if status == "fail":
        assert result.fix and "Licence Ouverte" in result.fix
    if licence is None and label is None:
        assert result.detail == "no licence is stated"


def test_one_distribution_under_another_licence_fails_the_record() -> None:
    entry = record(Distribution(access_url="https://x.fr/a.csv", licence=CC_BY), licence=ETALAB)
    result = checks(entry)["licence_french_admin"]
    assert result.status == "fail" and "Creative Commons" in result.detail
