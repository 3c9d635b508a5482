"""A registry record's catalogue endpoint — the source type and URL moisson harvests it from — or why it has none.

Why these rules: a registry record is a portal, and a portal may offer several APIs of one catalogue (an ArcGIS Hub
site: DCAT-US, DCAT-AP and OGC API - Records feeds; a data4citizen CKAN: the Action API and its DCAT dumps). One is
kept, the first of :data:`PREFERENCE` the record lists: the richest protocol moisson speaks (CKAN's Action API and
ODS's Explore API carry organisations and popularity figures that a DCAT dump drops), DCAT-US before DCAT-AP because
an ArcGIS Hub's DCAT-US feed is what moisson reads best (``normalise.dcat_us``).

When a record lists no endpoint moisson speaks, the address is *derived* from the platform's documented layout and
the portal's address (:func:`derive`): an OpenDataSoft portal's Explore API is at its host's root, a udata's API v1
at ``/api/1/``, a GeoNetwork's CSW at ``…/geonetwork/srv/fre/csw``, an Isogeo share's DCAT feed at
``dcat.isogeo.com/<share>/<token>``, an ArcGIS Hub site's DCAT-US feed at ``/api/feed/dcat-us/1.1.json``. A derived
address is weaker evidence than a listed one (the entry is generated disabled unless a registry lists it).

Left out, with the reason: map viewers and map servers (they serve layers, not a catalogue of datasets), data
servers (THREDDS, ERDDAP), platforms whose only API moisson does not harvest (Dataverse, STAC, NADA...), inactive
portals, and portals for which no catalogue address can be told.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from harvesters.ckan import portal_root as ckan_root
from harvesters.ods import portal_root as ods_root
from harvesters.registries.readers import PortalRecord
from harvesters.udata import api_root as udata_root

Evidence = Literal["listed", "derived"]


@dataclass
class Catalogue:
    """Where moisson harvests a portal's catalogue from."""

    type: str  # a moisson source type
    url: str
    evidence: Evidence
    kind: str  # the registry's endpoint kind ("csw202", "dcatus11"...) or "derived:<platform>"
    options: dict[str, Any] = field(default_factory=dict)
    note: str | None = None  # what the evidence lacks, when it is weak


@dataclass
class Exclusion:
    """Why a record gives no source: ``reason`` is a short code the report counts by, ``detail`` a sentence."""

    reason: str
    detail: str


# -- endpoints listed by the registries ------------------------------------------------------------------------------

# Common Data Index endpoint kinds moisson harvests, in order of preference (see the module docstring).
PREFERENCE = [
    "ckan", "ckan:package-search", "ckan:package-list", "ckan:api",
    "opendatasoft", "opendatasoftapi", "opendatasoft:api",
    "udataapi",
    "csw202",
    "dcatus11", "geonode:dcatus11", "dcatap201", "dcat", "dcat:ttl", "dcat:xml", "dcat:jsonld", "dcat:n3",
    "ogcrecordsapi",
    "schemaorg:datacatalog",
]


def _strip_api(url: str) -> str:
    return url.rstrip("/").removesuffix("/api")


def _ods(url: str) -> str:
    return ods_root(_strip_api(url) + "/")


def _no_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _records(url: str) -> str:
    """An ArcGIS Hub site's OGC API - Records root serves every item type (maps, apps, documents): only its
    ``dataset`` collection is a catalogue of datasets."""
    base = url.rstrip("/")
    return base + "/collections/dataset" if base.endswith("/api/search/v1") else base


_LISTED = {
    "ckan": ("ckan", ckan_root), "ckan:package-search": ("ckan", ckan_root),
    "ckan:package-list": ("ckan", ckan_root), "ckan:api": ("ckan", ckan_root),
    "opendatasoft": ("ods", _ods), "opendatasoftapi": ("ods", _ods), "opendatasoft:api": ("ods", _ods),
    "udataapi": ("udata", udata_root),
    "csw202": ("csw", _no_query),
    "dcatus11": ("dcat", str), "geonode:dcatus11": ("dcat", str), "dcatap201": ("dcat", str), "dcat": ("dcat", str),
    "dcat:ttl": ("dcat", str), "dcat:xml": ("dcat", str), "dcat:jsonld": ("dcat", str), "dcat:n3": ("dcat", str),
    "ogcrecordsapi": ("ogcapi-records", _records),
    "schemaorg:datacatalog": ("web", str),
}
assert set(PREFERENCE) == set(_LISTED)

# -- platforms that are not catalogues, or whose APIs moisson does not harvest -----------------------------------------

MAP_VIEWERS = {"lizmap", "mviewer", "qwc2", "mapstore", "geomapfish", "terria", "oskari", "mapbender"}
MAP_SERVERS = {"geoserver", "mapserver", "qgisserver", "mapproxy", "arcgisserver", "ncwms", "wis20box"}
DATA_SERVERS = {"thredds", "erddap", "opendap", "hyrax"}
UNSUPPORTED = {  # platform -> what it speaks instead
    "dataverse": "the Dataverse API and OAI-PMH", "stacserver": "STAC", "stacbrowser": "STAC",
    "nada": "the NADA API", "ipt": "the GBIF IPT API", "galaxy": "Galaxy", "ontoportal": "OntoPortal",
    "openaire": "OpenAIRE", "dspace": "DSpace/OAI-PMH", "inveniordm": "the InvenioRDM API", "icat": "ICAT",
    "esploro": "Esploro", "ala": "the Atlas of Living Australia API", "dataone": "DataONE", "seek": "SEEK",
    "scicat": "SciCat", "esgf": "ESGF", "pxweb": "PxWeb", "socrata": "the Socrata API",
    "wordpress": "no catalogue API (WordPress)", "drupal": "no catalogue API (Drupal)",
}
# Platforms and sites that may be crawled for schema.org Dataset JSON-LD (a weak "web" entry, disabled).
CUSTOM = {"custom", "typo3", "mgdis", "opendatagazette", "metaclic"}
CRAWLABLE_TYPES = {"Open data portal", "Datasets list", "Portail", "Site web"}


def catalogue_of(record: PortalRecord) -> Catalogue | Exclusion:
    """The record's catalogue endpoint: listed by the registry if it lists one moisson speaks, else derived from its
    platform and address; or why it gives no source."""
    if record.status == "inactive" or record.api_status == "inactive":
        return Exclusion("inactive", f"{record.registry} marks the portal inactive")
    listed = {kind: url for kind, url in reversed(record.endpoints)}  # the first URL of each kind
    for kind in PREFERENCE:
        if kind in listed:
            source_type, build = _LISTED[kind]
            url = build(listed[kind])
            if _usable(url):
                return Catalogue(source_type, url, "listed", kind)
    platform = record.platform or ""
    if platform in MAP_VIEWERS:
        return Exclusion("map-viewer", f"a map viewer ({platform}), not a catalogue of datasets")
    if platform in MAP_SERVERS:
        return Exclusion("map-server", f"a map server ({platform}): it serves layers, not a catalogue of datasets")
    if platform in DATA_SERVERS:
        return Exclusion("data-server", f"a data server ({platform}), not a catalogue moisson harvests")
    if platform in UNSUPPORTED:
        return Exclusion("unsupported-platform", f"{platform} speaks {UNSUPPORTED[platform]}, which moisson does "
                                                 "not harvest")
    derived = derive(record)
    if derived is not None:
        return derived
    if platform in CUSTOM and (record.catalog_type in CRAWLABLE_TYPES):
        return Catalogue("web", record.homepage, "derived", f"derived:{platform}",
                         note="a site without a known catalogue API: crawled for schema.org Dataset JSON-LD")
    kinds = ", ".join(sorted({k for k, _ in record.endpoints})) or "none"
    return Exclusion("no-endpoint", f"no catalogue address known for platform {platform or 'unknown'} "
                                    f"(endpoints listed: {kinds}); `moisson sources detect {record.homepage}` may tell")


def _usable(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _root(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme or "https", parts.netloc, "", "", ""))


# GeoNetwork mounted at /geonetwork (or /geocat, /catalogue...), given by its root or a /srv/ page; a sub-portal
# (/geonetwork/<portal>/...) is a catalogue of its own whose address cannot be told from its home page
_GEONETWORK = re.compile(r"^(?P<base>.*?/(?:geonetwork|geocat|geosource|catalogue))(?:/(?:srv(?:/.*)?)?)?/?$",
                         re.IGNORECASE)
_ISOGEO = re.compile(r"^https?://(?:open|dcat)\.isogeo\.com/(?:s/)?(?P<share>[0-9a-f]{32})/(?P<token>[\w-]+)",
                     re.IGNORECASE)
_HUB = re.compile(r"\.(?:opendata|hub)\.arcgis\.com$", re.IGNORECASE)


def derive(record: PortalRecord) -> Catalogue | None:
    """The catalogue address from the platform's documented layout and the portal's address, when it can be told."""
    platform, home = record.platform or "", record.homepage.strip()
    if not _usable(home):
        return None
    parts = urlsplit(home)
    how = f"derived:{platform}"
    if platform == "opendatasoft":
        return Catalogue("ods", _root(home), "derived", how, note="the Explore API at the portal's root")
    if platform == "udata":
        return Catalogue("udata", udata_root(_no_query(home)), "derived", how, note="udata's API v1 at /api/1/")
    if platform in ("ckan", "dkan"):
        return Catalogue("ckan", ckan_root(_no_query(home)), "derived", how,
                         note="the CKAN Action API assumed at the portal's address")
    if platform in ("geonetwork", "geosource") and (match := _GEONETWORK.match(_no_query(home))):
        return Catalogue("csw", match.group("base") + "/srv/fre/csw", "derived", how,
                         note="GeoNetwork's CSW at …/srv/fre/csw below where it is mounted")
    if platform == "geonode":
        return Catalogue("csw", _root(home) + "/catalogue/csw", "derived", how, note="GeoNode's CSW at /catalogue/csw")
    if platform == "esrigeo" and "/geoportal" in parts.path:
        base = parts.path.split("/geoportal")[0] + "/geoportal/csw"
        return Catalogue("csw", urlunsplit((parts.scheme, parts.netloc, base, "", "")), "derived", how,
                         note="Esri Geoportal Server's CSW at …/geoportal/csw")
    if platform == "isogeo" and (match := _ISOGEO.match(home)):
        return Catalogue("dcat", f"https://dcat.isogeo.com/{match.group('share')}/{match.group('token')}", "derived",
                         how, note="an Isogeo share's DCAT feed at dcat.isogeo.com/<share>/<token>")
    if platform in ("arcgishub", "arcgis") and _HUB.search(parts.hostname or ""):
        return Catalogue("dcat", _root(home) + "/api/feed/dcat-us/1.1.json", "derived", how,
                         note="an ArcGIS Hub site's DCAT-US feed at /api/feed/dcat-us/1.1.json")
    if platform == "datafair":
        return Catalogue("dcat", _root(home) + "/data-fair/api/v1/catalog/dcat", "derived", how,
                         note="Data Fair's DCAT catalogue route (/data-fair/api/v1/catalog/dcat), from its source "
                              "code: not listed by a registry")
    return None


# -- keys: which addresses are one catalogue, which are one site ------------------------------------------------------

_LANG = re.compile(r"/srv/[a-z]{3}/", re.IGNORECASE)


def host_key(url: str) -> str:
    """The host, lower case, without "www." and without the default port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = parts.port
    return f"{host}:{port}" if port and port not in (80, 443) else host


def catalogue_key(catalogue: Catalogue) -> str:
    """One key per catalogue endpoint: scheme, "www.", a trailing slash, a GeoNetwork's UI language in its CSW path
    (…/srv/fre/csw and …/srv/eng/csw are one catalogue) and query strings do not make two catalogues."""
    parts = urlsplit(catalogue.url)
    path = _LANG.sub("/srv/-/", parts.path).rstrip("/").lower()
    return f"{catalogue.type} {host_key(catalogue.url)}{path}"


# Hosts that serve several independent catalogues, each under its own path: the tenant makes the site.
MULTI_TENANT = [
    (re.compile(r"^(?:open|dcat)\.isogeo\.com$"), re.compile(r"^/(?:s/)?([0-9a-f]{32})")),
    (re.compile(r"(?:^|\.)carmencarto\.fr$|^carmen\.developpement-durable\.gouv\.fr$"),
     re.compile(r"^/(?:\w+/)?(\d+)")),
    (re.compile(r"\.lizmap\.com$"), re.compile(r"^/([^/]+)")),
]


# Path prefixes where catalogue software is commonly mounted beside another site on the same host
# (www.geo2france.fr/geonetwork and www.geo2france.fr/ckan are two catalogues)
APP_MOUNTS = {"geonetwork", "geocat", "geosource", "ckan", "geoportal", "catalogue", "catalog"}


def site_key(url: str) -> str:
    """One key per portal site, whatever API of it is meant: the host, plus the tenant on hosts that serve several
    independent catalogues (an Isogeo share, a carmencarto instance), or the mount point of catalogue software
    (/geonetwork, /ckan...)."""
    host = host_key(url)
    path = urlsplit(url).path
    for host_pattern, tenant in MULTI_TENANT:
        if host_pattern.search(host.split(":")[0]):
            match = tenant.match(path)
            return f"{'isogeo' if 'isogeo' in host else host}/{match.group(1) if match else ''}"
    first = path.strip("/").split("/")[0].lower()
    return f"{host}/{first}" if first in APP_MOUNTS else host


# Platform names that are one platform to moisson (an ArcGIS Hub site is what OpenDataFrance called "ArcGis";
# data4citizen and DKAN speak CKAN's Action API; site builders without a catalogue API are all "custom")
FAMILIES = {"arcgishub": "arcgis", "dkan": "ckan", "data4citizen": "ckan", "geosource": "geonetwork",
            **{p: "custom" for p in ("typo3", "mgdis", "opendatagazette", "metaclic")}}


def same_platform(a: str | None, b: str | None) -> bool:
    return bool(a and b) and FAMILIES.get(a or "", a) == FAMILIES.get(b or "", b)
