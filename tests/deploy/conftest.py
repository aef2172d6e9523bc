"""Deployment tests share the fault tests' fixtures (a fresh PostgreSQL database); the pages are
tests/browser.py's, with the browser kept to each module: Playwright's sync API holds a running event
loop in the thread while it is up, and tests/faults, which runs next, uses asyncio.run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import launched
from tests.faults.conftest import postgres_database

__all__ = ["postgres_database"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched() as found:
        yield found
