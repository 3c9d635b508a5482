"""The limits every record passes at normalise(): one record over them is refused alone, with a reason."""

from __future__ import annotations

import orjson
import pytest

from kernel.records import RawRecord
from normalise import NormaliseError, normalise
from normalise.limits import MAX_DEPTH, MAX_DISTRIBUTIONS, MAX_FIELD_CHARS


def _ckan(**package: object) -> RawRecord:
    data = {"id": "p1", "name": "p1", "title": "Un jeu", **package}
    return RawRecord("src", "p1", "https://ckan.example/p1", "ckan", orjson.dumps(data))


def test_a_record_within_the_limits_passes() -> None:
    (entry,) = normalise(_ckan(notes="x" * 1000, resources=[{"url": f"https://x.example/{i}.csv"} for i in range(5)]))
    assert len(entry.distributions) == 5


@pytest.mark.parametrize(("package", "words"), [
    ({"notes": "x" * (MAX_FIELD_CHARS + 1)}, "is 100,001 characters long: at most 100,000"),
    ({"resources": [{"url": f"https://x.example/{i}.csv"} for i in range(MAX_DISTRIBUTIONS + 1)]}, "distributions"),
])
def test_a_record_over_a_limit_is_refused_with_its_reason(package: dict, words: str) -> None:
    with pytest.raises(NormaliseError, match=words):
        normalise(_ckan(**package))


def test_a_record_nested_too_deep_is_refused_before_its_normaliser_recurses() -> None:
    raw = _ckan()
    deep = raw.content[:-1] + b',"deep":' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}"
    with pytest.raises(NormaliseError, match=f"nested more than {MAX_DEPTH} levels deep"):
        normalise(RawRecord(raw.source_id, raw.native_id, raw.url, raw.profile, deep))
