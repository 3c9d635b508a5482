"""Registry records merged into one entry per catalogue endpoint, with an id, the evidence, and the conflicts.

Rules, in order:

1. each record gets its catalogue endpoint, or is left out with the reason (:func:`catalogue_of`);
2. records whose endpoints are one catalogue (:func:`catalogue_key`: same type, host and path) are one entry;
3. on one site (:func:`site_key`: a host, or a tenant of a host serving several independent catalogues such as an
   Isogeo share), a record whose address was only *derived* joins the entry another registry *lists* for that type
   (OpenDataFrance's homepage of a CKAN portal and Common Data Index's listed Action API are one catalogue);
4. on one site, registries that disagree on the platform (OpenDataFrance 2022 says OpenDataSoft, Common Data Index
   says Data Fair) are a **conflict**: the most recent registry's entry is kept, the other record joins it (its
   hosted bodies still describe the site) and the conflict is reported. Two records of the *same* registry on one
   site are two catalogues (a GeoNetwork and an Isogeo share on one host), not a conflict;
5. an entry is **enabled** when a record of Common Data Index (the recent registry) that it marks active lists the
   endpoint; otherwise the evidence is weak and the entry is generated disabled, its ``note`` saying why.

Ids come from the host ("data-laregion-fr"), with the tenant or path for hosts that carry several entries; they are
assigned in a fixed order, so the same registries give the same ids.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from harvesters.registries.catalogues import (
    Catalogue,
    Exclusion,
    catalogue_key,
    catalogue_of,
    host_key,
    same_platform,
    site_key,
)
from harvesters.registries.readers import REGISTRIES, PortalRecord
from kernel.config import suggest_id

RECENT = "cdi"  # the registry whose listed, active endpoints are evidence enough to enable an entry


@dataclass
class Entry:
    """One catalogue endpoint and the records describing it (the first one is the record the endpoint comes from)."""

    catalogue: Catalogue
    records: list[PortalRecord]
    id: str = ""
    enabled: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def record(self) -> PortalRecord:
        return self.records[0]

    @property
    def site(self) -> str:
        return site_key(self.catalogue.url)


@dataclass
class Left:
    """A record that gives no entry, and why."""

    record: PortalRecord
    exclusion: Exclusion


@dataclass
class Conflict:
    """Registries disagreeing on a site's platform: ``kept`` wins (the most recent registry), ``dropped`` joins it."""

    site: str
    kept: Entry
    dropped: PortalRecord
    dropped_catalogue: Catalogue


@dataclass
class Reconciled:
    entries: list[Entry]
    left: list[Left]
    conflicts: list[Conflict]


def reconcile(records: list[PortalRecord]) -> Reconciled:
    """Entries, records left out and conflicts, from the records of every registry read (see the module's rules)."""
    ordered = sorted(records, key=lambda r: (REGISTRIES[r.registry].rank, r.registry, r.record_id))
    left: list[Left] = []
    by_catalogue: dict[str, Entry] = {}
    for record in ordered:
        found = catalogue_of(record)
        if isinstance(found, Exclusion):
            left.append(Left(record, found))
            continue
        key = catalogue_key(found)
        if key in by_catalogue:
            by_catalogue[key].records.append(record)
        else:
            by_catalogue[key] = Entry(found, [record])
    for entry in by_catalogue.values():  # the record of the catalogue's own site first: it names the entry
        host = host_key(entry.catalogue.url)
        entry.records.sort(key=lambda r: (REGISTRIES[r.registry].rank, host_key(r.homepage) != host, r.record_id))
    entries, conflicts = _by_site(list(by_catalogue.values()))
    left = _join_sites(left, entries)
    for entry in entries:
        _evidence(entry)
    _assign_ids(entries)
    return Reconciled(sorted(entries, key=lambda e: e.id), left, conflicts)


def _by_site(entries: list[Entry]) -> tuple[list[Entry], list[Conflict]]:
    sites: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        sites[entry.site].append(entry)
    kept: list[Entry] = []
    conflicts: list[Conflict] = []
    for site, group in sites.items():
        group.sort(key=lambda e: (REGISTRIES[e.record.registry].rank, e.catalogue.evidence != "listed", e.record.ref))
        survivors: list[Entry] = []
        for entry in group:
            target = _absorbed_by(entry, survivors)
            if target is None:
                survivors.append(entry)
                continue
            target.records.extend(entry.records)
            if not same_platform(target.record.platform, entry.record.platform):
                conflicts.append(Conflict(site, target, entry.record, entry.catalogue))
                target.notes.append(f"registries disagree: {entry.record.ref} says {entry.record.platform or '?'} "
                                    f"({entry.catalogue.type} {entry.catalogue.url}); {target.record.ref} "
                                    f"({target.record.platform or '?'}, {REGISTRIES[target.record.registry].year}) "
                                    "kept as the more recent")
        kept.extend(survivors)
    return kept, conflicts


def _join_sites(left: list[Left], entries: list[Entry]) -> list[Left]:
    """A record that names no usable address (an old registry's row without a platform, a homepage the platform's
    layout does not tell the API of) joins the one entry of its site, if there is exactly one: it describes the same
    portal, and its bodies and ids are kept there."""
    by_site: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_site[entry.site].append(entry)
    still = []
    for item in left:
        targets = by_site.get(site_key(item.record.homepage), []) if item.exclusion.reason == "no-endpoint" else []
        if len(targets) == 1:
            targets[0].records.append(item.record)
        else:
            still.append(item)
    return still


def _absorbed_by(entry: Entry, survivors: list[Entry]) -> Entry | None:
    """The entry already kept on this site that ``entry`` is the same catalogue as, if any (rules 3 and 4)."""
    registries = {r.registry for r in entry.records}
    for other in survivors:
        if registries & {r.registry for r in other.records}:
            continue  # one registry's two records on a site are two catalogues
        if other.catalogue.type == entry.catalogue.type:
            if entry.catalogue.evidence == "derived" or other.catalogue.evidence == "derived":
                return other
            continue  # two listed endpoints of one type: two catalogues on one host
        return other  # another platform named by another registry: a conflict, the earlier (more recent) wins
    return None


def _evidence(entry: Entry) -> None:
    strong = [r for r in entry.records if r.registry == RECENT and r.status == "active" and r.api_status == "active"]
    listed_by_recent = entry.catalogue.evidence == "listed" and entry.record.registry == RECENT and strong
    entry.enabled = bool(listed_by_recent)
    if entry.enabled:
        return
    registries = sorted({REGISTRIES[r.registry].label + f" ({REGISTRIES[r.registry].year})" for r in entry.records})
    if entry.catalogue.evidence == "derived":
        entry.notes.insert(0, f"address derived, not listed: {entry.catalogue.note or entry.catalogue.kind}")
    elif entry.record.registry != RECENT:
        entry.notes.insert(0, "listed only by an older registry")
    else:
        entry.notes.insert(0, f"{entry.record.ref}: portal {entry.record.status}, API {entry.record.api_status}")
    entry.notes.insert(1, "known from " + ", ".join(registries))


def _assign_ids(entries: list[Entry]) -> None:
    """Host-based ids; on a host with several entries, each gets its tenant or path (or a hash of its URL)."""
    by_host: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_host[host_key(entry.catalogue.url)].append(entry)
    taken: set[str] = set()
    for host in sorted(by_host):
        group = sorted(by_host[host], key=lambda e: catalogue_key(e.catalogue))
        base = suggest_id(host.replace(":", "-"))[:52].strip("-")
        for entry in group:
            candidate = base
            if len(group) > 1 or candidate in taken:
                tail = suggest_id(entry.site.partition("/")[2][:8]) if "/" in entry.site else ""
                if not tail or tail == "source":
                    path = urlsplit(entry.catalogue.url).path.strip("/").split("/")
                    tail = suggest_id(path[0])[:16] if path and path[0] else entry.catalogue.type
                candidate = f"{base}-{tail}".strip("-")
            if candidate in taken:
                candidate = f"{candidate[:55]}-{hashlib.sha1(entry.catalogue.url.encode()).hexdigest()[:6]}"
            taken.add(candidate)
            entry.id = candidate
