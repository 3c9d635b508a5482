"""Screenshots of the site for the README, taken in a real browser over the demo:

    python -m demo.screenshots [--out docs/screenshots] [--db var/screenshots/moisson.db]

Starts the demo portals, harvests them into a fresh store (unless ``--db`` names a harvested one), serves the site on
127.0.0.1 and photographs each page with Debian's chromium driven by Playwright (``playwright`` is a test dependency;
``MOISSON_CHROMIUM`` names another browser binary). PNGs are overwritten; commit them with the change that altered
the pages.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def chromium_path() -> str:
    """The browser the tests and screenshots drive: MOISSON_CHROMIUM, else Debian's chromium."""
    path = os.environ.get("MOISSON_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None and Path("/usr/bin/chromium").exists():
        path = "/usr/bin/chromium"
    if path is None:
        raise RuntimeError("chromium is missing: install Debian's chromium (apt-get install -y chromium), "
                           "or set MOISSON_CHROMIUM to a Chromium binary")
    return path


@contextlib.contextmanager
def serve(db: Path) -> Iterator[str]:
    """The site over ``db`` on a free loopback port, in a thread; yields its base URL."""
    import uvicorn

    from api.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(db), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(400):
        if server.started:
            break
        time.sleep(0.05)
    if not server.started:
        raise RuntimeError("the site did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def harvest_demo(workdir: Path) -> Path:
    """A fresh store holding every demo portal's records (what `make demo` serves)."""
    from demo.run import start_demo
    from index.store import Store
    from kernel.config import load_config
    from pipeline.harvest import run_harvest

    env = start_demo(workdir)
    try:
        config = load_config(env.config_path)
        store = Store(env.db_path)
        store.sync_sources(config.sources)
        for source in config.sources:
            run_harvest(store, source, config, mode="full")
        store.close()
    finally:
        env.stop()
    return env.db_path


def pages(base: str, db: Path) -> list[tuple[str, str]]:
    """(file name, URL) of each page photographed, chosen from what the store holds."""
    from index.store import Store

    store = Store(db)
    row = store.db.execute(
        "SELECT r.id, json_extract(record_json(r.data), '$.publisher.name') AS publisher FROM records r "
        "WHERE r.status = 'active' AND json_extract(record_json(r.data), '$.spatial[0].bbox') IS NOT NULL "
        "AND json_extract(record_json(r.data), '$.publisher.name') IS NOT NULL ORDER BY r.source_id = "
        "'demo-udata' DESC, r.id LIMIT 1").fetchone()
    source = store.db.execute("SELECT source_id FROM records GROUP BY source_id ORDER BY COUNT(*) DESC").fetchone()[0]
    store.close()
    return [
        ("recherche.png", f"{base}/recherche?q=donn%C3%A9es"),
        ("recherche-filtres.png", f"{base}/recherche?q=donn%C3%A9es&theme=ENVI"),
        ("recherche-vide.png", f"{base}/recherche?q=transprot"),
        ("carte.png", f"{base}/recherche/carte"),
        ("jeu-de-donnees.png", f"{base}/datasets/{row['id']}"),
        ("editeur.png", f"{base}/editeurs/{quote(row['publisher'], safe='')}"),
        ("portail.png", f"{base}/sources/{source}"),
        ("qualite.png", f"{base}/api/sources/{source}/quality?format=html"),
        ("obligation.png", f"{base}/obligations"),
        ("telechargements.png", f"{base}/stats"),
    ]


def take(base: str, db: Path, out: Path, width: int = 1280, height: int = 900) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height}, locale="fr-FR")
        for name, url in pages(base, db):
            page.goto(url)
            page.screenshot(path=str(out / name), full_page=False)
            written.append(out / name)
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--db", type=Path, help="a harvested store (default: harvest the demo afresh)")
    args = parser.parse_args(argv)
    db = args.db or harvest_demo(Path("var/screenshots"))
    with serve(db) as base:
        for path in take(base, db, args.out):
            print(f"{path} ({path.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
