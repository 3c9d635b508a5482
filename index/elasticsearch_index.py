"""The search index on an Elasticsearch cluster, for a national service that outgrows one machine.

Why Elasticsearch: data.gouv.fr, data.europa.eu and GeoNetwork search with it, so operators know how to run,
replicate and monitor it; moisson uses only its documented REST API through the official client, so any cluster of
the client's major version serves (see the README's "Scaling out" for what was checked and against which server).

Same documents, same answers as the embedded tantivy index (:mod:`index.tantivy_index`):

- the documents are :func:`index.document.to_document`'s, flattened once; the mapping is built from the same field
  lists (:data:`index.document.TEXT_FIELDS` with their weights, :data:`index.search.FACETS` as keyword fields,
  :data:`FIELDS` for the rest), so a field added there needs one line here at most;
- the text analysis is :mod:`index.analysis`'s, rebuilt as a custom analyzer: split on anything not a letter or
  digit, drop tokens of 40 bytes or more, lower case, the Snowball French stop words tantivy uses plus the extra list
  (elisions), accents folded, then the Snowball French stemmer. Not Elasticsearch's stock ``french`` analyzer: its
  light stemmer finds other documents, and the totals must be the same on both backends;
- the engine query is built from the tree of :mod:`index.query` (never from the raw text), clause for clause as
  :mod:`index.tantivy_query` builds tantivy's: every word required, looked for in the text fields with their weights,
  its plural or singular forms as alternatives; phrases, exclusions, ``OR`` and one-field terms (as typed); a query of
  exclusions only ranks nothing (newest first); facet counts exclude their own facet's filter; bbox by range queries
  on four envelope fields (they work on every engine; ``geo_shape`` does not); the same sorts (undated, unscored
  last);
- a search ends by :data:`index.search.SEARCH_DEADLINE` (SearchTimeoutError, the API's 503), and spelling
  suggestions are :mod:`index.suggest`'s over this backend's fuzzy query.

Operations: documents live in a versioned index (``<alias>-v<layout>-<timestamp>``) behind an alias that every
reader and writer uses; an index template carries the analysis and mapping. :meth:`begin_rebuild` builds a new index
beside the live one while searches go on, :meth:`finish_rebuild` swaps the alias in one atomic step. Writes are
buffered until :meth:`commit` and sent with the bulk helper, one chunk at a time (back-pressure: the store is not
read faster than the cluster accepts) with retries on 429; a rebuild loads with refresh off and no replicas.

Each process opens its own HTTP connections (the client is recreated after a fork), so several API processes may
share one cluster.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from index import search as limits
from index.analysis import BBOX_FIELDS, EXTRA_STOPWORDS, FRENCH_STOPWORDS, analyze, parse_datetime, ranks
from index.document import TEXT_FIELDS, facet_value, text_fields
from index.query import Node, Not, Or, Phrase, Term, parse, word_forms
from index.search import (
    CLUSTER_FACETS,
    FACETS,
    FacetValue,
    IndexLockedError,
    IndexUnavailableError,
    SearchIndex,
    SearchQuery,
    SearchResult,
    SearchTimeoutError,
    Suggestion,
    check_query,
    facet_field,
)
from index.suggest import FUZZY_EDITS, suggest

log = logging.getLogger(__name__)
# The client logs every retried request with its traceback at WARNING; moisson reports a failure once, in one line
# (IndexUnavailableError). Its own messages stay available to whoever sets this logger's level.
_transport_log = logging.getLogger("elastic_transport")
if _transport_log.level == logging.NOTSET:
    _transport_log.setLevel(logging.ERROR)

# Bump when the analysis or the mapping below changes: an index of another layout is refused with a message that
# says to run `moisson reindex`, which builds one of this layout and swaps the alias.
SCHEMA_VERSION = 3  # 2: cluster fields (issue 14); 3: copies_text, the copies' titles on a primary
DEFAULT_ALIAS = "moisson"
ANALYZER = "fr_text"
API_KEY_ENV = "MOISSON_ES_API_KEY"
CA_CERTS_ENV = "MOISSON_ES_CA_CERTS"

# Fields other than the text fields and the facets, with their Elasticsearch type. A field added to the documents
# (index.document.to_document) is searchable here once it has a line in this table or in one of those two lists.
FIELDS: dict[str, dict[str, Any]] = {
    "id": {"type": "keyword"},
    "title_sort": {"type": "keyword"},
    "publisher_siren": {"type": "keyword"},
    "quality_score": {"type": "integer"},
    "popularity": {"type": "long"},
    "modified": {"type": "date"},
    "issued": {"type": "date"},
    **{name: {"type": "double"} for name in BBOX_FIELDS},
    "summary": {"type": "object", "enabled": False},  # returned with each hit, never searched
    # issue 14: the record's cluster; collapse=true keeps primaries and counts source/format on the cluster's values
    "cluster_id": {"type": "keyword"},
    "cluster_primary": {"type": "boolean"},
}

# Sort keys of index.search.SortKey: (field, order); documents without the value come last either way, as in tantivy.
SORTS: dict[str, tuple[str, str]] = {
    "modified": ("modified", "asc"),
    "-modified": ("modified", "desc"),
    "title": ("title_sort", "asc"),
    "quality": ("quality_score", "asc"),
    "-quality": ("quality_score", "desc"),
    "popularity": ("popularity", "desc"),
}

KEYWORD_LIMIT = 4096  # characters: a longer facet value is not indexed (Lucene refuses terms over 32,766 bytes)
FACET_SHARD_SIZE = 2000  # per shard, terms aggregations consider this many values before merging (exact on 1 shard)
BULK_CHUNK = 500  # documents per bulk request
BULK_CHUNK_BYTES = 10 * 1024 * 1024
BULK_RETRIES = 8  # a document refused with 429 (queue full) is retried after 1, 2, 4 ... up to 60 seconds
BUFFER_LIMIT = 5000  # buffered changes are sent once this many wait, commit or not
# Seconds per request: searches end by index.search.SEARCH_DEADLINE, other small requests (counts, the alias) by
# SEARCH_TIMEOUT, bulk and admin requests by BULK_TIMEOUT.
SEARCH_TIMEOUT = 10.0
BULK_TIMEOUT = 120.0
FUZZY_TERMS = 200  # nearest indexed terms a suggestion's fuzzy query looks at (Elasticsearch's default is 50)
BUILD_STALE_AFTER = 600.0  # seconds without a heartbeat after which an unfinished rebuild is taken as abandoned


def analysis_settings() -> dict[str, Any]:
    """tantivy's French analysis as an Elasticsearch custom analyzer (see the module docstring)."""
    return {
        "tokenizer": {"moisson_simple": {"type": "pattern", "pattern": r"[^\p{L}\p{N}]+"}},
        "filter": {
            "moisson_long": {"type": "length", "max": 39},
            "moisson_stop": {"type": "stop", "stopwords": [*FRENCH_STOPWORDS, *EXTRA_STOPWORDS]},
            "moisson_stem": {"type": "stemmer", "language": "french"},  # Snowball French, not light_french
        },
        "analyzer": {ANALYZER: {
            "type": "custom", "tokenizer": "moisson_simple",
            "filter": ["moisson_long", "lowercase", "moisson_stop", "asciifolding", "moisson_stem"],
        }},
    }


def mappings() -> dict[str, Any]:
    """Unknown fields are kept in the source but not indexed (``dynamic: false``): a document with a field this
    version does not know still loads."""
    properties: dict[str, Any] = {name: {"type": "text", "analyzer": ANALYZER} for name in TEXT_FIELDS}
    facets = [*FACETS, *(facet_field(name, collapse=True) for name in CLUSTER_FACETS)]
    properties.update({name: {"type": "keyword", "ignore_above": KEYWORD_LIMIT} for name in facets})
    properties.update(FIELDS)
    return {"dynamic": False, "_meta": {"moisson_schema": SCHEMA_VERSION}, "properties": properties}


def template_body(alias: str, shards: int = 1, replicas: int = 1) -> dict[str, Any]:
    """The index template for ``<alias>-v*``: one shard by default (a national catalog of a few million records
    fits one, and facet counts are exact on one shard), one replica."""
    return {
        "index_patterns": [f"{alias}-v*"],
        "priority": 200,
        "template": {
            "settings": {"number_of_shards": shards, "number_of_replicas": replicas, "analysis": analysis_settings()},
            "mappings": mappings(),
        },
        "_meta": {"moisson_schema": SCHEMA_VERSION, "managed_by": "moisson"},
    }


class ElasticsearchIndex(SearchIndex):
    """The index behind ``alias`` on the cluster at ``url`` (several URLs separated by commas name several nodes).

    ``target`` names a concrete index instead of the alias: what :meth:`begin_rebuild` returns, to fill a new index
    that no search sees yet."""

    def __init__(self, url: str, *, alias: str | None = None, api_key: str | None = None,
                 ca_certs: str | None = None, target: str | None = None, bulk_chunk: int = BULK_CHUNK,
                 bulk_retries: int = BULK_RETRIES, bulk_backoff: float = 1.0,
                 search_timeout: float = SEARCH_TIMEOUT) -> None:
        hosts, path_alias, basic_auth = _parse_url(url)
        self.hosts, self.basic_auth = hosts, basic_auth
        self.alias = alias or path_alias or DEFAULT_ALIAS
        self.target = target
        self.api_key, self.ca_certs = api_key, ca_certs
        self.bulk_chunk, self.bulk_retries, self.bulk_backoff = bulk_chunk, bulk_retries, bulk_backoff
        self.search_timeout = search_timeout
        self.location = ",".join(hosts) + f"/{self.alias}"  # no credentials: safe in messages and logs
        if ca_certs and not os.path.isfile(ca_certs):
            raise IndexUnavailableError(f"{CA_CERTS_ENV}={ca_certs}: no such file (the CA certificate of the cluster)")
        if ca_certs and any(host.startswith("http://") for host in hosts):
            raise IndexUnavailableError(f"{CA_CERTS_ENV} is set but MOISSON_INDEX is http://: a CA file is for "
                                        "https:// clusters")
        self._client_pid: int | None = None
        self._client_cache: Any = None
        self._pending: list[dict[str, Any]] = []
        self._unrefreshed = False  # changes sent since the last commit (a full buffer is sent before the commit)
        self._lock = threading.RLock()
        self._ready = target is not None
        self.rejected: list[tuple[str, str]] = []  # (id, reason) of documents the cluster refused (also logged)

    @classmethod
    def from_location(cls, location: str) -> ElasticsearchIndex:
        """``MOISSON_INDEX=http(s)://[user:pass@]host:9200[/alias]``; an API key from MOISSON_ES_API_KEY, a CA file
        from MOISSON_ES_CA_CERTS."""
        return cls(location, api_key=os.environ.get(API_KEY_ENV) or None,
                   ca_certs=os.environ.get(CA_CERTS_ENV) or None)

    # -- connection ---------------------------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The client of this process: a forked child (a server worker) opens connections of its own rather than
        share its parent's sockets."""
        if self._client_cache is None or self._client_pid != os.getpid():
            from elasticsearch import Elasticsearch

            options: dict[str, Any] = {"request_timeout": self.search_timeout, "retry_on_timeout": True,
                                       "max_retries": 2, "retry_on_status": (502, 503, 504)}
            if self.basic_auth:
                options["basic_auth"] = self.basic_auth
            if self.api_key:
                options["api_key"] = self.api_key
            if self.ca_certs:
                options["ca_certs"] = self.ca_certs
            self._client_cache = Elasticsearch(self.hosts, **options)
            self._client_pid = os.getpid()
        return self._client_cache

    @property
    def name(self) -> str:
        """What requests address: the alias, or the concrete index being rebuilt."""
        return self.target or self.alias

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Cluster failures as the errors moisson knows: unreachable or unusable -> IndexUnavailableError (the API
        answers 503, the CLI prints the message), a write block during a rebuild -> IndexLockedError (the records
        stay pending, the next sync catches up)."""
        from elasticsearch import (
            ApiError,
            AuthenticationException,
            AuthorizationException,
            TransportError,
            UnsupportedProductError,
        )

        try:
            yield
        except UnsupportedProductError:
            raise IndexUnavailableError(
                f"{self.location} does not answer as Elasticsearch does (the client checks the product header): "
                "is MOISSON_INDEX the address of an Elasticsearch cluster?") from None
        except AuthenticationException as exc:
            raise IndexUnavailableError(
                f"Elasticsearch at {self.location} refused the credentials while {doing} ({_reason(exc)}): check "
                f"the user:password in MOISSON_INDEX or {API_KEY_ENV}") from None
        except AuthorizationException as exc:
            if "cluster_block_exception" in str(exc):
                raise IndexLockedError(self._block_message()) from None
            raise IndexUnavailableError(
                f"Elasticsearch at {self.location} does not allow {doing} to these credentials ({_reason(exc)})"
            ) from None
        except ApiError as exc:
            if exc.meta.status == 400 and "compatible-with" in str(exc).lower() + str(exc.body).lower():
                raise IndexUnavailableError(_client_mismatch(self.location, exc)) from None
            if exc.meta.status == 429 or exc.meta.status >= 500:
                raise IndexUnavailableError(
                    f"Elasticsearch at {self.location} answered {exc.meta.status} while {doing} ({_reason(exc)}): "
                    "the cluster is overloaded or unhealthy; records stay pending in the store") from None
            raise
        except TransportError as exc:
            raise IndexUnavailableError(
                f"Elasticsearch at {self.location} cannot be reached while {doing} ({_reason(exc)}): start it, or "
                "fix MOISSON_INDEX; records stay pending in the store until the index is back") from None

    # -- the alias and its index --------------------------------------------------------------------------------

    def _ensure(self) -> None:
        """On first use: the alias exists and points to an index of this layout (created when missing, with the
        template); otherwise a clear error (another layout: run `moisson reindex`; an index of that name not made
        by moisson: rename or remove it)."""
        if self._ready:
            return
        with self._lock, self._errors("opening the index"):
            if self._ready:
                return
            self._put_template()
            indices = self._alias_indices()
            if not indices:
                if self.client.indices.exists(index=self.alias):
                    raise IndexUnavailableError(
                        f"Elasticsearch at {self.location}: an index named {self.alias!r} exists and is not an alias "
                        "made by moisson; name another alias in MOISSON_INDEX (http://host:9200/<alias>) or remove "
                        "that index")
                self._create_first_index()
            else:
                self._check_layout(indices)
            self._ready = True

    def _alias_indices(self) -> list[str]:
        from elasticsearch import NotFoundError

        try:
            return sorted(self.client.indices.get_alias(name=self.alias).body)
        except NotFoundError:
            return []

    def _check_layout(self, indices: list[str]) -> None:
        found = self.client.indices.get_mapping(index=indices[0]).body[indices[0]]["mappings"]
        version = (found.get("_meta") or {}).get("moisson_schema")
        wanted = mappings()["properties"]
        have = found.get("properties") or {}
        differing = [name for name, spec in wanted.items()
                     if {k: have.get(name, {}).get(k) for k in ("type", "analyzer")}
                     != {k: spec.get(k) for k in ("type", "analyzer")}]
        if version != SCHEMA_VERSION or differing:
            detail = f"layout {version}, this version needs {SCHEMA_VERSION}" if version != SCHEMA_VERSION else \
                f"a mapping that differs on {', '.join(differing[:5])}" + \
                (f" and {len(differing) - 5} more field(s)" if len(differing) > 5 else "")
            raise IndexUnavailableError(
                f"Elasticsearch at {self.location}: index {indices[0]} has {detail}: run `moisson reindex` (it builds "
                "a new index and swaps the alias; searches keep answering from the old one meanwhile)")

    def _create_first_index(self) -> None:
        from elasticsearch import BadRequestError

        try:  # a fixed name: two processes opening a new cluster at once create it once
            self.client.indices.create(index=f"{self.alias}-v{SCHEMA_VERSION}-initial",
                                       aliases={self.alias: {"is_write_index": True}})
        except BadRequestError as exc:
            if "resource_already_exists" not in str(exc):
                raise

    def _put_template(self) -> None:
        """The template of this layout, keeping the shard and replica counts an operator set on an earlier one."""
        from elasticsearch import NotFoundError

        name = f"{self.alias}-template"
        shards, replicas = 1, 1
        try:
            current = self.client.indices.get_index_template(name=name).body["index_templates"][0]["index_template"]
        except NotFoundError:
            current = None
        if current is not None:
            if (current.get("_meta") or {}).get("moisson_schema") == SCHEMA_VERSION:
                return
            settings = current.get("template", {}).get("settings", {}).get("index", {})
            shards = int(settings.get("number_of_shards", shards))
            replicas = int(settings.get("number_of_replicas", replicas))
        self.client.indices.put_index_template(name=name, **template_body(self.alias, shards, replicas))

    # -- writing ------------------------------------------------------------------------------------------------

    def upsert(self, documents: Iterable[dict[str, Any]]) -> int:
        n = 0
        for doc in documents:
            self._queue({"_op_type": "index", "_id": doc["id"], "_source": es_source(doc)})
            n += 1
        return n

    def delete(self, ids: Iterable[str]) -> int:
        n = 0
        for record_id in ids:
            self._queue({"_op_type": "delete", "_id": record_id})
            n += 1
        return n

    def _queue(self, action: dict[str, Any]) -> None:
        with self._lock:
            self._pending.append(action)
            if len(self._pending) >= BUFFER_LIMIT:
                self._flush()

    def _flush(self) -> None:
        """Send the buffered changes, chunk after chunk; a document refused for good is logged and listed in
        :attr:`rejected` (the rest goes on), a cluster that stays overloaded raises IndexUnavailableError and the
        records stay pending in the store."""
        from elasticsearch import helpers

        with self._lock:
            actions, self._pending = self._pending, []
            if not actions:
                return
            self._ensure()
            self._unrefreshed = True
            client = self.client.options(request_timeout=BULK_TIMEOUT)
            with self._errors("indexing"):
                for ok, item in helpers.streaming_bulk(
                    client, ({**a, "_index": self.name} for a in actions), chunk_size=self.bulk_chunk,
                    max_chunk_bytes=BULK_CHUNK_BYTES, raise_on_error=False, max_retries=self.bulk_retries,
                    initial_backoff=self.bulk_backoff, max_backoff=60, yield_ok=False,
                ):
                    op, info = next(iter(item.items()))
                    if ok or (op == "delete" and info.get("status") == 404):
                        continue
                    if info.get("status") == 429:
                        raise IndexUnavailableError(
                            f"Elasticsearch at {self.location} stayed overloaded (429) after {self.bulk_retries} "
                            "retries: the records stay pending and the next sync sends them again")
                    error = info.get("error") or {}
                    if error.get("type") == "cluster_block_exception":
                        raise IndexLockedError(self._block_message())
                    reason = f"{error.get('type')}: {error.get('reason')}" if error else str(info.get("status"))
                    self.rejected.append((str(info.get("_id")), reason))
                    log.error("Elasticsearch refused %s %s: %s", op, info.get("_id"), reason)

    def take_refused(self) -> list[tuple[str, str]]:
        with self._lock:
            refused, self.rejected = self.rejected, []
        return refused

    def commit(self) -> None:
        """Send what is buffered and make it visible (a refresh), except while a rebuild loads: its index is
        refreshed once, when the alias is swapped to it."""
        with self._lock:
            if not self._pending and not self._unrefreshed:
                return
            self._flush()
            self._unrefreshed = False
            if self.target is None:
                with self._errors("refreshing"):
                    self.client.options(request_timeout=BULK_TIMEOUT).indices.refresh(index=self.name)
            else:
                self._heartbeat()

    def clear(self) -> None:
        self._ensure()
        with self._lock, self._errors("clearing the index"):
            self._pending = []
            self.client.options(request_timeout=BULK_TIMEOUT).delete_by_query(
                index=self.name, query={"match_all": {}}, refresh=True, conflicts="proceed")

    def close(self) -> None:
        """Drop what was not committed (the store still lists it as pending), as the tantivy index does; the
        connections stay open for searching."""
        with self._lock:
            self._pending = []

    # -- rebuilding behind the alias ----------------------------------------------------------------------------

    def begin_rebuild(self) -> ElasticsearchIndex:
        """A new, empty index of this layout that no search sees yet (refresh off, no replicas while it loads).
        The live index is write-blocked meanwhile, so that harvests leave their records pending in the store rather
        than write where the swap would lose them; the rebuild picks them up. Raises IndexLockedError when another
        rebuild is under way."""
        with self._errors("starting a rebuild"):
            self._put_template()
            self._drop_abandoned_builds()
            name = f"{self.alias}-v{SCHEMA_VERSION}-{datetime.now(UTC).strftime('%Y%m%d%H%M%S%f')}"
            self.client.options(request_timeout=BULK_TIMEOUT).indices.create(
                index=name, settings={"index": {"refresh_interval": "-1", "number_of_replicas": 0}},
                mappings={"_meta": {"moisson_schema": SCHEMA_VERSION, "building": _holder()}})
            live = self._alias_indices()
            if live:
                self.client.indices.add_block(index=",".join(live), block="write")
        target = ElasticsearchIndex(",".join(self.hosts), alias=self.alias, api_key=self.api_key,
                                    ca_certs=self.ca_certs, target=name, bulk_chunk=self.bulk_chunk,
                                    bulk_retries=self.bulk_retries, bulk_backoff=self.bulk_backoff,
                                    search_timeout=self.search_timeout)
        target.basic_auth = self.basic_auth
        return target

    def finish_rebuild(self, target: SearchIndex) -> None:
        """Refresh the new index, give it the template's replicas, point the alias at it in one atomic step, then
        delete the old index."""
        assert isinstance(target, ElasticsearchIndex) and target.target
        name = target.target
        with self._errors("swapping the alias"):
            client = self.client.options(request_timeout=BULK_TIMEOUT)
            template = self.client.indices.get_index_template(name=f"{self.alias}-template").body
            settings = template["index_templates"][0]["index_template"]["template"]["settings"]["index"]
            client.indices.put_settings(index=name, settings={"index": {
                "refresh_interval": None, "number_of_replicas": int(settings.get("number_of_replicas", 1))}})
            client.indices.refresh(index=name)
            client.indices.put_mapping(index=name, meta={"moisson_schema": SCHEMA_VERSION, "building": None,
                                                         "built": _holder()["since"]})
            old = [index for index in self._alias_indices() if index != name]
            actions: list[dict[str, Any]] = [{"remove": {"index": index, "alias": self.alias}} for index in old]
            actions.append({"add": {"index": name, "alias": self.alias, "is_write_index": True}})
            if not old and self.client.indices.exists(index=self.alias):
                raise IndexUnavailableError(
                    f"Elasticsearch at {self.location}: an index named {self.alias!r} exists and is not an alias made "
                    "by moisson; the new index is left as " + name)
            client.indices.update_aliases(actions=actions)
            for index in old:
                client.indices.delete(index=index)
        self._ready = False  # the next use checks the new index

    def abort_rebuild(self, target: SearchIndex) -> None:
        """Delete the unfinished index and lift the write block from the live one."""
        assert isinstance(target, ElasticsearchIndex) and target.target
        from elasticsearch import NotFoundError

        with self._errors("abandoning a rebuild"):
            with suppress(NotFoundError):
                self.client.indices.delete(index=target.target)
            live = self._alias_indices()
            if live:
                self.client.indices.put_settings(index=",".join(live), settings={"index.blocks.write": False})

    def _heartbeat(self) -> None:
        """A rebuild says it is alive (in its index's mapping metadata) at most every 30 s, so that another
        rebuild can tell an abandoned one from a running one."""
        now = time.monotonic()
        if now - getattr(self, "_beat", 0.0) < 30:
            return
        self._beat = now
        with self._errors("marking the rebuild alive"):
            self.client.indices.put_mapping(index=self.name, meta={"moisson_schema": SCHEMA_VERSION,
                                                                   "building": _holder()})

    def _builds(self) -> dict[str, dict[str, Any]]:
        """Indices of this alias's pattern that a rebuild is filling: name -> who and since when."""
        from elasticsearch import NotFoundError

        try:
            found = self.client.indices.get_mapping(index=f"{self.alias}-v*").body
        except NotFoundError:
            return {}
        return {name: body["mappings"]["_meta"]["building"] for name, body in found.items()
                if (body.get("mappings", {}).get("_meta") or {}).get("building")}

    def _drop_abandoned_builds(self) -> None:
        for name, holder in self._builds().items():
            age = time.time() - float(holder.get("beat", 0))
            if age < BUILD_STALE_AFTER:
                raise IndexLockedError(
                    f"the search index {self.location} is being rebuilt by {_describe(holder)} (index {name}): "
                    "wait for that reindex to finish (searching works meanwhile), then retry")
            log.warning("dropping %s, left by a rebuild that stopped %.0f s ago (%s)", name, age, _describe(holder))
            self.client.indices.delete(index=name)

    def _block_message(self) -> str:
        try:
            builds = self._builds()
        except Exception:  # the message must not fail: it explains another failure
            builds = {}
        who = "; ".join(f"{_describe(h)} into {name}" for name, h in builds.items()) or "a reindex that stopped"
        return (f"the search index {self.location} is being rebuilt ({who}): writes wait for the new index, the "
                "records stay pending in the store and the rebuild or the next sync indexes them. If no reindex is "
                "running any more, run `moisson reindex` again.")

    # -- reading ------------------------------------------------------------------------------------------------

    def count(self) -> int:
        """Documents searches see; a rebuild's index (not refreshed while it loads) is refreshed first, so that a
        sync into it counts what it holds."""
        self._ensure()
        with self._errors("counting"):
            if self.target is not None:
                self.client.options(request_timeout=BULK_TIMEOUT).indices.refresh(index=self.name)
            return int(self.client.count(index=self.name).body["count"])

    def describe(self) -> dict[str, Any]:
        """Backend, cluster, alias and the index behind it, for `moisson index status`."""
        self._ensure()
        with self._errors("describing the index"):
            info = self.client.info().body
            indices = self._alias_indices()
            builds = self._builds()
        return {"backend": "elasticsearch", "location": self.location, "server": server_label(info),
                "index": ", ".join(indices) or "-", "layout": SCHEMA_VERSION,
                "rebuild": "; ".join(f"{name} by {_describe(h)}" for name, h in builds.items()) or "none"}

    def search(self, query: SearchQuery) -> SearchResult:
        started = time.perf_counter()
        check_query(query)  # the limits every backend shares (issue 13)
        self._ensure()
        tree = parse(query.q)
        text = self._node(tree, text_fields(query.collapse)) if tree is not None else None
        scored = text is not None and ranks(tree)
        filters = {
            name: [facet_value(name, v) for v in values if v.strip()]
            for name, values in query.filters.items() if any(v.strip() for v in values)
        }
        body = self.request_body(query, text, filters, scored=scored)
        from elasticsearch import BadRequestError

        try:
            answer = self._search(body, started, "searching")
        except BadRequestError as exc:
            if "result window is too large" in str(exc):
                raise ValueError(f"page {query.page} of {query.page_size} is deeper than the index allows "
                                 "(10,000 hits): narrow the search with filters") from None
            raise
        hits = []
        for hit in answer["hits"]["hits"]:
            summary = dict(hit["_source"].get("summary") or {"id": hit["_id"]})
            if scored and query.sort == "relevance":
                summary["score"] = round(float(hit.get("_score") or 0.0), 4)
            hits.append(summary)
        facets, exact = self._facets(query, filters, answer.get("aggregations") or {})
        return SearchResult(total=int(answer["hits"]["total"]["value"]), hits=hits[: max(query.page_size, 0)],
                            facets=facets, took_ms=(time.perf_counter() - started) * 1000, facets_exact=exact)

    def _search(self, body: dict[str, Any], started: float, doing: str) -> dict[str, Any]:
        """One search request within the search deadline (index.search.SEARCH_DEADLINE, counted from ``started``),
        by the documented means: the search's own ``timeout`` (the shards stop collecting when it expires and the
        answer says ``timed_out``) and the client's request timeout (a cluster that does not answer in time), not
        retried. Either way the search ends with SearchTimeoutError (the API's 503): a partial answer would give
        wrong totals and counts."""
        from elasticsearch import ConnectionTimeout

        deadline = limits.SEARCH_DEADLINE
        left = started + deadline - time.perf_counter()
        late = SearchTimeoutError(f"the search was not done within {deadline:g} s")
        if left <= 0:
            raise late
        client = self.client.options(request_timeout=left, retry_on_timeout=False)
        with self._errors(doing):
            try:
                answer = client.search(index=self.name, timeout=f"{max(int(left * 1000), 1)}ms", **body).body
            except ConnectionTimeout:
                raise late from None
        if answer.get("timed_out"):
            raise late
        return answer

    # -- spelling suggestions (issue 15): the shared work is index.suggest's, the look-ups are these ---------------

    def suggest(self, query: SearchQuery, limit: int = 3) -> list[Suggestion]:
        """See :meth:`SearchIndex.suggest` and :mod:`index.suggest`."""
        self._ensure()
        return suggest(self, query, limit)

    def holds_any(self, terms: list[str]) -> bool:
        """Whether any document holds one of these analysed terms in a text field (the first found ends the
        search)."""
        clauses = [{"term": {name: term}} for name in TEXT_FIELDS for term in terms]
        body = {"query": {"bool": {"should": clauses, "minimum_should_match": 1}}, "size": 0, "terminate_after": 1,
                "track_total_hits": 1}
        return int(self._search(body, time.perf_counter(), "looking a word up")["hits"]["total"]["value"]) > 0

    def texts_near(self, term: str, limit: int) -> list[str]:
        """Title, description excerpt and keywords of up to ``limit`` documents that a fuzzy query finds in their
        title, keywords or description: ``term`` as analysed (not analysed again), within FUZZY_EDITS edits,
        transpositions costing one, no common prefix required, as tantivy's fuzzy term query. A fuzzy query looks at
        its ``max_expansions`` nearest indexed terms only (50 by default); FUZZY_TERMS keeps that far above the
        words a suggestion can use."""
        fuzzy = {"value": term, "fuzziness": FUZZY_EDITS, "transpositions": True, "prefix_length": 0,
                 "max_expansions": FUZZY_TERMS}
        clauses = [{"fuzzy": {name: fuzzy}} for name in ("title", "keywords", "description")]
        body = {"query": {"bool": {"should": clauses, "minimum_should_match": 1}}, "size": limit,
                "source": ["summary", "keywords"], "track_total_hits": False}
        texts = []
        for hit in self._search(body, time.perf_counter(), "looking near words up")["hits"]["hits"]:
            source = hit.get("_source") or {}
            summary = source.get("summary") or {}
            keywords = source.get("keywords") or []
            texts.append(" ".join([summary.get("title") or "", summary.get("description") or "",
                                   *(keywords if isinstance(keywords, list) else [keywords])]))
        return texts

    def request_body(self, query: SearchQuery, text: dict[str, Any] | None, filters: dict[str, list[str]], *,
                     scored: bool) -> dict[str, Any]:
        """The search request: the text query (which alone scores) and the bbox in ``query``; the facet filters in
        ``post_filter``, so that each facet's aggregation can leave its own filter out (a facet keeps showing the
        values one can add to the OR)."""
        scope = self.scope_filters(query)
        main: dict[str, Any] = {"bool": {"must": [text] if text else [], "filter": scope}}
        if not text and not scope:
            main = {"match_all": {}}
        page, size = max(query.page, 1), max(query.page_size, 0)
        sort = query.sort
        if sort == "relevance" and not scored:
            sort = "-modified"  # every document scores the same without words to rank by: newest first is useful
        if sort == "relevance":
            order: list[Any] = ["_score", {"id": "asc"}]
        else:
            field, direction = SORTS[sort]
            order = [{field: {"order": direction, "missing": "_last"}}, {"id": "asc"}]
        body: dict[str, Any] = {
            "query": main, "from_": (page - 1) * size, "size": size, "sort": order, "track_total_hits": True,
            "source": ["summary"],
        }
        if filters:
            body["post_filter"] = {"bool": {"filter": [_terms(facet_field(name, query.collapse), values)
                                                       for name, values in filters.items()]}}
        aggs = self._facet_aggregations(query, filters)
        if aggs:
            body["aggs"] = aggs
        return body

    def scope_filters(self, query: SearchQuery) -> list[dict[str, Any]]:
        """Filters that every hit and every facet count obey, whatever the facet: the bbox, and under collapse
        (issue 14) the clusters' primaries only (a document that says nothing of its cluster is its own primary, as
        in tantivy)."""
        scope = [bbox_query(query.bbox)] if query.bbox is not None else []
        if query.collapse:
            scope.append({"bool": {"must_not": [{"term": {"cluster_primary": False}}]}})
        return scope

    def _facet_aggregations(self, query: SearchQuery, filters: dict[str, list[str]]) -> dict[str, Any]:
        """Facets without a filter share one filter aggregation (every facet filter applies); each filtered facet
        has its own, with the other facets' filters, and counts its selected values even outside its top."""
        wanted = [name for name in query.facets if name in FACETS]
        if not wanted or query.facet_size <= 0:
            return {}

        def terms(name: str) -> dict[str, Any]:
            return {"terms": {"field": facet_field(name, query.collapse), "size": query.facet_size,
                              "shard_size": max(FACET_SHARD_SIZE, query.facet_size * 10)}}

        def scope(names: Iterable[str]) -> dict[str, Any]:
            return {"bool": {"filter": [_terms(facet_field(n, query.collapse), filters[n]) for n in names]}}

        aggs: dict[str, Any] = {}
        free = [name for name in wanted if name not in filters]
        if free:
            aggs["free"] = {"filter": scope(filters), "aggs": {name: terms(name) for name in free}}
        for name in wanted:
            if name in filters:
                own = {name: terms(name), "selected": {"filters": {"filters": {
                    value: {"term": {facet_field(name, query.collapse): value}} for value in filters[name]}}}}
                aggs[f"own_{name}"] = {"filter": scope(n for n in filters if n != name), "aggs": own}
        return aggs

    def _facets(self, query: SearchQuery, filters: dict[str, list[str]],
                answer: dict[str, Any]) -> tuple[dict[str, list[FacetValue]], bool]:
        """Values by count then value, as tantivy orders them; a selected value stays listed beyond the facet size.
        Counts are exact unless the cluster says a shard's top list may have missed some."""
        facets: dict[str, list[FacetValue]] = {}
        exact = True
        for name in query.facets:
            if name not in FACETS or query.facet_size <= 0:
                continue
            group = answer.get(f"own_{name}") if name in filters else answer.get("free")
            if group is None:
                continue
            agg = group[name]
            exact = exact and not agg.get("doc_count_error_upper_bound")
            values = sorted((FacetValue(str(b["key"]), int(b["doc_count"])) for b in agg["buckets"]),
                            key=lambda fv: (-fv.count, fv.value))[: query.facet_size]
            selected = group.get("selected", {}).get("buckets", {})
            for chosen in filters.get(name, []):
                if all(fv.value != chosen for fv in values):
                    values.append(FacetValue(chosen, int(selected.get(chosen, {}).get("doc_count", 0))))
            facets[name] = values
        return facets, exact

    # -- the query tree as an Elasticsearch query ---------------------------------------------------------------

    def _node(self, node: Node, fields: dict[str, float]) -> dict[str, Any] | None:
        """A node as a query (the user's words: index.query's tree, never the raw text), None when it analyses to
        nothing (stop words): it is left out, as index.tantivy_query leaves it out. ``fields``: the text fields a
        word without a field name is searched in (index.document.text_fields)."""
        if isinstance(node, Term):
            return self._term(node, fields)
        if isinstance(node, Phrase):
            return self._phrase(node, fields)
        if isinstance(node, Not):
            inner = self._node(node.node, fields)
            return {"bool": {"must_not": [inner]}} if inner else None
        children = [query for child in node.nodes if (query := self._node(child, fields)) is not None]
        if not children:
            return None
        if len(children) == 1:
            return children[0]
        if isinstance(node, Or):
            return {"bool": {"should": children, "minimum_should_match": 1}}
        positive = [c for c in children if not _negation(c)]
        negative = [c["bool"]["must_not"][0] for c in children if _negation(c)]
        return {"bool": {"must": positive, "must_not": negative}}

    def _term(self, term: Term, fields: dict[str, float]) -> dict[str, Any] | None:
        """The word and its other forms (index.query.word_forms), each searched in every text field with the field's
        weight; forms that analyse alike count once. A word under a field name is searched in that field and as
        typed, without other forms (a field filter is precise), as in index.tantivy_query."""
        forms: dict[tuple[str, ...], str] = {}
        for form in [term.text] if term.field else word_forms(term.text):
            tokens = tuple(analyze(form))
            if tokens:
                forms.setdefault(tokens, form)
        if not forms:
            return None
        clauses = [_match(field, form, weight, phrase=len(tokens) > 1)
                   for tokens, form in forms.items() for field, weight in _fields(term.field, fields)]
        return clauses[0] if len(clauses) == 1 else {"bool": {"should": clauses, "minimum_should_match": 1}}

    def _phrase(self, phrase: Phrase, fields: dict[str, float]) -> dict[str, Any] | None:
        text = " ".join(phrase.words)
        if not analyze(text):
            return None
        clauses = [_match(field, text, weight, phrase=True) for field, weight in _fields(phrase.field, fields)]
        return clauses[0] if len(clauses) == 1 else {"bool": {"should": clauses, "minimum_should_match": 1}}


# -- helpers --------------------------------------------------------------------------------------------------------


def es_source(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as sent to Elasticsearch: dates in ISO 8601 UTC (those tantivy cannot read are left out, as it
    leaves them out), the bbox as four envelope fields."""
    source = {key: value for key, value in doc.items() if key != "bbox"}
    for name in ("modified", "issued"):
        moment = parse_datetime(doc.get(name))
        source[name] = moment.isoformat() if moment else None
    if doc.get("bbox"):
        source.update({name: float(value) for name, value in zip(BBOX_FIELDS, doc["bbox"], strict=True)})
    source["summary"] = doc.get("summary") or {"id": doc["id"]}
    return source


def bbox_query(bbox: tuple[float, float, float, float]) -> dict[str, Any]:
    """Intersection of two boxes: each starts before the other ends, on both axes (touching counts). Records without
    a bbox have no value in these fields, so they do not match."""
    west, south, east, north = (float(v) for v in bbox)
    return {"bool": {"filter": [
        {"range": {"west": {"lte": east}}}, {"range": {"east": {"gte": west}}},
        {"range": {"south": {"lte": north}}}, {"range": {"north": {"gte": south}}},
    ]}}


def _terms(name: str, values: list[str]) -> dict[str, Any]:
    return {"terms": {name: values}}


def _fields(field: str | None, fields: dict[str, float]) -> list[tuple[str, float]]:
    return [(field, TEXT_FIELDS.get(field, 1.0))] if field else list(fields.items())


def _match(field: str, text: str, weight: float, *, phrase: bool) -> dict[str, Any]:
    kind = "match_phrase" if phrase else "match"
    return {kind: {field: {"query": text, "boost": weight}}}


def _negation(query: dict[str, Any]) -> bool:
    inner = query.get("bool", {})
    return set(inner) == {"must_not"} and len(inner["must_not"]) == 1


def _parse_url(url: str) -> tuple[list[str], str | None, tuple[str, str] | None]:
    """``https://user:pass@es1:9200/alias,https://es2:9200`` -> hosts without credentials, the alias (the first
    URL's path) and the credentials."""
    hosts: list[str] = []
    alias: str | None = None
    auth: tuple[str, str] | None = None
    for part in (p.strip() for p in url.split(",") if p.strip()):
        parts = urlsplit(part)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"MOISSON_INDEX={part!r}: an Elasticsearch URL is http(s)://[user:password@]host:port"
                             "[/alias]")
        if parts.username is not None and auth is None:
            auth = (unquote(parts.username), unquote(parts.password or ""))
        netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        if parts.port:
            netloc += f":{parts.port}"
        hosts.append(urlunsplit((parts.scheme, netloc, "", "", "")))
        if alias is None and parts.path.strip("/"):
            alias = parts.path.strip("/").split("/")[0].lower()
    if not hosts:
        raise ValueError("MOISSON_INDEX names no Elasticsearch URL")
    return hosts, alias, auth


def server_label(info: dict[str, Any]) -> str:
    """What answered, as it names itself (``GET /``): a figure measured against it is labelled with this, never
    with "Elasticsearch" alone when another server spoke the API."""
    version = info.get("version") or {}
    return (f"{info.get('name', '?')} (Elasticsearch API {version.get('number', '?')}, "
            f"build {version.get('build_hash', '?')}, {version.get('build_flavor', '?')} flavour)")


def _holder() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "command": " ".join(sys.argv)[:200],
            "since": datetime.now(UTC).isoformat(timespec="seconds"), "beat": time.time()}


def _describe(holder: dict[str, Any]) -> str:
    return (f"process {holder.get('pid')} on {holder.get('host')} ({holder.get('command') or 'unknown command'}, "
            f"since {holder.get('since')})")


def _reason(exc: Exception) -> str:
    text = str(getattr(exc, "message", "") or exc)
    return text if len(text) <= 300 else text[:300] + "…"


def _client_mismatch(location: str, exc: Exception) -> str:
    from elasticsearch import __versionstr__

    major = __versionstr__.split(".")[0]
    return (f"Elasticsearch at {location} does not speak the API of the installed client {__versionstr__} "
            f"({_reason(exc)}): install the client of the server's major version, e.g. "
            f"pip install 'elasticsearch>=8.12,<9' for an Elasticsearch 8 cluster (this one is for {major}.x)")
