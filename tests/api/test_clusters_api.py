"""Duplicates through the API, the CLI, the statistics, the obligation monitor and the export, on the three portals of
tests/index/cluster_portals.py (recorded real responses over loopback): each dataset once, its copies reachable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import OWL, RDF, SKOS, Graph, Namespace, URIRef
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli_app
from demo.server import PortalServer
from index import close_indexes
from index.obligations import compute
from index.stats import aggregate, top_datasets
from index.store import Store
from tests.index.cluster_portals import CANISPACES, COMMUNE_IRI, ThreePortals, record_of, three_portals, udata_id

DCAT = Namespace("http://www.w3.org/ns/dcat#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")


@pytest.fixture
def portals(server: PortalServer, fixtures: Path) -> ThreePortals:
    return three_portals(server, fixtures)


@pytest.fixture
def harvested(portals: ThreePortals, tmp_path: Path) -> Iterator[Path]:
    store = Store(tmp_path / "moisson.db")
    portals.harvest(store)
    store.close()
    yield tmp_path / "moisson.db"
    close_indexes()


@pytest.fixture
def client(harvested: Path) -> Iterator[TestClient]:
    with TestClient(create_app(harvested)) as test_client:
        yield test_client


def test_search_collapses_copies_and_lists_them(client: TestClient) -> None:
    one = client.get("/api/datasets", params={"q": "canispaces"}).json()
    assert one["total"] == 2 and one["collapse"] is True
    gap = next(h for h in one["hits"] if h["copies"])
    assert gap["source"] == "gap" and [c["source"] for c in gap["copies"]] == ["gap", "datasud", "udata"]
    assert gap["copies"][0]["landing_page"] == COMMUNE_IRI
    assert {f["value"]: f["count"] for f in one["facets"]["source"]} == {"datasud": 2, "gap": 1, "udata": 1}
    every = client.get("/api/datasets", params={"q": "canispaces", "collapse": "false"}).json()
    assert every["total"] == 4 and every["collapse"] is False
    assert client.get("/api/datasets", params={"collapse": "perhaps"}).status_code == 422


def test_a_record_lists_its_other_copies_and_its_cluster_explains(client: TestClient, harvested: Path) -> None:
    store = Store(harvested)
    datasud = record_of(store, "datasud", "Canispaces - Ville de Gap")
    gap = record_of(store, "gap", "Canispaces")
    record = client.get(f"/api/datasets/{datasud}").json()
    cluster = record["meta"]["cluster"]
    assert cluster["primary"] is False
    assert {c["source"] for c in cluster["other_copies"]} == {"gap", "udata"}
    assert cluster["url"].endswith(f"/api/clusters/{cluster['id']}")

    detail = client.get(f"/api/clusters/{cluster['id']}").json()
    assert detail["primary"] == gap and detail["size"] == 3 and detail["sources"] == ["datasud", "gap", "udata"]
    assert detail["records"][0]["record_id"] == gap and detail["records"][0]["primary"] is True
    assert any(f"datasud says it was harvested from {COMMUNE_IRI}" in line for line in detail["explanation"])
    assert all(link["signals"] for link in detail["links"])
    assert client.get("/api/clusters/cdoesnotexist").status_code == 404

    listing = client.get("/api/clusters", params={"source": "gap"}).json()
    assert [c["id"] for c in listing["clusters"]] == [cluster["id"]]
    shares = {s["source"]: s for s in listing["sources"]}
    assert shares["udata"]["copies"] == 7 and shares["gap"]["copy_share"] == 0
    assert listing["summary"]["datasets"] == listing["summary"]["records"] - 8
    store.close()


def test_the_catalog_describes_each_dataset_once_with_links_to_its_copies(client: TestClient,
                                                                           harvested: Path) -> None:
    store = Store(harvested)
    datasets = store.count() - 8  # 7 clusters: 8 copies besides their primaries
    graph = Graph().parse(data=client.get("/api/catalog", params={"page_size": 1000, "format": "nt"}).text,
                          format="nt")
    described = set(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(described) == datasets
    assert int(next(graph.objects(None, HYDRA.totalItems))) == datasets
    gap = URIRef(COMMUNE_IRI)
    same = {str(o) for o in graph.objects(gap, OWL.sameAs)}
    assert any(iri.endswith(f"/datasud/dataset/{CANISPACES}") for iri in same)  # DataSud's copy, its CKAN IRI
    assert any(iri.endswith("/udata/fr/datasets/canispaces-ville-de-gap/") for iri in same)  # data.gouv.fr's page
    assert len(same) == 2
    notations = {str(graph.value(node, SKOS.notation)) for node in graph.objects(gap, ADMS.identifier)}
    assert same <= notations
    store.close()


def test_moisson_duplicates_lists_clusters_evidence_and_shares(harvested: Path, tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text("sources: []\n")
    runner = CliRunner()
    result = runner.invoke(cli_app, ["--config", str(config), "--db", str(harvested), "duplicates", "gap"])
    assert result.exit_code == 0, result.output
    assert "3 records on 3 sources" in result.output
    assert f"datasud says it was harvested from {COMMUNE_IRI}" in result.output
    assert "gap carries the publisher's SIREN 210500617 as its own" in result.output
    assert "copies per source" in result.output
    as_json = runner.invoke(cli_app, ["--db", str(harvested), "duplicates", "--json", "--limit", "3"])
    lines = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert len(lines) == 3 and all(c["size"] >= 2 for c in lines)
    again = runner.invoke(cli_app, ["--db", str(harvested), "duplicates", "--rebuild", "--limit", "0"])
    assert again.exit_code == 0 and "clustered" in again.stderr


def test_statistics_count_a_mirrored_counter_once_and_real_downloads_through_each_portal(
        portals: ThreePortals, tmp_path: Path) -> None:
    store = Store(tmp_path / "moisson.db")
    canispaces = udata_id(portals.udata, "Canispaces")
    corbeilles = udata_id(portals.udata, "Corbeilles")
    corbeilles_ckan = next(p["id"] for p in portals.datasud.packages if p["title"].startswith("Corbeilles"))

    def counters(canispaces_total: int, datasud_corbeilles: int, udata_corbeilles: int) -> None:
        # data.gouv.fr shows DataSud's own counter for Canispaces (a mirror); for Corbeilles each portal counts its own
        package = portals.datasud.package(CANISPACES)
        assert package is not None
        resources = [{**r, "tracking_summary": {"total": canispaces_total, "recent": 0}} if i == 0 else r
                     for i, r in enumerate(package["resources"])]
        portals.datasud.update(CANISPACES, resources=resources)
        other = portals.datasud.package(corbeilles_ckan)
        assert other is not None
        portals.datasud.update(corbeilles_ckan, resources=[
            {**r, "tracking_summary": {"total": datasud_corbeilles, "recent": 0}} if i == 0 else r
            for i, r in enumerate(other["resources"])])
        portals.udata.set_metrics(canispaces, resources_downloads=canispaces_total)
        portals.udata.set_metrics(corbeilles, resources_downloads=udata_corbeilles)

    counters(100, 10, 50)
    portals.harvest(store, "datasud", "udata", index_after=False)
    counters(130, 15, 70)
    portals.harvest(store, "datasud", "udata", mode="full", index_after=False)
    by_source = {a.key: a.downloads for a in aggregate(store, "source")}
    # Canispaces +30 once (the mirror is left out), Corbeilles +5 through DataSud and +20 through data.gouv.fr
    mirrored_and_others = aggregate(store)[0]
    assert by_source["datasud"] == 30 + 5 and by_source["udata"] == 20
    assert mirrored_and_others.downloads == 30 + 5 + 20
    top = top_datasets(store, limit=5)
    corbeilles_top = next(t for t in top if t.title.startswith("Corbeilles"))
    assert corbeilles_top.downloads == 25 and corbeilles_top.by_source == {"datasud": 5, "udata": 20}
    assert corbeilles_top.source == "datasud"  # the dataset is described by its primary, DataSud's original
    store.close()


def test_the_obligation_monitor_counts_datasets_once_and_credits_the_publisher(harvested: Path) -> None:
    store = Store(harvested)
    bodies = {b.id: b for b in compute(store).bodies}
    gap, agglomeration = bodies["commune:05061"], bodies["epci:200067825"]
    assert gap.status == "publishes" and gap.datasets == 1  # Canispaces, on its own portal, copied by two others
    assert gap.sources == ["datasud", "gap", "udata"]
    # the agglomération's 6 other datasets, each on DataSud and data.gouv.fr: 6, not 12 (nor 13 with Canispaces,
    # whose copies name the agglomération as publisher: the commune's own record is the primary)
    assert agglomeration.datasets == 6
    store.close()


def test_the_pages_show_one_entry_and_its_copies(client: TestClient, harvested: Path) -> None:
    """The search page (issue 15) shows the Gap dataset once, carried by three portals; its page lists the two other
    portals' copies, the commune's own record marked as the reference from a copy's page."""
    page = client.get("/recherche", params={"q": "canispaces"}, headers={"accept": "text/html"}).text
    assert ">2 jeux de données<" in page  # the look-alike of Briançon, and Gap once
    assert page.count("3 portails") == 1
    store = Store(harvested)
    gap, datasud = record_of(store, "gap", "Canispaces"), record_of(store, "datasud", "Canispaces - Ville de Gap")
    own = client.get(f"/datasets/{gap}", headers={"accept": "text/html"}).text
    assert "Autres portails qui publient ce jeu" in own and f'href="/datasets/{datasud}"' in own
    assert "fiche de référence" not in own  # the commune's own record is the reference itself
    copy = client.get(f"/datasets/{datasud}", headers={"accept": "text/html"}).text
    assert f'href="/datasets/{gap}"' in copy and "fiche de référence" in copy
