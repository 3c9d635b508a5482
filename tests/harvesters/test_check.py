"""`moisson sources detect --all` on a loopback fleet (acceptance 4 of issue 17): a confirmed portal, a platform that
changed type, a moved portal, a dead host, a gone portal, a site that is no catalogue — each reported as it is."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from demo.portals.ckan import CkanPortal, load_recordings
from demo.portals.fleet import Gone, Homepage, Moved
from demo.portals.ods import OdsPortal
from demo.server import PortalServer
from harvesters.check import check_sources, counts, report_csv, report_markdown
from kernel.config import Config
from tests.conftest import make_config


def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once (a dead host)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fleet(server: PortalServer, fixtures: Path) -> Iterator[str]:
    """The sources file of a fleet: each source configured as a registry said, each portal as it is today."""
    recordings = load_recordings(sorted(fixtures.glob("ckan/*.json")))
    ods = server.mount("/ods", OdsPortal.from_dir(fixtures / "ods"))
    ckan = server.mount("/ckan", CkanPortal(recordings.packages, recordings.organizations))
    gone = server.mount("/gone", Gone())
    home = server.mount("/home", Homepage())
    with PortalServer() as elsewhere:
        moved = elsewhere.mount("", Moved(ods))
        yield f"""
            - {{id: confirmed, type: ods, url: "{ods}"}}
            - {{id: changed, type: ods, url: "{ckan}"}}
            - {{id: moved, type: ods, url: "{moved}"}}
            - {{id: dead, type: csw, url: "http://127.0.0.1:{closed_port()}/geonetwork/srv/fre/csw"}}
            - {{id: gone, type: ckan, url: "{gone}"}}
            - {{id: not-a-catalogue, type: dcat, url: "{home}/"}}
            - {{id: disabled, type: ckan, url: "{ckan}", enabled: false}}
        """


def config_of(sources: str) -> Config:
    return make_config(sources, http="{per_host_rps: 1000}")


def test_each_case_of_the_fleet_is_reported_as_it_is(fleet: str) -> None:
    config = config_of(fleet)
    checks = {c.source_id: c for c in check_sources([s for s in config.sources if s.enabled], config.settings,
                                                    workers=4)}
    assert {k: c.status for k, c in checks.items()} == {
        "confirmed": "confirmed", "changed": "changed", "moved": "redirect", "dead": "dead", "gone": "dead",
        "not-a-catalogue": "unknown"}
    assert checks["changed"].found_type == "ckan"  # configured ods: the portal now answers as a CKAN
    assert checks["moved"].moved_to is not None and checks["moved"].moved_to.startswith(config.sources[0].url)
    assert checks["moved"].found_type == "ods"  # and the moved portal is still an ODS there
    assert checks["dead"].answered is None and "does not answer" in checks["dead"].summary
    assert checks["gone"].answered == 404 and checks["gone"].summary == "answers HTTP 404"
    assert checks["not-a-catalogue"].answered == 200 and checks["not-a-catalogue"].evidence
    assert counts(list(checks.values())) == {"confirmed": 1, "changed": 1, "redirect": 1, "dead": 2, "unknown": 1}
    markdown = report_markdown(list(checks.values()), "fleet.yaml")
    assert "6 sources probed: 1 confirmed, 1 changed, 1 redirect, 2 dead, 1 unknown" in markdown
    assert markdown.index("| changed |") < markdown.index("| confirmed |")  # what needs a look comes first
    rows = report_csv(list(checks.values())).splitlines()
    assert rows[0].startswith("source,type,url,enabled,status") and len(rows) == 7


def test_a_confirmed_portal_is_checked_with_its_own_type_first(fleet: str, server: PortalServer) -> None:
    config = config_of(fleet)
    [check] = check_sources([config.source("confirmed")], config.settings)
    assert check.status == "confirmed"
    paths = [hit.path for hit in server.hits]
    assert not any("status_show" in p or "/api/1/site" in p for p in paths)  # no round of the other APIs


def test_the_command_probes_the_enabled_sources_and_writes_its_report(fleet: str, tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text("settings:\n  allow_private_networks: true\n  http: {per_host_rps: 1000}\nsources:\n"
                       + "\n".join("  " + line.strip() for line in fleet.strip().splitlines()) + "\n")
    report = tmp_path / "detect.md"
    result = CliRunner().invoke(app, ["--config", str(sources), "sources", "detect", "--all", "--report",
                                      str(report)])
    assert result.exit_code == 0, result.output
    assert "6 sources probed" in result.stdout and "redirect" in result.stdout
    text = report.read_text()
    assert "| disabled |" not in text and "| moved |" in text
    both = CliRunner().invoke(app, ["--config", str(sources), "sources", "detect", "--all", "--include-disabled",
                                    "--report", str(tmp_path / "detect.csv")])
    assert both.exit_code == 0 and "7 sources probed" in both.stdout
    assert "disabled,ckan" in (tmp_path / "detect.csv").read_text()
    refused = CliRunner().invoke(app, ["--config", str(sources), "sources", "detect", "--all", "http://x.fr"])
    assert refused.exit_code == 2
