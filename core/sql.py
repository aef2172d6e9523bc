"""Bulk SQL helpers for the few hot paths that write thousands of rows in one statement.

Lists go to PostgreSQL as one text parameter each, which the server turns into an array.
Bound value by value (or as arrays adapted element by element), an alert to 2,000 people
(~10,000 values) cost more Python than the inserts cost PostgreSQL.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

_LINE = "\n"


def int_array(values: Iterable[int]) -> str:
    """A PostgreSQL array literal of integers (`{1,2,30}`) for a `%s::bigint[]` parameter.

    Each value goes through `int` (a non-integer raises rather than reaching the SQL).
    """
    return "{" + ",".join(map(str, map(int, values))) + "}"


def number_array(values: Iterable[int | float | None]) -> str:
    """A PostgreSQL array literal (`{1,2.5,NULL}`) for a `%s::bigint[]` or `%s::float8[]` parameter."""
    return "{" + ",".join(_number(value) for value in values) + "}"


def _number(value: int | float | None) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "NULL"
    return repr(value)


def text_lines(values: Iterable[str]) -> str:
    """One parameter for a list of one-line strings (compact JSON never holds a raw newline).

    In SQL, `string_to_array(%s, E'\\n')` gives them back with a leading "." each (so that an
    empty string is still a row), which `substr(value, 2)` removes.
    """
    lines = []
    for value in values:
        if _LINE in value:
            raise ValueError("text_lines values must not contain a newline")
        lines.append("." + value)
    return _LINE.join(lines)
