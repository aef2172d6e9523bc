"""What the benchmark drivers share: a fresh PostgreSQL database and the open-file limit. Not a test."""

from __future__ import annotations

import resource


def open_files_to_the_hard_limit() -> None:
    """This process (and what it starts from now on) may hold as many sockets as the system lets it."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def database_named(url: str, name: str) -> str:
    """The URL of database `name` on the server of `url`."""
    return f"{url.rpartition('/')[0]}/{name}"


def fresh_postgres(url: str) -> str:
    """Drop (closing its connections) and create the database `url` names; return `url`."""
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url
