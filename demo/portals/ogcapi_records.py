"""A real OGC API - Records server for tests and the demo: pygeoapi in its own virtualenv, TinyDB catalogue.

Why a real server: paging (``limit``/``offset`` and ``next`` links), the ``bbox`` and ``datetime`` filters and
``sortby`` are what a harvester meets in the wild, and only an implementation answers them the way servers do; a
hand-written JSON emulator would only agree with our own reading of the standard. pygeoapi 0.21 (the last release
for Python 3.11) pins Flask, pydantic and rasterio versions of its own, so it lives in ``.venv-pygeoapi``
(``make .venv-pygeoapi/.installed``) and runs as a subprocess, as pycsw does (:mod:`demo.portals.csw`).

The records are made from the ISO 19139 fixtures (the recorded records and the French variants of
:func:`demo.portals.csw.french_variants`): each is normalised by moisson's ISO normaliser and written as a Records
Part 1 core feature (title, description, keywords, themes, contacts, dates, licence, a geometry from its bounding
box, a link per distribution). ``updated`` is what incremental harvesting reads: the metadata date of a recorded
record, and a distinct day for each generated one. The collection's ``datetime`` filter is bound to ``updated``
(pygeoapi's ``time_field``), as catalogues that publish record histories do.
"""

from __future__ import annotations

import atexit
import json
import os
import tempfile
import textwrap
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from demo.portals.child_process import RUNNER_HEAD, RUNNER_TAIL, ChildServer
from demo.portals.csw import build_records
from kernel.records import RawRecord
from normalise.iso19139 import normalise_iso19139
from normalise.model import DataService, Dataset

ROOT = Path(__file__).resolve().parents[2]
PYGEOAPI_VENV = ROOT / ".venv-pygeoapi"
PYGEOAPI_PYTHON = PYGEOAPI_VENV / "bin" / "python"
COLLECTION = "metadata-records"
RECORD_CORE = "http://www.opengis.net/spec/ogcapi-records-1/1.0/req/record-core"
FIRST_GENERATED_DAY = date(2024, 1, 1)


class PygeoapiError(RuntimeError):
    pass


# -- records --------------------------------------------------------------------------------------------------------


def feature(entry: Dataset | DataService, updated: str) -> dict[str, Any]:
    """One normalised ISO record as an OGC API - Records core feature."""
    box = next((s.bbox for s in entry.spatial if s.bbox and s.bbox[0] <= s.bbox[2]), None)
    geometry = None
    if box:
        west, south, east, north = box
        geometry = {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                                                         [west, south]]]}
    period = next((p for p in entry.temporal if p.start or p.end), None)
    links: list[dict[str, Any]] = []
    if isinstance(entry, Dataset):
        for dist in entry.distributions:
            if dist.access_service is not None:
                links.append({"rel": "item", "href": dist.access_url, "title": dist.title or dist.format_label,
                              "protocol": f"OGC:{dist.access_service.service_type.upper()}"
                              if dist.access_service.service_type else None})
            elif dist.download_url or dist.access_url:
                link = {"rel": "enclosure", "href": dist.download_url or dist.access_url, "title": dist.title}
                if dist.media_type:
                    link["type"] = dist.media_type.rsplit("/media-types/", 1)[-1]
                links.append(link)
        if entry.landing_page:
            links.append({"rel": "alternate", "href": entry.landing_page, "type": "text/html"})
    else:
        links += [{"rel": "item", "href": url, "protocol": f"OGC:{(entry.service_type or 'service').upper()}"}
                  for url in entry.endpoint_urls]
    contacts = []
    if entry.publisher is not None:
        contacts.append({"organization": entry.publisher.name, "roles": ["publisher"],
                         **({"emails": [{"value": entry.publisher.email}]} if entry.publisher.email else {})})
    for point in entry.contact_points:
        contacts.append({"name": point.name, "roles": ["pointOfContact"],
                         **({"emails": [{"value": point.email}]} if point.email else {})})
    properties: dict[str, Any] = {
        "type": "service" if isinstance(entry, DataService) else ("series" if entry.type == "series" else "dataset"),
        "title": entry.title, "description": entry.description or "", "keywords": entry.keywords,
        "themes": [{"concepts": [{"id": uri}], "scheme": uri.rsplit("/", 1)[0]} for uri in entry.themes],
        "created": entry.created or entry.issued, "updated": updated, "license": entry.licence,
        "rights": entry.rights, "contacts": contacts,
    }
    return {"id": entry.native_id, "type": "Feature", "conformsTo": [RECORD_CORE], "geometry": geometry,
            "time": {"interval": [period.start, period.end or ".."]} if period else None,
            "properties": {k: v for k, v in properties.items() if v not in (None, [], "")} | {
                "description": entry.description or ""},
            "links": [{k: v for k, v in link.items() if v} for link in links]}


def build_features(source_files: Iterable[Path], workdir: Path, variants: int = 40) -> list[dict[str, Any]]:
    """Features made from the ISO records of ``source_files`` and ``variants`` generated French copies."""
    records = workdir / "iso"
    generated = {v.identifier for v in build_records(source_files, records, variants=variants)}
    out, seen = [], set()
    for path in sorted(records.glob("*.xml")):
        raw = RawRecord(source_id="demo", native_id=path.stem, url=path.as_uri(), profile="iso19139",
                        content=path.read_bytes(), media_type="application/xml")
        [entry] = normalise_iso19139(raw)
        if entry.native_id in seen or not any(sp.bbox for sp in entry.spatial):
            continue  # a record without a box is left out: pygeoapi 0.21's TinyDB bbox filter fails on it (500)
        seen.add(entry.native_id)
        if entry.native_id in generated:
            number = int(entry.native_id.rsplit("-", 1)[1])
            updated = f"{FIRST_GENERATED_DAY + timedelta(days=number)}T08:00:00Z"
        else:
            stamp = entry.metadata_record.modified if entry.metadata_record else None
            updated = (stamp or entry.modified or "2020-01-01")[:10] + "T00:00:00Z"
        out.append(feature(entry, updated))
    return out


def write_tinydb(features: list[dict[str, Any]], path: Path) -> None:
    """The TinyDB file pygeoapi's TinyDBCatalogue reads: its default table, one document per record."""
    table = {str(n): item for n, item in enumerate(features, 1)}
    path.write_text(json.dumps({"_default": table}, ensure_ascii=False), "utf-8")


# -- the server -----------------------------------------------------------------------------------------------------


def _config(database: Path) -> dict[str, Any]:
    contact = {"name": "moisson", "position": "—", "address": "—", "city": "—", "stateorprovince": "—",
               "postalcode": "00000", "country": "France", "phone": "—", "fax": "—",
               "email": "moisson@example.org", "url": "http://127.0.0.1/", "hours": "—", "instructions": "—",
               "role": "pointOfContact"}
    return {
        "server": {"bind": {"host": "127.0.0.1", "port": 0}, "url": "http://127.0.0.1:0",
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8", "languages": ["fr-FR"],
                   "limits": {"default_items": 10, "max_items": 500},
                   "map": {"url": "http://127.0.0.1/none/{z}/{x}/{y}.png", "attribution": "none"}},
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {"title": "Catalogue OGC API - Records local (pygeoapi)",
                               "description": "Fiches ISO 19139 des fixtures, servies par pygeoapi pour moisson",
                               "keywords": ["moisson", "test"], "keywords_type": "theme",
                               "terms_of_service": "http://127.0.0.1/", "url": "http://127.0.0.1/"},
            "license": {"name": "CC-BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "provider": {"name": "moisson", "url": "http://127.0.0.1/"},
            "contact": contact,
        },
        "resources": {COLLECTION: {
            "type": "collection", "title": "Fiches de métadonnées", "description": "Fiches ISO 19139 en Records",
            "keywords": ["métadonnées"], "links": [],
            "extents": {"spatial": {"bbox": [-180, -90, 180, 90],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [{"type": "record", "name": "TinyDBCatalogue", "data": str(database), "id_field": "id",
                           "time_field": "updated", "title_field": "title"}],
        }},
    }


_RUNNER = RUNNER_HEAD + textwrap.dedent("""\
    config, openapi = sys.argv[1], sys.argv[2]

    httpd = make_server("127.0.0.1", 0, lambda environ, start: [], server_class=Server, handler_class=Quiet)
    port = httpd.server_address[1]
    with open(config, encoding="utf-8") as f:
        text = f.read()
    with open(config, "w", encoding="utf-8") as f:
        f.write(text.replace("http://127.0.0.1:0", f"http://127.0.0.1:{port}").replace("port: 0", f"port: {port}"))
    os.environ["PYGEOAPI_CONFIG"], os.environ["PYGEOAPI_OPENAPI"] = config, openapi
    from pathlib import Path
    from pygeoapi.openapi import generate_openapi_document
    Path(openapi).write_text(generate_openapi_document(Path(config), "yaml"), encoding="utf-8")
    from pygeoapi.flask_app import APP
    httpd.set_app(APP)
""") + RUNNER_TAIL


class PygeoapiServer(ChildServer):
    """One pygeoapi process serving ``features`` as the collection ``metadata-records`` at :attr:`url`."""

    prefix = "moisson-pygeoapi-"

    def __init__(self, features: list[dict[str, Any]], workdir: Path | None = None) -> None:
        super().__init__(workdir)
        self.features = features
        self.url = ""

    @property
    def collection_url(self) -> str:
        return f"{self.url}/collections/{COLLECTION}"

    def start(self) -> PygeoapiServer:
        if not PYGEOAPI_PYTHON.is_file():
            raise PygeoapiError(f"pygeoapi is not installed in {PYGEOAPI_VENV}: run `make .venv-pygeoapi/.installed`")
        self.workdir.mkdir(parents=True, exist_ok=True)
        database, config = self.workdir / "records.tinydb", self.workdir / "pygeoapi-config.yml"
        write_tinydb(self.features, database)
        config.write_text(yaml.safe_dump(_config(database), allow_unicode=True, sort_keys=False), "utf-8")
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        with open(self.workdir / "pygeoapi.log", "w") as log:  # the child keeps its own copy of the descriptor
            line = self.launch([str(PYGEOAPI_PYTHON), "-c", _RUNNER, str(config), str(self.workdir / "openapi.yml")],
                               env, log)
        if not line.isdigit():
            log = self._log()
            self.stop()
            raise PygeoapiError(f"pygeoapi did not start (said {line!r}): {log}")
        self.url = f"http://127.0.0.1:{line}"
        return self

    def _log(self) -> str:
        path = self.workdir / "pygeoapi.log"
        return path.read_text("utf-8", "replace")[-2000:] if path.is_file() else "(no log)"


# -- demo -----------------------------------------------------------------------------------------------------------

_running: list[PygeoapiServer] = []


def demo_portals(server: Any, data_dir: Path) -> list[dict[str, Any]]:
    """Start a pygeoapi serving records made from the recorded ISO records of demo/data/csw/ (``data_dir`` is this
    portal's own folder, which holds none: the records are the CSW demo's). Returns the sources.yaml entry."""
    workdir = Path(tempfile.mkdtemp(prefix="moisson-demo-pygeoapi-"))
    features = build_features(sorted((Path(data_dir).parent / "csw").glob("*.xml")), workdir, variants=0)
    pygeoapi = PygeoapiServer(features, workdir / "pygeoapi")
    pygeoapi.cleanup.append(workdir)
    _running.append(pygeoapi.start())
    return [{"id": "demo-pygeoapi", "type": "ogcapi-records", "url": pygeoapi.url,
             "name": "Catalogue OGC API - Records local (pygeoapi)", "options": {"page_size": 10}}]


def stop_demo_portals() -> None:
    while _running:
        _running.pop().stop()


atexit.register(stop_demo_portals)
