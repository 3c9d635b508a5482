"""OpenDataSoft portals through the Explore API v2.1 catalog (v2.0 as a fallback for old portals).

Paging: ``/api/explore/v2.1/catalog/datasets?limit=&offset=&order_by=dataset_id&include_app_metas=true``. The API
refuses ``offset + limit`` above 10,000, so past that window the harvest goes on by key: ``where=dataset_id >
"<last id seen>"`` from offset 0 again — sorting on the id is what makes both paging modes stable. ``total_count`` is
never trusted (hand-edited and real responses alike disagree with their results): a short page ends the sweep, and a
page that brings nothing new (a server ignoring ``offset``) stops it with a page-level error instead of looping.

Incremental: ``where=modified >= date'<since>'`` (ODSQL), ANDed with the source's own ``where`` option.

``include_app_metas=true`` is what makes the portal add ``metas.explore`` (download_count, api_call_count,
popularity_score, reuse_count): the popularity figures the statistics work needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import quote

import orjson
import requests
from pydantic import BaseModel, ConfigDict, Field

from harvesters.base import Harvester
from kernel import jsonpage
from kernel.records import HarvestItem, RawRecord, RecordError, SourceError

WINDOW = 10_000  # the Explore API's limit on offset + limit
API_PATHS = {"v2.1": "/api/explore/v2.1/catalog/datasets", "v2.0": "/api/v2/catalog/datasets"}


class OdsOptions(BaseModel):
    """``options:`` of an ods source."""

    model_config = ConfigDict(extra="forbid")

    page_size: int = Field(default=100, ge=1, le=100, description="datasets per page (the API allows 100 at most)")
    where: str | None = Field(default=None, description='ODSQL filter, e.g. publisher = "Ville de Vanves"')
    include_app_metas: bool = Field(default=True, description="ask for metas.explore (popularity figures)")
    lang: str | None = Field(default=None, description="language of the labels, e.g. fr")


class OdsHarvester(Harvester):
    type: ClassVar[str] = "ods"
    Options: ClassVar[type[BaseModel]] = OdsOptions
    supports_incremental: ClassVar[bool] = True
    window: ClassVar[int] = WINDOW
    options: OdsOptions

    def harvest(self, since: str | None = None) -> Iterator[HarvestItem]:
        base = portal_root(self.source.url)
        version = self._api_version(base)
        api = base + API_PATHS[version]
        clauses = [f"({self.options.where})"] if self.options.where else []
        if since:
            clauses.append(f"modified >= date'{since}'")
        seen: set[str] = set()
        offset, after, last_id = 0, None, None
        while True:
            where = " AND ".join(clauses + ([f'dataset_id > "{after}"'] if after else []))
            params: dict[str, Any] = {"limit": self.options.page_size, "offset": offset, "order_by": "dataset_id"}
            if where:
                params["where"] = where
            if self.options.include_app_metas:
                params["include_app_metas"] = "true"
            if self.options.lang:
                params["lang"] = self.options.lang
            try:
                page = self._page(api, params, version)
            except (requests.RequestException, ValueError) as exc:
                if not seen:  # the very first page: the source as a whole cannot be harvested
                    raise SourceError(f"cannot read the Explore API catalog {api}: {exc}") from None
                yield RecordError(f"catalog page at offset {offset} failed: {exc}", None, api)
                return
            new = 0
            for item in page:
                dataset = item.get("dataset") if isinstance(item.get("dataset"), dict) else item  # v2.0 envelope
                dataset_id = dataset.get("dataset_id") if isinstance(dataset, dict) else None
                if not isinstance(dataset_id, str) or not dataset_id:
                    yield RecordError(f"a dataset without dataset_id in the page at offset {offset}", None, api)
                    continue
                if dataset_id in seen:
                    continue
                seen.add(dataset_id)
                new += 1
                metas = dataset.get("metas") if isinstance(dataset.get("metas"), dict) else {}
                default = metas.get("default") if isinstance(metas.get("default"), dict) else {}
                modified = default.get("modified")
                yield RawRecord(source_id=self.source.id, native_id=dataset_id,
                                url=f"{api}/{quote(dataset_id)}", profile="ods", content=orjson.dumps(dataset),
                                modified=modified if isinstance(modified, str) else None)
                last_id = dataset_id
            if len(page) < self.options.page_size:
                return
            if new == 0:
                yield RecordError(f"the page at offset {offset} repeats datasets already seen; paging stopped "
                                  "(the server seems to ignore offset)", None, api)
                return
            offset += len(page)
            if offset + self.options.page_size > self.window:
                offset, after = 0, last_id  # past the API window: continue by key, after the last id seen

    def _api_version(self, base: str) -> str:
        """v2.1, unless the portal answers 404 there and serves v2.0 (portals not upgraded)."""
        probe = {"limit": 1}
        try:
            self.http.get(base + API_PATHS["v2.1"], params=probe)
            return "v2.1"
        except requests.HTTPError as exc:
            if exc.response is None or exc.response.status_code != 404:
                raise SourceError(_explain(exc, base + API_PATHS["v2.1"])) from None
        try:
            self.http.get(base + API_PATHS["v2.0"], params=probe)
        except requests.HTTPError:
            raise SourceError(f"{base} is not an OpenDataSoft portal: no Explore API v2.1 or v2.0 catalog "
                              f"({base + API_PATHS['v2.1']} answered 404)") from None
        return "v2.0"

    def _page(self, api: str, params: dict[str, Any], version: str) -> list[dict[str, Any]]:
        response = self.http.get(api, params=params)
        try:
            body = jsonpage.loads(response.content)  # one record nested too deep must not cost the page
        except ValueError:
            raise ValueError(f"{response.url} did not answer JSON") from None
        key = "results" if version == "v2.1" else "datasets"
        results = body.get(key) if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise ValueError(f"{response.url}: no '{key}' list in the answer, not an Explore API {version} catalog")
        return [r for r in results if isinstance(r, dict)]


def portal_root(url: str) -> str:
    """https://data.example.fr from the portal URL or any of its API URLs given in sources.yaml."""
    head, sep, _ = url.partition("/api/")
    root = head if sep else url
    for suffix in ("/explore", "/explore/"):
        root = root.removesuffix(suffix)
    return root.rstrip("/")


def _explain(exc: requests.HTTPError, url: str) -> str:
    response = exc.response
    status = response.status_code if response is not None else "?"
    detail = ""
    if response is not None:
        try:
            body = response.json()
            detail = f": {body.get('message') or body.get('error') or body}" if isinstance(body, dict) else ""
        except ValueError:
            detail = ""
    return f"the Explore API answered HTTP {status} for {url}{detail}"
