"""Attendance reports: rates per person, team, sector and area, rolled up township -> county -> city,
the annual picture per county, and CSV / XLSX exports.

Every figure is aggregated in SQL on the attendance table alone (area, team
and sector are copied onto each row at invitation), so a report costs the same
few queries whether a year holds 6,000 or 600,000 invitations.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from core.errors import InvalidInput, NotFound
from core.jurisdiction import Jurisdiction, require
from core.models import Area, AuditAction, Person, Team
from core.roles import Capability
from core.services.audit import audit_record
from training.models import Attendance, AttendanceStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import User

GROUPS = ("person", "team", "sector", "township", "county", "city")
_FIELD = {
    "person": "person_id",
    "team": "team_id",
    "sector": "sector",
    "township": "township_code",
    "county": "county_code",
}
STATUSES = tuple(AttendanceStatus.values)


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
    """Filter by jurisdiction on the narrowest copied code that still holds the prefix, so the
    roll-up indexes (start, county, status) cover the whole scan for city and county staff."""
    query = Q()
    for prefix in prefixes:
        column = "county_code" if len(prefix) <= 6 else "township_code" if len(prefix) <= 9 else "area_code"
        query |= Q(**{f"{column}__startswith": prefix})
    return query


def scoped_rows(*, actor: User, since: datetime, until: datetime, area: str | None = None) -> QuerySet[Attendance]:
    if until <= since:
        raise InvalidInput(_("The end must come after the start."), code="end_before_start")
    jurisdiction = require(actor, Capability.HOST_SESSIONS)
    if area is not None:
        found = Area.objects.filter(code=area).first()
        if found is None or not jurisdiction.covers(found.code):
            raise NotFound()
        jurisdiction = Jurisdiction.from_prefixes([found.prefix])
    return Attendance.objects.filter(session_start__gte=since, session_start__lt=until).filter(
        _scope_q(jurisdiction.prefixes)
    )


def _labels(group: str, keys: list[str]) -> dict[str, str]:
    if group in ("township", "county", "city"):
        return dict(Area.objects.filter(code__in=keys).values_list("code", "name"))
    if group == "team":
        return {str(k): v for k, v in Team.objects.filter(pk__in=[int(k) for k in keys if k]).values_list("pk", "name")}
    if group == "person":
        return {str(k): v for k, v in Person.objects.filter(pk__in=[int(k) for k in keys]).values_list("pk", "name")}
    return {k: k for k in keys}


def attendance_report(
    *, actor: User, group: str, since: datetime, until: datetime, area: str | None = None
) -> list[Row]:
    """One row per person / team / sector / township / county (or the city), with counts and rate."""
    if group not in GROUPS:
        raise InvalidInput(_("Unknown report grouping."), code="unknown_grouping", details={"by": group})
    rows = scoped_rows(actor=actor, since=since, until=until, area=area)
    if group == "city":
        counted = rows.order_by().values("county_code", "status").annotate(n=Count("id"))
        city = Area.objects.filter(level="city").values_list("code", flat=True).first() or ""
        found = {city: Row(key=city, label="", level="city")}
        for item in counted:
            found[city].counts[item["status"]] += item["n"]
    else:
        column = _FIELD[group]
        found = {}
        for item in rows.order_by().values(column, "status").annotate(n=Count("id")):
            key = "" if item[column] is None else str(item[column])
            found.setdefault(key, Row(key=key, label="", level=group)).counts[item["status"]] += item["n"]
    labels = _labels(group, list(found))
    for row in found.values():
        row.label = labels.get(row.key, row.key)
    return sorted(found.values(), key=lambda r: r.key)


def attendance_rollup(*, actor: User, since: datetime, until: datetime, area: str | None = None) -> list[Row]:
    """Townships, then their counties, then the city: one query, summed upwards."""
    rows = scoped_rows(actor=actor, since=since, until=until, area=area)
    found: dict[tuple[str, str], Row] = {}
    for item in rows.order_by().values("township_code", "status").annotate(n=Count("id")):
        code = item["township_code"]
        for level, key in (("township", code), ("county", code[:6]), ("city", code[:4] + "00")):
            found.setdefault((level, key), Row(key=key, label="", level=level)).counts[item["status"]] += item["n"]
    labels = dict(Area.objects.filter(code__in=[k for _l, k in found]).values_list("code", "name"))
    order = {"city": 0, "county": 1, "township": 2}
    result = sorted(found.values(), key=lambda r: (r.key[:6] if r.level != "city" else "", order[r.level], r.key))
    for row in result:
        row.label = labels.get(row.key, row.key)
    return result


def annual_by_county(*, actor: User, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Per county: the year's counts and rate, and the rate of each month (for the yearly evaluation)."""
    rows = scoped_rows(actor=actor, since=since, until=until)
    counties: dict[str, Row] = {}
    months: dict[str, dict[int, Row]] = defaultdict(dict)
    grouped = rows.order_by().annotate(month=ExtractMonth("session_start"))
    for item in grouped.values("county_code", "month", "status").annotate(n=Count("id")):
        county, month = item["county_code"], item["month"]
        counties.setdefault(county, Row(key=county, label="", level="county")).counts[item["status"]] += item["n"]
        months[county].setdefault(month, Row(key=str(month), label="", level="month")).counts[item["status"]] += item[
            "n"
        ]
    sessions = dict(
        rows.order_by()
        .values_list("county_code")
        .annotate(n=Count("session_id", distinct=True))
        .values_list("county_code", "n")
    )
    labels = dict(Area.objects.filter(code__in=list(counties)).values_list("code", "name"))
    return [
        {
            **row.as_dict(),
            "label": labels.get(code, code),
            "sessions": sessions.get(code, 0),
            "months": {m: months[code][m].rate for m in sorted(months[code])},
        }
        for code, row in sorted(counties.items())
    ]


# --- exports ------------------------------------------------------------------------------
COLUMNS = ("level", "key", "label", *STATUSES, "rate")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _table(rows: list[Row]) -> list[list[Any]]:
    return [[safe_cell(r.as_dict()[c]) for c in COLUMNS] for r in rows]


def to_csv(rows: list[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(_table(rows))
    # A BOM, so spreadsheet programs read the Chinese names as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: list[Row], *, title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(COLUMNS))
    for line in _table(rows):
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def day_start(day: date) -> datetime:
    """Midnight at the start of a day, in the platform's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def export_audit(*, actor: User, by: str, since: date, until: date, area: str | None) -> None:
    """Exports leave the system with personal data (names), so each is audited."""
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type="attendance_report",
        area_code=area or min(require(actor, Capability.HOST_SESSIONS).prefixes, key=len),
        details={"by": by, "since": since.isoformat(), "until": until.isoformat()},
    )
