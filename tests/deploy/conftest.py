"""Deployment tests share the fault tests' fixtures (a fresh PostgreSQL database)."""

from __future__ import annotations

from tests.faults.conftest import postgres_database

__all__ = ["postgres_database"]
