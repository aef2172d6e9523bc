"""The contract's list shape: {"items": [...], "count": N} with ?limit=&offset=."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from core.schemas import PageParams

M = TypeVar("M", bound=Model)


def paginate(queryset: QuerySet[M], params: PageParams) -> tuple[list[M], int]:
    count = queryset.count()
    return list(queryset[params.offset : params.offset + params.limit]), count
