"""The clustering's step-by-step profile on a small corpus harvested over loopback: every step is timed once per call
and the originals are put back. No timing thresholds here (figures belong to `python -m bench.clustering_steps`)."""

from __future__ import annotations

from pathlib import Path

import pytest

import index.clusters
import pipeline.harvest
from bench.clustering_steps import STEPS, profile_harvest
from bench.corpus import Corpus
from bench.harvest import _config
from bench.portals import CorpusPortals
from index.store import Store


@pytest.mark.parametrize("store_per_job", [False, True])
def test_steps_are_timed_and_put_back(server, tmp_path: Path, store_per_job: bool) -> None:
    """One store object for every job, or one per job as `moisson harvest --all` runs them: the same steps."""
    originals = {(module, name): getattr(module, name) for module in (index.clusters, pipeline.harvest)
                 for name in ("evidence", "_replace_keys", "cluster_changed_records", "draw_cluster_keys")
                 if hasattr(module, name)}
    corpus = Corpus(600, sources=6)
    server.mount("", CorpusPortals(corpus))
    store = Store(tmp_path / "moisson.db")
    try:
        out = profile_harvest(store, corpus, _config(corpus, server.base_url), store_per_job=store_per_job)
        clustered = store.db.execute("SELECT COUNT(*) FROM cluster_members").fetchone()[0]
    finally:
        store.close()
    assert out["records"] == 600 and out["jobs"] == 6
    steps = {step["step"]: step for step in out["steps"]}
    labels = {label for _, _, label in STEPS}
    assert set(steps) <= labels
    keys = steps["match keys (URL normalisation, title folding, digests)"]
    assert keys["calls"] == 600  # each record's keys drawn once, from its model, when it was stored
    assert steps["the passes' own work, their commits included"]["calls"] == 6  # one clustering pass a job
    assert all(step["cpu_seconds"] >= 0 for step in steps.values())
    assert abs(sum(step["share_of_clustering"] for step in steps.values()) - 1) < 0.01
    assert 0 < out["clustering_cpu_seconds"] < out["harvest_cpu_seconds"]
    assert clustered == 600  # every record clustered, whichever store object its job had
    for (module, name), step in originals.items():
        assert getattr(module, name) is step  # nothing stays wrapped after the profile
