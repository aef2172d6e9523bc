"""Exports neutralise cells that a spreadsheet would run as a formula."""

from __future__ import annotations

import pytest

from core.exports import spreadsheet_safe


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=x", "'\t=x"),
        ("张三", "张三"),
        ("a=b", "a=b"),
        (None, ""),
        (42, "42"),
    ],
)
def test_a_leading_formula_character_gets_an_apostrophe(value: object, expected: str) -> None:
    assert spreadsheet_safe(value) == expected
