"""Response models of the API: they are what /docs and /openapi.json show, so every field says what it holds."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from normalise.model import DataService, Dataset


class Copy(BaseModel):
    """One copy of a dataset: the same dataset as harvested from one portal."""

    source: str = Field(description="id of the source (portal) it was harvested from")
    record_id: str = Field(description="GET /api/datasets/{record_id}")
    landing_page: str | None = Field(None, description="its page on that portal")


class DatasetSummary(BaseModel):
    """One search hit: the summary stored in the index, enough for a results page without a store lookup."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(description="moisson's stable id: GET /api/datasets/{id} for the whole record")
    kind: Literal["dataset", "service"] = "dataset"
    title: str
    description: str | None = Field(None, description="an excerpt of the description")
    publisher: str | None = None
    source: str = Field(description="id of the source it was harvested from")
    modified: str | None = Field(None, description="ISO 8601 modification (or issue) date given by the source")
    formats: list[str] = Field(default_factory=list, description="EU file-type codes, e.g. CSV")
    licence: str | None = Field(None, description="short licence code, e.g. ETALAB_2_0")
    themes: list[str] = Field(default_factory=list, description="EU data-theme codes, e.g. ENVI")
    quality_band: str | None = Field(None, description="excellent | good | sufficient | bad, once scored")
    score: float | None = Field(None, description="relevance score, for a text query sorted by relevance")
    url: str | None = Field(None, description="the record in this API")
    # cross-portal duplicates (issue 14)
    cluster_id: str | None = Field(None, description="the cluster of copies this record belongs to: GET "
                                                     "/api/clusters/{cluster_id} explains it")
    copies: list[Copy] = Field(default_factory=list, description="every copy of this dataset on the portals "
                                                                 "harvested, the primary first; empty when it has none")


class FacetCount(BaseModel):
    value: str
    count: int


class SearchResponse(BaseModel):
    total: int = Field(description="records matching the query and the filters")
    page: int
    page_size: int
    sort: str
    hits: list[DatasetSummary]
    facets: dict[str, list[FacetCount]] = Field(
        description="per facet, the most frequent values under the query and the other facets' filters")
    facets_exact: bool = Field(
        description="false when the result is large (over about 30,000 records) and the facet counts were made on a "
                    "uniform sample and scaled up; the total and the hits are always exact")
    collapse: bool = Field(True, description="true: one hit per dataset (cluster of copies), totals and facet counts "
                                             "count datasets; false: every record of every portal")
    took_ms: float


class ClusterRecord(BaseModel):
    record_id: str
    source: str
    primary: bool
    title: str | None = None
    publisher: str | None = None
    siren: str | None = None
    landing_page: str | None = None
    confidence: float = Field(description="how sure its place in the cluster is: its strongest link (1 alone)")
    harvested_elsewhere: bool = Field(description="the record says it was harvested or copied from elsewhere")
    status: str


class ClusterSignal(BaseModel):
    kind: str = Field(description="identifier | harvest | derived | page | file | checksum | title")
    value: str
    text: str = Field(description="the signal in plain words")
    confidence: float


class ClusterLink(BaseModel):
    a: str
    b: str
    strong: bool = Field(description="false: same title, publisher and near-identical description only")
    confidence: float
    harvested_from: str | None = Field(None, description="the record of the two the other says it came from")
    signals: list[ClusterSignal]


class ClusterResponse(BaseModel):
    """One dataset as found on several portals, and why moisson thinks so."""

    id: str
    size: int
    sources: list[str]
    primary: str = Field(description="the record shown in search and counted by statistics and the export")
    primary_reason: str
    updated_at: str | None = None
    records: list[ClusterRecord]
    links: list[ClusterLink]
    explanation: list[str] = Field(description="each link in plain words")


class ClusterRef(BaseModel):
    """Where a record stands among the copies of its dataset."""

    id: str
    primary: bool = Field(description="whether this record is the one search shows and statistics count")
    url: str = Field(description="GET /api/clusters/{id}: the cluster explained")
    other_copies: list[Copy] = Field(description="the same dataset harvested from other portals (or twice)")


class RecordMeta(BaseModel):
    """The store's bookkeeping of a record: where it comes from and what happened to it."""

    source: str
    native_id: str = Field(description="the record's id at its source")
    status: Literal["active", "withdrawn"] = Field(
        description="withdrawn: gone from its source after a complete harvest (kept, with its history)")
    version: int = Field(description="1 when first harvested, +1 at every change, withdrawal or restoration")
    first_seen: str
    changed_at: str
    withdrawn_at: str | None = None
    formats: dict[str, str] = Field(description="this record in DCAT-AP: format name -> URL")
    cluster: ClusterRef | None = Field(None, description="its cluster of copies on other portals (issue 14)")


class DatasetRecord(Dataset):
    """A dcat:Dataset (or series) as normalised, with ``meta``."""

    meta: RecordMeta


class ServiceRecord(DataService):
    """A dcat:DataService as normalised, with ``meta``."""

    meta: RecordMeta


RecordResponse = Annotated[DatasetRecord | ServiceRecord, Field(discriminator="kind")]


class JobSummary(BaseModel):
    """One harvest job: what it did, counted."""

    model_config = ConfigDict(extra="ignore")

    id: int
    source_id: str
    mode: str = Field(description="full (detects deletions) | incremental")
    status: str = Field(description="running | succeeded | partial | failed | interrupted")
    started_at: str
    finished_at: str | None = None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    restored: int = 0
    failed: int = Field(0, description="records (or pages) that could not be harvested; see GET /api/jobs/{id}")
    requests: int = 0
    bytes: int = 0
    retries: int = 0
    duration: float | None = Field(None, description="seconds")
    error: str | None = Field(None, description="why the job failed, when it did")


class JobError(BaseModel):
    native_id: str | None = Field(None, description="the record's id at its source; null for a whole page")
    url: str | None = None
    reason: str
    at: str


class JobDetail(JobSummary):
    errors: list[JobError] = Field(default_factory=list, description="per-record (or per-page) problems")
    events: list[str] = Field(default_factory=list, description="HTTP retries and failures, in plain words")


class SourceSummary(BaseModel):
    id: str
    type: str
    url: str
    name: str | None = None
    enabled: bool
    records: int = Field(description="active records harvested from it")
    last_success: str | None = Field(None, description="start of the last job that succeeded (even partly)")
    last_full_sweep: str | None = None
    last_job: JobSummary | None = None


class SourceDetail(SourceSummary):
    schedule: str | None = Field(None, description="cron of its scheduled harvests (null: the default)")
    publisher: dict[str, Any] | None = Field(None, description="publisher hint from the sources file")
    added_at: str
    updated_at: str


class Problem(BaseModel):
    """How errors are reported."""

    detail: Any
