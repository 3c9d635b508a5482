"""OGC API - Records: collections, then each record collection's items, page by page along ``next`` links.

Why plain JSON through ``self.http`` rather than OWSLib's Records client: that client fetches over its own HTTP
(bypassing the one HTTP layer's guard, politeness and accounting) and adds nothing a ``next`` link does not give.

Which collections: those named in the ``collections`` option; else those the server types as record collections
(``itemType: record`` or ``type: catalog``); else all. The source URL may also be one collection's URL
(``…/collections/{id}``). Paging follows ``rel=next`` links only (``limit`` sets the page size); a next link already
followed, or a page with no new record, ends the collection (servers that repeat the last page would loop). Each
feature is kept as it came (GeoJSON) under profile ``ogcapi-record``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urljoin

import orjson
import requests
from pydantic import BaseModel, ConfigDict, Field

from harvesters.base import Harvester
from kernel import jsonpage
from kernel.records import HarvestItem, RawRecord, RecordError, SourceError

JSON = {"Accept": "application/geo+json, application/json;q=0.9"}
_COLLECTION_URL = re.compile(r"^(?P<base>.+?)/collections/(?P<id>[^/?#]+)/?(?:items/?)?(?:\?.*)?$")


class OgcApiRecordsOptions(BaseModel):
    """``options:`` of an ogcapi-records source."""

    model_config = ConfigDict(extra="forbid")

    page_size: int = Field(default=50, ge=1, le=10_000, description="records per page (limit)")
    collections: list[str] = Field(default_factory=list, description="collection ids; default: record collections")


class OgcApiRecordsHarvester(Harvester):
    type: ClassVar[str] = "ogcapi-records"
    Options: ClassVar[type[BaseModel]] = OgcApiRecordsOptions
    options: OgcApiRecordsOptions

    def harvest(self, since: str | None = None) -> Iterator[HarvestItem]:
        base, collections = self._collections()
        seen: set[str] = set()
        for index, collection in enumerate(collections):
            yield from self._collection(base, collection, seen, first=index == 0)

    def _collections(self) -> tuple[str, list[str]]:
        url = self.source.url.rstrip("/")
        match = _COLLECTION_URL.match(url)
        if match:
            return match.group("base"), [match.group("id")]
        data = self._json(f"{url}/collections", first=True)
        listed = [c for c in data.get("collections") or [] if isinstance(c, dict) and c.get("id")]
        if not listed:
            raise SourceError(f"{url}/collections lists no collection: is this an OGC API - Records landing page?")
        if self.options.collections:
            known = {str(c["id"]) for c in listed}
            missing = [c for c in self.options.collections if c not in known]
            if missing:
                raise SourceError(f"unknown collection(s) {', '.join(missing)} at {url} (known: {', '.join(known)})")
            return url, list(self.options.collections)
        records = [c for c in listed if c.get("itemType") == "record" or c.get("type") == "catalog"]
        return url, [str(c["id"]) for c in (records or listed)]

    def _collection(self, base: str, collection: str, seen: set[str], first: bool) -> Iterator[HarvestItem]:
        url: str | None = f"{base}/collections/{collection}/items?limit={self.options.page_size}&f=json"
        followed: set[str] = set()
        while url:
            followed.add(url)
            try:  # the very first page of the harvest failing fails the source (SourceError goes through)
                page = self._json(url, first=first and len(followed) == 1)
            except (requests.RequestException, ValueError) as exc:
                yield RecordError(f"page {url} of collection {collection} failed: {exc}", None, url)
                return
            features = page.get("features")
            if not isinstance(features, list):
                yield RecordError(f"page {url} of collection {collection} has no features list", None, url)
                return
            new = 0
            for feature in features:
                if not isinstance(feature, dict) or not isinstance(feature.get("id"), str | int):
                    yield RecordError(f"a record without id in {url}", None, url)
                    continue
                native_id = str(feature["id"])
                if native_id in seen:
                    continue
                seen.add(native_id)
                new += 1
                properties = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
                yield RawRecord(
                    source_id=self.source.id, native_id=native_id,
                    url=_link(feature, "self", url) or f"{base}/collections/{collection}/items/{native_id}",
                    profile="ogcapi-record", content=orjson.dumps(feature), media_type="application/geo+json",
                    modified=properties.get("updated") if isinstance(properties.get("updated"), str) else None,
                )
            next_url = _link(page, "next", url)
            if not features or new == 0 or next_url is None or next_url in followed:
                return
            url = next_url

    def _json(self, url: str, first: bool = False) -> dict[str, Any]:
        try:
            response = self.http.get(url, headers=JSON)
            data = jsonpage.loads(response.content)  # one record nested too deep must not cost the page
        except (requests.RequestException, ValueError) as exc:
            if first:
                raise SourceError(f"cannot read {url}: {exc}") from None
            raise
        if not isinstance(data, dict):
            if first:
                raise SourceError(f"{url} did not answer a JSON object")
            raise ValueError("not a JSON object")
        return data


def _link(document: dict[str, Any], rel: str, base: str | None = None) -> str | None:
    for link in document.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == rel and isinstance(link.get("href"), str):
            return urljoin(base, link["href"]) if base else link["href"]
    return None
