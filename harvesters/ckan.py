"""CKAN portals through the Action API, with ckanapi over the one HTTP layer.

Sweep: ``package_search`` paged by ``rows``/``start``, sorted ``metadata_modified desc, id asc``. Why that order:
offset paging over a list that changes while we read it skips records when items move *backwards* past the cursor.
Newest-first sends every edit and every new package to the front, which only shifts the rest forwards: we may see a
package twice (duplicates are dropped by id) but never skip one; ``id`` breaks ties so pages are deterministic. The
``count`` of the answer is not trusted (data.gov.au says 3 and returns 4, EnviDat's recordings keep 858): paging goes
on until an empty page, or a short page once ``count`` is reached, and advances by what the page actually held, so a
server capping ``rows`` below our page size loses nothing. A page that brings nothing new (a server ignoring
``start``) stops the sweep with a page-level error instead of looping.

Incremental: ``fq=metadata_modified:[since TO *]`` (Solr, UTC). Organisations are read once per harvest
(``organization_list`` with ``all_fields`` and ``include_extras``, paged: CKAN caps it at 25 per call by default) and
each package carries an enriched copy of its organisation, so the normaliser sees the organisation's extras (SIREN,
SIRET) and title without one request per package.

Fallback for portals without ``package_search`` (old CKAN, DKAN): ``package_list`` then ``package_show`` for each
name; DKAN's ``package_show`` answers a list of packages rather than one.

Errors: an unreachable portal, or one that answers nothing like the Action API, raises SourceError with a plain
reason; a package that is not an object or has no id is a RecordError. Since the store cannot tell which record such
a package was, the error is page-level (``native_id`` None): the sweep is incomplete and nothing is withdrawn.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote

import orjson
import requests
from ckanapi import RemoteCKAN
from ckanapi.errors import (
    CKANAPIError,
    NotAuthorized,
    NotFound,
    SearchError,
    SearchIndexError,
    SearchQueryError,
    ServerIncompatibleError,
    ValidationError,
)
from pydantic import BaseModel, ConfigDict, Field

from harvesters.base import Harvester
from kernel import jsonpage
from kernel.records import HarvestItem, RawRecord, RecordError, SourceError

ACTION_PATH = "api/3/action/"
SORT = "metadata_modified desc, id asc"
# Organisation fields that change whenever any package of the organisation changes: kept out of the copy attached to
# each package, or every package's raw record would change each time a sibling is added.
VOLATILE_ORG_FIELDS = ("package_count", "num_followers", "packages", "users", "display_name")
ORG_PAGE = 25  # CKAN's default ckan.group_and_organization_list_all_fields_max
# ckanapi's errors for an answer that is not a result (its own classes, or CKAN's when CKAN is importable)
ApiErrors = (CKANAPIError, ServerIncompatibleError, NotFound, NotAuthorized, ValidationError, SearchError,
             SearchQueryError, SearchIndexError)


class CkanOptions(BaseModel):
    """``options:`` of a ckan source."""

    model_config = ConfigDict(extra="forbid")

    page_size: int = Field(default=100, ge=1, le=1000, description="packages per package_search page")
    fq: str | None = Field(default=None, description='Solr filter ANDed to every search, e.g. organization:ville-x')
    organizations: bool = Field(default=True, description="read organization_list to enrich each package")
    tracking: bool = Field(default=False, description="package_show include_tracking=true for each package lacking "
                                                      "tracking_summary (CKAN 2.10+; one more request per package)")


class ApiError(Exception):
    """An Action API call that did not return a result; ``status`` is the HTTP status, ``ckan`` whether the answer
    was a CKAN error envelope (the portal is a CKAN that refused this call) rather than something else."""

    def __init__(self, message: str, status: int | None, ckan: bool, kind: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.ckan = ckan
        self.kind = kind  # CKAN's error __type ("Search Query Error", "Not Found Error"...)


class _RemoteCKAN(RemoteCKAN):
    """ckanapi's client, keeping the last response so errors can say what the server actually answered."""

    base_url = ACTION_PATH
    last: requests.Response | None = None

    def _request_fn_get(self, url: str, data_dict: Any, headers: dict[str, str],
                        requests_kwargs: dict[str, Any]) -> tuple[int, str]:
        self.last = None
        response = self.session.get(url, params=data_dict, headers=headers, **requests_kwargs)
        self.last = response
        # ckanapi decodes the text with Python's json, which dies of RecursionError near 1,000 levels, and a record
        # is written back with orjson (254 levels): a page holding one package nested deeper is handed over with
        # that package's too-deep values cut (kernel.jsonpage), so the page's other packages are harvested and this
        # one is refused by normalise.limits for its depth.
        body = jsonpage.decodable(response.content)
        return response.status_code, response.text if body is response.content else body.decode("utf-8", "replace")


class CkanHarvester(Harvester):
    type: ClassVar[str] = "ckan"
    Options: ClassVar[type[BaseModel]] = CkanOptions
    supports_incremental: ClassVar[bool] = True
    options: CkanOptions
    _api: _RemoteCKAN

    @property
    def base(self) -> str:
        return portal_root(self.source.url)

    def harvest(self, since: str | None = None) -> Iterator[HarvestItem]:
        api = _RemoteCKAN(self.base, user_agent=self.http.session.headers.get("User-Agent"), get_only=True,
                          session=self.http.session)
        self._api = api
        self._check_portal()
        organizations = self._organizations() if self.options.organizations else {}
        try:
            yield from self._search(organizations, since)
        except _NoSearch as exc:
            yield from self._list_and_show(organizations, exc.error)

    # -- Action API calls -----------------------------------------------------------------------------------------

    def call(self, action: str, **params: Any) -> Any:
        """One Action API call through ckanapi. Network failures propagate as requests errors; an answer that is not
        a result raises :class:`ApiError` saying what came back."""
        params = {k: v for k, v in params.items() if v is not None}
        try:
            return self._api.call_action(action, params, requests_kwargs={"timeout": self.http.settings.timeout})
        except ApiErrors as exc:
            raise self._api_error(action, exc) from None

    def _api_error(self, action: str, exc: Exception) -> ApiError:
        response = self._api.last
        url = f"{self.base}/{ACTION_PATH}{action}"
        if response is None:
            return ApiError(f"{url}: {type(exc).__name__}", None, False)
        status, ctype = response.status_code, response.headers.get("Content-Type", "?").split(";")[0]
        body: Any = None
        with contextlib.suppress(ValueError):
            body = response.json()
        if isinstance(body, dict) and "success" in body:
            error = body.get("error") if isinstance(body.get("error"), dict) else {}
            message = error.get("message") or error.get("__type") or orjson.dumps(error).decode()[:200]
            return ApiError(f"{url} answered HTTP {status}: {message}", status, True, error.get("__type"))
        if isinstance(body, str) and body.startswith("Bad request"):  # CKAN's answer to an unknown action
            return ApiError(f"{url} answered HTTP {status}: {body[:200]}", status, True)
        return ApiError(f"{url} answered HTTP {status} ({ctype}), not a CKAN Action API answer", status, False)

    def _check_portal(self) -> None:
        """``status_show``: a network failure here is the whole source failing. Any answer is fine: some
        CKAN-compatible portals (DKAN) lack status_show but serve the package actions, so whether the portal speaks
        the Action API is decided by package_search, then package_list."""
        try:
            self.call("status_show")
        except requests.RequestException as exc:
            raise SourceError(f"cannot reach the CKAN portal at {self.base}: {describe(exc)}") from None
        except ApiError as exc:
            self.http.stats.log(f"status_show: {exc}")

    # -- organisations --------------------------------------------------------------------------------------------

    def _organizations(self) -> dict[str, dict[str, Any]]:
        """Every organisation with its extras, by id and by name. A failure here is not fatal: packages keep the
        short organisation dict CKAN embeds in them, only the extras (SIREN...) are missed."""
        found: dict[str, dict[str, Any]] = {}
        offset = 0
        while True:
            try:
                page = self.call("organization_list", all_fields=True, include_extras=True, limit=ORG_PAGE,
                                 offset=offset, sort="name asc")
            except (ApiError, requests.RequestException) as exc:
                self.http.stats.log(f"organization_list failed, packages keep their embedded organisation: "
                                    f"{describe(exc)}")
                return found
            if not isinstance(page, list):
                return found
            new = 0
            for org in page:
                if isinstance(org, dict) and org.get("id") and str(org["id"]) not in found:
                    clean = {k: v for k, v in org.items() if k not in VOLATILE_ORG_FIELDS}
                    found[str(org["id"])] = clean
                    if org.get("name"):
                        found.setdefault(str(org["name"]), clean)
                    new += 1
            if not page or new == 0:  # the end, or an old CKAN ignoring limit/offset and repeating itself
                return found
            offset += len(page)

    # -- package_search sweep -------------------------------------------------------------------------------------

    def _search(self, organizations: dict[str, dict[str, Any]], since: str | None) -> Iterator[HarvestItem]:
        user_fq = self.options.fq
        if user_fq and " OR " in user_fq:
            user_fq = f"({user_fq})"
        since_fq = f"metadata_modified:[{solr_date(since)} TO *]" if since else None
        fq = " AND ".join(f for f in (user_fq, since_fq) if f)
        seen: set[str] = set()
        start = 0
        first = True
        sort = SORT
        while True:
            try:
                result = self.call("package_search", q="*:*", fq=fq or None, rows=self.options.page_size,
                                   start=start, sort=sort)
            except requests.RequestException as exc:
                if first:
                    raise SourceError(f"cannot read package_search at {self.base}: {describe(exc)}") from None
                yield RecordError(f"package_search page at start={start} failed: {describe(exc)}", None,
                                  self._search_url(start))
                return
            except ApiError as exc:
                if first and exc.kind == "Search Query Error" and sort == SORT:
                    sort = "metadata_modified desc"  # a schema that cannot sort on id: newest first alone
                    continue
                if first and (exc.status in (400, 404) or (not exc.ckan and (exc.status or 0) < 500)):
                    raise _NoSearch(exc) from None  # no package_search here: old CKAN, DKAN, or not CKAN at all
                if first:
                    raise SourceError(f"package_search failed at {self.base}: {exc}") from None
                yield RecordError(f"package_search page at start={start} failed: {exc}", None, self._search_url(start))
                return
            first = False
            if not isinstance(result, dict) or not isinstance(result.get("results"), list):
                yield RecordError(f"package_search page at start={start} has no results list", None,
                                  self._search_url(start))
                return
            page = result["results"]
            if not page:
                return
            new = 0
            for position, package in enumerate(page):
                item = self._record(package, organizations, f"position {start + position} of package_search",
                                    self._search_url(start))
                if isinstance(item, RawRecord):
                    if item.native_id in seen:
                        continue
                    seen.add(item.native_id)
                    new += 1
                yield item
            start += len(page)
            count = result.get("count")
            if len(page) < self.options.page_size and isinstance(count, int) and start >= count:
                return  # short page past the announced count: the end, without one more empty request
            if new == 0:
                yield RecordError(f"the package_search page at start={start - len(page)} repeats packages already "
                                  "seen; paging stopped (the server seems to ignore start)", None,
                                  self._search_url(start))
                return

    def _search_url(self, start: int) -> str:
        return f"{self.base}/{ACTION_PATH}package_search?rows={self.options.page_size}&start={start}"

    # -- package_list + package_show fallback ---------------------------------------------------------------------

    def _list_and_show(self, organizations: dict[str, dict[str, Any]], why: ApiError) -> Iterator[HarvestItem]:
        self.http.stats.log(f"package_search unavailable ({why}); using package_list + package_show")
        try:
            names = self.call("package_list")
        except requests.RequestException as exc:
            raise SourceError(f"cannot read package_list at {self.base}: {describe(exc)}") from None
        except ApiError as exc:
            raise SourceError(f"{self.base} is not a CKAN portal (no Action API answer): package_search: {why}; "
                              f"package_list: {exc}") from None
        if not isinstance(names, list):
            raise SourceError(f"{self.base}/{ACTION_PATH}package_list did not answer a list of names")
        seen: set[str] = set()
        for name in names:
            if not isinstance(name, str) or not name:
                yield RecordError(f"package_list holds a value that is not a name: {str(name)[:80]!r}", None,
                                  f"{self.base}/{ACTION_PATH}package_list")
                continue
            url = show_url(self.base, name)
            try:
                result = self.call("package_show", id=name)
            except (ApiError, requests.RequestException) as exc:
                # the package's id is unknown, so its stored record cannot be told apart: page-level, no withdrawal
                yield RecordError(f"package_show of {name!r} failed: {describe(exc)}", None, url)
                continue
            packages = result if isinstance(result, list) else [result]  # DKAN answers a list
            for package in packages:
                item = self._record(package, organizations, f"package_show of {name!r}", url)
                if isinstance(item, RawRecord):
                    if item.native_id in seen:
                        continue
                    seen.add(item.native_id)
                yield item

    # -- one package ----------------------------------------------------------------------------------------------

    def _record(self, package: Any, organizations: dict[str, dict[str, Any]], where: str, url: str) -> HarvestItem:
        if not isinstance(package, dict):
            return RecordError(f"the package at {where} is not an object but {type(package).__name__}: "
                               f"{str(package)[:80]!r}", None, url)
        package_id = package.get("id")
        if not isinstance(package_id, str) or not package_id.strip():
            label = package.get("name") or package.get("title") or "without a name"
            return RecordError(f"the package {str(label)[:80]!r} at {where} has no id", None, url)
        if self.options.tracking and "tracking_summary" not in package:
            package = self._with_tracking(package)
        package = dict(package)
        org = package.get("organization")
        key = (org.get("id") or org.get("name")) if isinstance(org, dict) else package.get("owner_org")
        if key and str(key) in organizations:
            package["organization"] = {**(org if isinstance(org, dict) else {}), **organizations[str(key)]}
        modified = package.get("metadata_modified")
        return RawRecord(source_id=self.source.id, native_id=package_id, url=show_url(self.base, package_id),
                         profile="ckan", content=orjson.dumps(package, option=orjson.OPT_SORT_KEYS),
                         modified=modified if isinstance(modified, str) else None)

    def _with_tracking(self, package: dict[str, Any]) -> dict[str, Any]:
        """The package as package_show gives it with tracking (CKAN 2.10 leaves counters out of search results)."""
        try:
            shown = self.call("package_show", id=package["id"], include_tracking=True)
        except (ApiError, requests.RequestException) as exc:
            self.http.stats.log(f"package_show with tracking of {package['id']} failed: {describe(exc)}")
            return package
        if isinstance(shown, list):
            shown = shown[0] if shown else None
        return shown if isinstance(shown, dict) and shown.get("id") == package["id"] else package


class _NoSearch(Exception):
    def __init__(self, error: ApiError) -> None:
        super().__init__(str(error))
        self.error = error


def portal_root(url: str) -> str:
    """The CKAN root from the portal URL or any of its API URLs (…/api/3/action/package_search → …)."""
    head, sep, _ = url.partition("/api/")
    root = head if sep else url
    return root.rstrip("/").removesuffix("/api")


def show_url(base: str, package_id: str) -> str:
    return f"{base}/{ACTION_PATH}package_show?id={quote(package_id, safe='')}"


def solr_date(value: str) -> str:
    """An ISO 8601 date-time as Solr wants it in a range: UTC with a Z (naive values are taken as UTC)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def describe(exc: BaseException) -> str:
    """A short, plain reason for a network or API failure (no urllib3 object reprs)."""
    if isinstance(exc, ApiError):
        return str(exc)
    if isinstance(exc, requests.exceptions.Timeout):
        return f"no answer in time ({type(exc).__name__})"
    text = str(exc)
    if match := _ERRNO.search(text):
        return match.group(1).strip().lower()
    if "NameResolutionError" in text or "Name or service not known" in text:
        return "the host name does not resolve"
    return text[:300] or type(exc).__name__
