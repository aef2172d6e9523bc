"""The contract's list shape: {"items": [...], "count": N} with ?limit=&offset=."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.db.models import Model, QuerySet

from core.schemas import PageParams

M = TypeVar("M", bound=Model)
T = TypeVar("T")


def paginate(queryset: QuerySet[M], params: PageParams) -> tuple[list[M], int]:
    count = queryset.count()
    return list(queryset[params.offset : params.offset + params.limit]), count


def paginate_rows(rows: Sequence[T], params: PageParams) -> tuple[list[T], int]:
    """The same for rows computed in Python (reports, coverage tables)."""
    return list(rows[params.offset : params.offset + params.limit]), len(rows)
