"""What every route needs: the store and the index of the app, the public base URL, content negotiation.

Why dependencies and not globals: ``create_app(store_path)`` may be called several times in one process (tests,
the demo), each app with its own store; routes reach theirs through ``request.app.state``.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request, Response

from api.ratelimit import limit
from index import open_index
from index.search import SearchIndex, SearchQuery, SearchResult, check_query, is_heavy
from index.store import Store

_index_lock = threading.Lock()
T = TypeVar("T")

# SQLite integers are 64-bit: a larger one in a path or a query raised OverflowError, answered with a 500 (issue 13).
# Every integer that reaches SQL is bounded by this (or less) in its route's declaration.
SQL_INT_MAX = 2**63 - 1


async def get_store(request: Request) -> Store:
    """The app's store (one SQLite connection per worker thread, opened by the store itself). ``async``: a plain
    function would be run on the thread pool, a thread hand-off per request for a dictionary lookup."""
    return request.app.state.store


async def get_index(request: Request) -> SearchIndex:
    """The search index beside the app's store, opened once per process and shared by the worker threads."""
    with _index_lock:
        return open_index(request.app.state.store)


_commit_cache = threading.local()


def until_commit(store: Store, key: tuple[object, ...], compute: Callable[[], T]) -> T:
    """``compute()``, or its value from an earlier request if nothing was committed to the store since (see
    :meth:`Store.stamp`). Per thread, like the stamp itself; a handful of entries (counts, the landing page)."""
    cache: dict[tuple[object, ...], tuple[tuple[int, int], object]] = _commit_cache.__dict__.setdefault("values", {})
    stamp = store.stamp()
    key = (store.path, *key)
    found = cache.get(key)
    if found is not None and found[0] == stamp:
        return found[1]  # type: ignore[return-value]
    value = compute()
    if len(cache) > 64:
        cache.clear()
    cache[key] = (stamp, value)
    return value


StoreDep = Annotated[Store, Depends(get_store)]
IndexDep = Annotated[SearchIndex, Depends(get_index)]


def public_search(request: Request, index: SearchIndex, query: SearchQuery) -> SearchResult:
    """A search asked by the public (the API's /api/datasets, the search page, the Atom feed): one path, so that
    every door has the same protections (issue 13). Over a limit: QueryError (the caller's 400, in its language);
    a heavy search counts against its client's rate limit (429) and waits for one of the heavy-search slots within
    the deadline (SearchBusyError or SearchTimeoutError: the caller's 503)."""
    check_query(query)
    if is_heavy(query):
        limit(request, "search")
    with request.app.state.search_gate.admit(query):
        return index.search(query)


def public_base(request: Request) -> str:
    """Base of moisson's own IRIs and links: create_app(base_url=...), else MOISSON_BASE_URL, else the URL this
    request came to (so links work wherever the API is served)."""
    configured = request.app.state.base_url or os.environ.get("MOISSON_BASE_URL")
    return (configured or str(request.base_url)).rstrip("/")


# -- content negotiation ------------------------------------------------------------------------------------------

JSON = "application/json"
RDF_MEDIA_TYPES: dict[str, str] = {  # rdf.format_name -> media type
    "json-ld": "application/ld+json",
    "turtle": "text/turtle",
    "xml": "application/rdf+xml",
    "nt": "application/n-triples",
}
FORMAT_PARAM: dict[str, str] = {  # ?format= values -> media type
    "json": JSON, "jsonld": "application/ld+json", "json-ld": "application/ld+json", "ttl": "text/turtle",
    "turtle": "text/turtle", "rdf": "application/rdf+xml", "rdfxml": "application/rdf+xml",
    "xml": "application/rdf+xml", "nt": "application/n-triples", "ntriples": "application/n-triples",
}


def _parse_accept(header: str) -> list[tuple[str, float]]:
    ranges = []
    for part in header.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((media.lower(), q))
    return ranges


def negotiate(accept: str | None, offered: list[str]) -> str | None:
    """The offered media type the client prefers (server order breaks ties); None when none is acceptable.
    No Accept header, or */*, means the first offered."""
    if not accept or not accept.strip():
        return offered[0]
    best: tuple[float, int, int] | None = None
    choice = None
    for position, media in enumerate(offered):
        kind = media.split("/")[0]
        quality, specificity = 0.0, -1
        for wanted, q in _parse_accept(accept):
            level = 2 if wanted == media else 1 if wanted == f"{kind}/*" else 0 if wanted == "*/*" else -1
            if level > specificity:
                quality, specificity = q, level
        if specificity < 0 or quality <= 0:
            continue
        key = (quality, -position, specificity)
        if best is None or key[:2] > best[:2]:
            best, choice = key, media
    return choice


def choose_media(request: Request, format: str | None, offered: list[str]) -> str:
    """``?format=`` wins over the Accept header; a type the route cannot produce is a 406 that lists what it can."""
    if format:
        media = FORMAT_PARAM[format]
        if media not in offered:
            raise HTTPException(406, f"format {format!r} is not available here; use one of: "
                                     + ", ".join(k for k, v in FORMAT_PARAM.items() if v in offered))
        return media
    media = negotiate(request.headers.get("accept"), offered)
    if media is None:
        raise HTTPException(406, "none of the requested media types can be produced; available: "
                                 + ", ".join(offered))
    return media


def rdf_format(media: str) -> str:
    return next(name for name, value in RDF_MEDIA_TYPES.items() if value == media)


def respond(request: Request, body: bytes, media: str) -> Response:
    """The body with an ETag, or 304 Not Modified when the client already has it: a harvester re-reading an
    unchanged catalog page (moisson's own DCAT harvester does, with If-None-Match) then costs no transfer."""
    etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
    headers = {"ETag": etag, "Vary": "Accept"}
    wanted = request.headers.get("if-none-match")
    if wanted and etag in {tag.strip().removeprefix("W/") for tag in wanted.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media, headers=headers)
