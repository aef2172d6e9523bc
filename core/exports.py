"""Spreadsheet exports that are safe to open: no cell may start a formula (CSV/formula injection)."""

from __future__ import annotations

from typing import Any

# Excel, LibreOffice and Sheets start a formula on these (tab and CR too, after trimming elsewhere).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> str:
    """The cell as text, with a leading apostrophe when it would otherwise be read as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text
