"""The French landscape: the registries' portals as a sources file moisson can harvest, and the report saying how.

`moisson sources import-registry` runs :func:`build` then :func:`sources_yaml` and :func:`report_markdown` (or
:func:`report_csv`). The reconciliation (which records are one catalogue, its type and address, the evidence) is
:mod:`harvesters.registries`; here each entry gets its bodies (operator, hosted bodies: :mod:`index.portal_links`),
its région, its publisher hint, and becomes a ``sources:`` item validated by :mod:`kernel.config`.

The publisher hint (what records that name no publisher are attributed to) is the operator, but only for a portal
known to host no other body: on a shared platform (a région's portal hosting a hundred communes) a record without
publisher is nobody's in particular.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harvesters.registries import REGISTRIES, Entry, Organisation, Reconciled, read_registries, reconcile
from harvesters.registries.readers import Registries
from index.bodies import Registry
from index.portal_links import Link, Linker
from index.publishers import Override
from kernel.config import SOURCE_TYPES, SourceConfig, parse_config
from normalise.territory import region_name, region_of

DEFAULT_OUTPUT = Path("config/sources.france.yaml")
LINKED = 0.7  # links below this confidence are written, but not counted as linked in the report
HINT_SIREN = 0.9  # an operator linked this surely lends its body's SIREN to the publisher hint


@dataclass
class Source:
    """One generated entry: the reconciled entry, its bodies and région, and its sources.yaml item."""

    entry: Entry
    operator: Link | None
    hosts: list[Link]
    region: str | None
    item: dict[str, Any] = field(default_factory=dict)


@dataclass
class Landscape:
    registries: Registries
    reconciled: Reconciled
    sources: list[Source]

    @property
    def enabled(self) -> list[Source]:
        return [s for s in self.sources if s.entry.enabled]


def build(paths: list[str | Path] | None = None, *, reg: Registry | None = None,
          overrides: list[Override] | None = None) -> Landscape:
    """Read the registries (config/registries/ by default), reconcile them, link the bodies, make the entries."""
    registries = read_registries(paths)
    reconciled = reconcile(registries.records)
    linker = Linker(reg, overrides)
    sources = [_source(entry, linker) for entry in reconciled.entries]
    return Landscape(registries, reconciled, sources)


def _source(entry: Entry, linker: Linker) -> Source:
    operators = [r.operator for r in entry.records if r.operator is not None]
    links = [linker.link(o) for o in operators]
    operator = next((link for link in links if link.body), links[0] if links else None)
    hosted: dict[str, Organisation] = {}
    for record in entry.records:
        for org in record.hosted:
            hosted.setdefault(org.siren or org.name or "", org)
    hosts = [linker.link(o) for o in hosted.values()]
    if operator is not None:
        same = {operator.siren, operator.body} - {None}
        hosts = [h for h in hosts if not ({h.siren, h.body} & same)]
    hosts.sort(key=lambda h: (h.body is None, h.body or "", h.siren or "", h.name or ""))
    region = _region(entry, linker, operator)
    source = Source(entry, operator, hosts, region)
    body = linker.reg.get(operator.body) if operator is not None and operator.confidence >= HINT_SIREN else None
    source.item = _item(source, body.siren if body is not None and body.siren else None)
    SourceConfig.model_validate(source.item)
    return source


def _region(entry: Entry, linker: Linker, operator: Link | None) -> str | None:
    """The région the most recent registry describing the entry gives (unanimously), else the operator's: a national
    portal that an older registry's regional record joined (a département's page on data.gouv.fr) stays national."""
    best = min(REGISTRIES[r.registry].rank for r in entry.records)
    said = {r.region or region_of(r.departement or "") for r in entry.records if REGISTRIES[r.registry].rank == best}
    said.discard(None)
    if len(said) == 1:
        return said.pop()
    if said:
        return None
    return linker.body_region(operator.body) if operator is not None else None


def _item(source: Source, body_siren: str | None) -> dict[str, Any]:
    entry = source.entry
    item: dict[str, Any] = {"id": entry.id, "type": entry.catalogue.type, "url": entry.catalogue.url,
                            "name": " ".join(entry.record.name.split())}
    if source.operator is not None and not source.hosts and (source.operator.name or source.operator.siren):
        hint = {"name": source.operator.name} if source.operator.name else {}
        if source.operator.siren or body_siren:
            hint["siren"] = source.operator.siren or body_siren
        item["publisher"] = hint
    item["enabled"] = entry.enabled
    if entry.catalogue.options:
        item["options"] = dict(entry.catalogue.options)
    provenance: dict[str, Any] = {"records": [r.ref for r in entry.records]}
    if entry.record.platform:
        provenance["platform"] = entry.record.platform
    provenance["endpoint"] = entry.catalogue.evidence
    if source.region:
        provenance["region"] = source.region
    if entry.notes:
        provenance["note"] = "; ".join(entry.notes)
    if source.operator is not None:
        provenance["operator"] = source.operator.config()
    if source.hosts:
        provenance["hosts"] = [h.config() for h in source.hosts]
    item["registry"] = provenance
    return item


# -- the sources file ----------------------------------------------------------------------------------------------

HEADER = """\
# The French open-data landscape: one source per catalogue of the national registries of portals.
# Generated by `moisson sources import-registry` from:
{files}
# Regenerate rather than edit the entries (`git diff` shows what changed); `settings:` are kept from the file being
# replaced, so edit them here at will. Entries are `enabled: false` when the evidence is weak (an address derived
# from the platform's layout rather than listed, only an older registry, a registry saying the API is uncertain):
# `moisson sources detect --all --include-disabled` checks them against the live portals.
# `registry:` says where each entry comes from (registry records), its région, its operator and the bodies it hosts,
# linked to the administrative reference with the publisher matcher's rule and confidence.
#
# Licence: a database derived from OpenDataFrance's observatoire 2022 (ODbL-1.0, attribution "OpenDataFrance"),
# Common Data Index's registry (CC-BY-4.0, attribution "Common Data Index") and dataportals.org (PDDL-1.0); made
# available under the ODbL-1.0. See config/registries/README.md.
"""

SETTINGS = """\
settings:
  contact: moisson@example.org    # put your address here: portal operators read it in the User-Agent
  max_concurrent_harvests: 4
  default_schedule: "0 1 * * *"   # sources start from 01:00...
  schedule_spread_minutes: 300    # ...each at its own minute until 05:59 (a stable hash of its id)
"""


def sources_yaml(landscape: Landscape, settings: dict[str, Any] | None = None) -> str:
    """The sources file: header, settings (``settings``, else moisson's for a national fleet), then every entry
    (enabled or not), validated before it is returned."""
    files = "\n".join(f"#   {Path(path).name} ({REGISTRIES.get(kind, REGISTRIES['odf-2022']).label}, "
                      f"{REGISTRIES.get(kind, REGISTRIES['odf-2022']).date}): {rows} rows"
                      for path, kind, rows in landscape.registries.files)
    body = yaml.safe_dump([s.item for s in landscape.sources], sort_keys=False, allow_unicode=True,
                          default_flow_style=None, width=118)
    keep = settings is not None and settings != yaml.safe_load(SETTINGS)["settings"]
    head = SETTINGS if not keep else yaml.safe_dump({"settings": settings}, sort_keys=False,
                                                            allow_unicode=True, default_flow_style=None, width=118)
    text = HEADER.format(files=files) + head + "sources:\n" + "".join(
        f"  {line}" if line.strip() else line for line in body.splitlines(keepends=True))
    parse_config(text)  # the generated file must validate, or nothing is written
    return text


# -- the report ----------------------------------------------------------------------------------------------------


def counts(landscape: Landscape) -> dict[str, Any]:
    """The figures the report and the CLI summary show."""
    sources = landscape.sources
    by_type = {t: (sum(1 for s in sources if s.entry.catalogue.type == t and s.entry.enabled),
                   sum(1 for s in sources if s.entry.catalogue.type == t and not s.entry.enabled))
               for t in SOURCE_TYPES}
    regions: Counter[tuple[str, bool]] = Counter((s.region or "", s.entry.enabled) for s in sources)
    left = Counter(item.exclusion.reason for item in landscape.reconciled.left)
    operators = Counter(s.operator.rule for s in sources if s.operator and s.operator.body
                        and s.operator.confidence >= LINKED)
    hosts = [h for s in sources for h in s.hosts]
    return {
        "records": len(landscape.registries.records), "entries": len(sources),
        "enabled": sum(1 for s in sources if s.entry.enabled),
        "disabled": sum(1 for s in sources if not s.entry.enabled),
        "merged": sum(len(s.entry.records) - 1 for s in sources), "left": sum(left.values()),
        "conflicts": len(landscape.reconciled.conflicts), "by_type": by_type,
        "by_region": {code: (regions[(code, True)], regions[(code, False)])
                      for code in sorted({r for r, _ in regions})},
        "left_by_reason": dict(left.most_common()),
        "operators_linked": sum(operators.values()), "operators_by_rule": dict(operators.most_common()),
        "hosts": len(hosts), "hosts_linked": sum(1 for h in hosts if h.body and h.confidence >= LINKED),
    }


def _region_label(code: str) -> str:
    return f"{region_name(code) or code} ({code})" if code else "national or not placed"


def report_markdown(landscape: Landscape) -> str:
    c = counts(landscape)
    out = ["# `moisson sources import-registry`: report", ""]
    out.append("| registry file | registry | date of the data | licence | rows |")
    out.append("|---|---|---|---|---|")
    for path, kind, rows in landscape.registries.files:
        info = REGISTRIES.get(kind, REGISTRIES["odf-2022"])
        what = "organisations" if kind == "odf-organisations" else "portals"
        out.append(f"| {Path(path).name} | {info.label} | {info.date} | {info.licence} | {rows} {what} |")
    out += ["", f"{c['records']} portal records → **{c['entries']} sources** ({c['enabled']} enabled, "
                f"{c['disabled']} disabled: weak evidence), {c['merged']} records merged into another's entry, "
                f"{c['left']} left out, {c['conflicts']} conflicts between registries.", ""]
    out += ["## Sources by type", "", "| type | enabled | disabled |", "|---|---:|---:|"]
    out += [f"| {t} | {e} | {d} |" for t, (e, d) in c["by_type"].items()]
    out += ["", "## Sources by région", "", "| région | enabled | disabled |", "|---|---:|---:|"]
    out += [f"| {_region_label(code)} | {e} | {d} |"
            for code, (e, d) in sorted(c["by_region"].items(), key=lambda kv: (not kv[0], _region_label(kv[0])))]
    out += ["", "## Bodies linked", "",
            f"- operators linked to a body of the reference (confidence ≥ {LINKED}): {c['operators_linked']} of "
            f"{c['entries']} sources; by rule: " + ", ".join(f"{k} {v}" for k, v in c["operators_by_rule"].items()),
            f"- hosted bodies (OpenDataFrance 2022's SIRENs): {c['hosts']}, of which {c['hosts_linked']} linked to a "
            "body of the reference (the others are bodies the reference does not list: syndicats, offices, "
            "companies...)", ""]
    out += ["## Left out, and why", "", "| reason | records |", "|---|---:|"]
    out += [f"| {reason} | {n} |" for reason, n in c["left_by_reason"].items()]
    out += ["", "| record | name | address | reason |", "|---|---|---|---|"]
    for item in sorted(landscape.reconciled.left, key=lambda i: (i.exclusion.reason, i.record.ref)):
        out.append(f"| {item.record.ref} | {_cell(item.record.name)} | {item.record.homepage} | "
                   f"{_cell(item.exclusion.detail)} |")
    out += ["", "## Conflicts between registries", "",
            "| site | kept | says | instead of | says |", "|---|---|---|---|---|"]
    for conflict in landscape.reconciled.conflicts:
        kept = conflict.kept
        out.append(f"| {conflict.site} | {kept.record.ref} | {kept.record.platform} → {kept.catalogue.type} | "
                   f"{conflict.dropped.ref} | {conflict.dropped.platform} → {conflict.dropped_catalogue.type} |")
    out += ["", "## Disabled sources, and why", "", "| source | type | address | why |", "|---|---|---|---|"]
    for source in landscape.sources:
        if not source.entry.enabled:
            out.append(f"| {source.entry.id} | {source.entry.catalogue.type} | {source.entry.catalogue.url} | "
                       f"{_cell('; '.join(source.entry.notes))} |")
    return "\n".join(out) + "\n"


def _settings_of(path: Path) -> dict[str, Any] | None:
    """The ``settings:`` of an existing sources file (validated), or None when there is none to keep."""
    if not path.exists():
        return None
    text = path.read_text("utf-8")
    parse_config(text, path)  # a broken file is an error the operator must see, not settings silently dropped
    data = yaml.safe_load(text) or {}
    settings = data.get("settings") if isinstance(data, dict) else None
    return settings if isinstance(settings, dict) and settings else None


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


CSV_FIELDS = ["registry", "record", "name", "homepage", "outcome", "source", "type", "url", "enabled", "region",
              "reason"]


def report_csv(landscape: Landscape) -> str:
    """One row per registry record: the source it became or joined (outcome ``source`` or ``merged``), or why it was
    left out (``left``); a record that lost a conflict is ``merged`` with the conflict as its reason."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    conflicts = {c.dropped.ref: c for c in landscape.reconciled.conflicts}
    for source in landscape.sources:
        for index, record in enumerate(source.entry.records):
            conflict = conflicts.get(record.ref)
            writer.writerow({
                "registry": record.registry, "record": record.record_id, "name": record.name,
                "homepage": record.homepage, "outcome": "source" if index == 0 else "merged",
                "source": source.entry.id, "type": source.entry.catalogue.type, "url": source.entry.catalogue.url,
                "enabled": str(source.entry.enabled).lower(), "region": source.region or "",
                "reason": (f"conflict: said {record.platform}, {source.entry.record.ref} kept" if conflict
                           else "; ".join(source.entry.notes) if index == 0 else ""),
            })
    for item in landscape.reconciled.left:
        writer.writerow({"registry": item.record.registry, "record": item.record.record_id, "name": item.record.name,
                         "homepage": item.record.homepage, "outcome": "left", "source": "", "type": "", "url": "",
                         "enabled": "", "region": item.record.region or "",
                         "reason": f"{item.exclusion.reason}: {item.exclusion.detail}"})
    return buffer.getvalue()


def write(landscape: Landscape, output: Path, report: Path | None = None) -> None:
    """Write the sources file (validated first; the settings of the file it replaces are kept) and, if asked, the
    report (CSV for a .csv path, else Markdown)."""
    text = sources_yaml(landscape, _settings_of(output))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, "utf-8")
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(report_csv(landscape) if report.suffix.lower() == ".csv" else report_markdown(landscape),
                          "utf-8")
