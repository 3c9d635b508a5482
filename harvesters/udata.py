"""udata portals (data.gouv.fr and its siblings) through API v1: ``/api/1/datasets/``, page by page.

Paging follows the ``next_page`` link each page gives (never a computed page number: the server knows its own
limits), with guards against a link seen twice and against a link leaving the portal's host. A full sweep sorts by
``created`` so datasets created during the sweep land on later pages instead of shifting earlier ones; an
incremental harvest sorts by ``-last_update`` and stops at the first dataset last updated before ``since``.

Organisations: the dataset embeds only a reference to its organisation (name, slug, page); the SIRET/SIREN sits in
``business_number_id`` of ``/api/1/organizations/{id}/``. Each organisation is fetched once per harvest and its
``business_number_id`` copied into the dataset's ``organization`` object of the raw record, so the normaliser (and a
replay) needs no network. Deleted datasets (``deleted`` set) are left out, so a full sweep withdraws them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import orjson
import requests
from pydantic import BaseModel, ConfigDict, Field

from harvesters.base import Harvester
from kernel import jsonpage
from kernel.records import HarvestItem, RawRecord, RecordError, SourceError


class UdataOptions(BaseModel):
    """``options:`` of a udata source."""

    model_config = ConfigDict(extra="forbid")

    page_size: int = Field(default=100, ge=1, le=1000, description="datasets per page")
    organization: str | None = Field(default=None, description="only this organisation's datasets (id or slug)")
    fetch_organizations: bool = Field(default=True, description="fetch each organisation once for its SIRET")


class UdataHarvester(Harvester):
    type: ClassVar[str] = "udata"
    Options: ClassVar[type[BaseModel]] = UdataOptions
    supports_incremental: ClassVar[bool] = True
    options: UdataOptions

    def harvest(self, since: str | None = None) -> Iterator[HarvestItem]:
        root = api_root(self.source.url)
        params: dict[str, Any] | None = {"page": 1, "page_size": self.options.page_size,
                                         "sort": "-last_update" if since else "created"}
        if self.options.organization:
            params["organization"] = self.options.organization  # type: ignore[index]
        since_time = _parse_time(since) if since else None
        organisations: dict[str, dict[str, Any]] = {}
        url: str | None = f"{root}/api/1/datasets/"
        seen_pages: set[str] = set()
        first = True
        while url:
            try:
                response = self.http.get(url, params=params)
                body = jsonpage.loads(response.content)  # one record nested too deep must not cost the page
                if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                    raise ValueError(f"{response.url}: no 'data' list, not a udata API v1 datasets page")
            except (requests.RequestException, ValueError) as exc:
                if first:
                    raise SourceError(f"cannot read the udata datasets API at {url}: {exc}") from None
                yield RecordError(f"datasets page {url} failed: {exc}", None, url)
                return
            seen_pages.add(response.url)
            first, params = False, None  # next_page URLs carry their own query
            for dataset in body["data"]:
                if not isinstance(dataset, dict) or not isinstance(dataset.get("id"), str):
                    yield RecordError("a dataset without id in the page", None, response.url)
                    continue
                if dataset.get("deleted"):
                    continue
                updated = dataset.get("last_update") or dataset.get("last_modified")
                if since_time is not None and (when := _parse_time(updated)) is not None and when < since_time:
                    return  # sorted by -last_update: everything after this is older still
                self._attach_organisation(dataset, root, organisations)
                yield RawRecord(source_id=self.source.id, native_id=dataset["id"],
                                url=f"{root}/api/1/datasets/{dataset['id']}/", profile="udata",
                                content=orjson.dumps(dataset), modified=updated if isinstance(updated, str) else None)
            url = body.get("next_page") if isinstance(body.get("next_page"), str) else None
            if url and urlsplit(url).netloc != urlsplit(response.url).netloc:
                yield RecordError(f"next_page {url} leaves the portal's host; paging stopped", None, response.url)
                return
            if url and url in seen_pages:
                yield RecordError(f"next_page {url} was already fetched; paging stopped", None, response.url)
                return

    def _attach_organisation(self, dataset: dict[str, Any], root: str,
                             cache: dict[str, dict[str, Any]]) -> None:
        """Copy the organisation's business_number_id (SIRET or SIREN) into the dataset's organisation reference."""
        org = dataset.get("organization")
        if not self.options.fetch_organizations or not isinstance(org, dict) or not isinstance(org.get("id"), str):
            return
        if org["id"] not in cache:
            try:
                detail = self.http.get(f"{root}/api/1/organizations/{org['id']}/").json()
            except (requests.RequestException, ValueError) as exc:
                self.http.stats.log(f"organisation {org['id']}: {exc}; its datasets get no SIREN this time")
                detail = {}
            cache[org["id"]] = detail if isinstance(detail, dict) else {}
        detail = cache[org["id"]]
        for key in ("business_number_id", "url"):
            if detail.get(key) and not org.get(key):
                org[key] = detail[key]


def api_root(url: str) -> str:
    """https://www.data.gouv.fr from the portal URL or any API URL given in sources.yaml (``/fr`` stripped)."""
    head, sep, _ = url.partition("/api/")
    root = (head if sep else url).rstrip("/")
    for locale in ("/fr", "/en", "/es"):
        root = root.removesuffix(locale)
    return root


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
