"""Index tests build records directly from the model: the index must not depend on any harvester.

``search_index`` is the same suite's index on each backend: the embedded tantivy index and the Elasticsearch one
(on the session's Elasticsearch-compatible server, a fresh alias per test)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from index.search import SearchIndex
from index.tantivy_index import TantivyIndex

EU = "http://publications.europa.eu/resource/authority/"
THEME = EU + "data-theme/"
FILE_TYPE = EU + "file-type/"
LICENCE = EU + "licence/"


@pytest.fixture
def tantivy_index(tmp_path: Path) -> Iterator[TantivyIndex]:
    index = TantivyIndex(tmp_path / "index", lock_wait=0)
    yield index
    index.close()


@pytest.fixture
def es_index(es_url: str) -> Iterator[SearchIndex]:
    from index.elasticsearch_index import ElasticsearchIndex

    index = ElasticsearchIndex(es_url, alias=f"test-{uuid.uuid4().hex[:12]}")
    yield index
    index.close()
    drop_alias(index)


def drop_alias(index: SearchIndex) -> None:
    """Delete every index and the template of a test's alias (the server lives for the whole session)."""
    client = index.client  # type: ignore[attr-defined]
    alias = index.alias  # type: ignore[attr-defined]
    found = client.indices.get(index=f"{alias}-v*", ignore_unavailable=True, allow_no_indices=True).body
    for name in found:
        client.indices.delete(index=name)
    client.options(ignore_status=404).indices.delete_index_template(name=f"{alias}-template")


@pytest.fixture(params=["tantivy", "elasticsearch"])
def search_index(request: pytest.FixtureRequest) -> SearchIndex:
    """The index on each backend: every test that takes it runs twice and must pass alike."""
    return request.getfixturevalue("tantivy_index" if request.param == "tantivy" else "es_index")


@contextmanager
def stalled_facet_pool() -> Iterator[None]:
    """Every thread that counts tantivy's facets busy (as under a burst of searches) until the block ends: a search
    meanwhile waits for its facet counts until the deadline."""
    import index.tantivy_index as engine

    release = threading.Event()
    pool = engine._FACET_POOL
    busy = [pool.submit(release.wait, 60) for _ in range(pool._max_workers)]
    try:
        yield
    finally:
        release.set()
        for future in busy:
            future.result(timeout=60)
