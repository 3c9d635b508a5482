"""The API under load over loopback HTTP: `moisson serve --workers N` driven by wrk, and a harvester walking
``/api/catalog`` to the end.

Run: ``python -m bench.http --workdir DIR`` where DIR holds a harvested store (``moisson.db``) and its index
(``index/``), as ``python -m bench --only harvest --workdir ...`` leaves them (``bench/__main__.py`` runs this
section on the largest harvest it kept, or on a corpus of 20,000 records harvested for the purpose).

wrk (Debian package ``wrk``; ``apt-get install wrk``) opens ``--clients`` connections and keeps each busy for
``--seconds``; a Lua script picks each request's path from a list written beforehand and reports the latency
percentiles and the errors (connection, read, write, timeouts, and every status >= 400). Workloads:

* **search, mixed**: 2,000 distinct searches with facet counts (the API always counts all 11 facets) — one word,
  two words, a word and a facet filter, a facet filter alone — drawn with a Zipf law as search logs are (a few
  searches are very frequent, most are rare): the per-commit result cache answers the repeats, the engine the rest.
* **search, all distinct**: every request a search not made before (the cache never answers): the engine's own
  throughput, for the record.
* **search, all distinct, no facets**: the same searches with ``facets=none``, as a client that pages through hits
  asks them: the share of a search's cost that is facet counting.
* **record**: ``GET /api/datasets/{id}`` (JSON) for ids spread over the whole store.
* **dataset page**: ``GET /datasets/{id}`` with ``Accept: text/html``, the record's page for people (a client that
  does not ask for HTML gets a 303 to the API, which is what the first measure of this workload timed).

The catalog walk follows the ``hydra:next`` links of ``/api/catalog`` (N-Triples, 1,000 records a page) from the
first page to the last, as moisson's own DCAT harvester or data.europa.eu's would, and reports records per second
over the whole walk and for its first and last tenth (constant cost per page means both are the same), and for the
catalog's last page (its ``hydra:last`` link), which a walk stopped by ``MOISSON_BENCH_WALK_LIMIT`` (seconds, default
1800) does not reach.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

RESULTS = Path(__file__).resolve().parent / "results" / "http.json"
SEED = 20261203
BUDGET = {"search_rps": 300, "search_p95_ms": 100, "record_p95_ms": 50, "catalog_rps": 5000}
FACET_FILTERS = ("theme", "format", "licence", "departement", "region", "publisher")

WRK_SCRIPT = r"""
local paths = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
function init(args)
  for line in io.lines(os.getenv("MOISSON_PATHS")) do paths[#paths + 1] = line end
  i = (tid - 1) * math.floor(#paths / 2)
end
local accept = os.getenv("MOISSON_ACCEPT")
local headers = accept and {["Accept"] = accept} or {}
function request()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], headers)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('MOISSON {"requests": %d, "duration_us": %d, "p50_ms": %.2f, "p95_ms": %.2f, ' ..
    '"p99_ms": %.2f, "max_ms": %.2f, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d}}\n', summary.requests, summary.duration, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000, e.connect, e.read,
    e.write, e.status, e.timeout))
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(workdir: Path, workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``moisson serve --workers N --no-scheduler`` on the store and index of ``workdir``, until the block ends."""
    port = _free_port()
    env = {**os.environ, "MOISSON_INDEX": str(workdir / "index")}
    log = open(workdir / "serve.log", "wb")  # noqa: SIM115 - closed below, after the server
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "--db", str(workdir / "moisson.db"), "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--no-scheduler"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parent.parent)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{base}/api/datasets?page_size=0", timeout=30).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moisson serve did not start: see {workdir / 'serve.log'}")
            time.sleep(0.5)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _sample_ids(db: Path, count: int, rng: random.Random) -> list[str]:
    """Record ids spread over the whole store (every n-th rowid), shuffled."""
    conn = sqlite3.connect(db)
    total = conn.execute("SELECT MAX(rowid) FROM records").fetchone()[0] or 0
    rowids = sorted(rng.sample(range(1, total + 1), min(count, total)))
    ids = []
    for start in range(0, len(rowids), 500):
        chunk = rowids[start:start + 500]
        ids += [row[0] for row in conn.execute(
            f"SELECT id FROM records WHERE status = 'active' AND rowid IN ({','.join('?' * len(chunk))})", chunk)]
    conn.close()
    rng.shuffle(ids)
    return ids


def _searches(base: str, ids: list[str], count: int, rng: random.Random) -> list[str]:
    """Distinct search paths: words from the titles of sampled records, facet values the index itself counts."""
    words: list[str] = []
    for record_id in ids[:300]:
        title = requests.get(f"{base}/api/datasets/{record_id}", timeout=60).json().get("title") or ""
        words += [w.lower() for w in re.findall(r"\w{4,}", title) if not w.isdigit()]
    words = sorted(set(words))
    facets = requests.get(f"{base}/api/datasets?page_size=0", timeout=120).json()["facets"]
    values = {name: [v["value"] for v in facets.get(name, [])] for name in FACET_FILTERS}
    values = {name: vals for name, vals in values.items() if vals}
    paths: set[str] = set()
    while len(paths) < count:
        kind = rng.random()
        params: dict[str, str] = {}
        if kind < 0.4:
            params["q"] = rng.choice(words)
        elif kind < 0.6:
            params["q"] = f"{rng.choice(words)} {rng.choice(words)}"
        else:
            facet = rng.choice(sorted(values))
            params[facet] = rng.choice(values[facet])
            if kind < 0.85:
                params["q"] = rng.choice(words)
        paths.add("/api/datasets?" + urlencode(params))
    return sorted(paths)


def _zipf(paths: list[str], count: int, rng: random.Random, s: float = 1.0) -> list[str]:
    """``count`` requests drawn from ``paths`` with a Zipf law (rank r weighs 1/r^s), in a random order."""
    order = paths[:]
    rng.shuffle(order)
    weights = [1 / (rank ** s) for rank in range(1, len(order) + 1)]
    return rng.choices(order, weights=weights, k=count)


def run_wrk(base: str, paths: list[str], clients: int, seconds: int, workdir: Path,
            accept: str | None = None) -> dict[str, Any]:
    """One wrk run over ``paths`` (each thread starts at a different place in the list), sending ``accept`` as the
    Accept header when given. wrk counts only statuses >= 400 as errors: the first path is asked once beforehand and
    must answer 200 itself (a redirect would measure the redirect, as the first dataset page measure did)."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: apt-get install wrk (Debian's package)")
    probe = requests.get(base + paths[0], headers={"Accept": accept} if accept else {}, allow_redirects=False,
                         timeout=60)
    if probe.status_code != 200:
        raise RuntimeError(f"{paths[0]} answers {probe.status_code}, not 200: the workload would not measure it")
    script, listing = workdir / "bench-http.lua", workdir / "bench-http-paths.txt"
    script.write_text(WRK_SCRIPT)
    listing.write_text("\n".join(paths) + "\n")
    load = os.getloadavg()
    out = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), base],
        env={**os.environ, "MOISSON_PATHS": str(listing), **({"MOISSON_ACCEPT": accept} if accept else {})},
        capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("MOISSON "))
    figures = json.loads(line.removeprefix("MOISSON "))
    figures["requests_per_s"] = round(figures["requests"] / (figures["duration_us"] / 1e6))
    figures["error_count"] = sum(figures["errors"].values())
    figures["load_average"] = [round(x, 1) for x in load]
    return figures


def _hydra_link(body: bytes, name: str) -> str | None:
    """The page's hydra:next / hydra:last link. The server writes the paging triples last, so the link is looked
    for from the end (a regex scan of a 15 MB page cost the client ~40 ms a page, counted in the walk's time)."""
    marker = f"> <http://www.w3.org/ns/hydra/core#{name}> <".encode()
    at = body.rfind(marker)
    if at < 0:
        return None
    start = at + len(marker)
    return body[start:body.index(b">", start)].decode()


def _tree_cpu_seconds(process: subprocess.Popen[bytes] | None) -> float | None:
    """CPU seconds (user + system) of the server and its workers so far."""
    if process is None:
        return None
    import psutil

    try:
        root = psutil.Process(process.pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return None
    total = 0.0
    for proc in processes:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def walk_catalog(base: str, page_size: int = 1000, time_limit: float = 1800.0,
                 server: subprocess.Popen[bytes] | None = None) -> dict[str, Any]:
    """Follow the catalog's next links from the first page to the last (or until ``time_limit`` seconds); with
    ``server``, also the CPU seconds its processes spent per record (the walk's own cost on a busy machine)."""
    url: str | None = f"{base}/api/catalog?{urlencode({'page_size': page_size, 'format': 'nt'})}"
    session = requests.Session()
    pages: list[tuple[int, float]] = []
    last_url = None

    def fetch(url: str) -> tuple[bytes, int, float]:
        t = time.perf_counter()
        response = session.get(url, timeout=300)
        response.raise_for_status()
        body = response.content
        members = body.count(b"<http://www.w3.org/ns/dcat#dataset> <") + body.count(
            b"<http://www.w3.org/ns/dcat#service> <")
        return body, members, time.perf_counter() - t

    cpu_before = _tree_cpu_seconds(server)
    started = time.perf_counter()
    while url and time.perf_counter() - started < time_limit:
        body, members, took = fetch(url)
        url = _hydra_link(body, "next")
        if last_url is None:
            last_url = _hydra_link(body, "last")
        pages.append((members, took))
    seconds = time.perf_counter() - started
    cpu_after = _tree_cpu_seconds(server)
    last_page = [fetch(last_url)[1:] for _ in range(3)] if last_url else []  # the end, reached by its cursor
    records = sum(n for n, _ in pages)
    tenth = max(1, len(pages) // 10)

    def rate(part: list[tuple[int, float]]) -> int:
        return round(sum(n for n, _ in part) / sum(s for _, s in part)) if part else 0

    server_cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    return {"pages": len(pages), "records": records, "seconds": round(seconds, 1), "complete": url is None,
            "records_per_s": round(records / seconds) if seconds else None, "first_tenth_records_per_s":
            rate(pages[:tenth]), "last_tenth_records_per_s": rate(pages[-tenth:]), "page_size": page_size,
            "last_page_records_per_s": rate(last_page),
            "server_cpu_seconds": round(server_cpu, 2) if server_cpu is not None else None,
            "server_cpu_ms_per_record": round(1000 * server_cpu / records, 3) if server_cpu and records else None,
            "records_per_server_cpu_s": round(records / server_cpu) if server_cpu else None}


def measure(workdir: Path, workers: int = 2, clients: int = 32, seconds: int = 30,
            walk_limit: float = float(os.environ.get("MOISSON_BENCH_WALK_LIMIT", 1800))) -> dict[str, Any]:
    """Every workload against ``moisson serve --workers N`` on the store of ``workdir``."""
    rng = random.Random(SEED)
    db = workdir / "moisson.db"
    records = sqlite3.connect(db).execute("SELECT COUNT(*) FROM records WHERE status = 'active'").fetchone()[0]
    out: dict[str, Any] = {"records": records, "workers": workers, "clients": clients, "seconds": seconds,
                           "cpus": os.cpu_count()}
    with serve(workdir, workers) as (base, process):
        ids = _sample_ids(db, 20_000, rng)
        distinct = _searches(base, ids, 2000, rng)
        cold = _searches(base, ids[300:], 40_000, random.Random(SEED + 1))
        new = sorted(set(cold) - set(distinct), key=lambda _: rng.random())
        workloads = {
            "search_mixed": _zipf(distinct, 40_000, rng),
            "search_distinct": new,
            # the same new searches by a client that asks no facet counts: what counting costs
            "search_distinct_no_facets": [f"{path}&facets=none" for path in new],
            "record": [f"/api/datasets/{i}" for i in ids],
            "dataset_page": [f"/datasets/{i}" for i in ids],
        }
        run_wrk(base, workloads["search_mixed"][:2000], clients, 5, workdir)  # warm up both workers
        for name, paths in workloads.items():
            print(f"   http {name}: {clients} clients, {seconds} s", file=sys.stderr, flush=True)
            out[name] = run_wrk(base, paths, clients, seconds, workdir,
                                accept="text/html" if name == "dataset_page" else None)
        print("   http catalog walk", file=sys.stderr, flush=True)
        out["catalog_walk"] = walk_catalog(base, time_limit=walk_limit, server=process)
        out["catalog_walk"]["load_average"] = [round(x, 1) for x in os.getloadavg()]
    return out


def measure_walk(workdir: Path, workers: int = 2, walk_limit: float = 1800.0) -> dict[str, Any]:
    """The catalog walk alone (``--walk-only``), against ``moisson serve --workers N`` on the store of ``workdir``."""
    with serve(workdir, workers) as (base, process):
        out = walk_catalog(base, time_limit=walk_limit, server=process)
    out["load_average"] = [round(x, 1) for x in os.getloadavg()]
    return out


def measure_fresh(records: int = 20_000, **kwargs: Any) -> dict[str, Any]:
    """Harvest a corpus of ``records`` into a temporary directory (bench.harvest), then measure over it."""
    from bench import harvest

    work = Path(tempfile.mkdtemp(prefix="moisson-bench-http-"))
    try:
        harvest.measure(records, workdir=str(work), full_again=False)
        return measure(work, **kwargs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="a harvested store and its index (default: harvest 20,000)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--walk-limit", type=float, default=1800.0, help="seconds before the catalog walk stops")
    parser.add_argument("--walk-only", action="store_true", help="only the catalog walk (needs --workdir)")
    args = parser.parse_args(argv)
    if args.walk_only:
        if not args.workdir:
            parser.error("--walk-only needs --workdir")
        print(json.dumps(measure_walk(args.workdir, args.workers, args.walk_limit), indent=2))
        return 0
    kwargs = {"workers": args.workers, "clients": args.clients, "seconds": args.seconds,
              "walk_limit": args.walk_limit}
    result = measure(args.workdir, **kwargs) if args.workdir else measure_fresh(**kwargs)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
