"""Fixtures for real-process fault tests: a fresh PostgreSQL database, run logs kept on failure."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import require_server


def _server_url() -> str:
    """The PostgreSQL server of DATABASE_URL when that is PostgreSQL, else the CI default on loopback."""
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return url


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (dropped afterwards); its URL."""
    import psycopg

    server = urlsplit(_server_url())
    admin = urlunsplit(server._replace(path="/postgres"))
    name = f"zq_faults_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        require_server("PostgreSQL", f"{admin}: {exc}")
    try:
        yield urlunsplit(server._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
