"""CSV for people who open it in a spreadsheet: text that would start a formula is defused.

Why: titles, publishers and sources come from harvested portals, that is from anyone. A cell beginning with ``=``,
``+``, ``-`` or ``@`` (or a tab or carriage return before one) is run as a formula by Excel and LibreOffice when the
file is opened: ``=HYPERLINK(...)`` leaks data, ``=cmd|...`` runs commands on old versions (OWASP "CSV injection").
Such a cell is written with a leading apostrophe, which spreadsheets show as text and never evaluate; numbers are
left as numbers. Lines end with CRLF as RFC 4180 says: the csv module quotes a cell holding a character of the line
terminator, so a carriage return inside a title cannot start a new row whose first cell is a formula (with "\n"
alone it did). Every CSV moisson serves goes through :func:`csv_text`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, with a leading apostrophe when it is text that a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(rows: Iterable[Mapping[str, Any]], columns: list[str]) -> str:
    """Rows as CSV text with a header line; keys outside ``columns`` are left out, formulas defused."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: safe_cell(value) for key, value in row.items()})
    return buffer.getvalue()
