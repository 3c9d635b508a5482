"""Download statistics: deltas between samples, counter resets, baselines, and aggregates that add up."""

from __future__ import annotations

from index.stats import aggregate, top_datasets, trend
from index.store import JobCounts
from normalise.model import Agent, Dataset, Distribution, Spatial


def _ds(n: int, source: str, publisher: str, downloads: dict[str, int] | None = None,
        dist_downloads: list[int] | None = None, dep: str = "69") -> Dataset:
    dists = [Distribution(native_id=f"r{i}", access_url=f"https://x/{n}/{i}", metrics={"downloads": v})
             for i, v in enumerate(dist_downloads or [])]
    return Dataset(id=f"{source}.{n}", source_id=source, native_id=str(n), title=f"Jeu {n}",
                   publisher=Agent(name=publisher), metrics=downloads or {}, distributions=dists,
                   themes=["http://publications.europa.eu/resource/authority/data-theme/TRAN"],
                   spatial=[Spatial(departements=[dep], regions=["84"])])


def _harvest(store, source: str, at: str, records: list[Dataset]) -> None:
    with store.transaction():
        job = store.start_job(source, "full")
        for record in records:
            store.upsert_entry(record, record.native_id, job)
            store.add_metric_samples(record, job, at)
    store.finish_job(job, "succeeded", JobCounts())


def test_deltas_resets_baselines_and_sums(store) -> None:
    # January: baselines. a.1 = 100 (dataset level); a.2 = 10 + 5 (two resources); b.1 = 40.
    _harvest(store, "a", "2026-01-15T00:00:00+00:00",
             [_ds(1, "a", "Ville A", {"downloads": 100}), _ds(2, "a", "Ville A", dist_downloads=[10, 5])])
    _harvest(store, "b", "2026-01-15T00:00:00+00:00", [_ds(1, "b", "Métropole B", {"downloads": 40}, dep="13")])
    # February: a.1 +30; a.2 resource r0 +7, r1 reset to 2 (counts 2); b.1 unchanged (no sample written).
    _harvest(store, "a", "2026-02-15T00:00:00+00:00",
             [_ds(1, "a", "Ville A", {"downloads": 130}), _ds(2, "a", "Ville A", dist_downloads=[17, 2])])
    _harvest(store, "b", "2026-02-15T00:00:00+00:00", [_ds(1, "b", "Métropole B", {"downloads": 40}, dep="13")])
    # March: b.1 +60 after a missed harvest in between.
    _harvest(store, "b", "2026-03-20T00:00:00+00:00", [_ds(1, "b", "Métropole B", {"downloads": 100}, dep="13")])

    assert store.db.execute("SELECT COUNT(*) FROM metric_samples WHERE record_id = 'b.1'").fetchone()[0] == 2

    national = aggregate(store)
    assert len(national) == 1
    assert national[0].downloads == 30 + 7 + 2 + 60  # baselines excluded, reset counted from zero
    assert national[0].total == 130 + 17 + 2 + 100  # latest cumulative values

    by_source = {a.key: a for a in aggregate(store, "source")}
    assert (by_source["a"].downloads, by_source["b"].downloads) == (39, 60)
    assert sum(a.downloads for a in by_source.values()) == national[0].downloads
    by_publisher = aggregate(store, "publisher")
    assert sum(a.downloads for a in by_publisher) == national[0].downloads
    assert {a.key: a.downloads for a in aggregate(store, "departement")} == {"69": 39, "13": 60}

    february = aggregate(store, start="2026-02-01", end="2026-03-01")
    assert february[0].downloads == 39
    assert [(p.period, p.downloads) for p in trend(store)] == [("2026-02", 39), ("2026-03", 60)]
    assert [(p.period, p.downloads) for p in trend(store, by="source", key="b")] == [("2026-03", 60)]

    top = top_datasets(store, limit=2)
    assert [(t.id, t.downloads) for t in top] == [("b.1", 60), ("a.1", 30)]


def test_dataset_level_counter_wins_over_resource_counters(store) -> None:
    both = _ds(7, "c", "C", {"downloads": 50}, dist_downloads=[20, 30])
    _harvest(store, "c", "2026-01-01T00:00:00+00:00", [both])
    more = _ds(7, "c", "C", {"downloads": 65}, dist_downloads=[25, 40])
    _harvest(store, "c", "2026-02-01T00:00:00+00:00", [more])
    assert aggregate(store)[0].downloads == 15  # not 15 + 5 + 10


def test_a_changed_counter_reindexes_the_record(store) -> None:
    """Popularity is a sort key: new download figures must reach the index although the record did not change."""
    _harvest(store, "d", "2026-01-01T00:00:00+00:00", [_ds(1, "d", "D", {"downloads": 5})])
    store.mark_indexed(["d.1"])
    _harvest(store, "d", "2026-01-02T00:00:00+00:00", [_ds(1, "d", "D", {"downloads": 5})])
    assert store.pending_index() == []  # same counters: nothing to re-index
    _harvest(store, "d", "2026-01-03T00:00:00+00:00", [_ds(1, "d", "D", {"downloads": 9})])
    assert [row[0] for row in store.pending_index()] == ["d.1"]
