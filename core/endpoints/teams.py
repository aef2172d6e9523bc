from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from core.auth import actor_of
from core.endpoints import errors
from core.pagination import paginate
from core.schemas import Page, PageParams, TeamIn, TeamOut
from core.selectors import team_get, team_list
from core.services.people import team_create

router = Router(tags=["teams"])


class TeamFilter(PageParams):
    area: str | None = Field(None, max_length=12, pattern=r"^\d+$")


@router.get("", response={200: Page[TeamOut], **errors(401, 403, 422)})
def teams(request: HttpRequest, filters: Query[TeamFilter]) -> dict[str, Any]:
    items, count = paginate(team_list(actor=actor_of(request), area=filters.area), filters)
    return {"items": [TeamOut.build(t) for t in items], "count": count}


@router.post("", response={201: TeamOut, **errors(401, 403, 404, 409, 422)})
def create(request: HttpRequest, payload: TeamIn) -> Status[TeamOut]:
    team = team_create(
        actor=actor_of(request), name=payload.name, area_code=payload.area_code, leader_id=payload.leader_id
    )
    return Status(201, TeamOut.build(team_get(actor=actor_of(request), team_id=team.pk)))


@router.get("/{int:team_id}", response={200: TeamOut, **errors(401, 403, 404)})
def detail(request: HttpRequest, team_id: int) -> TeamOut:
    return TeamOut.build(team_get(actor=actor_of(request), team_id=team_id))
