"""Request and response shapes of core's endpoints (explicit fields, never __all__)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

from core.identity import mask_id_number, mask_phone, mask_username
from core.models import Area, AreaLevel, AuditEntry, Person, Team
from core.roles import Role

T = TypeVar("T")


def _aware(value: datetime) -> datetime:
    # A time without a zone is ambiguous (UTC? Beijing? the phone's?), and comparing it with the
    # stored, aware times raises TypeError: refuse it as the field's error, a 422.
    if value.utcoffset() is None:
        raise PydanticCustomError("timezone_aware", "a time zone is required, e.g. 2026-05-01T09:00:00+08:00")
    return value


AwareTime = Annotated[datetime, AfterValidator(_aware)]
# A name, title or reason someone must be able to read: surrounding spaces are dropped first, so
# one made only of spaces is "too short" (422), never saved as an empty string.
Visible = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""Every datetime the API takes in (bodies and query strings): ISO 8601 with a zone or `Z`."""


class StrictIn(Schema):
    """Inputs reject unknown fields, so a typo is a 422, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    code: str = Field(..., examples=["not_found"])
    message: str
    details: Any = None


class Page(Schema, Generic[T]):
    items: list[T]
    count: int


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


class TokenIn(StrictIn):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=256)


class TokenOut(Schema):
    token: str
    expires_at: datetime


class RoleOut(Schema):
    role: Role
    area_code: str


class MeOut(Schema):
    id: int
    username: str
    name: str | None
    person_id: int | None
    roles: list[RoleOut]


class AreaOut(Schema):
    code: str
    name: str
    level: AreaLevel
    parent_code: str | None
    lat: float
    lon: float

    @staticmethod
    def build(area: Area) -> AreaOut:
        return AreaOut(
            code=area.code,
            name=area.name,
            level=AreaLevel(area.level),
            parent_code=area.parent_id,
            lat=area.lat,
            lon=area.lon,
        )


class PersonOut(Schema):
    id: int
    name: str
    phone: str = Field(
        ..., description="Masked (138****5678) unless the caller's role needs it; unmasked reads are audited."
    )
    id_number: str = Field(
        ..., description="Masked to the last 4 characters in lists; unmasked in detail for roles that need it."
    )
    area_code: str
    area_name: str
    team_id: int | None
    username: str | None
    is_active: bool
    roles: list[RoleOut]

    @staticmethod
    def build(person: Person, *, reveal_phone: bool, id_number: str | None = None) -> PersonOut:
        grants = list(person.user.role_grants.all()) if person.user is not None else []
        username = person.user.get_username() if person.user is not None else None
        if username is not None and not reveal_phone and username == person.phone:
            username = mask_phone(username)  # the default login name is the phone number: masked with it
        return PersonOut(
            id=person.pk,
            name=person.name,
            phone=person.phone if reveal_phone else mask_phone(person.phone),
            id_number=id_number if id_number is not None else mask_id_number(person.id_number_last4),
            area_code=person.home_area_id,
            area_name=person.home_area.name,
            team_id=person.team_id,
            username=username,
            is_active=person.is_active,
            roles=[RoleOut(role=Role(g.role), area_code=g.area_id) for g in grants],
        )


class PersonIn(StrictIn):
    name: Visible = Field(..., max_length=64)
    phone: str = Field(..., min_length=1, max_length=32)
    home_area_code: str = Field(..., min_length=4, max_length=12, pattern=r"^\d+$")
    id_number: str | None = Field(None, max_length=32)
    team_id: int | None = None
    roles: list[Role] = Field(default_factory=list, max_length=6)
    username: str | None = Field(None, min_length=3, max_length=150, pattern=r"^[\w.@+-]+$")
    password: str | None = Field(None, max_length=256)


class PersonPatch(StrictIn):
    name: Visible | None = Field(None, max_length=64)
    phone: str | None = Field(None, min_length=1, max_length=32)
    home_area_code: str | None = Field(None, min_length=4, max_length=12, pattern=r"^\d+$")
    id_number: str | None = Field(None, max_length=32)
    team_id: int | None = None
    is_active: bool | None = None


class PeopleFilter(PageParams):
    role: Role | None = None
    area: str | None = Field(None, max_length=12, pattern=r"^\d+$")
    team_id: int | None = None
    q: str | None = Field(None, max_length=64)


class RoleGrantIn(StrictIn):
    role: Role
    area_code: str = Field(..., min_length=4, max_length=12, pattern=r"^\d+$")


class TeamOut(Schema):
    id: int
    name: str
    area_code: str
    area_name: str
    leader_id: int | None

    @staticmethod
    def build(team: Team) -> TeamOut:
        return TeamOut(
            id=team.pk, name=team.name, area_code=team.area_id, area_name=team.area.name, leader_id=team.leader_id
        )


class TeamIn(StrictIn):
    name: Visible = Field(..., max_length=64)
    area_code: str = Field(..., min_length=4, max_length=12, pattern=r"^\d+$")
    leader_id: int | None = None


class AuditOut(Schema):
    """An audit entry. Who acted is shown by login name, masked like a phone when it is one
    (members' default login name is their phone number, and the audit trail is read by staff
    who see phones masked in lists).

    Which entries a reader sees is decided where they are written: each is filed under the area
    it belongs to (a member's own action under their home area), so each county's audit shows
    its own people and events.
    """

    id: int
    at: datetime
    actor: str = Field(..., description="The actor's login name; a phone number is masked (138****5678).")
    action: str
    object_type: str
    object_id: str
    area_code: str
    ip: str | None
    details: dict[str, Any]

    @staticmethod
    def build(entry: AuditEntry) -> AuditOut:
        person = getattr(entry.actor, "person", None) if entry.actor is not None else None
        return AuditOut(
            id=entry.pk,
            at=entry.at,
            actor=mask_username(entry.actor_username, phone=person.phone if person is not None else None),
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            area_code=entry.area_code,
            ip=entry.ip,
            details=entry.details,
        )


class AuditFilter(PageParams):
    action: str | None = Field(None, max_length=32)
    since: AwareTime | None = None
    until: AwareTime | None = None
