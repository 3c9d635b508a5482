"""Stored scores and the per-source report: the fix-first list is ranked by points to gain x datasets affected."""

from __future__ import annotations

from index.quality import quality_of, report, score_and_store
from normalise.model import Agent, ContactPoint, Dataset, Distribution, content_hash
from pipeline.scoring import score_records

FT = "http://publications.europa.eu/resource/authority/file-type/"


def _record(n: int, **fields) -> Dataset:
    return Dataset(id=f"p.{n}", source_id="p", native_id=str(n), title=f"Jeu {n}", **fields)


def _fill(store, records) -> None:
    with store.transaction():
        job = store.start_job("p", "full")
        for record in records:
            store.upsert_entry(record, record.native_id, job)


def test_report_ranks_fixes_by_points_times_datasets(store) -> None:
    dist = Distribution(access_url="https://p.fr/f.csv", download_url="https://p.fr/f.csv", format=FT + "CSV")
    records = [
        _record(1, keywords=["a"], distributions=[dist]),
        _record(2, keywords=["b"], distributions=[dist], contact_points=[ContactPoint(email="a@p.fr")]),
        _record(3, distributions=[dist], publisher=Agent(name="P")),
    ]
    _fill(store, records)
    first = score_records(store, source_id="p")
    assert (first.scored, first.validated, first.not_validated) == (3, 3, 0)
    again = score_records(store, source_id="p")
    assert (again.scored, again.validated) == (0, 0)  # nothing changed: nothing rescored nor validated again
    rep = report(store, source_id="p", top=30)
    assert rep.datasets == 3
    gains = {f.indicator: (f.datasets, f.gain) for f in rep.fix_first}
    # contact point: 20 points x 2 records; keywords: 30 x 1; themes: 30 x 3; publisher 10 x 2
    assert gains["contact_point"] == (2, 40)
    assert gains["keywords"] == (1, 30)
    assert gains["themes"] == (3, 90)
    assert gains["publisher"] == (2, 20)
    order = [f.indicator for f in rep.fix_first]
    assert order.index("themes") < order.index("contact_point") < order.index("keywords") < order.index("publisher")
    # links never checked: no verdict, so nothing to fix yet; counted as not checked
    assert "access_url_reachable" not in gains and "download_url_reachable" not in gains
    by_key = {i["key"]: i for i in rep.indicators}
    assert by_key["access_url_reachable"]["not_checked"] == 3 and by_key["access_url_reachable"]["failing"] == 0
    # SHACL ran on the three (no description: a DCAT-AP violation each)
    assert rep.shacl["validated"] == 3 and rep.shacl["conforming"] == 0
    assert rep.shacl["violations"][0]["path"] == "dct:description" and rep.shacl["violations"][0]["records"] == 3
    assert sum(rep.bands.values()) == 3 and sum(rep.histogram) == 3
    assert all(f.fix for f in rep.fix_first)  # each item says in plain words what to add or change


def test_a_changed_score_flags_the_record_for_reindexing(store) -> None:
    record = _record(9)
    _fill(store, [record])
    store.mark_indexed([record.id])
    score_and_store(store, record, content_hash(record))
    assert store.pending_index() and store.pending_index()[0][0] == record.id
    store.mark_indexed([record.id])
    score_and_store(store, record, content_hash(record))  # same score: no re-indexing
    assert store.pending_index() == []
    detail = quality_of(store, record.id)
    assert detail["score"] == 0 and detail["band"] == "bad"
    assert next(i for i in detail["indicators"] if i["key"] == "keywords")["fix"].startswith("add keywords")


def test_quality_points_a_point_per_harvest_for_sources_and_publishers(store) -> None:
    """Issue 15: after each harvest, the source's mean score and each publisher's in it; a publisher's trend across
    portals weighs each portal's latest point by its datasets."""
    from index.quality import quality_points, take_quality_point
    from index.store import JobCounts

    lyon = Agent(name="Ville de Lyon", siren="216901231")
    records = {"a": [Dataset(id=f"a.{n}", source_id="a", native_id=str(n), title=f"A{n}", publisher=lyon)
                     for n in range(3)],
               "b": [Dataset(id="b.1", source_id="b", native_id="1", title="B1", publisher=lyon,
                             keywords=["k"], contact_points=[ContactPoint(email="x@lyon.fr")]),
                     Dataset(id="b.2", source_id="b", native_id="2", title="B2", publisher=Agent(name="Autre"))]}
    for source, entries in records.items():
        with store.transaction():
            job = store.start_job(source, "full")
            for entry in entries:
                store.upsert_entry(entry, entry.native_id, job)
        store.finish_job(job, "succeeded", JobCounts())
        for entry in entries:
            score_and_store(store, entry, content_hash(entry), shacl_conforms=True)
        assert take_quality_point(store, source, job) == 1 + len({e.publisher.name for e in entries})
    a, b = report(store, source_id="a"), report(store, source_id="b")
    assert [(p.datasets, p.mean) for p in quality_points(store, source_id="a")] == [(3, a.mean)]
    by_siren = quality_points(store, publisher_keys=["216901231"])
    assert len(by_siren) == 2  # a harvest of a, then one of b
    own_b = report(store, publisher="216901231").mean
    assert by_siren[0].datasets == 3 and by_siren[-1].datasets == 4
    assert by_siren[-1].mean == round(own_b, 1)
    # the same portal harvested again, a record improved: a new point, the trend moves
    better = records["a"][0].model_copy(update={"keywords": ["vélo"]})
    with store.transaction():
        job = store.start_job("a", "full")
        store.upsert_entry(better, better.native_id, job)
    store.finish_job(job, "succeeded", JobCounts())
    score_and_store(store, better, content_hash(better), shacl_conforms=True)
    take_quality_point(store, "a", job)
    points = quality_points(store, source_id="a")
    assert len(points) == 2 and points[-1].mean > points[0].mean
    assert quality_points(store, publisher_keys=["216901231"])[-1].mean > by_siren[-1].mean
    assert b.datasets == 2
