"""Reads of the liaison network, always scoped to the acting user (outside it is 404, never 403)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from core.errors import NotFound
from core.jurisdiction import Jurisdiction, require
from core.models import Area, AreaLevel, Person
from core.roles import Capability, Role
from liaisons.coverage import Member
from liaisons.models import CoverageTarget, Employer, Liaison, Sector, SectorShift, ShiftWindow, Station

if TYPE_CHECKING:
    from django.contrib.auth.models import User

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sector_list() -> QuerySet[Sector]:
    return Sector.objects.order_by("order", "code")


def sector_codes() -> list[str]:
    return list(sector_list().values_list("code", flat=True))


def _on_shift(at: datetime) -> Q:
    """Liaisons with a shift covering `at` in Shanghai wall-clock time: their own shifts, else their sector's."""
    t = at.astimezone(SHANGHAI).time()
    same_day = Q(starts__lt=F("ends")) & Q(starts__lte=t, ends__gt=t)
    wraps = Q(starts__gt=F("ends")) & (Q(starts__lte=t) | Q(ends__gt=t))
    own = ShiftWindow.objects.filter(liaison=OuterRef("pk"))
    by_sector = SectorShift.objects.filter(sector=OuterRef("sector")).filter(same_day | wraps)
    return Q(Exists(own.filter(same_day | wraps))) | (~Q(Exists(own)) & Q(Exists(by_sector)))


class LiaisonSectors:
    """core.sectors' provider (registered in LiaisonsConfig.ready()): a person is in their liaison profile's sector."""

    def codes(self) -> list[str]:
        return sector_codes()

    def members(self, *, sectors: Sequence[str] | None, within: Sequence[str]) -> dict[int, str]:
        where = Q()
        for prefix in within:
            where |= Q(person__home_area__code__startswith=prefix)
        liaisons = Liaison.objects.filter(where, person__is_active=True)
        if sectors is not None:
            liaisons = liaisons.filter(sector_id__in=list(sectors))
        return dict(liaisons.values_list("person_id", "sector_id"))


def liaisons_matching(
    *, sectors: Sequence[str], area_prefixes: Sequence[str] | None = None, on_shift_at: datetime | None = None
) -> QuerySet[Liaison]:
    """Active liaisons for alert targeting (used by dispatch, as a subquery).

    - `sectors`: sector codes to include; an empty list means every sector.
    - `area_prefixes`: NBS code prefixes (e.g. two townships' 9-digit codes); a liaison matches
      when their home or any work area lies under one of them. None means anywhere: the caller
      scopes by its own jurisdiction.
    - `on_shift_at`: keep only liaisons with a shift window covering this instant, read as
      Asia/Shanghai wall-clock time (windows that end before they start wrap midnight): their
      own windows if they have any, else their sector's usual ones. None means regardless of shifts.
    Not scoped to an actor: dispatch passes the alert's already-authorised areas and jurisdiction.
    """
    liaisons = Liaison.objects.filter(person__is_active=True)
    if sectors:
        liaisons = liaisons.filter(sector_id__in=list(sectors))
    if area_prefixes is not None:
        if not area_prefixes:
            return Liaison.objects.none()
        where = Q()
        for prefix in area_prefixes:
            where |= Q(person__home_area__code__startswith=prefix) | Q(work_areas__code__startswith=prefix)
        liaisons = liaisons.filter(where)
    if on_shift_at is not None:
        liaisons = liaisons.filter(_on_shift(on_shift_at))
    return liaisons


def liaison_person_ids(
    *, sectors: Sequence[str], area_prefixes: Sequence[str] | None = None, on_shift_at: datetime | None = None
) -> set[int]:
    """Person ids of the liaisons `liaisons_matching` finds."""
    found = liaisons_matching(sectors=sectors, area_prefixes=area_prefixes, on_shift_at=on_shift_at)
    return set(found.values_list("person_id", flat=True).distinct())


def liaison_list(
    *,
    actor: User,
    sector: str | None = None,
    area: str | None = None,
    on_shift_at: datetime | None = None,
) -> QuerySet[Liaison]:
    jurisdiction = require(actor, Capability.VIEW_PEOPLE)
    liaisons = (
        Liaison.objects.filter(jurisdiction.q("person__home_area__code"))
        .select_related("person", "sector", "employer", "station")
        .prefetch_related("work_areas", "shifts", "sector__shifts")
    )
    if sector:
        liaisons = liaisons.filter(sector_id=sector)
    if area:
        liaisons = liaisons.filter(person__home_area__code__startswith=area)
    if on_shift_at is not None:
        liaisons = liaisons.filter(_on_shift(on_shift_at))
    return liaisons.order_by("id")


def employer_list(*, actor: User, sector: str | None = None, area: str | None = None) -> QuerySet[Employer]:
    employers = Employer.objects.filter(require(actor, Capability.VIEW_PEOPLE).q("area__code")).select_related(
        "sector", "area"
    )
    if sector:
        employers = employers.filter(sector_id=sector)
    if area:
        employers = employers.filter(area__code__startswith=area)
    return employers.order_by("area_id", "name")


def station_list(*, actor: User, area: str | None = None, vacant: bool | None = None) -> QuerySet[Station]:
    stations = Station.objects.filter(require(actor, Capability.VIEW_PEOPLE).q("area__code")).select_related(
        "area", "head"
    )
    if area:
        stations = stations.filter(area__code__startswith=area)
    if vacant is not None:
        stations = stations.filter(head__isnull=vacant)
    return stations.order_by("area_id", "name")


def station_get(*, actor: User, station_id: int) -> Station:
    station = station_list(actor=actor).filter(pk=station_id).first()
    if station is None:
        raise NotFound()
    return station


# --- what coverage needs --------------------------------------------------------------------


def coverage_jurisdiction(*, actor: User, area: str | None = None) -> Jurisdiction:
    """Where the actor may look at coverage; narrowed to `area` when given (404 outside)."""
    jurisdiction = require(actor, Capability.VIEW_PEOPLE)
    if area is None:
        return jurisdiction
    found = Area.objects.filter(code=area).only("prefix").first()
    if found is None or not jurisdiction.covers(area):
        raise NotFound(details={"area": area})
    return Jurisdiction.from_prefixes([found.prefix])


def areas_in(*, jurisdiction: Jurisdiction, level: str | None = None) -> QuerySet[Area]:
    areas = Area.objects.filter(jurisdiction.q("code"))
    if level:
        areas = areas.filter(level=level)
    return areas.order_by("code")


def township_codes(*, jurisdiction: Jurisdiction) -> list[str]:
    return list(areas_in(jurisdiction=jurisdiction, level=AreaLevel.TOWNSHIP).values_list("code", flat=True))


def members_in(*, jurisdiction: Jurisdiction) -> list[Member]:
    """Active volunteers and liaisons homed inside the jurisdiction, as plain records (three queries)."""
    volunteers = dict(
        Person.objects.filter(jurisdiction.q("home_area__code"), is_active=True, user__role_grants__role=Role.VOLUNTEER)
        .values_list("pk", "home_area_id")
        .distinct()
    )
    liaisons = {
        pid: (sector, home)
        for pid, sector, home in Liaison.objects.filter(
            jurisdiction.q("person__home_area__code"), person__is_active=True
        ).values_list("person_id", "sector_id", "person__home_area_id")
    }
    work: dict[int, list[str]] = {}
    for pid, code in Liaison.work_areas.through.objects.filter(
        jurisdiction.q("liaison__person__home_area__code"), liaison__person__is_active=True
    ).values_list("liaison__person_id", "area_id"):
        work.setdefault(pid, []).append(code)
    return [
        Member(
            person_id=pid,
            home_code=volunteers.get(pid) or liaisons[pid][1],
            is_volunteer=pid in volunteers,
            sector=liaisons[pid][0] if pid in liaisons else None,
            work_codes=tuple(sorted(work.get(pid, ()))),
        )
        for pid in sorted(volunteers.keys() | liaisons.keys())
    ]


def targets_in(*, jurisdiction: Jurisdiction) -> list[tuple[str, str, int]]:
    """Every target that can apply inside the jurisdiction: its own and those set above it."""
    return [
        (prefix, sector, minimum)
        for prefix, sector, minimum in CoverageTarget.objects.values_list("area__prefix", "sector_id", "min_liaisons")
        if any(p.startswith(prefix) or prefix.startswith(p) for p in jurisdiction.prefixes)
    ]


def target_list(*, actor: User, area: str | None = None) -> list[CoverageTarget]:
    """The coverage targets that apply inside the actor's view (its own and those set above it), broadest first."""
    jurisdiction = coverage_jurisdiction(actor=actor, area=area)
    targets = CoverageTarget.objects.select_related("area", "sector").order_by("area_id", "sector__order")
    return [
        t
        for t in targets
        if any(p.startswith(t.area.prefix) or t.area.prefix.startswith(p) for p in jurisdiction.prefixes)
    ]


def people_in_sectors(*, sectors: list[str]) -> QuerySet[Person]:
    """Active people whose liaison profile is in one of `sectors` (dispatch's sector targeting)."""
    return Person.objects.filter(is_active=True, liaison__sector__code__in=sectors)
