"""A real CSW for tests and the demo: pycsw 2.6.2 in its own virtualenv, loaded with ISO 19139 records.

Why a real server and not recorded pages: paging (startPosition/nextRecord), output schemas, filters and exception
reports are what break CSW harvesters in the wild; only a real implementation answers them the way catalogues do.
pycsw 2.6.2 pins an old OWSLib and SQLAlchemy < 2, so it lives in ``.venv-pycsw`` (``make .venv-pycsw/.installed``)
and runs as a subprocess: its config is written here (sqlite repository in a temporary directory, ``profiles=apiso``,
no ``gzip_compresslevel`` since 2.6.2 sends a wrong Content-Length when it gzips), ``pycsw-admin.py`` creates and
loads the repository, and a threaded ``wsgiref`` server bound to 127.0.0.1 serves ``pycsw.wsgi.application`` on a
port the child picks and reports back.

The records: every ISO record of the given files (standalone or inside CSW responses, split one per file), plus
generated French variants — copies with new fileIdentifiers, titles and bounding boxes around French chefs-lieux, some
of them service records — so that a catalogue of 50+ records with known territories can be paged through.
"""

from __future__ import annotations

import atexit
import copy
import os
import sqlite3
import subprocess
import tempfile
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from demo.portals.child_process import RUNNER_HEAD, RUNNER_TAIL, ChildServer

ROOT = Path(__file__).resolve().parents[2]
PYCSW_VENV = ROOT / ".venv-pycsw"
PYCSW_PYTHON = PYCSW_VENV / "bin" / "python"
PYCSW_ADMIN = PYCSW_VENV / "bin" / "pycsw-admin.py"

NS = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gmi": "http://www.isotc211.org/2005/gmi",
    "gco": "http://www.isotc211.org/2005/gco",
    "srv": "http://www.isotc211.org/2005/srv",
}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False, huge_tree=True)

# (INSEE département, chef-lieu or main town, longitude, latitude): centres of the generated bounding boxes.
PLACES: tuple[tuple[str, str, float, float], ...] = (
    ("69", "Lyon", 4.835, 45.764), ("75", "Paris", 2.352, 48.857), ("13", "Marseille", 5.370, 43.297),
    ("33", "Bordeaux", -0.580, 44.840), ("31", "Toulouse", 1.444, 43.605), ("35", "Rennes", -1.680, 48.110),
    ("59", "Lille", 3.060, 50.630), ("67", "Strasbourg", 7.750, 48.580), ("44", "Nantes", -1.554, 47.218),
    ("06", "Nice", 7.262, 43.710), ("34", "Montpellier", 3.877, 43.611), ("29", "Quimper", -4.100, 47.996),
    ("2A", "Ajaccio", 8.738, 41.919), ("38", "Grenoble", 5.724, 45.188), ("63", "Clermont-Ferrand", 3.087, 45.778),
    ("21", "Dijon", 5.041, 47.322), ("76", "Rouen", 1.099, 49.443), ("974", "Saint-Denis", 55.450, -20.880),
    ("45", "Orléans", 1.909, 47.902), ("37", "Tours", 0.689, 47.394), ("87", "Limoges", 1.261, 45.833),
    ("25", "Besançon", 6.024, 47.238), ("57", "Metz", 6.176, 49.119), ("80", "Amiens", 2.295, 49.894),
    ("14", "Caen", -0.370, 49.180), ("86", "Poitiers", 0.340, 46.580), ("64", "Pau", -0.370, 43.300),
    ("66", "Perpignan", 2.895, 42.699), ("84", "Avignon", 4.806, 43.949), ("74", "Annecy", 6.129, 45.899),
    ("72", "Le Mans", 0.199, 48.006), ("49", "Angers", -0.554, 47.470), ("54", "Nancy", 6.184, 48.692),
    ("68", "Mulhouse", 7.338, 47.750), ("17", "La Rochelle", -1.152, 46.160), ("56", "Vannes", -2.760, 47.658),
    ("30", "Nîmes", 4.360, 43.837), ("83", "Toulon", 5.928, 43.125), ("42", "Saint-Étienne", 4.387, 45.434),
    ("51", "Reims", 4.031, 49.258),
)
HALF_SIZE = 0.02  # degrees: a bounding box of a few km around the town, well inside its département


@dataclass(frozen=True)
class Variant:
    """What a generated record says, for tests to check against what was harvested."""

    identifier: str
    title: str
    departement: str
    bbox: tuple[float, float, float, float]
    service: bool


# -- records ------------------------------------------------------------------------------------------------------


def iso_records(paths: Iterable[Path]) -> Iterator[tuple[str, bytes]]:
    """(file stem with index, record XML) for every ISO record in the files; unparseable files are skipped."""
    for path in sorted(paths):
        try:
            root = etree.parse(str(path), _PARSER).getroot()
        except etree.XMLSyntaxError:
            continue
        found = root.xpath(
            "descendant-or-self::gmd:MD_Metadata | descendant-or-self::gmi:MI_Metadata"
            " | self::*[@gco:isoType='gmd:MD_Metadata']",
            namespaces=NS,
        )
        for index, record in enumerate(found):
            yield f"{path.stem}_{index}", etree.tostring(record, xml_declaration=True, encoding="UTF-8")


def _file_identifier(root: etree._Element) -> str:
    return root.xpath("string(gmd:fileIdentifier/*)", namespaces=NS).strip()


def _set_text(root: etree._Element, xpath: str, value: str) -> None:
    for node in root.xpath(xpath, namespaces=NS):
        for child in node:  # PT_FreeText translations would contradict the new text: drop them
            if etree.QName(child).localname == "PT_FreeText":
                node.remove(child)
        inner = node.xpath("gco:CharacterString | *[local-name()='Anchor']", namespaces=NS)
        if inner:
            inner[0].text = value
        else:
            node.text = value


def _set_bbox(root: etree._Element, bbox: tuple[float, float, float, float]) -> None:
    west, south, east, north = bbox
    for box in root.xpath(".//gmd:EX_GeographicBoundingBox", namespaces=NS):
        for name, value in (("westBoundLongitude", west), ("eastBoundLongitude", east),
                            ("southBoundLatitude", south), ("northBoundLatitude", north)):
            for node in box.xpath(f"gmd:{name}/gco:Decimal", namespaces=NS):
                node.text = f"{value:.4f}"


def french_variants(templates: list[bytes], service_templates: list[bytes], count: int) -> Iterator[
        tuple[Variant, bytes]]:
    """``count`` generated records: dataset copies of ``templates`` and, every fifth, service copies."""
    for n in range(count):
        code, town, lon, lat = PLACES[n % len(PLACES)]
        service = bool(service_templates) and n % 5 == 4
        pool = service_templates if service else templates
        root = etree.fromstring(pool[n % len(pool)], _PARSER)
        root = copy.deepcopy(root)
        identifier = f"moisson-variant-{n + 1:03d}"
        kind = "Service de données" if service else "Données"
        title = f"{kind} de {town} ({code}) n°{n + 1}"
        bbox = (round(lon - HALF_SIZE, 4), round(lat - HALF_SIZE, 4), round(lon + HALF_SIZE, 4),
                round(lat + HALF_SIZE, 4))
        _set_text(root, "gmd:fileIdentifier", identifier)
        _set_text(root, "gmd:identificationInfo/*/gmd:citation/gmd:CI_Citation/gmd:title", title)
        _set_text(root, "gmd:identificationInfo/*/gmd:abstract",
                  f"Jeu généré par moisson pour les tests : {title}, emprise autour de {town}.")
        _set_bbox(root, bbox)
        yield Variant(identifier, title, code, bbox, service), etree.tostring(
            root, xml_declaration=True, encoding="UTF-8")


def build_records(source_files: Iterable[Path], out_dir: Path, variants: int = 40) -> list[Variant]:
    """Write one file per record into ``out_dir``: the ISO records of ``source_files`` and ``variants`` copies."""
    out_dir.mkdir(parents=True, exist_ok=True)
    templates, services, seen = [], [], set()
    for name, xml in iso_records(source_files):
        root = etree.fromstring(xml, _PARSER)
        identifier = _file_identifier(root)
        if identifier in seen:  # the same record recorded twice (e.g. in two responses): pycsw refuses duplicates
            continue
        seen.add(identifier)
        (out_dir / f"{name}.xml").write_bytes(xml)
        level = root.xpath("string(gmd:hierarchyLevel/gmd:MD_ScopeCode/@codeListValue)", namespaces=NS)
        has_bbox = bool(root.xpath(".//gmd:EX_GeographicBoundingBox", namespaces=NS))
        if has_bbox and etree.QName(root).localname == "MD_Metadata":
            (services if level == "service" else templates).append(xml)
    made = []
    if variants and templates:
        for variant, xml in french_variants(templates, services, variants):
            (out_dir / f"{variant.identifier}.xml").write_bytes(xml)
            made.append(variant)
    return made


# -- the server ---------------------------------------------------------------------------------------------------

_CONFIG = """\
[server]
home={home}
url={url}
mimetype=application/xml; charset=UTF-8
encoding=UTF-8
language=en-US
maxrecords=1000
loglevel=WARNING
logfile={home}/pycsw.log
pretty_print=false
domainquerytype=list
domaincounts=false
profiles=apiso

[manager]
transactions=false
allowed_ips=127.0.0.1

[metadata:main]
identification_title=moisson local catalogue
identification_abstract=pycsw serving recorded and generated ISO 19139 records for moisson
identification_keywords=moisson,test
identification_keywords_type=theme
identification_fees=None
identification_accessconstraints=None
provider_name=moisson
provider_url=http://127.0.0.1/
contact_name=moisson
contact_position=none
contact_address=none
contact_city=none
contact_stateorprovince=none
contact_postalcode=00000
contact_country=France
contact_phone=none
contact_fax=none
contact_email=moisson@example.org
contact_url=http://127.0.0.1/
contact_hours=none
contact_instructions=none
contact_role=pointOfContact

[repository]
database=sqlite:///{home}/records.db
table=records

[metadata:inspire]
enabled=false
"""

# Runs in .venv-pycsw (see child_process.RUNNER_HEAD): bind first (port 0), then write the real URL into the config
# (pycsw reads it per request).
_RUNNER = RUNNER_HEAD + textwrap.dedent("""\
    config = sys.argv[1]
    os.environ["PYCSW_CONFIG"] = config
    from pycsw.wsgi import application

    httpd = make_server("127.0.0.1", 0, application, server_class=Server, handler_class=Quiet)
    port = httpd.server_address[1]
    with open(config, encoding="utf-8") as f:
        text = f.read()
    with open(config, "w", encoding="utf-8") as f:
        f.write(text.replace("http://127.0.0.1:0/csw", f"http://127.0.0.1:{port}/csw"))
""") + RUNNER_TAIL


class PycswError(RuntimeError):
    """pycsw could not be set up or started; the message says what to do."""


class PycswServer(ChildServer):
    """One pycsw process serving the records of ``records_dir`` at :attr:`url` until :meth:`stop`."""

    prefix = "moisson-pycsw-"

    def __init__(self, records_dir: Path, workdir: Path | None = None) -> None:
        super().__init__(workdir)
        self.records_dir = Path(records_dir)
        self.config = self.workdir / "pycsw.cfg"
        self.url = ""

    def start(self) -> PycswServer:
        if not PYCSW_ADMIN.is_file():
            raise PycswError(f"pycsw is not installed in {PYCSW_VENV}: run `make .venv-pycsw/.installed`")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config.write_text(_CONFIG.format(home=self.workdir, url="http://127.0.0.1:0/csw"), "utf-8")
        self._admin("setup_db")
        self._admin("load_records", "-p", str(self.records_dir))
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        line = self.launch([str(PYCSW_PYTHON), "-c", _RUNNER, str(self.config)], env, subprocess.DEVNULL)
        if not line.isdigit():
            self.stop()
            raise PycswError(f"pycsw did not start (said {line!r}); see {self.workdir}/pycsw.log")
        self.url = f"http://127.0.0.1:{line}/csw"
        return self

    def _admin(self, command: str, *args: str) -> None:
        result = subprocess.run(
            [str(PYCSW_PYTHON), str(PYCSW_ADMIN), "-c", command, "-f", str(self.config), *args],
            capture_output=True, text=True, cwd=self.workdir, env={**os.environ, "PYTHONWARNINGS": "ignore"},
            timeout=300,
        )
        if result.returncode != 0:
            raise PycswError(f"pycsw-admin {command} failed: {result.stderr.strip()[-2000:]}")

    def identifiers(self) -> dict[str, str]:
        """What the repository holds: identifier -> type (dataset, series, service...), read from its database."""
        with sqlite3.connect(self.workdir / "records.db") as db:
            return dict(db.execute("SELECT identifier, type FROM records").fetchall())


# -- demo ---------------------------------------------------------------------------------------------------------

_running: list[PycswServer] = []


def demo_portals(server: Any, data_dir: Path) -> list[dict[str, Any]]:
    """Start a pycsw with the recorded records of demo/data/csw/ (the generated variants are for tests);
    ``server`` is not used (pycsw runs as its own process). Returns the sources.yaml entry."""
    workdir = Path(tempfile.mkdtemp(prefix="moisson-demo-pycsw-"))
    build_records(sorted(Path(data_dir).glob("*.xml")), workdir / "records", variants=0)  # real records only
    pycsw = PycswServer(workdir / "records", workdir / "pycsw")
    pycsw.cleanup.append(workdir)
    _running.append(pycsw.start())
    return [{
        "id": "demo-pycsw", "type": "csw", "url": pycsw.url, "name": "Catalogue CSW local (pycsw)",
        "options": {"page_size": 20},
    }]


def stop_demo_portals() -> None:
    """Stop the demo's pycsw processes (called by demo.run when the demo ends, and at interpreter exit)."""
    while _running:
        _running.pop().stop()


atexit.register(stop_demo_portals)
