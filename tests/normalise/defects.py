"""Records with one element made wrong, for the normalisers' "a defect in one element loses that element, not the
record" tests: every key of a record, at every depth (the first item of each list), replaced by junk of each kind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson

from normalise import NormaliseError

JUNK: tuple[Any, ...] = (None, 42, "", "x", [], {}, [1, "a", None], {"a": [1]}, True, 1.5)


def paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*path, key))
    elif isinstance(value, list) and value:
        yield from paths(value[0], (*path, 0))


def mutated(record: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], Any, dict[str, Any]]]:
    for path in paths(record):
        for junk in JUNK:
            copy = orjson.loads(orjson.dumps(record))
            node = copy
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = junk
            yield path, junk, copy


def crashes(record: dict[str, Any], run: Callable[[dict[str, Any]], object],
            may_refuse: Callable[[tuple[Any, ...]], bool]) -> list[str]:
    """What goes wrong: a crash anywhere, or a refusal (NormaliseError) for an element the record can do without."""
    problems = []
    for path, junk, copy in mutated(record):
        try:
            run(copy)
        except NormaliseError as exc:
            if not may_refuse(path):
                problems.append(f"{path} = {junk!r}: refused ({exc})")
        except Exception as exc:
            problems.append(f"{path} = {junk!r}: {type(exc).__name__}: {exc}")
    return problems
