"""The HTTP API over a real store and a real index: search and facets, records by content negotiation, sources and
jobs, the Hydra-paged catalog walked to its end, and the OpenAPI document."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF

from api.app import create_app
from api.routes import catalog as catalog_route
from index import close_indexes, sync_index
from index.search import FACETS
from index.store import JobCounts, Store
from kernel.config import SourceConfig
from kernel.records import RecordError
from normalise.model import Agent, DataService, Dataset, Distribution, Spatial
from scoring import shacl

DCAT = Namespace("http://www.w3.org/ns/dcat#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU = "http://publications.europa.eu/resource/authority/"
ETALAB = "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
ODBL = "http://opendatacommons.org/licenses/odbl/1-0/"
THEMES = {"ENVI": EU + "data-theme/ENVI", "TRAN": EU + "data-theme/TRAN", "ENER": EU + "data-theme/ENER"}
BASE = "https://moisson.test"


def build_records() -> list[Dataset | DataService]:
    """27 records from two sources with known themes, formats, licences, places and dates."""
    records: list[Dataset | DataService] = []
    for i in range(24):
        theme = ("ENVI", "TRAN", "ENER")[i % 3]
        lyon = i % 2 == 0
        records.append(Dataset(
            id=f"{'lyon' if lyon else 'nantes'}.{i:016x}", source_id="lyon" if lyon else "nantes", native_id=f"n{i}",
            uri=f"https://data.example.fr/dataset/{i}" if i % 4 == 0 else None,
            title=f"{'Qualité de l’air' if theme == 'ENVI' else 'Stations vélo' if theme == 'TRAN' else 'Énergie'}"
                  f" {i}",
            description="Mesures et inventaires publiés par la collectivité.",
            keywords=["environnement"] if theme == "ENVI" else ["mobilité"],
            themes=[THEMES[theme]],
            publisher=Agent(name="Métropole de Lyon" if lyon else "Nantes Métropole"),
            licence=ETALAB if i % 4 != 3 else ODBL,
            spatial=[Spatial(bbox=(4.7, 45.6, 5.0, 45.9), departements=["69"], regions=["84"])] if lyon else
                    [Spatial(bbox=(-1.7, 47.1, -1.4, 47.3), departements=["44"], regions=["52"])],
            modified=f"2024-{(i % 12) + 1:02d}-15",
            distributions=[Distribution(download_url=f"https://data.example.fr/{i}.csv",
                                        format=EU + "file-type/CSV", title="CSV")]
                          + ([Distribution(download_url=f"https://data.example.fr/{i}.json",
                                           format=EU + "file-type/JSON", title="JSON")] if i % 3 == 0 else []),
        ))
    records.append(DataService(id="lyon.service0000000001", source_id="lyon", native_id="wms",
                               title="Service WMS de la métropole", endpoint_urls=["https://geo.example.fr/wms"],
                               themes=[THEMES["ENVI"]]))
    records.append(Dataset(id="lyon.gone000000000001", source_id="lyon", native_id="gone", title="Jeu retiré",
                           description="Il a disparu de sa source."))
    records.append(Dataset(id="nantes.minimal00000001", source_id="nantes", native_id="min",
                           title="Jeu minimal énergie"))
    return records


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Store, dict[str, int]]]:
    path = tmp_path_factory.mktemp("api") / "moisson.db"
    app = create_app(path, base_url=BASE)
    store: Store = app.state.store
    store.sync_sources([SourceConfig(id="lyon", type="ckan", url="https://data.example.fr"),
                        SourceConfig(id="nantes", type="dcat", url="https://nantes.example.fr/catalog.ttl",
                                     schedule="0 3 * * *")])
    jobs = {}
    for source in ("lyon", "nantes"):
        job = store.start_job(source, "full")
        with store.transaction():
            for entry in build_records():
                if entry.source_id == source:
                    store.upsert_entry(entry, entry.native_id, job)
        if source == "nantes":
            store.add_job_error(job, RecordError("not valid JSON: unexpected end", "broken-1", "https://x/1"))
        store.finish_job(job, "partial" if source == "nantes" else "succeeded", JobCounts(new=14, failed=1))
        jobs[source] = job
    second = store.start_job("lyon", "full")  # the record "gone" is no longer at its source
    with store.transaction():
        for entry in build_records():
            if entry.source_id == "lyon" and entry.native_id != "gone":
                store.upsert_entry(entry, entry.native_id, second)
    store.withdraw_unseen("lyon", second)
    store.finish_job(second, "succeeded", JobCounts(unchanged=13, withdrawn=1))
    jobs["lyon-second"] = second
    sync_index(store)
    with TestClient(app) as client:
        yield client, store, jobs
    close_indexes()
    store.close()


def expected(predicate) -> set[str]:  # noqa: ANN001 - a filter on the records built above
    return {e.id for e in build_records() if e.id != "lyon.gone000000000001" and predicate(e)}


# -- search -------------------------------------------------------------------------------------------------------


def test_search_finds_and_counts_facets(api: tuple[TestClient, Store, dict[str, int]]) -> None:
    client, _, _ = api
    body = client.get("/api/datasets", params={"q": "energie", "page_size": 50}).json()
    ids = {hit["id"] for hit in body["hits"]}
    assert ids == expected(lambda e: "nergie" in e.title)  # accents folded: "energie" finds "Énergie"
    assert body["total"] == len(ids) == 9
    assert all(hit["url"] == f"{BASE}/api/datasets/{hit['id']}" for hit in body["hits"])

    everything = client.get("/api/datasets", params={"page_size": 0}).json()
    assert everything["total"] == 26 and everything["hits"] == []  # the withdrawn record is not searchable
    assert everything["facets_exact"] is True  # a small catalogue: counted, not sampled
    themes = {f["value"]: f["count"] for f in everything["facets"]["theme"]}
    assert themes == {"ENVI": 9, "TRAN": 8, "ENER": 8}
    sources = {f["value"]: f["count"] for f in everything["facets"]["source"]}
    assert sources == {"lyon": 13, "nantes": 13}
    formats = {f["value"]: f["count"] for f in everything["facets"]["format"]}
    assert formats == {"CSV": 24, "JSON": 8}
    assert set(everything["facets"]) >= {"publisher", "licence", "departement", "region", "keyword", "kind"}


def test_filters_or_within_a_facet_and_across_facets(api: tuple[TestClient, Store, dict[str, int]]) -> None:
    client, _, _ = api
    one = client.get("/api/datasets", params={"theme": "TRAN", "page_size": 50}).json()
    assert {h["id"] for h in one["hits"]} == expected(lambda e: THEMES["TRAN"] in e.themes)
    either = client.get("/api/datasets", params=[("theme", "TRAN"), ("theme", "ENER"), ("page_size", "50")]).json()
    assert either["total"] == 16
    both = client.get("/api/datasets", params={"theme": "TRAN", "source": "lyon", "page_size": 50}).json()
    assert {h["id"] for h in both["hits"]} == expected(lambda e: THEMES["TRAN"] in e.themes and e.source_id == "lyon")
    # a facet's counts ignore its own filter but follow the others
    facets = {f["value"]: f["count"] for f in both["facets"]["theme"]}
    assert facets == {"ENVI": 5, "TRAN": 4, "ENER": 4}
    by_uri = client.get("/api/datasets", params={"licence": ODBL, "page_size": 50}).json()
    assert by_uri["total"] == 6  # a filter given as the licence URI works like its code


def test_a_client_chooses_the_facets_it_pays_for(api: tuple[TestClient, Store, dict[str, int]]) -> None:
    """``facets`` names the facets to count (the same counts as when all are counted), ``none`` counts none, and
    ``facet_size`` cuts each list to its most frequent values; a name that is not a facet is a 400, not less data."""
    client, _, _ = api
    everything = client.get("/api/datasets", params={"page_size": 0}).json()
    some = client.get("/api/datasets", params={"page_size": 0, "facets": "theme, format,theme"}).json()
    assert list(some["facets"]) == ["theme", "format"]
    assert some["facets"] == {name: everything["facets"][name] for name in ("theme", "format")}
    assert some["total"] == everything["total"] == 26
    bare = client.get("/api/datasets", params={"q": "energie", "facets": "none"}).json()
    assert bare["facets"] == {} and bare["total"] == 9 and len(bare["hits"]) == 9
    top = client.get("/api/datasets", params={"page_size": 0, "facets": "theme", "facet_size": 1}).json()
    assert top["facets"]["theme"] == [{"value": "ENVI", "count": 9}]
    for wrong in ({"facets": "themes"}, {"facets": ","}, {"facets": "theme,none"}):
        answer = client.get("/api/datasets", params=wrong)
        assert answer.status_code == 400 and "facet names among source, publisher" in answer.json()["detail"], wrong
    for wrong in ({"facet_size": 0}, {"facet_size": 101}, {"facet_size": "many"}):
        assert client.get("/api/datasets", params=wrong).status_code == 422, wrong


def test_bbox_sort_and_paging(api: tuple[TestClient, Store, dict[str, int]]) -> None:
    client, _, _ = api
    nantes = client.get("/api/datasets", params={"bbox": "-2,47,-1,47.5", "page_size": 50}).json()
    assert {h["id"] for h in nantes["hits"]} == expected(lambda e: e.source_id == "nantes" and e.spatial)
    newest = client.get("/api/datasets", params={"sort": "-modified", "page_size": 50, "kind": "dataset"}).json()
    dates = [h["modified"] for h in newest["hits"] if h["modified"]]
    assert dates == sorted(dates, reverse=True) and len(dates) == 24
    pages = [client.get("/api/datasets", params={"sort": "title", "page": p, "page_size": 10}).json()
             for p in (1, 2, 3)]
    seen = [h["id"] for page in pages for h in page["hits"]]
    assert len(seen) == len(set(seen)) == 26
    assert all(page["total"] == 26 for page in pages)


@pytest.mark.parametrize(("params", "words"), [
    ({"page_size": "500"}, "less than or equal to 100"),
    ({"page": "0"}, "greater than or equal to 1"),
    ({"sort": "random"}, "relevance"),
    ({"themes": "ENVI"}, "Extra inputs are not permitted"),
])
def test_bad_parameters_are_clear_422s(api: tuple[TestClient, Store, dict[str, int]], params: dict[str, str],
                                       words: str) -> None:
    client, _, _ = api
    response = client.get("/api/datasets", params=params)
    assert response.status_code == 422
    assert words in response.text


@pytest.mark.parametrize(("params", "words"), [
    ({"bbox": "1,2,3"}, "four numbers"),
    ({"bbox": "5,45,4,46"}, "west <= east"),
    ({"bbox": "0,95,1,96"}, "WGS84"),
    ({"bbox": "nan,1,2,3"}, "finite"),
    ({"page": "200", "page_size": "100"}, "may not exceed"),
    ({"page": "9223372036854775807"}, "may not exceed"),
    ({"page": str(10**40), "page_size": "0"}, "may not exceed"),
    ({"q": "(" * 3000 + "a" + ")" * 3000}, "at most 1000"),
    ({"q": "(" * 10 + "a" + ")" * 10}, "nested more than"),
    ({"q": " ".join(f"w{i}" for i in range(40))}, "at most 32"),
    ({"theme": [f"T{i}" for i in range(21)]}, "at most 20 values per facet"),
    ({"theme": "x" * 201}, "over 200 characters"),
])
def test_searches_over_a_limit_are_clear_400s(api: tuple[TestClient, Store, dict[str, int]], params: dict[str, str],
                                              words: str) -> None:
    """Finding 1 through the API (the process used to die) and the search limits (issue 13): a 400 saying which."""
    client, _, _ = api
    response = client.get("/api/datasets", params=params)
    assert response.status_code == 400, response.text
    assert words in response.json()["detail"]


def test_the_66_kb_many_filters_request_is_refused_at_once(api: tuple[TestClient, Store, dict[str, int]]) -> None:
    """Finding 2: hundreds of values for each of the 11 facets (a 66 KB URL) took 10 s of engine time; it is now
    refused before anything parses it (414), and a shorter one over the filter limits before the engine sees it
    (400). How plain searches fare beside such requests is a bench line (bench/search_load.py)."""
    client, _, _ = api
    params = [(name, f"{name}-value-{i:04d}") for name in FACETS for i in range(200)]
    assert len(urlencode(params)) > 50_000
    response = client.get("/api/datasets", params=params)
    assert response.status_code == 414 and "over 32768 bytes" in response.json()["detail"]
    response = client.get("/api/datasets", params=params[:300])
    assert response.status_code == 400 and "values per facet" in response.json()["detail"]


@pytest.mark.parametrize("path", [
    "/api/jobs/9223372036854775808", "/api/jobs/-9223372036854775809", f"/api/jobs/{10**30}",
    "/api/catalog?page=9223372036854775807", "/api/catalog?page=9223372036854775807&page_size=1000",
"/api/datasets/lyon.0000000000000000/diff?from=9223372036854775808",
    "/search?page=9223372036854775808",
])
def test_huge_integers_are_refused_not_a_500(api: tuple[TestClient, Store, dict[str, int]], path: str) -> None:
    """Finding 3: SQLite raised OverflowError on integers beyond 64 bits, which the API answered with a 500."""
    client, _, _ = api
    client.raise_server_exceptions = False
    try:
        response = client.get(path)
    finally:
        client.raise_server_exceptions = True
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])


def test_search_page_over_a_limit_says_so_in_french(api: tuple[TestClient, Store, dict[str, int]]) -> None:
    client, _, _ = api
    response = client.get("/search", params={"q": "(" * 400 + "eau" + ")" * 400})
    assert response.status_code == 400
    assert "imbrique plus de 4 niveaux de parenthèses" in response.text and "<form" in response.text


# -- one record ---------------------------------------------------------------------------------------------------


def test_record_as_json_with_meta(api: tuple[TestClient, Store, dict[str, int]]) -> None:
    client, _, _ = api
    response = client.get("/api/datasets/lyon.0000000000000000")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["title"] == "Qualité de l’air 0" and body["licence"] == ETALAB
    assert body["meta"]["source"] == "lyon" and body["meta"]["status"] == "active" and body["meta"]["version"] == 1
    assert body["meta"]["formats"]["ttl"] == f"{BASE}/api/datasets/lyon.0000000000000000?format=ttl"
    gone = client.get("/api/datasets/lyon.gone000000000001").json()
    assert gone["meta"]["status"] == "withdrawn" and gone["meta"]["version"] == 2 and gone["meta"]["withdrawn_at"]


@pytest.mark.parametrize(("accept", "media", "parser"), [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("text/html;q=0.9, text/turtle;q=0.5, application/ld+json", "application/ld+json", "json-ld"),
    ("application/*", "application/json", None),
    ("*/*", "application/json", None),
])
def test_content_negotiation(api: tuple[TestClient, Store, dict[str, int]], accept: str, media: str,
                             parser: str | None) -> None:
    client, _, _ = api
    response = client.get("/api/datasets/lyon.0000000000000000", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    assert response.headers["vary"] == "Accept"
    if parser is None:
        assert response.json()["id"] == "lyon.0000000000000000"
        return
    g = Graph().parse(data=response.content, format=parser)
    subject = URIRef("https://data.example.fr/dataset/0")  # the source's own IRI
    assert (subject, RDF.type, DCAT.Dataset) in g
    assert g.value(subject, DCTERMS.title) == Literal("Qualité de l’air 0")
    assert (subject, DCTERMS.license, URIRef(ETALAB)) in g
    formats = {g.value(d, DCTERMS["format"]) for d in g.objects(subject, DCAT.distribution)}
    assert formats == {URIRef(EU + "file-type/CSV"), URIRef(EU + "file-type/JSON")}


def test_format_parameter_and_moisson_iris(api: tuple[TestClient, Store, dict[str, int]]) -> None:
    client, _, _ = api
    response = client.get("/api/datasets/nantes.0000000000000001", params={"format": "ttl"},
                          headers={"Accept": "application/json"})
    assert response.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=response.content, format="turtle")
    assert (URIRef(f"{BASE}/datasets/nantes.0000000000000001"), RDF.type, DCAT.Dataset) in g
    redirect = client.get("/datasets/nantes.0000000000000001", follow_redirects=False)
    assert redirect.status_code == 303 and redirect.headers["location"] == "/api/datasets/nantes.0000000000000001"
    assert client.get("/datasets/nantes.0000000000000001").json()["id"] == "nantes.0000000000000001"
    assert client.get("/api/datasets/nantes.0000000000000001", params={"format": "csv"}).status_code == 422


def test_conditional_get(api: tuple[TestClient, Store, dict[str, int]]) -> None:
    client, _, _ = api
    for url, headers in (("/api/datasets/lyon.0000000000000000", {"Accept": "text/turtle"}),
                         ("/api/catalog?page_size=5", {})):
        first = client.get(url, headers=headers)
        etag = first.headers["etag"]
        again = client.get(url, headers={**headers, "If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert client.get(url, headers={**headers, "If-None-Match": '"other"'}).status_code == 200
    turtle = client.get("/api/datasets/lyon.0000000000000000", headers={"Accept": "text/turtle"}).headers["etag"]
    json = client.get("/api/datasets/lyon.0000000000000000").headers["etag"]
    assert turtle != json  # one ETag per representation


def test_unknown_and_unacceptable(api: tuple[TestClient, Store, dict[str, int]]) -> None:
    client, _, _ = api
    missing = client.get("/api/datasets/lyon.ffffffffffffffff")
    assert missing.status_code == 404 and "no dataset with id 'lyon.ffffffffffffffff'" in missing.json()["detail"]
    refused = client.get("/api/datasets/lyon.0000000000000000", headers={"Accept": "text/csv"})
    assert refused.status_code == 406 and "text/turtle" in refused.json()["detail"]
    assert client.get("/api/sources/nowhere").status_code == 404
    assert client.get("/api/sources/nowhere/jobs").status_code == 404
    assert "no job 999" in client.get("/api/jobs/999").json()["detail"]


# -- sources and jobs ---------------------------------------------------------------------------------------------


def test_sources_and_jobs(api: tuple[TestClient, Store, dict[str, int]]) -> None:
    client, _, jobs = api
    sources = {s["id"]: s for s in client.get("/api/sources").json()}
    assert set(sources) == {"lyon", "nantes"}
    assert sources["lyon"]["records"] == 13 and sources["nantes"]["records"] == 13
    assert sources["lyon"]["last_job"]["id"] == jobs["lyon-second"]
    assert sources["lyon"]["last_job"]["withdrawn"] == 1
    detail = client.get("/api/sources/nantes").json()
    assert detail["schedule"] == "0 3 * * *" and detail["type"] == "dcat"
    log = client.get("/api/sources/lyon/jobs").json()
    assert [j["id"] for j in log] == [jobs["lyon-second"], jobs["lyon"]]
    job = client.get(f"/api/jobs/{jobs['nantes']}").json()
    assert job["status"] == "partial" and job["failed"] == 1
    assert job["errors"] == [{"native_id": "broken-1", "url": "https://x/1", "reason": "not valid JSON: unexpected end",
                              "at": job["errors"][0]["at"]}]


# -- the catalog --------------------------------------------------------------------------------------------------


def _walk(client: TestClient, first: str, fmt: str, accept: str | None = None) -> tuple[list[Graph], list[str]]:
    pages, urls, url = [], [], first
    while url:
        assert url not in urls, "a next link pointed back"
        urls.append(url)
        response = client.get(url, headers={"Accept": accept} if accept else {})
        assert response.status_code == 200
        g = Graph().parse(data=response.content, format=fmt)
        pages.append(g)
        view = next(g.subjects(RDF.type, HYDRA.PartialCollectionView))
        following = g.value(view, HYDRA.next)
        url = str(following) if following is not None else None
    return pages, urls


@pytest.mark.parametrize(("accept", "parser"), [("text/turtle", "turtle"), (None, "json-ld"),
                                                ("application/rdf+xml", "xml"), ("application/n-triples", "nt")])
def test_catalog_pages_cover_every_record_once(api: tuple[TestClient, Store, dict[str, int]], accept: str | None,
                                               parser: str) -> None:
    client, _, _ = api
    pages, urls = _walk(client, f"{BASE}/api/catalog?page_size=7", parser, accept)
    assert len(pages) == 4  # 26 active records, 7 per page
    catalog = URIRef(f"{BASE}/api/catalog")
    members = Counter(str(m) for g in pages for m in [*g.objects(catalog, DCAT.dataset),
                                                      *g.objects(catalog, DCAT.service)])
    assert all(n == 1 for n in members.values())
    assert len(members) == 26
    assert f"{BASE}/datasets/lyon.gone000000000001" not in members
    for g in pages:
        assert g.value(catalog, HYDRA.totalItems).toPython() == 26
        assert (catalog, RDF.type, DCAT.Catalog) in g and g.value(catalog, DCTERMS.title) is not None
        view = next(g.subjects(RDF.type, HYDRA.PartialCollectionView))
        assert str(g.value(view, HYDRA.first)) == f"{BASE}/api/catalog?page_size=7"
    if parser == "turtle":  # the pages together are DCAT-AP: only the record lacking a description fails
        report = shacl.validate_graph(sum(pages, Graph()))
        assert {(v.focus, v.path) for v in report.violations} == {
            (f"{BASE}/datasets/nantes.minimal00000001", "dct:description")}
    last_link = str(next(pages[0].objects(None, HYDRA.last)))
    assert last_link == urls[-1]  # the last link is the page the next links end on
    assert parse_qs(urlsplit(urls[1]).query)["after"]


def test_cycle_collector_paused_while_pages_are_built_and_back_after() -> None:
    assert gc.isenabled()
    with catalog_route.cycle_collection_paused():
        assert not gc.isenabled()
        with catalog_route.cycle_collection_paused():  # two pages built at once, by two threads
            assert not gc.isenabled()
        assert not gc.isenabled()  # the first page is not done yet
    assert gc.isenabled()
    gc.disable()  # a process that runs without the collector keeps it off
    try:
        with catalog_route.cycle_collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_catalog_page_numbers_match_the_cursor(api: tuple[TestClient, Store, dict[str, int]]) -> None:
    client, _, _ = api
    by_page = Graph().parse(data=client.get("/api/catalog", params={"page": 2, "page_size": 7, "format": "nt"}).content,
                            format="nt")
    first = Graph().parse(data=client.get("/api/catalog", params={"page_size": 7, "format": "nt"}).content,
                          format="nt")
    next_url = str(next(first.objects(None, HYDRA.next)))
    assert "format=nt" in next_url  # links keep the format asked for
    by_cursor = Graph().parse(data=client.get(next_url).content, format="nt")
    catalog = URIRef(f"{BASE}/api/catalog")
    assert set(by_page.objects(catalog, DCAT.dataset)) == set(by_cursor.objects(catalog, DCAT.dataset))
    assert client.get("/api/catalog", params={"page_size": 5000}).status_code == 422
    assert client.get("/api/catalog", headers={"Accept": "text/csv"}).status_code == 406


# -- documentation and pages --------------------------------------------------------------------------------------


def test_openapi_documents_every_route(api: tuple[TestClient, Store, dict[str, int]]) -> None:
    client, _, _ = api
    schema = client.get("/openapi.json").json()
    routes = set(_documented_paths(client.app.routes))  # type: ignore[attr-defined]
    assert {"/api/datasets", "/api/datasets/{record_id}", "/api/sources", "/api/sources/{source_id}",
            "/api/sources/{source_id}/jobs", "/api/jobs/{job_id}", "/api/catalog"} <= routes
    assert routes <= set(schema["paths"])
    params = {p["name"] for p in schema["paths"]["/api/datasets"]["get"]["parameters"]}
    assert {"q", "page", "page_size", "sort", "bbox", "theme", "format", "departement", "schema"} <= params
    record = schema["paths"]["/api/datasets/{record_id}"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/turtle", "application/ld+json", "application/rdf+xml"} <= set(record)
    assert "SearchResponse" in schema["components"]["schemas"]
    assert client.get("/docs").status_code == 200


def _documented_paths(routes: list) -> Iterator[str]:
    """Paths of every route meant for the schema, through included routers (FastAPI nests them)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _documented_paths(route.original_router.routes)
        elif getattr(route, "include_in_schema", False):
            yield route.path


def test_landing_and_search_pages(api: tuple[TestClient, Store, dict[str, int]]) -> None:
    client, _, _ = api
    landing = client.get("/")
    assert landing.status_code == 200 and "text/html" in landing.headers["content-type"]
    for link in ("/docs", "/api/datasets", "/api/catalog"):
        assert f'href="{link}"' in landing.text
    assert "Rechercher parmi 26 jeux de données" in landing.text
    results = client.get("/search", params={"q": "vélo"})  # the first address of the search page, moved
    assert results.url.path == "/recherche"
    assert "Stations vélo 1" in results.text and "8 jeux de données" in results.text


def test_module_level_app_is_lazy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import api.app as module

    monkeypatch.setenv("MOISSON_DB", str(tmp_path / "lazy.db"))
    monkeypatch.delitem(module.__dict__, "app", raising=False)
    assert not (tmp_path / "lazy.db").exists()
    assert module.app.state.store.path == tmp_path / "lazy.db"
    monkeypatch.delitem(module.__dict__, "app")


# -- issue 16: the same API on the Elasticsearch backend --------------------------------------------------------


def test_the_api_answers_alike_on_elasticsearch(api: tuple[TestClient, Store, dict[str, int]], es_url: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The same store indexed into Elasticsearch (MOISSON_INDEX): /api/datasets gives the same totals, facet counts
    and hits, in the same order of values for a sort on a field."""
    from index.elasticsearch_index import ElasticsearchIndex
    from tests.index.conftest import drop_alias

    client, store, _ = api
    asked = [{"q": "energie"}, {"q": "données"}, {"q": "transport", "theme": "TRAN"}, {"sort": "title"},
             {"q": "-energie", "sort": "-modified"}, {"bbox": "4.7,45.6,5.0,45.9"}, {"licence": "ODBL", "page": 2,
                                                                                     "page_size": 5},
             {"q": "energie", "facets": "theme,source", "facet_size": 2}]
    embedded = [client.get("/api/datasets", params=params).json() for params in asked]
    location = f"{es_url}/api-{id(store)}"
    monkeypatch.setenv("MOISSON_INDEX", location)
    try:
        assert sync_index(store) == 27  # an empty index, a store that says "indexed": everything again
        for params, expected in zip(asked, embedded, strict=True):
            found = client.get("/api/datasets", params=params).json()
            assert (found["total"], found["facets"]) == (expected["total"], expected["facets"]), params
            if "sort" in params:  # the same values in the same order (records that tie may come in another order)
                key = params["sort"].lstrip("-")
                assert [h[key] for h in found["hits"]] == [h[key] for h in expected["hits"]], params
            else:
                assert {h["id"] for h in found["hits"]} == {h["id"] for h in expected["hits"]}, params
    finally:
        close_indexes()
        drop_alias(ElasticsearchIndex(location))


@pytest.mark.parametrize("backend", ["tantivy", "elasticsearch"])
def test_a_search_past_the_deadline_is_a_503(api: tuple[TestClient, Store, dict[str, int]], backend: str,
                                             request: pytest.FixtureRequest,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """index.search.SEARCH_DEADLINE on either backend: tantivy's facet threads all busy, or an Elasticsearch
    cluster that does not answer in time; the API says 503 with Retry-After, the search page says so in French."""
    import index.search as limits
    from index.elasticsearch_index import ElasticsearchIndex
    from tests.index.conftest import drop_alias, stalled_facet_pool
    from tests.index.es_proxy import running_proxy

    client, store, _ = api
    monkeypatch.setattr(limits, "SEARCH_DEADLINE", 0.5)
    with ExitStack() as stack:
        if backend == "tantivy":
            stalled = stalled_facet_pool
        else:
            es_url = request.getfixturevalue("es_url")
            proxy = stack.enter_context(running_proxy(es_url))
            alias = f"deadline-{id(store)}"
            stack.callback(lambda: drop_alias(ElasticsearchIndex(es_url, alias=alias)))
            stack.callback(close_indexes)
            monkeypatch.setenv("MOISSON_INDEX", f"{proxy.url()}/{alias}")
            assert sync_index(store) == 27
            stalled = proxy.holding_searches
        with stalled():
            answer = client.get("/api/datasets", params={"q": "vélo lent"})
            assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
            assert "not done within 0.5 s" in answer.json()["detail"]
            page = client.get("/recherche", params={"q": "vélo lent"})
            assert page.status_code == 503 and "Recherche trop chargée" in page.text
        assert client.get("/api/datasets", params={"q": "vélo lent"}).status_code == 200  # answered once free


def test_a_search_engine_that_is_down_is_a_503(api: tuple[TestClient, Store, dict[str, int]],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from demo.es_server import free_port

    client, _, _ = api
    monkeypatch.setenv("MOISSON_INDEX", f"http://127.0.0.1:{free_port()}")
    try:
        answer = client.get("/api/datasets", params={"q": "eau"})
        assert answer.status_code == 503 and answer.headers["retry-after"] == "30"
        assert "search is unavailable: Elasticsearch at http://127.0.0.1" in answer.json()["detail"]
        page = client.get("/search", params={"q": "eau"})
        assert page.status_code == 503 and "Recherche momentanément indisponible" in page.text
        assert client.get("/api/sources").status_code == 200  # what does not search keeps answering
    finally:
        close_indexes()
