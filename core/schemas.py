"""Request and response shapes of core's endpoints (explicit fields, never __all__)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

from core.identity import mask_id_number, mask_phone, mask_username
from core.models import Area, AreaLevel, AuditEntry, Hero, Honour, Person, Team
from core.roles import Role

T = TypeVar("T")


def _aware(value: datetime) -> datetime:
    # A time without a zone is ambiguous (UTC? Beijing? the phone's?), and comparing it with the
    # stored, aware times raises TypeError: refuse it as the field's error, a 422.
    if value.utcoffset() is None:
        raise PydanticCustomError("timezone_aware", "a time zone is required, e.g. 2026-05-01T09:00:00+08:00")
    return value


def _past(value: date) -> date:
    # A date of something that happened: not after today (Beijing time), and not before 1900.
    if value > timezone.localdate():
        raise PydanticCustomError("date_in_future", "the date must not be in the future")
    if value.year < 1900:
        raise PydanticCustomError("date_too_early", "the date must not be before 1900")
    return value


AwareTime = Annotated[datetime, AfterValidator(_aware)]
PastDate = Annotated[date, AfterValidator(_past)]
"""A calendar date (YYYY-MM-DD) that has already come: today or earlier."""
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


class HeroOut(Schema):
    id: int
    name: str
    person_id: int | None = Field(..., description="The member honoured, when the hero is one.")
    area_code: str
    area_name: str
    deed: str
    deed_date: date
    honour: Honour
    honour_label: str = Field(..., description="The honour's name in the request's language.")
    honoured_on: date
    awarding_body: str
    recorded_by: str | None = Field(..., description="Who recorded it: their name, or their (masked) login name.")

    @staticmethod
    def build(hero: Hero) -> HeroOut:
        recorder = hero.recorded_by
        recorded_by = None
        if recorder is not None:
            person = getattr(recorder, "person", None)
            recorded_by = person.name if person is not None else mask_username(recorder.get_username(), phone=None)
        return HeroOut(
            id=hero.pk,
            name=hero.name,
            person_id=hero.person_id,
            area_code=hero.home_area_id,
            area_name=hero.home_area.name,
            deed=hero.deed,
            deed_date=hero.deed_date,
            honour=Honour(hero.honour),
            honour_label=str(Honour(hero.honour).label),
            honoured_on=hero.honoured_on,
            awarding_body=hero.awarding_body,
            recorded_by=recorded_by,
        )


class HeroIn(StrictIn):
    person_id: int | None = Field(
        None, description="A member of the caller's jurisdiction; the name defaults to theirs."
    )
    name: Visible | None = Field(None, max_length=64, description="Required unless `person_id` names a member.")
    area_code: str = Field(..., min_length=4, max_length=12, pattern=r"^\d+$")
    deed: Visible = Field(..., max_length=4000)
    deed_date: PastDate
    honour: Honour
    honoured_on: PastDate
    awarding_body: str = Field("", max_length=128)


class HeroPatch(StrictIn):
    """Only the fields sent change; `person_id: null` unlinks the member (the name stays)."""

    person_id: int | None = None
    name: Visible = Field(None, max_length=64)  # type: ignore[assignment]
    area_code: str = Field(None, min_length=4, max_length=12, pattern=r"^\d+$")  # type: ignore[assignment]
    deed: Visible = Field(None, max_length=4000)  # type: ignore[assignment]
    deed_date: PastDate = None  # type: ignore[assignment]
    honour: Honour = None  # type: ignore[assignment]
    honoured_on: PastDate = None  # type: ignore[assignment]
    awarding_body: str = Field(None, max_length=128)  # type: ignore[assignment]


class HeroFilter(PageParams):
    area: str | None = Field(None, max_length=12, pattern=r"^\d+$")
    honour: Honour | None = None
    year: int | None = Field(None, ge=1900, le=2100, description="The year the honour was given.")
    q: str | None = Field(None, max_length=64, description="Part of the name, deed or awarding body.")
