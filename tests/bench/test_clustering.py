"""The clustering bench's evaluation on a small corpus harvested over loopback: its truth, its pair counts. The
thresholds of the issue (precision 0.99, recall 0.95) are measured at 100k by `make bench`; here a small corpus must
already be clustered correctly, which also checks the evaluation itself. No timing here."""

from __future__ import annotations

from pathlib import Path

from bench.clustering import evaluate
from bench.corpus import Corpus
from bench.harvest import _config
from bench.portals import CorpusPortals
from index.store import Store
from pipeline.harvest import run_harvest


def test_a_small_corpus_is_clustered_as_its_truth_says(server, tmp_path: Path) -> None:
    corpus = Corpus(2000, sources=12)
    server.mount("", CorpusPortals(corpus))
    config = _config(corpus, server.base_url)
    store = Store(tmp_path / "moisson.db")
    try:
        for source in config.sources:
            result = run_harvest(store, source, config, mode="full", index_after=False)
            assert result.status == "succeeded", result.error
        quality = evaluate(store, corpus)
        assert quality["records_unknown"] == 0 and quality["records"] == 2000
        assert quality["true_pairs"] > 50  # the corpus holds copies, and the truth sees them
        assert quality["precision"] >= 0.99 and quality["recall"] >= 0.95, quality
        assert quality["primary_is_origin"] >= 0.9, quality
    finally:
        store.close()
