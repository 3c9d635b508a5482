"""JSON pages from portals, decoded whatever the depth of one record in them.

Why: a page holds many records, and one record nested thousands of levels deep must not cost the others. Decoders
recurse: orjson refuses more than 1,024 levels (and cannot write back more than 254), Python's json raises
RecursionError near 1,000 (issue 13: a CKAN package whose ``extras`` nested 100,000 lists deep failed its whole page,
and one nested 500 deep failed the whole source when its record was written). So before decoding, a page deeper than
:data:`CUT_DEPTH` has each value that opens below that depth replaced by the string :data:`CUT_MARK`, found by a scan
that does not recurse (strings skipped, brackets counted). Every other record decodes as it was; the cut record
still decodes too, and the record limits of :mod:`normalise.limits` refuse it with a clear reason on the job, on its
own.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

CUT_DEPTH = 200  # far beyond any real record (about 10 levels), within what orjson reads and writes back
CUT_MARK = f"[moisson: nested deeper than {CUT_DEPTH} levels, cut]"

_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.S)  # a string (escapes inside) or a bracket
_NOT_STRUCTURE = bytes(range(256)).translate(None, b'"[]{}')  # every byte but quotes and brackets
_PLAIN_STRINGS = re.compile(rb'"[^"]*"')
_INNERMOST = re.compile(rb"\[\]|\{\}")


def deeper_than(data: bytes, limit: int) -> bool:
    """Whether the JSON text nests more than ``limit`` levels, without decoding it and without a Python step per
    character: strings dropped and everything but brackets deleted (C speed), then the innermost pairs removed one
    level at a time, at most ``limit`` times; pairs left mean deeper. A record of a few kilobytes costs a few
    microseconds a level."""
    unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"")  # escaped backslashes, then escaped quotes
    brackets = _PLAIN_STRINGS.sub(b"", unescaped.translate(None, _NOT_STRUCTURE))
    for _ in range(limit):
        reduced = _INNERMOST.sub(b"", brackets)
        if reduced == brackets:  # nothing left, or brackets that do not pair (not JSON: its decoder will say so)
            return False
        brackets = reduced
    return _INNERMOST.search(brackets) is not None


def cut(data: bytes, limit: int = CUT_DEPTH) -> bytes:
    """The JSON text with every value that opens deeper than ``limit`` replaced by :data:`CUT_MARK`."""
    out: list[bytes] = []
    level, kept_until, skipping_from = 0, 0, None
    for match in _TOKENS.finditer(data):
        token = match.group()
        if token[0] == ord('"'):
            continue
        if token in (b"[", b"{"):
            level += 1
            if level == limit + 1 and skipping_from is None:
                out.append(data[kept_until:match.start()])
                skipping_from = match.start()
        else:
            if level == limit + 1 and skipping_from is not None:
                out.append(orjson.dumps(CUT_MARK))
                kept_until, skipping_from = match.end(), None
            level -= 1
    out.append(data[kept_until:] if skipping_from is None else orjson.dumps(CUT_MARK))
    return b"".join(out)


def decodable(data: bytes) -> bytes:
    """The page as is when every decoder here reads it and orjson writes its records back (the usual case, checked
    at C speed), else the page with its too-deep values cut."""
    try:
        orjson.dumps(orjson.loads(data))  # orjson writes back 254 levels at most, Python's json reads ~1,000
        return data
    except orjson.JSONEncodeError:
        return cut(data)
    except orjson.JSONDecodeError:
        return cut(data) if deeper_than(data, CUT_DEPTH) else data  # not JSON: the caller's decoder says so


def loads(data: bytes | str) -> Any:
    """Decode a page with orjson, too-deep values cut first (see the module's docstring); raises
    ``orjson.JSONDecodeError`` (a ValueError) on text that is not JSON."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        value = orjson.loads(raw)
        orjson.dumps(value)
        return value
    except orjson.JSONEncodeError:
        return orjson.loads(cut(raw))
    except orjson.JSONDecodeError:
        if not deeper_than(raw, CUT_DEPTH):
            raise
        return orjson.loads(cut(raw))
