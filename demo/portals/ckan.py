"""A CKAN Action API emulator built from recorded package dicts, for tests and `moisson demo`.

Why an emulator rather than static files: a harvester's hard cases are behaviours, not documents — paging by
rows/start, a ``count`` that lies, ``fq=metadata_modified:[X TO *]``, packages that change or vanish between two
harvests, a malformed record in the middle of a page, a portal without ``package_search`` (old CKAN, DKAN) or whose
``package_show`` answers a list (DKAN). The data itself stays recorded: the package dicts come byte-for-byte from the
fixtures (see :func:`load_recordings`); only what a real CKAN always adds is filled in when a recorded example lacks
it (an ``id`` and a ``metadata_modified``, see :func:`_complete`).

What it answers, as CKAN 2.x does (GET query parameters or a POST JSON body, under ``/api/3/action/`` and
``/api/action/``): ``status_show``, ``package_search`` (rows, start, q, fq, sort), ``package_show`` (id or name;
``include_tracking``), ``package_list``, ``organization_list`` (all_fields, limit, offset), ``organization_show``.
The envelope is ``{help, success, result}``; errors are CKAN's: an unknown action is HTTP 400 with a bare JSON string,
a missing package HTTP 404 with ``{"__type": "Not Found Error"}``, a bad query HTTP 400 ``Search Query Error``.
``/dataset/{name}`` serves a small HTML page, so landing pages of harvested records resolve.
"""

from __future__ import annotations

import copy
import html
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from demo.server import PortalServer, Request, Response

ACTION_PREFIXES = ("/api/3/action/", "/api/action/")
DEFAULT_SORT = "score desc, metadata_modified desc"
_RANGE = re.compile(r"^(?P<field>[\w.-]+):\[(?P<low>\S+) TO (?P<high>\S+)\]$")
_TERM = re.compile(r'^(?P<field>[\w.-]+):(?:"(?P<quoted>[^"]*)"|(?P<bare>\S+))$')

FailHook = Callable[[str, dict[str, Any]], int | None]


@dataclass
class Call:
    """One Action API call as the emulator understood it (tests check paging and filters on these)."""

    action: str
    params: dict[str, Any]
    status: int


@dataclass
class Recordings:
    packages: list[dict[str, Any]] = field(default_factory=list)
    organizations: list[dict[str, Any]] = field(default_factory=list)


class CkanPortal:
    """An in-memory CKAN. Mutate it between harvests with :meth:`put`, :meth:`update`, :meth:`delete`,
    :meth:`inject`; shape its behaviour with the constructor flags.

    - ``search``: False makes ``package_search`` an unknown action (old CKAN, DKAN): harvesters must fall back to
      ``package_list`` + ``package_show``.
    - ``list_shaped_show``: ``package_show`` answers ``[package]`` as DKAN does.
    - ``status``: False makes ``status_show`` an unknown action.
    - ``count_offset``: added to the true ``count`` of package_search (data.gov.au says 3 and returns 4: -1).
    - ``rows_max``: the server's cap on ``rows`` (CKAN's ``ckan.search.rows_max``, 1000 by default).
    - ``orgs_max``: the cap on ``organization_list`` with all_fields (CKAN's default is 25).
    - ``fail_when(action, params)``: return an HTTP status to fail that call with a CKAN error (e.g. 500 on the
      third page), or None to answer normally.
    """

    def __init__(self, packages: Iterable[dict[str, Any]] = (), organizations: Iterable[dict[str, Any]] = (), *,
                 search: bool = True, list_shaped_show: bool = False, status: bool = True, count_offset: int = 0,
                 rows_max: int = 1000, orgs_max: int = 25, fail_when: FailHook | None = None) -> None:
        self.items: list[Any] = []  # what package_search lists, in creation order; malformed values included
        self.organizations: dict[str, dict[str, Any]] = {}
        self.search = search
        self.list_shaped_show = list_shaped_show
        self.status = status
        self.count_offset = count_offset
        self.rows_max = rows_max
        self.orgs_max = orgs_max
        self.fail_when = fail_when
        self.calls: list[Call] = []
        for org in organizations:
            self.add_organization(org)
        for package in packages:
            self.put(package, touch=False)

    # -- mutations (tests change the portal between two harvests) -------------------------------------------------

    def put(self, package: dict[str, Any], *, touch: bool = True) -> dict[str, Any]:
        """Add or replace a package (by id); ``touch`` sets metadata_modified to now, as a CKAN edit does."""
        package = _complete(copy.deepcopy(package))
        if touch:
            package["metadata_modified"] = _now()
        org = package.get("organization")
        if isinstance(org, dict) and org.get("id") and org["id"] not in self.organizations:
            self.add_organization(org)
        for i, item in enumerate(self.items):
            if isinstance(item, dict) and item.get("id") == package["id"]:
                self.items[i] = package
                return package
        self.items.append(package)
        return package

    def update(self, package_id: str, **changes: Any) -> dict[str, Any]:
        """Change fields of a package and bump its metadata_modified."""
        package = self.package(package_id)
        if package is None:
            raise KeyError(package_id)
        return self.put({**package, **changes})

    def delete(self, package_id: str) -> None:
        """Remove a package, as a purge (or a switch to private) does: it leaves search, list and show."""
        package = self.package(package_id)
        if package is None:
            raise KeyError(package_id)
        self.items = [item for item in self.items if item is not package]

    def inject(self, value: Any, position: int | None = None) -> None:
        """Put any JSON value among the search results (a string, a dict without id...): a malformed record."""
        self.items.insert(len(self.items) if position is None else position, copy.deepcopy(value))

    def add_organization(self, org: dict[str, Any]) -> None:
        org = copy.deepcopy(org)
        org.setdefault("name", org.get("id"))
        org.setdefault("id", org.get("name"))
        self.organizations[str(org["id"])] = org

    # -- reading --------------------------------------------------------------------------------------------------

    @property
    def packages(self) -> list[dict[str, Any]]:
        return [item for item in self.items if isinstance(item, dict) and isinstance(item.get("id"), str)]

    def package(self, id_or_name: str) -> dict[str, Any] | None:
        for package in self.packages:
            if id_or_name in (package.get("id"), package.get("name")):
                return package
        return None

    # -- HTTP -----------------------------------------------------------------------------------------------------

    def __call__(self, request: Request) -> Response:
        for prefix in ACTION_PREFIXES:
            if request.path.startswith(prefix):
                return self._action(request, request.path[len(prefix):].strip("/"))
        if request.path.rstrip("/") in ("/api", "/api/3"):
            return _json(200, {"version": 3})
        if request.path.startswith("/dataset/"):
            return self._landing_page(request.path.removeprefix("/dataset/").strip("/"))
        return Response(404, b"<html><body><h1>404 Not Found</h1></body></html>", content_type="text/html")

    def _action(self, request: Request, action: str) -> Response:
        params = _params(request)
        if params is None:
            return self._finish(action, params or {}, 400, "Bad request - JSON Error: the body is not a JSON object")
        handler = self._handlers().get(action)
        if handler is None:
            return self._finish(action, params, 400, f"Bad request - Action name not known: {action}")
        if self.fail_when and (status := self.fail_when(action, params)):
            return self._finish(action, params, status, self._envelope(
                request, action, error={"__type": "Internal Server Error", "message": "Internal Server Error"}))
        try:
            result = handler(params)
        except _NotFound as exc:
            return self._finish(action, params, 404, self._envelope(
                request, action, error={"__type": "Not Found Error", "message": f"Not found: {exc}"}))
        except _BadQuery as exc:
            return self._finish(action, params, 400, self._envelope(
                request, action, error={"__type": "Search Query Error",
                                        "message": f"Search Query is invalid: {exc.args!r}"}))
        except _Invalid as exc:
            return self._finish(action, params, 409, self._envelope(
                request, action, error={"__type": "Validation Error", **exc.errors}))
        return self._finish(action, params, 200, self._envelope(request, action, result=result))

    def _finish(self, action: str, params: dict[str, Any], status: int, body: Any) -> Response:
        self.calls.append(Call(action, params, status))
        return _json(status, body)

    def _envelope(self, request: Request, action: str, *, result: Any = None,
                  error: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"help": f"{request.base_url}/api/3/action/help_show?name={action}"}
        if error is None:
            body.update(success=True, result=result)
        else:
            body.update(success=False, error=error)
        return body

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], Any]]:
        handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "package_show": self._package_show,
            "package_list": self._package_list,
            "organization_list": self._organization_list,
            "organization_show": self._organization_show,
        }
        if self.search:
            handlers["package_search"] = self._package_search
        if self.status:
            handlers["status_show"] = self._status_show
        return handlers

    def _status_show(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"site_title": "moisson CKAN emulator", "site_description": "", "site_url": "",
                "ckan_version": "2.10.4", "error_emails_to": None, "locale_default": "fr",
                "extensions": ["activity", "scheming_datasets", "spatial_metadata"]}

    def _package_search(self, params: dict[str, Any]) -> dict[str, Any]:
        rows = min(_int(params, "rows", 10, minimum=0), self.rows_max)
        start = _int(params, "start", 0, minimum=0)
        sort = str(params.get("sort") or DEFAULT_SORT)
        matches = [item for item in self.items
                   if _matches_q(item, str(params.get("q") or "")) and _matches_fq(item, _fq(params))]
        ordered = _sorted(matches, sort)
        return {"count": max(0, len(ordered) + self.count_offset), "sort": sort, "facets": {},
                "results": copy.deepcopy(ordered[start:start + rows]), "search_facets": {}}

    def _package_show(self, params: dict[str, Any]) -> Any:
        key = params.get("id") or params.get("name_or_id")
        if not key:
            raise _Invalid({"id": ["Missing value"]})
        package = self.package(str(key))
        if package is None:
            raise _NotFound("Dataset")
        package = copy.deepcopy(package)
        if not _bool(params.get("include_tracking")):
            package.pop("tracking_summary", None)
            for resource in package.get("resources") or []:
                if isinstance(resource, dict):
                    resource.pop("tracking_summary", None)
        return [package] if self.list_shaped_show else package

    def _package_list(self, params: dict[str, Any]) -> list[str]:
        names = [str(p.get("name") or p["id"]) for p in self.packages]
        offset = _int(params, "offset", 0, minimum=0)
        limit = params.get("limit")
        return names[offset:offset + int(limit)] if limit not in (None, "") else names[offset:]

    def _organization_list(self, params: dict[str, Any]) -> list[Any]:
        orgs = sorted(self.organizations.values(), key=lambda o: str(o.get("name") or ""))
        if not _bool(params.get("all_fields")):
            return [o.get("name") for o in orgs]
        offset = _int(params, "offset", 0, minimum=0)
        limit = min(_int(params, "limit", self.orgs_max, minimum=0), self.orgs_max)
        page = copy.deepcopy(orgs[offset:offset + limit])
        include_extras = _bool(params.get("include_extras"))
        for org in page:
            org["package_count"] = sum(1 for p in self.packages if _org_id(p) in (org.get("id"), org.get("name")))
            if not include_extras:
                org.pop("extras", None)
        return page

    def _organization_show(self, params: dict[str, Any]) -> dict[str, Any]:
        key = str(params.get("id") or "")
        for org in self.organizations.values():
            if key and key in (org.get("id"), org.get("name")):
                return copy.deepcopy(org)
        raise _NotFound("Organization was not found.")

    def _landing_page(self, name: str) -> Response:
        package = self.package(name)
        if package is None:
            return Response(404, b"<html><body><h1>Dataset not found</h1></body></html>", content_type="text/html")
        title = html.escape(str(package.get("title") or name))
        body = f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        return Response(200, body.encode(), content_type="text/html; charset=utf-8")


class _NotFound(Exception):
    pass


class _BadQuery(Exception):
    pass


class _Invalid(Exception):
    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__(errors)
        self.errors = errors


# -- request parsing --------------------------------------------------------------------------------------------


def _params(request: Request) -> dict[str, Any] | None:
    """GET query parameters (one value each) or a POST JSON object; None when a POST body is not an object."""
    if request.method == "POST" and request.body:
        try:
            data = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            return None
        return data if isinstance(data, dict) else None
    return {key: values[-1] for key, values in request.query.items()}


def _int(params: dict[str, Any], key: str, default: int, *, minimum: int) -> int:
    try:
        return max(minimum, int(params.get(key, default)))
    except (TypeError, ValueError):
        raise _Invalid({key: ["Invalid integer"]}) from None


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes", "on")


def _fq(params: dict[str, Any]) -> list[str]:
    """Solr filter clauses of ``fq`` (and ``fq_list``), split on spaces outside brackets and quotes, AND-ed."""
    raw = params.get("fq_list") or []
    clauses = [raw] if isinstance(raw, str) else list(raw)
    if params.get("fq"):
        clauses.append(str(params["fq"]))
    out: list[str] = []
    for clause in clauses:
        out += [part for part in re.findall(r'[^\s"\[]+(?:"[^"]*"|\[[^\]]*\])?|"[^"]*"', clause)
                if part.upper() != "AND" and part != "+"]
    return out


def _matches_fq(item: Any, clauses: list[str]) -> bool:
    if not clauses:
        return True
    if not isinstance(item, dict):
        return True  # a malformed entry of the index matches filters: it is what the harvester must survive
    for clause in clauses:
        clause = clause.lstrip("+")
        if match := _RANGE.match(clause):
            if not _in_range(_field(item, match["field"]), match["low"], match["high"]):
                return False
        elif match := _TERM.match(clause):
            wanted = match["quoted"] if match["quoted"] is not None else match["bare"]
            if wanted != "*" and wanted not in _values(item, match["field"]):
                return False
        else:
            raise _BadQuery(clause)
    return True


def _matches_q(item: Any, q: str) -> bool:
    q = q.strip()
    if q in ("", "*:*", "*"):
        return True
    if not isinstance(item, dict):
        return False
    if _TERM.match(q) or _RANGE.match(q):
        return _matches_fq(item, [q])
    haystack = " ".join(str(item.get(k) or "") for k in ("name", "title", "notes")).lower()
    haystack += " " + " ".join(_values(item, "tags")).lower()
    return all(word in haystack for word in q.lower().split())


def _values(item: dict[str, Any], name: str) -> list[str]:
    """The indexed values of a field: organization and groups by name, tags by name, others as text."""
    if name in ("organization", "owner_org"):
        org = item.get("organization")
        names = [org.get("name"), org.get("id")] if isinstance(org, dict) else []
        return [str(v) for v in (*names, item.get("owner_org")) if v]
    if name in ("tags", "groups", "res_format"):
        source = item.get("resources" if name == "res_format" else name) or []
        key = "format" if name == "res_format" else "name"
        return [str(x.get(key)) for x in source if isinstance(x, dict) and x.get(key)]
    value = _field(item, name)
    return [] if value is None else [str(value)]


def _field(item: dict[str, Any], name: str) -> Any:
    value = item.get(name)
    if value is None:
        for extra in item.get("extras") or []:
            if isinstance(extra, dict) and extra.get("key") == name:
                return extra.get("value")
    return value


def _in_range(value: Any, low: str, high: str) -> bool:
    """Solr range on a date field: ``*`` is open; dates compare as instants (naive = UTC, as CKAN stores them)."""
    moment = _instant(value)
    if moment is None:
        return False
    if low != "*":
        bound = _instant(low)
        if bound is None:
            raise _BadQuery(low)
        if moment < bound:
            return False
    if high != "*":
        bound = _instant(high)
        if bound is None:
            raise _BadQuery(high)
        if moment > bound:
            return False
    return True


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if text.upper() == "NOW":
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sorted(items: list[Any], sort: str) -> list[Any]:
    """Apply ``sort`` ("field dir, field dir"); score (relevance) keeps creation order, as an empty q does."""
    keys: list[tuple[str, bool]] = []
    for part in sort.split(","):
        words = part.split()
        if not words:
            continue
        direction = words[1].lower() if len(words) > 1 else "asc"
        if direction not in ("asc", "desc"):
            raise _BadQuery(sort)
        keys.append((words[0], direction == "desc"))
    out = list(items)
    for name, descending in reversed(keys):  # stable sorts, least significant key first
        if name == "score":
            continue
        out.sort(key=lambda item, name=name: _sort_key(item, name), reverse=descending)
    return out


def _sort_key(item: Any, name: str) -> tuple[int, Any]:
    """Missing values (and malformed entries) sort first ascending, last descending; keys of one field compare."""
    value = item.get(name) if isinstance(item, dict) else None
    if name in ("metadata_modified", "metadata_created"):
        moment = _instant(value)
        return (1, moment.timestamp()) if moment else (0, 0.0)
    return (1, str(value).lower()) if value is not None else (0, "")


def _org_id(package: dict[str, Any]) -> str | None:
    org = package.get("organization")
    if isinstance(org, dict):
        return org.get("id") or org.get("name")
    return package.get("owner_org")


def _json(status: int, body: Any) -> Response:
    return Response(status, orjson.dumps(body), content_type="application/json;charset=utf-8")


def _now() -> str:
    """CKAN's metadata_modified form: naive UTC with microseconds."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def _complete(package: dict[str, Any]) -> dict[str, Any]:
    """Fill what a real CKAN always gives and a few hand-written examples lack: an id (a UUID derived from the name,
    so it is the same on every load) and metadata_modified (the example's own ``modified``, else its creation)."""
    if not isinstance(package.get("id"), str) or not package["id"]:
        name = str(package.get("name") or package.get("title") or "")
        package["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"ckan-emulator:{name}"))
    if not package.get("metadata_modified"):
        package["metadata_modified"] = package.get("modified") or package.get("metadata_created") or \
            "2024-01-01T00:00:00"
    return package


# -- recorded data ----------------------------------------------------------------------------------------------


def load_recordings(paths: Iterable[Path]) -> Recordings:
    """Package and organisation dicts from recorded CKAN responses, in file order; a later copy of a package (by id)
    replaces an earlier one, so a package_show recording wins over the package_search hit it details.

    Understands: Action API envelopes whose result is a package_search page, a package dict, a DKAN list of package
    dicts, or an organization_list (all_fields); bare package dicts (ckanext-dcat examples); and udata snapshot
    recordings (``requests_history[].response.body`` holding the envelopes as JSON strings).
    """
    packages: dict[str, dict[str, Any]] = {}
    organizations: dict[str, dict[str, Any]] = {}
    for path in paths:
        for kind, value in _documents(orjson.loads(Path(path).read_bytes())):
            if kind == "package":
                value = _complete(value)
                packages[value["id"]] = value
            else:
                organizations[str(value.get("id") or value.get("name"))] = value
    return Recordings(list(packages.values()), list(organizations.values()))


def _documents(data: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(data, dict) and isinstance(data.get("requests_history"), list):
        for exchange in data["requests_history"]:
            body = ((exchange or {}).get("response") or {}).get("body")
            if isinstance(body, str):
                try:
                    yield from _documents(orjson.loads(body))
                except orjson.JSONDecodeError:
                    continue
        return
    if isinstance(data, dict) and "result" in data and ("success" in data or "help" in data):
        result = data["result"]
        if isinstance(result, dict) and isinstance(result.get("results"), list):
            yield from (("package", p) for p in result["results"] if isinstance(p, dict))
        elif isinstance(result, dict):
            yield from _documents(result)
        elif isinstance(result, list):
            for value in result:
                if isinstance(value, dict) and (value.get("is_organization") or value.get("type") == "organization"):
                    yield "organization", value
                elif isinstance(value, dict):
                    yield "package", value
        return
    if isinstance(data, dict) and ("resources" in data or "notes" in data) and ("name" in data or "id" in data):
        yield "package", data


def demo_portals(server: PortalServer, data_dir: Path) -> list[dict[str, Any]]:
    """Mount this type's demo portals on the server; return their sources.yaml entries as dicts."""
    recordings = load_recordings(sorted(data_dir.glob("*.json")))
    portal = CkanPortal(recordings.packages, recordings.organizations)
    url = server.mount("/ckan", portal)
    return [{"id": "demo-ckan", "type": "ckan", "url": url, "name": "Démo CKAN (DataSud, data.gov.au, EnviDat...)"}]
