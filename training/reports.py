"""Attendance reports: rates per person, team, sector and area, rolled up township -> county -> city,
the annual picture per county, and CSV / XLSX exports.

Closed sessions are read from their tallies (per township, and per county and
sector; see training.services.tallies), open ones from their attendance rows,
which carry their area, team and sector. Either way the work is a fixed handful
of aggregate queries, whether a year holds 6,000 or 600,000 invitations.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import exports
from core.errors import InvalidInput, NotFound
from core.jurisdiction import Jurisdiction, require
from core.models import Area, Person, Team
from core.roles import Capability
from core.services import audit
from training.models import Attendance, AttendanceStatus, AttendanceTally, Session, SessionStatus, TallyDimension

if TYPE_CHECKING:
    from django.contrib.auth.models import User

GROUPS = ("person", "team", "sector", "township", "county", "city")
_FIELD = {
    "person": "person_id",
    "team": "team_id",
    "sector": "sector",
    "township": "township_code",
    "county": "county_code",
    "city": "county_code",  # summed into one row
}
STATUSES = tuple(AttendanceStatus.values)
Counts = dict[str, dict[str, int]]


@dataclass
class Row:
    key: str
    label: str
    level: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))

    @property
    def rate(self) -> float | None:
        """Attended / expected, over decided invitations (open ones and excused ones do not count)."""
        attended = self.counts["present"] + self.counts["late"]
        expected = attended + self.counts["absent"]
        return round(attended / expected, 4) if expected else None

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "level": self.level, **self.counts, "rate": self.rate}


def _scope_q(prefixes: tuple[str, ...]) -> Q:
    """Filter by jurisdiction on the narrowest copied code that still holds the prefix."""
    query = Q()
    for prefix in prefixes:
        column = "county_code" if len(prefix) <= 6 else "township_code" if len(prefix) <= 9 else "area_code"
        query |= Q(**{f"{column}__startswith": prefix})
    return query


@dataclass(frozen=True)
class Scope:
    prefixes: tuple[str, ...]
    since: datetime
    until: datetime


def report_scope(*, actor: User, since: datetime, until: datetime, area: str | None = None) -> Scope:
    if until <= since:
        raise InvalidInput(_("The end must come after the start."), code="end_before_start")
    jurisdiction = require(actor, Capability.HOST_SESSIONS)
    if area is not None:
        found = Area.objects.filter(code=area).first()
        if found is None or not jurisdiction.covers(found.code):
            raise NotFound()
        jurisdiction = Jurisdiction.from_prefixes([found.prefix])
    return Scope(jurisdiction.prefixes, since, until)


def _add(found: Counts, key: Any, status: str, n: int) -> None:
    found.setdefault("" if key is None else str(key), dict.fromkeys(STATUSES, 0))[status] += n


def _raw(scope: Scope, *, only: list[int] | None = None, without: list[int] | None = None) -> QuerySet[Attendance]:
    rows = Attendance.objects.filter(session_start__gte=scope.since, session_start__lt=scope.until)
    if only is not None:
        rows = rows.filter(session_id__in=only)
    if without:
        rows = rows.exclude(session_id__in=without)
    return rows.filter(_scope_q(scope.prefixes)).order_by()


def counts_by(scope: Scope, key: str, *, extra: tuple[str, ...] = ()) -> dict[tuple[Any, ...], dict[str, int]]:
    """(key, *extra) -> counts by status over the scope's non-cancelled sessions."""
    sessions = Session.objects.filter(start__gte=scope.since, start__lt=scope.until)
    cancelled = list(sessions.filter(status=SessionStatus.CANCELLED).values_list("pk", flat=True))
    dimension = TallyDimension.SECTOR if key == "sector" else TallyDimension.AREA
    tallied = key in ("sector", "township_code", "county_code") and all(
        len(p) <= (6 if dimension == TallyDimension.SECTOR else 9) for p in scope.prefixes
    )
    found: dict[tuple[Any, ...], dict[str, int]] = {}

    def add(item: dict[str, Any], n: int) -> None:
        group = tuple("" if item[k] is None else str(item[k]) for k in (key, *extra))
        found.setdefault(group, dict.fromkeys(STATUSES, 0))[item["status"]] += n

    if not tallied:
        for item in _raw(scope, without=cancelled).values(key, *extra, "status").annotate(n=Count("id")):
            add(item, item["n"])
        return found
    # Open sessions are counted from their rows; every other one from its tally (never both).
    open_ids = list(sessions.filter(closed_at__isnull=True).exclude(pk__in=cancelled).values_list("pk", flat=True))
    tallies = AttendanceTally.objects.filter(
        dimension=dimension, session_start__gte=scope.since, session_start__lt=scope.until
    ).filter(_scope_q(scope.prefixes))
    if open_ids:
        tallies = tallies.exclude(session_id__in=open_ids)
    for item in tallies.order_by().values(key, *extra, "status").annotate(total=Sum("n")):
        add(item, item["total"])
    if open_ids:
        for item in _raw(scope, only=open_ids).values(key, *extra, "status").annotate(n=Count("id")):
            add(item, item["n"])
    return found


def _labels(group: str, keys: list[str]) -> dict[str, str]:
    if group in ("township", "county", "city"):
        return dict(Area.objects.filter(code__in=keys).values_list("code", "name"))
    if group == "team":
        return {str(k): v for k, v in Team.objects.filter(pk__in=[int(k) for k in keys if k]).values_list("pk", "name")}
    if group == "person":
        return {str(k): v for k, v in Person.objects.filter(pk__in=[int(k) for k in keys]).values_list("pk", "name")}
    return {k: k for k in keys}


def _rows(found: dict[str, dict[str, int]], level: str) -> list[Row]:
    labels = _labels(level, list(found))
    return [Row(key=k, label=labels.get(k, k), level=level, counts=c) for k, c in sorted(found.items())]


def attendance_report(
    *, actor: User, group: str, since: datetime, until: datetime, area: str | None = None
) -> list[Row]:
    """One row per person / team / sector / township / county (or the city), with counts and rate."""
    if group not in GROUPS:
        raise InvalidInput(_("Unknown report grouping."), code="unknown_grouping", details={"by": group})
    scope = report_scope(actor=actor, since=since, until=until, area=area)
    found: Counts = {}
    for (key,), counts in counts_by(scope, _FIELD[group]).items():
        for status, n in counts.items():
            _add(found, key[:4] + "00" if group == "city" else key, status, n)
    return _rows(found, group)


def attendance_rollup(*, actor: User, since: datetime, until: datetime, area: str | None = None) -> list[Row]:
    """Townships, then their counties, then the city: one grouping by township, summed upwards."""
    scope = report_scope(actor=actor, since=since, until=until, area=area)
    levels: dict[str, Counts] = {"city": {}, "county": {}, "township": {}}
    for (code,), counts in counts_by(scope, "township_code").items():
        for status, n in counts.items():
            _add(levels["township"], code, status, n)
            _add(levels["county"], code[:6], status, n)
            _add(levels["city"], code[:4] + "00", status, n)
    keys = [k for found in levels.values() for k in found]
    labels = dict(Area.objects.filter(code__in=keys).values_list("code", "name"))
    rows = [
        Row(key=k, label=labels.get(k, k), level=level, counts=c)
        for level, found in levels.items()
        for k, c in found.items()
    ]
    order = {"city": 0, "county": 1, "township": 2}
    return sorted(rows, key=lambda r: (r.key[:6] if r.level != "city" else "", order[r.level], r.key))


def annual_by_county(*, actor: User, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Per county: the year's counts and rate, sessions reaching it, and the rate of each month."""
    scope = report_scope(actor=actor, since=since, until=until)
    counties: Counts = {}
    months: dict[str, Counts] = defaultdict(dict)
    for (county, month), counts in _monthly(scope).items():
        for status, n in counts.items():
            _add(counties, county, status, n)
            _add(months[county], month, status, n)
    sessions = dict(
        AttendanceTally.objects.filter(dimension=TallyDimension.AREA, session_start__gte=since, session_start__lt=until)
        .filter(_scope_q(scope.prefixes))
        .order_by()
        .values_list("county_code")
        .annotate(n=Count("session_id", distinct=True))
        .values_list("county_code", "n")
    )
    labels = dict(Area.objects.filter(code__in=list(counties)).values_list("code", "name"))
    result = []
    for code, counts in sorted(counties.items()):
        row = Row(key=code, label=labels.get(code, code), level="county", counts=counts)
        monthly = {int(m): Row(key=m, label=m, level="month", counts=c).rate for m, c in months[code].items()}
        result.append({**row.as_dict(), "sessions": sessions.get(code, 0), "months": dict(sorted(monthly.items()))})
    return result


def _monthly(scope: Scope) -> dict[tuple[Any, ...], dict[str, int]]:
    """(county, month) -> counts, over closed sessions (a year's evaluation looks at what happened)."""
    found: dict[tuple[Any, ...], dict[str, int]] = {}
    tallies = (
        AttendanceTally.objects.filter(
            dimension=TallyDimension.AREA, session_start__gte=scope.since, session_start__lt=scope.until
        )
        .filter(_scope_q(scope.prefixes))
        .annotate(month=ExtractMonth("session_start"))
        .order_by()
        .values("county_code", "month", "status")
        .annotate(total=Sum("n"))
    )
    for item in tallies:
        group = (item["county_code"], str(item["month"]))
        found.setdefault(group, dict.fromkeys(STATUSES, 0))[item["status"]] += item["total"]
    return found


# --- exports ------------------------------------------------------------------------------
COLUMNS = ("level", "key", "label", *STATUSES, "rate")


def _table(rows: list[Row]) -> list[list[Any]]:
    return [[exports.safe_cell(r.as_dict()[c]) for c in COLUMNS] for r in rows]


def to_csv(rows: list[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(_table(rows))
    # A BOM, so spreadsheet programs read the Chinese names as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: list[Row], *, title: str) -> bytes:
    return exports.to_xlsx(title=title, header=COLUMNS, rows=_table(rows))


def day_start(day: date) -> datetime:
    """Midnight at the start of a day, in the platform's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def export_audit(*, actor: User, by: str, since: date, until: date, area: str | None, fmt: str, rows: int) -> None:
    """Exports leave the system with personal data (names), so each is audited."""
    audit.export_audit(
        actor=actor,
        capability=Capability.HOST_SESSIONS,
        object_type="attendance_report",
        area=area,
        fmt=fmt,
        details={"by": by, "since": since.isoformat(), "until": until.isoformat(), "rows": rows},
    )
