"""An OpenDataSoft Explore API emulator (v2.1 catalog, v2.0 for old portals) serving recorded datasets.

Why an emulator and not static files: the harvester pages with limit/offset, filters with ODSQL ``where`` clauses
(incremental ``modified >= date'...'``, keyset ``dataset_id > "..."``), sorts, and asks ``include_app_metas=true``
for the popularity figures; tests and the statistics work need those counters to change between two harvests.

Data (see demo/data/ods/README.md): no verbatim v2.1 catalog page exists in the fixtures, so the v2.1 datasets are
built from what is recorded — the two ``datasets-v2.1`` examples of Opendatasoft's official OpenAPI document, the
six datasets of a real v2.0 catalog response (same dataset objects, v2.0 wraps each in ``{"dataset": ...}``), and one
French dataset rebuilt from a real v2.1 DCAT export (data.capatlantique.fr). ``metas.explore`` counters are not in any
recording: they are generated (stable per dataset id) and can be changed with :meth:`OdsPortal.set_counters`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lxml import etree

from demo.server import PortalServer, Request, Response

OPENAPI = "opendatasoft_explore-v2.1_openapi.json"
V20_CATALOG = "terriajs_campbelltown_v2.0_catalog_datasets.json"
CAPATLANTIQUE = "udata-snapshot_capatlantique_v2.1_catalog_exports_dcat.json"
MAX_LIMIT, WINDOW = 100, 10_000
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json", "geojson": "application/geo+json",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "parquet": "application/vnd.apache.parquet", "shp": "application/zip",
                "kml": "application/vnd.google-earth.kml+xml", "jsonl": "application/jsonl"}


def load_datasets(data_dir: Path) -> list[dict[str, Any]]:
    """The v2.1 dataset objects built from the recorded files found in ``data_dir`` (fixture names kept)."""
    out: list[dict[str, Any]] = []
    openapi = data_dir / OPENAPI
    if openapi.exists():
        examples = json.loads(openapi.read_text("utf-8"))["components"]["examples"]
        out += examples["datasets-v2.1"]["value"]["results"]
    v20 = data_dir / V20_CATALOG
    if v20.exists():
        out += [item["dataset"] for item in json.loads(v20.read_text("utf-8"))["datasets"]]
    capatlantique = data_dir / CAPATLANTIQUE
    if capatlantique.exists():
        out += datasets_from_dcat_recording(capatlantique)
    return out


_NS = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "dcat": "http://www.w3.org/ns/dcat#",
       "dcterms": "http://purl.org/dc/terms/", "foaf": "http://xmlns.com/foaf/0.1/",
       "skos": "http://www.w3.org/2004/02/skos/core#"}


def datasets_from_dcat_recording(path: Path) -> list[dict[str, Any]]:
    """Rebuild ODS dataset objects from a recorded ODS DCAT export (udata snapshot format).

    Only what the export states is carried over; the licence label, territory and geographic reference of the
    Guérande dataset are added by us (documented in the data README) so the French paths are exercised.
    """
    recording = json.loads(path.read_text("utf-8"))
    body = next(r["response"]["body"] for r in recording["requests_history"]
                if r["request"]["method"] == "GET" and r["response"]["body"])
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(body.encode("utf-8"), parser)
    out = []
    for node in root.iterfind(".//dcat:Dataset", _NS):
        about = node.get(f"{{{_NS['rdf']}}}about", "")
        dataset_id = about.rstrip("/").rsplit("/", 1)[-1]

        def first(path: str, attr: str | None = None, node: etree._Element = node) -> str | None:
            found = node.find(path, _NS)
            if found is None:
                return None
            return found.get(f"{{{_NS['rdf']}}}{attr}") if attr else (found.text or "").strip() or None

        formats = [d.rsplit("/", 1)[-1].split("?")[0] for d in
                   (e.get(f"{{{_NS['rdf']}}}about", "") for e in node.iterfind("dcat:distribution/dcat:Distribution",
                                                                                 _NS))]
        out.append({
            "dataset_id": dataset_id,
            "attachments": [],
            "has_records": bool(formats),
            "data_visible": True,
            "fields": [],
            "features": ["analyze"],
            "metas": {
                "default": {
                    "title": first("dcterms:title"),
                    "description": first("dcterms:description"),
                    "publisher": first("dcterms:publisher/foaf:Agent/foaf:name"),
                    "license": "Licence Ouverte v2.0 (Etalab)",
                    "license_url": first("dcterms:license/dcterms:LicenseDocument", "about"),
                    "modified": first("dcterms:modified"),
                    "language": "fr",
                    "theme": [t.text for t in node.iterfind("dcat:theme/skos:Concept/skos:prefLabel", _NS)],
                    "keyword": [],
                    "territory": ["Guérande"],
                    "geographic_reference": ["fr_80_44069"],
                },
                "dcat": {"issued": first("dcterms:issued"), "creator": first("dcterms:publisher/foaf:Agent/foaf:name")},
            },
        })
    return out


def _stable_counters(dataset_id: str) -> dict[str, Any]:
    h = int(hashlib.sha1(dataset_id.encode()).hexdigest()[:8], 16)
    return {"download_count": h % 5000, "api_call_count": (h // 5000) % 20000,
            "popularity_score": round((h % 500) / 100, 2), "reuse_count": h % 7}


class OdsError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class OdsPortal:
    """The emulator app. ``datasets`` (id -> v2.1 dataset object) and ``counters`` may be changed between requests.

    ``versions`` lists the API versions served ("v2.1", "v2.0"): an old portal serves only v2.0. ``window`` is
    the API's limit on offset + limit (10,000; tests lower it to exercise the harvester's keyset continuation).
    """

    def __init__(self, datasets: list[dict[str, Any]], *, versions: tuple[str, ...] = ("v2.1", "v2.0"),
                 window: int = WINDOW) -> None:
        self.lock = threading.Lock()
        self.window = window
        self.datasets: dict[str, dict[str, Any]] = {d["dataset_id"]: copy.deepcopy(d) for d in datasets}
        self.counters: dict[str, dict[str, Any]] = {i: _stable_counters(i) for i in self.datasets}
        self.versions = versions

    @classmethod
    def from_dir(cls, data_dir: Path, **kwargs: Any) -> OdsPortal:
        return cls(load_datasets(data_dir), **kwargs)

    # -- changes between harvests (tests, statistics demo) ------------------------------------------------------

    def set_counters(self, dataset_id: str, **counts: Any) -> None:
        with self.lock:
            self.counters.setdefault(dataset_id, _stable_counters(dataset_id)).update(counts)

    def bump_counters(self, downloads: int = 10, api_calls: int = 100) -> None:
        """Every dataset gains downloads and API calls, like a day of use."""
        with self.lock:
            for counters in self.counters.values():
                counters["download_count"] += downloads
                counters["api_call_count"] += api_calls

    def touch(self, dataset_id: str, **default_metas: Any) -> None:
        """Change a dataset's metas.default (and its modified date to now)."""
        with self.lock:
            metas = self.datasets[dataset_id]["metas"]["default"]
            metas.update(default_metas)
            metas["modified"] = default_metas.get("modified") or datetime.now(UTC).isoformat(timespec="seconds")

    def remove(self, dataset_id: str) -> None:
        with self.lock:
            self.datasets.pop(dataset_id, None)

    # -- HTTP --------------------------------------------------------------------------------------------------

    def __call__(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        try:
            if path == "/":
                return _html(200, "<h1>Portail OpenDataSoft de démonstration</h1>"
                                  '<p><a href="explore/">Catalogue</a></p>')
            for version, prefix in (("v2.1", "/api/explore/v2.1"), ("v2.0", "/api/v2")):
                if path == prefix or path.startswith(prefix + "/"):
                    if version not in self.versions:
                        raise OdsError(404, "Unknown API version")
                    return self._api(version, path[len(prefix):], request)
            if match := re.fullmatch(r"/explore/dataset/([^/]+)", path):
                dataset = self._dataset(match.group(1))
                return _html(200, f"<h1>{dataset['metas']['default'].get('title')}</h1>")
            if path == "/explore":
                return _html(200, "".join(f'<a href="dataset/{quote(i)}/">{i}</a>' for i in sorted(self.datasets)))
            raise OdsError(404, "Not found")
        except OdsError as exc:
            body = {"error_code": "NotFound" if exc.status == 404 else "ODSQLError", "message": str(exc)}
            return Response(exc.status, json.dumps(body).encode())

    def _api(self, version: str, path: str, request: Request) -> Response:
        if path in ("", "/catalog"):
            href = f"{request.base_url}/api/explore/v2.1/catalog/datasets"
            return _json({"links": [{"rel": "datasets", "href": href}]})
        if path == "/catalog/datasets":
            return _json(self._catalog(version, request))
        if match := re.fullmatch(r"/catalog/datasets/([^/]+)", path):
            dataset = self._with_metas(self._dataset(match.group(1)), _flag(request.arg("include_app_metas")))
            return _json(dataset if version == "v2.1" else {"links": [], "dataset": dataset})
        if match := re.fullmatch(r"/catalog/datasets/([^/]+)/exports/([a-z0-9]+)", path):
            dataset = self._dataset(match.group(1))
            fmt = match.group(2)
            if fmt not in EXPORT_TYPES:
                raise OdsError(400, f"Unknown export format {fmt!r}")
            names = [f["name"] for f in dataset.get("fields", [])]
            body = (";".join(names) + "\n").encode() if fmt == "csv" else b"[]" if fmt == "json" else b"demo export"
            return Response(200, body, content_type=EXPORT_TYPES[fmt])
        if match := re.fullmatch(r"/catalog/datasets/([^/]+)/(attachments|alternative_exports)/([^/]+)", path):
            dataset = self._dataset(match.group(1))
            files = {a.get("id"): a for a in dataset.get(match.group(2)) or []}
            if match.group(3) not in files:
                raise OdsError(404, "Unknown attachment")
            return Response(200, b"demo attachment", content_type=files[match.group(3)].get("mimetype") or
                            "application/octet-stream")
        raise OdsError(404, "Unknown endpoint")

    def _dataset(self, dataset_id: str) -> dict[str, Any]:
        with self.lock:
            dataset = self.datasets.get(dataset_id)
            if dataset is None:
                raise OdsError(404, f"Dataset {dataset_id!r} not found")
            return copy.deepcopy(dataset)

    def _with_metas(self, dataset: dict[str, Any], app_metas: bool) -> dict[str, Any]:
        if app_metas:
            with self.lock:
                dataset["metas"]["explore"] = dict(self.counters.get(dataset["dataset_id"]) or {})
        return dataset

    def _catalog(self, version: str, request: Request) -> dict[str, Any]:
        limit = _int(request.arg("limit", "10"), "limit")
        offset = _int(request.arg("offset", "0"), "offset")
        if limit > MAX_LIMIT or limit < -1:
            raise OdsError(400, f"Invalid value for limit: {limit} (the maximum is {MAX_LIMIT})")
        if offset + max(limit, 0) > self.window:
            raise OdsError(400, f"offset + limit must be lower than {self.window}")
        where = _parse_where(request.arg("where"))
        with self.lock:
            datasets = [copy.deepcopy(d) for d in self.datasets.values()]
        selected = [d for d in datasets if all(_matches(d, clause) for clause in where)]
        selected = _sort(selected, request.arg("order_by"))
        page = selected[offset:offset + limit] if limit >= 0 else selected[offset:]
        app_metas = _flag(request.arg("include_app_metas"))
        page = [self._with_metas(d, app_metas) for d in page]
        if version == "v2.1":
            return {"total_count": len(selected), "results": page}
        return {"total_count": len(selected), "links": [], "datasets": [{"links": [], "dataset": d} for d in page]}


# -- a very small ODSQL: `field op value` clauses joined by AND -------------------------------------------------------

_CLAUSE = re.compile(r"""^\(*\s*([a-z_]+)\s*(>=|<=|!=|=|>|<)\s*(date'[^']*'|"[^"]*"|'[^']*')\s*\)*$""")


def _parse_where(where: str | None) -> list[tuple[str, str, str, bool]]:
    if not where:
        return []
    clauses = []
    for part in re.split(r"\s+AND\s+", where.strip(), flags=re.IGNORECASE):
        match = _CLAUSE.match(part.strip())
        if not match:
            raise OdsError(400, f"ODSQL query is malformed: {part!r}")
        field, op, raw = match.groups()
        is_date = raw.startswith("date'")
        clauses.append((field, op, raw[5:-1] if is_date else raw[1:-1], is_date))
    return clauses


def _field(dataset: dict[str, Any], name: str) -> Any:
    if name in ("dataset_id", "dataset_uid"):
        return dataset.get(name)
    return dataset.get("metas", {}).get("default", {}).get(name)


def _as_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _matches(dataset: dict[str, Any], clause: tuple[str, str, str, bool]) -> bool:
    field, op, value, is_date = clause
    actual = _field(dataset, field)
    if actual is None:
        return False
    if isinstance(actual, list):
        return op == "=" and value in actual
    left: Any = str(actual)
    right: Any = value
    if is_date or field == "modified":
        try:
            left, right = _as_time(left), _as_time(right)
        except ValueError as exc:
            raise OdsError(400, f"ODSQL: invalid date {value!r}") from exc
    return {"=": left == right, "!=": left != right, ">": left > right, "<": left < right,
            ">=": left >= right, "<=": left <= right}[op]


def _sort(datasets: list[dict[str, Any]], order_by: str | None) -> list[dict[str, Any]]:
    if not order_by:
        return datasets
    for part in reversed([p.strip() for p in order_by.split(",") if p.strip()]):
        field, _, direction = part.partition(" ")
        if field not in ("dataset_id", "modified", "title", "publisher"):
            raise OdsError(400, f"Cannot sort on {field!r}")
        datasets = sorted(datasets, key=lambda d: str(_field(d, field) or ""), reverse=direction.lower() == "desc")
    return datasets


def _int(value: str | None, name: str) -> int:
    try:
        return int(value or 0)
    except ValueError:
        raise OdsError(400, f"{name} must be an integer") from None


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1", "yes")


def _json(data: Any) -> Response:
    return Response(200, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                    content_type="application/json; charset=utf-8")


def _html(status: int, body: str) -> Response:
    page = f"<!doctype html><html lang=\"fr\"><meta charset=\"utf-8\"><body>{body}</body></html>"
    return Response(status, page.encode("utf-8"), content_type="text/html; charset=utf-8")


def demo_portals(server: PortalServer, data_dir: Path) -> list[dict]:
    """Mount the demo ODS portal on the server; return its sources.yaml entry."""
    portal = OdsPortal.from_dir(data_dir)
    url = server.mount("/ods", portal)
    return [{"id": "demo-ods", "type": "ods", "url": url, "name": "Portail OpenDataSoft de démonstration",
             "options": {"page_size": 4}}]
