"""Bulk SQL helpers for the few hot paths that write thousands of rows in one statement."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection


@contextmanager
def binding_cursor() -> Iterator[Any]:
    """A PostgreSQL cursor on the current connection (and transaction) that binds parameters on the server.

    Django's psycopg cursors bind on the client: every parameter is rendered into the SQL
    text, so a list of 2,000 strings is quoted and escaped value by value in Python and
    parsed again by the server. Here parameters travel separately, and `%b` sends a list as
    a binary array (psycopg's C dumpers: no quoting, no parsing). Errors are Django's, as
    from `connection.cursor()`. PostgreSQL only.
    """
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor
