"""The `moisson` command line, driven as a user would: validate, harvest, jobs, search, export, score."""

from __future__ import annotations

from pathlib import Path

import rdflib
import yaml
from typer.testing import CliRunner

from api.cli import app
from demo.portals.ckan import demo_portals
from demo.server import PortalServer

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _config(tmp_path: Path, sources: list[dict]) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"settings": {"allow_private_networks": True}, "sources": sources}), "utf-8")
    return path


def _run(tmp_path: Path, config: Path, *args: str):
    return runner.invoke(app, ["--config", str(config), "--db", str(tmp_path / "m.db"), *args])


def test_validate_names_file_line_and_fix(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - id: a\n    type: ckan\n    url: https://x.fr\n    colour: red\n", "utf-8")
    result = runner.invoke(app, ["--config", str(bad), "sources", "validate"])
    assert result.exit_code == 2
    assert f"{bad}:5: sources[0].colour" in result.output and "fix:" in result.output


def test_example_sources_file_is_valid() -> None:
    result = runner.invoke(app, ["--config", str(ROOT / "config" / "sources.yaml"), "sources", "validate"])
    assert result.exit_code == 0, result.output
    assert "datasud" in result.output


def test_harvest_jobs_search_export(tmp_path: Path, server: PortalServer) -> None:
    sources = demo_portals(server, ROOT / "demo" / "data" / "ckan")
    config = _config(tmp_path, sources)
    harvested = _run(tmp_path, config, "harvest", "--all")
    assert harvested.exit_code == 0, harvested.output
    assert "demo-ckan" in harvested.output and "succeeded" in harvested.output

    jobs = _run(tmp_path, config, "jobs")
    assert jobs.exit_code == 0 and "demo-ckan" in jobs.output

    found = _run(tmp_path, config, "search", "--json", "transport")
    assert found.exit_code == 0, found.output
    assert '"total"' in found.output

    bad_facet = _run(tmp_path, config, "search", "x", "--facet", "colour=red")
    assert bad_facet.exit_code == 2 and "--facet takes k=v" in bad_facet.output

    out = tmp_path / "catalog.ttl"
    exported = _run(tmp_path, config, "export", "--format", "ttl", "--output", str(out))
    assert exported.exit_code == 0, exported.output
    graph = rdflib.Graph().parse(out, format="turtle")
    datasets = set(graph.subjects(rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/dcat#Dataset")))
    assert len(datasets) >= 20

    scored = _run(tmp_path, config, "score", "demo-ckan")
    assert scored.exit_code == 0, scored.output
    assert "fix first" in scored.output and "source:demo-ckan" in scored.output


def test_unknown_source_is_a_clear_error(tmp_path: Path) -> None:
    config = _config(tmp_path, [{"id": "a", "type": "dcat", "url": "http://127.0.0.1:9/x.ttl"}])
    result = _run(tmp_path, config, "harvest", "nope")
    assert result.exit_code == 2 and "unknown source 'nope'" in result.output


def test_search_over_a_limit_is_one_clear_line(tmp_path: Path) -> None:
    """Finding 1 through `moisson search` (issue 13): 3,000 nested parentheses segfaulted the command. Run as a
    child process, as a person runs it (a segfault would have killed pytest): now one line says why, exit code 2."""
    import subprocess
    import sys

    config = _config(tmp_path, [])
    for query, words in (("(" * 3000 + "a" + ")" * 3000, "at most 1000"), ("(" * 400 + "a" + ")" * 400, "nested")):
        child = subprocess.run([sys.executable, "-c", "from api.cli import app; app()", "--config", str(config),
                                "--db", str(tmp_path / "m.db"), "search", query],
                               cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert child.returncode == 2, (child.returncode, child.stderr[-1500:])
        assert "search refused" in child.stderr and words in child.stderr
        assert "Traceback" not in child.stderr


# -- issue 16: the index on either backend ----------------------------------------------------------------------


def _stored(tmp_path: Path, n: int) -> None:
    """A store of ``n`` records, as a harvest leaves it (records pending for the index)."""
    from index.store import JobCounts, Store
    from normalise.model import Dataset

    store = Store(tmp_path / "m.db")
    job = store.start_job("grenoble", "full")
    with store.transaction():
        for i in range(n):
            entry = Dataset(id=f"grenoble.{i}", source_id="grenoble", native_id=str(i), title=f"Budget {i}")
            store.upsert_entry(entry, entry.native_id, job)
    store.finish_job(job, "succeeded", JobCounts())
    store.close()


def test_index_status_and_reindex_on_both_backends(tmp_path: Path, es_url: str, monkeypatch) -> None:
    from index import close_indexes
    from index.elasticsearch_index import ElasticsearchIndex
    from tests.index.conftest import drop_alias

    config = _config(tmp_path, [])
    _stored(tmp_path, 4)
    monkeypatch.delenv("MOISSON_INDEX", raising=False)
    try:
        before = _run(tmp_path, config, "index", "status")
        assert before.exit_code == 0, before.output
        assert "tantivy" in before.output and "pending records │ 4" in before.output
        assert "never recorded" in before.output
        assert _run(tmp_path, config, "reindex").exit_code == 0
        after = _run(tmp_path, config, "index", "status")
        assert "documents       │ 4" in after.output and "(4 records)" in after.output
        close_indexes()
        location = f"{es_url}/cli-{tmp_path.name.lower()}"
        monkeypatch.setenv("MOISSON_INDEX", location)
        rebuilt = _run(tmp_path, config, "reindex")
        assert rebuilt.exit_code == 0 and "indexed 4 records" in rebuilt.output
        status = _run(tmp_path, config, "index", "status")
        assert status.exit_code == 0, status.output
        assert "elasticsearch" in status.output and "noida-db" in status.output and "(4 records)" in status.output
        found = _run(tmp_path, config, "search", "--json", "budget")
        assert '"total":4' in found.output
    finally:
        close_indexes()
        if "MOISSON_INDEX" in __import__("os").environ:
            drop_alias(ElasticsearchIndex(location))


def test_an_unreachable_cluster_is_one_line_and_exit_code_1(tmp_path: Path, monkeypatch) -> None:
    from demo.es_server import free_port
    from index import close_indexes

    config = _config(tmp_path, [])
    _stored(tmp_path, 1)
    monkeypatch.setenv("MOISSON_INDEX", f"http://user:secret@127.0.0.1:{free_port()}")
    try:
        for command in (["index", "status"], ["reindex"], ["search", "eau"]):
            result = _run(tmp_path, config, *command)
            assert result.exit_code == 1, (command, result.output)
            assert "error: Elasticsearch at http://127.0.0.1" in result.output and "cannot be reached" in result.output
            assert "Traceback" not in result.output and "secret" not in result.output
    finally:
        close_indexes()


def test_serve_with_two_worker_processes_answers_over_http(tmp_path: Path, server: PortalServer) -> None:
    """`moisson serve --workers 2`: two API processes behind one port, each with its own store connections and
    index reader, answering searches and records harvested before it started."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import psutil
    import requests

    config = _config(tmp_path, demo_portals(server, ROOT / "demo" / "data" / "ckan"))
    assert _run(tmp_path, config, "harvest", "--all").exit_code == 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("MOISSON_DB", "MOISSON_INDEX")}
    process = subprocess.Popen([sys.executable, "-m", "api.cli", "--db", str(tmp_path / "m.db"), "serve", "--port",
                                str(port), "--workers", "2", "--no-scheduler"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(240):
            try:
                found = requests.get(f"{base}/api/datasets?page_size=50", timeout=10)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stderr.read().decode()
                time.sleep(0.25)
        assert found.status_code == 200 and found.json()["total"] > 5
        record = found.json()["hits"][0]["id"]
        answers = {requests.get(f"{base}/api/datasets/{record}", timeout=10).status_code for _ in range(20)}
        assert answers == {200}
        assert requests.get(f"{base}/api/datasets/nope.0", timeout=10).status_code == 404
        workers = [child for child in psutil.Process(process.pid).children(recursive=True)
                   if "spawn_main" in " ".join(child.cmdline())]
        assert len(workers) >= 2
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_store_compact_rewrites_a_first_layout_store(tmp_path: Path) -> None:
    import shutil

    db = tmp_path / "old.db"
    shutil.copy(ROOT / "tests" / "index" / "legacy_store" / "moisson-v0.db", db)
    before = runner.invoke(app, ["--db", str(db), "store", "info"])
    assert before.exit_code == 0 and "run `moisson store compact`" in before.output
    size = db.stat().st_size
    compacted = runner.invoke(app, ["--db", str(db), "store", "compact"])
    assert compacted.exit_code == 0, compacted.output
    assert "rows rewritten: raw_records 59, records 59" in compacted.output
    after = runner.invoke(app, ["--db", str(db), "store", "info"])
    assert "layout: compact" in after.output and db.stat().st_size < size
