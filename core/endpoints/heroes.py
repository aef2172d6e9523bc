"""The register of honoured heroes (见义勇为英雄 / 先进个人): list, detail, record, correct, export."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from core.auth import actor_of
from core.endpoints import errors
from core.pagination import paginate
from core.schemas import HeroFilter, HeroIn, HeroOut, HeroPatch, Page
from core.selectors import hero_get, hero_list
from core.services.heroes import hero_create, hero_export, hero_update

router = Router(tags=["heroes"])


@router.get("/heroes", response={200: Page[HeroOut], **errors(401, 403, 422)})
def heroes(request: HttpRequest, filters: Query[HeroFilter]) -> dict[str, Any]:
    found = hero_list(
        actor=actor_of(request), area=filters.area, honour=filters.honour, year=filters.year, search=filters.q
    )
    items, count = paginate(found, filters)
    return {"items": [HeroOut.build(h) for h in items], "count": count}


@router.get(
    "/heroes.csv",
    response={200: None, **errors(401, 403, 422)},
    summary="Honoured heroes as CSV",
    openapi_extra={"responses": {200: {"description": "CSV", "content": {"text/csv": {}}}}},
)
def export(request: HttpRequest, filters: Query[HeroFilter]) -> HttpResponse:
    """Every hero matching the filters (limit and offset do not apply); each export is audited."""
    body = hero_export(
        actor=actor_of(request), area=filters.area, honour=filters.honour, year=filters.year, search=filters.q
    )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="heroes.csv"'
    return response


@router.post("/heroes", response={201: HeroOut, **errors(401, 403, 404, 422)})
def create(request: HttpRequest, payload: HeroIn) -> Status[HeroOut]:
    hero = hero_create(actor=actor_of(request), **payload.model_dump())
    return Status(201, HeroOut.build(hero_get(actor=actor_of(request), hero_id=hero.pk)))


@router.get("/heroes/{int:hero_id}", response={200: HeroOut, **errors(401, 403, 404)})
def detail(request: HttpRequest, hero_id: int) -> HeroOut:
    return HeroOut.build(hero_get(actor=actor_of(request), hero_id=hero_id))


@router.patch("/heroes/{int:hero_id}", response={200: HeroOut, **errors(401, 403, 404, 422)})
def update(request: HttpRequest, hero_id: int, payload: HeroPatch) -> HeroOut:
    hero_update(actor=actor_of(request), hero_id=hero_id, **payload.model_dump(exclude_unset=True))
    return HeroOut.build(hero_get(actor=actor_of(request), hero_id=hero_id))
