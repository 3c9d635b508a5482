"""The Scrapy crawl's name resolver: the web harvester connects only to addresses it checked (DNS rebinding).

Why a resolver and not only a downloader middleware: the middleware (harvesters.web.AddressGuardMiddleware) resolves
a host to decide, then Twisted resolves it again to connect; a name that answers a public address first and
127.0.0.1 next would reach loopback (issue 13, finding 6). Twisted connects to the address this resolver returns,
so checking it here checks the very address connected to; the Host header and TLS SNI still carry the name. Set as
``TWISTED_DNS_RESOLVER`` by the crawl when private networks are not allowed; imported in the crawl's child only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from kernel.http import is_public


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing a name whose address (fresh or cached) is not public."""

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:  # noqa: N802 - Twisted's name
        resolved = super().getHostByName(name, timeout)
        resolved.addCallback(_checked, name)
        return resolved


def _checked(address: Any, name: str) -> str:
    if not is_public(str(address)):
        raise DNSLookupError(f"{name} resolves to {address}, a private or loopback address; set "
                             "settings.allow_private_networks: true in the sources file to harvest it")
    return str(address)
