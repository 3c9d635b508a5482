"""What is tantivy's own: persistence in a directory, its field layout version, the one-writer rule between
processes, facets counted on a sample of a very large result, its deadline, and a crash of its query parser that
moisson no longer reaches. What every backend does (French full text, the query language, facets, filters, bbox,
sorts, paging, upserts, spelling suggestions, the heavy-search gate) is tests/index/test_search.py, run on tantivy
and Elasticsearch."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from index.document import to_document
from index.search import IndexLockedError, SearchQuery, SearchTimeoutError
from index.tantivy_index import VERSION_FILE, TantivyIndex

from .conftest import THEME, stalled_facet_pool
from .test_search import CORPUS, _ds

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def filled(tantivy_index: TantivyIndex) -> TantivyIndex:
    assert tantivy_index.upsert(to_document(e) for e in CORPUS) == len(CORPUS)
    tantivy_index.commit()
    return tantivy_index


def _ids(index: TantivyIndex, **query) -> list[str]:
    return [hit["id"] for hit in index.search(SearchQuery(page_size=100, **query)).hits]


def test_reopen_after_close_keeps_data(filled: TantivyIndex, tmp_path: Path) -> None:
    filled.close()
    again = TantivyIndex(tmp_path / "index", lock_wait=0)
    try:
        assert again.count() == len(CORPUS)
        assert _ids(again, q="energie") == ["paris.2"]  # the French analyzer is registered again on open
    finally:
        again.close()


def test_an_index_of_another_field_layout_is_dropped(filled: TantivyIndex, tmp_path: Path) -> None:
    filled.close()
    (tmp_path / "index" / VERSION_FILE).write_text(json.dumps({"schema_version": 0}))
    again = TantivyIndex(tmp_path / "index", lock_wait=0)
    try:
        assert again.count() == 0  # index.sync_index then re-feeds it from the store
    finally:
        again.close()


def test_a_second_writer_is_told_who_holds_the_index(filled: TantivyIndex, tmp_path: Path) -> None:
    filled.upsert([])  # holds the writer
    other = TantivyIndex(tmp_path / "index", lock_wait=0)
    with pytest.raises(IndexLockedError, match="written by this process .* one writer per index"):
        other.delete(["lyon.1"])
    assert other.count() == len(CORPUS)  # reading is fine meanwhile
    filled.close()
    other.delete(["lyon.1"])  # the lock is free once the first writer is closed
    other.commit()
    other.close()
    assert filled.count() == len(CORPUS) - 1  # and the first instance sees the other's commit


WRITER_SCRIPT = textwrap.dedent("""
    import sys
    from index.document import to_document
    from index.tantivy_index import TantivyIndex
    from normalise.model import Dataset
    index = TantivyIndex(sys.argv[1])
    index.upsert([to_document(Dataset(id="ext.1", source_id="ext", native_id="1", title="Stationnement vélos"))])
    index.commit()
    print("committed", flush=True)
    sys.stdin.readline()  # hold the writer until told to stop
    index.close()
""")


def test_other_processes_commits_are_seen_and_their_lock_named(filled: TantivyIndex, tmp_path: Path) -> None:
    filled.close()  # the API process does not write: it holds no writer
    assert _ids(filled, q="velo") == []  # answered (and kept in the result cache) before the other commit
    child = subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, str(tmp_path / "index")], cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "committed"
        assert _ids(filled, q="velo") == ["ext.1"]  # the reader reloads on the other process's commit
        with pytest.raises(IndexLockedError, match=rf"process {child.pid} on .*-c"):
            filled.upsert([])
    finally:
        child.communicate("stop\n", timeout=60)
    assert child.returncode == 0
    filled.upsert([])  # free again


def test_facets_of_a_very_large_result_are_counted_on_a_sample_and_say_so(tantivy_index: TantivyIndex,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import index.tantivy_index as engine

    themes = ["TRAN", "ENVI", "EDUC", "HEAL"]
    docs = [_ds(n, f"Jeu {n}", themes=[THEME + themes[n % 4]] + ([THEME + "ENER"] if n % 10 == 0 else []))
            for n in range(4000)]
    tantivy_index.upsert(to_document(e) for e in docs)
    tantivy_index.commit()
    exact = tantivy_index.search(SearchQuery())
    assert exact.facets_exact and {v.value: v.count for v in exact.facets["theme"]}["ENER"] == 400
    monkeypatch.setattr(engine, "FACET_EXACT_UP_TO", 1000)
    sampled = TantivyIndex(tantivy_index.path, result_cache=0).search(SearchQuery(q="jeu"))
    assert not sampled.facets_exact
    assert sampled.total == 4000  # totals and hits stay exact
    counts = {v.value: v.count for v in sampled.facets["theme"]}
    assert set(counts) == {"TRAN", "ENVI", "EDUC", "HEAL", "ENER"}
    for theme in themes:
        assert 800 <= counts[theme] <= 1200  # 1,000 each, counted on ~1,000 of 4,000 documents
    small = TantivyIndex(tantivy_index.path, result_cache=0).search(SearchQuery(q="jeu", filters={"theme": ["ENER"]}))
    assert small.total == 400 and small.facets_exact is False  # its theme counts leave the filter out: 4,000
    assert {v.value: v.count for v in small.facets["source"]} == {"lyon": 400}


def test_facet_counts_not_done_by_the_deadline_end_the_search(filled: TantivyIndex,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """SearchTimeoutError (the API's 503) rather than a search that waits on: the facet groups not started are
    cancelled, and the next search once the threads are free is answered."""
    import index.search as limits

    monkeypatch.setattr(limits, "SEARCH_DEADLINE", 0.5)
    with stalled_facet_pool(), pytest.raises(SearchTimeoutError, match=r"not done within 0.5 s"):
        filled.search(SearchQuery(q="transport"))
    assert filled.search(SearchQuery(q="transport")).total == 2


def test_the_next_page_and_another_sort_reuse_the_facet_counts(filled: TantivyIndex,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Counting facets is most of a search's cost: a result's counts are kept apart from its page and sort, so that
    with every counting thread busy the next page and another sort still answer -- with the same counts -- while a
    query whose counts depend on something else (its words, a filter, the facets asked) waits for them."""
    import index.search as limits

    monkeypatch.setattr(limits, "SEARCH_DEADLINE", 0.5)
    first = filled.search(SearchQuery(q="transport", page_size=1))
    assert first.total == 2 and first.facets["theme"]
    with stalled_facet_pool():
        second = filled.search(SearchQuery(q="transport", page_size=1, page=2))
        by_title = filled.search(SearchQuery(q="transport", page_size=1, sort="title"))
        for other in (SearchQuery(q="energie", page_size=1), SearchQuery(q="transport", page=2, facets=("theme",)),
                      SearchQuery(q="transport", page=2, filters={"source": ["lyon"]})):
            with pytest.raises(SearchTimeoutError):
                filled.search(other)
    assert second.facets == by_title.facets == first.facets and second.facets_exact == first.facets_exact
    assert [h["id"] for h in first.hits + second.hits] == _ids(filled, q="transport")
    assert by_title.hits[0]["id"] == min(_ids(filled, q="transport"), key=lambda i: _title(filled, i))


def _title(index: TantivyIndex, record_id: str) -> str:
    return next(h["title"] for h in index.search(SearchQuery(q="transport", page_size=100)).hits
                if h["id"] == record_id)


# -- hostile queries (issue 13) -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("depth", "kind"), [(3000, "too_long"), (400, "too_deep")])
def test_deeply_nested_parentheses_do_not_kill_the_process(tmp_path: Path, depth: int, kind: str) -> None:
    """Finding 1: 3,000 nested parentheses (a 6 KB URL) segfaulted the process inside tantivy's query parser. Run in
    a child process: before the fix the child died of SIGSEGV (return code -11), which would have killed pytest.
    Now the text is refused before any engine sees it: over the length limit, or (shorter) over the nesting one."""
    script = textwrap.dedent(f"""
        from index.query import QueryError
        from index.search import SearchQuery
        from index.tantivy_index import TantivyIndex
        index = TantivyIndex({str(tmp_path / "index")!r}, lock_wait=0)
        try:
            index.search(SearchQuery(q="(" * {depth} + "a" + ")" * {depth}))
            print("answered")
        except QueryError as exc:
            print("refused", exc.kind)
    """)
    child = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, (child.returncode, child.stderr[-2000:])
    assert child.stdout.strip() == f"refused {kind}"
