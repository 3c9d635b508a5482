"""ISO 19139 -> DCAT-AP: every recorded ISO record normalises and passes the DCAT-AP 3 shapes (acceptance 2), and
the SEMIC golden pair's facts come out as SEMIC's own XSLT writes them (read from its expected Turtle)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib import namespace as ns

from demo.portals.csw import iso_records
from kernel.records import RawRecord
from normalise import NormaliseError, normalise, vocab
from normalise.iso19139 import normalise_iso19139
from normalise.model import DataService, Dataset
from scoring.shacl import validate_entries

GOLDEN_IN = "semic_iso-19139-to-dcat-ap_multilingual-metadata_input.xml"
GOLDEN_OUT = "semic_iso-19139-to-dcat-ap_multilingual-metadata_expected_output.ttl"
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SERVICE_IRI = URIRef("https://cuzk.cz/CZ-00025712-CUZK_ATOM_DATA50")


def _raw(content: bytes, native_id: str = "x", source_id: str = "iso") -> RawRecord:
    return RawRecord(source_id=source_id, native_id=native_id, url="http://127.0.0.1/csw", profile="iso19139",
                     content=content, media_type="application/xml")


@pytest.fixture(scope="module")
def records(fixtures: Path) -> dict[str, bytes]:
    found = dict(iso_records(sorted((fixtures / "csw").glob("*.xml"))))
    assert len(found) >= 15
    return found


@pytest.fixture(scope="module")
def entries(records: dict[str, bytes]) -> dict[str, Dataset | DataService]:
    out = {}
    for index, (name, xml) in enumerate(records.items()):
        # a source each: two fixtures hold the same record (geo-ide), which one source could not
        result = normalise(_raw(xml, name, source_id=f"iso{index}"))
        assert len(result) == 1, name
        out[name] = result[0]
    return out


def test_every_iso_fixture_normalises(entries: dict[str, Dataset | DataService]) -> None:
    for name, entry in entries.items():
        assert entry.title and entry.native_id and entry.native_id != name, name
        assert entry.description or "dct:description" in entry.gaps, name
    kinds = {type(e).__name__ for e in entries.values()}
    assert kinds == {"Dataset", "DataService"}
    series = [e for e in entries.values() if isinstance(e, Dataset) and e.type == "series"]
    assert [e.native_id for e in series] == ["IGNF_RPG"]


def test_every_normalised_iso_fixture_validates_against_dcat_ap_3(entries: dict[str, Dataset | DataService]) -> None:
    reports = validate_entries(list(entries.values()))
    for name, entry in entries.items():
        report = reports[entry.id]
        real = [v for v in report.violations if v.severity == "violation" and not v.external_reference]
        assert report.conforms_alone, (name, [(v.path, v.constraint, v.message) for v in real])


def test_not_well_formed_and_not_iso_are_normalise_errors(fixtures: Path) -> None:
    with pytest.raises(NormaliseError, match="not well-formed"):
        normalise_iso19139(_raw((fixtures / "csw" / "ckanext-spatial_error_bad_xml.xml").read_bytes()))
    with pytest.raises(NormaliseError, match="not an ISO 19139 record"):
        normalise_iso19139(_raw((fixtures / "csw" / "owslib_9250AA67_csw-record_dublin-core_iso-8859-1.xml")
                                .read_bytes()))
    with pytest.raises(NormaliseError, match="without gmd:identificationInfo"):
        normalise_iso19139(_raw(b'<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd"/>'))


# -- the golden pair ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def golden(fixtures: Path) -> tuple[DataService, Graph]:
    raw = _raw((fixtures / "csw" / GOLDEN_IN).read_bytes(), "CZ-CUZK-ATOM-DATA50")
    [entry] = normalise_iso19139(raw)
    assert isinstance(entry, DataService)
    graph = Graph().parse(fixtures / "dcat" / GOLDEN_OUT, format="turtle")
    return entry, graph


def _by_lang(graph: Graph, subject: object, predicate: URIRef) -> dict[str, str]:
    return {o.language: str(o) for o in graph.objects(subject, predicate) if isinstance(o, Literal) and o.language}


def test_golden_identity_title_and_translations(golden: tuple[DataService, Graph]) -> None:
    entry, graph = golden
    assert (SERVICE_IRI, ns.RDF.type, ns.DCAT.DataService) in graph
    assert entry.native_id == "CZ-CUZK-ATOM-DATA50" and entry.uri == str(SERVICE_IRI)
    assert str(SERVICE_IRI) in entry.identifiers
    titles = _by_lang(graph, SERVICE_IRI, ns.DCTERMS.title)
    assert entry.title == titles["cs"]
    assert {lang: entry.title_translations[lang] for lang in titles} == titles
    descriptions = _by_lang(graph, SERVICE_IRI, ns.DCTERMS.description)
    assert entry.description == descriptions["cs"]
    assert entry.description_translations["fr"] == descriptions["fr"]


def test_golden_publisher_and_contact(golden: tuple[DataService, Graph]) -> None:
    entry, graph = golden
    publisher = graph.value(SERVICE_IRI, ns.DCTERMS.publisher)
    assert entry.publisher is not None and entry.publisher.name == _by_lang(graph, publisher, ns.FOAF.name)["cs"]
    assert f"mailto:{entry.publisher.email}" == str(graph.value(publisher, ns.FOAF.mbox))
    record = graph.value(SERVICE_IRI, ns.FOAF.isPrimaryTopicOf)
    contact = graph.value(record, ns.DCAT.contactPoint)
    emails = {str(o).removeprefix("mailto:") for o in graph.objects(contact, VCARD.hasEmail)}
    assert entry.contact_points and entry.contact_points[0].email in emails
    assert entry.contact_points[0].name == _by_lang(graph, contact, VCARD.fn)["cs"]


def test_golden_keywords_and_themes(golden: tuple[DataService, Graph]) -> None:
    entry, graph = golden
    keywords = {str(o) for o in graph.objects(SERVICE_IRI, ns.DCAT.keyword) if o.language == "cs"}
    assert set(entry.keywords) == keywords
    themes = {str(o) for o in graph.objects(SERVICE_IRI, ns.DCAT.theme)}
    assert themes <= set(entry.categories)  # INSPIRE themes and thesaurus concepts, dcat:theme as SEMIC writes them
    inspire = sorted(t for t in themes if t.startswith("http://inspire.ec.europa.eu/theme/"))
    assert len(inspire) == 6 and set(entry.themes) == set(vocab.themes(inspire))
    category = graph.value(SERVICE_IRI, URIRef("http://data.europa.eu/930/serviceCategory"))
    assert entry.service_categories == [str(category)] and str(category) not in entry.categories


def test_golden_bbox_dates_rights_and_endpoints(golden: tuple[DataService, Graph]) -> None:
    entry, graph = golden
    location = next(o for o in graph.objects(SERVICE_IRI, ns.DCTERMS.spatial) if (o, ns.DCAT.bbox, None) in graph)
    wkt = next(str(o) for o in graph.objects(location, ns.DCAT.bbox) if o.datatype == GEO.wktLiteral)
    xs = [float(p.split()[0]) for p in wkt.removeprefix("POLYGON((").rstrip(")").split(",")]
    ys = [float(p.split()[1]) for p in wkt.removeprefix("POLYGON((").rstrip(")").split(",")]
    boxes = [s for s in entry.spatial if s.bbox]
    assert boxes[0].bbox == (min(xs), min(ys), max(xs), max(ys))
    assert boxes[0].geometry["type"] == "Polygon"
    countries = {str(o) for o in graph.objects(SERVICE_IRI, ns.DCTERMS.spatial) if isinstance(o, URIRef)}
    assert countries <= {s.uri for s in entry.spatial if s.uri}
    assert entry.modified == str(graph.value(SERVICE_IRI, ns.DCTERMS.modified))
    assert entry.licence == str(graph.value(SERVICE_IRI, ns.DCTERMS.license))
    inspire_access = str(graph.value(SERVICE_IRI, ns.DCTERMS.accessRights))
    assert inspire_access.endswith("/noLimitations") and entry.access_rights == vocab.access_rights(inspire_access)
    assert entry.access_rights == "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
    assert entry.endpoint_urls == [str(graph.value(SERVICE_IRI, ns.DCAT.endpointURL))]
    assert entry.endpoint_description == str(graph.value(SERVICE_IRI, ns.DCAT.endpointDescription))
    standards = {str(o) for o in graph.objects(SERVICE_IRI, ns.DCTERMS.conformsTo) if isinstance(o, URIRef)}
    assert standards and standards <= set(entry.conforms_to)


# -- French records -----------------------------------------------------------------------------------------------


def test_french_geonetwork_record(entries: dict[str, Dataset | DataService]) -> None:
    plu = entries["udata_geonetwork-iso19139-page-1_0"]
    assert isinstance(plu, Dataset) and plu.title == "Plan local d'urbanisme de la commune de Cartigny"
    assert plu.licence == vocab.licence("Licence Ouverte 1.0")[0] and "Licence Ouverte" in plu.licence_label
    assert plu.publisher is not None and plu.publisher.name.startswith("DDTM 80")
    assert plu.contact_points[0].email == "ddtm-sap-bsig@somme.gouv.fr"
    assert "http://inspire.ec.europa.eu/theme/lu" in plu.categories
    assert plu.languages == [vocab.language("fre")]
    [box] = [s for s in plu.spatial if s.bbox]
    west, south, east, north = box.bbox
    assert west < east and 1.3 < west < 1.4  # west and east were swapped in the record: read back in order
    assert "80" in box.departements and "32" in box.regions  # la Somme, Hauts-de-France
    downloads = [d for d in plu.distributions if d.download_url]
    assert downloads and all(d.access_url == d.download_url and d.licence == plu.licence for d in downloads)
    assert not any("GetRecordById" in (d.access_url or "") for d in plu.distributions)


def test_ign_series_with_etalab_licence_and_downloads(entries: dict[str, Dataset | DataService]) -> None:
    rpg = entries["udata_geoplateforme_iso19139_IGNF_RPG_0"]
    assert isinstance(rpg, Dataset) and rpg.type == "series"
    assert rpg.licence == "http://publications.europa.eu/resource/authority/licence/ETALAB_2_0"
    assert len(rpg.distributions) >= 10
    wms = [d for d in rpg.distributions if d.access_service and d.access_service.service_type in ("wms", "wmts")]
    assert wms and all(d.access_service.conforms_to for d in wms)


def test_lineage_frequency_and_regional_bbox(entries: dict[str, Dataset | DataService]) -> None:
    ortho = entries["pycsw_apiso-data_inspire_T_ortho_RAS_1998_284404_0"]
    assert isinstance(ortho, Dataset) and ortho.provenance
    geobretagne = entries["owslib_geobretagne_md_metadata_0"]
    assert geobretagne.frequency == "http://publications.europa.eu/resource/authority/frequency/ANNUAL"
    assert {"29", "35", "56", "22"} <= set(next(s for s in geobretagne.spatial if s.bbox).departements)


def test_temporal_extent_and_iso_19115_2(entries: dict[str, Dataset | DataService]) -> None:
    pacioos = entries["pycsw_apiso-data_pacioos-NS06agg_iso19115-2_0"]
    assert pacioos.native_id == "NS06agg"
    assert pacioos.temporal and pacioos.temporal[0].start
    dov = entries["owslib_csw_dov_getrecordbyid_0"]
    assert dov.temporal[0].start == "1900-01-01"
    assert "http://data.europa.eu/eli/reg/2010/1089" in dov.conforms_to  # cited by number in Dutch: an ELI


def test_service_record_operates_on_datasets(entries: dict[str, Dataset | DataService]) -> None:
    zamg = entries["owslib_inspire-getrecords-response_1"]
    assert isinstance(zamg, DataService) and zamg.service_type == "csw"
    assert zamg.endpoint_urls and zamg.serves_datasets
    assert all(s.startswith(f"{zamg.source_id}.") for s in zamg.serves_datasets)  # moisson ids of its datasets


def _minimal(extent: str = "", extra: str = "") -> bytes:
    return f"""<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco">
      <gmd:fileIdentifier><gco:CharacterString>rec-1</gco:CharacterString></gmd:fileIdentifier>
      <gmd:identificationInfo><gmd:MD_DataIdentification>
        <gmd:citation><gmd:CI_Citation><gmd:title><gco:CharacterString>Lagon</gco:CharacterString></gmd:title>
        </gmd:CI_Citation></gmd:citation>
        {extra}
        <gmd:extent><gmd:EX_Extent>{extent}</gmd:EX_Extent></gmd:extent>
      </gmd:MD_DataIdentification></gmd:identificationInfo>
    </gmd:MD_Metadata>""".encode()


def _box(west: str, east: str, south: str = "-20", north: str = "-10") -> str:
    bounds = {"westBoundLongitude": west, "eastBoundLongitude": east, "southBoundLatitude": south,
              "northBoundLatitude": north}
    inner = "".join(f"<gmd:{k}><gco:Decimal>{v}</gco:Decimal></gmd:{k}>" for k, v in bounds.items())
    return f"<gmd:geographicElement><gmd:EX_GeographicBoundingBox>{inner}</gmd:EX_GeographicBoundingBox>" \
           "</gmd:geographicElement>"


def test_box_across_the_antimeridian_is_two_halves() -> None:
    [entry] = normalise_iso19139(_raw(_minimal(_box("170", "-170"))))
    [spatial] = entry.spatial
    assert spatial.bbox == (170, -20, -170, -10)
    assert spatial.geometry is not None and spatial.geometry["type"] == "MultiPolygon"
    [swapped] = normalise_iso19139(_raw(_minimal(_box("10", "-5")))).pop().spatial  # west/east swapped, not crossing
    assert swapped.bbox == (-5, -20, 10, -10)


def test_an_unreadable_element_loses_that_element_not_the_record() -> None:
    dates = """<gmd:citation><gmd:CI_Citation><gmd:title><gco:CharacterString>Lagon</gco:CharacterString></gmd:title>
      <gmd:date><gmd:CI_Date><gmd:date><gco:Date>le 32 du mois</gco:Date></gmd:date></gmd:CI_Date></gmd:date>
      </gmd:CI_Citation></gmd:citation>"""
    record = _minimal(_box("abc", "12") + _box("1", "2"), extra="""
        <gmd:spatialResolution><gmd:MD_Resolution><gmd:equivalentScale><gmd:MD_RepresentativeFraction><gmd:denominator>
        <gco:Integer>un sur mille</gco:Integer></gmd:denominator></gmd:MD_RepresentativeFraction></gmd:equivalentScale>
        </gmd:MD_Resolution></gmd:spatialResolution>""").replace(
        b"<gmd:citation><gmd:CI_Citation><gmd:title><gco:CharacterString>Lagon</gco:CharacterString></gmd:title>\n"
        b"        </gmd:CI_Citation></gmd:citation>", dates.encode())
    [entry] = normalise_iso19139(_raw(record))
    assert isinstance(entry, Dataset) and entry.title == "Lagon"
    assert [s.bbox for s in entry.spatial] == [(1, -20, 2, -10)]  # the unreadable box alone is lost
    assert entry.issued is None and entry.created is None and entry.spatial_resolution_scale is None
