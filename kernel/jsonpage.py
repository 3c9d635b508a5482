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
from itertools import accumulate
from typing import Any

import orjson

CUT_DEPTH = 200  # far beyond any real record (about 10 levels), within what orjson reads and writes back
CUT_MARK = f"[moisson: nested deeper than {CUT_DEPTH} levels, cut]"

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)
_BRACKETS_ONLY = bytes(range(256)).translate(None, b"[]{}")  # every byte but brackets: deleted by translate
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def depth(data: bytes) -> int:
    """How deep the JSON text nests (0 for a scalar), without decoding it: strings dropped, brackets counted."""
    brackets = _STRINGS.sub(b"", data).translate(None, _BRACKETS_ONLY)
    return max(accumulate(_STEP[b] for b in brackets), default=0)


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
        return cut(data) if depth(data) > CUT_DEPTH else data  # not JSON at all: the caller's decoder says so


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
        if depth(raw) <= CUT_DEPTH:
            raise
        return orjson.loads(cut(raw))
