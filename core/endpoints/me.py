from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from core.auth import actor_of
from core.endpoints import errors
from core.jurisdiction import grants_of
from core.models import Person
from core.roles import Role
from core.schemas import MeOut, RoleOut

router = Router(tags=["me"])


@router.get("/me", response={200: MeOut, **errors(401)})
def me(request: HttpRequest) -> MeOut:
    user = actor_of(request)
    person = Person.objects.filter(user_id=user.pk).only("id", "name").first()
    return MeOut(
        id=user.pk,
        username=user.get_username(),
        name=person.name if person else None,
        person_id=person.pk if person else None,
        roles=[RoleOut(role=Role(g.role), area_code=g.area_id) for g in grants_of(user)],
    )
