"""On-demand Table Schema validation with frictionless, over real HTTP on loopback: valid and invalid CSV files, the
size cap, files that cannot be validated; then the same through the API (?validate=1) and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli_app
from demo.server import PortalServer, Request, Response
from index.store import Store
from normalise.model import Dataset, Distribution, SchemaRef
from scoring import tableschema
from tests.conftest import make_config

SCHEMA = (Path(__file__).parent / "data" / "arbres.schema.json").read_bytes()
CSV = "http://publications.europa.eu/resource/authority/file-type/CSV"
GOOD = "id,espece,hauteur_m,plante_le,commune_insee\n1,Platane,32.5,1850-03-01,69123\n2,Chêne,18,,2A004\n"
BAD = ("id,espece,hauteur_m,plante_le,commune_insee\n1,Platane,haut,1850-03-01,69123\n1,,18,2020-13-01,6912\n"
       "3,If,-2,2001-01-01,75056\n")


def _files(request: Request) -> Response:
    bodies = {"/schema.json": (SCHEMA, "application/json"), "/good.csv": (GOOD.encode(), "text/csv"),
              "/bad.csv": (BAD.encode(), "text/csv"), "/big.csv": (GOOD.encode() * 2000, "text/csv"),
              "/not-a-schema.json": (b'{"type": "object"}', "application/json")}
    if request.path not in bodies:
        return Response(404, b"no")
    body, kind = bodies[request.path]
    return Response(200, body, content_type=kind)


def record(base: str) -> Dataset:
    schema = SchemaRef(url=f"{base}/schema.json")
    return Dataset(id="t.1", source_id="t", native_id="1", title="Arbres", distributions=[
        Distribution(download_url=f"{base}/good.csv", format=CSV, schema=schema),
        Distribution(download_url=f"{base}/bad.csv", format=CSV, schema=schema),
        Distribution(download_url=f"{base}/notice.pdf", format_label="PDF", schema=schema),
        Distribution(download_url=f"{base}/other.csv", format=CSV,
                     schema=SchemaRef(url=f"{base}/not-a-schema.json")),
        Distribution(download_url=f"{base}/plain.csv", format=CSV),  # declares nothing: not a target
    ])


def test_each_declared_file_is_validated_or_says_why_not(server: PortalServer) -> None:
    base = server.mount("/d", _files)
    http = tableschema.validation_client(allow_private=True)
    try:
        results = tableschema.validate_entry(record(base), http)
    finally:
        http.close()
    by_url = {r.url.rsplit("/", 1)[1]: r for r in results if r.url}
    assert list(by_url) == ["good.csv", "bad.csv", "notice.pdf", "other.csv"]
    good = by_url["good.csv"]
    assert (good.status, good.rows, good.errors) == ("valid", 2, [])
    bad = by_url["bad.csv"]
    assert bad.status == "invalid" and bad.rows == 3
    found = {(e["row"], e["field"], e["type"]) for e in bad.errors}
    assert found == {
        (2, "hauteur_m", "type-error"),  # "haut" is not a number
        (3, "espece", "constraint-error"),  # required
        (3, "plante_le", "type-error"),  # month 13
        (3, "commune_insee", "constraint-error"),  # pattern: 4 digits
        (3, None, "primary-key"),  # id 1 again
        (4, "hauteur_m", "constraint-error"),  # minimum 0
    }
    assert all(e["message"] for e in bad.errors)
    assert (by_url["notice.pdf"].status, by_url["notice.pdf"].reason) == (
        "not validated", "only CSV files are validated against a Table Schema")
    assert (by_url["other.csv"].status, by_url["other.csv"].reason) == (
        "not validated", "the schema is not a Table Schema (no list of fields)")
    fetched = [hit.path for hit in server.hits]
    assert fetched.count("/d/schema.json") == 1  # one schema download for the files that share it
    assert "/d/notice.pdf" not in fetched and "/d/plain.csv" not in fetched


def test_download_is_capped(server: PortalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    base = server.mount("/d", _files)
    monkeypatch.setattr(tableschema, "MAX_MB", 0.05)  # 50 kB; big.csv is about 150 kB
    entry = Dataset(id="t.2", source_id="t", native_id="2", title="Gros", distributions=[
        Distribution(download_url=f"{base}/big.csv", format=CSV, schema=SchemaRef(url=f"{base}/schema.json"))])
    http = tableschema.validation_client(allow_private=True)
    try:
        (result,) = tableschema.validate_entry(entry, http)
    finally:
        http.close()
    assert (result.status, result.reason) == ("not validated", "the file is larger than the 0.05 MB validation limit")


def test_a_catalogue_schema_resolves_to_its_published_url() -> None:
    name, url, problem = tableschema.schema_location(SchemaRef(name="scdl/catalogue", version="0.1.3"))
    assert (name, url, problem) == ("scdl/catalogue 0.1.3",
                                    "https://schema.data.gouv.fr/schemas/scdl/catalogue/0.1.3/schema.json", None)
    assert tableschema.schema_location(SchemaRef(name="etalab/schema-bal"))[2] == (
        "etalab/schema-bal is not a Table Schema (schema.data.gouv.fr type: other)")
    assert tableschema.schema_location(SchemaRef(name="scdl/budget", version="7"))[2] == "scdl/budget has no version 7"


def test_private_addresses_are_refused_by_default(server: PortalServer) -> None:
    base = server.mount("/d", _files)
    http = tableschema.validation_client()
    try:
        results = tableschema.validate_entry(record(base), http)
    finally:
        http.close()
    assert results[0].status == "not validated" and results[0].reason.startswith("cannot download the schema")
    assert server.hits == []


def _stored(store: Store, entry: Dataset) -> None:
    with store.transaction():
        job = store.start_job(entry.source_id, "full")
        store.upsert_entry(entry, entry.native_id, job)


def test_api_validates_on_demand(server: PortalServer, store: Store) -> None:
    base = server.mount("/d", _files)
    entry = record(base)
    _stored(store, entry)
    app = create_app(store.path)
    app.state.config = make_config("- {id: t, type: dcat, url: 'http://127.0.0.1/'}")
    client = TestClient(app)
    plain = client.get(f"/api/datasets/{entry.id}/quality").json()
    assert "schema_validation" not in plain and server.hits == []  # nothing downloaded unless asked
    data = client.get(f"/api/datasets/{entry.id}/quality", params={"validate": 1}).json()
    assert [v["status"] for v in data["schema_validation"]] == ["valid", "invalid", "not validated", "not validated"]
    page = client.get(f"/api/datasets/{entry.id}/quality", params={"validate": 1, "format": "html"})
    assert "Validation des fichiers CSV selon leur schéma" in page.text and "Type error in the cell" in page.text


def test_cli_validate_schema(server: PortalServer, tmp_path: Path) -> None:
    base = server.mount("/d", _files)
    config = tmp_path / "sources.yaml"
    config.write_text(yaml.safe_dump({"settings": {"allow_private_networks": True}, "sources": []}), "utf-8")
    db = tmp_path / "m.db"
    store = Store(db)
    _stored(store, record(base))
    store.close()
    result = CliRunner().invoke(cli_app, ["--config", str(config), "--db", str(db), "validate-schema", "t.1"])
    assert result.exit_code == 1, result.output  # one file is invalid
    assert "valid" in result.output and "invalid" in result.output and "hauteur_m" in result.output
    missing = CliRunner().invoke(cli_app, ["--config", str(config), "--db", str(db), "validate-schema", "t.nope"])
    assert missing.exit_code == 2


def test_repeated_validation_downloads_each_file_version_once(server: PortalServer, store: Store) -> None:
    """Finding 7 (issue 13): GET .../quality?validate=1 is anonymous and downloaded every file again on each call
    (four calls, eight downloads): an amplifier against portals. Verdicts are now kept per file version: a second
    call within the hour asks nothing; a later one asks with the file's validators and reuses the verdict on a 304."""
    etag = '"v1"'

    def versioned(request: Request) -> Response:
        response = _files(request)
        if {k.lower(): v for k, v in request.headers.items()}.get("if-none-match") == etag:
            return Response(304, b"")
        response.headers["ETag"] = etag
        return response

    base = server.mount("/v", versioned)
    entry = record(base)
    _stored(store, entry)
    app = create_app(store.path)
    app.state.config = make_config("- {id: t, type: dcat, url: 'http://127.0.0.1/'}")
    client = TestClient(app)
    first = client.get(f"/api/datasets/{entry.id}/quality", params={"validate": 1}).json()["schema_validation"]
    downloads = len(server.hits)
    assert downloads == 4  # two CSV files and two schemas
    for _ in range(3):
        again = client.get(f"/api/datasets/{entry.id}/quality", params={"validate": 1}).json()["schema_validation"]
        assert again == first
    assert len(server.hits) == downloads  # nothing asked again within the hour
    app.state.validations.expire_all()  # as if the hour had passed
    assert client.get(f"/api/datasets/{entry.id}/quality", params={"validate": 1}).json()["schema_validation"] == first
    asked_again = [hit for hit in server.hits[downloads:]]
    assert len(asked_again) == 4 and all(hit.status == 304 for hit in asked_again)  # asked, not downloaded
