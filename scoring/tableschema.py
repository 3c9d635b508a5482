"""On-demand validation of a CSV file against the Table Schema it declares, with frictionless, within bounds.

Why on demand and bounded: validating means downloading the file, which a national catalog cannot do for every
resource on every harvest; a publisher asks for it (``moisson validate-schema ID``, or the API's ``?validate=1``)
when fixing a file. Each download goes through the one HTTP layer (address guard, rate limit, User-Agent) with a size
cap and a total timeout of its own, so one request costs at most :data:`MAX_FILES` downloads of :data:`MAX_MB` each
plus their schemas; frictionless stops at :data:`MAX_ROWS` rows and :data:`MAX_ERRORS` errors. frictionless is
given the bytes and the schema as data, never a URL: it fetches nothing itself.

Verdicts are kept per file version (:class:`ValidationCache`, one per API process): anyone may ask the API to
validate, so without it every call downloaded the files again and the API was an amplifier against portals (issue
13). Within :data:`FRESH_SECONDS` a verdict is given again without any request; after that the file is asked for
with its validators (ETag, Last-Modified) and a 304 keeps the verdict; only a new version is downloaded again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import orjson
import requests
import yaml

from kernel.config import HttpSettings
from kernel.http import HttpClient, ResponseTooLargeError
from normalise.model import DataService, Dataset, Distribution, SchemaRef
from scoring.french import catalogue, declared_schemas

log = logging.getLogger(__name__)

MAX_MB = 10.0  # per downloaded file
MAX_FILES = 5  # CSV files per request
MAX_ROWS = 200_000
MAX_ERRORS = 100  # kept and returned; frictionless stops there
TIMEOUT = 60.0  # seconds per download, whole body
FRESH_SECONDS = 3600.0  # a verdict (or a schema) is given again without asking the portal for this long
CACHE_SIZE = 2000  # verdicts kept (an entry is a few kilobytes at most: MAX_ERRORS errors)

Status = Literal["valid", "invalid", "not validated"]


@dataclass
class TableValidation:
    """The verdict on one CSV file, or why it was not validated."""

    url: str | None  # the CSV file
    schema: str  # "scdl/budget 0.8.3", or the schema URL
    schema_url: str | None
    status: Status
    reason: str  # plain words
    rows: int | None = None
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # {row, field, type, message}
    truncated: bool = False  # stopped at MAX_ROWS or MAX_ERRORS

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ValidationCache:
    """Verdicts and schemas by URL with the time they were checked, and the files' validators for conditional GETs
    (give :attr:`validators` to :func:`validation_client`). Bounded: the least recently used go first."""

    def __init__(self, fresh_for: float = FRESH_SECONDS, size: int = CACHE_SIZE) -> None:
        self.fresh_for, self.size = fresh_for, size
        self.validators: dict[str, tuple[str | None, str | None]] = {}
        self._items: OrderedDict[tuple[str, ...], tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> tuple[bool, Any] | None:
        """(fresh, value) of a key, or None when it was never checked."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return time.monotonic() - found[0] < self.fresh_for, found[1]

    def put(self, key: tuple[str, ...], value: Any) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                old, _ = self._items.popitem(last=False)
                self.validators.pop(old[1], None)  # ("verdict", file URL, schema URL) or ("schema", URL)

    def expire_all(self) -> None:
        """Every entry stale (asked again with its validators next time): after a publisher's fix, and in tests."""
        with self._lock:
            self._items = OrderedDict((key, (float("-inf"), value)) for key, (_, value) in self._items.items())


def validation_client(settings: HttpSettings | None = None, *, allow_private: bool = False,
                      contact: str = "moisson@example.org",
                      validators: MutableMapping[str, tuple[str | None, str | None]] | None = None) -> HttpClient:
    """The HTTP layer with this module's bounds: size cap, one total timeout, no retry. ``validators``: those of a
    :class:`ValidationCache`, so that a file already validated is asked for conditionally."""
    base = settings or HttpSettings()
    bounded = base.model_copy(update={"max_response_mb": MAX_MB, "total_timeout": TIMEOUT, "retries": 0,
                                      "timeout": min(base.timeout, TIMEOUT)})
    return HttpClient(bounded, allow_private=allow_private, contact=contact, validators=validators)


def is_csv(dist: Distribution) -> bool:
    return bool((dist.format or "").endswith("/CSV") or (dist.media_type or "").endswith("/text/csv")
                or (dist.format_label or "").strip().lower() in ("csv", "text/csv")
                or (dist.download_url or dist.access_url or "").lower().split("?")[0].endswith(".csv"))


def targets(entry: Dataset | DataService) -> list[tuple[Distribution, SchemaRef]]:
    """The (CSV distribution, declared schema) pairs to validate. A schema declared on the dataset applies to its CSV
    files that declare none of their own; a distribution may also give any Table Schema URL (udata's ``schema.url``)."""
    if not isinstance(entry, Dataset):
        return []
    own: dict[int, SchemaRef] = {}
    dataset_level: SchemaRef | None = None
    for dist, ref in declared_schemas(entry):
        if dist is None:
            dataset_level = dataset_level or ref
        else:
            own.setdefault(id(dist), ref)
    for dist in entry.distributions:
        if id(dist) not in own and dist.schema_ is not None and dist.schema_.url and not dist.schema_.name:
            own[id(dist)] = dist.schema_
    pairs = []
    for dist in entry.distributions:
        ref = own.get(id(dist)) or dataset_level
        if ref is not None:
            pairs.append((dist, ref))
    return pairs


def schema_location(ref: SchemaRef) -> tuple[str, str | None, str | None]:
    """(name shown, schema document URL, reason it cannot be validated) for a declared schema."""
    if ref.name:
        item = catalogue().get(ref.name)
        shown = f"{ref.name} {ref.version}" if ref.version else ref.name
        if item is None:
            return shown, None, f"{ref.name} is not in schema.data.gouv.fr's catalogue"
        if item.schema_type != "tableschema":
            return shown, None, f"{ref.name} is not a Table Schema (schema.data.gouv.fr type: {item.schema_type})"
        url = item.schema_url(ref.version)
        if url is None:
            return shown, None, f"{ref.name} has no version {ref.version}"
        return shown, url, None
    return ref.url or "?", ref.url, None if ref.url else "the schema is declared without a name or URL"


def validate_entry(entry: Dataset | DataService, http: HttpClient,
                   cache: ValidationCache | None = None) -> list[TableValidation]:
    """Validate the record's CSV files that declare a Table Schema (at most :data:`MAX_FILES`); with a ``cache``
    (whose validators ``http`` holds), each file version is downloaded and validated once."""
    out: list[TableValidation] = []
    schemas: dict[str, dict[str, Any] | str] = {}  # schema URL -> descriptor, or why it is unusable
    for n, (dist, ref) in enumerate(targets(entry)):
        url = dist.download_url or dist.access_url
        shown, schema_url, problem = schema_location(ref)
        if n >= MAX_FILES:
            out.append(TableValidation(url, shown, schema_url, "not validated",
                                       f"only the first {MAX_FILES} files are validated per request"))
            continue
        if problem is None and not is_csv(dist):
            problem = "only CSV files are validated against a Table Schema"
        if problem is None and not url:
            problem = "the resource has no URL to download"
        if problem is None and schema_url is not None:
            if schema_url not in schemas:
                schemas[schema_url] = _fetch_schema(http, schema_url, cache)
            if isinstance(schemas[schema_url], str):
                problem = str(schemas[schema_url])
        if problem is not None or schema_url is None or url is None:
            out.append(TableValidation(url, shown, schema_url, "not validated", problem or "no schema"))
            continue
        descriptor = schemas[schema_url]
        assert isinstance(descriptor, dict)
        known = cache.get(("verdict", url, schema_url)) if cache is not None else None
        if known is not None and known[0]:
            out.append(known[1])
            continue
        try:
            response = http.get(url, conditional=cache is not None)  # validators kept for the next time
            if response.status_code == 304 and known is not None:  # the same version: the same verdict
                assert cache is not None
                cache.put(("verdict", url, schema_url), known[1])
                out.append(known[1])
                continue
            if response.status_code == 304:  # validators outlived their verdict: fetch the file itself
                response = http.get(url)
            data = response.content
        except ResponseTooLargeError:
            out.append(TableValidation(url, shown, schema_url, "not validated",
                                       f"the file is larger than the {MAX_MB:g} MB validation limit"))
            continue
        except requests.RequestException as exc:
            out.append(TableValidation(url, shown, schema_url, "not validated", f"cannot download the file: {exc}"))
            continue
        verdict = validate_table(data, descriptor, url=url, schema=shown, schema_url=schema_url)
        if cache is not None:
            cache.put(("verdict", url, schema_url), verdict)
        out.append(verdict)
    return out


def validate_table(data: bytes, descriptor: dict[str, Any], *, url: str | None = None, schema: str = "",
                   schema_url: str | None = None, limit_rows: int = MAX_ROWS,
                   limit_errors: int = MAX_ERRORS) -> TableValidation:
    """Validate CSV bytes against a Table Schema descriptor with frictionless."""
    from frictionless import FrictionlessException, Resource, Schema

    try:
        table_schema = Schema.from_descriptor(descriptor)
    except FrictionlessException as exc:
        return TableValidation(url, schema, schema_url, "not validated", f"the schema is not a valid Table Schema: "
                                                                           f"{exc.error.message}")
    try:
        report = Resource(data=data, format="csv", schema=table_schema).validate(limit_rows=limit_rows,
                                                                               limit_errors=limit_errors)
    except FrictionlessException as exc:
        return TableValidation(url, schema, schema_url, "not validated", f"cannot read the file as CSV: "
                                                                           f"{exc.error.message}")
    task = report.tasks[0] if report.tasks else None
    errors = [{"row": getattr(e, "row_number", None), "field": getattr(e, "field_name", None), "type": e.type,
               "message": e.message} for e in (task.errors if task else report.errors)]
    rows = task.stats.get("rows") if task is not None else None
    truncated = bool(task and (task.warnings or len(errors) >= limit_errors))
    valid = report.valid
    if valid:
        reason = f"the {rows} rows follow the schema" if rows is not None else "the file follows the schema"
    else:
        kinds = sorted({e["type"] for e in errors})
        reason = f"{len(errors)}{'+' if truncated else ''} errors ({', '.join(kinds)})"
    return TableValidation(url, schema, schema_url, "valid" if valid else "invalid", reason, rows, len(errors),
                           errors, truncated)


def _fetch_schema(http: HttpClient, url: str, cache: ValidationCache | None = None) -> dict[str, Any] | str:
    """The schema descriptor, or why it cannot be used (kept in the cache when one is given)."""
    known = cache.get(("schema", url)) if cache is not None else None
    if known is not None and known[0]:
        return known[1]
    try:
        response = http.get(url, conditional=cache is not None)
        if response.status_code == 304 and known is not None:
            assert cache is not None
            cache.put(("schema", url), known[1])
            return known[1]
        if response.status_code == 304:
            response = http.get(url)
    except requests.RequestException as exc:
        return f"cannot download the schema: {exc}"
    descriptor = _read_schema(response.content)
    if cache is not None:
        cache.put(("schema", url), descriptor)
    return descriptor


def _read_schema(body: bytes) -> dict[str, Any] | str:
    try:
        descriptor = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            descriptor = yaml.safe_load(body)
        except yaml.YAMLError:
            return "the schema is neither JSON nor YAML"
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("fields"), list):
        return "the schema is not a Table Schema (no list of fields)"
    return descriptor
