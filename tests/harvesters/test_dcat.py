"""DcatHarvester over real HTTP: recorded DCAT catalogs served by StaticFiles on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from rdflib import Graph

from demo.portals.static import StaticFiles
from demo.server import PortalServer, Request, Response
from harvesters.dcat import DcatHarvester, sniff_syntax
from kernel.http import HttpClient
from kernel.records import RawRecord, RecordError, SourceError
from tests.conftest import make_config

DCAT_DIR = "dcat"
INVALID_TURTLE = "semic_dcat-ap-3.0.1_example-bee-population-dataset-series-combined_INVALID-TURTLE.ttl"
RECORDED_PAGE = "http://data.test.org/catalog.jsonld?page={}"


@pytest.fixture(scope="module")
def shared_server() -> Iterator[PortalServer]:
    with PortalServer() as srv:
        yield srv


@pytest.fixture
def server(shared_server: PortalServer) -> PortalServer:
    """One server for the module (stopping one takes half a second), emptied before each test."""
    shared_server.apps.clear()
    shared_server.hits.clear()
    return shared_server


def harvester(url: str, options: str = "{}", validators: dict[str, Any] | None = None) -> DcatHarvester:
    config = make_config(f"- {{id: test-dcat, type: dcat, url: '{url}', options: {options}}}",
                         http="{timeout: 2, retries: 0, per_host_rps: 1000}")
    http = HttpClient(config.settings.http, allow_private=True, validators=validators)
    return DcatHarvester(config.sources[0], http)


def split(items: list[Any]) -> tuple[list[RawRecord], list[RecordError]]:
    return [i for i in items if isinstance(i, RawRecord)], [i for i in items if isinstance(i, RecordError)]


def run(url: str, options: str = "{}") -> tuple[list[RawRecord], list[RecordError]]:
    return split(list(harvester(url, options).harvest()))


def serve(server: PortalServer, files: dict[str, bytes | Path]) -> tuple[str, StaticFiles]:
    app = StaticFiles(files)
    return server.mount("/dcat", app), app


def hydra_pages(fixtures: Path, base: str, prefix: str) -> dict[str, bytes]:
    """The recorded two-page Hydra catalog with its page URLs pointing at our server."""
    pages = {}
    for number in (1, 2):
        text = (fixtures / DCAT_DIR / f"udata_{prefix}-collection-{number}.jsonld").read_text("utf-8")
        for other in (1, 2):
            text = text.replace(RECORDED_PAGE.format(other), f"{base}/page{other}.jsonld")
        pages[f"/page{number}.jsonld"] = text.encode()
    return pages


# -- serialisations ------------------------------------------------------------------------------------------------


def test_rdfxml_catalog_one_record_per_dataset_with_provenance(server: PortalServer, fixtures: Path) -> None:
    base, _ = serve(server, {"/catalog.rdf": fixtures / DCAT_DIR / "ckanext-dcat_catalog.rdf"})
    records, errors = run(f"{base}/catalog.rdf")
    assert errors == []
    assert [r.native_id for r in records] == ["https://data.some.org/catalog/datasets/1",
                                              "https://data.some.org/catalog/datasets/2"]
    first = records[0]
    assert (first.source_id, first.profile, first.media_type) == ("test-dcat", "dcat", "application/n-triples")
    assert first.url == f"{base}/catalog.rdf"
    assert first.modified is not None and first.modified.startswith("2013-04-26T00:00:00")  # rdflib normalises
    lines = first.content.decode().splitlines()
    assert lines == sorted(lines)
    text = first.content.decode()
    assert "Example dataset 1" in text and "1.csv" in text and "Publishing Organization for dataset 1" in text
    assert "Example dataset 2" not in text  # another dataset is another record
    assert "An example catalog" not in text  # the catalog is a container, not part of the dataset


def test_turtle_ntriples_and_jsonld_give_the_same_bytes_as_rdfxml(server: PortalServer, fixtures: Path) -> None:
    """The record bytes do not depend on the serialisation nor on the parser's blank-node ids."""
    graph = Graph().parse(fixtures / DCAT_DIR / "ckanext-dcat_dataset_multilingual.ttl")
    files: dict[str, bytes | Path] = {
        "/c.ttl": fixtures / DCAT_DIR / "ckanext-dcat_dataset_multilingual.ttl",
        "/c.rdf": graph.serialize(format="xml").encode(),
        "/c.nt": graph.serialize(format="nt").encode(),
        "/c.jsonld": graph.serialize(format="json-ld").encode(),
    }
    base, _ = serve(server, files)
    contents = {}
    for path in files:
        records, errors = run(base + path)
        assert errors == [] and len(records) == 1, path
        contents[path] = records[0].content
    assert len(set(contents.values())) == 1
    assert contents["/c.ttl"].count(b"_:b") >= 6  # two contact points and a provenance statement, labelled


def test_jsonld_with_graph_and_blank_nodes(server: PortalServer, fixtures: Path) -> None:
    base, _ = serve(server, {"/c.jsonld": fixtures / DCAT_DIR / "ckanext-dcat_catalog_with_at_graph.jsonld"})
    records, errors = run(f"{base}/c.jsonld")
    assert errors == []
    assert [r.native_id for r in records] == [
        "https://ckan.example.org/dataset/d4ce4e6e-ab89-44cb-bf5c-33a162c234de#dataset"]
    assert b'"Jane Doe"' in records[0].content and b"download.zip" in records[0].content


def test_dcat_us_data_json_one_record_per_dataset(server: PortalServer, fixtures: Path) -> None:
    base, _ = serve(server, {"/data.json": fixtures / DCAT_DIR / "udata_evian_arcgis-hub_dcat-us-1.1.json"})
    records, errors = run(f"{base}/data.json")
    assert errors == []
    assert len(records) == 8
    assert {r.profile for r in records} == {"dcat-us"}
    first = orjson.loads(records[0].content)
    assert records[0].native_id == first["identifier"] == (
        "https://www.arcgis.com/home/item.html?id=f6565516d1354383b25793e630cf3f2b&sublayer=5")
    assert first["title"] == "stationnement velos" and len(first["distribution"]) == 6
    assert records[0].modified == "2022-07-29T11:29:07.556Z"


def test_dcat_us_dataset_without_identifier_is_a_record_error(server: PortalServer) -> None:
    catalog = {"dataset": [{"identifier": "a", "title": "A"}, {"title": "Sans identifiant"}]}
    base, _ = serve(server, {"/data.json": orjson.dumps(catalog)})
    records, errors = run(f"{base}/data.json")
    assert [r.native_id for r in records] == ["a"]
    assert [(e.native_id, e.page_level) for e in errors] == [("Sans identifiant", False)]


def test_mislabelled_content_type_is_sniffed(server: PortalServer, fixtures: Path) -> None:
    """Turtle served as text/plain, RDF/XML as application/octet-stream: the content says what it is."""
    base, _ = serve(server, {"/turtle.txt": fixtures / DCAT_DIR / "ckanext-dcat_dataset_gob_es_madrid.ttl",
                             "/rdfxml.bin": fixtures / DCAT_DIR / "ckanext-dcat_catalog.rdf"})
    assert len(run(f"{base}/turtle.txt")[0]) == 1
    assert len(run(f"{base}/rdfxml.bin")[0]) == 2


def test_wrong_content_type_falls_back_to_the_content(server: PortalServer, fixtures: Path) -> None:
    def app(request: Request) -> Response:
        body = (fixtures / DCAT_DIR / "ckanext-dcat_dataset_multilingual.ttl").read_bytes()
        return Response(200, body, content_type="application/rdf+xml")

    url = server.mount("/lying", app)
    records, errors = run(url)
    assert errors == [] and len(records) == 1


def test_format_option_forces_the_parser(server: PortalServer, fixtures: Path) -> None:
    base, _ = serve(server, {"/catalog": fixtures / DCAT_DIR / "ckanext-dcat_dataset_multilingual.ttl"})
    assert len(run(f"{base}/catalog", "{format: turtle}")[0]) == 1
    with pytest.raises(SourceError, match="not valid RDF/XML"):
        run(f"{base}/catalog", "{format: rdfxml}")


RDFXML_FIXTURES = ["ckanext-dcat_catalog.rdf", "ckanext-dcat_dataset_gov_de_rostock.rdf",
                   "udata_data.gouv.fr_org_catalog.rdf.xml", "udata_datara_geonetwork_geodcat-ap.rdf.xml",
                   "udata_sextant_dataset-series.rdf.xml"]


def with_dtd(body: bytes) -> bytes:
    """The same document with an internal DTD declaring an entity (as hand-written RDF/XML often does)."""
    start = body.index(b"<rdf:RDF")
    return body[:start] + b'<!DOCTYPE rdf:RDF [<!ENTITY dcat "http://www.w3.org/ns/dcat#">]>\n' + body[start:]


@pytest.mark.parametrize("name", RDFXML_FIXTURES)
def test_a_page_with_a_dtd_gives_the_same_bytes_through_the_defused_parser(server: PortalServer, fixtures: Path,
                                                                            name: str) -> None:
    """oxigraph reads RDF/XML without a DTD, defusedxml+rdflib reads it with one: the records must not differ."""
    body = (fixtures / DCAT_DIR / name).read_bytes()
    base, _ = serve(server, {"/plain.rdf": body, "/dtd.rdf": with_dtd(body)})
    plain, plain_errors = run(f"{base}/plain.rdf")
    dtd, dtd_errors = run(f"{base}/dtd.rdf")
    assert plain and [e.reason for e in plain_errors] == [e.reason for e in dtd_errors]
    assert [(r.native_id, r.content) for r in plain] == [(r.native_id, r.content) for r in dtd]


def test_entity_expansion_bomb_is_refused(server: PortalServer) -> None:
    """A "billion laughs" page (10^9 expansions) fails with expat's amplification limit instead of eating memory."""
    levels = ['<!ENTITY l0 "laugh">'] + [f'<!ENTITY l{n} "{("&l" + str(n - 1) + ";") * 10}">' for n in range(1, 10)]
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [' + "".join(levels) + ']>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">'
            '<rdf:Description rdf:about="http://x.test/d"><dct:title>&l9;</dct:title></rdf:Description></rdf:RDF>')
    base, _ = serve(server, {"/bomb.rdf": bomb.encode()})
    with pytest.raises(SourceError, match="not valid RDF/XML: .*amplification"):
        run(f"{base}/bomb.rdf")


def test_an_external_entity_is_not_read(server: PortalServer, tmp_path: Path) -> None:
    """XXE: an entity naming a local file fails the page, and the file's text is nowhere in what we keep."""
    secret = tmp_path / "secret.txt"
    secret.write_text("do-not-leak")
    page = (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "file://{secret}">]>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/"'
            ' xmlns:dcat="http://www.w3.org/ns/dcat#"><dcat:Dataset rdf:about="http://x.test/d">'
            '<dct:title>&x;</dct:title></dcat:Dataset></rdf:RDF>')
    base, _ = serve(server, {"/xxe.rdf": page.encode()})
    with pytest.raises(SourceError, match="not valid RDF/XML: ExternalReferenceForbidden") as failure:
        run(f"{base}/xxe.rdf")
    assert "do-not-leak" not in str(failure.value)


def test_an_iri_with_a_space_does_not_fail_the_page(server: PortalServer) -> None:
    """Download URLs with spaces are common; the page is read leniently and the IRI escaped in the N-Triples."""
    page = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#"
         xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="http://x.test/d/1"><dct:title>Un</dct:title>
    <dcat:distribution><dcat:Distribution>
      <dcat:downloadURL rdf:resource="http://x.test/files/mon fichier.csv"/>
    </dcat:Distribution></dcat:distribution></dcat:Dataset>
  <dcat:Dataset rdf:about="http://x.test/d/2"><dct:title>Deux</dct:title></dcat:Dataset>
</rdf:RDF>"""
    base, _ = serve(server, {"/c.rdf": page})
    records, errors = run(f"{base}/c.rdf")
    assert errors == [] and [r.native_id for r in records] == ["http://x.test/d/1", "http://x.test/d/2"]
    assert b"<http://x.test/files/mon\\u0020fichier.csv>" in records[0].content


def test_sniffing() -> None:
    assert sniff_syntax(b'\xef\xbb\xbf<?xml version="1.0"?><rdf:RDF/>') == "rdfxml"
    assert sniff_syntax(b"@prefix dcat: <http://www.w3.org/ns/dcat#> .") == "turtle"
    assert sniff_syntax(b"PREFIX dcat: <http://www.w3.org/ns/dcat#>") == "turtle"
    assert sniff_syntax(b"<http://a> <http://b> <http://c> .\n") == "ntriples"
    assert sniff_syntax(b'{"dataset": []}') == "dcat-us"
    assert sniff_syntax(b'{"@graph": [], "dataset": []}') == "jsonld"
    assert sniff_syntax(b"<!DOCTYPE html><html></html>") is None


# -- records of a page ----------------------------------------------------------------------------------------------


def test_series_and_members_are_separate_records(server: PortalServer, fixtures: Path) -> None:
    base, _ = serve(server, {"/bees.ttl": fixtures / DCAT_DIR /
                             "semic_dcat-ap-3.0.1_example-bee-population-dataset-series-modified.ttl"})
    records, _ = run(f"{base}/bees.ttl")
    by_id = {r.native_id: r.content.decode() for r in records}
    assert sorted(by_id) == ["https://data.gov.gr/id/dataset/BeePopulation2000",
                             "https://data.gov.gr/id/dataset/BeePopulation2022",
                             "https://data.gov.gr/id/dataset/BeePopulation2023",
                             "https://data.gov.gr/id/datasetseries/BeePopulation"]
    member = by_id["https://data.gov.gr/id/dataset/BeePopulation2023"]
    assert "<http://www.w3.org/ns/dcat#inSeries> <https://data.gov.gr/id/datasetseries/BeePopulation>" in member
    assert '"Bee population"@en' not in member  # the series' own description stays in the series' record
    assert "Bee population 2022" not in member  # nor the previous member's (dcat:prev)


def test_standalone_data_service_is_a_record_access_services_are_not(server: PortalServer, fixtures: Path) -> None:
    base, _ = serve(server, {"/org.rdf": fixtures / DCAT_DIR / "udata_data.gouv.fr_org_catalog.rdf.xml",
                             "/series.rdf": fixtures / DCAT_DIR / "udata_sextant_dataset-series.rdf.xml"})
    records, errors = run(f"{base}/org.rdf")
    assert errors == []
    assert sorted(r.native_id for r in records) == [
        "https://vanves-seineouest.opendatasoft.com/api/explore/v2.1/",
        "https://vanves-seineouest.opendatasoft.com/explore/dataset/bureau-de-vote-vanves/",
        "https://vanves-seineouest.opendatasoft.com/explore/dataset/vfe_public_219200755_20240506/",
    ]
    vanves = next(r for r in records if "bureau-de-vote" in r.native_id).content.decode()
    assert vanves.count("<http://www.w3.org/ns/dcat#downloadURL>") == 4  # its distributions are in its record
    assert '<http://purl.org/dc/terms/title> "Ville de Vanves"' not in vanves  # the catalog's title is not its own
    assert '<http://xmlns.com/foaf/0.1/name> "Ville de Vanves"' in vanves  # the distributor it reaches is
    series, _ = run(f"{base}/series.rdf")
    assert [r.native_id for r in series] == [
        "https://sextant.ifremer.fr/geonetwork/srv/api/records/fc663284-e599-427e-9da6-9fe9519170f3#resource"]
    assert series[0].content.count(b"<http://www.w3.org/ns/dcat#endpointURL>") == 2


def test_blank_node_dataset_is_named_by_its_identifier(server: PortalServer) -> None:
    turtle = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
    [] a dcat:Catalog ; dcat:dataset [ a dcat:Dataset ; dct:identifier "ds-1" ; dct:title "Un" ],
                                     [ a dcat:Dataset ; dct:title "Sans identifiant" ] ."""
    base, _ = serve(server, {"/c.ttl": turtle})
    records, errors = run(f"{base}/c.ttl")
    assert [r.native_id for r in records] == ["ds-1"]
    assert len(errors) == 1 and not errors[0].page_level and "dct:identifier" in errors[0].reason
    assert errors[0].native_id == "untitled: Sans identifiant"


def test_two_harvests_give_identical_hashes(server: PortalServer, fixtures: Path) -> None:
    """Blank nodes everywhere (GeoNetwork, GeoDCAT-AP): a new parse gives new ids, never new bytes."""
    names = ["udata_datara_geonetwork_geodcat-ap.rdf.xml", "semic_geodcat-ap-2.0.0_example-dataset.ttl",
             "semic_iso-19139-to-dcat-ap_multilingual-metadata_expected_output.ttl"]
    base, _ = serve(server, {f"/{name}": fixtures / DCAT_DIR / name for name in names})
    for name in names:
        first, _ = run(f"{base}/{name}")
        second, _ = run(f"{base}/{name}")
        assert first and [r.hash for r in first] == [r.hash for r in second], name


# -- paging ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["partial", "paged"])  # hydra:PartialCollectionView/next, PagedCollection/nextPage
def test_hydra_paging_both_vocabularies(server: PortalServer, fixtures: Path, prefix: str) -> None:
    app = StaticFiles()
    base = server.mount("/hydra", app)
    for path, body in hydra_pages(fixtures, base, prefix).items():
        app.put(path, body)
    records, errors = run(f"{base}/page1.jsonld")
    assert errors == []
    assert [r.native_id for r in records] == [f"http://data.test.org/datasets/{n}" for n in (1, 2, 3, 4)]
    assert [r.url for r in records] == [f"{base}/page1.jsonld"] * 3 + [f"{base}/page2.jsonld"]
    assert [h.path for h in server.hits] == ["/hydra/page1.jsonld", "/hydra/page2.jsonld"]


def test_hydra_loop_stops_after_every_page_was_read(server: PortalServer, fixtures: Path) -> None:
    app = StaticFiles()
    base = server.mount("/hydra", app)
    pages = hydra_pages(fixtures, base, "partial")
    looping = orjson.loads(pages["/page2.jsonld"])
    looping.append({"@id": "x:view", "http://www.w3.org/ns/hydra/core#next": [{"@id": f"{base}/page1.jsonld"}]})
    app.put("/page1.jsonld", pages["/page1.jsonld"])
    app.put("/page2.jsonld", orjson.dumps(looping))
    h = harvester(f"{base}/page1.jsonld")
    records, errors = split(list(h.harvest()))
    assert errors == [] and len(records) == 4
    assert len(server.hits) == 2
    assert any("already read" in event for event in h.http.stats.events)


def test_page_limit_ends_the_sweep_with_a_page_error(server: PortalServer, fixtures: Path) -> None:
    app = StaticFiles()
    base = server.mount("/hydra", app)
    for path, body in hydra_pages(fixtures, base, "partial").items():
        app.put(path, body)
    records, errors = run(f"{base}/page1.jsonld", "{page_limit: 1}")
    assert len(records) == 3
    assert len(errors) == 1 and errors[0].page_level and "page_limit" in errors[0].reason
    assert errors[0].url == f"{base}/page2.jsonld"


def test_broken_later_page_is_a_page_error_after_the_good_records(server: PortalServer, fixtures: Path) -> None:
    app = StaticFiles()
    base = server.mount("/hydra", app)
    pages = hydra_pages(fixtures, base, "partial")
    app.put("/page1.jsonld", pages["/page1.jsonld"])
    app.put("/page2.jsonld", b'[{"@id": "http://data.test.org/datasets/4", ')
    records, errors = run(f"{base}/page1.jsonld")
    assert len(records) == 3
    assert len(errors) == 1 and errors[0].page_level and errors[0].url == f"{base}/page2.jsonld"
    assert "not valid JSON-LD" in errors[0].reason


def test_unreachable_later_page_is_a_page_error(server: PortalServer, fixtures: Path) -> None:
    app = StaticFiles()
    base = server.mount("/hydra", app)
    app.put("/page1.jsonld", hydra_pages(fixtures, base, "partial")["/page1.jsonld"])  # page 2 answers 404
    records, errors = run(f"{base}/page1.jsonld")
    assert len(records) == 3
    assert len(errors) == 1 and errors[0].page_level and "404" in errors[0].reason


# -- failures of the whole source ------------------------------------------------------------------------------------


def test_invalid_turtle_keeps_every_readable_statement_and_names_the_broken_one(server: PortalServer,
                                                                              fixtures: Path) -> None:
    """SEMIC's own invalid example: one statement has a prefixed name with a '/'. The page used to fail the whole
    source; now every other statement is read and the broken one is a page-level error saying where and why."""
    base, _ = serve(server, {"/bees.ttl": fixtures / DCAT_DIR / INVALID_TURTLE})
    records, errors = run(f"{base}/bees.ttl")
    assert {r.native_id.rsplit("/", 1)[-1] for r in records} >= {"BeePopulationLive", "BeePopulation2023",
                                                                "BeePopulation2022", "BeePopulation2000"}
    assert [e.reason.split(":")[0] for e in errors] == ["lines 32-32", "lines 34-34"]  # the two broken statements
    error = errors[0]
    assert error.page_level and not error.warning and error.url == f"{base}/bees.ttl"
    assert error.reason.startswith("lines 32-32: '/' is not allowed at the beginning of a prefix name")
    assert "example-dist:BeePopulation2023/biojson a dcat:Distribution ." in error.reason  # the statement itself
    assert "this part of the page was not harvested" in error.reason


# -- pages the fast parser refuses: read piece by piece --------------------------------------------------------------

GEONETWORK_DCAT = "udata_geonetwork_GetRecords_outputSchema-dcat_page-1.xml"
THEME = ('<dcat:theme rdf:resource="https://www.geo2france.fr/geonetwork/srv/resources/registries/vocabularies/'
         'R%C3%A9gion/concepts/HAUTS-DE-FRANCE" />')


def geonetwork_page(fixtures: Path) -> str:
    """A GeoNetwork DCAT page made of a real GeoNetwork 4 answer (geo2france.fr): its two records' rdf:RDF blocks,
    as its CSW wraps them one per record, in one rdf:RDF as its DCAT catalogue endpoint writes them."""
    text = (fixtures / "csw" / GEONETWORK_DCAT).read_text("utf-8")
    blocks = re.findall(r"<rdf:RDF[^>]*>(.*?)</rdf:RDF>", text, re.S)
    opening = re.search(r"<rdf:RDF[^>]*>", text).group(0)
    assert len(blocks) == 2
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + opening + "".join(blocks) + "</rdf:RDF>\n"


def test_geonetwork_page_with_an_element_oxigraph_refuses_keeps_every_record(server: PortalServer,
                                                                             fixtures: Path) -> None:
    """Acceptance: a GeoNetwork export writing text inside a dcat:theme that has rdf:resource (as geo-ide and
    datARA exports do) is refused by pyoxigraph; every dataset of the page is still harvested, and the job is told
    what was wrong and where."""
    clean = geonetwork_page(fixtures)
    assert clean.count(THEME) >= 1
    broken = clean.replace(THEME, THEME.replace(" />", ">Hauts-de-France</dcat:theme>"), 1)
    base, _ = serve(server, {"/clean.rdf": clean.encode(), "/broken.rdf": broken.encode()})
    expected, none = run(f"{base}/clean.rdf")
    assert none == [] and len(expected) == 2
    records, problems = run(f"{base}/broken.rdf")
    assert [r.native_id for r in records] == [r.native_id for r in expected]
    [warning] = problems
    assert warning.warning and not warning.page_level and warning.url == f"{base}/broken.rdf"
    assert warning.native_id == expected[0].native_id  # the dataset holding the defect
    line = broken[:broken.index(">Hauts-de-France<")].count("\n") + 1
    dataset_line = broken[:broken.index('<dcat:Dataset rdf:about="' + expected[0].native_id)].count("\n") + 1
    assert warning.reason.startswith(f"line {dataset_line}, Dataset <{expected[0].native_id}>: ")
    assert "Hauts-de-France" in warning.reason and "lenient parser" in warning.reason
    assert line > dataset_line
    # the defective element lost its text only: the dataset says everything else it said, theme included
    assert records[1].content == expected[1].content
    assert THEME.split('"')[1].encode() in records[0].content
    assert len(records[0].content.splitlines()) == len(expected[0].content.splitlines())


def test_a_dataset_no_parser_can_read_is_an_error_of_that_record_only(server: PortalServer, fixtures: Path) -> None:
    clean = geonetwork_page(fixtures)
    first_dataset = clean.index("<dcat:Dataset ")
    after_title = clean.index("</dct:identifier>", first_dataset) + len("</dct:identifier>")
    broken = clean[:after_title] + "<rdf:Description/>" + clean[after_title:]  # a node where a property must be
    base, _ = serve(server, {"/broken.rdf": broken.encode()})
    records, errors = run(f"{base}/broken.rdf")
    assert len(records) == 1
    [error] = errors
    assert not error.warning and not error.page_level
    assert error.native_id.endswith("04bcec79-5b25-4b16-b635-73115f7456e4")
    assert "Invalid property element" in error.reason and "not harvested" in error.reason


def test_broken_xml_is_repaired_and_the_repair_reported(server: PortalServer, fixtures: Path) -> None:
    clean = geonetwork_page(fixtures)
    broken = clean.replace("<dct:identifier>", "<dct:identifier>A & B ", 1)  # a bare ampersand: not XML
    base, _ = serve(server, {"/broken.rdf": broken.encode()})
    records, problems = run(f"{base}/broken.rdf")
    assert len(records) == 2
    assert problems and all(p.warning for p in problems)
    assert any("XML repaired" in p.reason and p.reason.startswith("line ") for p in problems)


def test_ntriples_and_jsonld_pages_keep_their_readable_parts(server: PortalServer) -> None:
    a_dataset = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Dataset> .\n"
    nt = (b"<http://x.test/a> " + a_dataset + b'<http://x.test/a> <http://purl.org/dc/terms/title> "A" .\n'
          b'<http://x.test/b> <http://purl.org/dc/terms/title> "B .\n' + b"<http://x.test/c> " + a_dataset)
    jsonld = orjson.dumps({"@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/"},
                           "@graph": [{"@id": "http://x.test/a", "@type": "dcat:Dataset", "dct:title": "A"},
                                      {"@id": "http://x.test/b", "@type": "dcat:Dataset",
                                       "dct:issued": {"@value": "x", "@type": "@id", "@language": "fr"}},
                                      {"@id": "http://x.test/c", "@type": "dcat:Dataset", "dct:title": "C"}]})
    base, _ = serve(server, {"/page.nt": nt, "/page.jsonld": jsonld})
    records, errors = run(f"{base}/page.nt")
    assert [r.native_id for r in records] == ["http://x.test/a", "http://x.test/c"]
    assert len(errors) == 1 and errors[0].reason.startswith("line 3") and errors[0].native_id == "http://x.test/b"
    records, errors = run(f"{base}/page.jsonld")  # rdflib reads what oxigraph refuses in b: kept, with a warning
    assert [r.native_id for r in records] == ["http://x.test/a", "http://x.test/b", "http://x.test/c"]
    [warning] = errors
    assert warning.warning and warning.native_id == "http://x.test/b"
    assert warning.reason.startswith("@graph[1] <http://x.test/b>: @type and @language cannot be used together")


def test_html_page_is_not_a_catalog(server: PortalServer) -> None:
    base, _ = serve(server, {"/index.html": b"<!DOCTYPE html><html><body>Portail</body></html>"})
    with pytest.raises(SourceError, match="cannot tell its serialisation"):
        run(f"{base}/index.html")


def test_missing_catalog_raises_the_http_error(server: PortalServer) -> None:
    base, _ = serve(server, {})
    with pytest.raises(requests.HTTPError):
        run(f"{base}/nothing.rdf")


# -- conditional GET ------------------------------------------------------------------------------------------------


def test_unchanged_catalog_answers_304_and_is_listed_as_unchanged(server: PortalServer, fixtures: Path) -> None:
    base, app = serve(server, {"/org.rdf": fixtures / DCAT_DIR / "udata_data.gouv.fr_org_catalog.rdf.xml"})
    validators: dict[str, Any] = {}
    first = harvester(f"{base}/org.rdf", validators=validators)
    assert len(split(list(first.harvest()))[0]) == 3
    assert first.unchanged_pages == []
    second = harvester(f"{base}/org.rdf", validators=validators)
    assert list(second.harvest()) == []
    assert second.unchanged_pages == [f"{base}/org.rdf"]
    assert [h.status for h in server.hits] == [200, 304]
    app.put("/org.rdf", fixtures / DCAT_DIR / "ckanext-dcat_catalog.rdf")  # the catalog changes: fetched again
    third = harvester(f"{base}/org.rdf", validators=validators)
    assert len(split(list(third.harvest()))[0]) == 2 and third.unchanged_pages == []


def test_paged_catalog_keeps_validators_only_for_its_last_page(server: PortalServer, fixtures: Path) -> None:
    """A page with a next page must be read again to follow it; the last page can be answered 304."""
    app = StaticFiles()
    base = server.mount("/hydra", app)
    for path, body in hydra_pages(fixtures, base, "partial").items():
        app.put(path, body)
    validators: dict[str, Any] = {}
    assert len(split(list(harvester(f"{base}/page1.jsonld", validators=validators).harvest()))[0]) == 4
    assert list(validators) == [f"{base}/page2.jsonld"]
    second = harvester(f"{base}/page1.jsonld", validators=validators)
    records, errors = split(list(second.harvest()))
    assert len(records) == 3 and errors == []
    assert second.unchanged_pages == [f"{base}/page2.jsonld"]
    assert [h.status for h in server.hits[2:]] == [200, 304]


# -- JSON-LD contexts -------------------------------------------------------------------------------------------------


def test_remote_jsonld_context_is_fetched_through_our_http_layer(server: PortalServer) -> None:
    context = {"@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                            "title": "dct:title", "Dataset": "dcat:Dataset"}}
    more = {"@context": {"kw": "http://www.w3.org/ns/dcat#keyword"}}  # JSON-LD 1.1 @import
    document = {"@context": ["context.jsonld", {"@import": "more.jsonld"}], "@graph": [
        {"@id": "https://example.fr/ds/1", "@type": "Dataset", "title": "Jeu 1", "kw": "vélo"},
        {"@id": "https://example.fr/ds/2", "@type": "Dataset", "title": "Jeu 2"}]}
    base, _ = serve(server, {"/context.jsonld": orjson.dumps(context), "/more.jsonld": orjson.dumps(more),
                             "/catalog.jsonld": orjson.dumps(document)})
    records, errors = run(f"{base}/catalog.jsonld")
    assert errors == [] and [r.native_id for r in records] == ["https://example.fr/ds/1", "https://example.fr/ds/2"]
    assert b'<http://purl.org/dc/terms/title> "Jeu 1"' in records[0].content
    assert '<http://www.w3.org/ns/dcat#keyword> "vélo"'.encode() in records[0].content
    assert [h.path for h in server.hits] == ["/dcat/catalog.jsonld", "/dcat/context.jsonld", "/dcat/more.jsonld"]
