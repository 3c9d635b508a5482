"""DCAT-AP serialisation: what the model says must be read back from every format, typed as DCAT-AP 3 wants."""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS

from normalise import rdf
from normalise.model import (
    AccessService,
    Agent,
    ContactPoint,
    DataService,
    Dataset,
    Distribution,
    PeriodOfTime,
    Spatial,
)

# a plain namespace: pytest's collection probes module attributes, which rdflib's closed XSD warns about
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")

EU = "http://publications.europa.eu/resource/authority/"
ETALAB = "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
CSV = EU + "file-type/CSV"
CSV_MEDIA = "https://www.iana.org/assignments/media-types/text/csv"
PARSERS = {"ttl": "turtle", "jsonld": "json-ld", "rdfxml": "xml", "nt": "nt"}


def velo(**changes: object) -> Dataset:
    dataset = Dataset(
        id="lyon.0123456789abcdef", source_id="lyon", native_id="velov",
        uri="https://data.grandlyon.com/dataset/velov",
        title="Stations Vélo'v", title_translations={"fr": "Stations Vélo'v", "en": "Velo'v stations"},
        description="Emplacement des stations.\nMise à jour \"quotidienne\"\x0b.",
        keywords=["vélo", "mobilité"],
        themes=[EU + "data-theme/TRAN"],
        publisher=Agent(name="Métropole de Lyon", siren="200046977",
                        type="http://purl.org/adms/publishertype/LocalAuthority"),
        contact_points=[ContactPoint(name="Équipe data", email="mailto:data@grandlyon.com", phone="04 78 00 00 00")],
        licence=ETALAB, licence_label="Licence Ouverte v2.0",
        access_rights=EU + "access-right/PUBLIC",
        spatial=[Spatial(label="Lyon", bbox=(4.77, 45.7, 4.9, 45.81),
                         geometry={"type": "Polygon", "coordinates": [[[4.77, 45.7], [4.9, 45.7], [4.9, 45.81],
                                                                       [4.77, 45.7]]]},
                         communes=["69123"], departements=["69"], regions=["84"])],
        temporal=[PeriodOfTime(start="2020-01-01", end="2024-12-31T23:59:59+01:00")],
        issued="2020-01-15", modified="2024-03-01T10:00:00",
        languages=[EU + "language/FRA"],
        landing_page="https://data.grandlyon.com/jeux-de-donnees/velov",
        identifiers=["velov-2020"],
        frequency=EU + "frequency/DAILY", version="2.1",
        distributions=[
            Distribution(title="Export CSV", download_url="https://download.data.grandlyon.com/velov.csv",
                         format=CSV, format_label="csv", media_type=CSV_MEDIA, byte_size=12345,
                         checksum="sha256:" + "ab" * 32),
            Distribution(title="Flux WMS", access_url="https://geo.grandlyon.com/wms?SERVICE=WMS&LAYERS=velo v",
                         format_label="OGC:WMS", licence_label="Licence maison",
                         access_service=AccessService(title="WMS Grand Lyon",
                                                      endpoint_url="https://geo.grandlyon.com/wms")),
        ],
    )
    return dataset.model_copy(update=changes)


def graph_of(entries: list[Dataset | DataService] | Dataset, fmt: str = "ttl", **kwargs: object) -> Graph:
    return Graph().parse(data=rdf.serialise(entries, fmt, **kwargs), format=PARSERS[fmt])  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "rdfxml", "nt"])
def test_round_trip_facts_in_every_format(fmt: str) -> None:
    g = graph_of(velo(), fmt)
    s = URIRef("https://data.grandlyon.com/dataset/velov")
    assert (s, RDF.type, DCAT.Dataset) in g
    assert set(g.objects(s, DCTERMS.title)) == {Literal("Stations Vélo'v", lang="fr"),
                                                Literal("Velo'v stations", lang="en")}
    assert (s, DCTERMS.license, URIRef(ETALAB)) in g
    assert (URIRef(ETALAB), RDF.type, DCTERMS.LicenseDocument) in g
    formats = {g.value(d, DCTERMS.format) for d in g.objects(s, DCAT.distribution)}
    assert URIRef(CSV) in formats
    labels = {str(g.value(f, RDFS.label)) for f in formats if isinstance(f, BNode)}
    assert labels == {"OGC:WMS"}  # an unmapped format keeps the source's words, on a typed node
    assert (URIRef(CSV), RDF.type, DCTERMS.MediaTypeOrExtent) in g
    assert (None, DCAT.mediaType, URIRef(CSV_MEDIA)) in g
    # the vertical tab of the description is gone (RDF/XML could not carry it), the newline and quotes are kept
    assert str(g.value(s, DCTERMS.description)) == "Emplacement des stations.\nMise à jour \"quotidienne\"."


def test_dates_typed_by_their_precision() -> None:
    g = graph_of(velo(issued="2020-01-15", modified="2024-03-01T10:00:00"))
    s = URIRef("https://data.grandlyon.com/dataset/velov")
    assert g.value(s, DCTERMS.issued).datatype == XSD.date
    assert g.value(s, DCTERMS.modified).datatype == XSD.dateTime
    period = g.value(s, DCTERMS.temporal)
    assert (period, RDF.type, DCTERMS.PeriodOfTime) in g
    assert g.value(period, DCAT.startDate) == Literal("2020-01-01", datatype=XSD.date)
    assert g.value(period, DCAT.endDate).datatype == XSD.dateTime
    assert rdf.date_literal("2021").datatype == XSD.gYear
    assert rdf.date_literal("2021-06").datatype == XSD.gYearMonth
    assert rdf.date_literal("2021-06-01 08:00:00").datatype == XSD.dateTime
    assert rdf.date_literal("mar, 10/12/2019 - 09:23") is None  # not a date: left out rather than mistyped
    g = graph_of(velo(issued="pas une date"))
    assert g.value(URIRef("https://data.grandlyon.com/dataset/velov"), DCTERMS.issued) is None


def test_agents_contacts_identifiers() -> None:
    g = graph_of(velo())
    s = URIRef("https://data.grandlyon.com/dataset/velov")
    publisher = g.value(s, DCTERMS.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in g
    assert g.value(publisher, FOAF.name) == Literal("Métropole de Lyon")
    assert g.value(publisher, DCTERMS.identifier) == Literal("200046977")
    ident = g.value(publisher, ADMS.identifier)
    assert (ident, RDF.type, ADMS.Identifier) in g and g.value(ident, SKOS.notation) == Literal("200046977")
    kind = g.value(publisher, DCTERMS.type)
    assert (kind, RDF.type, SKOS.Concept) in g and g.value(kind, SKOS.prefLabel) is not None
    contact = g.value(s, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in g
    assert g.value(contact, VCARD.hasEmail) == URIRef("mailto:data@grandlyon.com")
    assert g.value(contact, VCARD.hasTelephone) == URIRef("tel:0478000000")
    assert g.value(s, DCTERMS.identifier) == Literal("velov-2020")
    theme = g.value(s, DCAT.theme)
    assert (theme, RDF.type, SKOS.Concept) in g
    assert Literal("Transports", lang="fr") in set(g.objects(theme, SKOS.prefLabel))


def test_spatial_geometry_bbox_and_insee_codes() -> None:
    g = graph_of(velo())
    s = URIRef("https://data.grandlyon.com/dataset/velov")
    locations = list(g.objects(s, DCTERMS.spatial))
    main = next(loc for loc in locations if g.value(loc, DCAT.bbox) is not None)
    bbox = g.value(main, DCAT.bbox)
    assert bbox.datatype == GSP.wktLiteral
    assert str(bbox) == "POLYGON((4.77 45.7,4.9 45.7,4.9 45.81,4.77 45.81,4.77 45.7))"
    geometry = g.value(main, LOCN.geometry)
    assert (geometry, RDF.type, LOCN.Geometry) in g
    assert str(g.value(geometry, GSP.asWKT)).startswith("POLYGON((4.77 45.7,")
    igeo = Namespace("http://rdf.insee.fr/def/geo#")
    codes = {str(g.value(loc, igeo.codeINSEE)) for loc in locations if (loc, RDF.type, igeo.Commune) in g}
    assert codes == {"69123"}


def test_distribution_details() -> None:
    g = graph_of(velo())
    s = URIRef("https://data.grandlyon.com/dataset/velov")
    by_title = {str(g.value(d, DCTERMS.title)): d for d in g.objects(s, DCAT.distribution)}
    csv, wms = by_title["Export CSV"], by_title["Flux WMS"]
    # accessURL is mandatory: for a file, it is its download URL
    assert g.value(csv, DCAT.accessURL) == URIRef("https://download.data.grandlyon.com/velov.csv")
    assert g.value(csv, DCAT.byteSize) == Literal("12345", datatype=XSD.nonNegativeInteger)
    # DCAT-AP wants the licence on distributions: the dataset's applies where the distribution states none
    assert g.value(csv, DCTERMS.license) == URIRef(ETALAB)
    checksum = g.value(csv, SPDX.checksum)
    assert g.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    assert str(g.value(checksum, SPDX.checksumValue)) == "ab" * 32
    # an IRI with a space is percent-encoded, not dropped
    assert g.value(wms, DCAT.accessURL) == URIRef("https://geo.grandlyon.com/wms?SERVICE=WMS&LAYERS=velo%20v")
    service = g.value(wms, DCAT.accessService)
    assert (service, RDF.type, DCAT.DataService) in g
    assert g.value(service, DCAT.endpointURL) == URIRef("https://geo.grandlyon.com/wms")
    licence = g.value(wms, DCTERMS.license)
    assert (licence, RDF.type, DCTERMS.LicenseDocument) in g and str(g.value(licence, RDFS.label)) == "Licence maison"


def test_subjects_series_and_services() -> None:
    no_iri = velo(uri=None)
    assert rdf.entry_iri(no_iri, "https://moisson.example.fr/") == URIRef(
        "https://moisson.example.fr/datasets/lyon.0123456789abcdef")
    series = velo(type="series")
    g = graph_of(series)
    s = URIRef("https://data.grandlyon.com/dataset/velov")
    assert {DCAT.Dataset, DCAT.DatasetSeries} <= set(g.objects(s, RDF.type))
    service = DataService(id="geo.1", source_id="geo", native_id="wms", title="Service WMS",
                          endpoint_urls=["https://geo.example.fr/wms"], serves_datasets=["lyon.0123456789abcdef"])
    g = graph_of(service, base="https://moisson.example.fr")
    s = URIRef("https://moisson.example.fr/datasets/geo.1")
    assert (s, RDF.type, DCAT.DataService) in g
    assert g.value(s, DCAT.endpointURL) == URIRef("https://geo.example.fr/wms")
    assert g.value(s, DCAT.servesDataset) == URIRef("https://moisson.example.fr/datasets/lyon.0123456789abcdef")


def test_base_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOISSON_BASE_URL", "https://moisson.gouv.example/")
    assert rdf.entry_iri(velo(uri=None)) == URIRef("https://moisson.gouv.example/datasets/lyon.0123456789abcdef")


def test_same_source_iri_twice_stays_two_resources() -> None:
    """A dataset harvested from two portals must not merge into one node with two titles."""
    a = velo()
    b = velo(id="metro.0000000000000001", source_id="metro", title="Vélo'v (copie)", title_translations={})
    g = graph_of([a, b], catalog=rdf.CatalogInfo())
    titled = {s for s in g.subjects(RDF.type, DCAT.Dataset)}
    assert len(titled) == 2
    assert len(list(g.objects(None, DCAT.dataset))) == 2


@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "rdfxml", "nt"])
def test_pretty_flat_and_streamed_outputs_say_the_same(fmt: str) -> None:
    entries = [velo(), velo(id="lyon.2", uri=None, title="Autre jeu"),
               DataService(id="geo.1", source_id="geo", native_id="wms", title="WMS",
                           endpoint_urls=["https://geo.example.fr/wms"])]
    info = rdf.CatalogInfo(modified="2026-01-01")
    pretty = Graph().parse(data=rdf.serialise(entries, fmt, catalog=info), format=PARSERS[fmt])
    flat = Graph().parse(data=rdf.serialise(entries, fmt, catalog=info, pretty=False), format=PARSERS[fmt])
    chunks = list(rdf.iter_serialise(entries, fmt, catalog=info, batch=1))
    streamed = Graph().parse(data=b"".join(chunks), format=PARSERS[fmt])
    assert len(chunks) >= 4  # opened, one chunk per record, catalog, closed
    assert len(pretty) > 100
    assert isomorphic(pretty, flat) and isomorphic(pretty, streamed)
    catalog = URIRef("http://localhost:8000/api/catalog")
    assert len(list(streamed.objects(catalog, DCAT.dataset))) == 2
    assert len(list(streamed.objects(catalog, DCAT.service))) == 1


def test_stream_of_many_records_has_each_once() -> None:
    entries = [velo(id=f"lyon.{i:04d}", uri=None, title=f"Jeu {i}", distributions=[]) for i in range(23)]
    data = b"".join(rdf.iter_serialise(entries, "ttl", catalog=rdf.CatalogInfo(), batch=5))
    g = Graph().parse(data=data, format="turtle")
    assert len(set(g.subjects(RDF.type, DCAT.Dataset))) == 23
    assert len(set(g.objects(URIRef("http://localhost:8000/api/catalog"), DCAT.dataset))) == 23


def test_hydra_view() -> None:
    catalog, view = URIRef("https://m.example/api/catalog"), URIRef("https://m.example/api/catalog?page_size=2")
    g = Graph().parse(data=rdf.render(rdf.hydra_triples(catalog, view, 5, first=str(view), next=str(view) + "&x",
                                                        last=str(view) + "&y"), "ttl"), format="turtle")
    assert g.value(catalog, HYDRA.totalItems).toPython() == 5
    assert (view, RDF.type, HYDRA.PartialCollectionView) in g
    assert g.value(view, HYDRA.next) == URIRef("https://m.example/api/catalog?page_size=2&x")


def test_format_names_and_media_types() -> None:
    assert rdf.format_name("TTL") == "turtle" and rdf.format_name("application/ld+json") == "json-ld"
    assert rdf.format_name("rdfxml") == "xml" and rdf.media_type("nt") == "application/n-triples"
    with pytest.raises(ValueError, match="unknown RDF format"):
        rdf.format_name("csv")


def test_geojson_to_wkt() -> None:
    assert rdf.geojson_to_wkt({"type": "Point", "coordinates": [4.8, 45.7]}) == "POINT(4.8 45.7)"
    multi = {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]]]}
    assert rdf.geojson_to_wkt(multi) == "MULTIPOLYGON(((0 0,1 0,1 1,0 0)))"
    assert rdf.geojson_to_wkt({"type": "Polygon"}) is None
    assert rdf.geojson_to_wkt({"type": "Circle", "coordinates": [0, 0]}) is None


def test_a_category_keeps_the_label_its_source_gave() -> None:
    """A concept of another scheme (GEMET here) is labelled with the source's words, not a label made of its IRI."""
    gemet = "http://www.eionet.europa.eu/gemet/concept/6490"
    graph = Graph().parse(data=rdf.serialise(velo(categories=[gemet], category_labels={gemet: "Pistes cyclables"}),
                                             "nt"), format="nt")
    assert set(graph.objects(URIRef(gemet), SKOS.prefLabel)) == {Literal("Pistes cyclables")}
