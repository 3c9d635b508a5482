"""Property tests on every normaliser (issue 13): any JSON or XML document, shaped like the records of the source
type or not, yields entries or a NormaliseError with a reason, never another exception. The pipeline reports a
NormaliseError on the job and goes on; any other exception is a bug that a hostile portal can trigger at will.

Examples are bounded for the suite (``MOISSON_FUZZ_EXAMPLES``, default 40 per test); ``make fuzz`` runs many more.
"""

from __future__ import annotations

import json
import os
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel.records import RawRecord
from normalise import NormaliseError, normalise
from normalise.model import DataService, Dataset

EXAMPLES = int(os.environ.get("MOISSON_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 100,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TEXTS = st.one_of(st.text(max_size=30), st.sampled_from([
    "", " ", "javascript:alert(1)", "https://data.example.fr/x.csv", "http://[::1", "2024-01-02", "2024-13-45T99:00",
    "CSV", "text/csv", "http://publications.europa.eu/resource/authority/file-type/CSV", "<p>html <b>x</b></p>",
    "POLYGON((0 0,1 1,1 0,0 0))", "0,0,1,1", "Ville de Lyon", "216901231", "-1", "1e999", "NaN", "{}", "[]",
]))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), TEXTS)
JSON = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(TEXTS, children, max_size=4)), max_leaves=25)

# Keys each JSON profile reads, so that generated documents get past "not this kind of record" into the mapping.
KEYS = {
    "ckan": ["id", "name", "title", "notes", "url", "resources", "extras", "tags", "groups", "organization",
             "license_id", "license_url", "metadata_modified", "metadata_created", "spatial", "author",
             "maintainer_email", "tracking_summary", "temporal_start", "frequency"],
    "udata": ["id", "title", "description", "page", "uri", "resources", "tags", "organization", "owner",
              "license", "frequency", "spatial", "temporal_coverage", "created_at", "last_update", "metrics",
              "extras", "schema", "harvest"],
    "ods": ["dataset_id", "dataset_uid", "metas", "fields", "attachments", "alternative_exports", "features",
            "has_records", "visibility"],
    "dcat-us": ["identifier", "title", "description", "keyword", "modified", "publisher", "contactPoint",
                "distribution", "landingPage", "license", "spatial", "temporal", "theme", "accessLevel"],
    "schema-org": ["@type", "@id", "name", "description", "url", "identifier", "keywords", "license",
                   "distribution", "publisher", "creator", "spatialCoverage", "temporalCoverage",
                   "dateModified", "datePublished", "isAccessibleForFree", "includedInDataCatalog"],
    "ogcapi-record": ["id", "type", "geometry", "properties", "links", "time", "conformsTo"],
}
NESTED = {"ods": {"metas": ["default", "dcat", "inspire"]}, "ogcapi-record": {"properties": [
    "title", "description", "keywords", "themes", "contacts", "license", "created", "updated", "formats", "rights"]}}


def shaped(profile: str) -> st.SearchStrategy[Any]:
    """Objects with the profile's keys (some of them), each holding anything."""
    values: dict[str, st.SearchStrategy[Any]] = {key: JSON for key in KEYS[profile]}
    for key, inner in NESTED.get(profile, {}).items():
        values[key] = st.one_of(JSON, st.fixed_dictionaries({}, optional={k: JSON for k in inner}))
    if profile == "schema-org":
        values["@type"] = st.one_of(st.just("Dataset"), JSON)
    if profile == "ods":
        values["metas"] = st.fixed_dictionaries({}, optional={"default": st.fixed_dictionaries({}, optional={
            k: JSON for k in ("title", "description", "keyword", "theme", "license", "modified", "publisher",
                              "territory", "geographic_area", "records_count")}), "dcat": JSON})
    return st.fixed_dictionaries({}, optional=values)


def _survives(raw: RawRecord) -> None:
    try:
        entries = normalise(raw)
    except NormaliseError as exc:
        assert str(exc)  # a reason to show on the job
        return
    assert all(isinstance(entry, Dataset | DataService) for entry in entries)
    for entry in entries:
        orjson.dumps(entry.model_dump(mode="json"))  # storable as is


@pytest.mark.parametrize("profile", sorted(KEYS))
@FUZZ
@given(data=st.data())
def test_any_json_record_normalises_or_says_why(profile: str, data: st.DataObject) -> None:
    document = data.draw(st.one_of(shaped(profile), JSON), label="record")
    media = "application/ld+json" if profile == "schema-org" else "application/json"
    content = json.dumps(document).encode()  # Python's json: integers beyond 64 bits and NaN written too
    _survives(RawRecord("fuzz", "n1", "https://portal.example.fr/x", profile, content, media))


@pytest.mark.parametrize("profile", sorted(KEYS))
@FUZZ
@given(content=st.binary(max_size=200))
def test_any_bytes_as_a_json_record_normalise_or_say_why(profile: str, content: bytes) -> None:
    _survives(RawRecord("fuzz", "n1", "https://portal.example.fr/x", profile, content))


GMD = "http://www.isotc211.org/2005/gmd"
GCO = "http://www.isotc211.org/2005/gco"
CSW = "http://www.opengis.net/cat/csw/2.0.2"
ISO_PATHS = ["fileIdentifier", "identificationInfo", "MD_DataIdentification", "citation", "CI_Citation", "title",
             "abstract", "distributionInfo", "transferOptions", "onLine", "CI_OnlineResource", "linkage", "URL",
             "protocol", "EX_GeographicBoundingBox", "westBoundLongitude", "date", "dateStamp", "hierarchyLevel",
             "pointOfContact", "organisationName", "keyword", "CharacterString", "Decimal", "DateTime"]
DC_PATHS = ["identifier", "title", "abstract", "description", "subject", "references", "modified", "type",
            "BoundingBox", "LowerCorner", "UpperCorner", "rights", "format", "creator", "publisher"]


def _xml(root: str, ns: str, names: list[str]) -> st.SearchStrategy[bytes]:
    """Well-formed documents with the profile's element names nested at random, text anywhere."""
    element = st.recursive(
        st.tuples(st.sampled_from(names), TEXTS, st.just([])),
        lambda children: st.tuples(st.sampled_from(names), TEXTS, st.lists(children, max_size=4)), max_leaves=20)

    def render(node: tuple[str, str, list[Any]]) -> str:
        name, text, kids = node
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        escaped = "".join(c for c in escaped if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd"))
        prefix = "gco" if name in ("CharacterString", "Decimal", "DateTime") else "x"
        return f"<{prefix}:{name}>{escaped}{''.join(render(k) for k in kids)}</{prefix}:{name}>"

    return st.lists(element, max_size=5).map(lambda kids: (
        f'<x:{root} xmlns:x="{ns}" xmlns:gco="{GCO}">' + "".join(render(k) for k in kids) + f"</x:{root}>"
    ).encode())


@pytest.mark.parametrize(("profile", "documents"), [
    ("iso19139", _xml("MD_Metadata", GMD, ISO_PATHS)),
    ("csw-dc", _xml("Record", CSW, DC_PATHS)),
])
@FUZZ
@given(data=st.data())
def test_any_xml_record_normalises_or_says_why(profile: str, documents: st.SearchStrategy[bytes],
                                               data: st.DataObject) -> None:
    content = data.draw(st.one_of(documents, st.binary(max_size=200)), label="xml")
    _survives(RawRecord("fuzz", "n1", "http://127.0.0.1/csw", profile, content, "application/xml"))


PREDICATES = ["http://purl.org/dc/terms/title", "http://purl.org/dc/terms/description",
              "http://www.w3.org/ns/dcat#distribution", "http://www.w3.org/ns/dcat#downloadURL",
              "http://www.w3.org/ns/dcat#landingPage", "http://purl.org/dc/terms/modified",
              "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/ns/dcat#keyword"]


@FUZZ
@given(triples=st.lists(st.tuples(st.sampled_from(["<https://example.fr/ds/1>", "_:b1", "<https://example.fr/d>"]),
                                  st.sampled_from(PREDICATES),
                                  st.one_of(st.sampled_from(["<http://www.w3.org/ns/dcat#Dataset>", "_:b1",
                                                             "<javascript:alert(1)>", "<https://x.example/a.csv>"]),
                                            TEXTS.map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"')
                                                      .replace("\n", "\\n").replace("\r", "\\r") + '"'))),
                        max_size=12),
       noise=st.binary(max_size=40))
def test_any_dcat_description_normalises_or_says_why(triples: list[tuple[str, str, str]], noise: bytes) -> None:
    text = "".join(f"{s} <{p}> {o} .\n" for s, p, o in triples).encode() + noise
    _survives(RawRecord("fuzz", "https://example.fr/ds/1", "https://example.fr/catalog", "dcat", text,
                        "application/n-triples"))
