"""Per-session attendance tallies: what the year's reports read instead of every invitation."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count

from training.models import Attendance, AttendanceTally, Session, SessionStatus, TallyDimension


@transaction.atomic
def tally_rebuild(*, session: Session) -> int:
    """Recount a closed session (2,000 rows: milliseconds). Cancelled and open sessions have no tally."""
    AttendanceTally.objects.filter(session=session).delete()
    if session.closed_at is None or session.status == SessionStatus.CANCELLED:
        return 0
    rows = Attendance.objects.filter(session=session).order_by()
    tallies = [
        AttendanceTally(
            session=session,
            session_start=session.start,
            dimension=TallyDimension.AREA,
            county_code=item["township_code"][:6],
            township_code=item["township_code"],
            status=item["status"],
            n=item["n"],
        )
        for item in rows.values("township_code", "status").annotate(n=Count("id"))
    ]
    tallies += [
        AttendanceTally(
            session=session,
            session_start=session.start,
            dimension=TallyDimension.SECTOR,
            county_code=item["county_code"],
            sector=item["sector"],
            status=item["status"],
            n=item["n"],
        )
        for item in rows.values("county_code", "sector", "status").annotate(n=Count("id"))
    ]
    AttendanceTally.objects.bulk_create(tallies, batch_size=1000)
    return len(tallies)
