"""The store's codec: blobs compressed per kind, dictionaries trained from samples and stored only once committed."""

from __future__ import annotations

import json

import pytest
import zstandard

from index import compression
from index.compression import MAGIC, CodecError
from index.store import Store


def _document(n: int) -> bytes:
    """Records of one kind: the same fields and boilerplate, different values (as a portal's packages are)."""
    return json.dumps({"id": f"jeu-{n}", "title": f"Qualité de l'air à la station {n}", "license_id": "lov2",
                       "organization": {"name": f"commune-{n % 7}", "title": "Commune de Démo"},
                       "resources": [{"format": "CSV", "url": f"https://demo.example/{n}/mesures.csv",
                                      "description": "Mesures horaires de NO2, O3 et PM10"}],
                       "tags": [{"name": "air"}, {"name": "pollution"}, {"name": f"station-{n}"}]}).encode()


def test_a_blob_comes_back_as_it_was_packed_and_a_first_layout_blob_as_it_is(store: Store) -> None:
    data = _document(1)
    blob = store.codec.pack("raw:ckan", data)
    assert blob.startswith(MAGIC) and store.codec.unpack(blob) == data
    for legacy in (data, b"<gmd:MD_Metadata/>", b"<http://a> <http://b> <http://c> .\n", b""):
        assert store.codec.unpack(legacy) == legacy  # bytes of the first layout are read unchanged


def test_a_dictionary_is_trained_after_enough_samples_and_stored_after_the_commit(store: Store,
                                                                                  monkeypatch) -> None:
    monkeypatch.setattr(compression, "TRAIN_AFTER", 50)
    plain = []
    with store.transaction():
        for n in range(50):
            plain.append(store.codec.pack("raw:ckan", _document(n)))
        # inside the transaction nothing is trained: the blobs written there must not name an uncommitted dictionary
        assert store.codec.dictionaries() == []
    (stored,) = store.codec.dictionaries()
    assert stored["kind"] == "raw:ckan" and stored["samples"] == 50
    assert all(store.codec.dictionary_id(blob) == 0 for blob in plain)
    later = store.codec.pack("raw:ckan", _document(1000))
    assert store.codec.dictionary_id(later) == stored["id"]
    assert len(later) < len(plain[-1]) / 2  # what every record of the kind repeats costs nothing any more
    # a new store object (another process) reads both kinds of blob
    other = Store(store.path)
    assert other.codec.unpack(later) == _document(1000) and other.codec.unpack(plain[3]) == _document(3)
    assert other.codec.dictionary_id(other.codec.pack("raw:ckan", _document(1))) == stored["id"]
    other.close()


def test_a_rolled_back_transaction_trains_nothing(store: Store, monkeypatch) -> None:
    monkeypatch.setattr(compression, "TRAIN_AFTER", 20)
    with pytest.raises(RuntimeError), store.transaction():
        for n in range(20):
            store.codec.pack("record", _document(n))
        raise RuntimeError("crash in the middle of a batch")
    assert store.codec.dictionaries() == []
    with store.transaction():
        store.codec.pack("record", _document(99))  # the samples of the rolled-back batch count: they were real data
    assert [d["kind"] for d in store.codec.dictionaries()] == ["record"]


def test_a_blob_naming_a_dictionary_the_store_lacks_is_a_clear_error(store: Store, tmp_path) -> None:
    trained = zstandard.train_dictionary(4096, [_document(n) for n in range(200)], dict_id=99999)
    foreign = zstandard.ZstdCompressor(dict_data=trained).compress(_document(1))
    with pytest.raises(CodecError, match="dictionary 99999"):
        store.codec.unpack(foreign)
