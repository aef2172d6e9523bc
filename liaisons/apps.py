from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from core.demo import DemoPopulation

# Demo employer names by sector: {county} is the county's name, {n} a number.
_EMPLOYER_NAMES = {
    "transit": "{county}公交公司{n}路",
    "sanitation": "{county}环卫{n}队",
    "city_management": "{county}城管执法{n}中队",
    "property": "{county}第{n}物业服务公司",
    "food_delivery": "{county}外卖配送{n}站",
    "express": "{county}快递分拨{n}部",
    "hospital": "{county}第{n}人民医院",
    "school": "{county}第{n}中学",
}
_EMPLOYERS_PER_SECTOR = 2
_VACANT_EVERY = 6  # every sixth township's station has no head yet, so the demo shows vacancies


class LiaisonsConfig(AppConfig):
    name = "liaisons"
    verbose_name = "Liaisons and coverage"

    def ready(self) -> None:
        # Training learns who is in which sector through core, never by importing liaisons.
        from core.sectors import register_sector_provider
        from liaisons.selectors import LiaisonSectors

        register_sector_provider(LiaisonSectors())

    def seed_demo(self, population: DemoPopulation) -> None:
        """Liaison profiles for the demo liaisons, employers per sector and county, one station per township.

        Bulk inserts only: a few thousand rows in well under a second or two.
        """
        from core.models import Area, AreaLevel, Person, RoleGrant
        from core.roles import Role
        from liaisons.models import Employer, Liaison, Station
        from liaisons.sectors import employer_kind_for

        demo = [p for p in population.everyone() if p.role == "liaison" and p.sector]
        person_ids = dict(
            Person.objects.filter(user__username__in=[p.username for p in demo]).values_list("user__username", "pk")
        )
        counties = list(Area.objects.filter(level=AreaLevel.COUNTY).order_by("code"))
        Employer.objects.bulk_create(
            [
                Employer(
                    name=_EMPLOYER_NAMES[sector].format(county=county.name, n=n),
                    kind=employer_kind_for(sector),
                    sector_id=sector,
                    area=county,
                    address=f"{county.name}{sector}路{n}号",
                )
                for county in counties
                for sector in _EMPLOYER_NAMES
                for n in range(1, _EMPLOYERS_PER_SECTOR + 1)
            ],
            ignore_conflicts=True,
        )
        employers: dict[tuple[str, str], list[int]] = {}
        for pk, area, sector in Employer.objects.order_by("pk").values_list("pk", "area_id", "sector_id"):
            employers.setdefault((area, sector), []).append(pk)

        Liaison.objects.bulk_create(
            [
                Liaison(
                    person_id=person_ids[p.username],
                    sector_id=p.sector or "",
                    employer_id=_pick(employers.get((p.area_code[:6], p.sector or ""), []), i),
                )
                for i, p in enumerate(demo)
                if p.username in person_ids
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        liaisons = dict(
            Liaison.objects.filter(person_id__in=person_ids.values()).values_list("person__user__username", "pk")
        )
        # Riders and couriers also work the next township of their county (their sector's shifts apply).
        townships = list(Area.objects.filter(level=AreaLevel.TOWNSHIP).order_by("code").values_list("code", flat=True))
        through = Liaison.work_areas.through
        through.objects.bulk_create(
            [
                through(liaison_id=liaisons[p.username], area_id=extra)
                for p in demo
                if p.username in liaisons and p.sector in ("food_delivery", "express")
                for extra in [_neighbour(townships, p.area_code)]
                if extra
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )

        # One work station per township, led by the first demo liaison who lives there.
        first_liaison: dict[str, DemoPersonRef] = {}
        for p in demo:
            if p.username in person_ids:
                first_liaison.setdefault(p.area_code, (person_ids[p.username], p.username))
        Station.objects.bulk_create(
            [
                Station(
                    name=f"{t.name}见义勇为工作站",
                    area=t,
                    head_id=None
                    if i % _VACANT_EVERY == _VACANT_EVERY - 1
                    else first_liaison.get(t.code, (None, ""))[0],
                )
                for i, t in enumerate(Area.objects.filter(level=AreaLevel.TOWNSHIP).order_by("code"))
            ],
            ignore_conflicts=True,
        )
        stations = list(Station.objects.filter(head__isnull=False).values_list("pk", "area_id", "head__user_id"))
        RoleGrant.objects.bulk_create(
            [RoleGrant(user_id=user_id, role=Role.STATION_HEAD, area_id=area) for _pk, area, user_id in stations],
            ignore_conflicts=True,
        )
        station_of = dict(Station.objects.values_list("area_id", "pk"))
        for area, station_id in station_of.items():
            Liaison.objects.filter(person__home_area_id=area, station__isnull=True).update(station_id=station_id)


DemoPersonRef = tuple[int | None, str]


def _neighbour(townships: list[str], code: str) -> str | None:
    """The next township code in the same county, if any."""
    index = townships.index(code) if code in townships else -1
    following = townships[index + 1] if 0 <= index < len(townships) - 1 else None
    return following if following and following[:6] == code[:6] else None


def _pick(choices: list[int], index: int) -> int | None:
    return choices[index % len(choices)] if choices else None
