"""SHACL verdicts per CPU second: the compiled shapes against pyshacl, on the bench corpus, clean and damaged.

Run: ``python -m bench.shacl [--per-type 100] [--out FILE]``, or ``python -m bench --only shacl`` (the ``shacl``
section of the full bench, written to bench/results/bench.json). The sample is records of every source type from
:mod:`bench.corpus`, as the harvesters yield them and normalised, then the same records again with a gap or a bad
value each (:func:`damage`): the corpus itself is clean, and a measure or an equivalence test on clean records only
would never exercise a violation. Both engines validate the same batches of
:data:`BATCH` (the pipeline's), shapes parsed and compiled before timing; throughput is counted in records per CPU
second of this process (``time.process_time``: "per core", meaningful on a shared machine). The run also checks
that both engines gave the same reports, record by record.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.corpus import SEED, Corpus
from bench.normalisation import TYPES, raw_records
from normalise.model import AccessService, Agent, DataService, Dataset

BATCH = 50  # pipeline.scoring.SHACL_BATCH
BUDGET = 400  # records per CPU second, issue 18
Entry = Dataset | DataService


def _no_description(e: Entry) -> Entry:
    return e.model_copy(update={"description": None, "description_translations": {}})


def _no_title(e: Entry) -> Entry:
    return e.model_copy(update={"title": "", "title_translations": {}})


def _files_without_urls(e: Entry) -> Entry:
    if isinstance(e, DataService):
        return e.model_copy(update={"endpoint_urls": []})
    dists = [d.model_copy(update={"access_url": None, "download_url": None}) for d in e.distributions]
    return e.model_copy(update={"distributions": dists})


def _distribution_is_the_dataset(e: Entry) -> Entry:
    """A source that gives its distribution the dataset's own IRI: one node, typed both."""
    if isinstance(e, DataService) or not e.distributions:
        return e.model_copy(update={"publisher": Agent(name="", uri=e.uri or f"https://bench.invalid/{e.id}")})
    first = e.distributions[0].model_copy(update={"uri": e.uri or f"https://bench.invalid/{e.id}"})
    return e.model_copy(update={"uri": first.uri, "distributions": [first, *e.distributions[1:]]})


def _distributions_share_an_iri(e: Entry) -> Entry:
    """Every distribution with one IRI (shared by all damaged records of a batch too): maxCount failures."""
    if isinstance(e, DataService) or not e.distributions:
        return e.model_copy(update={"serves_datasets": ["https://bench.invalid/elsewhere"]})
    dists = [d.model_copy(update={"uri": "https://bench.invalid/distribution"}) for d in e.distributions]
    return e.model_copy(update={"distributions": [*dists, dists[0].model_copy(update={"title": "autre"})]})


def _series_elsewhere(e: Entry) -> Entry:
    if isinstance(e, DataService):
        return e.model_copy(update={"serves_datasets": [f"https://bench.invalid/datasets/{e.native_id}"]})
    return e.model_copy(update={"in_series": [f"https://bench.invalid/series/{e.source_id}"]})


def _service_without_title(e: Entry) -> Entry:
    if isinstance(e, DataService) or not e.distributions:
        return e.model_copy(update={"title": ""})
    service = AccessService(endpoint_url="https://bench.invalid/wms", conforms_to=["OGC:WMS 1.3.0"])
    first = e.distributions[0].model_copy(update={"access_service": service})
    return e.model_copy(update={"distributions": [first, *e.distributions[1:]]})


def _publisher_is_the_place(e: Entry) -> Entry:
    """Publisher without a name whose IRI is also the record's place: an agent and a location in one node."""
    place = "https://bench.invalid/places/commune"
    spatial = [s.model_copy(update={"uri": place}) for s in e.spatial[:1]]
    return e.model_copy(update={"publisher": Agent(name="", uri=place), "spatial": spatial})


DAMAGES: dict[str, Callable[[Entry], Entry]] = {
    "no description": _no_description, "no title": _no_title, "files without URLs": _files_without_urls,
    "distribution IRI = dataset IRI": _distribution_is_the_dataset,
    "distributions share an IRI": _distributions_share_an_iri, "series described elsewhere": _series_elsewhere,
    "access service without title": _service_without_title, "publisher IRI = place IRI": _publisher_is_the_place,
}


def damage(entry: Entry, n: int) -> Entry:
    """The record with the ``n``-th kind of damage (cycling), under its own id so it can sit beside the clean one."""
    name = list(DAMAGES)[n % len(DAMAGES)]
    return DAMAGES[name](entry).model_copy(update={"id": f"{entry.id}.damaged"})


def sample(per_type: int, seed: int = SEED) -> list[Entry]:
    """``per_type`` records of each source type, normalised, then each of them damaged (twice as many records)."""
    from normalise import normalise

    corpus = Corpus(max(20_000, per_type * 50), seed=seed)
    clean = [entry for kind in TYPES for raw in raw_records(corpus, kind, per_type) for entry in normalise(raw)]
    return clean + [damage(entry, n) for n, entry in enumerate(clean)]


def _run(entries: Sequence[Entry], engine: str) -> tuple[dict[str, Any], float, float]:
    from scoring import shacl

    cpu, wall = time.process_time(), time.perf_counter()
    reports: dict[str, Any] = {}
    for start in range(0, len(entries), BATCH):
        reports.update(shacl.validate_entries(entries[start:start + BATCH], engine=engine))  # type: ignore[arg-type]
    return reports, time.process_time() - cpu, time.perf_counter() - wall


def measure(per_type: int = 100, repeat: int = 3) -> dict[str, Any]:
    """Both engines on the same sample; the compiled one ``repeat`` times (best CPU time: it takes under a second)."""
    from scoring import shacl

    load_start = _load()
    entries = sample(per_type)
    shacl.shapes()
    if shacl.compiled() is None:
        raise RuntimeError("the shapes did not compile: nothing to compare")
    shacl.validate_entries(entries[:BATCH], engine="pyshacl")  # warm-up: imports, first-call costs
    shacl.validate_entries(entries[:BATCH], engine="compiled")
    reference, ref_cpu, ref_wall = _run(entries, "pyshacl")
    runs = [_run(entries, "compiled") for _ in range(repeat)]
    reports, cpu, wall = min(runs, key=lambda run: run[1])
    different = sorted(rid for rid in reference if reference[rid] != reports[rid])
    constraints = Counter(v.constraint for r in reference.values() for v in r.violations)
    return {
        "records": len(entries), "per_type": per_type, "batch": BATCH, "damaged": len(entries) // 2,
        "records_with_violations": sum(1 for r in reference.values() if r.violations),
        "violations": sum(constraints.values()), "violations_by_constraint": dict(sorted(constraints.items())),
        "pyshacl": _figures(len(entries), ref_cpu, ref_wall),
        "compiled": _figures(len(entries), cpu, wall),
        "ratio": round(ref_cpu / cpu, 1), "budget_per_cpu_s": BUDGET,
        "identical_verdicts": not different, "different_records": different[:20],
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": {"start": load_start, "end": _load()},
    }


def _load() -> list[float] | None:
    return [round(x, 1) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def _figures(records: int, cpu: float, wall: float) -> dict[str, Any]:
    return {"cpu_seconds": round(cpu, 3), "seconds": round(wall, 3), "records_per_cpu_s": round(records / cpu),
            "ms_per_record": round(1000 * cpu / records, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.shacl", description=__doc__.splitlines()[0])
    parser.add_argument("--per-type", type=int, default=100, help="clean records per source type (as many damaged)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the compiled engine (the best is kept)")
    parser.add_argument("--out", type=Path, help="also write the JSON there")
    args = parser.parse_args(argv)
    result = {"command": "python -m bench.shacl " + " ".join(argv if argv is not None else sys.argv[1:]),
              **measure(args.per_type, args.repeat)}
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0 if result["identical_verdicts"] else 1


if __name__ == "__main__":
    sys.exit(main())
