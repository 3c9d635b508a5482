"""What a record may be, checked where every record of every source type passes: :func:`normalise.normalise`.

Why limits on one record: a portal is written by anyone, and one record may be built to hurt (issue 13): nested
thousands of levels deep, a field of megabytes, tens of thousands of distributions. Each costs every stage after it
(normalising, SHACL, the store, the index, every page that shows it). A record over a limit is refused with a
:class:`NormaliseError` that says which; the pipeline records it on the job (a record-level error: its last good
version stays active) and goes on with the rest of the page. A page that a decoder could not read because of one
record's depth reaches this check too: :mod:`kernel.jsonpage` cuts the too-deep values so the page decodes, and the
cut record is refused here for its depth.

The same place makes the record's links web links (:func:`normalise.common.web_url`): a ``javascript:`` landing
page served by the JSON API is a script one click away in every reuser's page.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from kernel import jsonpage
from kernel.records import RawRecord
from normalise import NormaliseError
from normalise.common import web_url
from normalise.model import Agent, DataService, Dataset

MAX_DEPTH = 32  # levels of nesting of a JSON record (real ones: about 10)
MAX_RECORD_BYTES = 10 * 1024 * 1024
MAX_FIELD_CHARS = 100_000  # one text value of the normalised record (a long description is about 10,000)
MAX_DISTRIBUTIONS = 2_000  # the largest real series hold a few hundred files


def check_raw(raw: RawRecord) -> None:
    """Refuse a raw record too large or (JSON) too deep before any normaliser recurses into it."""
    if len(raw.content) > MAX_RECORD_BYTES:
        raise NormaliseError(f"the record is {len(raw.content):,} bytes: at most {MAX_RECORD_BYTES:,}")
    if raw.media_type.endswith("json") and jsonpage.deeper_than(raw.content, MAX_DEPTH):
        raise NormaliseError(f"the record is nested more than {MAX_DEPTH} levels deep: at most {MAX_DEPTH}")


def check_entry(entry: Dataset | DataService, raw_size: int) -> Dataset | DataService:
    """Refuse an entry over the limits; make its links web links. Returns the entry. ``raw_size``: the bytes of its
    raw record; a text field cannot be much longer than its record, so records under the limit are not walked."""
    if isinstance(entry, Dataset) and len(entry.distributions) > MAX_DISTRIBUTIONS:
        raise NormaliseError(f"the record has {len(entry.distributions):,} distributions: at most "
                             f"{MAX_DISTRIBUTIONS:,}")
    if raw_size > MAX_FIELD_CHARS and (longest := _longest_text(entry)) is not None:
        raise NormaliseError(f"a text of the record ({longest[:60]!r}...) is {len(longest):,} characters long: at "
                             f"most {MAX_FIELD_CHARS:,}")
    _clean_links(entry)
    return entry


def _longest_text(entry: BaseModel) -> str | None:
    """The first text value of the model over MAX_FIELD_CHARS, or None. A walk with a stack over the models'
    attributes: a few microseconds for a real record (the getattr walk of pydantic fields cost 70)."""
    stack: list[Any] = [entry]
    while stack:
        value = stack.pop()
        if type(value) is str:
            if len(value) > MAX_FIELD_CHARS:
                return value
        elif isinstance(value, BaseModel):
            stack.extend(value.__dict__.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
    return None


def _clean_links(entry: Dataset | DataService) -> None:
    """Links a reader follows are web links (http, https, ftp) or nothing."""
    entry.landing_page = web_url(entry.landing_page)
    for agent in [entry.publisher, *entry.creators]:
        if isinstance(agent, Agent):
            agent.homepage = web_url(agent.homepage)
    for contact in entry.contact_points:
        contact.url = web_url(contact.url)
    if isinstance(entry, Dataset):
        for dist in entry.distributions:
            dist.access_url = web_url(dist.access_url)
            dist.download_url = web_url(dist.download_url)
            if dist.access_service is not None and web_url(dist.access_service.endpoint_url) is None:
                dist.access_service = None
    else:
        entry.endpoint_urls = [url for u in entry.endpoint_urls if (url := web_url(u))]
