"""Link checker: is each access/download URL reachable? Feeds MQA's accessibility indicators (100 of 405 points).

Why its own pass, not part of the harvest: checking a national catalog's million links takes hours and must never
slow or block a harvest. It runs after harvests (or on its own schedule), checks each URL at most once per interval
(verdicts are cached by index.quality.LinkVerdicts), with bounded concurrency and the HTTP layer's per-host rate
limit, so a portal with 10,000 files is not hammered. HEAD first; servers that refuse HEAD (405/501, some 403/404)
get a ranged GET of the first byte. Redirects are followed within a limit. A check never outlasts its deadline.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import requests

from kernel.config import HttpSettings
from kernel.http import BlockedAddressError, HttpClient

HEAD_REFUSED = frozenset({403, 404, 405, 406, 501})


@dataclass(frozen=True)
class LinkCheck:
    url: str
    ok: bool
    status: int | None
    reason: str  # plain words: "ok", "HTTP 404", "timed out after 10s", "too many redirects"...
    final_url: str | None = None
    elapsed: float = 0.0


class LinkChecker:
    """Check URLs through the shared HTTP layer (address guard, per-host rate limit, User-Agent)."""

    def __init__(self, *, timeout: float = 10.0, max_redirects: int = 5, concurrency: int = 8,
                 per_host_rps: float = 2.0, allow_private: bool = False, contact: str = "moisson@example.org"):
        self.deadline = timeout * 2 + 1  # connect + first byte, with slack; never more per URL
        settings = HttpSettings(timeout=timeout, total_timeout=timeout, retries=0, per_host_rps=per_host_rps,
                                per_host_concurrency=2, max_response_mb=1)
        self.http = HttpClient(settings, allow_private=allow_private, contact=contact)
        self.http.session.max_redirects = max_redirects
        self.concurrency = concurrency

    def check(self, url: str) -> LinkCheck:
        started = time.monotonic()
        try:
            response = self._request("HEAD", url)
            if response.status_code in HEAD_REFUSED:
                response = self._request("GET", url)
        except requests.exceptions.TooManyRedirects:
            return LinkCheck(url, False, None, "too many redirects", elapsed=time.monotonic() - started)
        except BlockedAddressError as exc:
            return LinkCheck(url, False, None, f"refused: {exc}", elapsed=time.monotonic() - started)
        except requests.exceptions.Timeout:
            return LinkCheck(url, False, None, f"timed out after {self.http.settings.timeout:.0f}s",
                             elapsed=time.monotonic() - started)
        except requests.exceptions.RequestException as exc:
            reason = f"unreachable: {type(exc).__name__}"
            return LinkCheck(url, False, None, reason, elapsed=time.monotonic() - started)
        ok = 200 <= response.status_code < 300
        reason = "ok" if ok else f"HTTP {response.status_code}"
        return LinkCheck(url, ok, response.status_code, reason, response.url, time.monotonic() - started)

    def _request(self, method: str, url: str) -> requests.Response:
        headers = {"Range": "bytes=0-0"} if method == "GET" else {}
        response = self.http.session.request(method, url, headers=headers, stream=True, allow_redirects=True)
        response.close()  # headers are the verdict; never read a body
        return response

    def check_many(self, urls: Iterable[str]) -> Iterator[LinkCheck]:
        """Check in parallel; each URL yields exactly one verdict, at the latest after its deadline."""
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="linkcheck")
        started: dict[str, float] = {}  # set by the worker: queueing behind the per-host rate limit is not hanging

        def timed_check(url: str) -> LinkCheck:
            started[url] = time.monotonic()
            return self.check(url)

        try:
            pending = {pool.submit(timed_check, url): url for url in urls}
            while pending:
                done, _ = wait(pending, timeout=0.2, return_when="FIRST_COMPLETED")
                for future in done:
                    pending.pop(future)
                    yield future.result()
                now = time.monotonic()
                for future, url in list(pending.items()):
                    if url in started and now - started[url] > self.deadline + 1:
                        pending.pop(future)
                        yield LinkCheck(url, False, None, f"no answer within {self.deadline:.0f}s",
                                        elapsed=now - started[url])
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
