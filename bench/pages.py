"""The search page's weight and server time at a national size: ``python -m bench.pages [--docs 100000]``.

Builds a tantivy index of the synthetic catalogue of :mod:`bench.index_engines` (``--docs`` documents, every facet)
beside an empty store, then asks the site's search page (``/recherche``, in process through the ASGI app, no network)
the same query mix as the engine bench, each query once: one word, two words, a word with a facet filter, and the
landing page (no words: every facet counted over the whole catalogue). For each kind: the HTML bytes (and gzipped,
what a browser receives from a compressing proxy), the server time per page (wall clock p50/p95, and CPU seconds of
the process, facet threads included), and once the static assets every page loads. The engine's result cache is
off, so each page pays its search. Results go to ``bench/results/pages.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

from bench.index_engines import Corpus, queries

RESULTS = Path(__file__).resolve().parent / "results" / "pages.json"
QUERIES = 40


def _url(query: Any) -> str:
    from api.pages.render import query_string

    params: list[tuple[str, str]] = [("q", query.q)] if query.q else []
    for name, values in query.filters.items():
        params += [(name, v) for v in values]
    return "/recherche" + (f"?{query_string(params)}" if params else "")


def measure(docs: int, workdir: Path, count: int = QUERIES) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.pages.render import STATIC
    from index import _open
    from index.tantivy_index import TantivyIndex

    db = workdir / "moisson.db"
    started = time.perf_counter()
    index = TantivyIndex(Path(f"{db}.index"))
    for batch in Corpus(docs).batches():
        index.upsert(batch)
        index.commit()
    index.close()
    build = time.perf_counter() - started
    _open[str(Path(f"{db}.index"))] = TantivyIndex(Path(f"{db}.index"), result_cache=0)
    client = TestClient(create_app(db))
    client.get("/recherche?q=warm")  # templates compiled, reference tables loaded
    load = os.getloadavg()[0]
    out: dict[str, Any] = {}
    for kind, group in queries(count).items():
        walls, cpus, sizes, zipped = [], [], [], []
        for query in group:
            url = _url(query)
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(url, headers={"accept": "text/html"})
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            sizes.append(len(response.content))
            zipped.append(len(gzip.compress(response.content)))
        walls.sort()
        out[kind] = {"pages": len(group), "bytes_median": int(median(sizes)), "gzip_bytes_median": int(median(zipped)),
                     "wall_ms_p50": round(walls[len(walls) // 2], 1),
                     "wall_ms_p95": round(walls[min(len(walls) - 1, int(len(walls) * 0.95))], 1),
                     "cpu_ms_mean": round(sum(cpus) / len(cpus), 1)}
    assets = {name: (STATIC / name).stat().st_size for name in ("moisson.css", "moisson.js")}
    return {"docs": docs, "index_build_s": round(build, 1), "load_average": round(load, 2), "kinds": out,
            "static_bytes": assets}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=QUERIES)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="moisson-pages-") as workdir:
        result = measure(args.docs, Path(workdir), args.queries)
    result["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["load_average_after"] = round(os.getloadavg()[0], 2)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"{'kind':<24} {'bytes':>8} {'gzip':>7} {'p50 ms':>7} {'p95 ms':>7} {'cpu ms':>7}")
    for kind, row in result["kinds"].items():
        print(f"{kind:<24} {row['bytes_median']:>8} {row['gzip_bytes_median']:>7} {row['wall_ms_p50']:>7} "
              f"{row['wall_ms_p95']:>7} {row['cpu_ms_mean']:>7}")
    print(f"static: {result['static_bytes']}; load average {result['load_average']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
