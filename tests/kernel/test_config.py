"""kernel.config: the spread of the default schedule (issue 17) and the registry provenance of generated entries."""

from __future__ import annotations

import pytest

from kernel.config import ConfigError, parse_config, source_schedule
from tests.conftest import make_config


def test_a_source_without_schedule_gets_a_stable_minute_within_the_window() -> None:
    config = make_config("""
        - {id: a, type: ckan, url: "https://a.example.fr"}
        - {id: b, type: ckan, url: "https://b.example.fr"}
        - {id: c, type: ckan, url: "https://c.example.fr", schedule: "5 2 * * 1"}
    """, default_schedule='"30 22 * * *"', schedule_spread_minutes=240)
    a, b, c = config.sources
    crons = [source_schedule(s, config.settings) for s in (a, b)]
    assert crons == [source_schedule(s, config.settings) for s in (a, b)]  # same id, same minute
    assert crons[0] != crons[1]
    for cron in crons:
        minute, hour, *rest = cron.split()
        at = int(hour) * 60 + int(minute)
        assert at >= 22 * 60 + 30 or at < 2 * 60 + 30  # 22:30 to 02:29, across midnight
        assert rest == ["*", "*", "*"]
    assert source_schedule(c, config.settings) == "5 2 * * 1"  # its own schedule is kept


def test_no_spread_keeps_the_default_schedule_as_written() -> None:
    config = make_config('- {id: a, type: ckan, url: "https://a.example.fr"}', default_schedule='"*/30 * * * *"',
                         schedule_spread_minutes=0)
    assert source_schedule(config.sources[0], config.settings) == "*/30 * * * *"


@pytest.mark.parametrize(("cron", "spread", "message"), [
    ("*/30 * * * *", 60, "plain numbers"),
    ("0 22 * * 1", 240, "crosses midnight"),
])
def test_a_default_schedule_that_cannot_be_spread_is_refused_with_the_fix(cron: str, spread: int,
                                                                          message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(f'settings:\n  default_schedule: "{cron}"\n  schedule_spread_minutes: {spread}\nsources: []\n')


def test_registry_provenance_is_checked_like_the_rest_of_the_entry() -> None:
    good = """sources:
  - id: opendata-aude-fr
    type: ods
    url: https://opendata.aude.fr
    registry:
      records: [cdi:opendataaudefr]
      operator: {name: "Département de l'Aude", siren: "221100019", body: departement:11, confidence: 1.0,
                 rule: siren}
"""
    source = parse_config(good).sources[0]
    assert source.registry is not None and source.registry.operator is not None
    assert source.registry.operator.body == "departement:11" and source.registry.endpoint == "listed"
    with pytest.raises(ConfigError, match=r":7: sources\[0\]\.registry\.operator\.siren"):
        parse_config(good.replace('"221100019"', '"2211"'))
    with pytest.raises(ConfigError, match="records"):
        parse_config(good.replace("records: [cdi:opendataaudefr]", "records: []"))
