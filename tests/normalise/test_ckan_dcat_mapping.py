"""CKAN as ckanext-dcat maps it: one test per row of its docs/mapping.md table that moisson reads, on ckanext-dcat's
own example package dicts (data/ckanext_dcat/, DCAT-AP scheming fields) and on the legacy ``extras`` form of the same
fields, checking both the model and the DCAT-AP moisson writes."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDFS, XSD

from kernel.records import RawRecord
from normalise import rdf
from normalise.ckan import normalise_ckan
from normalise.model import Dataset

DATA = Path(__file__).resolve().parent / "data" / "ckanext_dcat"
FULL, VOCABULARIES = "ckan_full_dataset_dcat_ap.json", "ckan_full_dataset_dcat_ap_vocabularies.json"
DCATAP = Namespace("http://data.europa.eu/r5r/")
ADMS = Namespace("http://www.w3.org/ns/adms#")
EU = "http://publications.europa.eu/resource/authority/"


def package(name: str) -> dict[str, Any]:
    return orjson.loads((DATA / name).read_bytes())


def normalised(data: dict[str, Any]) -> Dataset:
    raw = RawRecord(source_id="ckan", native_id=data.get("id") or data["name"],
                    url="https://ckan.example.org/api/3/action/package_show", profile="ckan",
                    content=orjson.dumps(data))
    [dataset] = normalise_ckan(raw)
    return dataset


@cache
def example(name: str) -> tuple[Dataset, Graph]:
    dataset = normalised(package(name))
    graph = Graph()
    for triple in rdf.triples(dataset):
        graph.add(triple)
    return dataset, graph


def legacy(**extras: Any) -> Dataset:
    """A package of the legacy profiles: the same fields as extras (lists as JSON strings)."""
    return normalised({"id": "legacy-1", "name": "legacy", "title": "Jeu hérité",
                       "extras": [{"key": k, "value": v if isinstance(v, str) else orjson.dumps(v).decode()}
                                  for k, v in extras.items()]})


def subject(dataset: Dataset) -> URIRef:
    return rdf.entry_iri(dataset)


def distribution(graph: Graph, dataset: Dataset) -> URIRef:
    return next(graph.objects(subject(dataset), DCAT.distribution))


# -- dataset rows ----------------------------------------------------------------------------------------------------


def test_documentation_is_foaf_page() -> None:
    dataset, graph = example(FULL)
    assert dataset.documentation == ["https://example.org/some-doc.html"]
    assert (subject(dataset), FOAF.page, URIRef("https://example.org/some-doc.html")) in graph
    assert legacy(documentation=["https://a.example/doc"]).documentation == ["https://a.example/doc"]


def test_access_rights_free_text_is_kept_as_a_rights_statement() -> None:
    dataset, graph = example(FULL)
    assert dataset.access_rights == "Statement about access rights"
    statement = graph.value(subject(dataset), DCTERMS.accessRights)
    assert graph.value(statement, RDFS.label) == Literal("Statement about access rights")
    assert example(VOCABULARIES)[0].access_rights == EU + "access-right/PUBLIC"
    assert legacy(access_rights="Accès restreint aux agents").access_rights == EU + "access-right/RESTRICTED"


def test_conforms_to_list() -> None:
    dataset, graph = example(FULL)
    assert dataset.conforms_to == ["Standard 1", "Standard 2"]
    titles = {str(graph.value(s, DCTERMS.title)) for s in graph.objects(subject(dataset), DCTERMS.conformsTo)}
    assert titles == {"Standard 1", "Standard 2"}
    release = "https://joinup.ec.europa.eu/collection/semic-support-centre/solution/dcat-application-profile-" \
              "data-portals-europe/release/211"
    assert release in example(VOCABULARIES)[0].conforms_to


def test_provenance() -> None:
    dataset, graph = example(FULL)
    assert dataset.provenance == "Statement about provenance"
    statement = graph.value(subject(dataset), DCTERMS.provenance)
    assert graph.value(statement, DCTERMS.description) == Literal("Statement about provenance")


def test_version() -> None:
    assert example(FULL)[0].version == "1.0b"
    version = URIRef(f"{DCAT}version")  # DCAT 3, not in rdflib's closed DCAT namespace
    assert (subject(example(FULL)[0]), version, Literal("1.0b")) in example(FULL)[1]
    assert legacy(dcat_version="2.3").version == "2.3"  # the mapping's fallback field


def test_temporal_resolution() -> None:
    dataset, graph = example(FULL)
    assert dataset.temporal_resolution == "PT15M"
    assert (subject(dataset), DCAT.temporalResolution, Literal("PT15M", datatype=XSD.duration)) in graph
    assert legacy(temporal_resolution=["P1D"]).temporal_resolution == "P1D"
    assert legacy(temporal_resolution="daily").temporal_resolution is None  # not an xsd:duration


def test_spatial_resolution_in_meters() -> None:
    dataset, graph = example(FULL)
    assert dataset.spatial_resolution_m == 1.5
    assert float(graph.value(subject(dataset), DCAT.spatialResolutionInMeters)) == 1.5
    assert legacy(spatial_resolution_in_meters=["25"]).spatial_resolution_m == 25.0


def test_is_referenced_by() -> None:
    dataset, graph = example(FULL)
    assert dataset.is_referenced_by == ["https://doi.org/10.1038/sdata.2018.22", "test_isreferencedby"]
    assert (subject(dataset), DCTERMS.isReferencedBy, URIRef("https://doi.org/10.1038/sdata.2018.22")) in graph


def test_applicable_legislation() -> None:
    dataset, graph = example(FULL)
    assert dataset.applicable_legislation == ["http://data.europa.eu/eli/reg_impl/2023/138/oj",
                                              "http://data.europa.eu/eli/reg_impl/2023/138/oj_alt"]
    assert (subject(dataset), DCATAP.applicableLegislation,
            URIRef("http://data.europa.eu/eli/reg_impl/2023/138/oj")) in graph


def test_hvd_category() -> None:
    uri = "http://data.europa.eu/bna/c_dd313021"
    dataset = legacy(hvd_category=[uri], applicable_legislation=["http://data.europa.eu/eli/reg_impl/2023/138/oj"])
    assert dataset.hvd_categories == [uri]
    graph = Graph()
    for triple in rdf.triples(dataset):
        graph.add(triple)
    assert (subject(dataset), DCATAP.hvdCategory, URIRef(uri)) in graph
    assert legacy(hvd_category="c_e1da4e07").hvd_categories == ["http://data.europa.eu/bna/c_e1da4e07"]  # bare code


def test_spatial_coverage_list_bbox_geometry_and_geonames_uri() -> None:
    dataset, graph = example(FULL)
    [place] = dataset.spatial
    assert place.uri == "https://sws.geonames.org/6361390/" and place.label == "Tarragona"
    assert place.geometry is not None and place.geometry["type"] == "Polygon"
    assert place.bbox == (-2.1604, 42.7611, -2.0938, 42.7931)  # the bbox object, not the geometry's extent
    location = URIRef("https://sws.geonames.org/6361390/")
    assert (subject(dataset), DCTERMS.spatial, location) in graph
    assert graph.value(location, DCAT.bbox) is not None
    several = legacy(spatial_coverage=[{"uri": "https://sws.geonames.org/2988507/", "text": "Paris"},
                                       {"centroid": {"type": "Point", "coordinates": [4.85, 45.75]}}])
    assert [s.uri for s in several.spatial] == ["https://sws.geonames.org/2988507/", None]
    assert several.spatial[1].bbox == (4.85, 45.75, 4.85, 45.75)


# -- resource rows ---------------------------------------------------------------------------------------------------


def test_resource_license_is_the_distributions_own() -> None:
    dataset, graph = example(FULL)
    [dist] = dataset.distributions
    assert dist.licence == EU + "licence/CC_BY_3_0"
    assert (distribution(graph, dataset), DCTERMS.license, URIRef(EU + "licence/CC_BY_3_0")) in graph
    assert example(VOCABULARIES)[0].distributions[0].licence == EU + "licence/CC_BYNC_4_0"


def test_resource_status() -> None:
    dataset, graph = example(FULL)
    status = EU + "distribution-status/COMPLETED"  # ADMS Completed, as DCAT-AP 3 names it
    assert dataset.distributions[0].status == status
    assert (distribution(graph, dataset), ADMS.status, URIRef(status)) in graph


def test_resource_compress_format() -> None:
    dataset, graph = example(FULL)
    gzip = "https://www.iana.org/assignments/media-types/application/gzip"
    assert dataset.distributions[0].compress_format == gzip
    assert (distribution(graph, dataset), DCAT.compressFormat, URIRef(gzip)) in graph


def test_resource_documentation_conforms_to_and_resolutions() -> None:
    resource = {"url": "https://example.com/a.csv", "format": "CSV", "documentation": ["https://example.com/doc"],
                "conforms_to": ["https://schema.data.gouv.fr/etalab/schema-irve-statique/2.3.0/schema.json"],
                "temporal_resolution": "P1M", "spatial_resolution_in_meters": 10}
    dataset = normalised({"id": "r1", "name": "r1", "title": "Bornes", "resources": [resource]})
    [dist] = dataset.distributions
    assert dist.documentation == ["https://example.com/doc"] and dist.conforms_to == resource["conforms_to"]
    assert (dist.temporal_resolution, dist.spatial_resolution_m) == ("P1M", 10.0)
    vocabularies = example(VOCABULARIES)[0].distributions[0]
    assert len(vocabularies.conforms_to) == 2


def test_resource_access_services() -> None:
    dataset, graph = example(FULL)
    service = dataset.distributions[0].access_service
    assert service is not None and service.title == "Access Service 1"
    assert service.endpoint_url == "https://example.org/access_service/1"
    assert service.endpoint_description == "https://example.org/endpoint_description"


@pytest.mark.parametrize("name", [FULL, VOCABULARIES])
def test_examples_validate_against_dcat_ap_3(name: str) -> None:
    from scoring.shacl import validate_entries

    dataset, _ = example(name)
    report = validate_entries([dataset])[dataset.id]
    real = [(v.path, v.message) for v in report.violations if v.severity == "violation" and not v.external_reference]
    assert report.conforms_alone, real
