"""What is the Elasticsearch backend's own: tantivy's analysis rebuilt on the server, the same answers as tantivy on
a generated catalog, the alias and its versioned index, zero-downtime rebuilds, 429s retried, credentials, and clear
errors for a cluster that is down, of another layout or of another major version.

The server is the session's Elasticsearch-compatible one (tests/conftest.py). Faults a healthy server never makes
(queues full, a server of another major version) come from a small HTTP proxy in front of it that rewrites some
answers: the client, the bulk helper and moisson's code all run for real."""

from __future__ import annotations

import base64
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

import index.elasticsearch_index as engine
from bench.index_engines import FORMATS, THEMES, WORDS, Corpus, queries
from demo.es_demo import facets_agree
from demo.es_server import free_port
from index import rebuild_index, sync_index
from index.document import TEXT_FIELDS, to_document
from index.elasticsearch_index import EXTRA_STOPWORDS, FRENCH_STOPWORDS, ElasticsearchIndex
from index.query import word_forms
from index.search import FACETS, FacetValue, IndexLockedError, IndexUnavailableError, SearchQuery
from index.store import JobCounts, Store
from index.tantivy_index import TantivyIndex, french_analyzer
from normalise.model import Agent, Dataset, Distribution, Spatial

from .conftest import FILE_TYPE, THEME, drop_alias


def _alias() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def new_index(es_url: str) -> Iterator[Callable[..., ElasticsearchIndex]]:
    """Indexes on fresh aliases (or through a proxy), all dropped at the end."""
    made: list[ElasticsearchIndex] = []

    def make(url: str = es_url, **options: Any) -> ElasticsearchIndex:
        index = ElasticsearchIndex(url, **{"alias": _alias(), **options})
        made.append(index)
        return index

    yield make
    for index in made:
        drop_alias(ElasticsearchIndex(es_url, alias=index.alias))


def _harvest(store: Store, entries: list[Dataset]) -> None:
    job = store.start_job("grenoble", "full")
    with store.transaction():
        for entry in entries:
            store.upsert_entry(entry, entry.native_id, job)
    store.finish_job(job, "succeeded", JobCounts())


def _records(n: int) -> list[Dataset]:
    return [Dataset(id=f"grenoble.{i}", source_id="grenoble", native_id=str(i), title=f"Jeu de données {i}",
                    keywords=["budget" if i % 2 else "vélo"]) for i in range(n)]


# -- analysis and mapping -------------------------------------------------------------------------------------------


def test_the_stop_words_are_tantivys() -> None:
    analyzer = french_analyzer()
    for word in (*FRENCH_STOPWORDS, *EXTRA_STOPWORDS):
        assert analyzer.analyze(word) == [], word
    assert analyzer.analyze("été données") == ["ete", "donne"]  # "été" is not on tantivy's list: kept


TEXTS = [
    "Qualité de l'eau potable, transports écoles Vélos jeux 2024-01 bâtiments électricité énergie consommée",
    "L'Île-de-France aujourd'hui : Œuvres, cœur, naïve, Noël, ÇA, straße, ĳ ; São Paulo — 3e arrondissement",
    "Hôpitaux, chevaux, travaux ; nationales, nationaux ; organisations, organisationnelles ; x" + "y" * 45,
    "Elle était là ; ils sont ici ; nous aurions eu ; qu'il fût ; jusqu'à lorsqu'on puisqu'il",
]


@pytest.mark.parametrize("text", TEXTS)
def test_the_server_analyses_text_as_tantivy_does(es_index: ElasticsearchIndex, text: str) -> None:
    es_index.count()  # creates the index with its analyzer
    answer = es_index.client.indices.analyze(index=es_index.alias, analyzer=engine.ANALYZER, text=text).body
    assert [t["token"] for t in answer["tokens"]] == french_analyzer().analyze(text)


def test_every_document_field_is_mapped() -> None:
    """A field added to index.document.to_document must be mapped here (a line in FIELDS), or it is stored but not
    searchable on Elasticsearch: this test names it."""
    entry = Dataset(id="a.1", source_id="a", native_id="1", title="t", description="d", keywords=["k"],
                    publisher=Agent(name="p", siren="123456789"), themes=[THEME + "ENVI"],
                    distributions=[Distribution(format=FILE_TYPE + "CSV")], modified="2024-01-01",
                    spatial=[Spatial(bbox=(1, 2, 3, 4), departements=["69"], regions=["84"])])
    source = engine.es_source(to_document(entry))
    properties = engine.mappings()["properties"]
    assert set(source) - set(properties) == set()
    assert {name: properties[name]["type"] for name in FACETS} == {name: "keyword" for name in FACETS}
    assert all(properties[name] == {"type": "text", "analyzer": engine.ANALYZER} for name in TEXT_FIELDS)


# -- the same answers as tantivy --------------------------------------------------------------------------------------


def _parity_queries() -> list[SearchQuery]:
    """The bench's query mix, and the query language's forms. Exclusions and groups use words whose plural forms
    stem alike: tantivy's parser of today (before issue 13) does not expand words after '-' or inside '('."""
    analyzer = french_analyzer()
    rng = random.Random(16)
    words = [w for w in WORDS[:300] if len(w) > 3]
    plain = [w for w in words if len({tuple(analyzer.analyze(f)) for f in word_forms(w)}) == 1]
    out = [q for group in queries(6).values() for q in group]
    for _ in range(6):
        a, b, c = rng.sample(words, 3)
        x, y = rng.sample(plain, 2)
        out += [SearchQuery(q=f"{a} OR {b}"), SearchQuery(q=f"{a} -{y}"), SearchQuery(q=f'"{a} {b}"'),
                SearchQuery(q=f"title:{a}"), SearchQuery(q=f"({x} OR {y}) {c}"), SearchQuery(q=a, sort="-modified"),
                SearchQuery(q=a, sort="title"), SearchQuery(q=b, sort="popularity", page=2),
                SearchQuery(q=a, sort="quality", bbox=(2, 45, 4, 47)),
                SearchQuery(q=a, filters={"theme": [rng.choice(THEMES)], "format": [rng.choice(FORMATS)]})]
    return out


SORT_FIELD = {"-modified": "modified", "modified": "modified", "title": "title_sort", "popularity": "popularity",
              "quality": "quality_score", "-quality": "quality_score", "relevance": "modified"}


def test_the_same_answers_as_tantivy_on_a_generated_catalog(es_index: ElasticsearchIndex, tmp_path) -> None:
    """600 records shaped like a national catalog (bench/index_engines.py), 84 queries: the same totals, the same
    facet counts (where more values tie at the last count shown than there is room for, each engine picks its own:
    demo.es_demo.facets_agree), and for the sorts on a field the same order of values (records that tie may come
    in another order: each engine breaks ties its own way)."""
    tantivy = TantivyIndex(tmp_path / "tantivy", result_cache=0)
    docs: dict[str, dict[str, Any]] = {}
    for batch in Corpus(600).batches(300):
        tantivy.upsert(batch)
        es_index.upsert(batch)
        docs.update((doc["id"], doc) for doc in batch)
    tantivy.commit()
    es_index.commit()
    tantivy.close()
    assert tantivy.count() == es_index.count() == 600
    checked = 0
    for query in _parity_queries():
        expected, found = tantivy.search(query), es_index.search(query)
        label = (query.q, query.sort, query.filters, query.bbox)
        assert found.total == expected.total, label
        assert facets_agree(found.facets, expected.facets, query.facet_size), label
        if query.sort != "relevance" or not query.q:
            field = SORT_FIELD[query.sort]
            assert [docs[h["id"]][field] for h in found.hits] == [docs[h["id"]][field] for h in expected.hits], label
        checked += expected.total > 0
    assert checked > 50  # most queries find something: the comparison is not of empty answers


# -- the alias, its index and rebuilds ------------------------------------------------------------------------------


def test_documents_live_in_a_versioned_index_behind_an_alias(es_index: ElasticsearchIndex) -> None:
    es_index.upsert([to_document(_records(1)[0])])
    es_index.commit()
    client = es_index.client
    assert list(client.indices.get_alias(name=es_index.alias).body) == [f"{es_index.alias}-v1-initial"]
    template = client.indices.get_index_template(name=f"{es_index.alias}-template").body["index_templates"][0]
    assert template["index_template"]["index_patterns"] == [f"{es_index.alias}-v*"]
    assert ElasticsearchIndex(es_index.hosts[0], alias=es_index.alias).count() == 1  # another process sees it


def test_a_rebuild_swaps_the_alias_while_searches_keep_answering(es_index: ElasticsearchIndex, store: Store) -> None:
    """Acceptance 3 of issue 16: searches in a loop while `moisson reindex` rebuilds; none fails or comes back
    empty or partial, some ran while the new index was being filled, and the alias ends on the new index."""
    _harvest(store, _records(1000))
    assert sync_index(store, es_index) == 1000
    before = list(es_index.client.indices.get_alias(name=es_index.alias).body)
    reader = ElasticsearchIndex(es_index.hosts[0], alias=es_index.alias)  # an API process
    answers: list[tuple[float, float, int]] = []
    failures: list[BaseException] = []
    done = threading.Event()

    def search_in_a_loop() -> None:
        while not done.is_set() and len(answers) < 10_000:
            started = time.monotonic()
            try:
                total = reader.search(SearchQuery(q="données", page_size=5, facets=("source",))).total
            except BaseException as exc:  # noqa: BLE001 - any failure is what this test looks for
                failures.append(exc)
                continue
            answers.append((started, time.monotonic(), total))

    thread = threading.Thread(target=search_in_a_loop)
    thread.start()
    try:
        time.sleep(0.5)
        began = time.monotonic()
        assert rebuild_index(store, es_index) == 1000
        ended = time.monotonic()
        time.sleep(0.5)
    finally:
        done.set()
        thread.join(timeout=60)
    assert failures == []
    assert {total for _, _, total in answers} == {1000}
    inside = sum(began < start and end < ended for start, end, _ in answers)
    assert inside >= 5, f"only {inside} searches ran during the rebuild"  # about 40 on the reference machine
    after = list(es_index.client.indices.get_alias(name=es_index.alias).body)
    assert after != before and len(after) == 1 and not es_index.client.indices.exists(index=before[0])
    settings = es_index.client.indices.get_settings(index=after[0]).body[after[0]]["settings"]["index"]
    assert "refresh_interval" not in settings and settings.get("blocks", {}).get("write") != "true"
    assert es_index.search(SearchQuery(q="vélo")).total == 500


def test_a_harvest_during_a_rebuild_leaves_its_records_pending_then_indexed(es_index: ElasticsearchIndex,
                                                                            store: Store) -> None:
    _harvest(store, _records(10))
    sync_index(store, es_index)
    target = es_index.begin_rebuild()
    store.mark_all_unindexed()
    sync_index(store, target)
    _harvest(store, [Dataset(id="grenoble.99", source_id="grenoble", native_id="99", title="Stationnement")])
    es_index.upsert([{"id": "x"}])
    with pytest.raises(IndexLockedError, match="being rebuilt"):
        es_index.commit()
    assert sync_index(store, es_index) == 0  # the harvest's own sync: refused, logged, left pending
    assert [row[0] for row in store.pending_index()] == ["grenoble.99"]
    assert sync_index(store, target) == 1
    es_index.finish_rebuild(target)
    assert es_index.search(SearchQuery(q="stationnement")).total == 1
    assert sync_index(store, es_index) == 0 and es_index.count() == 11


def test_a_second_rebuild_waits_and_an_abandoned_one_is_cleared(es_index: ElasticsearchIndex, store: Store,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _harvest(store, _records(5))
    sync_index(store, es_index)
    abandoned = es_index.begin_rebuild()  # a reindex that died without finishing
    with pytest.raises(IndexLockedError, match=r"being rebuilt by process \d+ on .*since"):
        rebuild_index(store, es_index)
    assert es_index.describe()["rebuild"].startswith(abandoned.target)
    assert es_index.search(SearchQuery()).total == 5  # searching works meanwhile
    monkeypatch.setattr(engine, "BUILD_STALE_AFTER", 0.0)
    assert rebuild_index(store, es_index) == 5
    assert not es_index.client.indices.exists(index=abandoned.target)
    assert es_index.describe()["rebuild"] == "none"
    es_index.upsert([to_document(_records(6)[5])])
    es_index.commit()  # the write block is gone
    assert es_index.count() == 6


def test_an_index_of_another_layout_asks_for_a_reindex(es_index: ElasticsearchIndex, store: Store) -> None:
    client = es_index.client
    client.indices.create(index=f"{es_index.alias}-v0-old", mappings={"_meta": {"moisson_schema": 0}},
                          aliases={es_index.alias: {"is_write_index": True}})
    with pytest.raises(IndexUnavailableError, match=r"layout 0, this version needs 1: run `moisson reindex`"):
        es_index.search(SearchQuery(q="budget"))
    _harvest(store, _records(4))
    assert rebuild_index(store, es_index) == 4
    assert es_index.search(SearchQuery(q="budget")).total == 2


def test_an_index_with_a_changed_mapping_asks_for_a_reindex(es_index: ElasticsearchIndex) -> None:
    client = es_index.client
    client.indices.create(index=f"{es_index.alias}-v1-edited", aliases={es_index.alias: {"is_write_index": True}},
                          mappings={"_meta": {"moisson_schema": 1}, "properties": {
                              "title": {"type": "text", "analyzer": "french"}, "source": {"type": "text"}}})
    with pytest.raises(IndexUnavailableError, match=r"a mapping that differs on title, .*source.*moisson reindex"):
        es_index.count()


def test_an_index_named_like_the_alias_is_not_taken_over(es_url: str) -> None:
    index = ElasticsearchIndex(es_url, alias=_alias())
    index.client.indices.create(index=index.alias)
    try:
        with pytest.raises(IndexUnavailableError, match="exists and is not an alias made by moisson"):
            index.count()
    finally:
        index.client.indices.delete(index=index.alias)
        drop_alias(index)


def test_status_names_the_server_the_alias_and_the_sync(es_index: ElasticsearchIndex, store: Store) -> None:
    from index import index_status

    _harvest(store, _records(3))
    sync_index(store, es_index)
    _harvest(store, [_records(4)[3]])
    status = index_status(store, es_index)
    assert status["backend"] == "elasticsearch" and status["documents"] == 3 and status["pending records"] == 1
    assert status["index"] == f"{es_index.alias}-v1-initial" and status["layout"] == 1
    assert "noida-db" in status["server"] and "Elasticsearch API 8." in status["server"]
    assert status["last sync"].endswith("(3 records)")


def test_a_full_buffer_is_sent_before_the_commit_and_the_commit_shows_it(es_index: ElasticsearchIndex,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "BUFFER_LIMIT", 3)
    es_index.upsert(to_document(entry) for entry in _records(10))
    assert es_index._pending and len(es_index._pending) < 3  # nine sent in three bulks, one waiting
    es_index.commit()
    assert es_index.count() == 10


# -- failures: a cluster down, overloaded, of another version; credentials -------------------------------------------


class _Proxy(BaseHTTPRequestHandler):
    """Forwards to the real server; ``server.rewrite(handler, body)`` may answer instead."""

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.server.seen.append((self.command, self.path, dict(self.headers)))  # type: ignore[attr-defined]
        answer = self.server.rewrite(self, body)  # type: ignore[attr-defined]
        if answer is None:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            upstream = requests.request(self.command, self.server.upstream + self.path,  # type: ignore[attr-defined]
                                        data=body, headers=headers, timeout=60)
            answer = (upstream.status_code, upstream.content)
        status, content = answer
        self.send_response(status)
        self.send_header("content-type", "application/json")
        if self.server.product:  # type: ignore[attr-defined]
            self.send_header("x-elastic-product", "Elasticsearch")
        self.send_header("content-length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def proxy(es_url: str) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    server.upstream, server.seen, server.product = es_url, [], True  # type: ignore[attr-defined]
    server.rewrite = lambda handler, body: None  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _header(proxy: ThreadingHTTPServer, name: str) -> str | None:
    """A header of the last request the proxy saw."""
    headers = proxy.seen[-1][2]  # type: ignore[attr-defined]
    return next((value for key, value in headers.items() if key.lower() == name), None)


def _proxy_url(proxy: ThreadingHTTPServer, userinfo: str = "") -> str:
    return f"http://{userinfo}127.0.0.1:{proxy.server_address[1]}"


def _full_queues(times: int) -> Callable[[BaseHTTPRequestHandler, bytes], tuple[int, bytes] | None]:
    """Answer the first ``times`` bulk requests as a cluster whose write queues are full: every item 429."""
    left = [times]

    def rewrite(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes] | None:
        if not handler.path.split("?")[0].endswith("/_bulk") or left[0] == 0:
            return None
        left[0] -= 1
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        items = [{op: {"_id": meta["_id"], "status": 429, "error": {"type": "es_rejected_execution_exception",
                                                                     "reason": "rejected execution (queue full)"}}}
                 for entry in lines for op, meta in entry.items() if op in ("index", "delete")]
        return 200, json.dumps({"took": 1, "errors": True, "items": items}).encode()

    return rewrite


def test_bulk_items_refused_with_429_are_retried(proxy: ThreadingHTTPServer, new_index) -> None:
    index = new_index(_proxy_url(proxy), bulk_backoff=0.01)
    proxy.rewrite = _full_queues(2)  # type: ignore[attr-defined]
    index.upsert(to_document(entry) for entry in _records(50))
    index.commit()
    bulks = [path for method, path, _ in proxy.seen if path.split("?")[0].endswith("/_bulk")]  # type: ignore
    assert len(bulks) == 3 and index.rejected == []
    assert index.count() == 50


def test_a_cluster_that_stays_overloaded_leaves_the_records_pending(proxy: ThreadingHTTPServer, new_index,
                                                                    store: Store) -> None:
    index = new_index(_proxy_url(proxy), bulk_backoff=0.01, bulk_retries=2)
    proxy.rewrite = _full_queues(1000)  # type: ignore[attr-defined]
    _harvest(store, _records(5))
    with pytest.raises(IndexUnavailableError, match=r"stayed overloaded \(429\) after 2 retries"):
        sync_index(store, index)
    assert len(store.pending_index()) == 5
    proxy.rewrite = lambda handler, body: None  # type: ignore[attr-defined]
    assert sync_index(store, index) == 5


def test_an_unreachable_cluster_is_a_clear_error_without_the_password() -> None:
    index = ElasticsearchIndex(f"http://moisson:s3cret@127.0.0.1:{free_port()}/catalogue")
    with pytest.raises(IndexUnavailableError, match=r"cannot be reached while .*start it, or fix MOISSON_INDEX") \
            as caught:
        index.search(SearchQuery(q="eau"))
    assert "s3cret" not in str(caught.value) and "/catalogue" in str(caught.value)
    assert index.location.endswith("/catalogue") and "s3cret" not in index.location


def test_a_ca_file_is_checked_before_any_request(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(engine.CA_CERTS_ENV, str(tmp_path / "missing.pem"))
    with pytest.raises(IndexUnavailableError, match="missing.pem: no such file"):
        ElasticsearchIndex.from_location("https://es.example:9200")
    (tmp_path / "ca.pem").write_text("not checked further here")
    monkeypatch.setenv(engine.CA_CERTS_ENV, str(tmp_path / "ca.pem"))
    with pytest.raises(IndexUnavailableError, match="a CA file is for https:// clusters"):
        ElasticsearchIndex.from_location("http://es.example:9200")
    assert ElasticsearchIndex.from_location("https://es.example:9200").ca_certs == str(tmp_path / "ca.pem")


def test_credentials_from_the_url_or_an_api_key(proxy: ThreadingHTTPServer, new_index,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    new_index(_proxy_url(proxy, "moisson:p%40ss@")).count()
    assert _header(proxy, "authorization") == "Basic " + base64.b64encode(b"moisson:p@ss").decode()
    monkeypatch.setenv(engine.API_KEY_ENV, "a2V5OnNlY3JldA==")
    keyed = ElasticsearchIndex.from_location(_proxy_url(proxy) + f"/{_alias()}")
    new_index(_proxy_url(proxy), alias=keyed.alias, api_key=keyed.api_key).count()
    assert _header(proxy, "authorization") == "ApiKey a2V5OnNlY3JldA=="


def test_refused_credentials_are_a_clear_error(proxy: ThreadingHTTPServer, new_index) -> None:
    proxy.rewrite = lambda handler, body: (401, json.dumps({  # type: ignore[attr-defined]
        "error": {"type": "security_exception", "reason": "unable to authenticate user [moisson]"},
        "status": 401}).encode())
    with pytest.raises(IndexUnavailableError, match="refused the credentials .* check the user:password"):
        new_index(_proxy_url(proxy, "moisson:wrong@")).count()


def test_a_server_of_another_major_version_names_the_client_to_install(proxy: ThreadingHTTPServer,
                                                                         new_index) -> None:
    """What an Elasticsearch 8 server answers a 9.x client (its compatibility header)."""
    proxy.rewrite = lambda handler, body: (400, json.dumps({  # type: ignore[attr-defined]
        "error": {"type": "media_type_header_exception", "reason": "Invalid media-type value on headers "
                  "[Accept, Content-Type]", "root_cause": [{"type": "media_type_header_exception", "reason":
                  "Accept version must be either version 8 or 7, but found 9. Accept=application/vnd.elasticsearch"
                  "+json; compatible-with=9"}]}, "status": 400}).encode())
    with pytest.raises(IndexUnavailableError, match=r"install the client of the server's major version"):
        new_index(_proxy_url(proxy)).search(SearchQuery(q="eau"))


def test_facets_agree_up_to_the_values_tied_at_the_last_count() -> None:
    def facet(*pairs: tuple[str, int]) -> dict[str, list[FacetValue]]:
        return {"keyword": [FacetValue(value, count) for value, count in pairs]}

    assert facets_agree(facet(("a", 5), ("b", 1)), facet(("a", 5), ("c", 1)), 2)  # b and c tie at the cutoff
    assert not facets_agree(facet(("a", 5), ("b", 2)), facet(("a", 5), ("c", 1)), 2)
    assert not facets_agree(facet(("a", 5), ("b", 1)), facet(("a", 4), ("b", 1)), 2)
    assert not facets_agree(facet(("a", 5)), facet(("a", 5), ("b", 1)), 2)
    assert not facets_agree(facet(("a", 5), ("b", 1)), facet(("a", 5), ("b", 1), ("c", 1)), 3)
    assert not facets_agree(facet(("a", 5), ("b", 1)), facet(("a", 5), ("c", 1)), 3)  # nothing was cut off


def test_a_server_that_is_not_elasticsearch_or_is_failing_is_a_clear_error(proxy: ThreadingHTTPServer,
                                                                           new_index) -> None:
    index = new_index(_proxy_url(proxy), search_timeout=2)
    index.count()
    proxy.rewrite = lambda handler, body: (503, json.dumps({  # type: ignore[attr-defined]
        "error": {"type": "search_phase_execution_exception", "reason": "all shards failed"}, "status": 503}).encode())
    with pytest.raises(IndexUnavailableError, match="answered 503 while searching .* overloaded or unhealthy"):
        index.search(SearchQuery(q="eau"))
    proxy.rewrite = lambda handler, body: None  # type: ignore[attr-defined]
    proxy.product = False  # type: ignore[attr-defined]  # a web server, not Elasticsearch
    with pytest.raises(IndexUnavailableError, match="does not answer as Elasticsearch does"):
        new_index(_proxy_url(proxy)).count()
