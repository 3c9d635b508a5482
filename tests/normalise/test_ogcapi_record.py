"""OGC API - Records feature -> DCAT-AP: the mapping details and the errors (paging is in the harvester tests)."""

from __future__ import annotations

import orjson
import pytest

from kernel.records import RawRecord
from normalise import NormaliseError
from normalise.ogcapi_record import normalise_ogcapi_record
from scoring.shacl import validate_entries
from tests.harvesters.test_ogcapi_records import record


def _raw(data: object) -> RawRecord:
    content = data if isinstance(data, bytes) else orjson.dumps(data)
    return RawRecord(source_id="rec", native_id="x", url="http://127.0.0.1/", profile="ogcapi-record",
                     content=content, media_type="application/geo+json")


def test_record_maps_to_a_valid_dcat_ap_dataset() -> None:
    feature = record(1, "Lyon", 4.835, 45.764)
    feature["properties"]["themes"].append({"concepts": [{"id": "lu", "title": "Land use"}],
                                            "scheme": "http://inspire.ec.europa.eu/theme"})
    [dataset] = normalise_ogcapi_record(_raw(feature))
    assert dataset.native_id == "rec-1" and dataset.issued == "2021-03-04"
    assert dataset.modified == "2024-05-01T10:00:00Z"
    assert "http://inspire.ec.europa.eu/theme/lu" in dataset.categories
    assert dataset.languages == ["http://publications.europa.eu/resource/authority/language/FRA"]
    assert dataset.temporal[0].end is None and dataset.rights == "Réutilisation libre"
    assert validate_entries([dataset])[dataset.id].conforms


def test_service_record_and_gaps() -> None:
    feature = record(2, "Lille", 3.06, 50.63, service=True)
    del feature["properties"]["description"]
    [service] = normalise_ogcapi_record(_raw(feature))
    assert service.kind == "service" and service.gaps == ["dct:description"]
    assert service.spatial[0].departements == ["59"]


def test_not_a_record() -> None:
    with pytest.raises(NormaliseError, match="not JSON"):
        normalise_ogcapi_record(_raw(b"{"))
    with pytest.raises(NormaliseError, match="no properties"):
        normalise_ogcapi_record(_raw({"id": "a"}))
    with pytest.raises(NormaliseError, match="without a title"):
        normalise_ogcapi_record(_raw({"id": "a", "properties": {"title": " "}}))


def test_anything_where_a_list_is_expected_is_no_list() -> None:
    """Found by the fuzzing of issue 13: ``true`` for keywords, themes, contacts, formats or links raised TypeError."""
    for key in ("keywords", "themes", "contacts", "formats", "languages"):
        feature = {"id": "x", "properties": {"title": "t", key: True}, "links": True}
        (entry,) = normalise_ogcapi_record(RawRecord(source_id="rec", native_id="x", url="http://127.0.0.1/",
                                                     profile="ogcapi-record", content=orjson.dumps(feature)))
        assert entry.title == "t"
