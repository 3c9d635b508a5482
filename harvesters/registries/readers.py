"""Each registry's format into one shape: :class:`PortalRecord` (a portal as a registry describes it) and
:class:`Publishing` (a body a registry says publishes, on which platforms).

Formats are told apart by content, not by file name, so that a newer download can be dropped in place:

- Common Data Index (``cdi``): JSON lines (optionally gzipped), one portal per line with typed API ``endpoints``,
  ``software``, ``owner`` (name, type, ISO 3166-2 location) and ``status``/``api_status``. The registry's whole file
  may be given: only French records are kept (coverage or owner in FR);
- OpenDataFrance's observatoire 2022 (``odf-2022``): CSV files of local platforms (with the SIRENs of the bodies they
  host), national platforms, and publishing organisations (SIREN, type, région, the platforms they publish on);
- dataportals.org (``dataportals.org``): its portals.csv, French rows only.

Nothing is fetched: the registries are files (config/registries/ by default, see its README for provenance).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REGISTRY_DIR = Path(__file__).resolve().parents[2] / "config" / "registries"


@dataclass(frozen=True)
class RegistryInfo:
    key: str
    label: str
    date: str  # of the data (records' edition), as config/registries/README.md states it
    licence: str
    rank: int  # the more recent the registry, the lower: it wins when registries disagree

    @property
    def year(self) -> str:
        return self.date[:4]


REGISTRIES = {
    "cdi": RegistryInfo("cdi", "Common Data Index", "2026-08-22", "CC-BY-4.0", 0),
    "odf-2022": RegistryInfo("odf-2022", "OpenDataFrance, observatoire 2022", "2022-10-19", "ODbL-1.0", 1),
    "dataportals.org": RegistryInfo("dataportals.org", "dataportals.org", "2013-02-20", "PDDL-1.0", 2),
}


class RegistryError(ValueError):
    """A file that is no registry moisson reads, or cannot be read; the message names it."""


@dataclass(frozen=True)
class Organisation:
    """A body as a registry names it. Codes are INSEE's (département "69", région "84"); ``kind`` is the registry's
    word for it (OpenDataFrance's COM, CA, DEP..., Common Data Index's "Local government"...)."""

    name: str | None
    siren: str | None = None
    kind: str | None = None
    departement: str | None = None
    region: str | None = None


@dataclass
class PortalRecord:
    """A portal as one registry describes it."""

    registry: str  # a key of REGISTRIES
    record_id: str
    name: str
    homepage: str
    platform: str | None  # normalised software id: opendatasoft, ckan, geonetwork, arcgishub, udata, isogeo...
    endpoints: list[tuple[str, str]] = field(default_factory=list)  # (registry's endpoint kind, URL)
    status: str = "active"  # active | inactive | uncertain (the portal); ``api_status`` the same for its API
    api_status: str = "uncertain"
    catalog_type: str | None = None
    operator: Organisation | None = None
    hosted: list[Organisation] = field(default_factory=list)
    shared: bool | None = None  # OpenDataFrance: the platform hosts several bodies (mutualisé, partenarial, partagé)
    departement: str | None = None
    region: str | None = None

    @property
    def ref(self) -> str:
        """"cdi:opendataaudefr": how entries and reports name the record."""
        return f"{self.registry}:{self.record_id}"


@dataclass
class Publishing:
    """A body a registry lists as publishing open data (OpenDataFrance's organisations), and where."""

    registry: str
    organisation: Organisation
    platforms: list[str]  # the names of the platforms it publishes on, as in the registry's platform list
    portal_url: str | None  # its page on a local platform
    datagouv_url: str | None  # its page on data.gouv.fr
    on_datagouv: bool

    @property
    def ref(self) -> str:
        return f"{self.registry}:{self.organisation.siren}"


@dataclass
class Registries:
    """Everything read, and from which files (path, registry, rows) for the report."""

    records: list[PortalRecord] = field(default_factory=list)
    publishing: list[Publishing] = field(default_factory=list)
    files: list[tuple[str, str, int]] = field(default_factory=list)


# -- entry point ----------------------------------------------------------------------------------------------------


def read_registries(paths: Iterable[str | Path] | None = None) -> Registries:
    """Read registry files (directories are read recursively); by default config/registries/. OpenDataFrance's
    organisations are attached to its platforms (by platform name) as hosted bodies, and those on data.gouv.fr to
    data.gouv.fr's record."""
    out = Registries()
    for path in _files(paths or [REGISTRY_DIR]):
        kind, rows = _read(path)
        if kind is None:
            continue
        out.files.append((str(path), kind, len(rows)))
        if kind == "odf-organisations":
            out.publishing.extend(rows)
        else:
            out.records.extend(rows)
    _attach_organisations(out)
    return out


def _files(paths: Iterable[str | Path]) -> list[Path]:
    out = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".csv", ".jsonl", ".gz")))
        elif path.is_file():
            out.append(path)
        else:
            raise RegistryError(f"{path}: no such file or directory")
    return out


def _text(path: Path) -> str:
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return raw.decode("utf-8-sig")
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: cannot read it ({exc})") from None


def _read(path: Path) -> tuple[str | None, list[Any]]:
    text = _text(path)
    first = text.lstrip()[:1]
    if first == "{":
        return "cdi", list(_cdi(text, path))
    header = next(csv.reader(io.StringIO(text)), [])
    columns = {c.strip() for c in header}
    rows = list(csv.DictReader(io.StringIO(text)))
    if {"Nom", "Regcode", "Collab", "url", "Techno"} <= columns:
        return "odf-2022", list(_odf_local(rows))
    if {"nom", "type", "url", "porteur", "techno"} <= columns:
        return "odf-2022", list(_odf_national(rows))
    if {"siren", "nom", "regcode", "url-ptf", "merge"} <= columns:
        return "odf-organisations", list(_odf_organisations(rows))
    if {"Id", "Table", "Description du champ"} <= columns:
        return None, []  # OpenDataFrance's field descriptions: documentation, not a registry
    if {"name", "url", "country", "generator", "api_endpoint"} <= columns:
        return "dataportals.org", list(_dataportals(rows))
    raise RegistryError(f"{path}: not a registry moisson reads (Common Data Index JSON lines, OpenDataFrance's "
                        "observatoire CSV files, dataportals.org portals.csv)")


# -- Common Data Index ----------------------------------------------------------------------------------------------

# ISO 3166-2:FR codes of régions and overseas territories -> (département, région) INSEE codes
ISO_REGIONS = {
    "ARA": "84", "BFC": "27", "BRE": "53", "CVL": "24", "COR": "94", "20R": "94", "GES": "44", "HDF": "32",
    "IDF": "11", "NOR": "28", "NAQ": "75", "OCC": "76", "PDL": "52", "PAC": "93",
}
ISO_OVERSEAS = {"GP": ("971", "01"), "MQ": ("972", "02"), "GF": ("973", "03"), "RE": ("974", "04"),
                "YT": ("976", "06"), "971": ("971", "01"), "972": ("972", "02"), "973": ("973", "03"),
                "974": ("974", "04"), "976": ("976", "06"), "PM": ("975", None), "BL": ("977", None),
                "MF": ("978", None), "WF": ("986", None), "PF": ("987", None), "NC": ("988", None),
                "75C": ("75", "11"), "6AE": ("6AE", "44")}


def iso_subdivision(code: str | None) -> tuple[str | None, str | None]:
    """(département, région) INSEE codes of an ISO 3166-2:FR code: FR-OCC -> (None, "76"), FR-64 -> ("64", None —
    the région of a département is the reference's to say), FR-971 -> ("971", "01")."""
    if not code or not code.upper().startswith("FR-"):
        return None, None
    sub = code.upper()[3:]
    if sub in ISO_REGIONS:
        return None, ISO_REGIONS[sub]
    if sub in ISO_OVERSEAS:
        return ISO_OVERSEAS[sub]
    if re.fullmatch(r"\d{2}|2[AB]", sub):
        return sub, None
    return None, None


def _cdi(text: str, path: Path) -> Iterator[PortalRecord]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise RegistryError(f"{path}:{number}: not JSON ({exc})") from None
        if not isinstance(row, dict) or not row.get("id") or not row.get("link"):
            raise RegistryError(f"{path}:{number}: a Common Data Index record needs 'id' and 'link'")
        owner = row.get("owner") if isinstance(row.get("owner"), dict) else {}
        owner_location = owner.get("location") if isinstance(owner.get("location"), dict) else {}
        if not _french(row, owner_location):
            continue
        dep, region = iso_subdivision((owner_location.get("subregion") or {}).get("id"))
        if dep is None and region is None:
            for cover in row.get("coverage") or []:
                location = cover.get("location") if isinstance(cover, dict) else None
                if isinstance(location, dict):
                    dep, region = iso_subdivision((location.get("subregion") or {}).get("id"))
                    if dep or region:
                        break
        software = row.get("software") if isinstance(row.get("software"), dict) else {}
        endpoints = [(str(e.get("type")), str(e.get("url"))) for e in row.get("endpoints") or []
                     if isinstance(e, dict) and e.get("type") and e.get("url")]
        yield PortalRecord(
            registry="cdi", record_id=str(row["id"]), name=str(row.get("name") or row["id"]), homepage=row["link"],
            platform=(software.get("id") or None), endpoints=endpoints, status=row.get("status") or "active",
            api_status=row.get("api_status") or "uncertain", catalog_type=row.get("catalog_type"),
            operator=Organisation(owner.get("name"), kind=owner.get("type"), departement=dep, region=region)
            if owner.get("name") else None,
            departement=dep, region=region)


def _french(row: dict[str, Any], owner_location: dict[str, Any]) -> bool:
    if (owner_location.get("country") or {}).get("id") == "FR":
        return True
    for cover in row.get("coverage") or []:
        location = cover.get("location") if isinstance(cover, dict) else None
        if isinstance(location, dict) and (location.get("country") or {}).get("id") == "FR":
            return True
    return False


# -- OpenDataFrance -------------------------------------------------------------------------------------------------

# OpenDataFrance's "Techno" -> the platform ids Common Data Index uses
ODF_PLATFORMS = {
    "opendatasoft": "opendatasoft", "arcgis": "arcgis", "geonetwork": "geonetwork", "ckan": "ckan",
    "data4citizen": "data4citizen", "isogéo": "isogeo", "isogeo": "isogeo", "datagouv": "udata", "udata": "udata",
    "geoserver": "geoserver", "datafair": "datafair", "prodige": "prodige", "spécifique": "custom",
    "typo3 in cite": "typo3", "mgdis open data": "mgdis", "opendatagazette": "opendatagazette",
    "geosource": "geosource", "geoportal server": "esrigeo", "metaclic": "metaclic", "easysdi": "easysdi",
    "lod.eolas": "custom",
}
_SIREN = re.compile(r"\d{9}")


def _odf_platform(value: str) -> str | None:
    key = value.strip().lower()
    return ODF_PLATFORMS.get(key, key or None)


def _sirens(value: str) -> list[str]:
    """SIRENs of a cell ("211300017", "212202154,212200943, ..."), invisible characters and blanks ignored."""
    return _SIREN.findall(re.sub(r"\D+", " ", value or ""))


def _regcode(value: str) -> str | None:
    """"PAC-93" -> "93"."""
    match = re.search(r"-(\d{2})\s*$", value or "")
    return match.group(1) if match else None


def _odf_local(rows: list[dict[str, str]]) -> Iterator[PortalRecord]:
    seen: set[str] = set()
    for row in rows:
        name, url = (row.get("Nom") or "").strip(), (row.get("url") or "").strip()
        if not name or not url:
            continue
        record_id = _unique(name, seen)
        region = _regcode(row.get("Regcode", ""))
        sirens = _sirens(row.get("Organisations 5", ""))
        collab = (row.get("Collab") or "").strip()
        hosted = [Organisation(None, s, region=region) for s in sirens]
        dedicated = collab == "Dédié" and len(sirens) == 1
        yield PortalRecord(
            registry="odf-2022", record_id=record_id, name=name, homepage=url, platform=_odf_platform(row["Techno"]),
            status="active", api_status="uncertain", catalog_type=(row.get("Type") or "").strip() or None,
            operator=Organisation(None, sirens[0], kind=(row.get("porteur") or "").strip() or None, region=region)
            if dedicated else None,
            hosted=[] if dedicated else hosted, shared=collab in ("Mutualisé", "Partenarial", "Partagé"),
            region=region)


def _odf_national(rows: list[dict[str, str]]) -> Iterator[PortalRecord]:
    seen: set[str] = set()
    for row in rows:
        name, url = (row.get("nom") or "").strip(), (row.get("url") or "").strip()
        if not name or not url:
            continue
        yield PortalRecord(
            registry="odf-2022", record_id=_unique(name, seen), name=name, homepage=url,
            platform=_odf_platform(row.get("techno", "")), status="active", api_status="uncertain",
            catalog_type=(row.get("type") or "").strip() or None,
            operator=Organisation((row.get("porteur") or "").strip() or None, kind="national"))


def _odf_organisations(rows: list[dict[str, str]]) -> Iterator[Publishing]:
    for row in rows:
        sirens = _sirens(row.get("siren", ""))
        if not sirens:
            continue
        region = _regcode(row.get("regcode", ""))
        dep = (row.get("Département") or "").strip().upper() or None
        if dep and dep.isdigit() and len(dep) == 1:
            dep = "0" + dep
        merge = (row.get("merge") or "").strip()
        yield Publishing(
            registry="odf-2022",
            organisation=Organisation((row.get("nom") or "").strip() or None, sirens[0],
                                      (row.get("type") or "").strip() or None, dep, region),
            platforms=[p.strip() for p in (row.get("ptf") or "").split(",") if p.strip()],
            portal_url=(row.get("url-ptf") or "").strip() or None,
            datagouv_url=(row.get("url-datagouv") or "").strip() or None, on_datagouv="datagouv" in merge)


def _unique(name: str, seen: set[str]) -> str:
    """The name, or "name (2)" for the second row of that name (OpenDataFrance lists a few platforms twice)."""
    candidate, n = name, 1
    while candidate in seen:
        n += 1
        candidate = f"{name} ({n})"
    seen.add(candidate)
    return candidate


def _attach_organisations(out: Registries) -> None:
    """OpenDataFrance's organisations as the hosted bodies of the platforms they publish on, by platform name, and of
    data.gouv.fr's record when they publish there (merge "datagouv" or "ptf+datagouv")."""
    platforms = {r.name: r for r in out.records if r.registry == "odf-2022"}
    datagouv = platforms.get("DataGouv") or next((r for r in out.records if r.registry == "odf-2022"
                                                  and re.match(r"https?://(www\.)?data\.gouv\.fr/?", r.homepage)),
                                                 None)
    for pub in out.publishing:
        targets = [platforms[p] for p in pub.platforms if p in platforms]
        if pub.on_datagouv and datagouv is not None and datagouv not in targets:
            targets.append(datagouv)
        for record in targets:
            known = {o.siren for o in record.hosted} | ({record.operator.siren} if record.operator else set())
            if pub.organisation.siren not in known:
                record.hosted.append(pub.organisation)
            elif record.operator and record.operator.siren == pub.organisation.siren:
                record.operator = pub.organisation  # the organisations file names it; the platform list did not
            else:
                record.hosted = [pub.organisation if o.siren == pub.organisation.siren else o for o in record.hosted]


# -- dataportals.org ------------------------------------------------------------------------------------------------

_GENERATORS = {"udata": "udata", "ckan": "ckan", "opendatasoft": "opendatasoft", "dkan": "dkan", "socrata": "socrata"}


def _dataportals(rows: list[dict[str, str]]) -> Iterator[PortalRecord]:
    for row in rows:
        if (row.get("country") or "").strip() != "FR" or not row.get("url"):
            continue
        generator = (row.get("generator") or "").strip().lower()
        endpoints = []
        if row.get("api_endpoint") and generator == "udata":
            endpoints.append(("udataapi", row["api_endpoint"].strip()))
        elif row.get("api_endpoint") and generator == "ckan":
            endpoints.append(("ckan", row["api_endpoint"].strip()))
        publisher = (row.get("publisher") or row.get("author") or "").strip()
        yield PortalRecord(
            registry="dataportals.org", record_id=row["name"], name=(row.get("title") or row["name"]).strip(),
            homepage=row["url"].strip(), platform=_GENERATORS.get(generator), endpoints=endpoints,
            status="active" if (row.get("status") or "active").strip() == "active" else "inactive",
            api_status="uncertain", operator=Organisation(publisher) if publisher else None)
