"""Bodies named by the portal registries (a portal's operator, the bodies a platform hosts, the organisations a
registry says publish) linked to the administrative reference, by the publisher matcher.

Why the publisher matcher and not a matcher of its own: a registry's "Département de l'Aude" or SIREN 213500010 is
a publisher's name or SIREN like any other, and its rules (SIREN first, then names with their kind of body, homonyms
told apart by territory, other kinds of bodies refused, the overrides of config/publishers.yaml) and their confidence
are those the obligation monitor already uses: a portal linked here and a record matched there agree.

What the registries add is territory: OpenDataFrance gives a body's département and région, Common Data Index its
owner's ISO 3166-2 région or département. A département is the matcher's own context for homonyms. A région is used
after it: an ambiguous name with exactly one candidate in that région is linked (rule ``name+region``, 0.6), and a
name matched in another région than the registry's is refused (``territory-mismatch``: "Valence" the commune of
Drôme is not the owner of a portal Common Data Index places in Occitanie).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from harvesters.registries import Organisation
from index.bodies import Registry, registry
from index.publishers import Context, Matcher, Override, load_overrides
from normalise import vocab
from normalise.territory import region_of

REGION_HINT_CONFIDENCE = 0.6
NAME_RULES_CHECKED = ("name:", "bare-name", "epci-short", "name+territory")


@dataclass
class Link:
    """An organisation of a registry and the body it is linked to (``body`` None: not linked, ``reason`` says why)."""

    name: str | None
    siren: str | None
    body: str | None
    confidence: float
    rule: str
    reason: str = ""
    candidates: list[str] = field(default_factory=list)

    def config(self) -> dict[str, Any]:
        """The link as a sources file writes it (kernel.config.BodyLink), empty fields left out."""
        out: dict[str, Any] = {}
        for key in ("name", "siren", "body"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        out["confidence"] = round(self.confidence, 2)
        out["rule"] = self.rule
        return out


class Linker:
    """Links organisations to bodies; one per import (the matcher and its overrides are loaded once)."""

    def __init__(self, reg: Registry | None = None, overrides: list[Override] | None = None) -> None:
        self.reg = reg or registry()
        self.matcher = Matcher(self.reg, load_overrides(reg=self.reg) if overrides is None else overrides)
        self._seen: dict[Organisation, Link] = {}

    def link(self, org: Organisation) -> Link:
        if org not in self._seen:
            self._seen[org] = self._link(org)
        return self._seen[org]

    def _link(self, org: Organisation) -> Link:
        siren = vocab.siren(org.siren) if org.siren else None
        context = Context(Counter({org.departement: 1})) if org.departement else Context()
        match = self.matcher.match(org.name or "", siren, context)
        link = Link(org.name, siren, match.body_id, match.confidence, match.rule, match.reason, match.candidates)
        region = org.region or (region_of(org.departement) if org.departement else None)
        if region is None:
            return link
        if link.body is None and link.rule == "ambiguous":
            here = [c for c in link.candidates if (b := self.reg.get(c)) is not None and b.region == region]
            if len(here) == 1:
                return Link(org.name, siren, here[0], REGION_HINT_CONFIDENCE, "name+region")
        body = self.reg.get(link.body)
        if body is not None and body.region and body.region != region and link.rule.startswith(NAME_RULES_CHECKED):
            return Link(org.name, siren, None, 0.0, "territory-mismatch",
                        f"named like {body.name} ({body.id}, région {body.region}) but the registry places it in "
                        f"région {region}", [body.id])
        return link

    def body_region(self, body_id: str | None) -> str | None:
        body = self.reg.get(body_id)
        return body.region if body is not None and body.region else None
