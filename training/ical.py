"""iCalendar (RFC 5545) for sessions: a per-person feed and one .ics per session.

UID stays the same for a session's life; SEQUENCE rises with every change and
a cancelled session is kept with STATUS:CANCELLED, so calendar clients update
or strike out the event instead of duplicating it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone
from icalendar import Calendar, Event

from core.crypto import token_digest
from training.models import Attendance, CalendarFeed, Session, SessionStatus, Venue

UID_DOMAIN = "zhengqi"
FEED_PAST = timedelta(days=90)


def _event(session: Session, venues: list[Venue]) -> Event:
    event = Event()
    event.add("uid", f"session-{session.pk}@{UID_DOMAIN}")
    event.add("dtstamp", session.updated_at)
    event.add("dtstart", session.start)
    event.add("dtend", session.end)
    event.add("summary", session.title)
    event.add("sequence", session.sequence)
    event.add("status", "CANCELLED" if session.status == SessionStatus.CANCELLED else "CONFIRMED")
    lines = [session.agenda] if session.agenda else []
    lines += [f"{v.name}: {v.join_url}" if v.join_url else v.name for v in venues]
    if lines:
        event.add("description", "\n".join(lines))
    if venues:
        event.add("location", venues[0].name)
        if venues[0].join_url:
            event.add("url", venues[0].join_url)
    return event


def calendar_of(sessions: Iterable[Session], *, name: str) -> bytes:
    sessions = list(sessions)
    venues: dict[int, list[Venue]] = {s.pk: [] for s in sessions}
    for venue in Venue.objects.filter(session__in=sessions).order_by("area_id", "id"):
        venues[venue.session_id].append(venue)
    calendar = Calendar()
    calendar.add("prodid", "-//Zhengqi//Trainings and meetings//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for session in sessions:
        calendar.add_component(_event(session, venues[session.pk]))
    return bytes(calendar.to_ical())


def feed_sessions(*, raw_token: str) -> QuerySet[Session] | None:
    """The sessions of a feed token's owner (recent and upcoming), or None for an unknown or revoked token."""
    feed = CalendarFeed.objects.filter(digest=token_digest(raw_token), revoked_at__isnull=True).first()
    if feed is None:
        return None
    invited = Attendance.objects.filter(person_id=feed.person_id).values("session_id")
    return Session.objects.filter(pk__in=invited, end__gte=timezone.now() - FEED_PAST).order_by("start", "id")
