"""DCAT-AP 3.0.1 SHACL validation: plain-words violations, and issue 2's acceptance 2 on the recorded fixtures.

Acceptance 2: every dataset normalised from the CKAN and DCAT fixtures serialises to RDF that the official shapes
accept, except where the source lacks a mandatory property, and then the record's ``gaps`` say so. The CKAN
fixtures are harvested over HTTP from the CKAN emulator; the DCAT fixtures go through the DCAT harvester's page
reader (their Hydra next links point to hosts that do not exist here).
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from rdflib import Graph
from rdflib.namespace import SH

from demo.portals.ckan import CkanPortal, load_recordings
from demo.portals.static import CONTENT_TYPES
from demo.server import PortalServer
from harvesters import harvester_class
from kernel.http import HttpClient
from kernel.records import RawRecord
from normalise import normalise
from normalise.model import Agent, ContactPoint, Dataset, Distribution
from scoring import shacl
from tests.conftest import FIXTURES, make_config

DCAT_FILES = sorted(p.name for p in (FIXTURES / "dcat").glob("*") if "INVALID" not in p.name)


def conformant() -> Dataset:
    return Dataset(
        id="lyon.1", source_id="lyon", native_id="1", title="Qualité de l'air", description="Mesures horaires.",
        publisher=Agent(name="Métropole de Lyon", siren="200046977"),
        contact_points=[ContactPoint(name="Data", email="data@example.fr")],
        licence="https://www.etalab.gouv.fr/licence-ouverte-open-licence",
        themes=["http://publications.europa.eu/resource/authority/data-theme/ENVI"],
        distributions=[Distribution(download_url="https://example.fr/air.csv",
                                    format="http://publications.europa.eu/resource/authority/file-type/CSV")],
    )


def test_conformant_record_has_no_violation() -> None:
    report = shacl.validate_entry(conformant())
    assert report.conforms and report.violations == []


def test_missing_mandatory_properties_in_plain_words() -> None:
    poor = Dataset(id="x.1", source_id="x", native_id="1", title="Sans description",
                   distributions=[Distribution(title="fichier")])
    report = shacl.validate_entry(poor)
    assert not report.conforms and not report.conforms_alone
    by_gap = {v.gap: v for v in report.violations}
    assert set(by_gap) == {"dct:description", "dcat:Distribution/dcat:accessURL"}
    description = by_gap["dct:description"]
    assert description.severity == "violation" and description.constraint == "minCount"
    assert description.message == "The dataset has no description (dct:description): DCAT-AP requires at least 1."
    assert by_gap["dcat:Distribution/dcat:accessURL"].message.startswith("A distribution has no access URL")
    orjson.dumps([v.as_dict() for v in report.violations])  # stored as JSON by index.quality


def test_reference_to_a_series_described_elsewhere() -> None:
    member = conformant().model_copy(update={"in_series": ["https://example.fr/series/air"]})
    report = shacl.validate_entry(member)
    assert not report.conforms and report.conforms_alone
    (violation,) = report.violations
    assert violation.external_reference and violation.path == "dcat:inSeries"
    assert "described in another record" in violation.message
    series = conformant().model_copy(update={"id": "lyon.2", "uri": "https://example.fr/series/air",
                                             "type": "series", "distributions": []})
    together = shacl.validate_entries([member, series])
    assert together["lyon.1"].conforms and together["lyon.2"].conforms


def test_class_violation_on_a_described_value() -> None:
    data = Graph().parse(format="turtle", data="""
        @prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <https://example.fr/d> a dcat:Dataset ; dct:title "t" ; dct:description "d" ;
            dct:accessRights <https://example.fr/droits> .
        <https://example.fr/droits> rdfs:label "public" .""")
    report = shacl.validate_graph(data)
    (violation,) = report.violations
    assert violation.constraint == "class" and not violation.external_reference
    assert violation.message == ("The dataset has access rights (dct:accessRights) = https://example.fr/droits, which "
                                 "is not declared a dct:RightsStatement as DCAT-AP requires.")


def test_batch_gives_each_record_its_own_report() -> None:
    poor = Dataset(id="x.1", source_id="x", native_id="1", title="Sans description")
    good = conformant()
    batch = shacl.validate_entries([poor, good])
    assert batch["lyon.1"].conforms
    assert [v.gap for v in batch["x.1"].violations] == [v.gap for v in shacl.validate_entry(poor).violations]


def test_shapes_loaded_once_and_usable() -> None:
    shapes = shacl.shapes()
    assert shacl.shapes() is shapes
    dangling = [p for _, p in shapes.subject_objects(SH.property) if shapes.value(p, SH.path) is None]
    assert dangling == []  # the release's two dangling references are dropped, nothing else is
    assert len(list(shapes.subject_objects(SH.property))) == 290


# -- acceptance 2 on the fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ckan_raws() -> list[RawRecord]:
    recordings = load_recordings(sorted((FIXTURES / "ckan").glob("*.json")))
    with PortalServer() as server:
        url = server.mount("/ckan", CkanPortal(recordings.packages, recordings.organizations))
        config = make_config(f"- {{id: fx-ckan, type: ckan, url: '{url}'}}",
                             http="{per_host_rps: 1000, retries: 0}")
        http = HttpClient(config.settings.http, allow_private=True)
        items = list(harvester_class("ckan")(config.sources[0], http).harvest())
        http.close()
    return [item for item in items if isinstance(item, RawRecord)]


def dcat_raws(name: str) -> list[RawRecord]:
    config = make_config("- {id: fx-dcat, type: dcat, url: 'http://fixtures.invalid/catalog'}")
    harvester = harvester_class("dcat")(config.sources[0], HttpClient(config.settings.http, allow_private=True))
    path = FIXTURES / "dcat" / name
    content_type = "application/rdf+xml" if name.endswith(".rdf.xml") else CONTENT_TYPES.get(path.suffix)
    page = harvester.read_page(path.read_bytes(), content_type, f"http://fixtures.invalid/{name}")
    return [item for item in page.items if isinstance(item, RawRecord)]


def unexplained(raws: list[RawRecord]) -> tuple[list[str], int, int]:
    """Violations the record's gaps do not account for, as readable lines; and how many records and explained
    violations were seen (so the test cannot pass by checking nothing)."""
    problems: list[str] = []
    records = explained = 0
    for raw in raws:
        for entry in normalise(raw):
            records += 1
            for v in shacl.validate_entry(entry).violations:
                if v.severity != "violation" or v.external_reference:
                    continue
                own = v.path in entry.gaps and v.focus_type in ("dcat:Dataset", "dcat:DataService",
                                                                 "dcat:Distribution")
                if v.gap in entry.gaps or own:
                    explained += 1
                    continue
                problems.append(f"{entry.source_id} {entry.native_id}: {v.message} [gaps: {entry.gaps}]")
    return problems, records, explained


def test_ckan_fixtures_conform_or_say_what_is_missing(ckan_raws: list[RawRecord]) -> None:
    problems, records, _ = unexplained(ckan_raws)
    assert records >= 20
    assert problems == []


@pytest.mark.parametrize("name", DCAT_FILES)
def test_dcat_fixtures_conform_or_say_what_is_missing(name: str) -> None:
    raws = dcat_raws(name)
    assert raws, f"{name}: no record read"
    problems, records, _ = unexplained(raws)
    assert records >= len(raws)
    assert problems == []


@pytest.mark.parametrize(("name", "records", "violations"), [
    # the DCAT-AP 3.0.1 series example has no descriptions at all
    ("semic_dcat-ap-3.0.1_example-bee-population-dataset-series-modified.ttl", 4, 4),
    # the GeoDCAT-AP example's access service has no title: a gap on a node inside the record
    ("semic_geodcat-ap-2.0.0_example-dataset.ttl", 1, 1),
])
def test_fixture_gaps_do_explain_violations(name: str, records: int, violations: int) -> None:
    """The violations exist, and the records' gaps name them (record level and nested nodes)."""
    problems, seen, explained = unexplained(dcat_raws(name))
    assert problems == [] and seen == records and explained >= violations


def test_fixture_files_are_the_recorded_ones() -> None:
    assert Path(FIXTURES / "dcat" / DCAT_FILES[0]).is_file() and len(DCAT_FILES) == 17
