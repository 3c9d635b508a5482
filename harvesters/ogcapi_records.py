"""OGC API - Records: collections, then each record collection's items, page by page along ``next`` links.

Why plain JSON through ``self.http`` rather than OWSLib's Records client: that client fetches over its own HTTP
(bypassing the one HTTP layer's guard, politeness and accounting) and adds nothing a ``next`` link does not give.

Which collections: those named in the ``collections`` option; else those the server types as record collections
(``itemType: record`` or ``type: catalog``); else all. The source URL may also be one collection's URL
(``…/collections/{id}``). Paging follows ``rel=next`` links only (``limit`` sets the page size); a next link already
followed, or a page with no new record, ends the collection (servers that repeat the last page would loop). Each
feature is kept as it came (GeoJSON) under profile ``ogcapi-record``.

Filters: ``bbox`` and ``datetime`` options are passed as the standard query parameters (a source may be a region or
a period of a larger catalogue). Incremental harvests ask for the records sorted by ``updated``, newest first
(``sortby=-updated``), and stop at the first record last updated before the previous harvest: a page is one request
whatever the catalogue's size. Only a server that declares the Records sorting conformance class (``/conformance``)
is trusted with that; any other is read to the end, as a full harvest would (the store skips unchanged records). The
order is also checked page by page: a server that declares sorting but does not sort (a record newer than the one
before it) is read to the end too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode, urljoin

import orjson
import requests
from pydantic import BaseModel, ConfigDict, Field

from harvesters.base import Harvester
from kernel import jsonpage
from kernel.records import HarvestItem, RawRecord, RecordError, SourceError

JSON = {"Accept": "application/geo+json, application/json;q=0.9"}
_COLLECTION_URL = re.compile(r"^(?P<base>.+?)/collections/(?P<id>[^/?#]+)/?(?:items/?)?(?:\?.*)?$")
SORTING = "/conf/sorting"  # OGC API - Records Part 1: .../ogcapi-records-1/1.0/conf/sorting


class OgcApiRecordsOptions(BaseModel):
    """``options:`` of an ogcapi-records source."""

    model_config = ConfigDict(extra="forbid")

    page_size: int = Field(default=50, ge=1, le=10_000, description="records per page (limit)")
    collections: list[str] = Field(default_factory=list, description="collection ids; default: record collections")
    bbox: tuple[float, float, float, float] | None = Field(
        default=None, description="only records whose extent meets this box: west, south, east, north (WGS84)")
    datetime: str | None = Field(default=None, description="only records of this date or interval (RFC 3339, "
                                                            "'2024-01-01T00:00:00Z/..')")


class OgcApiRecordsHarvester(Harvester):
    type: ClassVar[str] = "ogcapi-records"
    Options: ClassVar[type[BaseModel]] = OgcApiRecordsOptions
    supports_incremental: ClassVar[bool] = True
    options: OgcApiRecordsOptions

    def harvest(self, since: str | None = None) -> Iterator[HarvestItem]:
        base, collections = self._collections()
        if since and not self._sorts(base):
            self.http.stats.log(f"{base}/conformance declares no sorting: an incremental harvest reads every page")
            since = None
        seen: set[str] = set()
        for index, collection in enumerate(collections):
            yield from self._collection(base, collection, seen, first=index == 0, since=since)

    def _sorts(self, base: str) -> bool:
        """Whether the server declares Records' sorting conformance class (``sortby`` is then honoured)."""
        try:
            declared = self._json(f"{base}/conformance").get("conformsTo")
        except (requests.RequestException, ValueError):
            return False
        return isinstance(declared, list) and any(isinstance(c, str) and c.rstrip("/").endswith(SORTING)
                                                  for c in declared)

    def _query(self, since: str | None) -> str:
        params: dict[str, str] = {"limit": str(self.options.page_size), "f": "json"}
        if self.options.bbox is not None:
            params["bbox"] = ",".join(repr(float(v)) for v in self.options.bbox)
        if self.options.datetime:
            params["datetime"] = self.options.datetime
        if since:
            params["sortby"] = "-updated"
        return urlencode(params, safe=",/:")

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

    def _collection(self, base: str, collection: str, seen: set[str], first: bool,
                    since: str | None = None) -> Iterator[HarvestItem]:
        url: str | None = f"{base}/collections/{collection}/items?{self._query(since)}"
        followed: set[str] = set()
        previous: datetime | None = None  # the last ``updated`` seen, to check the server sorts as asked
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
            if since:  # the whole page is checked before any record is skipped on the strength of its order
                for feature in features:
                    properties = feature.get("properties") if isinstance(feature, dict) else None
                    updated = _instant(properties.get("updated")) if isinstance(properties, dict) else None
                    if updated is None:
                        continue
                    if previous is not None and updated > previous:
                        self.http.stats.log(f"GET {url}: the server does not sort by updated; reading every page")
                        since = None  # not sorted as asked: nothing can be skipped
                        break
                    previous = updated
            new = 0
            for feature in features:
                if not isinstance(feature, dict) or not isinstance(feature.get("id"), str | int):
                    yield RecordError(f"a record without id in {url}", None, url)
                    continue
                native_id = str(feature["id"])
                properties = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
                updated = _instant(properties.get("updated"))
                if since and updated and updated < (_instant(since) or updated):
                    return  # newest first: every record from here on is older than the last harvest
                if native_id in seen:
                    continue
                seen.add(native_id)
                new += 1
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


def _instant(value: Any) -> datetime | None:
    """An RFC 3339 date or date-time as an aware datetime (UTC when the text gives no offset), None if it is not."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _link(document: dict[str, Any], rel: str, base: str | None = None) -> str | None:
    for link in document.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == rel and isinstance(link.get("href"), str):
            return urljoin(base, link["href"]) if base else link["href"]
    return None
