"""The public registries of French open-data portals, read as evidence for `moisson sources import-registry`.

Why in ``harvesters``: turning a registry's "this portal runs OpenDataSoft" into a source moisson can harvest is the
harvesters' knowledge — where each platform's API lives (:mod:`harvesters.ods`, :mod:`harvesters.ckan`,
:mod:`harvesters.udata` give the roots they harvest from), which platforms are catalogues at all. Linking the
portals' operators and hosted bodies to the administrative reference is downstream, in :mod:`index.landscape`.

- :mod:`.readers`: each registry's format into one shape, :class:`~.readers.PortalRecord`;
- :mod:`.catalogues`: a record's catalogue endpoint (source type, URL, listed or derived), or why it is left out;
- :mod:`.reconcile`: records merged into one entry per catalogue endpoint, with ids, evidence and conflicts.
"""

from harvesters.registries.catalogues import Catalogue, Exclusion, catalogue_of
from harvesters.registries.readers import (
    REGISTRIES,
    REGISTRY_DIR,
    Organisation,
    PortalRecord,
    RegistryError,
    read_registries,
)
from harvesters.registries.reconcile import Conflict, Entry, Left, Reconciled, reconcile

__all__ = [
    "REGISTRIES", "REGISTRY_DIR", "Catalogue", "Conflict", "Entry", "Exclusion", "Left", "Organisation",
    "PortalRecord", "Reconciled", "RegistryError", "catalogue_of", "read_registries", "reconcile",
]
