"""`moisson export`: the aggregate as one DCAT-AP catalog, streamed batch by batch.

Why streamed: a national catalog has millions of records; the store is read by id in batches and each batch is
serialised and written before the next is read, so memory stays flat whatever the number of records.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from index.clusters import copies_of, with_copy_links
from index.clusters import ensure_schema as ensure_cluster_schema
from index.store import Store
from normalise import rdf
from normalise.model import DataService, Dataset

FORMATS = ("ttl", "jsonld", "rdfxml", "nt")


def stream_export(store: Store, fmt: str, out: BinaryIO, *, source_id: str | None = None,
                  base: str | None = None) -> int:
    """Write every active record (of one source, or all) as a DCAT-AP catalog to ``out``; returns how many.

    The whole aggregate describes each dataset once (issue 14): a copy whose cluster's primary is another record is
    left out, and the primary links its copies' IRIs (owl:sameAs, adms:identifier). One source's export keeps all its
    records -- it is that portal's catalogue -- each linked to its copies elsewhere."""
    count = 0
    ensure_cluster_schema(store)

    def entries() -> Iterator[Dataset | DataService]:
        nonlocal count
        for entry in store.iter_entries(source_id=source_id):
            _, primary, copies = copies_of(store, entry.id)
            if source_id is None and not primary:
                continue
            count += 1
            yield with_copy_links(store, entry, copies)

    for chunk in rdf.iter_serialise(entries(), fmt, catalog=rdf.CatalogInfo(), base=base):
        out.write(chunk)
    return count
