"""Quality API, end to end over real HTTP: harvest a fixture portal, score, check links, read the reports.

Acceptance 3 (issue 6): the recorded CKAN portal is harvested with run_harvest (which scores the records, SHACL
included), its links are checked against a local file server (some files answer 200, some 404, one a 301 chain), and
the source report lists its fixes in the order of the gains this test computes itself from each record's
indicators; the HTML page renders them in that order.
Acceptance 4: SHACL results for the fixtures are stored with each record and shown by the API (JSON and HTML).
"""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest
from fastapi.testclient import TestClient
from lxml import etree
from lxml import html as lxml_html

from api.app import create_app
from api.pages import fr as french
from api.ratelimit import RateLimits
from api.report_cache import ReportCache
from demo.portals.ckan import CkanPortal, load_recordings
from demo.portals.dcat import demo_portals
from demo.server import PortalServer, Request, Response
from index.quality import report
from index.store import Store
from kernel.config import SourceConfig, parse_config
from normalise.model import Dataset, Distribution
from pipeline.harvest import run_harvest, sync_search_index
from pipeline.scoring import check_links, score_records
from scoring import shacl
from scoring.links import LinkChecker
from scoring.mqa import INDICATOR_BY_KEY, LinkStatus, score_entry
from tests.conftest import DEMO_DATA, make_config

FAST_HTTP = "{per_host_rps: 1000, retries: 0, timeout: 5}"


def _files(request: Request) -> Response:
    """The portal's files: /f/<n>; every third one is gone (404), /f/moved/<n> redirects twice to /f/<n>."""
    parts = request.path.strip("/").split("/")
    if parts[0] == "moved":
        hops = int(parts[2]) if len(parts) > 2 else 2
        target = f"{request.base_url}/{parts[1]}" if hops == 0 else f"{request.base_url}/moved/{parts[1]}/{hops - 1}"
        return Response(301, b"", {"Location": target})
    n = int(parts[0])
    if n % 3 == 0:
        return Response(404, b"gone")
    return Response(200, b"a;b\n1;2\n", content_type="text/csv")


def _portal(fixtures: Path, files: str) -> tuple[CkanPortal, dict[str, bool]]:
    """The recorded CKAN packages with every resource URL moved to the local file server; returns the portal and
    which URL answers (as this test arranged it, independently of the link checker)."""
    recordings = load_recordings(sorted((fixtures / "ckan").glob("*.json")))
    alive: dict[str, bool] = {}
    packages = []
    n = 0
    for package in recordings.packages:
        resources = []
        for resource in package.get("resources") or []:
            n += 1
            url = f"{files}/moved/{n}" if n == 5 else f"{files}/{n}"
            alive[url] = n % 3 != 0
            moved = {key: url for key in ("url", "access_url", "download_url") if resource.get(key)}  # ckanext-dcat
            resources.append({**resource, **moved, "url": url})
        packages.append({**package, "resources": resources})
    return CkanPortal(packages, recordings.organizations), alive


@pytest.fixture(scope="module")
def harvested(fixtures: Path, tmp_path_factory: pytest.TempPathFactory):
    """One harvest of the fixture portal, scored and link-checked, shared by the tests of this module."""
    store = Store(tmp_path_factory.mktemp("quality") / "moisson.db")
    with PortalServer() as server:
        files = server.mount("/f", _files)
        portal, alive = _portal(fixtures, files)
        url = server.mount("/ckan", portal)
        config = make_config(f"- {{id: fx, type: ckan, url: '{url}'}}", http=FAST_HTTP)
        result = run_harvest(store, config.sources[0], config)
        assert result.status == "succeeded" and result.counts.new == 23
        checked = check_links(store, LinkChecker(timeout=2, allow_private=True, per_host_rps=1000), source_id="fx")
        sync_search_index(store)  # rescored records are re-indexed, as `moisson check-links` does
    yield store, alive, checked
    store.close()


def _entries(store: Store) -> list[Dataset]:
    return [store.load_entry(r["data"]) for r in store.db.execute(
        "SELECT data FROM records WHERE source_id = 'fx' AND status = 'active' ORDER BY id")]


def expected_fixes(store: Store, alive: dict[str, bool]) -> list[tuple[str, float, int]]:
    """(indicator, points to gain, datasets) ranked as the report must: points lost summed over the records that miss
    the indicator, from link verdicts this test arranged and a SHACL verdict computed here for each record."""
    gain: Counter[str] = Counter()
    datasets: Counter[str] = Counter()
    for entry in _entries(store):
        links = {url: LinkStatus(ok) for url, ok in alive.items()}
        quality = score_entry(entry, links=links, shacl_conforms=shacl.validate_entry(entry).conforms_alone)
        for r in quality.indicators:
            assert r.checked, f"{entry.id}: {r.key} has no verdict"  # every link was checked, SHACL ran
            if r.points < r.max_points:
                gain[r.key] += r.max_points - r.points
                datasets[r.key] += 1
    ranked = sorted(gain, key=lambda k: (-round(gain[k], 1), k))
    return [(k, round(gain[k], 1), datasets[k]) for k in ranked]


def test_source_report_lists_fixes_in_order_of_gain(harvested) -> None:
    store, alive, checked = harvested
    assert checked == len(alive) >= 40  # every resource URL checked once
    expected = expected_fixes(store, alive)
    rep = report(store, source_id="fx", top=30)
    assert rep.datasets == 23
    assert [(f.indicator, f.gain, f.datasets) for f in rep.fix_first] == expected
    # what the arranged links must produce: a third of the files are gone, so reachability is a fix to make
    keys = [f.indicator for f in rep.fix_first]
    assert "access_url_reachable" in keys and "download_url_reachable" in keys
    assert all(f.fix == INDICATOR_BY_KEY[f.indicator].fix for f in rep.fix_first)
    assert all(i["not_checked"] == 0 for i in rep.indicators)  # links checked, SHACL run: every verdict known
    assert sum(rep.bands.values()) == sum(rep.histogram) == 23
    assert rep.shacl["validated"] == 23


def test_source_report_html_renders_the_fixes_in_order(harvested) -> None:
    store, alive, _ = harvested
    expected = [k for k, _, _ in expected_fixes(store, alive)][:10]
    client = TestClient(create_app(store.path))
    page = client.get("/api/sources/fx/quality", params={"format": "html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    doc = lxml_html.fromstring(page.text)
    assert [li.get("data-indicator") for li in doc.cssselect("ol.correctifs li")] == expected
    first = doc.cssselect("ol.correctifs li")[0].text_content()
    assert french.fix(expected[0]) in first and "points à gagner" in first  # in French, as every page
    assert doc.cssselect("svg.chart")  # the score histogram, inline
    bands = doc.cssselect("span.bande")
    rep = report(store, source_id="fx")
    assert f"bande-{rep.band}" in bands[0].get("class")
    assert "Indicateurs manqués" in page.text and "Règles françaises" in page.text
    # the same page by content negotiation, the JSON by default
    assert client.get("/api/sources/fx/quality", headers={"accept": "text/html"}).text == page.text
    data = client.get("/api/sources/fx/quality").json()
    assert [f["indicator"] for f in data["fix_first"]] == expected


def test_index_carries_the_scores_after_link_checks(harvested) -> None:
    store, _, _ = harvested
    client = TestClient(create_app(store.path))
    facets = client.get("/api/datasets", params={"page_size": 0, "source": "fx"}).json()["facets"]["quality_band"]
    rep = report(store, source_id="fx")
    assert {f["value"]: f["count"] for f in facets} == {k: v for k, v in rep.bands.items() if v}
    best = client.get("/api/datasets", params={"source": "fx", "sort": "-quality", "page_size": 1}).json()["hits"][0]
    top_score = store.db.execute("SELECT max(score) FROM quality").fetchone()[0]
    assert client.get(f"/api/datasets/{best['id']}/quality").json()["score"] == top_score


def test_dataset_quality_explains_each_indicator_and_link(harvested) -> None:
    store, alive, _ = harvested
    client = TestClient(create_app(store.path))
    broken = next(e for e in _entries(store) if any(alive.get(d.access_url or "") is False for d in e.distributions))
    data = client.get(f"/api/datasets/{broken.id}/quality").json()
    assert data["score"] == round(sum(i["points"] for i in data["indicators"]))
    by_key = {i["key"]: i for i in data["indicators"]}
    assert by_key["access_url_reachable"]["status"] in ("missed", "partly met")
    assert by_key["access_url_reachable"]["fix"].startswith("fix the broken access links")
    gone = [link for link in data["links"] if link["ok"] is False]
    assert gone and all(link["reason"] == "HTTP 404" for link in gone)
    assert data["shacl"]["validated"] is True
    assert {c["key"] for c in data["french"]} == {"licence_french_admin", "schema_known", "schema_version_known"}
    page = client.get(f"/api/datasets/{broken.id}/quality", params={"format": "html"})
    assert page.status_code == 200 and "HTTP 404" in page.text
    assert client.get("/api/datasets/fx.0000000000000000/quality").status_code == 404


def test_publisher_report_by_name_and_siren_and_badge(harvested) -> None:
    store, _, _ = harvested
    client = TestClient(create_app(store.path))
    names = Counter(e.publisher.name for e in _entries(store) if e.publisher)
    name, count = names.most_common(1)[0]
    by_name = client.get(f"/api/publishers/{quote(name, safe='')}/quality").json()
    assert by_name["datasets"] == count and by_name["scope"] == f"publisher:{name}"
    sirens = Counter(e.publisher.siren for e in _entries(store) if e.publisher and e.publisher.siren)
    if sirens:  # the recorded DataSud package names its organisation's SIRET
        siren, count = sirens.most_common(1)[0]
        assert client.get(f"/api/publishers/{siren}/quality").json()["datasets"] == count
    assert client.get("/api/publishers/nobody%2Fhere/quality").status_code == 404
    badge = client.get("/api/sources/fx/badge.svg")
    assert badge.status_code == 200 and badge.headers["content-type"] == "image/svg+xml"
    svg = etree.fromstring(badge.content)
    rep = report(store, source_id="fx")
    band = {"excellent": "excellente", "good": "bonne", "sufficient": "suffisante", "bad": "insuffisante"}[rep.band]
    assert svg.xpath("string(//*[local-name()='title'])") == f"qualité des métadonnées: {band} · {rep.mean:.0f}/405"
    assert client.get("/api/sources/nope/badge.svg").status_code == 404
    overview = client.get("/api/quality").json()
    assert [(s["source"], s["datasets"]) for s in overview["sources"]] == [("fx", 23)]
    assert client.get("/api/quality", params={"format": "html"}).status_code == 200


# -- acceptance 4: SHACL results stored and shown ----------------------------------------------------------------


def test_shacl_results_of_the_fixtures_are_stored_and_shown(server: PortalServer, store: Store) -> None:
    """The DCAT-US fixture (Évian's ArcGIS Hub data.json) has three datasets without a description: a DCAT-AP
    violation each, which the normaliser lists as a gap. The harvest validates every record and stores the verdicts;
    the API shows them in plain words."""
    entries = [e for e in demo_portals(server, DEMO_DATA / "dcat") if e["id"] == "demo-dcat-evian"]
    config = parse_config(orjson.dumps({"settings": {"allow_private_networks": True}, "sources": entries}).decode())
    assert run_harvest(store, config.sources[0], config).counts.new == 8
    rows = store.db.execute("SELECT q.record_id, q.shacl_conforms, q.shacl_violations, r.data FROM quality q "
                            "JOIN records r ON r.id = q.record_id").fetchall()
    assert len(rows) == 8 and all(row["shacl_conforms"] is not None for row in rows)
    failing = [row for row in rows if not row["shacl_conforms"]]
    assert len(failing) == 3
    for row in failing:
        violations = orjson.loads(store.unpack(row["shacl_violations"]))
        assert [v["gap"] for v in violations] == ["dct:description"]
        assert "dct:description" in store.load_entry(row["data"]).gaps  # the normaliser said so too
    client = TestClient(create_app(store.path))
    data = client.get(f"/api/datasets/{failing[0]['record_id']}/quality").json()
    assert data["shacl"]["conforms"] is False and data["shacl"]["summary"] == "1 DCAT-AP 3.0.1 violation(s) to fix"
    (violation,) = data["shacl"]["violations"]
    message = "The dataset has no description (dct:description): DCAT-AP requires at least 1."
    assert violation["message"] == message and violation["severity"] == "violation"
    assert next(i for i in data["indicators"] if i["key"] == "dcat_ap_compliance")["status"] == "missed"
    in_french = "Le jeu de données n'a pas de description (dct:description) : DCAT-AP en exige au moins 1."
    assert in_french in html.unescape(client.get(f"/api/datasets/{failing[0]['record_id']}/quality?format=html").text)
    source = client.get("/api/sources/demo-dcat-evian/quality").json()
    assert source["shacl"]["validated"] == 8 and source["shacl"]["conforming"] == 5
    assert source["shacl"]["violations"] == [{"focus_type": "dcat:Dataset", "path": "dct:description",
                                              "constraint": "minCount", "records": 3, "message": message}]
    assert in_french in html.unescape(client.get("/api/sources/demo-dcat-evian/quality?format=html").text)


def test_large_reports_are_computed_one_at_a_time_and_kept(harvested) -> None:
    """A report over many records (here: more than 10) waits for the one being computed, within a deadline, then
    gets a 503 with Retry-After; once computed, it is answered at once while the store does not change."""
    store = harvested[0]
    app = create_app(store.path)
    app.state.reports = reports = ReportCache(heavy_records=10, wait=0.2)
    client = TestClient(app)
    reports.heavy.acquire()  # another request is computing a large report
    try:
        for path in ("/api/quality", "/api/sources/fx/quality", "/api/sources/fx/badge.svg", "/sources/fx"):
            busy = client.get(path)
            assert busy.status_code == 503 and busy.headers["retry-after"] == "30", path
            assert "being computed for another request" in busy.text
    finally:
        reports.heavy.release()
    first = client.get("/api/quality")
    assert first.status_code == 200 and first.json()["all"]["datasets"] == 23
    reports.heavy.acquire()
    try:
        again = client.get("/api/quality")  # kept: the store has not changed since
        assert again.status_code == 200 and again.json() == first.json()
    finally:
        reports.heavy.release()


def test_a_script_looping_over_large_reports_is_limited(harvested) -> None:
    """Each large report computed counts against its client's limit: publisher names tried in a loop (every one a
    scan of the store) end in 429s; another client goes on."""
    app = create_app(harvested[0].path)
    app.state.reports = ReportCache(heavy_records=10)
    app.state.rate_limits = RateLimits({"report": "2/minute"})
    with TestClient(app) as client, TestClient(app, client=("203.0.113.9", 5000)) as other:
        codes = [client.get(f"/api/publishers/{name}/quality").status_code for name in ("A", "B", "C", "D")]
        assert codes == [404, 404, 429, 429]
        assert other.get("/api/publishers/A/quality").status_code == 404  # its own budget; A was kept meanwhile


def test_small_reports_follow_every_change(store: Store) -> None:
    """A report that costs little is computed again after any commit: what a portal fixes shows at once."""
    job = store.start_job("x", "full")
    with store.transaction():
        store.upsert_entry(Dataset(id="x.1", source_id="x", native_id="1", title="Arbres"), "1", job)
    store.ensure_source(SourceConfig(id="x", type="dcat", url="https://x.example/catalog.ttl"))
    score_records(store, source_id="x", shacl=False)
    client = TestClient(create_app(store.path))
    assert client.get("/api/sources/x/quality").json()["datasets"] == 1
    with store.transaction():
        store.upsert_entry(Dataset(id="x.2", source_id="x", native_id="2", title="Bancs"), "2", job)
    score_records(store, source_id="x", shacl=False)
    assert client.get("/api/sources/x/quality").json()["datasets"] == 2


def test_html_escapes_what_the_source_wrote(store: Store) -> None:
    """Titles and URLs are the sources' text: escaped, and only http(s) URLs become links."""
    entry = Dataset(id="x.1", source_id="x", native_id="1", title="<script>alert('t')</script>",
                    distributions=[Distribution(access_url="javascript:alert(1)", download_url="https://x.fr/a.csv")])
    with store.transaction():
        store.upsert_entry(entry, "1", store.start_job("x", "full"))
    client = TestClient(create_app(store.path))
    page = client.get("/api/datasets/x.1/quality", params={"format": "html"})  # scored on first request
    assert page.status_code == 200
    doc = lxml_html.fromstring(page.text)
    assert [s.get("src") for s in doc.cssselect("script")] == ["/static/moisson.js"]  # the site's only script
    assert "<script>alert('t')</script>" in doc.cssselect("h1")[0].text_content()
    assert [a.get("href") for a in doc.cssselect("a") if "alert" in (a.get("href") or "")] == []
    assert "javascript:alert(1)" in page.text  # shown as text, with its verdict


def test_cli_prints_the_same_report(harvested) -> None:
    from typer.testing import CliRunner

    from api.cli import app as cli_app

    store, alive, _ = harvested
    result = CliRunner().invoke(cli_app, ["--db", str(store.path), "score", "fx"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    expected = [INDICATOR_BY_KEY[k].label for k, _, _ in expected_fixes(store, alive)][:10]
    cells = [line.split("│")[1:-1] for line in result.output.splitlines() if line.startswith("│ ")]
    fixes = [row for row in cells if len(row) == 6 and row[0].strip().isdigit()]  # #, indicator, ..., what to do
    assert [row[1].strip() for row in fixes] == expected
    assert "DCAT-AP 3.0.1 (SHACL): 23 validated" in result.output and "French rules" in result.output
    cost = CliRunner().invoke(cli_app, ["--db", str(store.path), "shacl-cost", "--limit", "4", "--batch", "2"])
    assert cost.exit_code == 0 and "4 records:" in cost.output and "ms/record in batches of 2" in cost.output
