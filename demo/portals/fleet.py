"""Portals' life events, for checking a sources file against live portals (`moisson sources detect --all`): a portal
that moved to another address, one that is gone, a site that is no catalogue.

Why here beside the portal emulators: a fleet of loopback servers playing a registry's portals as they are the day an
operator deploys — some confirmed, some replaced by another platform, some moved or dead — is built from these and
from the emulators (demo/portals/ckan.py, ods.py...), with real HTTP on 127.0.0.1.
"""

from __future__ import annotations

from demo.server import Request, Response


class Moved:
    """Answers every path with a permanent redirect to the same path at ``target`` (a portal that changed host)."""

    def __init__(self, target: str, status: int = 301) -> None:
        self.target = target.rstrip("/")
        self.status = status

    def __call__(self, request: Request) -> Response:
        query = "&".join(f"{k}={v}" for k, values in request.query.items() for v in values)
        location = self.target + request.path + (f"?{query}" if query else "")
        return Response(self.status, b"moved", {"Location": location}, content_type="text/plain")


class Gone:
    """Answers 404 (or 410) everywhere: a portal switched off whose host still serves a web server."""

    def __init__(self, status: int = 404) -> None:
        self.status = status

    def __call__(self, request: Request) -> Response:
        return Response(self.status, b"<html><body>Page introuvable</body></html>", content_type="text/html")


class Homepage:
    """A plain web page on every path (a collectivité's site that is no catalogue: no API, no JSON-LD, no feed)."""

    def __call__(self, request: Request) -> Response:
        if request.path not in ("/", ""):
            return Response(404, b"not found", content_type="text/plain")
        return Response(200, b"<!doctype html><html><head><title>Mairie</title></head><body><h1>Bienvenue</h1>"
                             b"</body></html>", content_type="text/html; charset=utf-8")
