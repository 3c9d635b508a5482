"""Normalisers: one function per raw-record profile, each mapping the source format onto :mod:`normalise.model`.

A normaliser takes a :class:`kernel.records.RawRecord` and returns the entries it describes (usually one dataset;
an ISO 19139 service record gives a DataService). It raises :class:`NormaliseError` with a plain reason when the
record cannot be understood; the pipeline reports it on the job and goes on with the rest of the source.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from kernel.config import PublisherHint
    from kernel.records import RawRecord
    from normalise.model import DataService, Dataset


class NormaliseError(ValueError):
    """A record that cannot be normalised; the message is shown on the harvest job."""


class Normaliser(Protocol):
    def __call__(self, raw: RawRecord, hint: PublisherHint | None = None) -> list[Dataset | DataService]: ...


NORMALISERS: dict[str, str] = {
    "ckan": "normalise.ckan:normalise_ckan",
    "dcat": "normalise.dcat:normalise_dcat",
    "dcat-us": "normalise.dcat_us:normalise_dcat_us",
    "iso19139": "normalise.iso19139:normalise_iso19139",
    "csw-dc": "normalise.csw_dc:normalise_csw_dc",
    "ogcapi-record": "normalise.ogcapi_record:normalise_ogcapi_record",
    "ods": "normalise.ods:normalise_ods",
    "udata": "normalise.udata:normalise_udata",
    "schema-org": "normalise.schema_org:normalise_schema_org",
}

_loaded: dict[str, Normaliser] = {}


def normaliser_for(profile: str) -> Normaliser:
    if profile not in _loaded:
        try:
            module_name, _, func = NORMALISERS[profile].partition(":")
        except KeyError:
            raise NormaliseError(f"no normaliser for profile {profile!r}") from None
        _loaded[profile] = getattr(import_module(module_name), func)
    return _loaded[profile]


def normalise(raw: RawRecord, hint: PublisherHint | None = None) -> list[Dataset | DataService]:
    """Map one raw record to its entries; raises :class:`NormaliseError` with a reason when it cannot. Every record
    of every source type passes the limits of :mod:`normalise.limits` here, before and after its normaliser."""
    from normalise import limits

    limits.check_raw(raw)
    return [limits.check_entry(entry, len(raw.content)) for entry in normaliser_for(raw.profile)(raw, hint)]
