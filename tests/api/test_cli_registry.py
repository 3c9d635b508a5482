"""`moisson sources import-registry`: the file it writes validates, the report says what it did, and a bad registry
is a clear error that writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from harvesters.registries import REGISTRY_DIR


def test_import_registry_writes_a_sources_file_that_validates_and_its_report(tmp_path: Path) -> None:
    output, report = tmp_path / "france.yaml", tmp_path / "france.md"
    result = CliRunner().invoke(app, ["sources", "import-registry", "--output", str(output), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "enabled" in result.stdout and "ogcapi-records" in result.stdout
    valid = CliRunner().invoke(app, ["--config", str(output), "sources", "validate"])
    assert valid.exit_code == 0, valid.output
    assert "sources, valid" in valid.stdout
    text = report.read_text()
    assert "## Left out, and why" in text and "map-viewer" in text
    csv_report = tmp_path / "france.csv"
    again = CliRunner().invoke(app, ["sources", "import-registry", "--output", str(output), "--report",
                                     str(csv_report)])
    assert again.exit_code == 0 and csv_report.read_text().startswith("registry,record,name,homepage,outcome")


def test_one_registry_alone_gives_its_own_sources(tmp_path: Path) -> None:
    """--registry chooses the evidence: OpenDataFrance 2022 alone gives only weak (disabled) entries."""
    output = tmp_path / "odf.yaml"
    result = CliRunner().invoke(app, ["sources", "import-registry", "--registry",
                                      str(REGISTRY_DIR / "opendatafrance-2022"), "--output", str(output)])
    assert result.exit_code == 0, result.output
    text = output.read_text()
    assert "enabled: true" not in text and "enabled: false" in text and "odf-2022:" in text


def test_a_bad_registry_is_an_error_and_nothing_is_written(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"name": "no id"}) + "\n")
    output = tmp_path / "never.yaml"
    result = CliRunner().invoke(app, ["sources", "import-registry", "--registry", str(bad), "--output", str(output)])
    assert result.exit_code == 2 and "nothing written" in result.stderr and "bad.jsonl:1" in result.stderr
    assert not output.exists()
