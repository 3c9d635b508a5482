"""Plain searches while hostile clients hammer the API (issue 13, acceptance 3).

Run: ``python -m bench.search_load [--docs 100000] [--seconds 20] [--clients 4]``. The API runs under uvicorn in a
child process (its CPU time is its own) over an index of the synthetic catalog of :mod:`bench.index_engines`. One
client asks plain searches (one word, then one word and a facet filter, a different word each time so that the
answer cache does not help) and measures their latency, first alone, then while ``--clients`` other clients repeat
in a loop:

* ``66kb``: the request of finding 2 — 200 values for each of the 11 facet filters, a 66 KB URL (refused by the
  search limits now, with a 400);
* ``heaviest``: the heaviest search the limits allow — 50 filter values over 10 facets and a frequent word, the
  values changed on every request so that nothing is answered from cache (it takes the heavy-search slot, and the
  per-client rate limit of the API is lifted for the bench: it would refuse most of them with a 429).

Printed and saved in ``bench/results/search_load.json``: p50/p95/max of the plain searches in each phase, the hostile
requests answered and their status codes, the server's CPU seconds per wall second (2 cores: 2.0 is everything),
and the load average.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psutil

from bench.index_engines import WORDS, Corpus
from index.search import FACETS

RESULTS = Path(__file__).resolve().parent / "results" / "search_load.json"
ROOT = Path(__file__).resolve().parent.parent


def build(docs: int, workdir: Path) -> Path:
    """A store path whose index (beside it) holds ``docs`` synthetic records."""
    from index.store import Store
    from index.tantivy_index import TantivyIndex

    db = workdir / "moisson.db"
    Store(db).close()
    index = TantivyIndex(workdir / "moisson.db.index")
    for batch in Corpus(docs).batches():
        index.upsert(batch)
        index.commit()
    index.close()
    return db


def serve(db: Path, port: int) -> subprocess.Popen[bytes]:
    """uvicorn over the store, the heavy-search rate limit lifted (see the module docstring)."""
    code = ("import uvicorn; from api.app import create_app; from api.ratelimit import RateLimits, LIMITS; "
            f"app = create_app({str(db)!r}); "
            "app.state.rate_limits = RateLimits({**LIMITS, 'search': '1000000/second'}); "
            f"uvicorn.run(app, host='127.0.0.1', port={port}, log_level='warning')")
    env = dict(os.environ, MOISSON_ALLOWED_HOSTS="127.0.0.1", PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT)
    for _ in range(600):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return child
        except OSError:
            time.sleep(0.1)
    child.kill()
    raise RuntimeError("the API did not start")


def get(connection: http.client.HTTPConnection, path: str) -> int:
    connection.request("GET", path, headers={"Host": "127.0.0.1"})
    response = connection.getresponse()
    response.read()
    return response.status


def plain_paths(rng: random.Random) -> list[str]:
    words = rng.sample(WORDS, min(len(WORDS), 400))
    return [f"/api/datasets?{urlencode({'q': w, **({'theme': 'ENVI'} if i % 2 else {})})}"
            for i, w in enumerate(words)]


def hostile_path(kind: str, rng: random.Random) -> str:
    if kind == "66kb":
        return "/api/datasets?" + urlencode([(name, f"{name}-value-{i:04d}") for name in FACETS for i in range(200)])
    params = [("q", rng.choice(WORDS[:20]))]
    params += [(name, f"{name}-{rng.randrange(10**9)}") for name in FACETS[:10] for _ in range(5)]
    return "/api/datasets?" + urlencode(params)


def _hostile(port: int, kind: str, seed: float, stop: Any, counts: Any) -> None:
    """One hostile client (a process of its own, as real clients are: none slows the measuring client's Python)."""
    own = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    fixed = hostile_path(kind, own) if kind == "66kb" else None
    while not stop.is_set():
        status = get(connection, fixed or hostile_path(kind, own))
        with counts.get_lock():
            counts[0] += 1
            counts[1 if status < 400 else 2 if status in (400, 414) else 3 if status in (429, 503) else 4] += 1


def phase(port: int, kind: str | None, clients: int, seconds: float, rng: random.Random) -> dict[str, Any]:
    context = multiprocessing.get_context("fork")
    stop = context.Event()
    counts = context.Array("l", 5)  # all, 2xx-3xx, 400/414, 429/503, other
    workers = [context.Process(target=_hostile, args=(port, kind, rng.random(), stop, counts), daemon=True)
               for _ in range(clients if kind else 0)]
    for worker in workers:
        worker.start()
    time.sleep(1.0 if kind else 0)  # let the hostile clients get going
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies, codes = [], Counter()
    deadline = time.monotonic() + seconds
    paths = plain_paths(rng)
    while time.monotonic() < deadline and paths:
        started = time.perf_counter()
        codes[get(connection, paths.pop())] += 1
        latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(0.05)  # a person's pace, not a flood
    stop.set()
    for worker in workers:
        worker.join(60)
    latencies.sort()
    return {"plain_searches": len(latencies), "plain_statuses": dict(codes),
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1), "max_ms": round(latencies[-1], 1),
            "hostile_requests": counts[0], "hostile_answers": {"ok": counts[1], "refused_400_414": counts[2],
                                                               "busy_429_503": counts[3], "other": counts[4]}}


def measure(docs: int, seconds: float, clients: int) -> dict[str, Any]:
    rng = random.Random(13)
    with tempfile.TemporaryDirectory(prefix="moisson-search-load-") as tmp:
        started = time.perf_counter()
        db = build(docs, Path(tmp))
        built = time.perf_counter() - started
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = serve(db, port)
        try:
            proc = psutil.Process(server.pid)
            get(http.client.HTTPConnection("127.0.0.1", port, timeout=60), "/api/datasets?q=eau")  # warm up
            out: dict[str, Any] = {"docs": docs, "build_s": round(built, 1), "clients": clients, "phases": {}}
            for kind in (None, "66kb", "heaviest"):
                cpu0, wall0, load0 = sum(proc.cpu_times()[:2]), time.perf_counter(), os.getloadavg()[0]
                result = phase(port, kind, clients, seconds, rng)
                wall = time.perf_counter() - wall0
                result["server_cpu_per_wall_s"] = round((sum(proc.cpu_times()[:2]) - cpu0) / wall, 2)
                result["load_average"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
                out["phases"][kind or "alone"] = result
                print(f"{kind or 'alone':>9}: plain p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, "
                      f"max {result['max_ms']} ms over {result['plain_searches']}; hostile "
                      f"{result['hostile_requests']} {result['hostile_answers']}; server CPU "
                      f"{result['server_cpu_per_wall_s']} s/s; load {result['load_average']}", flush=True)
            return out
        finally:
            server.terminate()
            server.wait(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search_load", description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase")
    parser.add_argument("--clients", type=int, default=4, help="hostile clients")
    args = parser.parse_args(argv)
    result = measure(args.docs, args.seconds, args.clients)
    result["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["cpus"] = os.cpu_count()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
