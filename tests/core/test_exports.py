"""Spreadsheet cells that are safe to open, and the one-sheet XLSX every report download is written with."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from core.exports import safe_cell, to_xlsx


@pytest.mark.parametrize(
    ("raw", "safe"), [("=1+1", "'=1+1"), ("+86", "'+86"), ("-2", "'-2"), ("@SUM", "'@SUM"), ("王", "王"), (-2, -2)]
)
def test_safe_cell_prefixes_formula_starts(raw, safe):
    assert safe_cell(raw) == safe


def test_a_sheet_holds_the_header_and_rows_with_numbers_as_numbers_and_no_formula():
    content = to_xlsx(
        title="a title longer than excel's thirty-one characters",
        header=["名称", "=count"],
        rows=[["淇县", 3], ['=HYPERLINK("http://x")', None], ["浚县", 0.25]],
    )

    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.title == "a title longer than excel's thir"[:31]
    assert list(sheet.iter_rows(values_only=True)) == [
        ("名称", "'=count"),
        ("淇县", 3),
        ('\'=HYPERLINK("http://x")', None),
        ("浚县", 0.25),
    ]
    assert [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"] == []
