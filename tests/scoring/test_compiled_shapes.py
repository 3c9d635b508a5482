"""The compiled shapes give pyshacl's verdicts: same focus nodes, violated shapes, paths, values, severities and words.

Compared report for report (``scoring.shacl.Report``: conforms, and each violation as moisson stores it) on every
recorded fixture (the records the normalisers make of them, and each DCAT file as a whole graph, with the real-world
errors the normalisers would have mended), the demo's records harvested over loopback, a sample of the bench corpus
with gaps and bad values, and a graph written to hit each rule's corner (ill-typed literals, subclasses, blank
nodes). Each comparison also counts what it saw, so that it cannot pass by comparing empty reports.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from rdflib import Graph
from rich.console import Console

from bench import shacl as bench_shacl
from demo.portals.ckan import CkanPortal, load_recordings
from demo.portals.csw import iso_records
from demo.portals.static import CONTENT_TYPES
from demo.run import start_demo
from demo.server import PortalServer
from harvesters import harvester_class
from index.store import Store
from kernel.config import load_config
from kernel.http import HttpClient
from kernel.records import RawRecord
from normalise import normalise
from normalise.model import DataService, Dataset
from pipeline.harvest import run_harvest
from scoring import compiled_shapes, shacl
from tests.conftest import FIXTURES, make_config

Entry = Dataset | DataService
DCAT_FILES = sorted(p for p in (FIXTURES / "dcat").glob("*") if "INVALID" not in p.name)
RDF_SYNTAX = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".jsonld": "json-ld"}


def compare(entries: Sequence[Entry], batch: int = 50) -> Counter[str]:
    """Both engines on the same batches; every report equal. Returns what was seen, by constraint."""
    seen: Counter[str] = Counter(records=len(entries))
    for start in range(0, len(entries), batch):
        chunk = entries[start:start + batch]
        reference = shacl.validate_entries(chunk, engine="pyshacl")
        compiled = shacl.validate_entries(chunk, engine="compiled")
        assert compiled.keys() == reference.keys()
        for record_id, report in reference.items():
            assert compiled[record_id] == report, record_id
            seen.update(v.constraint for v in report.violations)
            seen["external_reference"] += sum(v.external_reference for v in report.violations)
    return seen


def compare_graph(graph: Graph) -> Counter[str]:
    reference = shacl.validate_graph(graph, engine="pyshacl")
    assert shacl.validate_graph(graph, engine="compiled") == reference
    return Counter(v.constraint for v in reference.violations)


def test_the_official_shapes_compile() -> None:
    """The fast path is the one that runs: the release's shapes are within what the compiler evaluates."""
    compiled = shacl.compiled()
    assert compiled is not None
    assert sum(len(shape.checks) for shape in compiled.node_shapes) == 290
    assert len(compiled.node_shapes) == 33


# -- recorded fixtures ----------------------------------------------------------------------------------------------


def _ckan_raws() -> Iterator[RawRecord]:
    recordings = load_recordings(sorted((FIXTURES / "ckan").glob("*.json")))
    with PortalServer() as server:
        url = server.mount("/ckan", CkanPortal(recordings.packages, recordings.organizations))
        config = make_config(f"- {{id: fx-ckan, type: ckan, url: '{url}'}}", http="{per_host_rps: 1000, retries: 0}")
        http = HttpClient(config.settings.http, allow_private=True)
        try:
            harvest = harvester_class("ckan")(config.sources[0], http).harvest()
            yield from (item for item in harvest if isinstance(item, RawRecord))
        finally:
            http.close()


def _dcat_raws(path: Path) -> list[RawRecord]:
    config = make_config("- {id: fx-dcat, type: dcat, url: 'http://fixtures.invalid/catalog'}")
    harvester = harvester_class("dcat")(config.sources[0], HttpClient(config.settings.http, allow_private=True))
    content_type = "application/rdf+xml" if path.name.endswith(".rdf.xml") else CONTENT_TYPES.get(path.suffix)
    page = harvester.read_page(path.read_bytes(), content_type, f"http://fixtures.invalid/{path.name}")
    return [item for item in page.items if isinstance(item, RawRecord)]


def _iso_raws() -> Iterator[RawRecord]:
    for name, xml in iso_records(sorted((FIXTURES / "csw").glob("*.xml"))):
        yield RawRecord(source_id="fx-csw", native_id=name, url="http://127.0.0.1/csw", profile="iso19139",
                        content=xml, media_type="application/xml")


@pytest.fixture(scope="module")
def fixture_entries() -> list[Entry]:
    raws = [*_ckan_raws(), *(raw for path in DCAT_FILES for raw in _dcat_raws(path)), *_iso_raws()]
    return [entry for raw in raws for entry in normalise(raw)]


def test_records_of_every_fixture(fixture_entries: list[Entry]) -> None:
    seen = compare(fixture_entries)
    assert Counter(e.source_id for e in fixture_entries) == {"fx-ckan": 23, "fx-dcat": 35, "fx-csw": 16}
    assert seen["minCount"] and seen["class"]  # the fixtures' own gaps and references between records


def test_records_of_every_fixture_one_by_one(fixture_entries: list[Entry]) -> None:
    """Alone, each record's references to others fail their class checks: flagged the same way by both."""
    seen = compare(fixture_entries, batch=1)
    assert seen["external_reference"] >= 1


def _graph(path: Path) -> Graph | None:
    """A DCAT fixture file as one rdflib graph; None for DCAT-US data.json (not RDF: its records are compared)."""
    syntax = RDF_SYNTAX.get(path.suffix)
    return None if syntax is None else Graph().parse(path, format=syntax)


@pytest.mark.parametrize("path", DCAT_FILES, ids=lambda p: p.name)
def test_dcat_fixture_files_as_whole_graphs(path: Path) -> None:
    """The files as their portals wrote them: literals where DCAT-AP wants resources, untyped values..."""
    graph = _graph(path)
    if graph is None:
        assert path.name.endswith("dcat-us-1.1.json")
        return
    assert len(graph) > 10
    compare_graph(graph)


def test_the_fixture_graphs_hold_violations_of_four_kinds() -> None:
    seen: Counter[str] = Counter()
    for path in DCAT_FILES:
        if (graph := _graph(path)) is not None:
            seen.update(v.constraint for v in shacl.validate_graph(graph, engine="pyshacl").violations)
    assert {"minCount", "maxCount", "class", "nodeKind"} <= set(seen)


# -- the demo, harvested --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_entries(tmp_path_factory: pytest.TempPathFactory) -> list[Entry]:
    """Every demo portal (demo/data: CKAN, DCAT, CSW by pycsw, ODS, udata, web pages) harvested into a store."""
    env = start_demo(tmp_path_factory.mktemp("demo") / "var", console=Console(file=io.StringIO()))
    try:
        config = load_config(env.config_path)
        store = Store(env.db_path)
        for source in config.sources:
            assert run_harvest(store, source, config, index_after=False).status == "succeeded", source.id
        demo_sources = {source.id for source in config.sources}
        entries = list(store.iter_entries())
        store.close()
    finally:
        env.stop()
    assert {e.source_id for e in entries} == demo_sources  # every demo portal gave records
    return entries


def test_records_of_the_demo(demo_entries: list[Entry]) -> None:
    seen = compare(demo_entries)
    assert seen["records"] >= 70
    assert len({e.source_id for e in demo_entries}) >= 12
    assert seen["minCount"]


# -- the bench corpus, clean and damaged ------------------------------------------------------------------------


def test_bench_corpus_sample_with_gaps_and_bad_values() -> None:
    entries = bench_shacl.sample(per_type=8)
    assert {e.source_id.rsplit("-", 1)[0] for e in entries} == {"ckan", "csw", "dcat", "dcat-us", "ods", "udata"}
    seen = compare(entries)
    assert seen["records"] == len(entries) >= 100
    assert seen["minCount"] and seen["maxCount"] and seen["class"] and seen["external_reference"]


def test_damage_makes_violations_and_keeps_the_clean_record() -> None:
    clean = bench_shacl.sample(per_type=1)[:7]
    reports = shacl.validate_entries(clean)
    assert all(report.conforms for report in reports.values())
    for n in range(len(bench_shacl.DAMAGES)):
        damaged = bench_shacl.damage(clean[0], n)
        assert damaged.id == f"{clean[0].id}.damaged" and damaged != clean[0]


# -- each rule's corners ----------------------------------------------------------------------------------------


CORNERS = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix spdx: <http://spdx.org/rdf/terms#> .
@prefix ex: <https://example.invalid/> .

ex:MyDataset rdfs:subClassOf ex:Middle . ex:Middle rdfs:subClassOf dcat:Dataset .
ex:MyLicence rdfs:subClassOf dct:LicenseDocument .

ex:d1 a ex:MyDataset ;                                  # a focus node through two subclass steps
    dct:title "t" ; dct:description "d", "d"@fr, ex:notText ;
    dct:publisher "Mairie" ;                            # a literal where a resource is wanted
    dct:accessRights [ rdfs:label "untyped blank node" ] ;
    dcat:distribution ex:f1, ex:f2 ;
    dcat:spatialResolutionInMeters "12.5"^^xsd:decimal, "douze"^^xsd:decimal, "12"^^xsd:integer, "12" ;
    dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2020-01-01"^^xsd:date ] ;
    dcat:temporalResolution "P1D"^^xsd:duration, "un jour"^^xsd:duration, "P1D" .

ex:f1 a dcat:Distribution, dcat:Dataset ;               # two target classes on one node
    dcat:accessURL ex:file, "https://example.invalid/text" ;
    dct:license ex:lic, ex:notALicence ;
    dcat:byteSize "100"^^xsd:nonNegativeInteger, "-1"^^xsd:nonNegativeInteger, "lots"^^xsd:nonNegativeInteger ;
    spdx:checksum [ a spdx:Checksum ; spdx:algorithm spdx:checksumAlgorithm_sha1 ;
                    spdx:checksumValue "zz"^^xsd:hexBinary, "00ff"^^xsd:hexBinary, "00ff" ] ;
    dct:format ex:csv, ex:csv2 .
ex:lic a ex:MyLicence .
ex:notALicence rdfs:label "described, but not a licence" .
ex:f2 a dcat:Distribution .                             # no accessURL at all
ex:agent a foaf:Agent .                                 # no name
"""


def test_each_rule_at_its_corners() -> None:
    graph = Graph().parse(data=CORNERS, format="turtle")
    seen = compare_graph(graph)
    assert {"minCount", "maxCount", "class", "nodeKind", "datatype"} <= set(seen)
    violations = shacl.validate_graph(graph).violations
    values = {v.value for v in violations if v.constraint == "datatype"}
    assert {"douze", "12", "un jour", "P1D", "lots", "zz", "00ff"} <= values  # ill-typed, or of another type
    assert not {"12.5", "100"} & values
    ex = "https://example.invalid/"
    assert {(v.path, v.constraint) for v in violations if v.focus == f"{ex}d1" and v.constraint != "datatype"} == {
        ("dct:description", "nodeKind"), ("dct:publisher", "nodeKind"), ("dct:publisher", "class"),
        ("dct:accessRights", "class"),
        ("dcat:temporalResolution", "maxCount")}  # d1 is a dataset through two subclass steps
    licences = {v.value for v in violations if v.path == "dct:license" and v.constraint == "class"}
    assert licences == {f"{ex}notALicence"}  # ex:lic is a licence through the data's subclass
    assert {v.focus_type for v in violations if v.focus == f"{ex}f1"} == {"dcat:Dataset"}


# -- what the compiler refuses -------------------------------------------------------------------------------------


SHAPE = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.invalid/> .
ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property ex:P .
ex:P sh:path ex:p ; {constraint} .
"""


@pytest.mark.parametrize("constraint", [
    "sh:pattern \"^a\"", "sh:minLength 2", "sh:in (ex:a ex:b)", "sh:node ex:Other", "sh:hasValue ex:a",
    "sh:or ( [ sh:datatype ex:t ] [ sh:class ex:c ] )", "sh:qualifiedMinCount 1", "sh:minCount 1 ; sh:minCount 2",
    "sh:minCount 1 ; sh:deactivated true", "sh:minCount \"one\"",
])
def test_the_compiler_refuses_what_it_does_not_evaluate(constraint: str) -> None:
    with pytest.raises(compiled_shapes.NotCompilable):
        compiled_shapes.compile_shapes(Graph().parse(data=SHAPE.replace("{constraint}", constraint), format="turtle"))


@pytest.mark.parametrize("shape", [
    "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path [ sh:inversePath ex:p ] ; sh:minCount 1 ] .",
    "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:closed true ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .",
    "ex:S a sh:NodeShape, rdfs:Class ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .",
    "ex:S a sh:NodeShape ; sh:targetNode ex:n ; sh:class ex:C .",
    "ex:P a sh:PropertyShape ; sh:targetClass ex:C ; sh:path ex:p ; sh:minCount 1 .",
])
def test_the_compiler_refuses_other_shapes_and_targets(shape: str) -> None:
    prefixes = ("@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.invalid/> . "
                "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n")
    with pytest.raises(compiled_shapes.NotCompilable):
        compiled_shapes.compile_shapes(Graph().parse(data=prefixes + shape, format="turtle"))


def test_shapes_it_cannot_compile_are_validated_by_pyshacl(monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    def refuse(graph: Graph) -> compiled_shapes.CompiledShapes:
        raise compiled_shapes.NotCompilable("sh:sparql on ex:S")

    monkeypatch.setattr(shacl, "compile_shapes", refuse)
    monkeypatch.setattr(shacl, "_compiled", False)
    assert shacl.compiled() is None
    assert "validating with pyshacl" in caplog.text
    poor = bench_shacl.damage(bench_shacl.sample(per_type=1)[0], 0)
    report = shacl.validate_entry(poor)  # the default engine, through pyshacl
    assert [v.path for v in report.violations] == ["dct:description"]
    assert report == shacl.validate_entry(poor, engine="pyshacl")


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown SHACL engine"):
        shacl.validate_entries([bench_shacl.sample(per_type=1)[0]], engine="fast")  # type: ignore[arg-type]
