"""The yearly county evaluation: one row per county, its figures taken from the apps' own reports.

- members (volunteers, liaisons) now: liaisons.selectors.members_in counted by liaisons.coverage.area_counts;
- attendance over the year's closed sessions: training.reports.annual_by_county;
- alerts raised in the county in the year, median and p90 seconds to the first accept:
  dispatch.reports.response_times; how many got their `needed` accepts: dispatch.reports.needed_reached;
- stations without a head and township-sector liaison gaps now: liaisons.coverage_selectors.vacancy_counts
  (what liaisons' vacancies counts, for every county in one read).

Evaluations are of whole counties: the caller needs VIEW_PEOPLE and HOST_SESSIONS over at least one
county (the city admin gets every county, a county coordinator their own). Downloads: CSV with the
JSON's keys as its titles, XLSX with the titles in the caller's language.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import Forbidden, InvalidInput
from core.exports import safe_cell, to_xlsx
from core.jurisdiction import counties_covered, require
from core.roles import Capability
from dispatch.reports import needed_reached, response_times
from liaisons.coverage import area_counts
from liaisons.coverage_selectors import vacancy_counts
from liaisons.selectors import members_in
from training.reports import annual_by_county, day_start

if TYPE_CHECKING:
    from django.contrib.auth.models import User

FIRST_YEAR = 2000


@dataclass
class CountyEvaluation:
    """One county's evaluation: members and vacancies now, the year's sessions and alerts (null: nothing to measure)."""

    code: str
    name: str
    volunteers: int
    liaisons: int
    sessions: int
    attendance_rate: float | None
    alerts: int
    accepted: int
    median_accept_s: float | None
    p90_accept_s: float | None
    needed_reached: int
    needed_reached_share: float | None
    stations_without_head: int
    townships_with_gaps: int
    sector_gaps: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


COLUMNS = tuple(CountyEvaluation.__dataclass_fields__)
# The XLSX's column titles, in the caller's language (the dashboard's table uses the same msgids).
TITLES = {
    "code": _("Division code"),
    "name": _("County"),
    "volunteers": _("Volunteers"),
    "liaisons": _("Liaisons"),
    "sessions": _("Sessions"),
    "attendance_rate": _("Attendance rate"),
    "alerts": _("Alerts"),
    "accepted": _("Accepted"),
    "median_accept_s": _("Median time to accept (s)"),
    "p90_accept_s": _("90th percentile to accept (s)"),
    "needed_reached": _("Alerts that reached the number needed"),
    "needed_reached_share": _("Share that reached the number needed"),
    "stations_without_head": _("Stations without a head"),
    "townships_with_gaps": _("Townships with sector gaps"),
    "sector_gaps": _("Sector gaps"),
}


def check_year(year: int) -> None:
    last = timezone.localdate().year
    if not FIRST_YEAR <= year <= last:
        raise InvalidInput(
            _("The year must be between %(first)d and %(last)d.") % {"first": FIRST_YEAR, "last": last},
            code="invalid_year",
            details={"year": year, "min": FIRST_YEAR, "max": last},
        )


def county_evaluation(*, actor: User, year: int) -> list[CountyEvaluation]:
    """One row per county the caller's jurisdiction covers whole, ordered by code."""
    check_year(year)
    jurisdiction = require(actor, Capability.VIEW_PEOPLE)
    counties = counties_covered(actor, Capability.VIEW_PEOPLE, Capability.HOST_SESSIONS)
    if not counties:
        raise Forbidden(_("The evaluation covers whole counties: it needs a county or city role."))
    since, until = day_start(date(year, 1, 1)), day_start(date(year + 1, 1, 1))

    members = {
        c.area_code: c
        for c in area_counts(
            areas=[(a.code, a.prefix) for a in counties], members=members_in(jurisdiction=jurisdiction), on_duty=None
        )
    }
    attendance = {row["key"]: row for row in annual_by_county(actor=actor, since=since, until=until)}
    times = {s.key: s for s in response_times(actor=actor, since=since, until=until) if s.group == "area"}
    reached = needed_reached(actor=actor, since=since, until=until)
    vacant = vacancy_counts(actor=actor, areas=counties)

    rows = []
    for county in counties:
        code = county.code
        held = attendance.get(code, {})
        stats = times.get(code)
        alerts = stats.alerts if stats else 0
        gaps = vacant[code]
        rows.append(
            CountyEvaluation(
                code=code,
                name=county.name,
                volunteers=members[code].volunteers,
                liaisons=members[code].liaisons,
                sessions=held.get("sessions", 0),
                attendance_rate=held.get("rate"),
                alerts=alerts,
                accepted=stats.accepted if stats else 0,
                median_accept_s=stats.median_accept_s if stats else None,
                p90_accept_s=stats.p90_accept_s if stats else None,
                needed_reached=reached.get(code, 0),
                needed_reached_share=round(reached.get(code, 0) / alerts, 4) if alerts else None,
                stations_without_head=gaps.stations_without_head,
                townships_with_gaps=gaps.townships_with_gaps,
                sector_gaps=gaps.sector_gaps,
            )
        )
    return rows


def as_csv(rows: list[CountyEvaluation]) -> bytes:
    """The same rows and columns as the JSON; an empty cell for a figure with nothing to measure."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row.as_dict().values()])
    # A BOM, so spreadsheet programs read the Chinese names as UTF-8 (as training's downloads).
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(rows: list[CountyEvaluation], *, year: int) -> bytes:
    """The same rows as the JSON, under titles in the active language; an empty cell for `null`."""
    return to_xlsx(
        title=str(_("Evaluation %(year)d") % {"year": year}),
        header=[str(TITLES[c]) for c in COLUMNS],
        rows=[list(row.as_dict().values()) for row in rows],
    )
