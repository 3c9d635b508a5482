"""What every answer of the web server carries, and which Host names it answers to.

Why one middleware: the pages show text written by portals (titles, descriptions, publishers), so a script slipped
past escaping must not run (Content-Security-Policy without inline script), a file served as text must not be
sniffed into HTML (X-Content-Type-Options), and a reader's search words must not leak to the sites our links lead
to (Referrer-Policy). And moisson writes its own base URL into links and DCAT IRIs: taken from a Host header that
anyone can forge, an answer (and every cache that keeps it) would point readers and harvesters at the forger's site
(issue 13, finding 9). So when no public base is configured, only the allowed host names are answered.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# One policy for every page. Scripts and styles only from moisson's own files, never inline: a script or a style
# injected into a page cannot run (the pages carry no <style>, no style="" and no inline script; the browser tests
# check that nothing is refused, /docs included). Images: our own SVG charts and badges, and data: URIs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# The longest URL query a person's request makes is a few kilobytes (index.search allows 50 filter values of 200
# characters and 1,000 characters of words). A longer one is refused before anything parses it: the 66 KB request of
# issue 13 cost tens of milliseconds of parsing each, and four clients repeating it slowed everyone's searches.
MAX_QUERY_BYTES = 32_768
ALLOWED_HOSTS_ENV = "MOISSON_ALLOWED_HOSTS"
BASE_URL_ENV = "MOISSON_BASE_URL"
# Without a configured base nor a list, only loopback names: a server run on a laptop or in the demo just works, and
# one exposed to the world answers nothing until the operator says under which name.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def allowed_hosts(configured: Iterable[str] | None = None) -> frozenset[str] | None:
    """The host names answered: ``configured``, else ``MOISSON_ALLOWED_HOSTS`` (comma-separated), else loopback;
    None (any) when a public base URL is configured, since links then never depend on the Host header."""
    names = list(configured) if configured is not None else \
        [h for h in os.environ.get(ALLOWED_HOSTS_ENV, "").split(",") if h.strip()]
    if "*" in (n.strip() for n in names):
        return None
    return frozenset(n.strip().lower().strip("[]") for n in names) or frozenset(LOOPBACK_HOSTS)


class SecurityMiddleware:
    """Adds :data:`SECURITY_HEADERS` to every HTTP answer; refuses (400) a Host outside the allowed names when no
    public base URL is configured (``create_app(base_url=...)`` or ``MOISSON_BASE_URL``)."""

    def __init__(self, app: ASGIApp, *, base_url: str | None = None, hosts: Iterable[str] | None = None) -> None:
        self.app = app
        self.base_url = base_url
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            response = JSONResponse({"detail": f"the URL's query is over {MAX_QUERY_BYTES} bytes: search with fewer "
                                               "words or filter values"}, status_code=414, headers=SECURITY_HEADERS)
            await response(scope, receive, send)
            return
        if not (self.base_url or os.environ.get(BASE_URL_ENV)):
            allowed = allowed_hosts(self.hosts)
            host = _host_name(Headers(scope=scope).get("host", ""))
            if allowed is not None and host not in allowed:
                response = JSONResponse(
                    {"detail": f"this server does not answer to the host name {host!r}: set MOISSON_BASE_URL (the "
                               f"public base of its links) or list the names in {ALLOWED_HOSTS_ENV}"},
                    status_code=400, headers=SECURITY_HEADERS)
                await response(scope, receive, send)
                return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()
                            if name.lower().encode() not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _host_name(header: str) -> str:
    """``example.org:8000`` -> ``example.org``; ``[::1]:8000`` -> ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header
