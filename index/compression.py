"""The store's codec: zstd with a dictionary trained per kind of content, the dictionaries kept in the store itself.

Why zstd with trained dictionaries: a store holds millions of small documents of a few shapes (a CKAN package, an
ISO 19139 record, moisson's own normalised JSON). Compressed one by one, each pays again for the field names and
boilerplate every record of its kind repeats, and plain zstd gets 2-3x; with a dictionary trained on records of the
same kind those repeats cost nothing and the same records shrink 5-15x (README, Performance), while each one is
still read on its own in microseconds. It is the technique archives of small records use (zstd's own manual: "the
smaller the amount of data to compress, the more difficult it is to compress... training works if there is some
correlation in a family of small data samples"). The ``zstandard`` package is the reference binding.

A blob is a zstd frame whose header names its dictionary (0: none); a dictionary, once stored, is never changed or
deleted, so every blob stays readable. Before a kind has a dictionary its blobs are compressed without one and kept as
samples; at :data:`TRAIN_AFTER` samples a dictionary is trained, and stored **after** the transaction that wrote those
blobs committed (:meth:`Codec.train_pending`), in a transaction of its own, and only then used: a rolled-back
transaction can never leave blobs naming a dictionary the store does not hold.

A store written before this codec holds its bytes as they were (JSON, XML, N-Triples text): :meth:`Codec.unpack`
returns those unchanged. The two cannot be confused: a zstd frame starts with the bytes 28 B5 2F FD, and no JSON,
XML or N-Triples text starts with "(" followed by a byte that is not UTF-8 on its own.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

import zstandard

MAGIC = b"\x28\xb5\x2f\xfd"
LEVEL = 3  # zstd default; with a dictionary, level 6 saves ~5 % more for 4x the time (~35 us a record)
TRAIN_AFTER = 400  # samples of a kind before its dictionary is trained (zstd wants ~100x the dictionary in samples)
MAX_SAMPLE_BYTES = 16 * 2**20  # of one kind, kept in memory until training
DICT_SIZE = 110 * 2**10  # zstd's default dictionary size
FIRST_DICT_ID = 32768  # zstd reserves ids below 32768 for public dictionaries

SCHEMA = """
CREATE TABLE IF NOT EXISTS codec_dictionaries (
    id INTEGER PRIMARY KEY,     -- the zstd dictionary id written in every frame compressed with it
    kind TEXT NOT NULL,         -- raw:<profile> | record | quality | ...
    created_at TEXT NOT NULL,
    samples INTEGER NOT NULL,   -- how many blobs it was trained on
    content BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS codec_dictionaries_by_kind ON codec_dictionaries (kind, id);
"""


class CodecError(ValueError):
    """A blob names a dictionary the store does not hold (the store file is damaged or was tampered with)."""


class Codec:
    """Packs and unpacks the blobs of one store. Thread-safe: zstd contexts are per thread, dictionaries shared.

    ``connect`` gives the calling thread's connection (the store's); dictionaries are read through it and trained
    ones written through it, outside any transaction."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._lock = threading.Lock()
        self._dicts: dict[int, zstandard.ZstdCompressionDict] = {}
        self._current: dict[str, int | None] = {}  # kind -> dictionary id to compress with (None: none yet)
        self._samples: dict[str, list[bytes]] = {}
        self._sample_bytes: dict[str, int] = {}
        self._local = threading.local()

    # -- packing ------------------------------------------------------------------------------------------------

    def pack(self, kind: str, data: bytes) -> bytes:
        """``data`` compressed with the kind's dictionary (without one until it is trained)."""
        dict_id = self._dictionary_for(kind)
        if dict_id is None:
            self._keep_sample(kind, data)
        return self._compressor(dict_id or 0).compress(data)

    def unpack(self, blob: bytes | memoryview | None) -> bytes:
        """The bytes a blob holds; a blob written before the codec (no zstd magic) is returned as it is."""
        if blob is None:
            return b""
        blob = bytes(blob)
        if not blob.startswith(MAGIC):
            return blob
        dict_id = zstandard.get_frame_parameters(blob).dict_id
        return self._decompressor(dict_id).decompress(blob)

    def is_packed(self, blob: bytes | None) -> bool:
        return bool(blob) and bytes(blob[:4]) == MAGIC

    def dictionary_id(self, blob: bytes) -> int:
        """The dictionary a packed blob was compressed with (0: none)."""
        return zstandard.get_frame_parameters(bytes(blob)).dict_id

    def has_dictionary(self, kind: str) -> bool:
        return self._dictionary_for(kind) is not None

    # -- dictionaries -------------------------------------------------------------------------------------------

    def train_pending(self) -> list[int]:
        """Train and store the dictionaries of kinds with enough samples; returns their ids. Call it outside any
        transaction (the store does, after each commit): the dictionary is committed before any blob uses it."""
        if self._connect().in_transaction:
            return []
        with self._lock:
            ready = [kind for kind, samples in self._samples.items()
                     if len(samples) >= TRAIN_AFTER and self._current.get(kind) is None]
        made = []
        for kind in ready:
            with self._lock:
                samples = self._samples.pop(kind, [])
                self._sample_bytes.pop(kind, None)
            if len(samples) < TRAIN_AFTER:
                continue
            if (dict_id := self.train(kind, samples)) is not None:
                made.append(dict_id)
        return made

    def train(self, kind: str, samples: list[bytes]) -> int | None:
        """Train a dictionary for ``kind`` on ``samples``, store it and use it from now on; returns its id (None
        with too few samples to train on: the kind goes on without one). Outside any transaction."""
        if len(samples) < 8:
            return None
        from kernel.records import utcnow

        db = self._connect()
        if db.in_transaction:
            raise RuntimeError("a dictionary is stored in a transaction of its own, outside the caller's")
        size = max(4096, min(DICT_SIZE, sum(map(len, samples)) // 20))
        db.execute("BEGIN IMMEDIATE")
        try:
            dict_id = db.execute("SELECT COALESCE(MAX(id) + 1, ?) FROM codec_dictionaries",
                                 (FIRST_DICT_ID,)).fetchone()[0]
            trained = zstandard.train_dictionary(size, samples, dict_id=dict_id, level=LEVEL)
            db.execute("INSERT INTO codec_dictionaries (id, kind, created_at, samples, content) VALUES (?, ?, ?, ?, ?)",
                       (dict_id, kind, utcnow(), len(samples), trained.as_bytes()))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        with self._lock:
            self._dicts[dict_id] = trained
            self._current[kind] = dict_id
        return dict_id

    def dictionaries(self) -> list[dict[str, object]]:
        """What the store holds: id, kind, samples, size (for `moisson store info`)."""
        rows = self._connect().execute(
            "SELECT id, kind, created_at, samples, length(content) FROM codec_dictionaries ORDER BY id").fetchall()
        return [{"id": r[0], "kind": r[1], "created_at": r[2], "samples": r[3], "bytes": r[4]} for r in rows]

    def _dictionary_for(self, kind: str) -> int | None:
        with self._lock:
            if kind in self._current:
                return self._current[kind]
        row = self._connect().execute(
            "SELECT id, content FROM codec_dictionaries WHERE kind = ? ORDER BY id DESC LIMIT 1", (kind,)).fetchone()
        with self._lock:
            if row is not None:
                self._dicts.setdefault(row[0], zstandard.ZstdCompressionDict(bytes(row[1])))
            self._current[kind] = row[0] if row is not None else None
            return self._current[kind]

    def _dictionary(self, dict_id: int) -> zstandard.ZstdCompressionDict:
        with self._lock:
            found = self._dicts.get(dict_id)
        if found is not None:
            return found
        row = self._connect().execute("SELECT content FROM codec_dictionaries WHERE id = ?", (dict_id,)).fetchone()
        if row is None:
            raise CodecError(f"a stored blob names compression dictionary {dict_id}, which the store does not hold")
        with self._lock:
            return self._dicts.setdefault(dict_id, zstandard.ZstdCompressionDict(bytes(row[0])))

    def _keep_sample(self, kind: str, data: bytes) -> None:
        with self._lock:
            size = self._sample_bytes.get(kind, 0)
            if size + len(data) > MAX_SAMPLE_BYTES:
                return
            self._samples.setdefault(kind, []).append(data)
            self._sample_bytes[kind] = size + len(data)

    @property
    def wants_training(self) -> bool:
        with self._lock:
            return any(len(s) >= TRAIN_AFTER for s in self._samples.values())

    # -- per-thread zstd contexts (a context is not safe to share between threads) ---------------------------------

    def _compressor(self, dict_id: int) -> zstandard.ZstdCompressor:
        cache = self._local.__dict__.setdefault("compressors", {})
        found = cache.get(dict_id)
        if found is None:
            found = zstandard.ZstdCompressor(level=LEVEL, dict_data=self._dictionary(dict_id) if dict_id else None,
                                             write_content_size=True, write_checksum=False)
            cache[dict_id] = found
        return found

    def _decompressor(self, dict_id: int) -> zstandard.ZstdDecompressor:
        cache = self._local.__dict__.setdefault("decompressors", {})
        found = cache.get(dict_id)
        if found is None:
            found = zstandard.ZstdDecompressor(dict_data=self._dictionary(dict_id) if dict_id else None)
            cache[dict_id] = found
        return found
