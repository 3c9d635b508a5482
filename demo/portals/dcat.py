"""Static DCAT catalogs for the demo: RDF/XML, Turtle, Hydra-paged JSON-LD and DCAT-US data.json.

Why static files: a DCAT catalog is a document, not an API; real portals serve it from a file or a cache, with an
ETag, which :class:`demo.portals.static.StaticFiles` reproduces (so a second harvest gets 304 Not Modified).
The recorded Hydra pages point at ``http://data.test.org/catalog.jsonld?page=N``; those URLs are rewritten, in memory,
to where the pages are served here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from demo.portals.static import StaticFiles
from demo.server import PortalServer

HYDRA_PAGES = ("udata_partial-collection-1.jsonld", "udata_partial-collection-2.jsonld")
HYDRA_RECORDED_URL = "http://data.test.org/catalog.jsonld?page={}"

# (source id, file, name) of the single-document catalogs.
CATALOGS = (
    ("demo-dcat-vanves", "udata_data.gouv.fr_org_catalog.rdf.xml", "Ville de Vanves (catalogue DCAT data.gouv.fr)"),
    ("demo-dcat-datara", "udata_datara_geonetwork_geodcat-ap.rdf.xml", "DataARA (GeoDCAT-AP, GeoNetwork)"),
    ("demo-dcat-sextant", "udata_sextant_dataset-series.rdf.xml", "Sextant Ifremer (DCAT-AP 3, séries)"),
    ("demo-dcat-cuzk", "semic_iso-19139-to-dcat-ap_multilingual-metadata_expected_output.ttl",
     "ČÚZK (GeoDCAT-AP en Turtle)"),
    ("demo-dcat-evian", "udata_evian_arcgis-hub_dcat-us-1.1.json", "Ville d'Évian-les-Bains (data.json ArcGIS Hub)"),
)


def hydra_pages(data_dir: Path, base_url: str) -> dict[str, bytes]:
    """The recorded Hydra pages keyed by the path they are served at, their page URLs pointing there."""
    paths = {n: f"/hydra/page{n}.jsonld" for n in range(1, len(HYDRA_PAGES) + 1)}
    pages = {}
    for number, name in enumerate(HYDRA_PAGES, 1):
        text = (data_dir / name).read_text("utf-8")
        for other, path in paths.items():
            text = text.replace(HYDRA_RECORDED_URL.format(other), base_url + path)
        pages[paths[number]] = text.encode("utf-8")
    return pages


def demo_portals(server: PortalServer, data_dir: Path) -> list[dict[str, Any]]:
    """Mount this type's demo portals on the server; return their sources.yaml entries as dicts."""
    app = StaticFiles()
    base = server.mount("/dcat", app)
    entries = []
    for source_id, name, title in CATALOGS:
        if (data_dir / name).exists():
            app.put(name, data_dir / name)
            entries.append({"id": source_id, "type": "dcat", "url": f"{base}/{name}", "name": title})
    if all((data_dir / name).exists() for name in HYDRA_PAGES):
        for path, body in hydra_pages(data_dir, base).items():
            app.put(path, body)
        entries.append({"id": "demo-dcat-hydra", "type": "dcat", "url": f"{base}/hydra/page1.jsonld",
                        "name": "Catalogue DCAT paginé (Hydra, JSON-LD)"})
    return entries
