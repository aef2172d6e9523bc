"""Scheduling, changing, cancelling and starting sessions; inviting their audience; reminders."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, InvalidInput, NotFound
from core.jurisdiction import area_within, require
from core.models import PREFIX_LENGTH, Area, AreaLevel, Team
from core.roles import Capability
from core.sectors import sector_codes
from realtime.events import publish
from training.events import (
    SessionBrief,
    SessionCancelled,
    SessionChanged,
    SessionInvited,
    SessionReminder,
    SessionStarting,
)
from training.models import Attendance, Reminder, Session, SessionMode, SessionStatus, Venue
from training.selectors import Invitee, audience, grants_of_hosting, manages
from training.services.common import acting_person, area_under, audit_session, join_url, venue_create
from training.services.relays import relay_to, relays_follow_start

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from training.schemas import VenueIn

MAX_DURATION = timedelta(hours=24)
_CHILD_LEVEL = {AreaLevel.CITY: AreaLevel.COUNTY, AreaLevel.COUNTY: AreaLevel.TOWNSHIP}


def _check_times(*, start: datetime, end: datetime, now: datetime) -> None:
    if end <= start:
        raise InvalidInput(_("The end must come after the start."), code="end_before_start", details={"field": "end"})
    if start <= now:
        raise InvalidInput(_("A session cannot start in the past."), code="start_in_past", details={"field": "start"})
    if end - start > MAX_DURATION:
        raise InvalidInput(_("A session lasts at most 24 hours."), code="session_too_long", details={"field": "end"})


def _host_area(actor: User, host_area_code: str | None) -> Area:
    """The level the session is hosted at: the given one (inside the actor's hosting jurisdiction),
    else the broadest area the actor hosts at."""
    jurisdiction = require(actor, Capability.HOST_SESSIONS)
    if host_area_code is None:
        return min(grants_of_hosting(actor), key=lambda a: (len(a.prefix), a.code))
    return area_within(
        jurisdiction,
        host_area_code,
        field="host_area_code",
        outside=("host_area_outside_jurisdiction", _("You do not host sessions at that level.")),
    )


def _check_audience(*, within: Area, area_codes: list[str], team_ids: list[int], sectors: list[str]) -> list[Area]:
    areas = [area_under(code, within, field="area_codes") for code in area_codes]
    teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "area_id"))
    for team_id in team_ids:
        # A team outside looks exactly like one that does not exist (team ids are not public): 404.
        if team_id not in teams or not within.contains(teams[team_id]):
            raise NotFound(_("Unknown team."), code="unknown_team", details={"team_ids": team_id})
    known = set(sector_codes()) if sectors else set()
    for sector in sectors:
        if sector not in known:
            raise InvalidInput(_("Unknown sector."), code="unknown_sector", details={"sectors": sector})
    return areas


def _relay_deadline(*, given: datetime | None, start: datetime, now: datetime) -> datetime:
    if given is not None:
        if given <= now or given > start:
            raise InvalidInput(
                _("The receipt deadline must lie between now and the start."),
                code="bad_relay_deadline",
                details={"field": "relay_deadline"},
            )
        return given
    lead = start - timedelta(minutes=settings.TRAINING_RELAY_LEAD_MIN)
    return lead if lead > now else now + (start - now) / 2


def _schedule_reminders(session: Session, *, now: datetime) -> None:
    Reminder.objects.filter(session=session, sent_at__isnull=True).delete()
    sent = set(Reminder.objects.filter(session=session).values_list("minutes_before", flat=True))
    Reminder.objects.bulk_create(
        [
            Reminder(session=session, minutes_before=m, due_at=session.start - timedelta(minutes=m))
            for m in settings.TRAINING_REMINDER_OFFSETS_MIN
            if m not in sent and session.start - timedelta(minutes=m) > now
        ]
    )


def _invite(session: Session, invitees: list[Invitee]) -> None:
    Attendance.objects.bulk_create(
        [
            Attendance(
                session=session,
                person_id=i.person_id,
                session_start=session.start,
                area_code=i.area_code,
                township_code=i.area_code[:9],
                county_code=i.area_code[:6],
                team_id=i.team_id,
                sector=i.sector,
            )
            for i in invitees
        ],
        batch_size=1000,
    )


def invitee_ids(session: Session) -> list[int]:
    return list(Attendance.objects.filter(session=session).values_list("person_id", flat=True))


@transaction.atomic
def session_create(
    *,
    actor: User,
    kind: str,
    title: str,
    start: datetime,
    end: datetime,
    mode: str,
    agenda: str = "",
    area_codes: list[str] | None = None,
    team_ids: list[int] | None = None,
    sectors: list[str] | None = None,
    roles: list[str] | None = None,
    host_area_code: str | None = None,
    relay_deadline: datetime | None = None,
    venues: list[VenueIn] | None = None,
) -> Session:
    """Schedule a session, invite its audience, relay it one level down and push the invitation."""
    now = timezone.now()
    host = acting_person(actor)
    within = _host_area(actor, host_area_code)
    _check_times(start=start, end=end, now=now)
    areas = _check_audience(within=within, area_codes=area_codes or [], team_ids=team_ids or [], sectors=sectors or [])
    invitees = audience(
        within=within,
        area_prefixes=[a.prefix for a in areas],
        team_ids=team_ids or [],
        sectors=sectors or [],
        roles=roles or [],
        host_id=host.pk,
    )
    if not invitees:
        raise InvalidInput(_("Nobody matches this audience."), code="empty_audience")
    child = _CHILD_LEVEL.get(AreaLevel(within.level))
    units = sorted({i.area_code[: PREFIX_LENGTH[child]] for i in invitees}) if child else []
    session = Session.objects.create(
        kind=kind,
        title=title.strip(),
        agenda=agenda,
        start=start,
        end=end,
        mode=mode,
        host_area=within,
        host=host,
        area_codes=[a.code for a in areas],
        team_ids=sorted(set(team_ids or [])),
        sectors=sorted(set(sectors or [])),
        roles=sorted(set(roles or [])),
        secret=secrets.token_hex(32),
        room_key=secrets.token_hex(4),
        relay_deadline=_relay_deadline(given=relay_deadline, start=start, now=now) if units else None,
    )
    for spec in venues or []:
        venue_create(session=session, area=area_under(spec.area_code, within, field="venues"), by=host, spec=spec)
    if not venues:
        venue_create(session=session, area=within, by=host)
    _invite(session, invitees)
    _schedule_reminders(session, now=now)
    relay_to(session=session, parent=None, unit_codes=units)
    audit_session(actor=actor, session=session, what="create", invitees=len(invitees), units=units)
    publish(SessionInvited(session=SessionBrief.of(session)), to=[i.person_id for i in invitees])
    return session


def _managed_for_update(actor: User, session_id: int) -> Session:
    session = Session.objects.select_for_update().select_related("host_area").filter(pk=session_id).first()
    if session is None or not manages(actor, session):
        raise NotFound()
    if session.status in (SessionStatus.CANCELLED, SessionStatus.ENDED):
        raise Conflict(_("This session is over or cancelled."), code="session_closed")
    return session


@transaction.atomic
def session_update(
    *,
    actor: User,
    session_id: int,
    title: str | None = None,
    agenda: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    mode: str | None = None,
) -> Session:
    """Change a session; invitees get the change, calendars a new SEQUENCE, reminders follow a new start."""
    now = timezone.now()
    session = _managed_for_update(actor, session_id)
    changed = []
    if start is not None or end is not None:
        new_start, new_end = start or session.start, end or session.end
        if session.status == SessionStatus.STARTED:
            raise Conflict(_("A started session cannot be rescheduled."), code="session_started")
        _check_times(start=new_start, end=new_end, now=now)
        moved = (("start", session.start, new_start), ("end", session.end, new_end))
        changed += [name for name, old, new in moved if old != new]
        session.start, session.end = new_start, new_end
    for field, value in (("title", title), ("agenda", agenda), ("mode", mode)):
        if value is not None and getattr(session, field) != value:
            setattr(session, field, value.strip() if field == "title" else value)
            changed.append(field)
    if not changed:
        return session
    session.sequence += 1
    session.save()
    if "start" in changed:
        Attendance.objects.filter(session=session).update(session_start=session.start)
        _schedule_reminders(session, now=now)
        relays_follow_start(session=session)
    if "mode" in changed:
        # Video rooms appear (or go) with the mode; in-person venues keep their place and geofence.
        for venue in Venue.objects.filter(session=session):
            venue.join_url = (
                "" if session.mode == SessionMode.IN_PERSON else join_url(session=session, venue_key=venue.key)
            )
            venue.save(update_fields=["join_url"])
    audit_session(actor=actor, session=session, what="update", fields=changed)
    publish(SessionChanged(session=SessionBrief.of(session), fields=changed), to=invitee_ids(session))
    return session


@transaction.atomic
def session_cancel(*, actor: User, session_id: int, reason: str) -> Session:
    session = _managed_for_update(actor, session_id)
    session.status = SessionStatus.CANCELLED
    session.cancel_reason = reason.strip()
    session.sequence += 1
    session.save()
    Reminder.objects.filter(session=session, sent_at__isnull=True).delete()
    audit_session(actor=actor, session=session, what="cancel", reason=session.cancel_reason)
    publish(SessionCancelled(session=SessionBrief.of(session), reason=session.cancel_reason), to=invitee_ids(session))
    return session


@transaction.atomic
def session_start(*, actor: User, session_id: int) -> Session:
    """The host opens the session: everyone invited gets a "starting now" push."""
    now = timezone.now()
    session = _managed_for_update(actor, session_id)
    if session.status == SessionStatus.STARTED:
        raise Conflict(_("This session has already started."), code="already_started")
    if now < session.start - timedelta(minutes=settings.TRAINING_CHECKIN_OPENS_MIN) or now >= session.end:
        raise Conflict(_("It is not time to start this session."), code="not_startable")
    session.status = SessionStatus.STARTED
    session.started_at = now
    session.save(update_fields=["status", "started_at", "updated_at"])
    audit_session(actor=actor, session=session, what="start")
    publish(SessionStarting(session=SessionBrief.of(session)), to=invitee_ids(session))
    return session


def reminders_due(*, now: datetime) -> int:
    """Send each due reminder exactly once: the conditional UPDATE is the claim, in the same
    transaction as the publish, so a worker that fails after claiming leaves it for the next."""
    sent = 0
    due = Reminder.objects.filter(sent_at__isnull=True, due_at__lte=now).values_list("pk", flat=True)
    for reminder_id in list(due[:200]):
        with transaction.atomic():
            if not Reminder.objects.filter(pk=reminder_id, sent_at__isnull=True).update(sent_at=now):
                continue  # another worker sent it
            reminder = Reminder.objects.select_related("session").get(pk=reminder_id)
            session = reminder.session
            if session.status != SessionStatus.SCHEDULED or session.start <= now:
                continue  # cancelled, started or already begun: a reminder would be noise
            event = SessionReminder(session=SessionBrief.of(session), minutes_before=reminder.minutes_before)
            publish(event, to=invitee_ids(session))
            sent += 1
    return sent
