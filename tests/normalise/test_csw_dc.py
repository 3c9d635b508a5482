"""Dublin Core csw:Record -> DCAT-AP: the recorded pycsw and OWSLib records, axis order, services, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from kernel.records import RawRecord
from normalise import NormaliseError, vocab
from normalise.csw_dc import normalise_csw_dc
from normalise.model import DataService, Dataset
from scoring.shacl import validate_entries

CSW = "http://www.opengis.net/cat/csw/2.0.2"


def _raw(content: bytes) -> RawRecord:
    return RawRecord(source_id="dc", native_id="x", url="http://127.0.0.1/csw", profile="csw-dc", content=content,
                     media_type="application/xml")


def _pycsw_records(fixtures: Path) -> list[bytes]:
    root = etree.parse(str(fixtures / "csw" / "pycsw_default_GetRecords-all_dublin-core.xml")).getroot()
    return [etree.tostring(r) for r in root.iter(f"{{{CSW}}}Record")]


def test_latin1_record_with_lat_lon_bbox(fixtures: Path) -> None:
    content = (fixtures / "csw" / "owslib_9250AA67_csw-record_dublin-core_iso-8859-1.xml").read_bytes()
    [entry] = normalise_csw_dc(_raw(content))
    assert isinstance(entry, Dataset)
    assert entry.native_id == "9250AA67-F3AC-6C12-0CB9-0662231AA181" and entry.title == "ALLSPECIES"
    assert entry.description.startswith("272 Categorized Initiatives")
    assert "Locations: Canada > Manitoba" in entry.keywords
    assert entry.creators[0].name == "EMAN Coordinating Office, Environment Canada"
    assert entry.issued == "2009-09-03" and entry.modified == "2009-09-03"
    assert entry.languages == [vocab.language("eng")]
    [box] = [s for s in entry.spatial if s.bbox]
    assert box.bbox == (-180.0, -90.0, 180.0, 90.0)  # EPSG:4326 corners are "lat lon"


def test_pycsw_records_services_and_missing_title(fixtures: Path) -> None:
    records = _pycsw_records(fixtures)
    assert len(records) == 5
    results, errors = [], []
    for content in records:
        try:
            results.extend(normalise_csw_dc(_raw(content)))
        except NormaliseError as exc:
            errors.append(str(exc))
    assert errors == ["csw:Record without dc:title"]  # the second record has none
    service = next(e for e in results if e.native_id == "urn:uuid:6a3de50b-fa66-4b58-a0e6-ca146fdd18d4")
    assert isinstance(service, DataService) and "dcat:endpointURL" in service.gaps
    image = next(e for e in results if e.native_id == "urn:uuid:19887a8a-f6b0-4a63-ae56-7fba0e17801f")
    assert isinstance(image, Dataset) and image.spatial[0].label == "GR-22"


def test_references_become_distributions_and_french_bbox_territory() -> None:
    content = f"""<csw:Record xmlns:csw="{CSW}" xmlns:dc="http://purl.org/dc/elements/1.1/"
        xmlns:dct="http://purl.org/dc/terms/" xmlns:ows="http://www.opengis.net/ows">
      <dc:identifier>lyon-velov</dc:identifier><dc:title>Stations Vélo'v</dc:title><dc:type>dataset</dc:type>
      <dct:abstract>Stations de vélos en libre-service.</dct:abstract><dc:subject>Transports</dc:subject>
      <dc:publisher>Métropole de Lyon</dc:publisher><dc:rights>Licence Ouverte v2.0</dc:rights>
      <dct:references scheme="WWW:DOWNLOAD-1.0-http--download">https://data.example.fr/velov.csv</dct:references>
      <dct:references scheme="OGC:WMS">https://data.example.fr/wms?SERVICE=WMS&amp;REQUEST=GetCapabilities</dct:references>
      <ows:BoundingBox crs="urn:ogc:def:crs:EPSG::4326">
        <ows:LowerCorner>45.74 4.81</ows:LowerCorner><ows:UpperCorner>45.78 4.86</ows:UpperCorner>
      </ows:BoundingBox>
    </csw:Record>""".encode()
    [entry] = normalise_csw_dc(_raw(content))
    assert entry.licence == "http://publications.europa.eu/resource/authority/licence/ETALAB_2_0"
    assert entry.publisher.name == "Métropole de Lyon"
    assert entry.themes == vocab.themes(["Transports"]) and entry.themes
    [box] = entry.spatial
    assert box.bbox == (4.81, 45.74, 4.86, 45.78) and box.departements == ["69"]
    csv = next(d for d in entry.distributions if d.download_url)
    assert csv.format == "http://publications.europa.eu/resource/authority/file-type/CSV"
    wms = next(d for d in entry.distributions if d.access_service)
    assert wms.access_service.service_type == "wms" and wms.access_service.endpoint_url == "https://data.example.fr/wms"
    assert validate_entries([entry])[entry.id].conforms


def test_not_a_record() -> None:
    with pytest.raises(NormaliseError, match="not a csw:Record"):
        normalise_csw_dc(_raw(b"<foo/>"))
    with pytest.raises(NormaliseError, match="not well-formed"):
        normalise_csw_dc(_raw(b"<csw:Record"))
