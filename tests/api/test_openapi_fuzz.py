"""Fuzzing the API against its own OpenAPI document with schemathesis (issue 13): every operation, generated
parameters within and outside the schema, over a store with records, sources, jobs, versions and counters.

What must hold: no answer is a server error (no 500, whatever the request), and every answer the schema describes
matches it (JSON bodies, content types). A refusal (400 over a search limit, 404, 422, 429 over a rate limit) is a
right answer to a hostile request. The number of examples is bounded so the suite stays fast
(``MOISSON_FUZZ_EXAMPLES``, default 12 per operation); ``make fuzz`` runs many more.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.app import create_app
from index import sync_index
from index.store import JobCounts, Store
from kernel.config import SourceConfig
from kernel.records import RecordError
from tests.api.test_app import build_records

EXAMPLES = int(os.environ.get("MOISSON_FUZZ_EXAMPLES", "12"))


def _filled_store() -> Path:
    """The records of the API tests, two harvests (so versions and diffs exist) and a job with an error."""
    path = Path(tempfile.mkdtemp(prefix="moisson-fuzz-")) / "moisson.db"
    store = Store(path)
    store.sync_sources([SourceConfig(id="lyon", type="ckan", url="https://data.example.fr"),
                        SourceConfig(id="nantes", type="dcat", url="https://nantes.example.fr/catalog.ttl")])
    for _ in range(2):
        for source in ("lyon", "nantes"):
            job = store.start_job(source, "full")
            with store.transaction():
                for entry in build_records():
                    if entry.source_id == source:
                        store.upsert_entry(entry, entry.native_id, job)
            store.add_job_error(job, RecordError("not valid JSON", "broken-1", "https://x/1"))
            store.finish_job(job, "partial", JobCounts(new=1))
    sync_index(store)
    store.close()
    return path


APP = create_app(_filled_store(), base_url="https://moisson.test")
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])  # hostile requests too


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 20,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_no_server_error_and_answers_match_the_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance, content_type_conformance])
