"""Relay down the levels (层层传达) and receipts (回执).

A city session is relayed to each county with invitees; a county coordinator
confirms receipt (and may add local venues), which relays it on to the
county's townships. Each relayed unit has its own due time: the session's
relay deadline, or, when the unit is reached after that deadline (its county
confirmed late), now plus a grace, never later than the start. Units still
unconfirmed at their due time are flagged once and their superior is told once,
by whichever worker claims the unit.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, Forbidden, NotFound
from core.models import PREFIX_LENGTH, Area, AreaLevel, Person
from realtime.events import announce, publish
from training.events import RelayConfirmed, RelayOverdue, SessionBrief, SessionRelayed
from training.models import Attendance, Relay, RelayStatus, Session, SessionMode, SessionStatus
from training.selectors import grants_of_hosting, hosting, unit_coordinators
from training.services.common import acting_person, area_under, audit_session, venue_create

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from training.schemas import VenueIn


def relay_due_at(*, session: Session, now: datetime) -> datetime:
    """When a unit reached now must have confirmed: the session's relay deadline while it lies ahead,
    else now plus the late-relay grace; never later than the start."""
    if session.relay_deadline is not None and session.relay_deadline > now:
        return session.relay_deadline
    return min(now + timedelta(minutes=settings.TRAINING_LATE_RELAY_GRACE_MIN), session.start)


def relays_follow_start(*, session: Session) -> None:
    """After a new start: no receipt is due after it. The deadline and pending receipts move up to it."""
    if session.relay_deadline is not None and session.relay_deadline > session.start:
        session.relay_deadline = session.start
        session.save(update_fields=["relay_deadline"])
    Relay.objects.filter(session=session, status=RelayStatus.PENDING, due_at__gt=session.start).update(
        due_at=session.start
    )


def relay_to(*, session: Session, parent: Relay | None, unit_codes: list[str]) -> list[Relay]:
    """Pass the session down to these units and ask their coordinators for a receipt."""
    if not unit_codes:
        return []
    now = timezone.now()
    due = relay_due_at(session=session, now=now)
    Relay.objects.bulk_create([Relay(session=session, area_id=code, parent=parent, due_at=due) for code in unit_codes])
    coordinators = unit_coordinators(area_codes=unit_codes)
    if session.mode != SessionMode.IN_PERSON:
        # Each unit follows a video session from its own conference room; its coordinator is the contact.
        names = dict(
            Person.objects.filter(pk__in=[p for ps in coordinators.values() for p in ps]).values_list("pk", "name")
        )
        areas = Area.objects.in_bulk(unit_codes)
        for code in unit_codes:
            contact = names.get(coordinators[code][0], "") if coordinators[code] else ""
            venue_create(session=session, area=areas[code], by=None, contact_name=contact)
    brief = SessionBrief.of(session)
    for code, people in coordinators.items():
        if people:
            publish(SessionRelayed(session=brief, area_code=code, deadline=due, at=now), to=people)
    return list(Relay.objects.filter(session=session, area_id__in=unit_codes))


@transaction.atomic
def relay_confirm(*, actor: User, session_id: int, area_code: str, venues: list[VenueIn] | None = None) -> Relay:
    """A unit's coordinator confirms receipt, may add local venues, and passes it on one level down."""
    person = acting_person(actor)
    relay = (
        Relay.objects.select_for_update()
        .select_related("session", "session__host_area", "area")
        .filter(session_id=session_id, area_id=area_code)
        .first()
    )
    if relay is None or not hosting(actor).covers(area_code):
        raise NotFound()
    if area_code not in {a.code for a in grants_of_hosting(actor)}:
        raise Forbidden(_("Only the unit's own coordinator confirms its receipt."), code="not_unit_coordinator")
    session = relay.session
    if session.status in (SessionStatus.CANCELLED, SessionStatus.ENDED):
        raise Conflict(_("This session is over or cancelled."), code="session_closed")
    if relay.status == RelayStatus.CONFIRMED:
        raise Conflict(_("Receipt was already confirmed."), code="already_confirmed")
    relay.status, relay.confirmed_at, relay.confirmed_by = RelayStatus.CONFIRMED, timezone.now(), person
    relay.save(update_fields=["status", "confirmed_at", "confirmed_by"])
    for spec in venues or []:
        venue_create(session=session, area=area_under(spec.area_code, relay.area, field="venues"), by=person, spec=spec)
    if relay.area.level == AreaLevel.COUNTY:
        length = PREFIX_LENGTH[AreaLevel.TOWNSHIP]
        townships = (
            Attendance.objects.filter(session=session, area_code__startswith=relay.area.prefix)
            .values_list("township_code", flat=True)
            .distinct()
        )
        relay_to(session=session, parent=relay, unit_codes=sorted({t[:length] for t in townships}))
    audit_session(actor=actor, session=session, what="relay_confirm", area_code=area_code)
    counts = dict.fromkeys(RelayStatus.values, 0)
    for status in Relay.objects.filter(session=session, parent=relay.parent).values_list("status", flat=True):
        counts[status] += 1
    announce(
        RelayConfirmed(
            session_id=session.pk,
            area_code=area_code,
            confirmed=counts[RelayStatus.CONFIRMED],
            pending=counts[RelayStatus.PENDING],
        ),
        area_code=session.host_area_id,
    )
    return relay


def _superiors(session: Session, overdue: list[Relay]) -> dict[int, list[str]]:
    """person id -> the overdue unit codes they answer for: the host for units relayed straight
    from the host's level, the coordinators of the unit above otherwise."""
    above = [r.parent.area_id for r in overdue if r.parent is not None]
    coordinators = unit_coordinators(area_codes=sorted(set(above)))
    told: dict[int, list[str]] = defaultdict(list)
    for relay in overdue:
        if relay.parent is not None:
            people = coordinators[relay.parent.area_id]
        else:
            people = [session.host_id] if session.host_id is not None else []
        for person_id in people:
            told[person_id].append(relay.area_id)
    return told


def relay_deadlines_due(*, now: datetime, batch: int = 500) -> int:
    """Flag the pending units past their own due time; tell each superior once per session and run.

    Each unit is claimed by a conditional `UPDATE ... WHERE overdue_at IS NULL AND status = 'pending'`,
    so with several workers exactly one flags it (the loser's UPDATE waits for the winner's commit, then
    matches nothing), and a unit confirming at the same moment is never flagged. Cancelled and ended
    sessions are skipped. Returns the number of sessions in which this run flagged a unit.
    """
    due = (
        Relay.objects.filter(status=RelayStatus.PENDING, overdue_at__isnull=True, due_at__lte=now)
        .exclude(session__status__in=[SessionStatus.CANCELLED, SessionStatus.ENDED])
        .order_by("session_id", "area_id")
        .values_list("session_id", "pk")[:batch]
    )
    by_session: dict[int, list[int]] = defaultdict(list)
    for session_id, relay_id in due:
        by_session[session_id].append(relay_id)
    handled = 0
    for session_id, relay_ids in by_session.items():
        with transaction.atomic():
            claimed = [
                pk
                for pk in relay_ids  # one order for every worker, so two never wait on each other in a cycle
                if Relay.objects.filter(pk=pk, status=RelayStatus.PENDING, overdue_at__isnull=True).update(
                    overdue_at=now
                )
            ]
            if not claimed:
                continue  # another worker won
            session = Session.objects.select_related("host_area").get(pk=session_id)
            overdue = list(Relay.objects.filter(pk__in=claimed).select_related("parent").order_by("area_id"))
            brief = SessionBrief.of(session)
            for person_id, codes in sorted(_superiors(session, overdue).items()):
                publish(RelayOverdue(session=brief, area_codes=codes, at=now), to=[person_id])
            handled += 1
    return handled
