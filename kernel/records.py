"""What every harvester yields: raw records with their provenance, and the errors met on the way.

Why raw records: the source's own bytes are kept so any normalisation can be replayed later without re-fetching,
and the content hash tells an unchanged record from a changed one before any parsing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime


def utcnow() -> str:
    """Now as an ISO 8601 UTC timestamp, the one time format of the store and the job log."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as fetched. ``profile`` names the normaliser that understands ``content``.

    Profiles: ckan (package dict JSON), dcat (N-Triples of one dataset's description), dcat-us (data.json dataset),
    iso19139 (gmd:MD_Metadata XML), csw-dc (csw:Record XML), ogcapi-record (GeoJSON feature), ods (dataset JSON),
    udata (dataset JSON), schema-org (schema.org Dataset JSON-LD).
    """

    source_id: str
    native_id: str
    url: str
    profile: str
    content: bytes
    media_type: str = "application/json"
    fetched_at: str = field(default_factory=utcnow)
    modified: str | None = None  # the source's own modification date, when it gives one

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True, slots=True)
class RecordError:
    """A problem with one record, or with one page when ``native_id`` is None (then the sweep is incomplete).

    A ``warning`` is a defect the harvester worked around (an element a lenient parser skipped): the records are
    there, the job says what was wrong and where, and nothing counts as failed."""

    reason: str
    native_id: str | None = None
    url: str | None = None
    warning: bool = False

    @property
    def page_level(self) -> bool:
        return self.native_id is None and not self.warning


class SourceError(Exception):
    """The source as a whole cannot be harvested (unreachable, not the announced protocol...): the job fails."""


HarvestItem = RawRecord | RecordError
