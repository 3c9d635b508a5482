"""Pages whose one record nests too deep for a decoder still decode, with that record's deep values cut."""

from __future__ import annotations

import json

import orjson
import pytest

from kernel.jsonpage import CUT_DEPTH, CUT_MARK, cut, decodable, deeper_than, loads


def _page(levels: int) -> bytes:
    return (b'{"results":[{"id":"a","t":"[[{{\\"]]"},{"id":"deep","x":' + b"[" * levels + b"]" * levels
            + b'},{"id":"b"}]}')


@pytest.mark.parametrize(("text", "levels"), [
    (b'"[[["', 0), (b"[1, [2, {\"a\": [3]}]]", 4), (b'{"a": "]]]", "b": [[{}], {"c": [[1]]}]}', 5),
    (b'[{"x": "\\"[["}, [[]]]', 3), (_page(10), 13), (_page(1000), 1003),
])
def test_depth_counts_brackets_outside_strings(text: bytes, levels: int) -> None:
    assert not deeper_than(text, levels) and deeper_than(text, levels - 1) == (levels > 0)


@pytest.mark.parametrize("text", [b"{oops", b"]]]]", b"[}" * 50, b'{"a": [1, 2}'])
def test_text_that_is_not_json_is_not_called_deep(text: bytes) -> None:
    assert not deeper_than(text, 1)  # its decoder says what is wrong with it


@pytest.mark.parametrize("levels", [10, 300, 1_100, 100_000])
def test_every_record_of_the_page_decodes_and_writes_back(levels: int) -> None:
    page = loads(_page(levels))
    assert [r["id"] for r in page["results"]] == ["a", "deep", "b"] and page["results"][0]["t"] == '[[{{"]]'
    orjson.dumps(page)  # each record can be stored as it was fetched
    assert json.loads(decodable(_page(levels)))["results"][2] == {"id": "b"}  # what ckanapi's json reads
    if levels + 3 > CUT_DEPTH:  # the page nests 3 levels above the record
        assert CUT_MARK in orjson.dumps(page).decode()


def test_cut_replaces_each_too_deep_value_once() -> None:
    assert orjson.loads(cut(b'[[[1]],[2],{"a":{"b":1}},3]', 1)) == [CUT_MARK, CUT_MARK, CUT_MARK, 3]
    assert cut(b"[1]", 5) == b"[1]"


def test_text_that_is_not_json_is_still_an_error() -> None:
    with pytest.raises(ValueError):
        loads(b"{nope")
