"""Per-client rate limits on the endpoints whose one call costs much more than a page: searches with many filter
values, Table Schema validation (``?validate=1`` downloads files from portals), CSV and Parquet exports.

Why per client and only there: a plain search or a record costs milliseconds and is what people do; the expensive
calls are what a script in a loop does, and without a limit one client's loop takes the machine (or a portal, for
validation) from everyone else (issue 13). Clients are told by their address (``request.client``: behind a reverse
proxy, run uvicorn with ``--proxy-headers`` so that it is the reader's, not the proxy's). The counts use the
``limits`` library's moving window in memory: one API process, one count (several processes each count their own).
"""

from __future__ import annotations

import math
import time

from fastapi import HTTPException, Request
from limits import RateLimitItem, parse, storage, strategies

# What an expensive call is, and how many a client may make.
LIMITS: dict[str, str] = {
    "search": "60/minute",  # a heavy search: more than index.search.HEAVY_FILTER_VALUES filter values
    "validate": "10/minute",  # ?validate=1: downloads and validates up to 5 files
    "export": "30/minute",  # CSV and Parquet of statistics and obligations
    "report": "10/minute",  # a quality report over more than 20,000 records computed (api.report_cache)
}


class RateLimits:
    """The counters of one app (``app.state.rate_limits``)."""

    def __init__(self, limits: dict[str, str] | None = None) -> None:
        chosen = {**LIMITS, **(limits or {})}  # the defaults for what is not given
        self.items: dict[str, RateLimitItem] = {name: parse(value) for name, value in chosen.items()}
        self.limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def hit(self, request: Request, what: str) -> None:
        """Count one ``what`` call of this client; over its limit, a 429 with Retry-After."""
        item = self.items[what]
        client = request.client.host if request.client else "unknown"
        if self.limiter.hit(item, what, client):
            return
        reset = self.limiter.get_window_stats(item, what, client).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        raise HTTPException(429, f"too many {what} requests from {client}: at most {item.amount} per "
                                 f"{item.get_expiry()} seconds; retry in {wait} s",
                            headers={"Retry-After": str(wait)})


def limit(request: Request, what: str) -> None:
    """Count the call against its client's limit (see :class:`RateLimits`)."""
    request.app.state.rate_limits.hit(request, what)
