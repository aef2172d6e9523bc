from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router

from core.auth import actor_of
from core.endpoints import errors
from core.models import AreaLevel
from core.pagination import paginate
from core.schemas import AreaOut, Page, PageParams
from core.selectors import area_get, area_list, area_outline

router = Router(tags=["areas"])


class AreaFilter(PageParams):
    limit: int = Field(200, ge=1, le=500)
    level: AreaLevel | None = None
    parent: str | None = Field(None, max_length=12, pattern=r"^\d+$")


class AreaDetailOut(AreaOut):
    boundary: dict[str, Any] | None = Field(None, description="GeoJSON geometry (WGS-84) where known")
    children: list[AreaOut]


@router.get("", response={200: Page[AreaOut], **errors(401, 422)})
def areas(request: HttpRequest, filters: Query[AreaFilter]) -> dict[str, Any]:
    items, count = paginate(area_list(actor=actor_of(request), level=filters.level, parent=filters.parent), filters)
    return {"items": [AreaOut.build(a) for a in items], "count": count}


@router.get("/{code}", response={200: AreaDetailOut, **errors(401, 404, 422)})
def area(request: HttpRequest, code: str) -> AreaDetailOut:
    found = area_get(actor=actor_of(request), code=code)
    children = area_list(actor=actor_of(request), parent=found.code)
    return AreaDetailOut(
        **AreaOut.build(found).model_dump(),
        boundary=area_outline(area=found),
        children=[AreaOut.build(a) for a in children],
    )
