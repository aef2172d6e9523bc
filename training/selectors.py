"""Reads of sessions, audiences, relays and attendance, always scoped to the acting user.

Who sees a session: the hosts (a hosting jurisdiction covering the host's
level), coordinators of the units it was relayed to or whose people are
invited (they see their own part), and the invitees themselves. Anyone else
gets 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from core.errors import NotFound
from core.jurisdiction import Jurisdiction, grants_of, jurisdiction_for
from core.models import Area, Person, RoleGrant
from core.roles import CAPABILITIES, Capability
from core.sectors import sector_members
from training import codes
from training.models import Attendance, AttendanceStatus, LeaveRequest, Relay, Session, Venue

if TYPE_CHECKING:
    from django.contrib.auth.models import User

HOSTING_ROLES = sorted(role for role, caps in CAPABILITIES.items() if Capability.HOST_SESSIONS in caps)


def person_of(actor: User) -> Person | None:
    return Person.objects.filter(user_id=actor.pk).select_related("home_area").first()


def hosting(actor: User) -> Jurisdiction:
    return jurisdiction_for(actor, Capability.HOST_SESSIONS)


def grants_of_hosting(actor: User) -> list[Area]:
    """The areas the actor holds a hosting role at (the levels they may host at)."""
    return [g.area for g in grants_of(actor) if g.role in HOSTING_ROLES]


@dataclass(frozen=True)
class Invitee:
    person_id: int
    area_code: str
    team_id: int | None
    sector: str


def audience(
    *,
    within: Area,
    area_prefixes: list[str],
    team_ids: list[int],
    sectors: list[str],
    roles: list[str],
    host_id: int,
) -> list[Invitee]:
    """Active people under `within` who live in one of the areas, are in one of the teams or sectors;
    narrowed to holders of one of the roles when roles are given. No filter at all: everyone under `within`.
    The host runs the session and is not invited to it."""
    people = Person.objects.filter(is_active=True, home_area__code__startswith=within.prefix).exclude(pk=host_id)
    # Sector membership comes from core's seam (the liaisons app provides it), with each invitee's
    # sector copied onto their attendance row for the reports.
    members = sector_members(sectors=None, within=[within.prefix])
    match = Q()
    for prefix in area_prefixes:
        match |= Q(home_area__code__startswith=prefix)
    if team_ids:
        match |= Q(team_id__in=team_ids)
    if sectors:
        match |= Q(pk__in=[pid for pid, sector in members.items() if sector in sectors])
    if match:
        people = people.filter(match)
    if roles:
        people = people.filter(user__role_grants__role__in=roles)
    rows = people.values_list("id", "home_area_id", "team_id").distinct().order_by("id")
    return [Invitee(pid, area, team, members.get(pid, "")) for pid, area, team in rows]


def unit_coordinators(*, area_codes: list[str]) -> dict[str, list[int]]:
    """area code -> person ids of the coordinators granted a hosting role at exactly that area."""
    found: dict[str, list[int]] = {code: [] for code in area_codes}
    grants = RoleGrant.objects.filter(area_id__in=area_codes, role__in=HOSTING_ROLES, user__person__isnull=False)
    for area_id, person_id in grants.values_list("area_id", "user__person__id").distinct().order_by("user__person__id"):
        found[area_id].append(person_id)
    return found


def manages(actor: User, session: Session) -> bool:
    """Hosts: a hosting jurisdiction that covers the level the session is hosted at."""
    return hosting(actor).covers(session.host_area_id)


def roll_part(actor: User, session: Session) -> Jurisdiction | None:
    """Whose attendance the actor takes by hand, and whether they may show the check-in code; None: nobody's.

    Hosts take everyone's (their hosting jurisdiction covers the whole audience). A lower coordinator the
    session reaches takes the invitees inside their own jurisdiction: a city meeting is followed in each
    county's conference room, and each room takes its own roll and shows the code on its own screen.
    """
    if manages(actor, session):
        return hosting(actor)
    return _staff_part(actor, session)


def _staff_part(actor: User, session: Session) -> Jurisdiction | None:
    """The part of a session a lower coordinator may see: their jurisdiction, if the session reaches it."""
    jurisdiction = hosting(actor)
    if jurisdiction.is_empty:
        return None
    reaches = (
        Relay.objects.filter(session=session).filter(jurisdiction.q("area__code")).exists()
        or Attendance.objects.filter(session=session).filter(jurisdiction.q("area_code")).exists()
    )
    return jurisdiction if reaches else None


def session_get(*, actor: User, session_id: int) -> Session:
    session = Session.objects.select_related("host_area", "host").filter(pk=session_id).first()
    if session is None:
        raise NotFound()
    if manages(actor, session) or _staff_part(actor, session) is not None:
        return session
    if Attendance.objects.filter(session=session, person__user_id=actor.pk).exists():
        return session
    raise NotFound()


def session_scope(*, actor: User, session: Session) -> Jurisdiction | None:
    """Whose attendance of this session the actor may see: everyone (hosts), their part, or nobody (None)."""
    if manages(actor, session):
        return Jurisdiction.from_prefixes([session.host_area.prefix])
    return _staff_part(actor, session)


def session_list(*, actor: User, since: datetime | None = None) -> QuerySet[Session]:
    """Sessions a coordinator runs or passes on: hosted inside, or relayed into, their jurisdiction."""
    jurisdiction = hosting(actor)
    relayed = Relay.objects.filter(jurisdiction.q("area__code")).values("session_id")
    sessions = Session.objects.filter(jurisdiction.q("host_area__code") | Q(pk__in=relayed))
    if since is not None:
        sessions = sessions.filter(end__gte=since)
    return sessions.select_related("host_area").order_by("-start", "-id")


def my_sessions(*, actor: User, since: datetime | None = None) -> QuerySet[Attendance]:
    """My attendance rows, each with `leave_status`: my leave request's status, or None when I asked for none."""
    leave = LeaveRequest.objects.filter(session_id=OuterRef("session_id"), person_id=OuterRef("person_id"))
    attendances = Attendance.objects.filter(person__user_id=actor.pk).annotate(
        leave_status=Subquery(leave.values("status")[:1])
    )
    if since is not None:
        attendances = attendances.filter(session__end__gte=since)
    return attendances.select_related("session", "session__host_area").order_by("session_start", "session_id")


@dataclass(frozen=True)
class SeenVenues:
    """A session's venues as one viewer may see them (by area code), and the one that is theirs."""

    venues: list[Venue]
    own: Venue | None


def venues_seen(*, actor: User, sessions: Sequence[Session]) -> dict[int, SeenVenues]:
    """Session id -> the venues the actor may see, and their own room among them.

    A city session has a room in each county, whose contact is that county's coordinator, so
    venues are scoped like people: the hosts (`manages`) see every venue. Everyone else sees
    the venues inside the areas they stand in (their hosting jurisdiction, and the area they
    were invited from) and the venues of the areas above them: a 淇县 invitee or coordinator
    sees 淇县's rooms and the host's room at the city, never 浚县's. This holds even for a
    coordinator whose jurisdiction covers the whole audience: a room the host placed in an
    area nobody of theirs was invited from still names another unit's people.

    Their own room: the most specific venue covering the area they were invited from (a
    coordinator who is not invited: their jurisdiction), else the host's (the most general).
    """
    jurisdiction = hosting(actor)
    ids = [s.pk for s in sessions]
    invited = dict(
        Attendance.objects.filter(session_id__in=ids, person__user_id=actor.pk).values_list("session_id", "area_code")
    )
    managed = {s.pk for s in sessions if manages(actor, s)}
    return _venues_seen(sessions=sessions, invited=invited, jurisdiction=jurisdiction, managed=managed)


def venues_of_invitee(*, person_id: int, sessions: Sequence[Session]) -> dict[int, SeenVenues]:
    """`venues_seen` for one person as an invitee and nothing more: what their private calendar feed shows.

    The feed needs no login, so whatever roles its owner holds, it reveals only their own rooms."""
    invited = dict(
        Attendance.objects.filter(session_id__in=[s.pk for s in sessions], person_id=person_id).values_list(
            "session_id", "area_code"
        )
    )
    return _venues_seen(sessions=sessions, invited=invited, jurisdiction=Jurisdiction(()), managed=set())


def _venues_seen(
    *, sessions: Sequence[Session], invited: dict[int, str], jurisdiction: Jurisdiction, managed: set[int]
) -> dict[int, SeenVenues]:
    # An invitation records the home's code; what covers it is judged by the home area's prefix.
    prefixes = dict(Area.objects.filter(code__in=set(invited.values())).values_list("code", "prefix"))
    found: dict[int, list[Venue]] = {s.pk: [] for s in sessions}
    for venue in Venue.objects.filter(session_id__in=list(found)).select_related("area").order_by("area_id", "id"):
        found[venue.session_id].append(venue)
    seen = {}
    for session_id, venues in found.items():
        home = invited.get(session_id)
        places = [prefixes.get(home, home)] if home else list(jurisdiction.prefixes)
        if session_id not in managed:
            reach = Jurisdiction.from_prefixes([*places, *jurisdiction.prefixes])
            venues = [
                v for v in venues if reach.covers(v.area_id) or any(p.startswith(v.area.prefix) for p in reach.prefixes)
            ]
        seen[session_id] = SeenVenues(venues=venues, own=_own_venue(venues=venues, places=places))
    return seen


def _own_venue(*, venues: Sequence[Venue], places: Sequence[str]) -> Venue | None:
    """The room of someone at `places` (area prefixes): the most specific venue covering one of them
    (their township's, then their county's, then the host's), else the most general venue."""
    covering = [v for v in venues if any(p.startswith(v.area.prefix) for p in places)]
    if covering:
        return min(covering, key=lambda v: (-len(v.area.prefix), v.pk))
    return min(venues, key=lambda v: (len(v.area.prefix), v.pk), default=None)


def relays_of(*, actor: User, session: Session) -> QuerySet[Relay]:
    scope = session_scope(actor=actor, session=session)
    if scope is None:
        raise NotFound()
    return Relay.objects.filter(session=session).filter(scope.q("area__code")).order_by("area_id")


def attendance_counts(*, session: Session, scope: Jurisdiction | None = None) -> dict[str, int]:
    """Counts by status (every status present, zero when none), and the total."""
    rows = Attendance.objects.filter(session=session)
    if scope is not None:
        rows = rows.filter(scope.q("area_code"))
    counted = dict(rows.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    counts = {status: int(counted.get(status, 0)) for status in AttendanceStatus.values}
    counts["total"] = sum(counts.values())
    return counts


def invitations_seen(*, actor: User, session: Session) -> int:
    """The invitations the actor may count: every one (hosts), their own jurisdiction's (coordinators
    the session reaches, as /attendance counts them), or their own (an invitee)."""
    scope = session_scope(actor=actor, session=session)
    if scope is None:
        return Attendance.objects.filter(session=session, person__user_id=actor.pk).count()
    return attendance_counts(session=session, scope=scope)["total"]


def venue_contacts_revealed(*, actor: User, venues: list[Venue]) -> list[Venue]:
    """The venues whose contact phone the actor may read unmasked: personal-data rights over the venue's area."""
    personal = jurisdiction_for(actor, Capability.VIEW_PERSONAL_DATA)
    return [v for v in venues if v.contact_phone and personal.covers(v.area_id)]


def attendance_scoped(*, actor: User, session: Session) -> dict[str, int]:
    scope = session_scope(actor=actor, session=session)
    if scope is None:
        raise NotFound()
    return attendance_counts(session=session, scope=scope)


def attendance_list(*, actor: User, session: Session, status: str | None = None) -> QuerySet[Attendance]:
    scope = session_scope(actor=actor, session=session)
    if scope is None:
        raise NotFound()
    rows = Attendance.objects.filter(session=session).filter(scope.q("area_code")).select_related("person")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("person_id")


def leave_list(*, actor: User, session: Session) -> QuerySet[LeaveRequest]:
    scope = session_scope(actor=actor, session=session)
    if scope is None:
        raise NotFound()
    found = LeaveRequest.objects.filter(session=session).filter(scope.q("person__home_area__code"))
    return found.select_related("person").order_by("id")


def checkin_code(*, actor: User, session_id: int, now: datetime) -> tuple[str, datetime]:
    """The code on the room's screen right now, and when it rotates: for hosts and the coordinators of the
    rooms below that the session reaches (`roll_part`)."""
    session = session_get(actor=actor, session_id=session_id)
    if roll_part(actor, session) is None:
        raise NotFound()
    return codes.current(session.secret, now)
