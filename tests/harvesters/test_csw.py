"""CSW harvesting against a real pycsw (acceptance 1) and against a misbehaving CSW (acceptance 3).

The real server: pycsw 2.6.2 from .venv-pycsw (``make .venv-pycsw/.installed``), loaded with every ISO record of
../shared/fixtures/csw/ plus 40 generated French variants (bounding boxes around chefs-lieux, every fifth a service).
The misbehaving one: a PortalServer app answering GetRecords from the same recorded records, with exception
reports, truncated pages, broken records and lying paging counters on demand.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.portals.csw import PycswServer, Variant, build_records, iso_records
from demo.server import PortalServer, Request, Response
from harvesters.csw import CswHarvester
from index import open_index
from index.search import SearchQuery
from index.store import Store
from kernel.config import HttpSettings, SourceConfig
from kernel.http import HttpClient
from kernel.records import RawRecord, RecordError, SourceError
from normalise.model import DataService
from pipeline.harvest import run_harvest
from tests.conftest import make_config

FAST = HttpSettings(per_host_rps=200, retries=0)  # loopback: no politeness delay, no retry backoff
FAST_SETTINGS = {"http": "{per_host_rps: 200, retries: 0}"}


@pytest.fixture(scope="session")
def pycsw(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PycswServer, list[Variant]]]:
    records = tmp_path_factory.mktemp("pycsw-records")
    variants = build_records(sorted((fixtures / "csw").glob("*.xml")), records, variants=40)
    server = PycswServer(records, tmp_path_factory.mktemp("pycsw-home"))
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(f"{exc}")
    yield server, variants
    server.stop()


def _harvester(url: str, **options: object) -> CswHarvester:
    source = SourceConfig(id="csw-test", type="csw", url=url, options=options)
    return CswHarvester(source, HttpClient(FAST, allow_private=True))


def _split(items: list[object]) -> tuple[list[RawRecord], list[RecordError]]:
    return ([i for i in items if isinstance(i, RawRecord)], [i for i in items if isinstance(i, RecordError)])


# -- acceptance 1: a real pycsw -----------------------------------------------------------------------------------


def test_pycsw_holds_at_least_fifty_records_with_services(pycsw: tuple[PycswServer, list[Variant]]) -> None:
    server, variants = pycsw
    held = server.identifiers()
    assert len(held) >= 50
    assert "service" in held.values() and "dataset" in held.values()
    assert {v.identifier for v in variants} <= set(held)


@pytest.mark.parametrize("version", ["2.0.2", "3.0.0"])
def test_every_record_arrives_exactly_once_with_page_size_ten(pycsw: tuple[PycswServer, list[Variant]],
                                                              version: str) -> None:
    server, _ = pycsw
    held = server.identifiers()
    harvester = _harvester(server.url, page_size=10, version=version)
    records, errors = _split(list(harvester.harvest()))
    assert errors == []
    ids = [r.native_id for r in records]
    assert len(ids) == len(set(ids)) == len(held)
    assert set(ids) == set(held)
    assert {r.profile for r in records} == {"iso19139"}
    assert all(r.content.lstrip().startswith(b"<?xml") and b"_Metadata" in r.content for r in records)
    # one GetCapabilities, then one GetRecords per page of ten
    assert harvester.http.stats.requests == 1 + math.ceil(len(held) / 10)
    assert all("request=GetRecordById" in r.url for r in records)


def test_dublin_core_output_and_type_constraint(pycsw: tuple[PycswServer, list[Variant]]) -> None:
    server, _ = pycsw
    held = server.identifiers()
    records, errors = _split(list(_harvester(server.url, page_size=10, output_schema="dublin-core").harvest()))
    assert errors == [] and {r.profile for r in records} == {"csw-dc"}
    assert sorted(r.native_id for r in records) == sorted(held)
    services, _ = _split(list(_harvester(server.url, page_size=10, type="service").harvest()))
    assert sorted(r.native_id for r in services) == sorted(i for i, kind in held.items() if kind == "service")


def test_incremental_asks_only_records_modified_since(pycsw: tuple[PycswServer, list[Variant]]) -> None:
    server, _ = pycsw
    everything, _ = _split(list(_harvester(server.url, page_size=10).harvest()))
    recent, errors = _split(list(_harvester(server.url, page_size=10).harvest(since="2020-01-01T00:00:00+00:00")))
    assert errors == []
    expected = {r.native_id for r in everything if r.modified and r.modified[:10] >= "2020-01-01"}
    assert expected and {r.native_id for r in recent} == expected
    assert len(recent) < len(everything)


def test_pipeline_services_become_dataservices_and_bboxes_are_searchable(
        pycsw: tuple[PycswServer, list[Variant]], store: Store) -> None:
    server, variants = pycsw
    held = server.identifiers()
    config = make_config(f"""
        - id: pycsw
          type: csw
          url: {server.url}
          options: {{page_size: 10}}
    """, **FAST_SETTINGS)
    result = run_harvest(store, config.sources[0], config)
    assert result.status == "succeeded", result.errors
    assert result.counts.new == len(held) and result.counts.failed == 0
    entries = list(store.iter_entries(source_id="pycsw"))
    services = {e.native_id for e in entries if isinstance(e, DataService)}
    assert services == {i for i, kind in held.items() if kind == "service"}
    assert all(e.endpoint_urls for e in entries if isinstance(e, DataService))

    index = open_index(store)
    lyon = {v.identifier for v in variants if v.departement == "69"}
    found = index.search(SearchQuery(filters={"departement": ["69"]}, page_size=100))
    hit_ids = {hit["id"] for hit in found.hits}
    by_native = {e.id: e.native_id for e in entries}
    assert lyon and lyon <= {by_native[i] for i in hit_ids if i in by_native}
    marseille = index.search(SearchQuery(filters={"departement": ["13"]}, page_size=100))
    assert not lyon & {by_native.get(hit["id"]) for hit in marseille.hits}
    # a second sweep of an unchanged catalogue rewrites nothing
    again = run_harvest(store, config.sources[0], config, mode="full")
    assert again.counts.unchanged == len(held) and again.counts.new == again.counts.updated == 0


# -- acceptance 3: a CSW that misbehaves ------------------------------------------------------------------------------

CSW_NS = "http://www.opengis.net/cat/csw/2.0.2"
EXCEPTION = (b'<?xml version="1.0" encoding="UTF-8"?><ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows" '
             b'version="1.0.0"><ows:Exception exceptionCode="NoApplicableCode" locator="%s"><ows:ExceptionText>%s'
             b'</ows:ExceptionText></ows:Exception></ows:ExceptionReport>')


class FaultyCsw:
    """A CSW 2.0.2 serving recorded ISO records with faults per page (keyed by startPosition).

    faults: "exception", "truncated", "broken-record", "http-500". ``next_record`` overrides the nextRecord counter
    (a callable of startPosition and returned) to reproduce servers whose paging counters lie."""

    def __init__(self, records: list[bytes], capabilities: bytes) -> None:
        self.records = records
        self.capabilities = capabilities
        self.faults: dict[int, str] = {}
        self.next_record = lambda start, returned: start + returned if start + returned <= len(self.records) else 0
        self.ignore_start = False
        self.refuse_gmd = False
        self.requests: list[tuple[int, int, str]] = []

    def __call__(self, request: Request) -> Response:
        if request.method == "GET":
            return Response(200, self.capabilities, content_type="application/xml")
        body = request.body
        start = int(re.search(rb'startPosition="(\d+)"', body).group(1))
        size = int(re.search(rb'maxRecords="(\d+)"', body).group(1))
        schema = re.search(rb'outputSchema="([^"]+)"', body).group(1).decode()
        self.requests.append((start, size, schema))
        if self.refuse_gmd and "isotc211" in schema:
            return Response(400, EXCEPTION % (b"outputSchema", b"Invalid outputSchema value"),
                            content_type="application/xml")
        fault = self.faults.get(start)
        if fault == "exception":
            return Response(200, EXCEPTION % (b"startPosition", b"Database connection lost"),
                            content_type="application/xml")
        if fault == "http-500":
            return Response(500, b"Internal Server Error", content_type="text/plain")
        first = 1 if self.ignore_start else start
        chosen = self.records[first - 1:first - 1 + size]
        if "isotc211" not in schema:
            chosen = [_as_dublin_core(r) for r in chosen]
        parts = [re.sub(rb"^<\?xml[^>]*\?>\s*", b"", r) for r in chosen]
        if fault == "broken-record" and len(parts) > 1:
            parts[1] = parts[1].replace(b"</gmd:abstract>", b"</gmd:abstrakt>", 1)
        head = (f'<?xml version="1.0" encoding="UTF-8"?><csw:GetRecordsResponse xmlns:csw="{CSW_NS}" '
                f'version="2.0.2"><csw:SearchStatus timestamp="2026-01-01T00:00:00Z"/><csw:SearchResults '
                f'numberOfRecordsMatched="{len(self.records)}" numberOfRecordsReturned="{len(parts)}" '
                f'nextRecord="{self.next_record(start, len(parts))}" elementSet="full">').encode()
        page = head + b"".join(parts) + b"</csw:SearchResults></csw:GetRecordsResponse>"
        if fault == "truncated":
            cut = page.rfind(b"<gmd:MD_Metadata")
            page = page[:cut + (len(page) - cut) // 2]
        return Response(200, page, content_type="application/xml")


def _as_dublin_core(iso: bytes) -> bytes:
    identifier = re.search(rb"<gmd:fileIdentifier>\s*<gco:CharacterString>([^<]+)<", iso).group(1)
    return (b'<csw:Record xmlns:csw="' + CSW_NS.encode() + b'" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            b"<dc:identifier>" + identifier + b"</dc:identifier><dc:title>t</dc:title></csw:Record>")


@pytest.fixture
def faulty(fixtures: Path, server: PortalServer) -> tuple[FaultyCsw, str]:
    records, seen = [], set()
    for _, xml in iso_records(sorted((fixtures / "csw").glob("*.xml"))):
        identifier = re.search(rb"<gmd:fileIdentifier>\s*<gco:CharacterString>([^<]+)<", xml)
        if identifier and identifier.group(1) not in seen and xml.count(b"<gmd:MD_Metadata") == 1:
            seen.add(identifier.group(1))
            records.append(xml)
    capabilities = (fixtures / "csw" / "pycsw_apiso-inspire_GetCapabilities.xml").read_bytes()
    app = FaultyCsw(records, capabilities)
    return app, server.mount("/csw", app)


def _ids(records: list[bytes]) -> list[str]:
    return [re.search(rb"<gmd:fileIdentifier>\s*<gco:CharacterString>([^<]+)<", r).group(1).decode()
            for r in records]


def test_faulty_pages_are_reported_and_the_harvest_goes_on(faulty: tuple[FaultyCsw, str]) -> None:
    app, url = faulty
    assert len(app.records) >= 12
    app.faults = {4: "exception", 7: "truncated", 10: "broken-record"}
    records, errors = _split(list(_harvester(url, page_size=3).harvest()))
    ids = _ids(app.records)
    # page 4-6 lost (exception), page 7-9 keeps what came before the cut, page 10-12 loses its second record only
    assert "Database connection lost" in errors[0].reason and errors[0].page_level
    broken = [e for e in errors if not e.page_level]
    assert [e.native_id for e in broken] == [ids[10]] and "not well-formed" in broken[0].reason
    assert any("cut short" in e.reason and e.page_level for e in errors)
    got = [r.native_id for r in records]
    assert len(got) == len(set(got))
    assert set(ids[:3]) <= set(got) and not set(ids[3:6]) & set(got)
    assert ids[6] in got and ids[9] in got and ids[11] in got and ids[10] not in got
    assert set(ids[12:]) <= set(got)
    assert [start for start, _, _ in app.requests] == list(range(1, len(app.records) + 1, 3))


def test_nothing_stored_is_lost_when_a_later_harvest_meets_faults(faulty: tuple[FaultyCsw, str],
                                                                 store: Store) -> None:
    app, url = faulty
    config = make_config(f"""
        - id: faulty
          type: csw
          url: {url}
          options: {{page_size: 3}}
    """, **FAST_SETTINGS)
    source = config.sources[0]
    first = run_harvest(store, source, config, mode="full")
    assert first.status == "succeeded" and first.counts.new == len(app.records)
    app.faults = {4: "exception", 7: "truncated", 10: "broken-record", 13: "http-500"}
    second = run_harvest(store, source, config, mode="full")
    assert second.status == "partial"
    reasons = " | ".join(e.reason for e in second.errors)
    assert "Database connection lost" in reasons and "cut short" in reasons and "not well-formed" in reasons
    assert "HTTP 500" in reasons
    job = store.job(second.job_id)
    assert job is not None and job["status"] == "partial" and job["failed"] == len(second.errors)
    assert store.count(source_id="faulty") == len(app.records)  # nothing withdrawn: the sweep was incomplete
    assert store.count(source_id="faulty", status="withdrawn") == 0


def test_exception_report_on_capabilities_or_first_page_fails_the_source(faulty: tuple[FaultyCsw, str],
                                                                       store: Store) -> None:
    app, url = faulty
    app.capabilities = EXCEPTION % (b"request", b"Service temporarily disabled")
    with pytest.raises(SourceError, match="Service temporarily disabled"):
        list(_harvester(url).harvest())
    config = make_config(f"""
        - id: faulty
          type: csw
          url: {url}
    """, **FAST_SETTINGS)
    result = run_harvest(store, config.sources[0], config)
    assert result.status == "failed" and "Service temporarily disabled" in (result.error or "")


def test_lying_next_record_does_not_skip_or_loop(faulty: tuple[FaultyCsw, str]) -> None:
    app, url = faulty
    app.next_record = lambda start, returned: 85  # returned=2 yet nextRecord=85 (a real INSPIRE catalogue)
    records, errors = _split(list(_harvester(url, page_size=2).harvest()))
    assert errors == [] and sorted(r.native_id for r in records) == sorted(_ids(app.records))
    app.ignore_start = True  # a server ignoring startPosition: the same page forever
    app.next_record = lambda start, returned: 3
    app.requests.clear()
    records, errors = _split(list(_harvester(url, page_size=6).harvest()))
    assert [r.native_id for r in records] == _ids(app.records)[:6]
    assert len(app.requests) == 2  # the second page brought nothing new: stop


def test_falls_back_to_dublin_core_when_iso_is_refused(faulty: tuple[FaultyCsw, str]) -> None:
    app, url = faulty
    app.refuse_gmd = True
    records, errors = _split(list(_harvester(url, page_size=50).harvest()))
    assert errors == [] and {r.profile for r in records} == {"csw-dc"}
    assert len(records) == len(app.records)
    assert [schema for _, _, schema in app.requests][:2] == ["http://www.isotc211.org/2005/gmd",
                                                              "http://www.opengis.net/cat/csw/2.0.2"]


def test_capabilities_without_iso_output_schema_means_dublin_core(faulty: tuple[FaultyCsw, str]) -> None:
    app, url = faulty
    app.capabilities = app.capabilities.replace(b"<ows:Value>http://www.isotc211.org/2005/gmd</ows:Value>", b"")
    assert b"<ows:Value>http://www.isotc211.org/2005/gmd</ows:Value>" not in app.capabilities
    records, _ = _split(list(_harvester(url, page_size=50).harvest()))
    assert {r.profile for r in records} == {"csw-dc"}
    assert all("isotc211" not in schema for _, _, schema in app.requests)


def test_a_record_broken_at_the_source_keeps_its_stored_version(faulty: tuple[FaultyCsw, str], store: Store) -> None:
    app, url = faulty
    config = make_config(f"""
        - id: faulty
          type: csw
          url: {url}
          options: {{page_size: 3}}
    """, **FAST_SETTINGS)
    source = config.sources[0]
    assert run_harvest(store, source, config, mode="full").status == "succeeded"
    app.faults = {4: "broken-record"}  # a complete sweep, but record 5 no longer parses
    result = run_harvest(store, source, config, mode="full")
    broken = _ids(app.records)[4]
    assert result.status == "partial" and [e.native_id for e in result.errors] == [broken]
    assert result.counts.withdrawn == 0
    assert store.count(source_id="faulty") == len(app.records)  # the last good version stays active
    assert store.raw("faulty", broken) is not None
