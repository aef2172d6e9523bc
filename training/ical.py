"""iCalendar (RFC 5545) for sessions: a per-person feed and one .ics per session.

UID stays the same for a session's life; SEQUENCE rises with every change and
a cancelled session is kept with STATUS:CANCELLED, so calendar clients update
or strike out the event instead of duplicating it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from core.crypto import token_digest
from training.models import Attendance, CalendarFeed, Session, SessionStatus
from training.selectors import SeenVenues

UID_DOMAIN = "zhengqi"
FEED_PAST = timedelta(days=90)


def _event(session: Session, seen: SeenVenues) -> Event:
    event = Event()
    event.add("uid", f"session-{session.pk}@{UID_DOMAIN}")
    event.add("dtstamp", session.updated_at)
    event.add("dtstart", session.start)
    event.add("dtend", session.end)
    event.add("summary", session.title)
    event.add("sequence", session.sequence)
    event.add("status", "CANCELLED" if session.status == SessionStatus.CANCELLED else "CONFIRMED")
    lines = [session.agenda] if session.agenda else []
    lines += [f"{v.name}: {v.join_url}" if v.join_url else v.name for v in seen.venues]
    if lines:
        event.add("description", "\n".join(lines))
    # Where the reader goes: their own room (their county's in a city session), not the host's.
    if seen.own is not None:
        event.add("location", seen.own.name)
        if seen.own.join_url:
            event.add("url", seen.own.join_url)
    return event


def calendar_of(sessions: Sequence[Session], *, venues: dict[int, SeenVenues], name: str) -> bytes:
    """The sessions as one calendar; `venues` are each session's venues as its reader may see them
    (`selectors.venues_seen` or, for the private feed, `selectors.venues_of_invitee`)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Zhengqi//Trainings and meetings//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for session in sessions:
        calendar.add_component(_event(session, venues[session.pk]))
    return bytes(calendar.to_ical())


def feed_sessions(*, raw_token: str) -> tuple[int, list[Session]] | None:
    """A feed token's owner (person id) and their sessions (recent and upcoming), or None for an unknown
    or revoked token."""
    feed = CalendarFeed.objects.filter(digest=token_digest(raw_token), revoked_at__isnull=True).first()
    if feed is None:
        return None
    invited = Attendance.objects.filter(person_id=feed.person_id).values("session_id")
    sessions = Session.objects.filter(pk__in=invited, end__gte=timezone.now() - FEED_PAST).order_by("start", "id")
    return feed.person_id, list(sessions)
