"""CKAN: moisson's ``package_search`` paging against the plain way, ``package_list`` then one ``package_show`` per
package, both over real loopback HTTP against the CKAN emulator (demo/portals/ckan.py) serving synthetic packages.

Run: ``python -m bench.ckan_paging [--packages 2000]``. The emulator runs in a process of its own. moisson's way is
:class:`harvesters.ckan.CkanHarvester` (through the one HTTP layer, politeness limits lifted for the measurement);
the plain way is what a script with ckanapi does: ``RemoteCKAN.action.package_list()`` then ``package_show`` for each
name. Both end with every package dict in hand; requests are counted by the server.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from typing import Any

from bench.corpus import SEED, Corpus, ckan_package


def _serve(packages: int, seed: int, conn: Any) -> None:
    from demo.portals.ckan import CkanPortal
    from demo.server import PortalServer

    corpus = Corpus(max(packages * 4, 10_000), seed=seed)
    found: list[dict[str, Any]] = []
    for source in (s for s in corpus.sources if s.type == "ckan"):
        found += [ckan_package(corpus.record(source, p)) for p in range(min(source.size, packages - len(found)))]
        if len(found) >= packages:
            break
    portal = CkanPortal(found)
    with PortalServer() as server:
        url = server.mount("/ckan", portal)
        conn.send(url)
        while (message := conn.recv()) != "stop":
            conn.send(len(portal.calls) if message == "calls" else None)


def measure(packages: int = 2000, seed: int = SEED, page_size: int = 100) -> dict[str, Any]:
    from ckanapi import RemoteCKAN

    from harvesters.ckan import CkanHarvester
    from kernel.config import HttpSettings, SourceConfig
    from kernel.http import HttpClient
    from kernel.records import RawRecord

    ctx = multiprocessing.get_context("spawn")
    conn, child = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(packages, seed, child), daemon=True)
    process.start()
    try:
        url = conn.recv()

        def calls() -> int:
            conn.send("calls")
            return int(conn.recv())

        # moisson: package_search pages through the one HTTP layer
        before = calls()
        http = HttpClient(HttpSettings(per_host_rps=10_000, per_host_concurrency=4), allow_private=True)
        source = SourceConfig(id="bench-ckan", type="ckan", url=url, options={"page_size": page_size})
        started, cpu = time.perf_counter(), time.process_time()
        ours = sum(isinstance(item, RawRecord) for item in CkanHarvester(source, http).harvest())
        ours_s, ours_cpu = time.perf_counter() - started, time.process_time() - cpu
        http.close()
        ours_requests = calls() - before

        # the plain way: package_list, then package_show for each name
        before = calls()
        started, cpu = time.perf_counter(), time.process_time()
        with RemoteCKAN(url, get_only=True) as api:
            plain = sum(isinstance(api.action.package_show(id=name), dict) for name in api.action.package_list())
        plain_s, plain_cpu = time.perf_counter() - started, time.process_time() - cpu
        plain_requests = calls() - before
    finally:
        conn.send("stop")
        process.join(timeout=10)
    return {
        "packages": packages, "page_size": page_size,
        "ours": {"records": ours, "requests": ours_requests, "seconds": round(ours_s, 2),
                 "client_cpu_seconds": round(ours_cpu, 2), "records_per_s": round(ours / ours_s)},
        "plain": {"records": plain, "requests": plain_requests, "seconds": round(plain_s, 2),
                  "client_cpu_seconds": round(plain_cpu, 2), "records_per_s": round(plain / plain_s)},
        "ratio_seconds": round(plain_s / ours_s, 1), "ratio_requests": round(plain_requests / ours_requests, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ckan_paging", description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=2000)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.packages), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
