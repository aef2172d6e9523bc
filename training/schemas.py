"""Request and response shapes of the session endpoints (explicit fields, never __all__)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from core.geo import Datum
from core.identity import mask_phone
from core.roles import Role
from core.schemas import AwareTime, PageParams, StrictIn, Visible
from training.events import SessionBrief, SessionHead
from training.models import (
    Attendance,
    AttendanceStatus,
    LeaveRequest,
    LeaveStatus,
    Relay,
    Session,
    SessionKind,
    SessionMode,
    Venue,
)

AreaCode = Annotated[str, StringConstraints(min_length=4, max_length=12, pattern=r"^\d+$")]


class VenueIn(StrictIn):
    area_code: AreaCode
    name: str = Field("", max_length=80)
    lat: float | None = None
    lon: float | None = None
    datum: Datum = Datum.WGS84
    geofence_m: int | None = Field(None, ge=20, le=5000)
    contact_name: str = Field("", max_length=64)
    contact_phone: str = Field("", max_length=32)


class SessionIn(StrictIn):
    kind: SessionKind
    title: Visible = Field(..., max_length=120)
    agenda: str = Field("", max_length=4000)
    start: AwareTime
    end: AwareTime
    mode: SessionMode
    area_codes: list[AreaCode] = Field(default_factory=list, max_length=100)
    team_ids: list[int] = Field(default_factory=list, max_length=200)
    sectors: list[Annotated[str, StringConstraints(max_length=32)]] = Field(default_factory=list, max_length=20)
    roles: list[Role] = Field(default_factory=list, max_length=6)
    host_area_code: AreaCode | None = None
    relay_deadline: AwareTime | None = None
    venues: list[VenueIn] = Field(default_factory=list, max_length=100)


class SessionPatch(StrictIn):
    title: Visible | None = Field(None, max_length=120)
    agenda: str | None = Field(None, max_length=4000)
    start: AwareTime | None = None
    end: AwareTime | None = None
    mode: SessionMode | None = None


class CancelIn(StrictIn):
    reason: str = Field("", max_length=200)


class RelayConfirmIn(StrictIn):
    venues: list[VenueIn] = Field(default_factory=list, max_length=50)


class CheckinIn(StrictIn):
    # No pattern here: full-width digits are the right code (training.codes.verify), anything else is wrong_code.
    code: str = Field(..., min_length=1, max_length=12, description="the 6 digits on the host's screen (full-width ok)")
    lat: float | None = None
    lon: float | None = None
    datum: Datum = Datum.WGS84


class MarkIn(StrictIn):
    status: Literal["present", "late", "absent", "excused", "invited"]
    note: str = Field("", max_length=200)


class LeaveIn(StrictIn):
    reason: Visible = Field(..., max_length=200)


class DecisionIn(StrictIn):
    approve: bool


class VenueOut(Schema):
    id: int
    area_code: str
    name: str
    join_url: str
    contact_name: str
    contact_phone: str = Field(
        ..., description="Masked (138****5678) unless the caller may see personal data in the venue's area."
    )
    lat: float | None
    lon: float | None
    geofence_m: int | None

    @staticmethod
    def build(v: Venue, *, reveal_phone: bool) -> VenueOut:
        return VenueOut(
            id=v.pk,
            area_code=v.area_id,
            name=v.name,
            join_url=v.join_url,
            contact_name=v.contact_name,
            contact_phone=v.contact_phone if reveal_phone else mask_phone(v.contact_phone),
            lat=v.lat,
            lon=v.lon,
            geofence_m=v.geofence_m,
        )


# The events' brief forbids extra fields and is frozen; as API responses its shapes are ordinary schemas.
API_SHAPE = ConfigDict(extra="ignore", frozen=False)


class SessionOut(SessionBrief):
    """A session in full: the events' brief (head and sequence) and everything a host or invitee may read."""

    model_config = API_SHAPE

    agenda: str
    host_area_name: str
    host_id: int | None
    area_codes: list[str]
    team_ids: list[int]
    sectors: list[str]
    roles: list[str]
    relay_deadline: datetime | None
    cancel_reason: str
    invitees: int = Field(
        ..., description="invitations the caller may see: all (hosts), their jurisdiction's, or their own (an invitee)"
    )
    venues: list[VenueOut] = Field(
        ...,
        description="The venues the caller may see: all (hosts), else those in or above their own areas "
        "(a 淇县 invitee sees 淇县's rooms and the host's, never 浚县's)",
    )
    own_venue_id: int | None = Field(
        ...,
        description="The caller's own room among `venues`: the most specific one covering the area they were "
        "invited from (a coordinator not invited: their jurisdiction), else the host's; null when there is none",
    )

    @staticmethod
    def build(
        s: Session, *, invitees: int, venues: list[Venue], own_venue: Venue | None, revealed: set[int]
    ) -> SessionOut:
        return SessionOut(
            **SessionBrief.brief_fields(s),
            agenda=s.agenda,
            host_area_name=s.host_area.name,
            host_id=s.host_id,
            area_codes=s.area_codes,
            team_ids=s.team_ids,
            sectors=s.sectors,
            roles=s.roles,
            relay_deadline=s.relay_deadline,
            cancel_reason=s.cancel_reason,
            invitees=invitees,
            venues=[VenueOut.build(v, reveal_phone=v.pk in revealed) for v in venues],
            own_venue_id=own_venue.pk if own_venue is not None else None,
        )


class SessionItem(SessionHead):
    """A session in a list."""

    model_config = API_SHAPE

    @staticmethod
    def build(s: Session) -> SessionItem:
        return SessionItem(**SessionHead.fields_of(s))


class MySessionOut(SessionItem):
    attendance: AttendanceStatus
    checked_in_at: datetime | None
    leave: LeaveStatus | None = Field(None, description="My leave request's status; null when I asked for none.")

    @staticmethod
    def of(a: Attendance) -> MySessionOut:
        leave = getattr(a, "leave_status", None)  # annotated by selectors.my_sessions
        return MySessionOut(
            **SessionHead.fields_of(a.session),
            attendance=AttendanceStatus(a.status),
            checked_in_at=a.checked_in_at,
            leave=LeaveStatus(leave) if leave else None,
        )


class RelayOut(Schema):
    area_code: str
    parent_area_code: str | None
    status: str
    confirmed_at: datetime | None
    confirmed_by: int | None
    due_at: datetime
    overdue: bool

    @staticmethod
    def build(r: Relay) -> RelayOut:
        return RelayOut(
            area_code=r.area_id,
            parent_area_code=r.parent.area_id if r.parent else None,
            status=r.status,
            confirmed_at=r.confirmed_at,
            confirmed_by=r.confirmed_by_id,
            due_at=r.due_at,
            overdue=r.overdue_at is not None,
        )


class CheckinCodeOut(Schema):
    code: str
    valid_until: datetime
    qr_svg: str = Field(..., description="The code as a QR image (an SVG data: URL) for the host's screen.")


class CheckinOut(Schema):
    status: Literal["present", "late"]
    checked_in_at: datetime

    @staticmethod
    def build(a: Attendance) -> CheckinOut:
        if a.checked_in_at is None or a.status not in ("present", "late"):
            raise ValueError("not a check-in")
        return CheckinOut(status="present" if a.status == "present" else "late", checked_in_at=a.checked_in_at)


class AttendanceCountsOut(Schema):
    session_id: int
    invited: int
    present: int
    late: int
    absent: int
    excused: int
    total: int


class AttendeeOut(Schema):
    person_id: int
    name: str
    status: str
    checked_in_at: datetime | None
    area_code: str
    team_id: int | None
    sector: str

    @staticmethod
    def build(a: Attendance) -> AttendeeOut:
        return AttendeeOut(
            person_id=a.person_id,
            name=a.person.name,
            status=a.status,
            checked_in_at=a.checked_in_at,
            area_code=a.area_code,
            team_id=a.team_id,
            sector=a.sector,
        )


class LeaveOut(Schema):
    id: int
    person_id: int
    name: str
    area_code: str = Field(..., description="The requester's home area.")
    reason: str
    status: str
    decided_at: datetime | None

    @staticmethod
    def build(x: LeaveRequest) -> LeaveOut:
        return LeaveOut(
            id=x.pk,
            person_id=x.person_id,
            name=x.person.name,
            area_code=x.person.home_area_id,
            reason=x.reason,
            status=x.status,
            decided_at=x.decided_at,
        )


class CalendarOut(Schema):
    url: str


class AttendeeFilter(PageParams):
    status: AttendanceStatus | None = None


class RelayParams(PageParams):
    limit: int = Field(200, ge=1, le=500)  # one relay per division of the session: a city has ~60


class ReportParams(PageParams):
    """`limit`/`offset` page the JSON rows; a CSV or XLSX download has every row."""

    limit: int = Field(500, ge=1, le=10_000)  # by=person has one row per member
    since: date
    until: date = Field(..., description="Exclusive.")
    by: Literal["person", "team", "sector", "township", "county", "city", "rollup"] = "rollup"
    area: AreaCode | None = None
    format: Literal["json", "csv", "xlsx"] = "json"


class ReportRowOut(Schema):
    level: str
    key: str
    label: str
    invited: int
    present: int
    late: int
    absent: int
    excused: int
    rate: float | None


class AnnualParams(PageParams):
    year: int = Field(..., ge=2000, le=2100)


class AnnualRowOut(ReportRowOut):
    sessions: int
    months: dict[int, float | None]


def counts_out(session_id: int, counts: dict[str, Any]) -> AttendanceCountsOut:
    return AttendanceCountsOut(session_id=session_id, **counts)
