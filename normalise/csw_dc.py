"""Dublin Core csw:Record (CSW 2.0.2 and 3.0) -> DCAT-AP: what a catalogue without ISO output gives.

Why a separate, thinner mapping: csw:Record is the CSW's mandatory common denominator (a CSW that does not offer
ISO 19139 still offers it), and DCAT-AP itself grew from Dublin Core, so most elements map one to one:
dc:identifier, dc:title, dct:abstract (or dc:description), dc:subject (keywords; EU themes when they name one),
dc:creator, dc:publisher, dc:contributor, dct:modified/created/issued, dc:language, dc:rights/dct:license/
dct:accessRights, dct:spatial and ows:BoundingBox/WGS84BoundingBox, dct:references (links, with the scheme as
protocol: the same distribution builder as ISO 19139 turns them into downloads or service access points).

dc:type "service" (or the DCMI type Service) gives a DataService, "series"/"collection" a dataset series.

Axis order: an ows:BoundingBox in EPSG:4326 lists latitude first (CSW 2.0.2 and pycsw do so); CRS84 and
ows:WGS84BoundingBox list longitude first. A box that only makes sense the other way round is read that way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from normalise import NormaliseError, territory, vocab
from normalise.common import publisher_from_hint, recommended_gaps
from normalise.iso19139 import distributions_from_links, make_link
from normalise.model import Agent, DataService, Dataset, Spatial, entry_id

if TYPE_CHECKING:
    from kernel.config import PublisherHint
    from kernel.records import RawRecord

DC = "http://purl.org/dc/elements/1.1/"
DCT = "http://purl.org/dc/terms/"
RECORD_NAMESPACES = ("http://www.opengis.net/cat/csw/2.0.2", "http://www.opengis.net/cat/csw/3.0")
OWS_NAMESPACES = ("http://www.opengis.net/ows", "http://www.opengis.net/ows/2.0")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True)


def normalise_csw_dc(raw: RawRecord, hint: PublisherHint | None = None) -> list[Dataset | DataService]:
    """One csw:Record -> one Dataset or DataService."""
    try:
        root = etree.fromstring(raw.content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise NormaliseError(f"not well-formed XML: {exc}") from None
    record = _record(root)
    values = _values(record)
    native_id = _one(values, DC, "identifier") or raw.native_id
    title = _one(values, DC, "title")
    if not title:
        raise NormaliseError("csw:Record without dc:title")
    subjects = _all(values, DC, "subject")
    publisher_name = _one(values, DC, "publisher")
    rights_texts = _all(values, DC, "rights") + _all(values, DCT, "license")
    licence, licence_label = None, None
    for text in rights_texts:
        uri, label = vocab.licence(text)
        if uri:
            licence, licence_label = uri, label
            break
    access = next(filter(None, (vocab.access_rights(v) for v in _all(values, DCT, "accessRights"))), None)
    kind = (_one(values, DC, "type") or "dataset").rstrip("/").rsplit("/", 1)[-1].lower()
    common = {
        "id": entry_id(raw.source_id, native_id), "source_id": raw.source_id, "native_id": native_id,
        "title": title,
        "description": _one(values, DCT, "abstract") or _one(values, DC, "description"),
        "keywords": list(dict.fromkeys(subjects)),
        "themes": vocab.themes(subjects),
        "publisher": Agent(name=publisher_name) if publisher_name else publisher_from_hint(hint),
        "creators": [Agent(name=name) for name in _all(values, DC, "creator")],
        "licence": licence, "licence_label": licence_label, "access_rights": access,
        "rights": "\n".join(rights_texts) or None,
        "spatial": _spatial(record, _all(values, DCT, "spatial")),
        "issued": vocab.iso_datetime(_one(values, DCT, "issued") or _one(values, DCT, "created")),
        "modified": vocab.iso_datetime(_one(values, DCT, "modified") or _one(values, DC, "date")),
        "identifiers": [native_id],
        "uri": native_id if native_id.startswith(("http://", "https://")) else None,
    }
    links = [link for link in (make_link(el.text or "", el.get("scheme")) for el in record
                               if el.tag == f"{{{DCT}}}references") if link]
    if kind == "service":
        service = DataService(**common, endpoint_urls=[link["url"] for link in links],
                              service_type=next((link["service"] for link in links if link["service"]), None))
        service.gaps = [name for name, value in (("dct:description", service.description),
                                                 ("dcat:endpointURL", service.endpoint_urls)) if not value]
        return [service]
    dataset = Dataset(**common, type="series" if kind in ("series", "collection") else "dataset",
                      languages=[uri for uri in (vocab.language(v.split(";")[0]) for v in _all(values, DC, "language"))
                                 if uri])
    dataset.distributions, dataset.landing_page = distributions_from_links(links, _all(values, DC, "format"), dataset)
    dataset.gaps = recommended_gaps(dataset)
    return [dataset]


def _record(root: etree._Element) -> etree._Element:
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        if qname.localname in ("Record", "SummaryRecord", "BriefRecord") and qname.namespace in RECORD_NAMESPACES:
            return element
    raise NormaliseError(f"not a csw:Record (root element <{etree.QName(root).localname}>)")


def _values(record: etree._Element) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for element in record:
        if isinstance(element.tag, str) and (text := " ".join((element.text or "").split())):
            out.setdefault(element.tag, []).append(text)
    return out


def _all(values: dict[str, list[str]], namespace: str, name: str) -> list[str]:
    return values.get(f"{{{namespace}}}{name}", [])


def _one(values: dict[str, list[str]], namespace: str, name: str) -> str | None:
    found = _all(values, namespace, name)
    return found[0] if found else None


def _spatial(record: etree._Element, names: list[str]) -> list[Spatial]:
    out: list[Spatial] = []
    for element in record:
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        if qname.namespace not in OWS_NAMESPACES or qname.localname not in ("BoundingBox", "WGS84BoundingBox"):
            continue
        bbox = _bbox(element, lon_first=qname.localname == "WGS84BoundingBox" or "CRS84" in (element.get("crs") or ""))
        if bbox is None:
            continue
        west, south, east, north = bbox
        departements, regions = territory.for_bbox(bbox)
        out.append(Spatial(bbox=bbox, departements=list(departements), regions=list(regions), geometry={
            "type": "Polygon",
            "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]]}))
    for name in names:
        communes, departements, regions = territory.for_name(name)
        out.append(Spatial(label=name, communes=list(communes), departements=list(departements),
                           regions=list(regions)))
    return out


def _bbox(element: etree._Element, lon_first: bool) -> tuple[float, float, float, float] | None:
    corners = {etree.QName(child).localname: (child.text or "").split() for child in element
               if isinstance(child.tag, str)}
    try:
        a1, b1 = (float(v) for v in corners.get("LowerCorner", [])[:2])
        a2, b2 = (float(v) for v in corners.get("UpperCorner", [])[:2])
    except ValueError:
        return None
    lon_lat = (a1, b1, a2, b2) if lon_first else (b1, a1, b2, a2)
    lat_lon = (b1, a1, b2, a2) if lon_first else (a1, b1, a2, b2)
    for west, south, east, north in (lon_lat, lat_lon):
        if -180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90:
            return west, south, east, north
    return None
