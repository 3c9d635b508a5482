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

from collections.abc import Iterator
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
    if raw.media_type.endswith("json") or raw.media_type.endswith("+json"):
        levels = jsonpage.depth(raw.content)
        if levels > MAX_DEPTH:
            raise NormaliseError(f"the record is nested {levels} levels deep: at most {MAX_DEPTH}")


def check_entry(entry: Dataset | DataService) -> Dataset | DataService:
    """Refuse an entry over the limits; make its links web links. Returns the entry."""
    if isinstance(entry, Dataset) and len(entry.distributions) > MAX_DISTRIBUTIONS:
        raise NormaliseError(f"the record has {len(entry.distributions):,} distributions: at most "
                             f"{MAX_DISTRIBUTIONS:,}")
    for path, value in _strings(entry, entry.__class__.__name__):
        if len(value) > MAX_FIELD_CHARS:
            raise NormaliseError(f"{path} is {len(value):,} characters long: at most {MAX_FIELD_CHARS:,}")
    _clean_links(entry)
    return entry


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every text value of a model, with its dotted path (the model is a few levels deep: no recursion risk)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _strings(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")


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
