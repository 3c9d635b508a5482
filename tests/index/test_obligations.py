"""The obligation monitor on a store harvested from fixture portals: direct and shared publication, quality, schemas,
rates that add up, snapshots and their trend, CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from index import obligations
from index.obligations import compute, socle_schemas, take_snapshot, to_csv, trend
from index.quality import score_and_store
from index.store import JobCounts, Store
from normalise.model import Agent, Dataset, Distribution, SchemaRef, Spatial
from tests.index.obligation_portals import harvest_fixture_portals


@pytest.fixture(scope="module")
def harvested(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    yield from harvest_fixture_portals(fixtures, tmp_path_factory)


def test_bodies_that_publish_directly_or_through_a_shared_portal(harvested: Store) -> None:
    monitor = compute(harvested, matches=None)
    bodies = {b.id: b for b in monitor.bodies}
    vanves = bodies["commune:92075"]
    assert vanves.status == "publishes" and vanves.sources == ["udata", "vanves"]
    # its udata organisation (SIREN) and data.gouv.fr's DCAT export of it (name only) describe the same two datasets:
    # counted once (issue 14), the sources of both copies listed
    assert vanves.datasets == 2
    assert set(vanves.publishers) <= {"Ville de Vanves", "Vanves"}
    assert vanves.last_update and vanves.last_update.startswith("20")
    evian = bodies["commune:74119"]
    assert evian.status == "publishes" and evian.datasets == 5 and evian.sources == ["evian"]
    gap_ca = bodies["epci:200067825"]
    assert gap_ca.status == "publishes" and gap_ca.datasets == 7
    # Gap publishes nothing itself; its agglomération publishes records about Gap alone: a shared portal
    gap = bodies["commune:05061"]
    assert (gap.status, gap.datasets, gap.shared_by) == ("shared", 0, ["epci:200067825"])
    assert gap.shared_datasets == 5
    assert bodies["commune:69123"].status == "none"
    assert len(monitor.bodies) == 4267


def test_rates_add_up(harvested: Store) -> None:
    rates = compute(harvested).rates()
    (national,) = rates["national"]
    assert (national.bodies, national.direct, national.shared) == (4267, 3, 1)
    assert national.rate == round(4 / 4267, 4)
    for name in ("by_type", "by_region"):
        assert sum(r.bodies for r in rates[name]) == national.bodies, name
        assert sum(r.compliant for r in rates[name]) == national.compliant, name
    by_type = {r.scope: r for r in rates["by_type"]}
    assert (by_type["type:commune"].direct, by_type["type:commune"].shared, by_type["type:epci"].direct) == (2, 1, 1)
    by_dep = {r.scope: r for r in rates["by_departement"]}
    assert by_dep["departement:05"].compliant == 2 and by_dep["departement:05"].label == "Hautes-Alpes"
    # régions have no département: the département table holds every other body
    assert sum(r.bodies for r in rates["by_departement"]) == national.bodies - 17


def test_filters_and_csv(harvested: Store) -> None:
    monitor = compute(harvested)
    alps = monitor.filtered(region="93", status="compliant")
    assert {b.id for b in alps} == {"commune:05061", "epci:200067825"}
    assert [b.id for b in monitor.filtered(type="commune", status="shared")] == ["commune:05061"]
    rows = list(csv.DictReader(io.StringIO(to_csv(monitor.filtered(departement="92", status="publishes")))))
    assert [(r["id"], r["status"], r["sources"]) for r in rows] == [("commune:92075", "publishes", "udata | vanves")]


def test_quality_and_socle_commun_schemas(store: Store) -> None:
    """Mean stored score over the body's records; a socle-commun schema declared by name or conformsTo URL."""
    records = [
        Dataset(id="s.1", source_id="s", native_id="1", title="Délibérations", publisher=Agent(name="Ville de Lyon"),
                distributions=[Distribution(access_url="https://x/1", schema=SchemaRef(name="scdl/deliberations"))]),
        Dataset(id="s.2", source_id="s", native_id="2", title="Budget", publisher=Agent(name="Ville de Lyon"),
                conforms_to=["https://schema.data.gouv.fr/scdl/budget/0.8.1/"]),
        Dataset(id="s.3", source_id="s", native_id="3", title="Autre", publisher=Agent(name="Ville de Lyon"),
                distributions=[Distribution(access_url="https://x/3", schema=SchemaRef(name="etalab/schema-lieux"))]),
        # Lyon's own dataset published by its métropole: shared, its schema counts for Lyon
        Dataset(id="s.4", source_id="s", native_id="4", title="Équipements", publisher=Agent(name="Métropole de Lyon"),
                spatial=[Spatial(communes=["69123"], departements=["69"], regions=["84"])],
                distributions=[Distribution(access_url="https://x/4", conforms_to=[
                    "https://schema.data.gouv.fr/schemas/scdl/equipements/latest/schema.json"])]),
    ]
    with store.transaction():
        job = store.start_job("s", "full")
        for record in records:
            store.upsert_entry(record, record.native_id, job)
    store.finish_job(job, "succeeded", JobCounts())
    scores = [score_and_store(store, r, "h").score for r in records]
    lyon = next(b for b in compute(store).bodies if b.id == "commune:69123")
    assert (lyon.status, lyon.datasets, lyon.shared_datasets) == ("publishes", 3, 1)
    assert lyon.schemas == ["scdl/budget", "scdl/deliberations", "scdl/equipements"]
    assert lyon.scored == 4 and lyon.quality == round(sum(scores) / 4, 1)
    metropole = next(b for b in compute(store).bodies if b.id == "epci:200046977")
    assert metropole.schemas == ["scdl/equipements"] and metropole.datasets == 1
    assert socle_schemas(["etalab/schema-irve-statique", "https://schema.data.gouv.fr/etalab/schema-irve/2.3.0/",
                          "https://example.org/scdl/budget"]) == {"etalab/schema-irve-statique", "etalab/schema-irve"}


def test_snapshots_make_a_trend(harvested: Store) -> None:
    monitor = compute(harvested)
    assert take_snapshot(harvested, day="2026-01-01", monitor=monitor) > 100
    take_snapshot(harvested, day="2026-01-01", monitor=monitor)  # the same day again replaces it
    take_snapshot(harvested, day="2026-02-01", monitor=monitor)
    points = trend(harvested)
    assert [(p.day, p.bodies, p.direct + p.shared) for p in points] == [("2026-01-01", 4267, 4),
                                                                        ("2026-02-01", 4267, 4)]
    assert [p.day for p in trend(harvested, "type:commune", start="2026-01-15")] == ["2026-02-01"]
    assert trend(harvested, "region:93")[0].as_dict()["compliant"] == 2


def test_snapshot_after_harvest_waits_for_the_last_running_job(harvested: Store) -> None:
    job = harvested.start_job("udata", "full")  # a harvest still running: no snapshot yet
    assert obligations.snapshot_after_harvest(harvested) is False
    harvested.finish_job(job, "succeeded", JobCounts())
    assert obligations.snapshot_after_harvest(harvested) is True
    assert trend(harvested)[-1].bodies == 4267


def test_the_monitor_is_cached_until_the_store_changes(harvested: Store) -> None:
    first = obligations.current(harvested)
    assert obligations.current(harvested) is first
    record = Dataset(id="x.1", source_id="x", native_id="1", title="t", publisher=Agent(name="Ville de Lyon"))
    with harvested.transaction():
        job = harvested.start_job("x", "full")
        harvested.upsert_entry(record, "1", job)
    harvested.finish_job(job, "succeeded", JobCounts())
    again = obligations.current(harvested)
    assert again is not first
    assert next(b for b in again.bodies if b.id == "commune:69123").status == "publishes"


def test_a_harvest_through_the_runner_writes_todays_snapshot(fixtures: Path, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from demo.portals.udata import ADDITIONS, DATASUD, VANVES, UdataPortal, load_portal_data
    from demo.server import PortalServer
    from pipeline.runner import run_one
    from tests.conftest import DEMO_DATA, make_config

    portal = UdataPortal(*load_portal_data(fixtures / "ckan" / DATASUD, fixtures / "dcat" / VANVES,
                                           DEMO_DATA / "udata" / ADDITIONS))
    with PortalServer() as server:
        config = make_config(f"- {{id: udata, type: udata, url: '{server.mount('/udata', portal)}'}}",
                             http="{retries: 0, per_host_rps: 1000}")
        result = run_one(tmp_path / "moisson.db", config.sources[0], config, mode="full", index_after=False)
    assert result.status == "succeeded"
    store = Store(tmp_path / "moisson.db")
    try:
        (point,) = trend(store)
        assert point.day == datetime.now(UTC).date().isoformat()
        assert (point.direct, point.shared) == (2, 1)  # Vanves and the CA publish; Gap through the CA's portal
    finally:
        store.close()
