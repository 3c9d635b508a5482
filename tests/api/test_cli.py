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
