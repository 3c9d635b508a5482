"""The registries' view of the open-data obligation, beside moisson's live one: for each body under obligation,
whether a national registry lists it as publishing, where, and how that compares with what moisson sees.

Why: the live monitor (:mod:`index.obligations`) only sees what moisson harvests; a ministry also wants to know
which bodies were *known* to publish — OpenDataFrance's observatoire lists 891 publishing organisations with their
SIREN (2022) — to tell "known to publish (registry, 2022)" from "seen publishing by moisson (live)" from "nothing
known", and to see the gap: bodies a registry knew that moisson does not see (a portal not harvested, a publisher not
matched, a body that stopped), and bodies moisson sees that no registry knew.

A body is **listed** when, linked with confidence 0.7 or more (:mod:`index.portal_links`, the publisher matcher):
- OpenDataFrance's organisations name it (its SIREN), with its page on a local platform and/or on data.gouv.fr;
- an OpenDataFrance platform names it among the bodies it hosts, or as its dedicated body;
- Common Data Index names it as the owner of a portal that is a catalogue or an open-data site (map viewers, map
  and data servers are not publishing open data; an inactive portal neither).

``comparison``: ``both`` (listed and live), ``registry_only`` (listed, not seen live: the gap), ``live_only`` (seen
live, listed by no registry), ``neither``. Live means compliant in the monitor: publishing directly or through a
shared portal. The registries are files (config/registries/), read and linked once per process.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from harvesters.registries import REGISTRIES, Exclusion, catalogue_of, read_registries
from index.bodies import TYPES, Registry, registry
from index.portal_links import Linker

LINKED = 0.7
NOT_PUBLISHING = {"map-viewer", "map-server", "data-server", "inactive"}
COMPARISONS = ("both", "registry_only", "live_only", "neither")


@dataclass(frozen=True)
class Listing:
    """One registry's word that a body publishes: which registry, on which portal, from which record."""

    registry: str
    portal: str | None
    record: str
    rule: str
    confidence: float

    @property
    def label(self) -> str:
        info = REGISTRIES[self.registry]
        return f"{info.label} ({info.year})"


class _Body(Protocol):  # what apply() sets on the monitor's BodyStatus
    id: str
    status: str
    registry_status: str
    registries: list[str]
    registry_portals: list[str]
    comparison: str


_cache: dict[tuple[int, tuple[str, ...]], dict[str, list[Listing]]] = {}
_lock = threading.Lock()


def listings(reg: Registry | None = None, paths: Iterable[str | Path] | None = None) -> dict[str, list[Listing]]:
    """Body id -> what the registries say of it (every body linked, obligated or not); computed once per process."""
    reg = reg or registry()
    key = (id(reg), tuple(str(p) for p in paths or ()))
    with _lock:
        if key not in _cache:
            _cache[key] = _compute(reg, list(paths) if paths else None)
        return _cache[key]


def _compute(reg: Registry, paths: list[str | Path] | None) -> dict[str, list[Listing]]:
    registries = read_registries(paths)
    linker = Linker(reg)
    found: dict[str, set[Listing]] = defaultdict(set)

    def add(org: Any, registry_key: str, portal: str | None, record: str) -> None:
        link = linker.link(org)
        if link.body and link.confidence >= LINKED:
            body = reg.get(link.body)
            if body is not None:
                found[body.id].add(Listing(registry_key, portal, record, link.rule, link.confidence))

    for pub in registries.publishing:
        if pub.portal_url:
            add(pub.organisation, pub.registry, pub.portal_url, pub.ref)
        if pub.on_datagouv:
            add(pub.organisation, pub.registry, pub.datagouv_url or "https://www.data.gouv.fr", pub.ref)
        if not pub.portal_url and not pub.on_datagouv:
            add(pub.organisation, pub.registry, None, pub.ref)
    for record in registries.records:
        if record.registry == "odf-2022":
            for org in ([record.operator] if record.operator else []) + record.hosted:
                add(org, record.registry, record.homepage, record.ref)
        elif record.registry == "cdi" and record.operator is not None:
            outcome = catalogue_of(record)
            if not (isinstance(outcome, Exclusion) and outcome.reason in NOT_PUBLISHING):
                add(record.operator, record.registry, record.homepage, record.ref)
    return {body: sorted(items, key=lambda item: (item.registry, item.portal or "", item.record))
            for body, items in found.items()}


def comparison(listed: bool, live: bool) -> str:
    return "both" if listed and live else "registry_only" if listed else "live_only" if live else "neither"


def apply(bodies: Iterable[_Body], reg: Registry | None = None) -> None:
    """Set each body's registry fields from the registries' listings and its live status."""
    known = listings(reg)
    for body in bodies:
        items = known.get(body.id, [])
        body.registry_status = "listed" if items else "not_listed"
        body.registries = sorted({item.label for item in items})
        body.registry_portals = sorted({item.portal for item in items if item.portal})
        body.comparison = comparison(bool(items), body.status != "none")


def summary(bodies: Iterable[Any]) -> dict[str, Any]:
    """Counts of the comparison, nationally and by type of body, and the registries it rests on."""
    national: Counter[str] = Counter()
    by_type: dict[str, Counter[str]] = {t: Counter() for t in TYPES}
    for body in bodies:
        for counter in (national, by_type.setdefault(body.type, Counter())):
            counter["bodies"] += 1
            counter[body.comparison] += 1
            counter["listed"] += body.registry_status == "listed"
            counter["live"] += body.comparison in ("both", "live_only")

    def shaped(counter: Counter[str]) -> dict[str, int]:
        return {key: counter.get(key, 0) for key in ("bodies", "listed", "live", *COMPARISONS)}

    return {"registries": [{"key": info.key, "label": info.label, "date": info.date}
                           for info in REGISTRIES.values() if info.key != "dataportals.org"],
            "national": shaped(national), "by_type": {t: shaped(c) for t, c in by_type.items()}}


def filtered(bodies: list[Any], wanted: str | None) -> list[Any]:
    """The bodies whose comparison is ``wanted`` (all of them for None)."""
    return [b for b in bodies if not wanted or b.comparison == wanted]
