"""When to score: after a harvest for changed records, and after link checks for the records whose links changed.

Why in the pipeline: scoring is pure (:mod:`scoring.mqa`) and the store keeps the results (:mod:`index.quality`);
only this layer knows both, and it keeps link checking out of the harvest's way.
"""

from __future__ import annotations

from datetime import timedelta

from index.quality import LinkVerdicts, ensure_schema, record_urls, score_and_store
from index.store import Store
from normalise.model import entry_from_json
from scoring.links import LinkChecker


def score_records(store: Store, *, source_id: str | None = None, only_stale: bool = True) -> int:
    """(Re)score active records of a source (or all); with ``only_stale``, those whose content changed since their
    last score or that were never scored. Streams the store; returns how many were scored."""
    ensure_schema(store)
    clauses = ["r.status = 'active'"]
    params: list[str] = []
    if source_id:
        clauses.append("r.source_id = ?")
        params.append(source_id)
    if only_stale:
        clauses.append("(q.record_id IS NULL OR q.hash != r.hash)")
    sql = (f"SELECT r.id, r.hash, r.data FROM records r LEFT JOIN quality q ON q.record_id = r.id "
           f"WHERE {' AND '.join(clauses)} AND r.id > ? ORDER BY r.id LIMIT 500")
    done, last = 0, ""
    while rows := store.db.execute(sql, (*params, last)).fetchall():
        for row in rows:
            score_and_store(store, entry_from_json(row["data"]), row["hash"])
        done += len(rows)
        last = rows[-1]["id"]
    return done


def check_links(store: Store, checker: LinkChecker, *, source_id: str | None = None,
                interval: timedelta = timedelta(days=7)) -> int:
    """Check the links of active records that are due, then rescore the records whose links were checked."""
    verdicts = LinkVerdicts(store)
    by_url: dict[str, set[str]] = {}
    sql = "SELECT id, data FROM records WHERE status = 'active'" + (" AND source_id = ?" if source_id else "")
    for row in store.db.execute(sql, (source_id,) if source_id else ()):
        for url in record_urls(entry_from_json(row["data"])):
            by_url.setdefault(url, set()).add(row["id"])
    due = verdicts.due(by_url, interval)
    checked = verdicts.save(checker.check_many(due))
    touched = {rid for url in due for rid in by_url[url]}
    for rid in sorted(touched):
        row = store.db.execute("SELECT hash, data FROM records WHERE id = ?", (rid,)).fetchone()
        score_and_store(store, entry_from_json(row["data"]), row["hash"])
    return checked
