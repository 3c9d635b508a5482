"""A udata API v1 emulator (data.gouv.fr's API): datasets paging, organisations, site, with changeable metrics.

Why built from other recordings: no data.gouv.fr API v1 page is among the fixtures. The datasets are rebuilt, in
udata's documented v1 shape (udata/core/dataset/api_fields.py: id, title, slug, description, created_at,
last_modified, last_update, tags, resources[{id, title, description, filetype, type, format, mime, url, latest,
filesize, checksum, created_at, last_modified, metrics, schema}], frequency, license, organization{id, name, slug,
page, uri}, owner, temporal_coverage, spatial{zones, geom, granularity}, metrics, quality, badges, harvest), from:

- the DataSud recording (udata harvesting a French regional CKAN): udata's own output for 7 datasets (ids, slugs,
  resource ids and URLs) completed with the recorded CKAN package_show answers they came from (licence, contact,
  file sizes, dates);
- data.gouv.fr's DCAT export of the Ville de Vanves organisation (2 datasets, their resources, formats, dates);
- ``additions.json`` (ours, documented in demo/data/udata/README.md): organisations with their SIREN, geozones,
  a frequency, and the schema declared by one resource.

Metrics (views, downloads, reuses, followers) are in none of these recordings: they are generated, stable per id,
and changeable between harvests (:meth:`UdataPortal.set_metrics`, :meth:`UdataPortal.bump_metrics`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from lxml import etree

from demo.server import PortalServer, Request, Response

DATASUD = "udata-snapshot_datasud.fr_package_search_and_show.json"
VANVES = "udata_data.gouv.fr_org_catalog.rdf.xml"
ADDITIONS = "additions.json"
MAX_PAGE_SIZE = 1000
SORTS = {"created": "created_at", "last_update": "last_update", "last_modified": "last_modified", "title": "title"}


def load_portal_data(datasud: Path | None, vanves: Path | None,
                     additions: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(datasets, organisations) in udata v1 shape, with URLs relative to the portal ("{base}" placeholders)."""
    extra = json.loads(additions.read_text("utf-8"))
    datasets: list[dict[str, Any]] = []
    if datasud is not None and datasud.exists():
        datasets += _from_datasud(json.loads(datasud.read_text("utf-8")))
    if vanves is not None and vanves.exists():
        datasets += _from_udata_dcat(vanves.read_bytes())
    organisations = extra["organizations"]
    by_id = {o["id"]: o for o in organisations}
    for dataset in datasets:
        add = extra["datasets"].get(dataset["id"], {})
        org = by_id.get(add.get("organization", ""))
        if org:
            dataset["organization"] = {"id": org["id"], "name": org["name"], "acronym": org.get("acronym"),
                                       "slug": org["slug"], "badges": []}
        for key in ("spatial", "frequency", "temporal_coverage", "badges"):
            if key in add:
                dataset[key] = add[key]
        for resource in dataset["resources"]:
            resource.update(add.get("resources", {}).get(resource["id"], {}))
    return datasets, organisations


def _resource(rid: str, **fields: Any) -> dict[str, Any]:
    base = {"id": rid, "title": None, "description": None, "filetype": "remote", "type": "main", "format": None,
            "mime": None, "url": None, "latest": "{base}/fr/datasets/r/" + rid, "filesize": None, "checksum": None,
            "created_at": None, "last_modified": None, "extras": {}, "preview_url": None, "schema": None}
    base.update(fields)
    return base


def _dataset(did: str, slug: str, **fields: Any) -> dict[str, Any]:
    base = {"id": did, "title": None, "acronym": None, "slug": slug, "description": None, "created_at": None,
            "last_modified": None, "last_update": None, "deleted": None, "archived": None, "featured": False,
            "private": False, "tags": [], "badges": [], "resources": [], "frequency": "unknown",
            "frequency_date": None, "extras": {}, "organization": None, "owner": None, "temporal_coverage": None,
            "spatial": None, "license": "notspecified", "contact_points": [],
            "quality": {"license": False, "temporal_coverage": False, "spatial": False, "score": 0.0}}
    base.update(fields)
    return base


def _iso(value: str | None) -> str | None:
    """udata's internal "2025-07-30 11:20:16.812000" -> the API's ISO 8601 with timezone."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace(" ", "T").replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).isoformat()


def _from_datasud(recording: dict[str, Any]) -> list[dict[str, Any]]:
    packages = {}
    for exchange in recording["requests_history"]:
        if "package_show" in exchange["request"]["url"]:
            result = json.loads(exchange["response"]["body"])["result"]
            packages[result["id"]] = result
    out = []
    for item in recording["datasets"]:
        package = packages.get(item["harvest"]["remote_id"], {})
        ckan_resources = {r["id"]: r for r in package.get("resources", [])}
        resources = []
        for res in item["resources"]:
            ckan = ckan_resources.get(res["_id"], {})
            resources.append(_resource(
                res["_id"], title=res["title"], description=res.get("description") or None, filetype=res["filetype"],
                type=res["type"], format=res["format"], mime=res.get("mime"), url=res["url"],
                filesize=ckan.get("size"), created_at=_iso(ckan.get("created")) or _iso(res["created_at_internal"]),
                last_modified=_iso(ckan.get("last_modified")) or _iso(res["last_modified_internal"])))
        contacts = [{"name": package["author"], "email": package.get("author_email"), "role": "contact"}] \
            if package.get("author") else []
        out.append(_dataset(
            item["id"], item["slug"], title=item["title"], description=item["description"], tags=item["tags"],
            created_at=_iso(item["created_at_internal"]), last_modified=_iso(item["last_modified_internal"]),
            last_update=_iso(item["last_update"]), resources=resources, license=package.get("license_id") or
            "notspecified", contact_points=contacts,
            harvest={"backend": "CKAN", "domain": item["harvest"]["domain"],
                     "remote_id": item["harvest"]["remote_id"], "remote_url": item["harvest"]["remote_url"]},
            quality={k: v for k, v in item["quality_cached"].items()}))
    return out


_NS = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "dcat": "http://www.w3.org/ns/dcat#",
       "dct": "http://purl.org/dc/terms/", "adms": "http://www.w3.org/ns/adms#",
       "skos": "http://www.w3.org/2004/02/skos/core#", "vcard": "http://www.w3.org/2006/vcard/ns#"}
_ABOUT, _RES, _NODE = (f"{{{_NS['rdf']}}}{a}" for a in ("about", "resource", "nodeID"))


def _from_udata_dcat(body: bytes) -> list[dict[str, Any]]:
    """Datasets of a data.gouv.fr organisation catalog.rdf back in API v1 shape (flat rdf:Description layout)."""
    root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    nodes = {n.get(_ABOUT) or n.get(_NODE): n for n in root.iterfind("rdf:Description", _NS)}

    def value(node: etree._Element, tag: str) -> str | None:
        found = node.find(tag, _NS)
        if found is None:
            return None
        return found.get(_RES) or (found.text or "").strip() or None

    out = []
    for node in nodes.values():
        types = {t.get(_RES) for t in node.iterfind("rdf:type", _NS)}
        if "http://www.w3.org/ns/dcat#Dataset" not in types:
            continue
        ident = nodes.get(node.find("adms:identifier", _NS).get(_NODE))
        udata_page = value(ident, "skos:notation") or ""
        did = udata_page.rstrip("/").rsplit("/", 1)[-1]
        resources = []
        for dist_ref in node.iterfind("dcat:distribution", _NS):
            dist = nodes[dist_ref.get(_RES)]
            rid = value(dist, "dct:identifier") or ""
            resources.append(_resource(
                rid, title=value(dist, "dct:title"), description=value(dist, "dct:description"),
                format=value(dist, "dct:format"), mime=value(dist, "dcat:mediaType"),
                url=value(dist, "dcat:downloadURL"), created_at=_iso(value(dist, "dct:issued")),
                last_modified=_iso(value(dist, "dct:modified"))))
        contact = nodes.get(value(node, "dct:creator") or "")
        iri = node.get(_ABOUT)
        out.append(_dataset(
            did, iri.rstrip("/").rsplit("/", 1)[-1], title=value(node, "dct:title"),
            description=value(node, "dct:description"),
            tags=[k.text for k in node.iterfind("dcat:keyword", _NS)], created_at=_iso(value(node, "dct:issued")),
            last_modified=_iso(value(node, "dct:modified")), last_update=_iso(value(node, "dct:modified")),
            resources=resources,
            contact_points=[{"name": value(contact, "vcard:fn"), "email": None, "role": "contact"}] if contact
            is not None else [],
            harvest={"backend": "DCAT", "domain": "vanves-seineouest.opendatasoft.com", "remote_id": iri, "uri": iri}))
    return out


def _stable(seed: str, modulo: int) -> int:
    return int(hashlib.sha1(seed.encode()).hexdigest()[:8], 16) % modulo


class UdataPortal:
    """The emulator app. ``datasets`` (id -> v1 dataset) and ``organizations`` may be changed between requests."""

    def __init__(self, datasets: list[dict[str, Any]], organizations: list[dict[str, Any]],
                 title: str = "data.demo — udata de démonstration") -> None:
        self.lock = threading.Lock()
        self.title = title
        self.datasets: dict[str, dict[str, Any]] = {d["id"]: copy.deepcopy(d) for d in datasets}
        self.organizations: dict[str, dict[str, Any]] = {o["id"]: copy.deepcopy(o) for o in organizations}
        for dataset in self.datasets.values():
            did = dataset["id"]
            dataset["metrics"] = {"views": _stable(did + "v", 3000), "followers": _stable(did + "f", 40),
                                  "reuses": _stable(did + "r", 5), "discussions": _stable(did + "d", 3),
                                  "resources_downloads": 0}
            for resource in dataset["resources"]:
                resource["metrics"] = {"views": _stable(resource["id"], 900)}
            dataset["metrics"]["resources_downloads"] = sum(r["metrics"]["views"] for r in dataset["resources"])

    @classmethod
    def from_dir(cls, data_dir: Path) -> UdataPortal:
        return cls(*load_portal_data(data_dir / DATASUD, data_dir / VANVES, data_dir / ADDITIONS))

    # -- changes between harvests -------------------------------------------------------------------------------

    def set_metrics(self, dataset_id: str, **metrics: int) -> None:
        with self.lock:
            self.datasets[dataset_id]["metrics"].update(metrics)

    def bump_metrics(self, views: int = 10, downloads: int = 3) -> None:
        """A day of use: every dataset gains views, every resource downloads."""
        with self.lock:
            for dataset in self.datasets.values():
                dataset["metrics"]["views"] += views
                for resource in dataset["resources"]:
                    resource["metrics"]["views"] += downloads
                dataset["metrics"]["resources_downloads"] = sum(r["metrics"]["views"] for r in dataset["resources"])

    def touch(self, dataset_id: str, **fields: Any) -> None:
        with self.lock:
            now = datetime.now(UTC).isoformat(timespec="seconds")
            self.datasets[dataset_id].update(fields)
            self.datasets[dataset_id]["last_modified"] = self.datasets[dataset_id]["last_update"] = now

    def remove(self, dataset_id: str) -> None:
        with self.lock:
            self.datasets.pop(dataset_id, None)

    # -- HTTP --------------------------------------------------------------------------------------------------

    def __call__(self, request: Request) -> Response:
        path = request.path if request.path.endswith("/") else request.path + "/"
        base = request.base_url
        if path == "/":
            return _html(f"<h1>{self.title}</h1><p><a href='{base}/api/1/datasets/'>API</a></p>")
        if path == "/api/1/site/":
            with self.lock:
                metrics = {"datasets": len(self.datasets), "organizations": len(self.organizations),
                           "resources": sum(len(d["resources"]) for d in self.datasets.values()), "reuses": 0}
            return _json({"id": "demo-udata", "title": self.title, "metrics": metrics})
        if path == "/api/1/datasets/":
            return self._page(request)
        parts = [p for p in path.split("/") if p]
        if len(parts) == 4 and parts[:3] == ["api", "1", "datasets"]:
            with self.lock:
                dataset = copy.deepcopy(self.datasets.get(parts[3]))
            return _json(_render(dataset, base)) if dataset else _error(404, "Dataset not found")
        if len(parts) == 4 and parts[:3] == ["api", "1", "organizations"]:
            with self.lock:
                org = copy.deepcopy(self.organizations.get(parts[3]))
            if org is None:
                return _error(404, "Organization not found")
            org.update(uri=f"{base}/api/1/organizations/{org['id']}/", page=f"{base}/fr/organizations/{org['slug']}/")
            return _json(org)
        if len(parts) == 4 and parts[:3] == ["fr", "datasets", "r"]:
            return Response(200, b"demo resource", content_type="application/octet-stream")
        if len(parts) == 3 and parts[:2] == ["fr", "datasets"]:
            return _html(f"<h1>{parts[2]}</h1>")
        return _error(404, "Not found")

    def _page(self, request: Request) -> Response:
        try:
            page = int(request.arg("page", "1") or 1)
            page_size = int(request.arg("page_size", "20") or 20)
        except ValueError:
            return _error(400, "page and page_size must be integers")
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            return _error(400, f"page must be >= 1 and page_size between 1 and {MAX_PAGE_SIZE}")
        sort = request.arg("sort") or "-created"
        key = SORTS.get(sort.lstrip("-"))
        if key is None:
            return _error(400, f"cannot sort on {sort!r}")
        organization = request.arg("organization")
        with self.lock:
            datasets = [copy.deepcopy(d) for d in self.datasets.values()
                        if not organization or (d.get("organization") or {}).get("id") == organization
                        or (d.get("organization") or {}).get("slug") == organization]
        datasets.sort(key=lambda d: (str(d.get(key) or ""), d["id"]), reverse=sort.startswith("-"))
        start = (page - 1) * page_size
        chunk = datasets[start:start + page_size]
        base = request.base_url
        query = {k: v[0] for k, v in request.query.items()}

        def link(number: int) -> str:
            return f"{base}/api/1/datasets/?{urlencode({**query, 'page': number, 'page_size': page_size})}"

        body = {"data": [_render(d, base) for d in chunk], "page": page, "page_size": page_size,
                "total": len(datasets), "next_page": link(page + 1) if start + page_size < len(datasets) else None,
                "previous_page": link(page - 1) if page > 1 else None}
        return _json(body)


def _render(dataset: dict[str, Any], base: str) -> dict[str, Any]:
    """Absolute URLs as the real API gives them (uri, page, organisation links, resource latest)."""
    dataset["uri"] = f"{base}/api/1/datasets/{dataset['id']}/"
    dataset["page"] = f"{base}/fr/datasets/{dataset['slug']}/"
    org = dataset.get("organization")
    if org:
        org["uri"] = f"{base}/api/1/organizations/{org['id']}/"
        org["page"] = f"{base}/fr/organizations/{org['slug']}/"
    for resource in dataset["resources"]:
        if resource.get("latest"):
            resource["latest"] = resource["latest"].replace("{base}", base)
    return dataset


def _json(data: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                    content_type="application/json; charset=utf-8")


def _error(status: int, message: str) -> Response:
    return _json({"message": message, "status": status}, status)


def _html(body: str) -> Response:
    page = f'<!doctype html><html lang="fr"><meta charset="utf-8"><body>{body}</body></html>'
    return Response(200, page.encode("utf-8"), content_type="text/html; charset=utf-8")


def demo_portals(server: PortalServer, data_dir: Path) -> list[dict]:
    """Mount the demo udata portal on the server; return its sources.yaml entry."""
    url = server.mount("/udata", UdataPortal.from_dir(data_dir))
    return [{"id": "demo-udata", "type": "udata", "url": url, "name": "data.demo (udata)",
             "options": {"page_size": 4}}]
