"""The benchmark's synthetic corpus: reproducible, shaped like the real portals (its records normalise), and served
over HTTP by the synthetic portals well enough for moisson's harvesters to sweep and re-sweep it. No timing here."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bench.corpus import PROFILES, Corpus, Record, ckan_package, position_of, record_uid, udata_dataset
from bench.harvest import _config
from bench.normalisation import raw_records
from bench.portals import CorpusPortals
from index.store import Store
from kernel.records import RawRecord
from normalise import normalise
from normalise.model import Dataset
from pipeline.harvest import run_harvest


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(3000, sources=30)


def test_sizes_add_up_and_every_type_is_there(corpus: Corpus) -> None:
    assert sum(s.size for s in corpus.sources) == 3000
    assert len(corpus.sources) == 30
    assert {s.type for s in corpus.sources} == set(PROFILES)
    assert len({s.id for s in corpus.sources}) == 30


def test_same_seed_same_bytes_other_seed_other_records(corpus: Corpus) -> None:
    again = Corpus(3000, sources=30)
    other = Corpus(3000, sources=30, seed=corpus.seed + 1)
    for source in corpus.sources[:12]:
        position = source.size - 1
        if source.type == "dcat":
            url = "https://example.org/catalog.rdf"
            assert corpus.dcat_page(source, 1, 10, url) == again.dcat_page(again.by_id(source.id), 1, 10, url)
        else:
            assert corpus.raw(source, position).content == again.raw(again.by_id(source.id), position).content
    assert [s.size for s in corpus.sources] == [s.size for s in again.sources]
    assert [corpus.record(s, 0).title for s in corpus.sources] != [other.record(s, 0).title for s in other.sources]


def test_random_access_does_not_depend_on_order(corpus: Corpus) -> None:
    source = max(corpus.sources, key=lambda s: s.size)
    forward = [corpus.record(source, p).title for p in range(20)]
    backward = [corpus.record(source, p).title for p in reversed(range(20))]
    assert forward == backward[::-1]


def test_newest_first_and_changed_since_is_a_prefix(corpus: Corpus) -> None:
    source = max(corpus.sources, key=lambda s: s.size)
    dates = [corpus.modified(source, p) for p in range(source.size)]
    assert dates == sorted(dates, reverse=True)
    since = dates[40] - timedelta(seconds=1)
    assert corpus.count_since(source, since) == 41
    assert corpus.count_since(source, dates[0] + timedelta(days=1)) == 0


def test_ids_give_back_their_position() -> None:
    uid = record_uid(7, 3, 1234)
    assert position_of(uid) == 1234
    assert position_of("arbres-d-alignement-ville-de-gap-001234") == 1234


def test_copies_of_origins_on_aggregators_with_their_markers() -> None:
    """Issue 14: aggregators hold copies of origins published by their own portal's body, most with their family's
    provenance marker, some re-uploaded without one; no aggregator copies a dataset twice; the truth maps a harvested
    record back to its dataset."""
    corpus = Corpus(6000, sources=24)
    copies: dict[str, list[tuple[str, Record]]] = {}
    for source in corpus.sources:
        for position in range(source.size):
            record = corpus.record(source, position)
            if record.shared is None:
                continue
            origin_id, _, origin_position = record.shared.partition("/")
            if origin_id == source.id:
                assert int(origin_position) == position and corpus.is_origin(source, position)
                assert record.publisher == corpus.publishers[source.publisher]  # its portal's own body
                continue
            assert source.aggregates and source.type in ("udata", "ckan", "csw")
            copies.setdefault(record.shared, []).append((source.id, record))
    assert len(copies) > 100
    assert all(len({s for s, _ in held}) == len(held) for held in copies.values())  # never twice in one portal
    held = [record for records in copies.values() for _, record in records]
    marked = [r for r in held if r.origin is not None]
    assert 0.6 < len(marked) / len(held) < 0.95
    assert any(r.origin.family == "ods" for r in marked) and any(not r.give_siren for r in held)
    udata = next(r for r in marked if r.source.type == "udata")
    assert udata_dataset(udata)["harvest"]["remote_id"] == udata.origin.native_id
    ckan = next(r for r in marked if r.source.type == "ckan")
    assert {"key": "guid", "value": ckan.origin.guid} in ckan_package(ckan)["extras"]
    rehosted = next(r for r in held if r.origin is None and all(res.url is None for res in r.resources))
    assert rehosted.title and rehosted.description
    # the truth of a harvested record: its origin's key for a copy, its own position otherwise
    for source in corpus.sources[:10]:
        if source.type == "dcat":
            continue
        for position in range(min(source.size, 40)):
            raw = corpus.raw(source, position)
            expected = corpus.record(source, position).shared or f"{source.id}/{position}"
            assert corpus.truth(source.id, raw.native_id) == expected


@pytest.mark.parametrize("kind", ["ckan", "ods", "udata", "dcat-us", "schema-org", "csw", "dcat"])
def test_records_normalise_with_the_essentials(corpus: Corpus, kind: str) -> None:
    raws = raw_records(corpus, kind, 25)
    assert len(raws) == 25 and all(isinstance(r, RawRecord) for r in raws)
    entries = [entry for raw in raws for entry in normalise(raw)]
    assert len(entries) == 25
    for entry in entries:
        assert isinstance(entry, Dataset)
        assert entry.title and entry.description and entry.keywords
        assert entry.publisher is not None and entry.publisher.name
        assert "dct:description" not in entry.gaps
    assert sum(bool(e.distributions) for e in entries) >= 20  # a few offer only WMS/WFS, not files
    assert any(e.licence for e in entries)
    assert any(s.departements for e in entries for s in e.spatial)
    assert any(d.format for e in entries for d in e.distributions)


def test_the_portals_serve_a_harvest_and_an_unchanged_re_harvest(server, tmp_path: Path) -> None:
    small = Corpus(150, sources=8)
    server.mount("", CorpusPortals(small))
    config = _config(small, server.base_url)
    store = Store(tmp_path / "moisson.db")
    try:
        first = [run_harvest(store, source, config, mode="full", index_after=False) for source in config.sources]
        assert [r.status for r in first] == ["succeeded"] * len(first), [r.error for r in first]
        assert sum(r.counts.new for r in first) == 150
        again = [run_harvest(store, source, config, index_after=False) for source in config.sources]
        assert sum(r.counts.new + r.counts.updated + r.counts.withdrawn for r in again) == 0
        assert all(r.status == "succeeded" for r in again)
        # re-harvesting unchanged sources costs fewer requests: incremental filters, a 304 for DCAT-US
        assert sum(r.requests for r in again) < sum(r.requests for r in first)
    finally:
        store.close()
