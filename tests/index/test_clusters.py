"""Cross-portal duplicate clustering over loopback HTTP, on recorded real responses (tests/index/cluster_portals.py):
one dataset on a commune's portal, a regional CKAN platform and a udata aggregator is one cluster whose primary is the
commune's record; a look-alike of another publisher stays apart; a record that no longer matches leaves its cluster
at the next harvest; ids are stable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from demo.server import PortalServer
from index import close_indexes, open_index
from index.clusters import copies_of, explain, iter_clusters, match_fields, source_shares, summary, update_clusters
from index.evidence import evidence
from index.search import SearchQuery
from index.store import Store
from tests.index.cluster_portals import (
    BRIANCON_ID,
    CANISPACES,
    COMMUNE_IRI,
    ThreePortals,
    record_of,
    three_portals,
    udata_id,
)


@pytest.fixture
def portals(server: PortalServer, fixtures: Path) -> ThreePortals:
    return three_portals(server, fixtures)


@pytest.fixture(autouse=True)
def _close_indexes() -> Iterator[None]:
    yield
    close_indexes()


def test_one_dataset_on_three_portals_is_one_cluster_whose_primary_is_the_commune(portals: ThreePortals,
                                                                                   store: Store) -> None:
    portals.harvest(store)
    gap = record_of(store, "gap", "Canispaces")
    datasud = record_of(store, "datasud", "Canispaces - Ville de Gap")
    udata = record_of(store, "udata", "Canispaces - Ville de Gap")
    cluster_id, primary, copies = copies_of(store, datasud)
    assert not primary
    assert [c["record_id"] for c in copies][0] == gap  # the primary first
    assert {c["record_id"] for c in copies} == {gap, datasud, udata}
    assert {c["source"] for c in copies} == {"gap", "datasud", "udata"}
    assert next(c for c in copies if c["record_id"] == gap)["landing_page"] == COMMUNE_IRI

    detail = explain(store, cluster_id)
    assert detail is not None and detail["primary"] == gap
    assert detail["primary_reason"] == "gap carries the publisher's SIREN 210500617 as its own"
    text = " ".join(detail["explanation"])
    assert f"datasud says it was harvested from {COMMUNE_IRI}" in text  # ckanext-harvest's guid
    assert f"udata says it was harvested from {CANISPACES}" in text  # udata's harvest block
    assert "same download URL" in text  # the file, written http:// and without its slash by the commune
    links = {(link["a"], link["b"]): link for link in detail["links"]}
    assert all(link["strong"] for link in links.values())
    assert {link["harvested_from"] for link in links.values()} >= {gap, datasud}
    # the other DataSud packages each have their data.gouv.fr copy; the look-alike of Briançon is alone
    briancon = store.db.execute("SELECT id FROM records WHERE native_id = ?", (BRIANCON_ID,)).fetchone()[0]
    assert copies_of(store, briancon)[2] == []
    totals = summary(store)
    assert totals["clusters"] == 7 and totals["records_in_clusters"] == 15


def test_search_shows_one_hit_per_dataset_and_every_copy_on_demand(portals: ThreePortals, store: Store) -> None:
    portals.harvest(store)
    index = open_index(store)
    collapsed = index.search(SearchQuery(q="canispaces"))
    assert collapsed.total == 2  # Gap's dataset (three portals) and Briançon's look-alike
    gap_hit = next(h for h in collapsed.hits if len(h["copies"]) == 3)
    assert gap_hit["source"] == "gap" and gap_hit["copies"][0]["record_id"] == gap_hit["id"]
    assert [c["source"] for c in gap_hit["copies"]][1:] == sorted(["datasud", "udata"])
    lookalike = next(h for h in collapsed.hits if h is not gap_hit)
    assert lookalike["copies"] == [] and lookalike["publisher"] == "Ville de Briançon"
    # facet counts count datasets; a dataset counts under every source that carries it
    sources = {f.value: f.count for f in collapsed.facets["source"]}
    assert sources == {"datasud": 2, "gap": 1, "udata": 1}
    only_udata = index.search(SearchQuery(q="canispaces", filters={"source": ["udata"]}))
    assert [h["id"] for h in only_udata.hits] == [gap_hit["id"]]  # found through its copy, shown as its primary

    every = index.search(SearchQuery(q="canispaces", collapse=False))
    assert every.total == 4
    assert {f.value: f.count for f in every.facets["source"]} == {"datasud": 2, "gap": 1, "udata": 1}
    assert {h["cluster_id"] for h in every.hits if h["copies"]} == {gap_hit["cluster_id"]}


def test_a_record_that_no_longer_matches_leaves_its_cluster_at_the_next_harvest(portals: ThreePortals,
                                                                                store: Store) -> None:
    portals.harvest(store)
    udata = record_of(store, "udata", "Canispaces - Ville de Gap")
    cluster_id = copies_of(store, udata)[0]
    # data.gouv.fr's copy is edited by hand: no harvest block any more, another file, another text
    dataset_id = udata_id(portals.udata, "Canispaces")
    dataset = portals.udata.datasets[dataset_id]
    resources = [{**r, "url": r["url"].replace("6176", "9999") if r.get("url") else r.get("url")}
                 for r in dataset["resources"]]
    portals.udata.touch(dataset_id, harvest=None, resources=resources, title="Espaces canins de Gap",
                        description="Carte des espaces canins, relevés par nos soins en 2025.")
    portals.harvest(store, "udata", mode="incremental")

    assert copies_of(store, udata) == (copies_of(store, udata)[0], True, [])  # alone now
    assert copies_of(store, udata)[0] != cluster_id
    remaining = copies_of(store, record_of(store, "gap", "Canispaces"))
    assert remaining[0] == cluster_id  # the cluster keeps its id
    assert {c["source"] for c in remaining[2]} == {"gap", "datasud"}
    hits = open_index(store).search(SearchQuery(q="canispaces", collapse=False)).hits
    by_id = {h["id"]: h for h in hits}
    assert by_id[udata]["copies"] == [] and by_id[udata]["cluster_id"] != cluster_id  # re-indexed
    assert len(by_id[record_of(store, "datasud", "Canispaces - Ville de Gap")]["copies"]) == 2


def test_the_words_of_a_reworded_copy_find_the_one_entry(portals: ThreePortals, store: Store) -> None:
    """data.gouv.fr's copy is retitled but still says it was harvested from DataSud: it stays in the cluster, and
    the next harvest re-indexes the primary, whose document carries its copies' words (search shows it once)."""
    portals.harvest(store)
    gap = record_of(store, "gap", "Canispaces")
    index = open_index(store)
    assert index.search(SearchQuery(q="toutous")).total == 0
    dataset_id = udata_id(portals.udata, "Canispaces")
    portals.udata.touch(dataset_id, title="Parcs à toutous de Gap")
    portals.harvest(store, "udata", mode="incremental")

    udata = record_of(store, "udata", "toutous")
    assert copies_of(store, udata)[0] == copies_of(store, gap)[0]  # still a copy
    hits = index.search(SearchQuery(q="toutous")).hits
    assert [h["id"] for h in hits] == [gap]
    assert [h["id"] for h in index.search(SearchQuery(q="toutous", collapse=False)).hits] == [udata]


def test_a_withdrawn_copy_leaves_and_the_cluster_keeps_its_id(portals: ThreePortals, store: Store) -> None:
    portals.harvest(store)
    gap = record_of(store, "gap", "Canispaces")
    cluster_id = copies_of(store, gap)[0]
    portals.datasud.delete(CANISPACES)
    portals.harvest(store, "datasud", mode="full")
    cluster, primary, copies = copies_of(store, gap)
    assert (cluster, primary) == (cluster_id, True)
    assert {c["source"] for c in copies} == {"gap", "udata"}  # udata's note still names DataSud's id: no matter,
    # the file is the same


def test_ids_survive_a_rebuild_and_a_second_harvest_changes_nothing(portals: ThreePortals, store: Store) -> None:
    portals.harvest(store)
    before = {row[0]: tuple(row[1:]) for row in store.db.execute(
        "SELECT record_id, cluster_id, is_primary FROM cluster_members")}
    again = update_clusters(store)
    assert (again.records, again.links, again.reflagged) == (0, 0, 0)
    rebuilt = update_clusters(store, rebuild=True)
    assert rebuilt.records == len(before) and rebuilt.reflagged == 0
    after = {row[0]: tuple(row[1:]) for row in store.db.execute(
        "SELECT record_id, cluster_id, is_primary FROM cluster_members")}
    assert after == before
    # harvested again unchanged: nothing to cluster, nothing to re-index
    portals.harvest(store, mode="full", index_after=False)
    assert store.db.execute("SELECT COUNT(*) FROM records WHERE indexed = 0").fetchone()[0] == 0


def test_shares_of_copies_per_source(portals: ThreePortals, store: Store) -> None:
    portals.harvest(store)
    shares = {s.source: s for s in source_shares(store)}
    assert (shares["udata"].copies, shares["udata"].records) == (7, 9)  # the Vanves datasets have no other copy
    assert shares["gap"].copies == 0 and shares["gap"].primaries == 1
    assert shares["datasud"].copies == 1 and shares["datasud"].primaries == 6
    listed = list(iter_clusters(store, source_id="gap"))
    assert [c["size"] for c in listed] == [3]


def test_a_copy_harvested_later_joins_the_cluster_which_keeps_its_id(portals: ThreePortals, store: Store) -> None:
    portals.harvest(store, "gap", "datasud")
    gap = record_of(store, "gap", "Canispaces")
    cluster_id, primary, copies = copies_of(store, gap)
    assert primary and {c["source"] for c in copies} == {"gap", "datasud"}
    run = portals.harvest(store, "udata")[0]
    assert run.counts.new == 9
    assert copies_of(store, gap)[0] == cluster_id  # joined, not rebuilt
    assert {c["source"] for c in copies_of(store, gap)[2]} == {"gap", "datasud", "udata"}
    clustered = store.db.execute("SELECT COUNT(*) FROM cluster_members").fetchone()[0]
    assert clustered == store.count()


def test_keys_drawn_when_a_record_is_stored_are_those_of_the_stored_record(portals: ThreePortals,
                                                                            store: Store) -> None:
    """A harvest draws each record's keys from its model, in the batch that stores it (index.clusters.draw_keys); a
    rebuild reads them from the stored JSON: the same keys, the same links (their signals may quote either record's
    own spelling of a shared value: the side a link is found from depends on the order records are clustered in)."""
    portals.harvest(store)
    rows = store.db.execute("SELECT data FROM records WHERE status = 'active' ORDER BY id").fetchall()
    assert len(rows) >= 3
    for row in rows:
        stored = orjson.loads(store.unpack(row[0]))
        assert evidence(match_fields(store.load_entry(row[0])), "portal.example") == evidence(stored, "portal.example")
    keys = dict(store.db.execute("SELECT record_id, keys FROM cluster_members"))
    same = "SELECT a, b, strong, confidence, origin FROM cluster_links ORDER BY a, b"
    links = store.db.execute(same).fetchall()
    assert links
    update_clusters(store, rebuild=True)
    assert dict(store.db.execute("SELECT record_id, keys FROM cluster_members")) == keys
    assert [tuple(row) for row in store.db.execute(same)] == [tuple(row) for row in links]


def test_copies_that_name_no_publisher_are_clustered(store: Store) -> None:
    """Found by the 2M bench run: the primary's reason named its publisher even when it had none, and the whole
    job's clustering failed on a TypeError. Two portals' records of one file, neither naming a publisher: one
    cluster, its primary chosen on what is left (here: the record published first)."""
    from normalise.model import Dataset, Distribution

    url = "https://data.example.fr/files/arbres.csv"
    for source, issued in (("a", "2021-01-01"), ("b", "2023-06-01")):
        job = store.start_job(source, "full")
        with store.transaction():
            store.upsert_entry(Dataset(id=f"{source}.1", source_id=source, native_id="1", title="Arbres",
                                       issued=issued, distributions=[Distribution(download_url=url)]), "1", job)
    run = update_clusters(store)
    assert run.records == 2
    cluster_id, primary, copies = copies_of(store, "a.1")
    assert primary and [c["record_id"] for c in copies] == ["a.1", "b.1"]
    assert explain(store, cluster_id)["primary_reason"] == "published first (2021-01-01)"


def _clustering(store: Store) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    members = store.db.execute("SELECT record_id, cluster_id, is_primary FROM cluster_members ORDER BY record_id")
    links = store.db.execute("SELECT a, b, strong, confidence, origin FROM cluster_links ORDER BY a, b")
    return [tuple(r) for r in members], [tuple(r) for r in links]


def test_keys_merged_into_the_large_table_after_every_pass_cluster_alike(portals: ThreePortals, store: Store,
                                                                          tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """New keys wait in cluster_keys_recent and are merged into cluster_keys now and then (index.clusters,
    _merge_keys): where a key lies changes nothing. The three portals harvested with every pass merging, and with
    no pass merging, give the same clusters and links, and the keys end in the table the rule says."""
    import index.clusters

    portals.harvest(store)  # the default: the demo's few keys stay in the recent table
    recent = store.db.execute("SELECT COUNT(*) FROM cluster_keys_recent").fetchone()[0]
    assert recent > 0 and store.db.execute("SELECT COUNT(*) FROM cluster_keys").fetchone()[0] == 0
    expected = _clustering(store)
    assert expected[1]

    monkeypatch.setattr(index.clusters, "MERGE_MIN_KEYS", 0)
    monkeypatch.setattr(index.clusters, "MERGE_SHARE", 0.0)
    merged = Store(tmp_path / "merged.db")
    portals.harvest(merged)
    assert merged.db.execute("SELECT COUNT(*) FROM cluster_keys_recent").fetchone()[0] == 0
    assert merged.db.execute("SELECT COUNT(*) FROM cluster_keys").fetchone()[0] == recent
    assert _clustering(merged) == expected
    portals.harvest(merged)  # nothing changed at the sources: nothing moves
    assert _clustering(merged) == expected
    update_clusters(merged, rebuild=True)
    assert _clustering(merged) == expected


def test_drawings_are_bounded_and_a_record_drawn_away_is_read_from_the_store(portals: ThreePortals, store: Store,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The keys drawn when records are stored wait in memory for their pass, within DRAWN_BYTES: past it the oldest
    are dropped (memory stays flat whatever a job's size) and the pass reads those records from the store -- the
    same clusters either way."""
    import index.clusters
    from index.clusters import drawings

    portals.harvest(store)
    expected = _clustering(store)
    assert len(drawings(store)) == 0  # every drawing was taken by its pass

    monkeypatch.setattr(index.clusters, "DRAWN_BYTES", 1)  # every drawing but the last dropped at once
    small = Store(store.path.parent / "small.db")
    portals.harvest(small)
    assert _clustering(small) == expected
    assert len(drawings(small)) == 0


def test_a_record_alone_has_a_stable_cluster_id_that_begins_with_its_source() -> None:
    """A job's new records, one source's, land side by side in the members' cluster index: their ids share a prefix
    drawn from the source, and each stays the same from run to run."""
    from index.clusters import singleton_id
    from normalise.model import entry_id

    ours = [singleton_id(entry_id("gap", f"arbres-{n}")) for n in range(50)]
    theirs = singleton_id(entry_id("datasud", "arbres-0"))
    assert len(set(ours)) == 50 and len({cluster_id[:7] for cluster_id in ours}) == 1
    assert theirs[:7] != ours[0][:7]
    assert singleton_id(entry_id("gap", "arbres-0")) == ours[0]


def test_source_facts_are_read_a_source_at_a_time(tmp_path: Path) -> None:
    """What the clustering knows of sources (a host qualifying short native ids, the publisher hint) is read a source
    at a time when first asked, not the whole table for every job: `harvest --all` opens a store object per job, and
    with thousands of sources reading all of them for each job grew with the square of their number."""
    from index.clusters import source_facts
    from kernel.config import PublisherHint, SourceConfig

    store = Store(tmp_path / "moisson.db")
    try:
        store.sync_sources([SourceConfig(id=f"s{i}", type="ckan", url=f"https://www.portal-{i}.example.fr/data")
                            for i in range(50)]
                           + [SourceConfig(id="ville", type="udata", url="https://data.ville.example.fr",
                                           publisher=PublisherHint(name="Ville de Gap", siren="216500617"))])
        facts = source_facts(store)
        assert facts.host("s7") == "www.portal-7.example.fr"
        assert facts.owner_hint("ville") == "s:216500617" and facts.host("ville") == "data.ville.example.fr"
        assert facts.owner_hint("s7") is None and facts.host("unknown") is None
        assert sorted(facts._facts) == ["s7", "unknown", "ville"]  # only the sources asked for were read
        assert source_facts(store) is facts  # kept for the store object's next batch and pass
        store.sync_sources([SourceConfig(id="s7", type="ckan", url="https://autre.example.fr/")])
        assert source_facts(store).host("s7") == "autre.example.fr"  # this store object rewrote the sources
    finally:
        store.close()


def test_a_sources_counted_owner_is_kept_until_its_records_change(portals: ThreePortals, store: Store) -> None:
    """A source's owner (the SIREN most of its records name, where the sources file gives no hint) is counted once
    and kept in cluster_owners for the passes of other sources; a pass that changes one of its records drops it, and
    a rebuild drops them all."""
    portals.harvest(store)
    assert store.db.execute("SELECT COUNT(*) FROM cluster_owners").fetchone()[0]  # elections asked, counted once
    expected = _clustering(store)
    changed, other = (s.id for s in portals.config.sources[:2])
    bogus = "s:000000000"
    store.db.executemany("INSERT OR REPLACE INTO cluster_owners (source_id, owner) VALUES (?, ?)",
                         [(changed, bogus), (other, bogus)])
    store.db.execute("UPDATE cluster_members SET hash = '' WHERE source_id = ?", (changed,))  # as if they changed
    update_clusters(store, source_id=changed)
    owners = dict(store.db.execute("SELECT source_id, owner FROM cluster_owners").fetchall())
    assert owners.get(changed) != bogus  # its records changed: counted again when next asked
    assert owners[other] == bogus  # another source's pass keeps what was counted
    update_clusters(store, rebuild=True)
    assert bogus not in [row[0] for row in store.db.execute("SELECT owner FROM cluster_owners")]
    assert _clustering(store) == expected
