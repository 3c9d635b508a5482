"""The search index rebuilt from the store (``moisson reindex``): documents per second and peak memory, at the size of
a kept harvest or twice it.

Run: ``python -m bench.rebuild --store DIR [--double]``. DIR holds a harvested store (``moisson.db``), e.g. the one
``python -m bench --only harvest --harvest-sizes 1000000 --workdir W`` keeps in ``W/1000000``. The rebuild runs in a
child process of its own (its peak RSS is the rebuild's), through :func:`index.rebuild_index`: the real path, store
-> model -> index document -> tantivy, a batch at a time.

``--double`` first copies the store and gives every record a twin under a second id (its source id prefixed with
``twin-``: same content, another record, as a dataset harvested from two portals is), so that a 2M-record store comes
from a 1M-record harvest in a few minutes instead of hours on a shared 2-core machine. What the rebuild reads is
then exactly what a 2M harvest leaves: 2M records, their scores, the compact layout.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import orjson

RESULTS = Path(__file__).resolve().parent / "results" / "rebuild.json"
TWIN = "twin-"


def double(source: Path, target: Path, batch: int = 5000) -> int:
    """Copy the store at ``source`` to ``target`` and add a twin of every record (and of its score); returns the
    number of records afterwards. The copy is SQLite's own (``VACUUM INTO``): consistent while a harvest or an
    index sync still writes the original."""
    from index.quality import ensure_schema
    from index.store import Store

    target.mkdir(parents=True, exist_ok=True)
    (target / "moisson.db").unlink(missing_ok=True)
    original = sqlite3.connect(source / "moisson.db")
    original.execute("VACUUM INTO ?", (str(target / "moisson.db"),))  # a consistent copy, even while it is written
    original.close()
    store = Store(target / "moisson.db")
    ensure_schema(store)
    last = 0
    while rows := store.db.execute(
            "SELECT rowid, * FROM records WHERE rowid > ? AND source_id NOT LIKE 'twin-%' ORDER BY rowid LIMIT ?",
            (last, batch)).fetchall():
        twins, scores = [], []
        for row in rows:
            data = orjson.loads(store.unpack(row["data"]))
            data["id"], data["source_id"] = TWIN + row["id"], TWIN + row["source_id"]
            twins.append((TWIN + row["id"], TWIN + row["source_id"], row["native_id"], row["raw_native_id"],
                          row["kind"], row["hash"], store.pack_record(orjson.dumps(data)), row["status"],
                          row["version"], row["first_seen"], row["changed_at"], row["last_seen_job"],
                          row["withdrawn_at"]))
            scores.append((TWIN + row["id"], row["id"]))
        with store.transaction() as db:
            db.executemany(
                """INSERT INTO records (id, source_id, native_id, raw_native_id, kind, hash, data, status, version,
                   first_seen, changed_at, last_seen_job, withdrawn_at, indexed)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)""", twins)
            db.executemany(
                """INSERT INTO quality (record_id, hash, score, band, indicators, shacl_conforms, shacl_violations,
                   computed_at, french) SELECT ?, hash, score, band, indicators, shacl_conforms, shacl_violations,
                   computed_at, french FROM quality WHERE record_id = ?""", scores)
        last = rows[-1]["rowid"]
    count = store.count(status=None)
    store.close()
    return count


def _rebuild_in_child(db: str, index: str) -> dict[str, Any]:
    from index import close_indexes, rebuild_index
    from index.store import Store

    os.environ["MOISSON_INDEX"] = index
    store = Store(db)
    started, cpu = time.perf_counter(), time.process_time()
    documents = rebuild_index(store)
    close_indexes()
    seconds = time.perf_counter() - started
    return {"documents": documents, "seconds": round(seconds, 1), "cpu_seconds": round(time.process_time() - cpu, 1),
            "docs_per_s": round(documents / seconds) if seconds else None,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "index_mb": round(sum(p.stat().st_size for p in Path(index).rglob("*") if p.is_file()) / 2**20, 1)}


def measure(store_dir: Path, doubled: bool) -> dict[str, Any]:
    load_start = [round(x, 1) for x in os.getloadavg()]
    work = store_dir
    out: dict[str, Any] = {}
    if doubled:
        work = store_dir.parent / f"{store_dir.name}-doubled"
        started = time.perf_counter()
        out["records"] = double(store_dir, work)
        out["doubling_seconds"] = round(time.perf_counter() - started, 1)
    index = work / "index-rebuilt"
    shutil.rmtree(index, ignore_errors=True)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        out.update(pool.apply(_rebuild_in_child, (str(work / "moisson.db"), str(index))))
    out["load_average"] = {"start": load_start, "end": [round(x, 1) for x in os.getloadavg()]}
    out["store_mb"] = round(sum(p.stat().st_size for p in work.glob("moisson.db*")) / 2**20, 1)
    out["store"] = str(work)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rebuild", description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="a directory holding a harvested moisson.db")
    parser.add_argument("--double", action="store_true", help="rebuild over a copy with every record twinned")
    args = parser.parse_args(argv)
    result = measure(args.store, args.double)
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    saved[str(result["documents"])] = {**result, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(saved, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
