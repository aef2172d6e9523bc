"""core.sql: lists sent to PostgreSQL as one text parameter each."""

from __future__ import annotations

import math

import pytest
from django.db import connection

from core.sql import int_array, number_array, text_lines


def test_int_arrays_are_postgresql_array_literals_and_refuse_anything_but_integers():
    assert int_array([1, 2, 2**40]) == "{1,2,1099511627776}"
    assert int_array(iter([])) == "{}"
    with pytest.raises(ValueError, match="invalid literal"):
        int_array(["1}; DROP TABLE core_person; --"])  # type: ignore[list-item]


def test_number_arrays_are_postgresql_array_literals_with_nulls_for_missing_values():
    assert number_array([1, 2, 30]) == "{1,2,30}"
    assert number_array([812.4, None, math.nan, 0.1]) == "{812.4,NULL,NULL,0.1}"
    assert number_array([]) == "{}"


def test_text_lines_refuse_a_value_with_a_newline():
    assert text_lines(["", '"a":1']) == '.\n."a":1'
    with pytest.raises(ValueError, match="newline"):
        text_lines(["one\ntwo"])


@pytest.mark.django_db
def test_postgresql_reads_them_back_exactly():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's own array parsing (the CI pass on PostgreSQL runs it)")
    values = ["", '"title":"火情 \\"东区\\" C:\\\\ 🔥"', "x", ""]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT substr(t, 2) FROM unnest(string_to_array(%s, E'\\n')) WITH ORDINALITY AS r(t, n) ORDER BY n",
            [text_lines(values)],
        )
        assert [row[0] for row in cursor.fetchall()] == values
        cursor.execute("SELECT %s::float8[], %s::bigint[]", [number_array([1.5, None]), int_array([2**40, 7])])
        assert cursor.fetchone() == ([1.5, None], [2**40, 7])
