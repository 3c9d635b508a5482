"""CSV cells that a spreadsheet would run as formulas are defused; numbers and plain text are left alone."""

from __future__ import annotations

import csv
import io

from kernel.spreadsheet import csv_text, safe_cell


def test_formula_starts_are_defused_and_the_rest_left_alone() -> None:
    assert [safe_cell(v) for v in ("=1+1", "+1", "-x", "@A1", "\t=1", "\r=1")] == [
        "'=1+1", "'+1", "'-x", "'@A1", "'\t=1", "'\r=1"]
    assert [safe_cell(v) for v in ("Ville de Lyon", "", -5, 3.5, None)] == ["Ville de Lyon", "", -5, 3.5, None]


def test_a_carriage_return_inside_a_cell_cannot_start_a_row() -> None:
    text = csv_text([{"title": "a\r=1+1", "n": 1}, {"title": "b\n@x", "n": 2}], ["title", "n"])
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows == [{"title": "a\r=1+1", "n": "1"}, {"title": "b\n@x", "n": "2"}]
