"""What every route shares: answers cached until the next commit to the store, never after it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.deps import until_commit
from index.store import JobCounts, Store
from kernel.config import SourceConfig
from normalise.model import Dataset


def _add(store: Store, n: int) -> None:
    store.ensure_source(SourceConfig(id="p", type="ckan", url="https://portail.example/"))
    job = store.start_job("p", "full")
    with store.transaction():
        store.upsert_entry(Dataset(id=f"p.{n}", source_id="p", native_id=str(n), title=f"Jeu {n}"), str(n), job)
    store.finish_job(job, "succeeded", JobCounts(new=1))


def test_a_value_is_computed_once_per_commit(store: Store) -> None:
    calls = []

    def count() -> int:
        calls.append(1)
        return store.count()

    _add(store, 1)
    assert until_commit(store, ("n",), count) == 1 and until_commit(store, ("n",), count) == 1
    assert len(calls) == 1  # nothing committed in between: the cached value
    other = Store(store.path)  # another connection (another thread, process, or a harvest) commits
    _add(other, 2)
    assert until_commit(store, ("n",), count) == 2 and len(calls) == 2
    _add(store, 3)  # this connection's own write counts too
    assert until_commit(store, ("n",), count) == 3
    other.close()


def test_the_catalog_total_follows_each_harvest(store: Store) -> None:
    """The catalog's total is cached (COUNT(*) reads every record) but a harvest's commit from another connection
    shows at once. (The landing page counts the search index, which the harvest's sync updates.)"""
    _add(store, 1)
    client = TestClient(create_app(store.path))
    total = '<http://www.w3.org/ns/hydra/core#totalItems> "{}"^^'
    assert total.format(1) in client.get("/api/catalog?format=nt").text
    other = Store(store.path)
    _add(other, 2)
    assert total.format(2) in client.get("/api/catalog?format=nt").text
    other.close()
