"""The one HTTP layer every harvester goes through.

Why one layer: politeness (rate limits, a User-Agent with a contact), robustness (timeouts, a size cap, retries with
backoff honouring Retry-After), safety (never follow a source into private or loopback addresses unless the config
allows it) and accounting (requests, bytes and retries for the job log) must hold for ckanapi, OWSLib and our own
calls alike. It is a :class:`requests.Session` whose transport adapter does all of this, so libraries that accept a
session (ckanapi) get it for free, and others are fed bytes fetched through :meth:`HttpClient.get`.
"""

from __future__ import annotations

import ipaddress
import random
import socket
import threading
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from kernel.config import HttpSettings

VERSION = "0.1.0"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class BlockedAddressError(requests.exceptions.InvalidURL):
    """The URL resolves to a private, loopback or otherwise non-public address and the config does not allow it."""


class ResponseTooLargeError(requests.exceptions.RequestException):
    """The response body exceeded the configured maximum size."""


@dataclass
class HttpStats:
    """What a job spent on the network; read into the job log."""

    requests: int = 0
    bytes: int = 0
    retries: int = 0
    not_modified: int = 0
    events: list[str] = field(default_factory=list)  # retries and failures, in plain words
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, *, requests: int = 0, bytes: int = 0, retries: int = 0, not_modified: int = 0) -> None:
        with self._lock:
            self.requests += requests
            self.bytes += bytes
            self.retries += retries
            self.not_modified += not_modified

    def log(self, event: str) -> None:
        with self._lock:
            if len(self.events) < 1000:
                self.events.append(event)


# IPv6 forms that carry an IPv4 address (or reach one through a translator) and that Python's ipaddress may call
# global whatever the IPv4 inside: ::127.0.0.1 (IPv4-compatible), ::ffff:127.0.0.1 (mapped), 64:ff9b::7f00:1
# (NAT64), 2002:7f00:1:: (6to4), 2001:0::/32 (Teredo). None is needed to reach a public portal: all are refused.
EMBEDDING_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "::/96", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32",
))


def is_public(address: str) -> bool:
    """Whether an address is a public unicast one that a harvester may connect to."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and any(ip in network for network in EMBEDDING_NETWORKS):
        return False
    return ip.is_global and not ip.is_multicast


def _blocked_message(host: str, address: str) -> str:
    return (f"{host} resolves to {address}, a private or loopback address; set "
            "settings.allow_private_networks: true in the sources file to harvest it")


def check_address(url: str, allow_private: bool) -> None:
    """Raise :class:`BlockedAddressError` if ``url``'s host is not a public address (unless allowed). A first
    check that names the reason; the connection itself is made only to an address checked at that moment (see
    :class:`GuardedHTTPConnection`), so a name that answers differently the second time gains nothing."""
    if allow_private:
        return
    host = urlsplit(url).hostname
    if not host:
        raise BlockedAddressError(f"no host in {url!r}")
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise requests.exceptions.ConnectionError(f"cannot resolve {host}: {exc.strerror}") from None
    for info in infos:
        if not is_public(str(info[4][0])):
            raise BlockedAddressError(_blocked_message(host, str(info[4][0])))


# -- connecting to the address that was checked (DNS rebinding) ---------------------------------------------------
# A guard that resolves a name and lets the connection resolve it again can be fooled: a name answering a public
# address first and 127.0.0.1 next reaches loopback (issue 13, finding 6). So the connection resolves once, checks
# every address it got, and connects to those addresses only; the Host header, TLS SNI and the certificate check
# still use the name, since urllib3 takes them from the connection's host, not from the address it connects to.


class AddressBlockedError(urllib3.exceptions.NewConnectionError):
    """A connection refused because the name resolved, this time, to a non-public address."""


class NotPublicError(OSError):
    """Raised by :func:`guarded_connection` before connecting anywhere."""


def guarded_connection(host: str, port: int, timeout: Any, source_address: Any,
                       socket_options: Any) -> socket.socket:
    """Resolve ``host`` once, refuse if any address is not public, connect to the first that answers."""
    infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    for *_, sockaddr in infos:
        if not is_public(str(sockaddr[0])):
            raise NotPublicError(_blocked_message(host, str(sockaddr[0])))
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError(f"no address for {host}")


class _GuardedConnect:
    """Mixin over urllib3's connections: the socket comes from :func:`guarded_connection`."""

    def _new_conn(self) -> socket.socket:
        try:
            return guarded_connection(self._dns_host, self.port, self.timeout,  # type: ignore[attr-defined]
                                      self.source_address, self.socket_options)  # type: ignore[attr-defined]
        except socket.gaierror as exc:
            raise urllib3.exceptions.NameResolutionError(self.host, self, exc) from exc  # type: ignore[attr-defined]
        except TimeoutError as exc:
            raise urllib3.exceptions.ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})") from exc  # type: ignore[attr-defined]
        except NotPublicError as exc:
            raise AddressBlockedError(self, str(exc)) from exc  # type: ignore[arg-type]
        except OSError as exc:
            raise urllib3.exceptions.NewConnectionError(
                self, f"Failed to establish a new connection: {exc}") from exc  # type: ignore[arg-type]


class GuardedHTTPConnection(_GuardedConnect, urllib3.connection.HTTPConnection):
    pass


class GuardedHTTPSConnection(_GuardedConnect, urllib3.connection.HTTPSConnection):
    pass


class _GuardedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class _GuardedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


def _blocked_reason(exc: BaseException) -> str | None:
    """The guard's reason when a requests error comes from :class:`AddressBlockedError`."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return str(reason.args[-1] if reason.args else reason) if isinstance(reason, AddressBlockedError) else None


class _HostGate:
    """Per-host concurrency and rate limit: at most ``concurrency`` requests at once, ``rps`` starts per second."""

    def __init__(self, rps: float, concurrency: int) -> None:
        self.interval = 1.0 / rps
        self.semaphore = threading.BoundedSemaphore(concurrency)
        self.lock = threading.Lock()
        self.next_start = 0.0

    def __enter__(self) -> None:
        self.semaphore.acquire()
        with self.lock:
            now = time.monotonic()
            wait = self.next_start - now
            self.next_start = max(now, self.next_start) + self.interval
        if wait > 0:
            time.sleep(wait)

    def __exit__(self, *exc: object) -> None:
        self.semaphore.release()


_gates: dict[tuple[str, float, int], _HostGate] = {}
_gates_lock = threading.Lock()


def _host_gate(host: str, rps: float, concurrency: int) -> _HostGate:
    """The host's gate, shared by every client of the process: jobs harvesting several sources on one platform (a
    regional portal hosting many bodies) share its limits instead of adding theirs up. Created once even when several
    threads meet a new host at the same moment."""
    with _gates_lock:
        key = (host, rps, concurrency)
        if key not in _gates:
            _gates[key] = _HostGate(rps, concurrency)
        return _gates[key]


class PoliteAdapter(HTTPAdapter):
    """Transport with address guard, per-host gate, retries with backoff and jitter, size cap and accounting."""

    def __init__(self, settings: HttpSettings, stats: HttpStats, allow_private: bool,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(max_retries=0, pool_maxsize=max(4, settings.per_host_concurrency))
        self.settings = settings
        self.stats = stats
        self.allow_private = allow_private
        self.sleep = sleep
        if not allow_private:  # direct connections go to checked addresses only (an operator's proxy is trusted)
            self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}

    def _gate(self, host: str) -> _HostGate:
        return _host_gate(host, self.settings.per_host_rps, self.settings.per_host_concurrency)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        check_address(request.url or "", self.allow_private)
        kwargs["timeout"] = kwargs.get("timeout") or self.settings.timeout
        caller_streams = bool(kwargs.get("stream"))  # e.g. the link checker, which reads headers only
        kwargs["stream"] = True
        host = urlsplit(request.url or "").netloc
        attempt = 0
        while True:
            try:
                with self._gate(host):
                    self.stats.add(requests=1)
                    response = super().send(request, **kwargs)
                    if response.status_code not in RETRY_STATUSES or attempt >= self.settings.retries:
                        if not caller_streams:
                            self._read_body(response)
                        return response
                    response.close()
                delay = self._delay(attempt, response)
                reason = f"HTTP {response.status_code}"
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                if (blocked := _blocked_reason(exc)) is not None:
                    self.stats.log(f"{request.method} {request.url}: {blocked}")
                    raise BlockedAddressError(blocked) from None
                if isinstance(exc, BlockedAddressError) or attempt >= self.settings.retries:
                    self.stats.log(f"{request.method} {request.url}: {type(exc).__name__}, giving up")
                    raise
                delay = self._delay(attempt, None)
                reason = type(exc).__name__
            attempt += 1
            self.stats.add(retries=1)
            self.stats.log(f"{request.method} {request.url}: {reason}, retry {attempt} in {delay:.1f}s")
            self.sleep(delay)

    def _delay(self, attempt: int, response: requests.Response | None) -> float:
        if response is not None and (header := response.headers.get("Retry-After")):
            wait = _retry_after_seconds(header)
            if wait is not None:
                return min(wait, self.settings.max_retry_after)
        base = self.settings.backoff * (2**attempt)
        return base + random.uniform(0, base / 2)

    def _read_body(self, response: requests.Response) -> None:
        """Read the body here, so the size cap and the total timeout hold whatever the caller asked."""
        limit = int(self.settings.max_response_mb * 1024 * 1024)
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            response.close()
            raise ResponseTooLargeError(f"{response.url}: {declared} bytes is over the {limit} bytes limit")
        deadline = time.monotonic() + self.settings.total_timeout
        chunks, size = [], 0
        try:
            # read1 returns what has arrived (up to 64 KiB) instead of waiting for a full 64 KiB, so the total
            # deadline is checked while a slow server dribbles its body, not only once a large read completes
            while chunk := response.raw.read1(65536, decode_content=True):
                size += len(chunk)
                if size > limit:
                    raise ResponseTooLargeError(f"{response.url}: body over the {limit} bytes limit")
                if time.monotonic() > deadline:
                    raise requests.exceptions.Timeout(
                        f"{response.url}: body not received within {self.settings.total_timeout:.0f}s"
                    )
                chunks.append(chunk)
        except (ResponseTooLargeError, requests.exceptions.Timeout):
            response.close()
            raise
        except urllib3.exceptions.ReadTimeoutError as exc:  # silence in the middle of the body: a timeout, retried
            response.close()
            raise requests.exceptions.ReadTimeout(f"{response.url}: {exc}") from exc
        except Exception as exc:  # urllib3 protocol and read errors: surface them as requests errors
            response.close()
            raise requests.exceptions.ConnectionError(f"{response.url}: {exc}") from exc
        response._content = b"".join(chunks)
        response._content_consumed = True
        self.stats.add(bytes=size, not_modified=int(response.status_code == 304))


def _retry_after_seconds(value: str) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpClient:
    """A configured session plus conditional GET. One per harvest job, so its stats are the job's."""

    def __init__(self, settings: HttpSettings | None = None, *, allow_private: bool = False,
                 contact: str = "moisson@example.org",
                 validators: MutableMapping[str, tuple[str | None, str | None]] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings or HttpSettings()
        self.allow_private = allow_private
        self.stats = HttpStats()
        self.validators = validators if validators is not None else {}
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"moisson/{VERSION} (+mailto:{contact}; open-data catalog aggregator)"
        adapter = PoliteAdapter(self.settings, self.stats, allow_private, sleep=sleep)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.max_redirects = 10

    def get(self, url: str, *, params: dict[str, Any] | None = None, conditional: bool = False,
            headers: dict[str, str] | None = None, remember: bool = True) -> requests.Response:
        """GET that raises on HTTP errors. With ``conditional``, sends the ETag/Last-Modified seen last time and
        returns the 304 response as is (``response.status_code == 304``) when nothing changed. With
        ``remember=False`` the new validators are not stored: the caller stores them with :meth:`remember` once the
        body has served its purpose (a paged DCAT catalog keeps them only for a page without a next page)."""
        sent = dict(headers or {})
        key = requests.Request("GET", url, params=params).prepare().url or url
        if conditional and (seen := self.validators.get(key)):
            etag, last_modified = seen
            if etag:
                sent["If-None-Match"] = etag
            if last_modified:
                sent["If-Modified-Since"] = last_modified
        response = self.session.get(url, params=params, headers=sent)
        if response.status_code == 304 and conditional:
            return response
        response.raise_for_status()
        if conditional and remember:
            self.remember(url, response, params=params)
        return response

    def remember(self, url: str, response: requests.Response, *, params: dict[str, Any] | None = None) -> None:
        """Store the validators of ``response`` (a 200 for ``url``) for the next conditional GET of ``url``."""
        if response.headers.get("ETag") or response.headers.get("Last-Modified"):
            key = requests.Request("GET", url, params=params).prepare().url or url
            self.validators[key] = (response.headers.get("ETag"), response.headers.get("Last-Modified"))

    def post(self, url: str, *, data: bytes | str, headers: dict[str, str] | None = None) -> requests.Response:
        response = self.session.post(url, data=data, headers=headers or {})
        response.raise_for_status()
        return response

    def close(self) -> None:
        self.session.close()
