"""`moisson sources detect --all`: every source of a sources file probed as `sources detect` probes one address, and
what was found compared with what the file says.

Why: a file generated from registries (`sources import-registry`) is evidence, not truth; the day an operator deploys
it, this says which portals answer as configured (``confirmed``), which answer as another platform (``changed``: a
portal that moved from OpenDataSoft to Data Fair), which moved to another host (``redirect``), which do not answer
or answer 404/410 (``dead``), and which answer but cannot be told (``unknown``).

Politeness: probes go through the one HTTP layer (:func:`harvesters.detect.probe_client`: the configured per-host
rate and concurrency, shared by every thread of the process, the User-Agent with the operator's contact, the
private-address guard) with short timeouts and no retries; at most ``workers`` portals are probed at once, and the
configured type is probed first so that a confirmed portal costs one or two requests.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from harvesters.detect import Detection, detect, probe_client
from kernel.config import Settings, SourceConfig

Status = Literal["confirmed", "changed", "redirect", "dead", "unknown"]
STATUSES: tuple[Status, ...] = ("confirmed", "changed", "redirect", "dead", "unknown")
GONE = (404, 410)


@dataclass
class Check:
    """One source: what the file says, what the address answered, and the verdict."""

    source_id: str
    type: str  # as configured
    url: str
    enabled: bool
    status: Status
    found_type: str | None = None
    found_url: str | None = None
    moved_to: str | None = None
    answered: int | None = None
    confidence: float = 0.0
    evidence: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.status == "confirmed":
            return f"{self.type} confirmed" + (f" at {self.found_url}" if self._elsewhere() else "")
        if self.status == "changed":
            return f"configured {self.type}, answers as {self.found_type} at {self.found_url}"
        if self.status == "redirect":
            found = f"; {self.found_type} there" if self.found_type else ""
            return f"moved to {self.moved_to}{found}"
        if self.status == "dead":
            return f"answers HTTP {self.answered}" if self.answered else "does not answer"
        return f"answers HTTP {self.answered}, but as no platform moisson knows"

    def _elsewhere(self) -> bool:
        return bool(self.found_url) and self.found_url.rstrip("/") != self.url.rstrip("/")


def verdict(source: SourceConfig, found: Detection) -> Check:
    """The status of one source given what its address answered (the rules of the module docstring)."""
    check = Check(source.id, source.type, source.url, source.enabled, "unknown", found.type, found.url if found.found
                  else None, found.moved_to, found.answered, found.confidence, list(found.evidence))
    if not found.found and (found.answered is None or found.answered in GONE):
        check.status = "dead"
    elif found.moved_to:
        check.status = "redirect"
    elif found.found and found.type == source.type:
        check.status = "confirmed"
    elif found.found:
        check.status = "changed"
    return check


def check_sources(sources: Iterable[SourceConfig], settings: Settings | None = None, *, workers: int = 8
                  ) -> Iterator[Check]:
    """Probe each source (at most ``workers`` at once) and yield its check as soon as it is known."""
    settings = settings or Settings()

    def one(source: SourceConfig) -> Check:
        http = probe_client(settings.http, allow_private=settings.allow_private_networks, contact=settings.contact)
        try:
            return verdict(source, detect(source.url, http, first=source.type))
        finally:
            http.close()

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="detect") as pool:
        futures = [pool.submit(one, source) for source in sources]
        for future in futures:
            yield future.result()


# -- the report ----------------------------------------------------------------------------------------------------


def counts(checks: list[Check]) -> dict[str, int]:
    found = Counter(c.status for c in checks)
    return {status: found.get(status, 0) for status in STATUSES}


def report_markdown(checks: list[Check], config_path: str) -> str:
    c = counts(checks)
    out = [f"# `moisson sources detect --all`: {config_path}", "",
           f"{len(checks)} sources probed: " + ", ".join(f"{n} {status}" for status, n in c.items()), "",
           "| source | configured | status | what was found | enabled |", "|---|---|---|---|---|"]
    order = {s: i for i, s in enumerate(("changed", "redirect", "dead", "unknown", "confirmed"))}
    for check in sorted(checks, key=lambda c: (order[c.status], c.source_id)):
        out.append(f"| {check.source_id} | {check.type} {check.url} | {check.status} | "
                   f"{check.summary.replace('|', '/')} | {'yes' if check.enabled else 'no'} |")
    return "\n".join(out) + "\n"


CSV_FIELDS = ["source", "type", "url", "enabled", "status", "found_type", "found_url", "moved_to", "answered",
              "confidence", "summary", "evidence"]


def report_csv(checks: list[Check]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for check in checks:
        writer.writerow({"source": check.source_id, "type": check.type, "url": check.url,
                         "enabled": str(check.enabled).lower(), "status": check.status,
                         "found_type": check.found_type or "", "found_url": check.found_url or "",
                         "moved_to": check.moved_to or "", "answered": check.answered or "",
                         "confidence": f"{check.confidence:.2f}", "summary": check.summary,
                         "evidence": " | ".join(check.evidence)})
    return buffer.getvalue()
