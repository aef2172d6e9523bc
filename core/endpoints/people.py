from __future__ import annotations

import os
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from core import crypto
from core.auth import actor_of
from core.endpoints import errors
from core.models import AuditAction, Person
from core.pagination import paginate
from core.schemas import Page, PeopleFilter, PersonIn, PersonOut, PersonPatch, RoleGrantIn
from core.selectors import person_get, person_list, person_reveals_personal_data
from core.services.audit import audit_record
from core.services.people import person_create, person_update, role_grant, role_revoke

router = Router(tags=["people"])


def _detail(request: HttpRequest, person: Person) -> PersonOut:
    """A person as the caller may see them; an unmasked read is audited."""
    if not person_reveals_personal_data(actor=actor_of(request), person=person):
        return PersonOut.build(person, reveal_phone=False)
    id_number = crypto.decrypt(person.id_number_encrypted) if person.id_number_encrypted else ""
    audit_record(
        actor=actor_of(request),
        action=AuditAction.PERSONAL_DATA_READ,
        object_type="person",
        object_id=person.pk,
        area_code=person.home_area_id,
        details={"fields": ["phone", "id_number"]},
    )
    return PersonOut.build(person, reveal_phone=True, id_number=id_number)


@router.get("", response={200: Page[PersonOut], **errors(401, 403, 422)})
def people(request: HttpRequest, filters: Query[PeopleFilter]) -> dict[str, Any]:
    found = person_list(
        actor=actor_of(request), role=filters.role, area=filters.area, team_id=filters.team_id, search=filters.q
    )
    items, count = paginate(found, filters)
    revealed = [p for p in items if person_reveals_personal_data(actor=actor_of(request), person=p)]
    if revealed:
        codes = [p.home_area_id for p in revealed]
        audit_record(
            actor=actor_of(request),
            action=AuditAction.PERSONAL_DATA_READ,
            object_type="person_list",
            # The narrowest area covering every revealed person, so the entry is visible to their staff.
            area_code=os.path.commonprefix(codes),  # noqa: RUF071 (codes are digit strings: char-wise is right)
            details={"fields": ["phone"], "person_ids": [p.pk for p in revealed]},
        )
    shown = {p.pk for p in revealed}
    return {"items": [PersonOut.build(p, reveal_phone=p.pk in shown) for p in items], "count": count}


@router.post("", response={201: PersonOut, **errors(401, 403, 404, 409, 422)})
def create(request: HttpRequest, payload: PersonIn) -> Status[PersonOut]:
    person = person_create(actor=actor_of(request), **payload.model_dump())
    return Status(201, _detail(request, person_get(actor=actor_of(request), person_id=person.pk)))


@router.get("/{int:person_id}", response={200: PersonOut, **errors(401, 403, 404)})
def detail(request: HttpRequest, person_id: int) -> PersonOut:
    return _detail(request, person_get(actor=actor_of(request), person_id=person_id))


@router.patch("/{int:person_id}", response={200: PersonOut, **errors(401, 403, 404, 409, 422)})
def update(request: HttpRequest, person_id: int, payload: PersonPatch) -> PersonOut:
    person_update(actor=actor_of(request), person_id=person_id, **payload.model_dump(exclude_unset=True))
    return _detail(request, person_get(actor=actor_of(request), person_id=person_id))


@router.delete(
    "/{int:person_id}/roles/{role}/{area_code}", response={200: PersonOut, **errors(401, 403, 404, 409, 422)}
)
def revoke(request: HttpRequest, person_id: int, role: str, area_code: str) -> PersonOut:
    """Take the role over that area away; the person's open sockets reconnect with what they still hold."""
    role_revoke(actor=actor_of(request), person_id=person_id, role=role, area_code=area_code)
    return _detail(request, person_get(actor=actor_of(request), person_id=person_id))


@router.post("/{int:person_id}/roles", response={201: PersonOut, **errors(401, 403, 404, 422)})
def grant(request: HttpRequest, person_id: int, payload: RoleGrantIn) -> Status[PersonOut]:
    role_grant(actor=actor_of(request), person_id=person_id, role=payload.role, area_code=payload.area_code)
    return Status(201, _detail(request, person_get(actor=actor_of(request), person_id=person_id)))
