"""`moisson export`: the aggregate as one DCAT-AP catalog, streamed batch by batch.

Why streamed: a national catalog has millions of records; the store is read by id in batches and each batch is
serialised and written before the next is read, so memory stays flat whatever the number of records.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from index.store import Store
from normalise import rdf
from normalise.model import DataService, Dataset

FORMATS = ("ttl", "jsonld", "rdfxml", "nt")


def stream_export(store: Store, fmt: str, out: BinaryIO, *, source_id: str | None = None,
                  base: str | None = None) -> int:
    """Write every active record (of one source, or all) as a DCAT-AP catalog to ``out``; returns how many."""
    count = 0

    def entries() -> Iterator[Dataset | DataService]:
        nonlocal count
        for entry in store.iter_entries(source_id=source_id):
            count += 1
            yield entry

    for chunk in rdf.iter_serialise(entries(), fmt, catalog=rdf.CatalogInfo(), base=base):
        out.write(chunk)
    return count
