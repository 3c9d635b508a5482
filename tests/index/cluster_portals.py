"""The same dataset seen through three portals, over real HTTP on loopback, for the duplicate clustering tests.

Built from recorded responses, each portal family saying where a record comes from in its own real way:

- **DataSud** (a regional CKAN platform): the recorded ``package_show`` answers of udata's DataSud snapshot, served
  by the CKAN emulator. Its "Canispaces - Ville de Gap" package is given the extras ckanext-harvest and ckanext-dcat
  write on a harvested package (``guid`` = the harvested dataset's IRI, ``harvest_source_id``,
  ``harvest_source_title``, ``harvest_object_id``): DataSud harvested it from the commune's own catalogue below.
- **data.gouv.fr** (udata): the recorded udata copies of those DataSud packages (their ``harvest`` block names the
  DataSud package id and page), served by the udata emulator.
- **the Ville de Gap's own portal** (ours, built from the recorded package): a DCAT-AP catalogue in Turtle describing
  the same Canispaces dataset as the commune publishes it -- its IRI, the recorded description, the file (written
  with ``http`` and without the trailing slash), its publisher with the commune's SIREN (210500617, from the
  INSEE/Etalab reference) -- and a sources-file publisher hint naming that SIREN.
- a **look-alike**: the Ville de Briançon's own "Canispaces" (SIREN 210500237) on DataSud, the same title and a
  description in the same words, another file: another dataset.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from demo.portals.ckan import CkanPortal, load_recordings
from demo.portals.static import StaticFiles
from demo.portals.udata import ADDITIONS, DATASUD, VANVES, UdataPortal, load_portal_data
from demo.server import PortalServer
from index.store import Store
from kernel.config import Config
from pipeline.harvest import JobResult, run_harvest
from tests.conftest import DEMO_DATA, make_config

CANISPACES = "cfa98601-185f-4194-bc0f-119fc23a194b"  # the DataSud package id (recorded)
COMMUNE_IRI = "https://www.ville-gap.fr/donnees/canispaces"
GAP_SIREN, BRIANCON_SIREN = "210500617", "210500237"
BRIANCON_ID = "7d7f0f7c-0000-4b1e-9d8e-briancon0001"


@dataclass
class ThreePortals:
    server: PortalServer
    datasud: CkanPortal
    udata: UdataPortal
    commune: StaticFiles
    config: Config

    def harvest(self, store: Store, *source_ids: str, mode: str | None = "full",
                index_after: bool = True) -> list[JobResult]:
        sources = [s for s in self.config.sources if not source_ids or s.id in source_ids]
        store.sync_sources(self.config.sources)
        results = [run_harvest(store, s, self.config, mode=mode, index_after=index_after) for s in sources]
        assert all(r.status == "succeeded" for r in results), [(r.source_id, r.error, r.errors) for r in results]
        return results


def commune_catalogue(notes: str, download: str) -> bytes:
    """The Ville de Gap's DCAT-AP catalogue (Turtle) describing its Canispaces dataset."""
    text = notes.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f"""@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .

<https://www.ville-gap.fr/donnees/catalogue> a dcat:Catalog ;
    dct:title "Données ouvertes de la Ville de Gap" ;
    dcat:dataset <{COMMUNE_IRI}> .

<{COMMUNE_IRI}> a dcat:Dataset ;
    dct:identifier "{COMMUNE_IRI}" ;
    dct:title "Canispaces"@fr ;
    dct:description "{text}"@fr ;
    dct:language <http://publications.europa.eu/resource/authority/language/FRA> ;
    dct:issued "2025-07-10"^^<http://www.w3.org/2001/XMLSchema#date> ;
    dcat:keyword "propreté", "chiens" ;
    dcat:landingPage <{COMMUNE_IRI}> ;
    dct:publisher <https://www.ville-gap.fr/> ;
    dcat:distribution <{COMMUNE_IRI}#shp> .

<https://www.ville-gap.fr/> a foaf:Organization ;
    foaf:name "Ville de Gap" ;
    dct:identifier "{GAP_SIREN}" .

<{COMMUNE_IRI}#shp> a dcat:Distribution ;
    dct:title "canispace_05061" ;
    dcat:downloadURL <{download}> ;
    dct:format "SHP" .
""".encode()


def datasud_portal(fixtures: Path) -> CkanPortal:
    """DataSud's recorded packages, its Canispaces marked as harvested from the commune, and Briançon's look-alike."""
    recordings = load_recordings([fixtures / "ckan" / DATASUD])
    packages = [copy.deepcopy(p) for p in recordings.packages]
    canispaces = next(p for p in packages if p["id"] == CANISPACES)
    canispaces["extras"] = [*canispaces.get("extras", []),
                            {"key": "guid", "value": COMMUNE_IRI},
                            {"key": "harvest_object_id", "value": "0b9b5c43-54c5-4f3c-9a3e-2f0c1d8a7e11"},
                            {"key": "harvest_source_id", "value": "3f1e0c55-8d2b-4b7a-a0f4-6a1b2c3d4e5f"},
                            {"key": "harvest_source_title", "value": "Données ouvertes de la Ville de Gap"}]
    lookalike = copy.deepcopy(canispaces)
    lookalike.update(
        id=BRIANCON_ID, name="canispaces-ville-de-briancon", title="Canispaces",
        notes=canispaces["notes"].replace("Gap", "Briançon").replace("gap", "briancon"),
        url="https://www.datasud.fr/explorer/fr/jeux-de-donnees/canispaces-ville-de-briancon",
        organization={"id": "611", "name": "ville-de-briancon", "title": "Ville de Briançon", "type": "organization",
                      "is_organization": True, "state": "active"},
        extras=[{"key": "siren_organisation", "value": BRIANCON_SIREN}])
    for resource in lookalike["resources"]:
        resource["package_id"] = BRIANCON_ID
        resource["url"] = resource["url"].replace("4539/resource/6176", "4890/resource/6533").replace(
            "canispace_05061", "canispace_05023")
    return CkanPortal([*packages, lookalike], recordings.organizations)


def three_portals(server: PortalServer, fixtures: Path) -> ThreePortals:
    datasud = datasud_portal(fixtures)
    canispaces = datasud.package(CANISPACES)
    assert canispaces is not None
    shp = next(r["url"] for r in canispaces["resources"] if r["format"] == "Shapefile (zip)")
    commune = StaticFiles({"/catalogue.ttl": commune_catalogue(
        canispaces["notes"], shp.replace("https://", "http://").rstrip("/"))})
    udata = UdataPortal(*load_portal_data(fixtures / "ckan" / DATASUD, fixtures / "dcat" / VANVES,
                                          DEMO_DATA / "udata" / ADDITIONS))
    urls = {"datasud": server.mount("/datasud", datasud), "udata": server.mount("/udata", udata),
            "gap": server.mount("/gap", commune)}
    config = make_config(f"""
        - {{id: gap, type: dcat, url: '{urls["gap"]}/catalogue.ttl',
            publisher: {{name: Ville de Gap, siren: '{GAP_SIREN}'}}}}
        - {{id: datasud, type: ckan, url: '{urls["datasud"]}'}}
        - {{id: udata, type: udata, url: '{urls["udata"]}'}}
        """, http="{retries: 0, per_host_rps: 1000, timeout: 5}")
    return ThreePortals(server, datasud, udata, commune, config)


def record_of(store: Store, source_id: str, title_part: str) -> str:
    """The id of the active record of a source whose title holds ``title_part``."""
    rows = store.db.execute(
        "SELECT id FROM records WHERE source_id = ? AND status = 'active' AND "
        "json_extract(record_json(data), '$.title') LIKE ?",
        (source_id, f"%{title_part}%"),
    ).fetchall()
    assert len(rows) == 1, (source_id, title_part, [r[0] for r in rows])
    return rows[0][0]


def udata_id(portal: UdataPortal, title_part: str) -> str:
    return next(d["id"] for d in portal.datasets.values() if title_part in (d.get("title") or ""))

