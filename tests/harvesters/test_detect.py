"""detect() against a local server of every source type (acceptance 3), and `moisson sources detect`."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from api.cli import app
from demo.portals.ckan import CkanPortal, load_recordings
from demo.portals.ods import OdsPortal
from demo.portals.static import StaticFiles
from demo.portals.udata import ADDITIONS, DATASUD, VANVES, UdataPortal, load_portal_data
from demo.portals.web import WebSite
from demo.server import PortalServer, Request, Response
from harvesters.detect import append_source, detect, probe_client
from kernel.config import HttpSettings, parse_config
from kernel.http import HttpClient
from tests.conftest import DEMO_DATA

RECORDS_CONFORMANCE = ["http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
                       "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/core",
                       "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/json"]


def csw_app(capabilities: bytes) -> object:
    """A CSW endpoint answering GetCapabilities with the recorded pycsw document, an exception report otherwise."""
    def app(request: Request) -> Response:
        if (request.arg("request") or "").lower() == "getcapabilities":
            return Response(200, capabilities, content_type="application/xml")
        report = (b'<?xml version="1.0"?><ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows" version="1.2.0">'
                  b'<ows:Exception exceptionCode="MissingParameterValue" locator="request"/></ows:ExceptionReport>')
        return Response(400, report, content_type="application/xml")
    return app


def records_app(conformance: list[str]) -> object:
    """A small OGC API landing page with its conformance declaration."""
    def app(request: Request) -> Response:
        if request.path in ("/", ""):
            body = {"title": "Catalogue OGC API de démonstration", "links": [
                {"rel": "self", "href": request.base_url + "/", "type": "application/json"},
                {"rel": "conformance", "href": request.base_url + "/conformance", "type": "application/json"},
                {"rel": "data", "href": request.base_url + "/collections", "type": "application/json"}]}
        elif request.path == "/conformance":
            body = {"conformsTo": conformance}
        else:
            return Response(404, b'{"code": "NotFound"}')
        return Response(200, json.dumps(body).encode())
    return app


@pytest.fixture
def portals(server: PortalServer, fixtures: Path) -> Iterator[dict[str, str]]:
    """One local server of every type; the website on a server of its own (robots.txt lives at a host's root)."""
    urls = {
        "ckan": server.mount("/ckan", CkanPortal(*_ckan(fixtures))),
        "ods": server.mount("/ods", OdsPortal.from_dir(fixtures / "ods")),
        "udata": server.mount("/udata", UdataPortal(*load_portal_data(
            fixtures / "ckan" / DATASUD, fixtures / "dcat" / VANVES, DEMO_DATA / "udata" / ADDITIONS))),
        "csw": server.mount("/csw", csw_app((fixtures / "csw" / "pycsw_apiso-inspire_GetCapabilities.xml")
                                            .read_bytes())),
        "ogcapi-records": server.mount("/records", records_app(RECORDS_CONFORMANCE)),
        "ogcapi-features": server.mount("/features", records_app(RECORDS_CONFORMANCE[:1])),
    }
    static = StaticFiles({
        "/catalog.rdf": fixtures / "dcat" / "udata_data.gouv.fr_org_catalog.rdf.xml",
        "/catalog.ttl": fixtures / "dcat" / "semic_geodcat-ap-2.0.0_example-dataset.ttl",
        "/data.json": fixtures / "dcat" / "udata_evian_arcgis-hub_dcat-us-1.1.json",
        "/plain.html": b"<!doctype html><html><head><title>Mairie</title></head><body><h1>Bienvenue</h1></body></html>",
        "/vocab.ttl": b"@prefix skos: <http://www.w3.org/2004/02/skos/core#> . <urn:x> a skos:Concept .",
    })
    urls["static"] = server.mount("/static", static)
    with PortalServer() as site_server:
        urls["web"] = site_server.mount("", WebSite(DEMO_DATA / "web" / "site"))
        yield urls


def _ckan(fixtures: Path) -> tuple:
    recordings = load_recordings(sorted(fixtures.glob("ckan/*.json")))
    return recordings.packages, recordings.organizations


def probe(allow_private: bool) -> HttpClient:
    """The probing client, with a per-host rate fit for loopback (the default, 4 requests/s, is for real portals)."""
    return probe_client(HttpSettings(per_host_rps=1000), allow_private=allow_private)


def found(url: str) -> tuple[str | None, str]:
    result = detect(url, probe(True))
    return result.type, result.url


@pytest.mark.parametrize("kind", ["ckan", "ods", "udata", "csw", "ogcapi-records"])
def test_each_api_type_is_named(portals: dict[str, str], kind: str) -> None:
    result = detect(portals[kind] + "/", probe(True))
    # an API is named at its root; a CSW endpoint is kept exactly as given (its path is the service)
    assert (result.type, result.url) == (kind, portals[kind] + ("/" if kind == "csw" else ""))
    assert result.confidence >= 0.9 and result.evidence


def test_api_found_from_a_deeper_address(portals: dict[str, str]) -> None:
    assert found(portals["ods"] + "/explore/dataset/vulnerability/") == ("ods", portals["ods"])
    assert found(portals["ckan"] + "/api/3/action/package_search?rows=1") == ("ckan", portals["ckan"])
    assert found(portals["udata"] + "/api/1/datasets/") == ("udata", portals["udata"])


def test_documents_and_pages(portals: dict[str, str]) -> None:
    static = portals["static"]
    assert found(static + "/catalog.rdf") == ("dcat", static + "/catalog.rdf")
    assert found(static + "/catalog.ttl") == ("dcat", static + "/catalog.ttl")
    assert found(static + "/data.json") == ("dcat", static + "/data.json")
    assert found(portals["web"] + "/") == ("web", portals["web"] + "/")
    # a page that only links a DCAT feed: harvest the feed itself
    assert found(portals["web"] + "/catalogue.html") == ("dcat", portals["web"] + "/catalogue.ttl")


def test_cannot_tell_says_so(portals: dict[str, str]) -> None:
    plain = detect(portals["static"] + "/plain.html", probe(True))
    assert plain.type is None and not plain.found
    assert "cannot tell" in plain.evidence[-1]
    assert any("status_show" in line for line in plain.evidence)  # what was tried is listed
    rdf = detect(portals["static"] + "/vocab.ttl", probe(True))
    assert rdf.type is None and any("without any dcat:Dataset" in line for line in rdf.evidence)
    features = detect(portals["ogcapi-features"], probe(True))
    assert features.type is None and any("not OGC API - Records" in line for line in features.evidence)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = detect(f"http://127.0.0.1:{port}/", probe(True))
    assert dead.type is None and "does not answer" in dead.evidence[-1]
    blocked = detect(portals["ods"], probe(False))
    assert blocked.type is None and any("allow_private_networks" in line for line in blocked.evidence)


def test_source_entry_and_append(tmp_path: Path, portals: dict[str, str]) -> None:
    result = detect(portals["udata"], probe(True))
    entry = result.source_entry("demo-udata")
    assert entry == {"id": "demo-udata", "type": "udata", "url": portals["udata"],
                     "name": "data.demo — udata de démonstration"}
    config = tmp_path / "sources.yaml"
    config.write_text("# my portals\nsettings:\n  allow_private_networks: true\nsources:\n"
                      "  - id: first\n    type: ckan\n    url: https://ckan.example.fr\n    # keep me\n", "utf-8")
    append_source(config, entry)
    text = config.read_text("utf-8")
    assert "# my portals" in text and "# keep me" in text
    assert [s.id for s in parse_config(text).sources] == ["first", "demo-udata"]
    with pytest.raises(Exception, match="duplicate id"):
        append_source(config, entry)
    assert config.read_text("utf-8") == text  # an invalid result is not written


def test_cli_prints_yaml_and_writes(tmp_path: Path, portals: dict[str, str]) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text("settings:\n  allow_private_networks: true\n  http: {per_host_rps: 1000}\nsources: []\n",
                      "utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["--config", str(config), "sources", "detect", portals["ods"], "--id", "ods-local"])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout) == [{"id": "ods-local", "type": "ods", "url": portals["ods"]}]
    assert parse_config(config.read_text("utf-8")).sources == []  # printing only
    result = runner.invoke(app, ["--config", str(config), "sources", "detect", portals["ods"], "--id", "ods-local",
                                 "--write"])
    assert result.exit_code == 0, result.output
    assert [(s.id, s.type) for s in parse_config(config.read_text("utf-8")).sources] == [("ods-local", "ods")]
    result = runner.invoke(app, ["--config", str(config), "sources", "detect", portals["static"] + "/plain.html"])
    assert result.exit_code == 1 and "cannot tell" in result.output
