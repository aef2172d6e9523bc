"""Check-in with the rotating code, manual marking, leave requests, and closing sessions at their end."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError

from core.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited, ServiceUnavailable
from core.geo import Datum, LatLon, distance_m, to_wgs84, valid_lat_lon
from realtime.events import announce, publish
from training import codes
from training.events import AttendanceCounter, LeaveDecided, SessionBrief
from training.models import (
    Attendance,
    AttendanceStatus,
    LeaveRequest,
    LeaveStatus,
    Session,
    SessionMode,
    SessionStatus,
    Venue,
)
from training.selectors import attendance_counts, hosting, manages, roll_part, session_get
from training.services.common import acting_person, audit_session
from training.services.tallies import tally_rebuild

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_CHECKED_IN = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


def _announce_counts(session: Session) -> None:
    """The live counter on the host's dashboard (ephemeral; the attendance endpoint is the truth)."""
    announce(
        AttendanceCounter(session_id=session.pk, counts=attendance_counts(session=session)),
        area_code=session.host_area_id,
    )


def status_at(session: Session, at: datetime) -> AttendanceStatus:
    """Present up to start + grace (inclusive), late after."""
    grace = timedelta(minutes=settings.TRAINING_GRACE_MIN)
    return AttendanceStatus.PRESENT if at <= session.start + grace else AttendanceStatus.LATE


def _failures_key(person_id: int) -> str:
    return f"training:checkin-failures:{person_id}"


def _count_failure(person_id: int) -> None:
    # The cache is Redis when REDIS_URL is set, so the limit holds across server processes;
    # the embedded default (one process, local memory) counts per process.
    key = _failures_key(person_id)
    # A fixed one-minute window that starts at the first wrong code.
    cache.add(key, 0, timeout=60)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=60)


def _check_geofence(session: Session, lat: float | None, lon: float | None, datum: str) -> None:
    """In-person sessions with geofenced venues take check-ins only from within one of them."""
    if session.mode != SessionMode.IN_PERSON:
        return
    fences = list(Venue.objects.filter(session=session, geofence_m__isnull=False, lat__isnull=False))
    if not fences:
        return
    if lat is None or lon is None:
        raise InvalidInput(_("This check-in needs your location."), code="location_required")
    if not valid_lat_lon(lat, lon):
        raise InvalidInput(_("Latitude or longitude out of range."), code="invalid_coordinates")
    here = to_wgs84(lat, lon, Datum(datum))
    for venue in fences:
        assert venue.lat is not None
        assert venue.lon is not None
        assert venue.geofence_m is not None
        if distance_m(here, LatLon(venue.lat, venue.lon)) <= venue.geofence_m:
            return
    raise InvalidInput(_("You are not at the venue."), code="outside_geofence")


@transaction.atomic
def checkin(
    *, actor: User, session_id: int, code: str, lat: float | None = None, lon: float | None = None, datum: str = "wgs84"
) -> Attendance:
    """An invitee checks in with the code on the host's screen; present or late by the clock."""
    now = timezone.now()
    # The hot path of a burst: the invitee's row and its session in one query.
    attendance = (
        Attendance.objects.select_related("session").filter(session_id=session_id, person__user_id=actor.pk).first()
    )
    if attendance is None:
        session_get(actor=actor, session_id=session_id)  # 404 unless the caller may see the session at all
        raise Forbidden(_("You are not invited to this session."), code="not_invited")
    session, person_id = attendance.session, attendance.person_id
    if session.status == SessionStatus.CANCELLED:
        raise Conflict(_("This session was cancelled."), code="session_cancelled")
    if now >= session.end or session.status == SessionStatus.ENDED:
        raise Conflict(_("This session has ended."), code="session_ended")
    if now < session.start - timedelta(minutes=settings.TRAINING_CHECKIN_OPENS_MIN):
        raise Conflict(_("Check-in is not open yet."), code="checkin_not_open")
    if attendance.status in _CHECKED_IN:
        raise Conflict(_("You have already checked in."), code="already_checked_in")
    try:
        failures = cache.get(_failures_key(person_id)) or 0
    except RedisError as exc:
        # No guessing without the limit on wrong codes (counted in Redis): the invitee retries in a moment.
        raise ServiceUnavailable(
            _("Check-in is briefly unavailable; try again in a few seconds."), code="checkin_unavailable"
        ) from exc
    if failures >= settings.TRAINING_CHECKIN_FAILURES_PER_MIN:
        raise RateLimited(_("Too many wrong codes; wait a minute and try again."), code="too_many_attempts")
    verdict = codes.verify(session.secret, code, now)
    if verdict is not codes.Verdict.OK:
        with contextlib.suppress(RedisError):  # the read above just worked; a lost count is one guess
            _count_failure(person_id)
        if verdict is codes.Verdict.EXPIRED:
            raise InvalidInput(_("This check-in code has expired."), code="expired_code")
        raise InvalidInput(_("Wrong check-in code."), code="wrong_code")
    _check_geofence(session, lat, lon, datum)
    status = status_at(session, now)
    # The conditional UPDATE makes a concurrent second check-in lose cleanly.
    won = (
        Attendance.objects.filter(pk=attendance.pk)
        .exclude(status__in=_CHECKED_IN)
        .update(status=status, checked_in_at=now, marked_by=None)
    )
    if not won:
        raise Conflict(_("You have already checked in."), code="already_checked_in")
    attendance.status, attendance.checked_in_at = status, now
    _announce_counts(session)
    return attendance


@transaction.atomic
def attendance_mark(*, actor: User, session_id: int, person_id: int, status: str, note: str = "") -> Attendance:
    """A host, or the coordinator of a room below for their own people, marks someone by hand (e.g. the
    video room's roll call, `roll_part`); always audited. Anyone else's invitee is 404 like a stranger."""
    marker = acting_person(actor)
    session = Session.objects.select_related("host_area").filter(pk=session_id).first()
    part = roll_part(actor, session) if session is not None else None
    if session is None or part is None:
        raise NotFound()
    if session.status == SessionStatus.CANCELLED:
        raise Conflict(_("This session was cancelled."), code="session_cancelled")
    attendance = Attendance.objects.select_for_update().filter(session=session, person_id=person_id).first()
    if attendance is None:
        raise NotFound(_("This person is not invited to this session."), code="not_invited")
    if not part.covers(attendance.area_code):
        raise NotFound()
    before = attendance.status
    attendance.status = status
    attendance.marked_by = marker
    if status in _CHECKED_IN and attendance.checked_in_at is None:
        attendance.checked_in_at = timezone.now()
    if status not in _CHECKED_IN:
        attendance.checked_in_at = None
    attendance.save(update_fields=["status", "marked_by", "checked_in_at"])
    if session.closed_at is not None:
        tally_rebuild(session=session)
    audit_session(
        actor=actor,
        session=session,
        what="attendance_mark",
        person_id=person_id,
        before=before,
        after=status,
        note=note,
    )
    _announce_counts(session)
    return attendance


@transaction.atomic
def leave_request(*, actor: User, session_id: int, reason: str) -> LeaveRequest:
    """An invitee asks to be excused; audited like the decision on it.

    Filed under the invitee's home area, which lies inside the host's (the audience always
    does): the host's staff and the invitee's own county see it, and no other county does.
    """
    person = acting_person(actor)
    session = session_get(actor=actor, session_id=session_id)
    if not Attendance.objects.filter(session=session, person=person).exists():
        raise Forbidden(_("You are not invited to this session."), code="not_invited")
    if session.status in (SessionStatus.CANCELLED, SessionStatus.ENDED) or timezone.now() >= session.end:
        raise Conflict(_("This session is over or cancelled."), code="session_closed")
    if LeaveRequest.objects.filter(session=session, person=person).exists():
        raise Conflict(_("You have already asked for leave."), code="leave_already_requested")
    leave = LeaveRequest.objects.create(session=session, person=person, reason=reason.strip())
    audit_session(
        actor=actor,
        session=session,
        what="leave_request",
        area_code=person.home_area_id,
        person_id=person.pk,
        leave_id=leave.pk,
    )
    return leave


@transaction.atomic
def leave_decide(*, actor: User, session_id: int, leave_id: int, approve: bool) -> LeaveRequest:
    """A coordinator over the requester (or a host) approves or rejects; approval excuses them.
    The requester is told either way (their phone shows the decision)."""
    decider = acting_person(actor)
    leave = (
        LeaveRequest.objects.select_for_update()
        .select_related("session", "session__host_area", "person")
        .filter(pk=leave_id, session_id=session_id)
        .first()
    )
    if leave is None or not (manages(actor, leave.session) or hosting(actor).covers(leave.person.home_area_id)):
        raise NotFound()
    if leave.status != LeaveStatus.PENDING:
        raise Conflict(_("This leave request was already decided."), code="leave_already_decided")
    leave.status = LeaveStatus.APPROVED if approve else LeaveStatus.REJECTED
    leave.decided_by, leave.decided_at = decider, timezone.now()
    leave.save(update_fields=["status", "decided_by", "decided_at"])
    if approve:
        Attendance.objects.filter(session=leave.session, person=leave.person).exclude(status__in=_CHECKED_IN).update(
            status=AttendanceStatus.EXCUSED, marked_by=decider
        )
        if leave.session.closed_at is not None:
            tally_rebuild(session=leave.session)
        _announce_counts(leave.session)
    audit_session(actor=actor, session=leave.session, what="leave_decide", person_id=leave.person_id, approve=approve)
    publish(LeaveDecided(session=SessionBrief.of(leave.session), approved=approve), to=[leave.person_id])
    return leave


def sessions_close_due(*, now: datetime) -> int:
    """At the end of a session, whoever never checked in is absent. Claimed per session, once."""
    closed = 0
    due = Session.objects.filter(end__lte=now, closed_at__isnull=True).values_list("pk", flat=True)
    for session_id in list(due[:100]):
        with transaction.atomic():
            if not Session.objects.filter(pk=session_id, closed_at__isnull=True).update(closed_at=now):
                continue
            session = Session.objects.get(pk=session_id)
            if session.status != SessionStatus.CANCELLED:
                Session.objects.filter(pk=session_id).update(status=SessionStatus.ENDED)
                session.status = SessionStatus.ENDED
                Attendance.objects.filter(session=session, status=AttendanceStatus.INVITED).update(
                    status=AttendanceStatus.ABSENT
                )
                tally_rebuild(session=session)
                _announce_counts(session)
            closed += 1
    return closed
