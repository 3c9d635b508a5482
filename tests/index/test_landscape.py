"""index.landscape: the registries' portals as a sources file that validates, with bodies, régions, publisher hints
only for portals hosting no other body, and a report that counts what it says (acceptance 1 of issue 17)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest

from index.landscape import Landscape, build, counts, report_csv, report_markdown, sources_yaml, write
from kernel.config import SOURCE_TYPES, parse_config
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def landscape() -> Landscape:
    return build(overrides=[])


def test_several_hundred_enabled_sources_covering_every_type_that_validate(landscape: Landscape) -> None:
    config = parse_config(sources_yaml(landscape))
    enabled = [s for s in config.sources if s.enabled]
    assert len(enabled) >= 400
    assert {s.type for s in enabled} == set(SOURCE_TYPES)
    assert all(s.registry is not None and s.registry.records for s in config.sources)
    assert config.settings.schedule_spread_minutes == 300


def test_the_committed_file_is_what_the_registries_give_today(landscape: Landscape) -> None:
    """config/sources.france.yaml is generated: regenerate it (`moisson sources import-registry`) when the
    registries, the reference or the rules change."""
    committed = (ROOT / "config" / "sources.france.yaml").read_text("utf-8")
    assert committed == sources_yaml(build()), "config/sources.france.yaml is stale: run `moisson sources " \
        "import-registry --report config/sources.france.report.md` and commit both"


def test_an_operator_and_the_bodies_it_hosts_are_linked(landscape: Landscape) -> None:
    rennes = next(s for s in landscape.sources if s.entry.id == "data-rennesmetropole-fr")
    assert rennes.operator is not None and rennes.operator.body == "epci:243500139"  # Rennes Métropole
    hosts = {h.siren: h for h in rennes.hosts}
    assert hosts["213500010"].body == "commune:35001" and hosts["213500010"].rule == "siren"
    assert rennes.region == "53" and "publisher" not in rennes.item  # a shared platform: no hint
    aude = next(s for s in landscape.sources if s.entry.id == "opendata-aude-fr")
    assert aude.item["publisher"] == {"name": "Département de l'Aude", "siren": "221100019"}
    datagouv = next(s for s in landscape.sources if s.entry.id == "data-gouv-fr")
    assert datagouv.region is None and len(datagouv.hosts) > 500 and "publisher" not in datagouv.item


def test_the_report_counts_what_the_file_holds(landscape: Landscape) -> None:
    c = counts(landscape)
    assert sum(e + d for e, d in c["by_type"].values()) == c["entries"] == len(landscape.sources)
    assert sum(e for e, _ in c["by_region"].values()) == c["enabled"]
    assert c["left"] == sum(c["left_by_reason"].values()) > 0
    assert set(c["left_by_reason"]) >= {"map-viewer", "map-server", "no-endpoint"}
    markdown = report_markdown(landscape)
    assert f"**{c['entries']} sources** ({c['enabled']} enabled" in markdown
    assert "| Bretagne (53) |" in markdown and "## Conflicts between registries" in markdown
    assert "| cdi:datanovalapostefr |" in markdown  # a conflict: ODF 2022 said OpenDataSoft, CDI says Data Fair
    rows = list(csv.DictReader(io.StringIO(report_csv(landscape))))
    assert len(rows) == c["records"]  # every registry record, once
    outcomes = Counter(row["outcome"] for row in rows)
    assert outcomes == {"source": c["entries"], "merged": c["merged"], "left": c["left"]}


def test_regenerating_keeps_the_settings_of_the_file_it_replaces(landscape: Landscape, tmp_path: Path) -> None:
    output = tmp_path / "france.yaml"
    write(landscape, output)
    first = output.read_text()
    assert "schedule_spread_minutes: 300    # ...each at its own minute" in first  # moisson's, with their comments
    output.write_text(first.replace("contact: moisson@example.org", "contact: opendata@ministere.gouv.fr"))
    write(landscape, output)
    again = parse_config(output.read_text())
    assert again.settings.contact == "opendata@ministere.gouv.fr" and again.settings.max_concurrent_harvests == 4
    assert len(again.sources) == len(landscape.sources)
