"""The search interface on every backend: one suite, run on the embedded tantivy index and on the Elasticsearch
index (``search_index`` is parametrised), asserting the same ids, totals, facet counts and, for the deterministic
sorts, the same hit order. French full text and the query language, facets and filters, bbox, sorts, paging,
spelling suggestions, the heavy-search gate, upserts and deletes."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from index.document import to_document
from index.search import (
    FACETS,
    HEAVY_FILTER_VALUES,
    SearchBusyError,
    SearchGate,
    SearchIndex,
    SearchQuery,
    Suggestion,
)
from normalise.model import Agent, Dataset, Distribution, Spatial

from .conftest import FILE_TYPE, THEME


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
def filled(search_index: SearchIndex) -> SearchIndex:
    assert search_index.upsert(to_document(e) for e in CORPUS) == len(CORPUS)
    search_index.commit()
    return search_index


def _ids(index: SearchIndex, **query) -> list[str]:
    return [hit["id"] for hit in index.search(SearchQuery(page_size=100, **query)).hits]


def _facet(index: SearchIndex, name: str, **query) -> dict[str, int]:
    result = index.search(SearchQuery(**query))
    return {fv.value: fv.count for fv in result.facets[name]}


# -- French full text ---------------------------------------------------------------------------------------------


def test_stemming_finds_singular_from_plural_and_back(filled: SearchIndex) -> None:
    assert "lyon.1" in _ids(filled, q="transports")
    assert set(_ids(filled, q="transport")) == {"lyon.1", "paris.3"}
    assert _ids(filled, q="bâtiment") == ["paris.2"]


def test_plural_and_singular_find_each_other_where_the_stemmer_does_not(search_index: SearchIndex) -> None:
    search_index.upsert([to_document(_ds(1, "Vélos en libre service")), to_document(_ds(2, "Aire de jeu")),
                         to_document(_ds(3, "Jeux olympiques"))])
    search_index.commit()
    assert _ids(search_index, q="vélo") == ["lyon.1"]
    assert _ids(search_index, q="velos libres") == ["lyon.1"]
    assert set(_ids(search_index, q="jeux")) == set(_ids(search_index, q="jeu")) == {"lyon.2", "lyon.3"}
    assert _ids(search_index, q="title:jeux") == ["lyon.3"]  # a field named: that field, the word as typed
    assert _ids(search_index, q="title:jeu") == ["lyon.2"]
    assert set(_ids(search_index, q="-jeu")) == {"lyon.1"}  # forms are excluded too
    assert set(_ids(search_index, q="(vélo OR jeu) -olympiques")) == {"lyon.1", "lyon.2"}  # and found in groups


def test_accents_are_folded_both_ways(filled: SearchIndex) -> None:
    assert _ids(filled, q="energie") == ["paris.2"]
    assert _ids(filled, q="ÉLECTRICITÉ") == ["paris.2"]
    assert _ids(filled, q="Ecoles") == ["lyon.4", "paris.2"]  # title match ranks first


def test_words_are_anded_and_stop_words_ignored(filled: SearchIndex) -> None:
    assert _ids(filled, q="qualité de l'eau") == ["paris.3"]
    assert _ids(filled, q="eau bus") == []
    assert _ids(filled, q="les de la") == _ids(filled)  # only stop words: as if no words


def test_title_weighs_more_than_description(filled: SearchIndex) -> None:
    hits = filled.search(SearchQuery(q="transports")).hits
    assert [h["id"] for h in hits] == ["lyon.1", "paris.3"]
    assert hits[0]["score"] > hits[1]["score"]


def test_keywords_and_publisher_are_searched(filled: SearchIndex) -> None:
    assert _ids(filled, q="mobilite") == ["lyon.1"]
    assert set(_ids(filled, q="métropole")) == {"lyon.1", "lyon.4"}


def test_query_syntax_slips_are_forgiven(filled: SearchIndex) -> None:
    assert _ids(filled, q='transport "(') == _ids(filled, q="transport") == ["lyon.1", "paris.3"]
    assert _ids(filled, q="transport) OR") == _ids(filled, q="transport")
    assert _ids(filled, q='"eau potable') == ["paris.3"]  # a quote left open is closed at the end


def test_the_query_language_is_searched_as_its_tree_says(filled: SearchIndex) -> None:
    """Built from index.query's tree (never from the raw text): OR, exclusions, groups, phrases, fields."""
    assert set(_ids(filled, q="énergie OR arbres")) == {"paris.2", "lyon.5"}
    assert set(_ids(filled, q="bus OR arbres")) == {"lyon.1", "lyon.5"}
    assert _ids(filled, q="transport -bus") == ["paris.3"]
    assert set(_ids(filled, q="(énergie OR arbres) -alignement")) == {"paris.2"}
    assert set(_ids(filled, q="(bus OR arbres) -alignement")) == {"lyon.1"}
    assert set(_ids(filled, q="eau OR -transport")) == {"paris.3", "paris.2", "lyon.4", "lyon.5"}
    assert _ids(filled, q="-(transport OR eau) -ecole") == ["lyon.5"]
    assert _ids(filled, q='"qualité de l\'eau"') == ["paris.3"]
    assert _ids(filled, q='"qualité eau"') == []  # the stop words keep their place in a phrase
    assert _ids(filled, q='"potable eau"') == []  # and a phrase its order
    assert _ids(filled, q="qualité_de_l_eau") == ["paris.3"] and _ids(filled, q="qualité_eau") == []  # one word
    assert _ids(filled, q="titre:eau") == ["paris.3"] and _ids(filled, q="titre:bus") == []
    assert _ids(filled, q="motcle:bus") == ["lyon.1"]
    assert set(_ids(filled, q="editeur:metropole")) == {"lyon.1", "lyon.4"}
    assert _ids(filled, q="description:transports") == ["paris.3"]


def test_a_query_of_exclusions_only_ranks_nothing(filled: SearchIndex) -> None:
    """All the others, newest first and without a score, as if there were no words."""
    hits = filled.search(SearchQuery(q="-transport", page_size=10)).hits
    assert [hit["id"] for hit in hits] == ["lyon.5", "paris.2", "lyon.4"]
    assert all("score" not in hit for hit in hits)
    assert _ids(filled, q="les -de") == _ids(filled)  # stop words only: no words at all


# -- facets and filters -------------------------------------------------------------------------------------------


def test_facet_counts_on_everything(filled: SearchIndex) -> None:
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


def test_facet_counts_follow_the_query(filled: SearchIndex) -> None:
    assert _facet(filled, "source", q="transport") == {"lyon": 1, "paris": 1}
    assert _facet(filled, "theme", q="transport") == {"TRAN": 1, "HEAL": 1, "ENVI": 1}


def test_values_of_a_facet_are_ored_and_facets_anded(filled: SearchIndex) -> None:
    assert set(_ids(filled, filters={"format": ["JSON", "SHP"]})) == {"paris.3", "lyon.5"}
    assert set(_ids(filled, filters={"format": ["CSV"], "source": ["paris"]})) == {"paris.2"}
    assert _ids(filled, filters={"format": ["SHP"], "source": ["paris"]}) == []
    assert _ids(filled, q="eau", filters={"theme": [THEME + "HEAL"]}) == ["paris.3"]  # a URI filters like its code


def test_a_facet_ignores_its_own_filter_but_respects_the_others(filled: SearchIndex) -> None:
    result = filled.search(SearchQuery(filters={"source": ["paris"], "format": ["CSV"]}))
    assert result.total == 1
    counts = {name: {fv.value: fv.count for fv in values} for name, values in result.facets.items()}
    assert counts["source"] == {"lyon": 2, "paris": 1}  # CSV records per source: the alternatives to OR in
    assert counts["format"] == {"CSV": 1, "JSON": 1}  # paris records per format
    assert counts["theme"] == {"ENER": 1}  # both filters apply


def test_each_facet_count_is_the_total_that_selecting_it_gives(filled: SearchIndex) -> None:
    base = {"q": "", "filters": {"region": ["84"]}}
    result = filled.search(SearchQuery(**base))
    for name, values in result.facets.items():
        for fv in values:
            filters = {**base["filters"], name: [fv.value]}
            assert filled.search(SearchQuery(q="", filters=filters)).total == fv.count, (name, fv.value)


def test_a_selected_value_stays_listed_beyond_the_facet_size(filled: SearchIndex) -> None:
    result = filled.search(SearchQuery(filters={"theme": ["EDUC"]}, facet_size=1))
    values = [(fv.value, fv.count) for fv in result.facets["theme"]]
    assert values == [("ENVI", 2), ("EDUC", 1)]


def test_bbox_keeps_records_whose_box_intersects(filled: SearchIndex) -> None:
    lyon_centre = (4.83, 45.74, 4.86, 45.77)
    assert set(_ids(filled, bbox=lyon_centre)) == {"lyon.1", "lyon.4", "lyon.5"}
    paris = (2.3, 48.8, 2.4, 48.9)
    assert set(_ids(filled, bbox=paris)) == {"paris.2", "lyon.5"}  # paris.3 has no box: not matched
    assert _ids(filled, bbox=(-60.0, 10.0, -59.0, 11.0)) == []
    edge = (5.0, 45.9, 5.1, 46.0)  # touching a corner counts as intersecting
    assert set(_ids(filled, bbox=edge)) == {"lyon.1", "lyon.5"}
    assert _facet(filled, "source", bbox=paris) == {"paris": 1, "lyon": 1}


def test_unknown_facet_or_sort_is_refused(filled: SearchIndex) -> None:
    with pytest.raises(ValueError, match="unknown facet colour"):
        filled.search(SearchQuery(filters={"colour": ["red"]}))
    with pytest.raises(ValueError, match="unknown sort"):
        filled.search(SearchQuery(sort="size"))  # type: ignore[arg-type]


# -- sorts and paging ---------------------------------------------------------------------------------------------


def test_sort_by_modified_both_ways_undated_last(filled: SearchIndex) -> None:
    assert _ids(filled, sort="-modified") == ["lyon.5", "lyon.1", "paris.2", "paris.3", "lyon.4"]
    assert _ids(filled, sort="modified") == ["paris.3", "paris.2", "lyon.1", "lyon.5", "lyon.4"]
    assert _ids(filled) == _ids(filled, sort="-modified")  # no words: newest first


def test_sort_by_title_ignores_case_and_accents(filled: SearchIndex) -> None:
    assert _ids(filled, sort="title") == ["lyon.5", "lyon.4", "paris.2", "paris.3", "lyon.1"]


def test_sort_by_popularity(filled: SearchIndex) -> None:
    ranked = _ids(filled, sort="popularity")
    assert ranked[:3] == ["paris.3", "lyon.1", "paris.2"] and set(ranked[3:]) == {"lyon.4", "lyon.5"}
    assert _ids(filled, sort="popularity", filters={"source": ["lyon"]})[0] == "lyon.1"


def test_sort_by_quality(search_index: SearchIndex) -> None:
    docs = [to_document(_ds(n, f"Jeu {n}")) for n in range(1, 4)]
    for doc, score, band in zip(docs, (300, 120, None), ("good", "bad", None), strict=True):
        doc["quality_score"], doc["quality_band"] = score, [band] if band else []
    search_index.upsert(docs)
    search_index.commit()
    assert _ids(search_index, sort="-quality") == ["lyon.1", "lyon.2", "lyon.3"]
    assert _ids(search_index, sort="quality") == ["lyon.2", "lyon.1", "lyon.3"]  # unscored last either way
    assert _facet(search_index, "quality_band") == {"good": 1, "bad": 1}


def test_paging_covers_everything_once_with_an_exact_total(search_index: SearchIndex) -> None:
    search_index.upsert(to_document(_ds(n, f"Jeu de données {n}", modified=f"2020-01-{n:02d}")) for n in range(1, 24))
    search_index.commit()
    seen: list[str] = []
    for page in range(1, 5):
        result = search_index.search(SearchQuery(q="données", page=page, page_size=7, sort="-modified"))
        assert result.total == 23
        seen += [hit["id"] for hit in result.hits]
    assert len(seen) == 23 and len(set(seen)) == 23
    assert seen[0] == "lyon.23" and seen[-1] == "lyon.1"
    assert search_index.search(SearchQuery(q="données", page=5, page_size=7)).hits == []


def test_a_page_of_zero_hits_still_counts(filled: SearchIndex) -> None:
    result = filled.search(SearchQuery(q="transport", page_size=0))
    assert result.hits == [] and result.total == 2 and result.facets["source"]


def test_repeated_queries_are_answered_alike_until_the_next_commit(filled: SearchIndex) -> None:
    first = filled.search(SearchQuery(q="transport"))
    first.hits[0]["title"] = "changed by the caller"
    first.facets["source"].clear()
    again = filled.search(SearchQuery(q="transport"))
    assert again.total == 2 and again.hits[0]["title"] == "Transport public urbain" and again.facets["source"]
    filled.delete(["lyon.1"])
    filled.commit()
    assert [hit["id"] for hit in filled.search(SearchQuery(q="transport")).hits] == ["paris.3"]


def test_hits_carry_the_stored_summary(filled: SearchIndex) -> None:
    hit = filled.search(SearchQuery(q="potable")).hits[0]
    assert hit["id"] == "paris.3" and hit["title"] == "Qualité de l'eau potable"
    assert hit["publisher"] == "Ville de Paris" and hit["formats"] == ["JSON"] and hit["themes"] == ["HEAL", "ENVI"]
    assert hit["source"] == "paris" and hit["modified"] == "2022-11-30" and "score" in hit


# -- writing ------------------------------------------------------------------------------------------------------


def test_upsert_replaces_and_is_idempotent(filled: SearchIndex) -> None:
    changed = CORPUS[0].model_copy(update={"title": "Vélos en libre service", "description": None, "keywords": []})
    filled.upsert([to_document(changed), to_document(changed)])
    filled.upsert([to_document(changed)])
    filled.commit()
    assert filled.count() == len(CORPUS)
    assert _ids(filled, q="vélo") == ["lyon.1"]
    assert "lyon.1" not in _ids(filled, q="bus")


def test_delete_removes(filled: SearchIndex) -> None:
    assert filled.delete(["paris.2", "nowhere.0"]) == 2
    filled.commit()
    assert filled.count() == len(CORPUS) - 1
    assert _ids(filled, q="énergie") == []
    assert _facet(filled, "source") == {"lyon": 3, "paris": 1}


def test_uncommitted_changes_are_invisible_and_dropped_by_close(filled: SearchIndex) -> None:
    filled.delete(["lyon.1"])
    assert filled.count() == len(CORPUS)
    filled.close()
    assert filled.count() == len(CORPUS)
    filled.commit()  # nothing pending any more
    assert "lyon.1" in _ids(filled)


def test_clear_drops_everything(filled: SearchIndex) -> None:
    filled.clear()
    filled.commit()
    assert filled.count() == 0 and filled.search(SearchQuery()).total == 0


def test_a_rebuild_fills_a_fresh_index(filled: SearchIndex) -> None:
    target = filled.begin_rebuild()
    target.upsert(to_document(e) for e in CORPUS[:2])
    target.commit()
    target.close()
    filled.finish_rebuild(target)
    assert filled.count() == 2
    assert _ids(filled, sort="title") == ["paris.2", "lyon.1"]


# -- spelling suggestions (issue 15) ------------------------------------------------------------------------------


def test_suggestions_respell_from_the_indexed_words(filled: SearchIndex) -> None:
    assert filled.suggest(SearchQuery(q="tarnsport")) == [Suggestion("transport", 2)]
    assert filled.suggest(SearchQuery(q="ecoels")) == [Suggestion("écoles", 2)]  # as the index spells it
    assert filled.suggest(SearchQuery(q="Transport urbian")) == [Suggestion("Transport urbain", 1)]  # one word of two
    assert filled.suggest(SearchQuery(q="tarnsport OR arbes")) == [  # two words; the one finding more first
        Suggestion("transport OR arbres", 3), Suggestion("transport OR arrêts", 2)]
    # counted under the query's filters and bbox; a respelling that matches nothing there is not offered
    assert filled.suggest(SearchQuery(q="tarnsport", filters={"source": ["paris"]})) == [Suggestion("transport", 1)]
    assert filled.suggest(SearchQuery(q="tarnsport", bbox=(4.83, 45.74, 4.86, 45.77))) == [Suggestion("transport", 1)]
    assert filled.suggest(SearchQuery(q="tarnsport", filters={"theme": ["EDUC"]})) == []
    # nothing to respell: known words, excluded words, short words, nothing near, over the query limits
    assert filled.suggest(SearchQuery(q="transport")) == []
    assert filled.suggest(SearchQuery(q="transport -zzzzzz")) == []
    assert filled.suggest(SearchQuery(q="xyz")) == []
    assert filled.suggest(SearchQuery(q="qwertyuiop")) == []
    assert filled.suggest(SearchQuery(q="(" * 5 + "tarnsport")) == []  # deeper than the query language allows
    assert filled.suggest(SearchQuery(q="tarnsport", filters={"colour": ["red"]})) == []  # over the search limits


# -- admission of heavy searches (issue 13) -------------------------------------------------------------------


def test_heavy_searches_wait_their_turn_within_the_deadline(filled: SearchIndex) -> None:
    """Searches with many filter values take one slot at a time; one that finds no free slot by the deadline is
    refused (SearchBusyError: the API's 503), while plain searches never wait for a slot."""
    gate = SearchGate(slots=1, deadline=0.2)
    heavy = SearchQuery(filters={"keyword": [f"k{i}" for i in range(HEAVY_FILTER_VALUES + 1)]})
    plain = SearchQuery(q="transport", filters={"theme": ["TRAN"]})
    holding, release = threading.Event(), threading.Event()

    def hold_the_slot() -> None:
        with gate.admit(heavy):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_slot)
    holder.start()
    try:
        assert holding.wait(10)
        with pytest.raises(SearchBusyError, match="one at a time"), gate.admit(heavy):
            pass
        with gate.admit(plain):
            assert _ids(filled, q="transport", filters={"theme": ["TRAN"]}) == ["lyon.1"]
    finally:
        release.set()
        holder.join()
    with gate.admit(heavy):  # free again
        assert filled.search(heavy).total == 0


# -- processes ----------------------------------------------------------------------------------------------------


CHILD_QUERY = SearchQuery(q="transport", filters={"source": ["lyon"]})


def _search_in_fork(index: SearchIndex, queue: object) -> None:
    result = index.search(CHILD_QUERY)
    queue.put((result.total, {name: [(v.value, v.count) for v in values]  # type: ignore[attr-defined]
                              for name, values in result.facets.items()}))


def test_a_forked_process_searches_with_resources_of_its_own(filled: SearchIndex) -> None:
    """Server workers may be forked from a process that already searched: the child must not wait for its
    parent's facet threads (tantivy) nor share its parent's connections (Elasticsearch). The child asks what the
    parent has not asked yet, so that no cached answer hides the work."""
    assert filled.search(SearchQuery(q="eau", filters={"source": ["paris"]})).total == 1
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_search_in_fork, args=(filled, queue))
    child.start()
    child.join(timeout=60)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive, "the forked child hung searching"
    expected = filled.search(CHILD_QUERY)  # and the parent still searches
    assert expected.total == 1
    assert queue.get(timeout=5) == (expected.total, {name: [(v.value, v.count) for v in values]
                                                     for name, values in expected.facets.items()})


# -- duplicates collapsed (issue 14) ------------------------------------------------------------------------------


def test_collapse_searches_cluster_primaries_and_counts_clusters(search_index: SearchIndex) -> None:
    """Issue 14: the documents carry their cluster (index/document.py, cluster_fields); collapse=true keeps the
    primaries, whose cluster_source/cluster_format hold every copy's values, so a filter on a copy's portal finds
    the dataset and facet counts count datasets. The contract every engine implements with plain term filters: run
    on both."""
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
    search_index.upsert([primary, copy, alone])
    search_index.commit()
    assert sorted(_ids(search_index)) == ["lyon.1", "lyon.4"]
    assert sorted(_ids(search_index, collapse=False)) == ["lyon.1", "lyon.4", "region.1"]
    assert _ids(search_index, filters={"source": ["region"]}) == ["lyon.1"]  # through its copy
    assert _ids(search_index, filters={"format": ["JSON"]}) == ["lyon.1"]
    assert _ids(search_index, filters={"source": ["region"]}, collapse=False) == ["region.1"]
    result = search_index.search(SearchQuery(q="transport"))
    assert result.total == 1 and result.hits[0]["copies"] == copies
    assert {f.value: f.count for f in result.facets["source"]} == {"lyon": 1, "region": 1}
    every = search_index.search(SearchQuery(q="transport", collapse=False))
    assert every.total == 2 and {f.value: f.count for f in every.facets["format"]} == {
        "CSV": 1, "GEOJSON": 1, "JSON": 1}


def test_collapse_finds_a_dataset_by_the_words_of_a_copy(search_index: SearchIndex) -> None:
    """Issue 14: an aggregator rewords the title; the one entry search shows (the primary) is found by the copy's
    words too, through the primary's ``copies_text``, on both engines; without collapse the copy itself answers."""
    region_copy = _ds(1, "Lignes de bus et tramway", src="region")
    primary, copy = to_document(CORPUS[0]), to_document(region_copy)
    primary.update(cluster_id="c1", cluster_primary=True, cluster_source=["lyon", "region"],
                   copies_text="Lignes de bus et tramway")
    copy.update(cluster_id="c1", cluster_primary=False, cluster_source=["region"])
    search_index.upsert([primary, copy])
    search_index.commit()
    assert _ids(search_index, q="tramway") == ["lyon.1"]
    assert _ids(search_index, q="tramway", collapse=False) == ["region.1"]  # the copy's own title
    assert _ids(search_index, q="titre:tramway") == []  # a field-qualified query stays on that field
