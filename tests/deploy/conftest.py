"""Deployment tests share the fault tests' fixtures (a fresh PostgreSQL database); the browser and its
pages are tests/browser.py's, as for tests/web."""

from __future__ import annotations

from tests.faults.conftest import postgres_database

__all__ = ["postgres_database"]
