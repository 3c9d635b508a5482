"""`moisson demo --elasticsearch`: the demo indexed into an Elasticsearch-compatible server, and its answers set
beside the embedded index's.

Why: acceptance 2 of issue 16 asks that the demo, indexed into the Elasticsearch backend, answers
``/api/datasets?q=données`` with the same totals as the embedded index. The local server is noida-db (a dev
dependency that speaks the Elasticsearch 8 REST API); with ``MOISSON_INDEX`` set to a real cluster instead, the same
comparison runs against that cluster.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from demo.es_server import EsServer
from index import rebuild_index, sync_index
from index.search import FacetValue, SearchIndex, SearchQuery
from index.store import Store
from index.tantivy_index import TantivyIndex

# What the comparison asks both engines: the demo's own example first.
QUERIES: tuple[SearchQuery, ...] = (
    SearchQuery(q="données"), SearchQuery(q="eau"), SearchQuery(q="transport OR mobilité"),
    SearchQuery(q='"qualité de l\'air"'), SearchQuery(q="données -transport"), SearchQuery(),
    SearchQuery(filters={"format": ["CSV"]}), SearchQuery(q="données", filters={"theme": ["ENVI"]}),
)


def start_server(workdir: Path) -> EsServer:
    """The local Elasticsearch-compatible server on a free loopback port, its data in ``workdir`` (wiped)."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    return EsServer(workdir).__enter__()


def compare_with_embedded(store: Store, index: SearchIndex) -> list[tuple[str, int, int, bool]]:
    """For each of :data:`QUERIES`: its text, the total on ``index``, the total on an embedded tantivy index built
    from the same store (in a temporary directory), and whether the facet counts agree too.

    ``index`` is synced first: scoring and clustering flag records for the index after a job's own sync, and the
    embedded rebuild marks every record indexed, so a record still pending for ``index`` would otherwise never reach
    it (the demo showed facet counts apart on a store whose last changes had not been sent)."""
    sync_index(store, index)
    with tempfile.TemporaryDirectory(prefix="moisson-embedded-") as tmp:
        embedded = TantivyIndex(Path(tmp) / "index")
        try:
            rebuild_index(store, embedded)
            rows = []
            for query in QUERIES:
                mine, theirs = index.search(query), embedded.search(query)
                facets = facets_agree(mine.facets, theirs.facets, query.facet_size)
                label = query.q + "".join(f" {k}={'|'.join(v)}" for k, v in query.filters.items())
                rows.append((label.strip() or "(everything)", mine.total, theirs.total, facets))
            return rows
        finally:
            embedded.close()


def facets_agree(mine: dict[str, list[FacetValue]], theirs: dict[str, list[FacetValue]], size: int) -> bool:
    """The same facets with the same counts. Where more values tie at the last count shown than there is room for,
    each engine picks its own among them (Elasticsearch the first by value, tantivy as its segments come), so a value
    listed by one only is accepted when it ties at that last count in both lists."""
    if set(mine) != set(theirs):
        return False
    for name in mine:
        a = {v.value: v.count for v in mine[name]}
        b = {v.value: v.count for v in theirs[name]}
        if len(a) != len(b) or any(a[value] != b[value] for value in a.keys() & b.keys()):
            return False
        if a.keys() != b.keys():
            if len(mine[name]) < size:  # nothing was cut off: the values must be the same
                return False
            last_a, last_b = (min(v.count for v in values[:size]) for values in (mine[name], theirs[name]))
            if last_a != last_b or any(a[v] != last_a for v in a.keys() - b.keys()) \
                    or any(b[v] != last_b for v in b.keys() - a.keys()):
                return False
    return True
