"""How ``moisson-v0.db`` was made: a store of the first layout (before issue 18's compact store), written by the code
of that time, for the migration test (tests/index/test_compact_store.py).

Run from a checkout of commit b853813 (the last one with the first layout)::

    git archive b853813 | tar -x -C /tmp/moisson-v0 && cd /tmp/moisson-v0 && \\
        python /path/to/this/make_store.py /path/to/tests/index/legacy_store/moisson-v0.db

It harvests the demo CKAN, DCAT, OpenDataSoft and udata portals (recorded real portal responses, served on
loopback) with scoring and SHACL on, then gives the store what a store lives through: a record updated (two
versions), records withdrawn by a full sweep that no longer saw them, and download counters sampled twice.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

from demo.portals import ckan, dcat, ods, udata
from demo.server import PortalServer
from index.store import Store
from kernel.config import parse_config
from pipeline.harvest import run_harvest


def main(target: Path) -> None:
    target.unlink(missing_ok=True)
    data = Path("demo/data")
    with PortalServer() as server:
        entries = (ckan.demo_portals(server, data / "ckan") + dcat.demo_portals(server, data / "dcat")
                   + ods.demo_portals(server, data / "ods") + udata.demo_portals(server, data / "udata"))
        config = parse_config(orjson.dumps({"settings": {"allow_private_networks": True},
                                            "sources": entries}).decode())
        store = Store(target)
        store.sync_sources(config.sources)
        for source in config.sources:
            result = run_harvest(store, source, config, mode="full", index_after=False)
            print(source.id, result.status, result.counts, file=sys.stderr)
    # an update: the record's title changed at its source (version 2), as a later job would store it
    first = store.db.execute("SELECT id FROM records ORDER BY id LIMIT 1").fetchone()[0]
    entry, _ = store.entry(first)
    job = store.start_job(entry.source_id, "incremental")
    changed = entry.model_copy(update={"title": entry.title + " (mise à jour)"})
    with store.transaction():
        store.upsert_entry(changed, store.db.execute("SELECT raw_native_id FROM records WHERE id = ?",
                                                     (first,)).fetchone()[0], job)
    from index.store import JobCounts

    store.finish_job(job, "succeeded", JobCounts(updated=1))
    # a full sweep of one source that saw none of its records but one: the others are withdrawn (a version each)
    source = store.db.execute("SELECT source_id FROM records GROUP BY source_id ORDER BY COUNT(*) DESC LIMIT 1"
                              ).fetchone()[0]
    job = store.start_job(source, "full")
    kept = store.db.execute("SELECT raw_native_id FROM records WHERE source_id = ? ORDER BY id LIMIT 1",
                            (source,)).fetchone()[0]
    store.mark_seen(source, [kept], job)
    withdrawn = store.withdraw_unseen(source, job)
    store.finish_job(job, "succeeded", JobCounts(withdrawn=withdrawn))
    store.db.execute("VACUUM")
    store.close()
    print(f"{target}: {target.stat().st_size / 1024:.0f} KB", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
