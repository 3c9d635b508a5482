"""The tantivy backend: French full text, facet counts, filters, bbox, sorts, paging, upserts, persistence, and
the one-writer rule between processes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from index.document import to_document
from index.search import FACETS, IndexLockedError, SearchQuery
from index.tantivy_index import VERSION_FILE, TantivyIndex
from normalise.model import Agent, Dataset, Distribution, Spatial

from .conftest import FILE_TYPE, THEME

ROOT = Path(__file__).resolve().parents[2]


def _ds(n: int, title: str, src: str = "lyon", **fields) -> Dataset:
    return Dataset(id=f"{src}.{n}", source_id=src, native_id=str(n), title=title, **fields)


CORPUS = [
    _ds(1, "Transport public urbain", description="Lignes et arrêts du réseau de bus.", keywords=["Bus", "Mobilité"],
        themes=[THEME + "TRAN"], publisher=Agent(name="Métropole de Lyon"),
        distributions=[Distribution(format=FILE_TYPE + "CSV"), Distribution(format=FILE_TYPE + "GEOJSON")],
        spatial=[Spatial(bbox=(4.7, 45.6, 5.0, 45.9), departements=["69"], regions=["84"])],
        modified="2024-01-02", metrics={"downloads": 300}),
    _ds(2, "Énergie consommée par les bâtiments", description="Consommation d'électricité des écoles.",
        keywords=["énergie"], themes=[THEME + "ENER"], publisher=Agent(name="Ville de Paris"), src="paris",
        distributions=[Distribution(format=FILE_TYPE + "CSV")],
        spatial=[Spatial(bbox=(2.22, 48.81, 2.47, 48.91), departements=["75"], regions=["11"])],
        modified="2023-05-01T10:00:00Z", metrics={"downloads": 50}),
    _ds(3, "Qualité de l'eau potable", description="Analyses sanitaires; les transports ne sont pas concernés.",
        keywords=["eau", "santé"], themes=[THEME + "HEAL", THEME + "ENVI"], publisher=Agent(name="Ville de Paris"),
        src="paris", distributions=[Distribution(format=FILE_TYPE + "JSON")],
        spatial=[Spatial(departements=["75"], regions=["11"])], modified="2022-11-30", metrics={"downloads": 900}),
    _ds(4, "écoles maternelles", keywords=["Éducation"], themes=[THEME + "EDUC"],
        publisher=Agent(name="Métropole de Lyon"), distributions=[Distribution(format=FILE_TYPE + "CSV")],
        spatial=[Spatial(bbox=(4.8, 45.7, 4.9, 45.8), departements=["69"], regions=["84"])]),
    _ds(5, "Arbres d'alignement", description="Patrimoine arboré", keywords=["environnement"],
        themes=[THEME + "ENVI"], distributions=[Distribution(format=FILE_TYPE + "SHP")],
        spatial=[Spatial(bbox=(-5.2, 41.3, 9.6, 51.1), regions=["84", "11"])], modified="2024-06-01"),
]


@pytest.fixture
def filled(tantivy_index: TantivyIndex) -> TantivyIndex:
    assert tantivy_index.upsert(to_document(e) for e in CORPUS) == len(CORPUS)
    tantivy_index.commit()
    return tantivy_index


def _ids(index: TantivyIndex, **query) -> list[str]:
    return [hit["id"] for hit in index.search(SearchQuery(page_size=100, **query)).hits]


def _facet(index: TantivyIndex, name: str, **query) -> dict[str, int]:
    result = index.search(SearchQuery(**query))
    return {fv.value: fv.count for fv in result.facets[name]}


# -- French full text ---------------------------------------------------------------------------------------------


def test_stemming_finds_singular_from_plural_and_back(filled: TantivyIndex) -> None:
    assert "lyon.1" in _ids(filled, q="transports")
    assert set(_ids(filled, q="transport")) == {"lyon.1", "paris.3"}
    assert _ids(filled, q="bâtiment") == ["paris.2"]


def test_plural_and_singular_find_each_other_where_the_stemmer_does_not(tantivy_index: TantivyIndex) -> None:
    tantivy_index.upsert([to_document(_ds(1, "Vélos en libre service")), to_document(_ds(2, "Aire de jeu")),
                          to_document(_ds(3, "Jeux olympiques"))])
    tantivy_index.commit()
    assert _ids(tantivy_index, q="vélo") == ["lyon.1"]
    assert _ids(tantivy_index, q="velos libres") == ["lyon.1"]
    assert set(_ids(tantivy_index, q="jeux")) == set(_ids(tantivy_index, q="jeu")) == {"lyon.2", "lyon.3"}
    assert _ids(tantivy_index, q="title:jeux") == ["lyon.3"]  # explicit syntax is left as written


def test_accents_are_folded_both_ways(filled: TantivyIndex) -> None:
    assert _ids(filled, q="energie") == ["paris.2"]
    assert _ids(filled, q="ÉLECTRICITÉ") == ["paris.2"]
    assert _ids(filled, q="Ecoles") == ["lyon.4", "paris.2"]  # title match ranks first


def test_words_are_anded_and_stop_words_ignored(filled: TantivyIndex) -> None:
    assert _ids(filled, q="qualité de l'eau") == ["paris.3"]
    assert _ids(filled, q="eau bus") == []
    assert _ids(filled, q="les de la") == _ids(filled)  # only stop words: as if no words


def test_title_weighs_more_than_description(filled: TantivyIndex) -> None:
    hits = filled.search(SearchQuery(q="transports")).hits
    assert [h["id"] for h in hits] == ["lyon.1", "paris.3"]
    assert hits[0]["score"] > hits[1]["score"]


def test_keywords_and_publisher_are_searched(filled: TantivyIndex) -> None:
    assert _ids(filled, q="mobilite") == ["lyon.1"]
    assert set(_ids(filled, q="métropole")) == {"lyon.1", "lyon.4"}


def test_query_syntax_slips_are_forgiven(filled: TantivyIndex) -> None:
    assert "lyon.1" in _ids(filled, q='transport "(')
    assert _ids(filled, q='"eau potable"') == ["paris.3"]


# -- facets and filters -------------------------------------------------------------------------------------------


def test_facet_counts_on_everything(filled: TantivyIndex) -> None:
    result = filled.search(SearchQuery())
    assert result.total == 5
    assert set(result.facets) == set(FACETS)
    counts = {name: {fv.value: fv.count for fv in values} for name, values in result.facets.items()}
    assert counts["source"] == {"lyon": 3, "paris": 2}
    assert counts["format"] == {"CSV": 3, "GEOJSON": 1, "JSON": 1, "SHP": 1}
    assert counts["theme"] == {"ENVI": 2, "TRAN": 1, "ENER": 1, "HEAL": 1, "EDUC": 1}
    assert counts["publisher"] == {"Métropole de Lyon": 2, "Ville de Paris": 2}
    assert counts["region"] == {"84": 3, "11": 3}
    assert counts["keyword"]["éducation"] == 1
    assert counts["kind"] == {"dataset": 5}
    assert [fv.value for fv in result.facets["format"]] == ["CSV", "GEOJSON", "JSON", "SHP"]  # count, then value


def test_facet_counts_follow_the_query(filled: TantivyIndex) -> None:
    assert _facet(filled, "source", q="transport") == {"lyon": 1, "paris": 1}
    assert _facet(filled, "theme", q="transport") == {"TRAN": 1, "HEAL": 1, "ENVI": 1}


def test_values_of_a_facet_are_ored_and_facets_anded(filled: TantivyIndex) -> None:
    assert set(_ids(filled, filters={"format": ["JSON", "SHP"]})) == {"paris.3", "lyon.5"}
    assert set(_ids(filled, filters={"format": ["CSV"], "source": ["paris"]})) == {"paris.2"}
    assert _ids(filled, filters={"format": ["SHP"], "source": ["paris"]}) == []
    assert _ids(filled, q="eau", filters={"theme": [THEME + "HEAL"]}) == ["paris.3"]  # a URI filters like its code


def test_a_facet_ignores_its_own_filter_but_respects_the_others(filled: TantivyIndex) -> None:
    result = filled.search(SearchQuery(filters={"source": ["paris"], "format": ["CSV"]}))
    assert result.total == 1
    counts = {name: {fv.value: fv.count for fv in values} for name, values in result.facets.items()}
    assert counts["source"] == {"lyon": 2, "paris": 1}  # CSV records per source: the alternatives to OR in
    assert counts["format"] == {"CSV": 1, "JSON": 1}  # paris records per format
    assert counts["theme"] == {"ENER": 1}  # both filters apply


def test_each_facet_count_is_the_total_that_selecting_it_gives(filled: TantivyIndex) -> None:
    base = {"q": "", "filters": {"region": ["84"]}}
    result = filled.search(SearchQuery(**base))
    for name, values in result.facets.items():
        for fv in values:
            filters = {**base["filters"], name: [fv.value]}
            assert filled.search(SearchQuery(q="", filters=filters)).total == fv.count, (name, fv.value)


def test_a_selected_value_stays_listed_beyond_the_facet_size(filled: TantivyIndex) -> None:
    result = filled.search(SearchQuery(filters={"theme": ["EDUC"]}, facet_size=1))
    values = [(fv.value, fv.count) for fv in result.facets["theme"]]
    assert values == [("ENVI", 2), ("EDUC", 1)]


def test_bbox_keeps_records_whose_box_intersects(filled: TantivyIndex) -> None:
    lyon_centre = (4.83, 45.74, 4.86, 45.77)
    assert set(_ids(filled, bbox=lyon_centre)) == {"lyon.1", "lyon.4", "lyon.5"}
    paris = (2.3, 48.8, 2.4, 48.9)
    assert set(_ids(filled, bbox=paris)) == {"paris.2", "lyon.5"}  # paris.3 has no box: not matched
    assert _ids(filled, bbox=(-60.0, 10.0, -59.0, 11.0)) == []
    edge = (5.0, 45.9, 5.1, 46.0)  # touching a corner counts as intersecting
    assert set(_ids(filled, bbox=edge)) == {"lyon.1", "lyon.5"}
    assert _facet(filled, "source", bbox=paris) == {"paris": 1, "lyon": 1}


def test_unknown_facet_or_sort_is_refused(filled: TantivyIndex) -> None:
    with pytest.raises(ValueError, match="unknown facet colour"):
        filled.search(SearchQuery(filters={"colour": ["red"]}))
    with pytest.raises(ValueError, match="unknown sort"):
        filled.search(SearchQuery(sort="size"))  # type: ignore[arg-type]


# -- sorts and paging ---------------------------------------------------------------------------------------------


def test_sort_by_modified_both_ways_undated_last(filled: TantivyIndex) -> None:
    assert _ids(filled, sort="-modified") == ["lyon.5", "lyon.1", "paris.2", "paris.3", "lyon.4"]
    assert _ids(filled, sort="modified") == ["paris.3", "paris.2", "lyon.1", "lyon.5", "lyon.4"]
    assert _ids(filled) == _ids(filled, sort="-modified")  # no words: newest first


def test_sort_by_title_ignores_case_and_accents(filled: TantivyIndex) -> None:
    assert _ids(filled, sort="title") == ["lyon.5", "lyon.4", "paris.2", "paris.3", "lyon.1"]


def test_sort_by_popularity(filled: TantivyIndex) -> None:
    ranked = _ids(filled, sort="popularity")
    assert ranked[:3] == ["paris.3", "lyon.1", "paris.2"] and set(ranked[3:]) == {"lyon.4", "lyon.5"}
    assert _ids(filled, sort="popularity", filters={"source": ["lyon"]})[0] == "lyon.1"


def test_sort_by_quality(tantivy_index: TantivyIndex) -> None:
    docs = [to_document(_ds(n, f"Jeu {n}")) for n in range(1, 4)]
    for doc, score, band in zip(docs, (300, 120, None), ("good", "bad", None), strict=True):
        doc["quality_score"], doc["quality_band"] = score, [band] if band else []
    tantivy_index.upsert(docs)
    tantivy_index.commit()
    assert _ids(tantivy_index, sort="-quality") == ["lyon.1", "lyon.2", "lyon.3"]
    assert _ids(tantivy_index, sort="quality") == ["lyon.2", "lyon.1", "lyon.3"]  # unscored last either way
    assert _facet(tantivy_index, "quality_band") == {"good": 1, "bad": 1}


def test_paging_covers_everything_once_with_an_exact_total(tantivy_index: TantivyIndex) -> None:
    tantivy_index.upsert(to_document(_ds(n, f"Jeu de données {n}", modified=f"2020-01-{n:02d}")) for n in range(1, 24))
    tantivy_index.commit()
    seen: list[str] = []
    for page in range(1, 5):
        result = tantivy_index.search(SearchQuery(q="données", page=page, page_size=7, sort="-modified"))
        assert result.total == 23
        seen += [hit["id"] for hit in result.hits]
    assert len(seen) == 23 and len(set(seen)) == 23
    assert seen[0] == "lyon.23" and seen[-1] == "lyon.1"
    assert tantivy_index.search(SearchQuery(q="données", page=5, page_size=7)).hits == []


def test_a_page_of_zero_hits_still_counts(filled: TantivyIndex) -> None:
    result = filled.search(SearchQuery(q="transport", page_size=0))
    assert result.hits == [] and result.total == 2 and result.facets["source"]


def test_repeated_queries_are_answered_alike_until_the_next_commit(filled: TantivyIndex) -> None:
    first = filled.search(SearchQuery(q="transport"))
    first.hits[0]["title"] = "changed by the caller"
    first.facets["source"].clear()
    again = filled.search(SearchQuery(q="transport"))
    assert again.total == 2 and again.hits[0]["title"] == "Transport public urbain" and again.facets["source"]
    filled.delete(["lyon.1"])
    filled.commit()
    assert [hit["id"] for hit in filled.search(SearchQuery(q="transport")).hits] == ["paris.3"]


def test_hits_carry_the_stored_summary(filled: TantivyIndex) -> None:
    hit = filled.search(SearchQuery(q="potable")).hits[0]
    assert hit["id"] == "paris.3" and hit["title"] == "Qualité de l'eau potable"
    assert hit["publisher"] == "Ville de Paris" and hit["formats"] == ["JSON"] and hit["themes"] == ["HEAL", "ENVI"]
    assert hit["source"] == "paris" and hit["modified"] == "2022-11-30" and "score" in hit


# -- writing ------------------------------------------------------------------------------------------------------


def test_upsert_replaces_and_is_idempotent(filled: TantivyIndex) -> None:
    changed = CORPUS[0].model_copy(update={"title": "Vélos en libre service", "description": None, "keywords": []})
    filled.upsert([to_document(changed), to_document(changed)])
    filled.upsert([to_document(changed)])
    filled.commit()
    assert filled.count() == len(CORPUS)
    assert _ids(filled, q="vélo") == ["lyon.1"]
    assert "lyon.1" not in _ids(filled, q="bus")


def test_delete_removes(filled: TantivyIndex) -> None:
    assert filled.delete(["paris.2", "nowhere.0"]) == 2
    filled.commit()
    assert filled.count() == len(CORPUS) - 1
    assert _ids(filled, q="énergie") == []
    assert _facet(filled, "source") == {"lyon": 3, "paris": 1}


def test_uncommitted_changes_are_invisible_and_dropped_by_close(filled: TantivyIndex) -> None:
    filled.delete(["lyon.1"])
    assert filled.count() == len(CORPUS)
    filled.close()
    assert filled.count() == len(CORPUS)
    filled.commit()  # nothing pending any more
    assert "lyon.1" in _ids(filled)


def test_clear_drops_everything(filled: TantivyIndex) -> None:
    filled.clear()
    filled.commit()
    assert filled.count() == 0 and filled.search(SearchQuery()).total == 0


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


def _search_in_fork(path: str, queue: object) -> None:
    result = TantivyIndex(path, result_cache=0).search(SearchQuery(q="velo", filters={"source": ["lyon"]}))
    queue.put((result.total, sorted(result.facets)))  # type: ignore[attr-defined]


def test_a_forked_process_counts_facets_on_a_pool_of_its_own(filled: TantivyIndex) -> None:
    """Facet groups are counted on a thread pool; a child forked after the parent searched would otherwise wait
    forever for the parent's worker threads, which do not exist in the child."""
    import multiprocessing

    expected = filled.search(SearchQuery(q="velo", filters={"source": ["lyon"]}))
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_search_in_fork, args=(str(filled.path), queue))
    child.start()
    child.join(timeout=60)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive, "the forked child hung counting facets"
    assert queue.get(timeout=5) == (expected.total, sorted(expected.facets))


def test_collapse_searches_cluster_primaries_and_counts_clusters(tantivy_index: TantivyIndex) -> None:
    """Issue 14: the documents carry their cluster (index/document.py, cluster_fields); collapse=true keeps the
    primaries, whose cluster_source/cluster_format hold every copy's values, so a filter on a copy's portal finds
    the dataset and facet counts count datasets. The contract any engine implements with plain term filters."""
    region_copy = _ds(1, "Transport public urbain", src="region",
                      distributions=[Distribution(format=FILE_TYPE + "JSON")])
    primary, copy, alone = (to_document(e) for e in (CORPUS[0], region_copy, CORPUS[3]))
    copies = [{"source": "lyon", "record_id": "lyon.1", "landing_page": None},
              {"source": "region", "record_id": "region.1", "landing_page": None}]
    primary.update(cluster_id="c1", cluster_primary=True, cluster_source=["lyon", "region"],
                   cluster_format=["CSV", "GEOJSON", "JSON"])
    copy.update(cluster_id="c1", cluster_primary=False, cluster_source=["region"], cluster_format=["JSON"])
    for doc in (primary, copy):
        doc["summary"].update(cluster_id="c1", copies=copies)
    tantivy_index.upsert([primary, copy, alone])
    tantivy_index.commit()
    assert sorted(_ids(tantivy_index)) == ["lyon.1", "lyon.4"]
    assert sorted(_ids(tantivy_index, collapse=False)) == ["lyon.1", "lyon.4", "region.1"]
    assert _ids(tantivy_index, filters={"source": ["region"]}) == ["lyon.1"]  # through its copy
    assert _ids(tantivy_index, filters={"format": ["JSON"]}) == ["lyon.1"]
    assert _ids(tantivy_index, filters={"source": ["region"]}, collapse=False) == ["region.1"]
    result = tantivy_index.search(SearchQuery(q="transport"))
    assert result.total == 1 and result.hits[0]["copies"] == copies
    assert {f.value: f.count for f in result.facets["source"]} == {"lyon": 1, "region": 1}
    every = tantivy_index.search(SearchQuery(q="transport", collapse=False))
    assert every.total == 2 and {f.value: f.count for f in every.facets["format"]} == {
        "CSV": 1, "GEOJSON": 1, "JSON": 1}
