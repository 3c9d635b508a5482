"""The one normalised model every source type is mapped to: DCAT-AP 3.

Why one model: search, scoring, statistics and the DCAT export must not care whether a record came from CKAN, a CSW
or a web page. Each normaliser maps its source format onto these classes; :mod:`normalise.rdf` turns them into
DCAT-AP RDF. Values that DCAT-AP takes from a controlled vocabulary (licences, file types, media types, themes,
languages, frequencies, access rights) hold the canonical URI, with the source's own wording kept beside it in a
``*_label`` field so that nothing the publisher wrote is lost.

Counters (downloads, views...) live in ``metrics`` and are excluded from :func:`content_hash`: a changed counter is
a statistics sample, not a new version of the record.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class Address(_Model):
    """A postal address (vcard:Address of a contact point, locn:Address of an agent)."""

    street: str | None = None
    locality: str | None = None
    postal_code: str | None = None
    region: str | None = None
    country: str | None = None


class Agent(_Model):
    """A foaf:Agent: publisher or creator. ``siren`` is the French company register id, the key to match bodies."""

    name: str
    uri: str | None = None
    siren: str | None = None
    type: str | None = None  # ADMS publisher type URI (http://purl.org/adms/publishertype/...)
    email: str | None = None
    homepage: str | None = None
    # -- GeoDCAT-AP fidelity (issue 19): what ISO 19139 responsible parties and DCAT agents say besides the name
    name_translations: dict[str, str] = Field(default_factory=dict)
    phone: str | None = None
    address: Address | None = None


class Attribution(_Model):
    """A prov:Attribution: an agent and the role it has for the resource (INSPIRE ResponsiblePartyRole code, e.g.
    "owner", "custodian"), so that every responsible party a record names is kept with its role."""

    role: str
    agent: Agent


class Conformity(_Model):
    """A conformity statement (ISO 19139 DQ_ConformanceResult): the specification, by IRI or by title and date, and
    the degree (INSPIRE DegreeOfConformity code: conformant, notConformant, notEvaluated)."""

    specification: str | None = None  # IRI of the specification, when the record gives one
    title: str | None = None
    title_language: str | None = None
    date: str | None = None
    degree: str = "notEvaluated"
    explanation: str | None = None
    explanation_translations: dict[str, str] = Field(default_factory=dict)


class MetadataRecord(_Model):
    """The source's own metadata record (an ISO 19139 MD_Metadata): its identifier, date, language and contacts, as
    GeoDCAT-AP describes it with a dcat:CatalogRecord."""

    identifier: str | None = None
    modified: str | None = None
    language: str | None = None  # EU language URI
    contact_points: list[ContactPoint] = Field(default_factory=list)
    attributions: list[Attribution] = Field(default_factory=list)
    standard: str | None = None  # metadataStandardName
    standard_version: str | None = None
    character_encoding: str | None = None


class ContactPoint(_Model):
    """A vcard:Kind. DCAT-AP recommends one per dataset; MQA awards points for it."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    url: str | None = None
    # -- GeoDCAT-AP fidelity (issue 19)
    name_translations: dict[str, str] = Field(default_factory=dict)
    address: Address | None = None


class Spatial(_Model):
    """A dct:Location. ``bbox`` is (west, south, east, north) in WGS84; INSEE codes join it to territories."""

    uri: str | None = None
    label: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    geometry: dict[str, Any] | None = None  # GeoJSON
    communes: list[str] = Field(default_factory=list)
    departements: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)


class PeriodOfTime(_Model):
    """A dct:PeriodOfTime; both ends are ISO 8601 dates or date-times."""

    start: str | None = None
    end: str | None = None


class SchemaRef(_Model):
    """A declared data schema (schema.data.gouv.fr name/version, or any URL given in dct:conformsTo)."""

    name: str | None = None
    version: str | None = None
    url: str | None = None


class AccessService(_Model):
    """The dcat:DataService a distribution is served through (WMS, WFS, an API...)."""

    title: str | None = None
    endpoint_url: str
    endpoint_description: str | None = None
    conforms_to: list[str] = Field(default_factory=list)
    service_type: str | None = None  # wms | wfs | wmts | wcs | ogcapi | api | sparql | ...
    # -- GeoDCAT-AP fidelity (issue 19): the protocol as GeoDCAT-AP names it (http://www.opengeospatial.org/standards/wms)
    protocol: str | None = None


class HarvestNote(_Model):
    """What a harvesting portal writes down about where it took a record from (issue 14: evidence for cross-portal
    duplicate clustering, read by :mod:`index.evidence`). udata's ``harvest`` block and CKAN's harvest extras
    (ckanext-harvest, -dcat, -spatial) each say it their own way; the values are kept as the portal gives them."""

    backend: str | None = None  # udata harvest.backend ("CKAN", "DCAT", "OpenDataSoft"...)
    domain: str | None = None  # the origin portal's host (udata harvest.domain; the host of CKAN's harvest_url)
    source_id: str | None = None  # the harvester's id of its source (udata harvest.source_id, CKAN harvest_source_id)
    source_title: str | None = None  # CKAN harvest_source_title
    source_url: str | None = None  # CKAN harvest_url
    remote_id: str | None = None  # the record's id at its origin (udata harvest.remote_id, CKAN guid)
    remote_url: str | None = None  # the record's page at its origin (udata harvest.remote_url)


class Distribution(_Model):
    """A dcat:Distribution. ``access_url`` is mandatory in DCAT-AP; we fall back to ``download_url`` for it."""

    native_id: str | None = None
    uri: str | None = None
    title: str | None = None
    description: str | None = None
    access_url: str | None = None
    download_url: str | None = None
    format: str | None = None  # EU file-type URI
    format_label: str | None = None  # what the source said ("csv", "Shapefile (zip)")
    media_type: str | None = None  # IANA URI
    compress_format: str | None = None
    licence: str | None = None
    licence_label: str | None = None
    access_rights: str | None = None
    rights: str | None = None
    byte_size: int | None = None
    checksum: str | None = None
    issued: str | None = None
    modified: str | None = None
    languages: list[str] = Field(default_factory=list)
    conforms_to: list[str] = Field(default_factory=list)
    schema_: SchemaRef | None = Field(default=None, alias="schema")
    access_service: AccessService | None = None
    status: str | None = None
    metrics: dict[str, int] = Field(default_factory=dict)
    # -- GeoDCAT-AP and ckanext-dcat fidelity (issue 19)
    title_translations: dict[str, str] = Field(default_factory=dict)
    description_translations: dict[str, str] = Field(default_factory=dict)
    representation_technique: str | None = None  # INSPIRE SpatialRepresentationType URI (adms:representationTechnique)
    character_encoding: str | None = None  # cnt:characterEncoding ("UTF-8")
    documentation: list[str] = Field(default_factory=list)  # foaf:page
    applicable_legislation: list[str] = Field(default_factory=list)  # ELI IRIs (dcatap:applicableLegislation)
    temporal_resolution: str | None = None  # xsd:duration
    spatial_resolution_m: float | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _Entry(_Model):
    """What datasets and data services share: identity, description, provenance of the record."""

    id: str  # moisson's stable id, see :func:`entry_id`
    source_id: str
    native_id: str
    uri: str | None = None  # the IRI the source gives the resource, if any
    title: str
    title_translations: dict[str, str] = Field(default_factory=dict)
    description: str | None = None
    description_translations: dict[str, str] = Field(default_factory=dict)
    keywords: list[str] = Field(default_factory=list)
    themes: list[str] = Field(default_factory=list)  # EU data theme URIs
    categories: list[str] = Field(default_factory=list)  # other classifications (ISO topic, INSPIRE theme URIs)
    publisher: Agent | None = None
    creators: list[Agent] = Field(default_factory=list)
    contact_points: list[ContactPoint] = Field(default_factory=list)
    licence: str | None = None
    licence_label: str | None = None
    access_rights: str | None = None
    rights: str | None = None
    spatial: list[Spatial] = Field(default_factory=list)
    temporal: list[PeriodOfTime] = Field(default_factory=list)
    issued: str | None = None
    modified: str | None = None
    languages: list[str] = Field(default_factory=list)  # EU language URIs
    conforms_to: list[str] = Field(default_factory=list)
    landing_page: str | None = None
    identifiers: list[str] = Field(default_factory=list)
    metrics: dict[str, int] = Field(default_factory=dict)
    # -- where the record says it comes from: evidence for cross-portal duplicate clustering (issue 14) --------------
    # Filled by each normaliser from what its source family carries; index/evidence.py turns them into match keys.
    same_as: list[str] = Field(default_factory=list)  # owl:sameAs: other IRIs of this very resource
    derived_from: list[str] = Field(default_factory=list)  # dct:source, prov:wasDerivedFrom: what it was copied from
    harvest: HarvestNote | None = None  # a harvesting portal's note of the record's origin
    # Mandatory or recommended DCAT-AP properties the source could not provide (e.g. "dct:description"):
    # the record says what is missing instead of inventing it; scoring reads this.
    gaps: list[str] = Field(default_factory=list)
    # -- GeoDCAT-AP and ckanext-dcat fidelity (issue 19): what ISO 19139, GeoDCAT-AP and CKAN records say that the
    # fields above cannot hold. See normalise/rdf.py for the properties they become.
    created: str | None = None  # dct:created (ISO creation date)
    keyword_translations: dict[str, list[str]] = Field(default_factory=dict)  # other languages' keywords
    category_labels: dict[str, str] = Field(default_factory=dict)  # concept IRI of ``categories`` -> its label
    rights_holders: list[Agent] = Field(default_factory=list)  # dct:rightsHolder (ISO role owner)
    attributions: list[Attribution] = Field(default_factory=list)  # every responsible party with its role
    resource_type: str | None = None  # INSPIRE ResourceType URI (geodcatap:resourceType)
    reference_systems: list[str] = Field(default_factory=list)  # CRS IRIs (geodcatap:referenceSystem)
    purpose: str | None = None
    purpose_translations: dict[str, str] = Field(default_factory=dict)
    conformity: list[Conformity] = Field(default_factory=list)  # every conformity statement (prov:wasUsedBy)
    applicable_legislation: list[str] = Field(default_factory=list)  # ELI IRIs (dcatap:applicableLegislation)
    documentation: list[str] = Field(default_factory=list)  # foaf:page: documentation, information and search pages
    is_referenced_by: list[str] = Field(default_factory=list)  # dct:isReferencedBy
    metadata_record: MetadataRecord | None = None  # the source's metadata record (foaf:isPrimaryTopicOf)


class Dataset(_Entry):
    """A dcat:Dataset (or dcat:DatasetSeries when ``type`` is "series")."""

    kind: Literal["dataset"] = "dataset"
    type: Literal["dataset", "series"] = "dataset"
    distributions: list[Distribution] = Field(default_factory=list)
    frequency: str | None = None  # EU frequency URI
    version: str | None = None
    provenance: str | None = None
    in_series: list[str] = Field(default_factory=list)
    hvd_categories: list[str] = Field(default_factory=list)
    spatial_resolution_m: float | None = None
    # -- GeoDCAT-AP and ckanext-dcat fidelity (issue 19)
    provenance_translations: dict[str, str] = Field(default_factory=dict)
    spatial_resolution_scale: int | None = None  # equivalent scale denominator (1:25000 -> 25000)
    temporal_resolution: str | None = None  # xsd:duration (dcat:temporalResolution)


class DataService(_Entry):
    """A dcat:DataService harvested as a record of its own (e.g. an ISO 19139 record of hierarchy level service)."""

    kind: Literal["service"] = "service"
    endpoint_urls: list[str] = Field(default_factory=list)
    endpoint_description: str | None = None
    service_type: str | None = None
    serves_datasets: list[str] = Field(default_factory=list)
    # -- GeoDCAT-AP fidelity (issue 19)
    service_type_uri: str | None = None  # INSPIRE SpatialDataServiceType URI (geodcatap:serviceType)
    service_categories: list[str] = Field(default_factory=list)  # INSPIRE SpatialDataServiceCategory URIs
    protocol: str | None = None  # geodcatap:serviceProtocol


Entry = Annotated[Dataset | DataService, Field(discriminator="kind")]


def entry_id(source_id: str, native_id: str) -> str:
    """A stable, URL-safe id: readable source prefix plus a digest of the native id (which may be any IRI)."""
    digest = hashlib.sha1(f"{source_id}\x00{native_id}".encode()).hexdigest()[:16]
    return f"{source_id}.{digest}"


_VOLATILE = {"metrics": True, "distributions": {"__all__": {"metrics"}}}


def content_hash(entry: Dataset | DataService) -> str:
    """Digest of what a record says, without its counters: equal hashes mean nothing to rewrite."""
    exclude = _VOLATILE if isinstance(entry, Dataset) else {"metrics": True}
    data = entry.model_dump(mode="json", exclude=exclude, by_alias=True)
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


def entry_to_json(entry: Dataset | DataService) -> bytes:
    """Compact JSON for the store: defaults are left out, ``kind`` always kept (it is the discriminator)."""
    data = entry.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["kind"] = entry.kind
    return orjson.dumps(data)


_ENTRY_ADAPTER: Any = None


def entry_from_json(data: bytes | str | dict[str, Any]) -> Dataset | DataService:
    """Inverse of :func:`entry_to_json`, dispatching on ``kind``."""
    global _ENTRY_ADAPTER
    if _ENTRY_ADAPTER is None:
        from pydantic import TypeAdapter

        _ENTRY_ADAPTER = TypeAdapter(Entry)
    if isinstance(data, dict):
        return _ENTRY_ADAPTER.validate_python(data)
    return _ENTRY_ADAPTER.validate_json(data)
