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
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

import index.elasticsearch_index as engine
import index.suggest as suggestions
from bench.index_engines import FORMATS, THEMES, WORDS, Corpus, queries
from demo.es_demo import facets_agree
from demo.es_server import free_port
from index import rebuild_index, sync_index
from index.analysis import analyze, ranks
from index.document import TEXT_FIELDS, to_document
from index.elasticsearch_index import SCHEMA_VERSION, ElasticsearchIndex
from index.query import parse
from index.search import (
    FACETS,
    FacetValue,
    IndexLockedError,
    IndexUnavailableError,
    SearchQuery,
    SearchTimeoutError,
    Suggestion,
)
from index.store import JobCounts, Store
from index.tantivy_index import TantivyIndex
from normalise.model import Agent, Dataset, Distribution, Spatial

from .conftest import FILE_TYPE, THEME, drop_alias
from .es_proxy import EsProxy, running_proxy


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
    assert [t["token"] for t in answer["tokens"]] == analyze(text)


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
    """The bench's query mix, and every form of the query language: alternatives, exclusions (alone, of a group,
    inside an alternative), groups, phrases (with a stop word inside), one-field words, and words whose plural or
    singular form the stemmer keeps apart."""
    rng = random.Random(16)
    words = [w for w in WORDS[:300] if len(w) > 3]
    out = [q for group in queries(6).values() for q in group]
    for _ in range(3):
        a, b, c, d = rng.sample(words, 4)
        out += [SearchQuery(q=f"{a} OR {b}"), SearchQuery(q=f"{a} -{b}"), SearchQuery(q=f"-{a}"),
                SearchQuery(q=f'"{a} {b}"'), SearchQuery(q=f'"{a} de {b}"'), SearchQuery(q=f"titre:{a}"),
                SearchQuery(q=f"motcle:{a} {b}"), SearchQuery(q=f"({a} OR {b}) {c}"),
                SearchQuery(q=f"({a} OR -{b}) -({c} OR {d})"), SearchQuery(q=f"{a} OR -{b}", sort="-modified"),
                SearchQuery(q=a, sort="-modified"), SearchQuery(q=a, sort="title"),
                SearchQuery(q=b, sort="popularity", page=2), SearchQuery(q=a, sort="quality", bbox=(2, 45, 4, 47)),
                SearchQuery(q=a, filters={"theme": [rng.choice(THEMES)], "format": [rng.choice(FORMATS)]})]
    out += [SearchQuery(q=q) for q in ("vélo", "vélos", "titre:vélos", "jeux", "réseau", "réseaux", "-vélo",
                                       "parking -parkings", "-(eau OR eaux)")]
    return out


SORT_FIELD = {"-modified": "modified", "modified": "modified", "title": "title_sort", "popularity": "popularity",
              "quality": "quality_score", "-quality": "quality_score", "relevance": "modified"}


def test_the_same_answers_as_tantivy_on_a_generated_catalog(es_index: ElasticsearchIndex, tmp_path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """600 records shaped like a national catalog (bench/index_engines.py), 78 queries: the same totals, the same
    facet counts (where more values tie at the last count shown than there is room for, each engine picks its own:
    demo.es_demo.facets_agree), for the sorts on a field (and queries that rank nothing) the same order of values
    (records that tie may come in another order: each engine breaks ties its own way), and the same spelling
    suggestions for misspelt words.

    Suggestions are compared with every near document read back (index.suggest.DOCUMENTS above the catalog's size):
    when more documents hold a near word than are read back, which ones is each engine's choice (tantivy takes them
    by fields matched then in index order, Elasticsearch by score), and the words offered may then differ."""
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
        if query.sort != "relevance" or not ranks(parse(query.q)):
            field = SORT_FIELD[query.sort]
            assert [docs[h["id"]][field] for h in found.hits] == [docs[h["id"]][field] for h in expected.hits], label
        checked += expected.total > 0
    assert checked > 60  # most queries find something: the comparison is not of empty answers
    monkeypatch.setattr(suggestions, "DOCUMENTS", 1000)
    offered = 0
    for n, word in enumerate(random.Random(15).sample([w for w in WORDS[:200] if len(w) > 5], 6)):
        typo = word[0] + word[2] + word[1] + word[3:]  # two letters swapped
        query = SearchQuery(q=typo) if n % 2 else SearchQuery(q=f"{typo} -eau", filters={"theme": [THEMES[0]]})
        expected = tantivy.suggest(query, limit=3)
        assert es_index.suggest(query, limit=3) == expected, query
        offered += bool(expected)
    assert offered >= 4  # most misspellings get a suggestion: the comparison is not of empty lists


# -- the alias, its index and rebuilds ------------------------------------------------------------------------------


def test_documents_live_in_a_versioned_index_behind_an_alias(es_index: ElasticsearchIndex) -> None:
    es_index.upsert([to_document(_records(1)[0])])
    es_index.commit()
    client = es_index.client
    assert list(client.indices.get_alias(name=es_index.alias).body) == [f"{es_index.alias}-v{SCHEMA_VERSION}-initial"]
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
    needs = rf"layout 0, this version needs {SCHEMA_VERSION}: run `moisson reindex`"
    with pytest.raises(IndexUnavailableError, match=needs):
        es_index.search(SearchQuery(q="budget"))
    _harvest(store, _records(4))
    assert rebuild_index(store, es_index) == 4
    assert es_index.search(SearchQuery(q="budget")).total == 2


def test_an_index_with_a_changed_mapping_asks_for_a_reindex(es_index: ElasticsearchIndex) -> None:
    client = es_index.client
    client.indices.create(index=f"{es_index.alias}-v{SCHEMA_VERSION}-edited",
                          aliases={es_index.alias: {"is_write_index": True}},
                          mappings={"_meta": {"moisson_schema": SCHEMA_VERSION}, "properties": {
                              "title": {"type": "text", "analyzer": "french"}, "source": {"type": "text"}}})
    with pytest.raises(IndexUnavailableError,
                       match=r"a mapping that differs on title, .* and \d+ more field\(s\): run `moisson reindex`"):
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
    assert status["index"] == f"{es_index.alias}-v{SCHEMA_VERSION}-initial" and status["layout"] == SCHEMA_VERSION
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


@pytest.fixture
def proxy(es_url: str) -> Iterator[EsProxy]:
    with running_proxy(es_url) as server:
        yield server


def _header(proxy: EsProxy, name: str) -> str | None:
    """A header of the last request the proxy saw."""
    headers = proxy.seen[-1][2]
    return next((value for key, value in headers.items() if key.lower() == name), None)


def _proxy_url(proxy: EsProxy, userinfo: str = "") -> str:
    return proxy.url(userinfo)


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


def test_bulk_items_refused_with_429_are_retried(proxy: EsProxy, new_index) -> None:
    index = new_index(_proxy_url(proxy), bulk_backoff=0.01)
    proxy.rewrite = _full_queues(2)
    index.upsert(to_document(entry) for entry in _records(50))
    index.commit()
    bulks = [path for method, path, _ in proxy.seen if path.split("?")[0].endswith("/_bulk")]
    assert len(bulks) == 3 and index.rejected == []
    assert index.count() == 50


def test_a_cluster_that_stays_overloaded_leaves_the_records_pending(proxy: EsProxy, new_index,
                                                                    store: Store) -> None:
    index = new_index(_proxy_url(proxy), bulk_backoff=0.01, bulk_retries=2)
    proxy.rewrite = _full_queues(1000)
    _harvest(store, _records(5))
    with pytest.raises(IndexUnavailableError, match=r"stayed overloaded \(429\) after 2 retries"):
        sync_index(store, index)
    assert len(store.pending_index()) == 5
    proxy.rewrite = lambda handler, body: None
    assert sync_index(store, index) == 5


def _refusing(proxy: EsProxy, record_id: str) -> Callable[[BaseHTTPRequestHandler, bytes], tuple[int, bytes] | None]:
    """Forward every bulk to the real server but the document ``record_id``, answered as a mapping the cluster
    cannot take (what a field over a limit, or a hand-changed mapping, gives)."""

    def rewrite(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes] | None:
        if not handler.path.split("?")[0].endswith("/_bulk"):
            return None
        lines = [line for line in body.splitlines() if line.strip()]
        kept, refused = [], None
        i = 0
        while i < len(lines):
            op, meta = next(iter(json.loads(lines[i]).items()))
            pair = lines[i:i + 2] if op == "index" else lines[i:i + 1]
            i += len(pair)
            if meta.get("_id") == record_id:
                refused = {op: {"_id": record_id, "status": 400, "error": {
                    "type": "document_parsing_exception", "reason": "[title] failed to parse"}}}
            else:
                kept.extend(pair)
        status, answer = proxy.upstream_answer(handler, b"\n".join(kept) + b"\n")
        data = json.loads(answer)
        if refused is not None:
            data["errors"] = True
            data["items"].append(refused)
        return status, json.dumps(data).encode()

    return rewrite


def test_a_document_the_cluster_refuses_is_said_and_not_sent_again(proxy: EsProxy, new_index,
                                                                   store: Store) -> None:
    """A refused document does not fail the sync nor come back on every sync; `index status` says it, and a change
    of the record tries again."""
    from index import index_status

    index = new_index(_proxy_url(proxy))
    proxy.rewrite = _refusing(proxy, "grenoble.3")
    records = _records(6)
    _harvest(store, records)
    assert sync_index(store, index) == 6
    assert index.count() == 5 and store.pending_index() == []
    assert sync_index(store, index) == 0  # not sent again
    status = index_status(store, index)
    assert status["refused records"].startswith("1 ") and "grenoble.3: document_parsing_exception" in status[
        "refused records"]
    proxy.rewrite = lambda handler, body: None
    _harvest(store, [records[3].model_copy(update={"title": "Jeu de données 3, corrigé"})])
    assert sync_index(store, index) == 1 and index.count() == 6
    assert "refused records" not in index_status(store, index)


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


def test_credentials_from_the_url_or_an_api_key(proxy: EsProxy, new_index,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    new_index(_proxy_url(proxy, "moisson:p%40ss@")).count()
    assert _header(proxy, "authorization") == "Basic " + base64.b64encode(b"moisson:p@ss").decode()
    monkeypatch.setenv(engine.API_KEY_ENV, "a2V5OnNlY3JldA==")
    keyed = ElasticsearchIndex.from_location(_proxy_url(proxy) + f"/{_alias()}")
    new_index(_proxy_url(proxy), alias=keyed.alias, api_key=keyed.api_key).count()
    assert _header(proxy, "authorization") == "ApiKey a2V5OnNlY3JldA=="


def test_refused_credentials_are_a_clear_error(proxy: EsProxy, new_index) -> None:
    proxy.rewrite = lambda handler, body: (401, json.dumps({
        "error": {"type": "security_exception", "reason": "unable to authenticate user [moisson]"},
        "status": 401}).encode())
    with pytest.raises(IndexUnavailableError, match="refused the credentials .* check the user:password"):
        new_index(_proxy_url(proxy, "moisson:wrong@")).count()


def test_a_server_of_another_major_version_names_the_client_to_install(proxy: EsProxy,
                                                                         new_index) -> None:
    """What an Elasticsearch 8 server answers a 9.x client (its compatibility header)."""
    proxy.rewrite = lambda handler, body: (400, json.dumps({
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


def test_a_server_that_is_not_elasticsearch_or_is_failing_is_a_clear_error(proxy: EsProxy,
                                                                           new_index) -> None:
    index = new_index(_proxy_url(proxy), search_timeout=2)
    index.count()
    proxy.rewrite = lambda handler, body: (503, json.dumps({
        "error": {"type": "search_phase_execution_exception", "reason": "all shards failed"}, "status": 503}).encode())
    with pytest.raises(IndexUnavailableError, match="answered 503 while searching .* overloaded or unhealthy"):
        index.search(SearchQuery(q="eau"))
    proxy.rewrite = lambda handler, body: None
    proxy.product = False  # a web server, not Elasticsearch
    with pytest.raises(IndexUnavailableError, match="does not answer as Elasticsearch does"):
        new_index(_proxy_url(proxy)).count()


# -- the search deadline (issue 13's SEARCH_DEADLINE, here by Elasticsearch's own means) -----------------------------


def test_a_search_past_the_deadline_ends_with_a_timeout(proxy: EsProxy, new_index,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A cluster that does not answer by the deadline, or answers that its shards ran out of time (a partial
    result: wrong totals), ends the search with SearchTimeoutError, which the API answers with a 503."""
    import index.search as limits

    index = new_index(_proxy_url(proxy))
    index.upsert(to_document(entry) for entry in _records(4))
    index.commit()
    monkeypatch.setattr(limits, "SEARCH_DEADLINE", 0.5)
    with proxy.holding_searches(), pytest.raises(SearchTimeoutError, match=r"not done within 0.5 s"):
        index.search(SearchQuery(q="budget"))
    searches = [json.loads(body) for (_, path, _), body in zip(proxy.seen, proxy.bodies, strict=True)
                if "/_search" in path]
    assert len(searches) == 1  # not retried after the deadline
    assert 0 < int(searches[0]["timeout"].removesuffix("ms")) <= 500  # the shards are told the time left

    def timed_out(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes] | None:
        if "/_search" not in handler.path:
            return None
        status, content = proxy.upstream_answer(handler, body)
        return status, json.dumps({**json.loads(content), "timed_out": True}).encode()

    proxy.rewrite = timed_out
    with pytest.raises(SearchTimeoutError):
        index.search(SearchQuery(q="budget"))
    assert index.suggest(SearchQuery(q="budgte")) == []  # an extra of an empty page: it does not fail the page
    proxy.rewrite = lambda handler, body: None
    assert index.search(SearchQuery(q="budget")).total == 2
    assert index.suggest(SearchQuery(q="budgte")) == [Suggestion("budget", 2)]
