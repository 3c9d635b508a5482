"""`moisson stats` and `moisson obligations` over a real store: tables, CSV on stdout, snapshots, unmatched publishers,
bad options."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from index.obligations import trend
from index.store import JobCounts, Store
from normalise.model import Agent, Dataset

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "moisson.db"
    store = Store(path)
    for at, counts in (("2026-01-05T00:00:00+00:00", (10, 3)), ("2026-02-05T00:00:00+00:00", (25, 1))):
        with store.transaction():
            job = store.start_job("s", "full")
            for n, (publisher, value) in enumerate(zip(("Ville de Lyon", "Office de tourisme de Lyon"), counts,
                                                       strict=True)):
                record = Dataset(id=f"s.{n}", source_id="s", native_id=str(n), title=f"Jeu {n}",
                                 publisher=Agent(name=publisher), metrics={"downloads": value})
                store.upsert_entry(record, record.native_id, job)
                store.add_metric_samples(record, job, at)
        store.finish_job(job, "succeeded", JobCounts())
    store.close()
    return path


def test_stats_tables_and_csv(db: Path) -> None:
    result = runner.invoke(app, ["--db", str(db), "stats", "--by", "publisher"])
    assert result.exit_code == 0, result.output
    assert "Ville de Lyon" in result.stdout and "2026-02" in result.stdout
    result = runner.invoke(app, ["--db", str(db), "stats", "--by", "publisher", "--csv"])
    rows = {r["key"]: int(r["downloads"]) for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows == {"Ville de Lyon": 15, "Office de tourisme de Lyon": 1}  # 3 -> 1: a reset, 1 counted
    bad = runner.invoke(app, ["--db", str(db), "stats", "--by", "colour"])
    assert bad.exit_code == 2


def test_obligations_tables_csv_snapshot_and_publishers(db: Path) -> None:
    result = runner.invoke(app, ["--db", str(db), "obligations", "--departement", "69", "--status", "publishes"])
    assert result.exit_code == 0, result.output
    assert "commune:69123" in result.stdout and "France (national)" in result.stdout
    result = runner.invoke(app, ["--db", str(db), "obligations", "--status", "publishes", "--csv"])
    assert [r["id"] for r in csv.DictReader(io.StringIO(result.stdout))] == ["commune:69123"]
    result = runner.invoke(app, ["--db", str(db), "obligations", "snapshot", "--day", "2026-02-06"])
    assert result.exit_code == 0, result.output
    store = Store(db)
    try:
        assert [(p.day, p.direct) for p in trend(store)] == [("2026-02-06", 1)]
    finally:
        store.close()
    result = runner.invoke(app, ["--db", str(db), "obligations", "publishers", "--unmatched"])
    assert "Office de tourisme de Lyon" in result.stdout and "Ville de Lyon" not in result.stdout
    assert runner.invoke(app, ["--db", str(db), "obligations", "--status", "maybe"]).exit_code == 2
