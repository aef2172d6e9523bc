"""Response-time statistics (selectors): per area and per kind, median and p90, over a date range."""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from core import exports
from core.errors import InvalidInput
from core.jurisdiction import require
from core.models import PREFIX_LENGTH, Area, AreaLevel
from core.roles import Capability
from dispatch.models import Alert, AlertKind
from dispatch.selectors import ACCEPTING

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass
class Stats:
    group: str  # "area" or "kind"
    key: str
    name: str
    alerts: int
    accepted: int
    median_accept_s: float | None
    p90_accept_s: float | None
    on_scene: int
    median_on_scene_s: float | None
    p90_on_scene_s: float | None


def _p90(values: list[float]) -> float:
    """Nearest-rank 90th percentile: a value that really occurred."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _stats(group: str, key: str, name: str, alerts: list[Alert]) -> Stats:
    accept = [(a.first_accepted_at - a.created_at).total_seconds() for a in alerts if a.first_accepted_at]
    scene = [(a.first_on_scene_at - a.created_at).total_seconds() for a in alerts if a.first_on_scene_at]
    return Stats(
        group=group,
        key=key,
        name=name,
        alerts=len(alerts),
        accepted=len(accept),
        median_accept_s=statistics.median(accept) if accept else None,
        p90_accept_s=_p90(accept) if accept else None,
        on_scene=len(scene),
        median_on_scene_s=statistics.median(scene) if scene else None,
        p90_on_scene_s=_p90(scene) if scene else None,
    )


def response_times(*, actor: User, since: datetime, until: datetime, level: str = AreaLevel.COUNTY) -> list[Stats]:
    """One row per area (at `level`) and one per kind, for alerts raised in [since, until) in the jurisdiction."""
    if until <= since:
        raise InvalidInput(_("The end of the range must be after its start."), code="invalid_range")
    if level not in (AreaLevel.CITY, AreaLevel.COUNTY, AreaLevel.TOWNSHIP):
        raise InvalidInput(_("Group by city, county or township."), code="invalid_level", details={"level": level})
    jurisdiction = require(actor, Capability.VIEW_PEOPLE)
    alerts = list(
        Alert.objects.filter(jurisdiction.q("area__code"), created_at__gte=since, created_at__lt=until).only(
            "area_id", "kind", "created_at", "first_accepted_at", "first_on_scene_at"
        )
    )
    length = PREFIX_LENGTH[AreaLevel(level)]
    by_area: dict[str, list[Alert]] = defaultdict(list)
    by_kind: dict[str, list[Alert]] = defaultdict(list)
    for alert in alerts:
        by_area[alert.area_id[:length]].append(alert)
        by_kind[alert.kind].append(alert)
    names = dict(Area.objects.filter(prefix__in=list(by_area)).values_list("prefix", "name"))
    codes = dict(Area.objects.filter(prefix__in=list(by_area)).values_list("prefix", "code"))
    rows = [_stats("area", codes.get(p, p), names.get(p, p), by_area[p]) for p in sorted(by_area)]
    rows += [_stats("kind", k, str(AlertKind(k).label), by_kind[k]) for k in sorted(by_kind)]
    return rows


def needed_reached(*, actor: User, since: datetime, until: datetime, level: str = AreaLevel.COUNTY) -> dict[str, int]:
    """Area code (at `level`) -> how many alerts raised in [since, until) in the jurisdiction got `needed` accepts.

    Responders who accepted and have not declined since count (as dispatch.selectors.accepted_count)."""
    if until <= since:
        raise InvalidInput(_("The end of the range must be after its start."), code="invalid_range")
    jurisdiction = require(actor, Capability.VIEW_PEOPLE)
    reached = (
        Alert.objects.filter(jurisdiction.q("area__code"), created_at__gte=since, created_at__lt=until)
        .annotate(accepts=Count("responses", filter=Q(responses__state__in=ACCEPTING)))
        .filter(accepts__gte=F("needed"))
        .order_by()
        .values_list("area_id", flat=True)
    )
    length = PREFIX_LENGTH[AreaLevel(level)]
    by_prefix: dict[str, int] = defaultdict(int)
    for code in reached:
        by_prefix[code[:length]] += 1
    codes = dict(Area.objects.filter(prefix__in=list(by_prefix)).values_list("prefix", "code"))
    return {codes.get(p, p): n for p, n in by_prefix.items()}


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """Spreadsheet-safe: a text cell that a spreadsheet would run as a formula gets a leading quote."""
    if value is None:
        return ""
    text = f"{value:.1f}" if isinstance(value, float) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


CSV_COLUMNS = [
    "group",
    "key",
    "name",
    "alerts",
    "accepted",
    "median_accept_s",
    "p90_accept_s",
    "on_scene",
    "median_on_scene_s",
    "p90_on_scene_s",
]


TITLES = {
    "group": _("Grouped by"),
    "key": _("Code"),
    "name": _("Area or kind"),
    "alerts": _("Alerts"),
    "accepted": _("Accepted"),
    "median_accept_s": _("Median time to accept (s)"),
    "p90_accept_s": _("90th percentile to accept (s)"),
    "on_scene": _("On scene"),
    "median_on_scene_s": _("Median time to on scene (s)"),
    "p90_on_scene_s": _("90th percentile to on scene (s)"),
}


def as_xlsx(rows: Iterable[Stats]) -> bytes:
    """The CSV's rows as a workbook, under titles in the active language; numbers stay numbers."""

    def value(row: Stats, column: str) -> object:
        found = getattr(row, column)
        return round(found, 1) if isinstance(found, float) else found

    return exports.to_xlsx(
        title=str(_("Response times")),
        header=[str(TITLES[c]) for c in CSV_COLUMNS],
        rows=[[value(row, c) for c in CSV_COLUMNS] for row in rows],
    )


def as_csv(rows: Iterable[Stats]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(getattr(row, column)) for column in CSV_COLUMNS])
    return out.getvalue()
