"""The compact store (issue 18): the current record kept once, versions as compressed snapshots, SQL reading records
through ``record_json``, and the rewrite of a store written by the first layout's code."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest

from index import quality
from index.store import CURRENT, JobCounts, Store
from kernel.records import RawRecord
from normalise import normalise
from normalise.model import Dataset, content_hash

LEGACY = Path(__file__).parent / "legacy_store" / "moisson-v0.db"  # made by legacy_store/make_store.py


def _record(title: str, **fields) -> Dataset:
    return Dataset(id="p.1", source_id="p", native_id="1", title=title, **fields)


def test_the_current_record_is_kept_once_and_older_versions_as_snapshots(store: Store) -> None:
    job = store.start_job("p", "full")
    with store.transaction():
        assert store.upsert_entry(_record("Budget 2024"), "1", job) == "new"
    (first,) = store.db.execute("SELECT data FROM record_versions WHERE record_id = 'p.1'").fetchall()
    assert first["data"] == CURRENT  # the JSON is in records.data only
    with store.transaction():
        assert store.upsert_entry(_record("Budget 2025", keywords=["budget"]), "1", job) == "updated"
    rows = store.db.execute("SELECT version, data FROM record_versions WHERE record_id = 'p.1' ORDER BY version")
    old, new = rows.fetchall()
    assert store.codec.is_packed(old["data"]) and new["data"] == CURRENT
    assert store.version("p.1", 1).title == "Budget 2024" and store.version("p.1", 2).title == "Budget 2025"
    assert store.diff("p.1", 1, 2) == [{"path": "title", "change": "changed", "from": "Budget 2024",
                                        "to": "Budget 2025"},
                                       {"path": "keywords", "change": "added", "to": ["budget"]}]
    store.finish_job(job, "succeeded", JobCounts(new=1, updated=1))
    withdrawer = store.start_job("p", "full")
    assert store.withdraw_unseen("p", withdrawer) == 1
    assert [h["change"] for h in store.history("p.1")] == ["new", "updated", "withdrawn"]
    assert store.version("p.1", 2).title == store.version("p.1", 3).title == "Budget 2025"
    assert store.entry("p.1")[1]["status"] == "withdrawn"


def test_sql_reads_a_stored_record_through_record_json(store: Store) -> None:
    job = store.start_job("p", "full")
    with store.transaction():
        store.upsert_entry(_record("Arbres remarquables", keywords=["arbres", "patrimoine"]), "1", job)
    raw = store.db.execute("SELECT data FROM records").fetchone()[0]
    assert store.codec.is_packed(raw)  # not JSON text: json_extract alone cannot read it
    row = store.db.execute("SELECT json_extract(record_json(data), '$.title') AS title, "
                           "(SELECT COUNT(*) FROM json_each(record_json(data), '$.keywords')) AS n FROM records"
                           ).fetchone()
    assert (row["title"], row["n"]) == ("Arbres remarquables", 2)


def test_raw_records_are_compressed_and_replayable(store: Store) -> None:
    package = orjson.dumps({"id": "abc", "name": "velos", "title": "Comptages vélo", "notes": "Comptages horaires",
                            "resources": [{"id": "r1", "url": "https://demo.example/velos.csv", "format": "CSV"}]})
    raw = RawRecord(source_id="p", native_id="abc", url="https://demo.example/api/3/action/package_show?id=abc",
                    profile="ckan", content=package)
    job = store.start_job("p", "full")
    with store.transaction():
        assert store.save_raw(raw, job)
        assert not store.save_raw(raw, job)  # unchanged bytes: nothing written
    stored = store.db.execute("SELECT content FROM raw_records").fetchone()[0]
    assert store.codec.is_packed(stored)
    back = store.raw("p", "abc")
    assert back.content == package and back.hash == raw.hash
    assert content_hash(normalise(back)[0]) == content_hash(normalise(raw)[0])


def _snapshot(store: Store) -> dict[str, object]:
    """Everything a reader gets out of the store: records, their versions and diffs, raw records, scores."""
    out: dict[str, object] = {}
    for (record_id,) in store.db.execute("SELECT id FROM records ORDER BY id").fetchall():
        entry, meta = store.entry(record_id)
        history = store.history(record_id)
        versions = [store.version(record_id, h["version"]).model_dump(mode="json") for h in history]
        diffs = [store.diff(record_id, a["version"], b["version"]) for a, b in zip(history, history[1:], strict=False)]
        raw = store.raw(meta["source_id"], store.db.execute("SELECT raw_native_id FROM records WHERE id = ?",
                                                            (record_id,)).fetchone()[0])
        detail = quality.quality_of(store, record_id)
        out[record_id] = {"entry": entry.model_dump(mode="json"), "meta": meta, "history": history,
                          "versions": versions, "diffs": diffs, "raw": raw.content, "raw_hash": raw.hash,
                          "quality": {k: v for k, v in (detail or {}).items() if k != "links"}}
    out["reports"] = [quality.report(store, source_id=s).as_dict()
                      for (s,) in store.db.execute("SELECT DISTINCT source_id FROM records ORDER BY 1")]
    return out


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


@pytest.fixture
def legacy(tmp_path: Path) -> Store:
    """A copy of the store the first layout's code wrote (demo portals harvested, one update, withdrawals)."""
    shutil.copy(LEGACY, tmp_path / "moisson.db")
    st = Store(tmp_path / "moisson.db")
    yield st
    st.close()


def test_a_store_of_the_first_layout_is_read_as_it_is_then_compacted_without_changing_a_thing(legacy: Store) -> None:
    assert legacy.layout_version() == 0
    assert legacy.db.execute("SELECT COUNT(*) FROM record_versions WHERE data = ?", (CURRENT,)).fetchone()[0] == 0
    before = _snapshot(legacy)
    assert len(before) > 50 and any(len(item["history"]) > 1 for k, item in before.items() if k != "reports")
    size = _size(legacy.path)

    done = legacy.compact(min_samples=8)
    done["quality"] = quality.compact(legacy)
    legacy.mark_compact()

    assert done["raw_records"] == done["records"] == len(before) - 1 and done["quality"] > 0
    assert legacy.layout_version() == 1
    assert _snapshot(legacy) == before  # every record, version, diff, raw byte and score reads the same
    kinds = {d["kind"] for d in legacy.codec.dictionaries()}
    assert {"raw:ckan", "record"} <= kinds
    assert all(legacy.codec.is_packed(row[0]) for row in legacy.db.execute("SELECT content FROM raw_records"))
    current = legacy.db.execute("SELECT COUNT(*) FROM record_versions v JOIN records r ON r.id = v.record_id "
                                "AND r.version = v.version WHERE v.data = ?", (CURRENT,)).fetchone()[0]
    assert current == len(before) - 1  # each record's current JSON is kept once
    assert _size(legacy.path) < size / 2
    again = legacy.compact(min_samples=8)
    assert again == {"raw_records": 0, "records": 0, "record_versions": 0} and quality.compact(legacy) == 0


def test_replay_of_normalisation_from_the_compacted_raw_bytes(legacy: Store) -> None:
    """What the compact store must keep possible: normalising a stored raw record again, after compaction, gives the
    record it gave before. (Compared with today's normaliser on both sides: the fixture's stored hashes were made by
    the normaliser of its time, and normalisation has improved since.)"""
    rows = legacy.db.execute("SELECT r.id, r.source_id, r.raw_native_id FROM records r "
                             "WHERE r.status = 'active' ORDER BY r.id").fetchall()

    def replay() -> dict[str, str]:
        hashes = {}
        for row in rows:
            entries = {e.id: e for e in normalise(legacy.raw(row["source_id"], row["raw_native_id"]), None)}
            hashes[row["id"]] = content_hash(entries[row["id"]])
        return hashes

    before = replay()
    legacy.compact(min_samples=8)
    assert replay() == before and len(before) > 20


def test_records_written_before_compaction_by_the_new_code_keep_their_history(legacy: Store) -> None:
    """A store of the first layout goes on working before it is compacted: an update stores the new version
    compactly, the older one keeps the JSON it had."""
    record_id = legacy.db.execute("SELECT id FROM records WHERE status = 'active' AND version = 1 ORDER BY id LIMIT 1"
                                  ).fetchone()[0]
    entry, _ = legacy.entry(record_id)
    job = legacy.start_job(entry.source_id, "incremental")
    with legacy.transaction():
        legacy.upsert_entry(entry.model_copy(update={"title": "Titre corrigé"}), entry.native_id, job)
    assert legacy.version(record_id, 1).title == entry.title and legacy.version(record_id, 2).title == "Titre corrigé"
    legacy.compact(min_samples=8)
    assert legacy.version(record_id, 1).title == entry.title and legacy.version(record_id, 2).title == "Titre corrigé"
    assert legacy.diff(record_id, 1, 2) == [{"path": "title", "change": "changed", "from": entry.title,
                                             "to": "Titre corrigé"}]
