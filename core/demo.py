"""Deterministic demo population at the seed's scale (used by `manage.py seed_demo`).

Fast on purpose: one password hash shared by every demo account (they share
one printed password anyway), bulk inserts, and a per-run random generator so
the same --seed gives the same people.
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import phonenumbers
from faker import Faker
from stdnum.cn import ric

from core.geo import Boundary, boundary_of
from core.models import Area, AreaBoundary, AreaLevel

VOLUNTEERS = 1976
LIAISONS = 3000
# The sectors liaisons are recruited from; the liaisons app gives them models.
SECTORS = ("transit", "sanitation", "city_management", "property", "food_delivery", "express", "hospital", "school")
DEMO_TOWNSHIP = "410611001"  # a 淇滨区 street: the demo township coordinator, volunteer and liaison live here
HOME_SPREAD_M = 2500.0

_MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "198",
    "199",
]


@dataclass
class DemoPerson:
    username: str
    name: str
    phone: str
    id_number: str
    area_code: str
    lat: float
    lon: float
    role: str
    sector: str | None = None
    team_key: tuple[str, int] | None = None


@dataclass
class DemoPopulation:
    logins: list[DemoPerson] = field(default_factory=list)
    volunteers: list[DemoPerson] = field(default_factory=list)
    liaisons: list[DemoPerson] = field(default_factory=list)

    def everyone(self) -> list[DemoPerson]:
        return [*self.logins, *self.volunteers, *self.liaisons]


class Generator:
    def __init__(self, *, seed: int, areas: Iterable[Area], outlines: Mapping[str, Any] | None = None) -> None:
        """`outlines`: county code -> GeoJSON geometry, where homes must lie (by default the stored ones)."""
        self.rng = random.Random(seed)
        self.faker = Faker("zh_CN")
        self.faker.seed_instance(seed)
        self.areas = {a.code: a for a in areas}
        self.townships = sorted(c for c, a in self.areas.items() if a.level == AreaLevel.TOWNSHIP)
        self.counties = sorted(c for c, a in self.areas.items() if a.level == AreaLevel.COUNTY)
        self.outlines = AreaBoundary.objects.by_area() if outlines is None else dict(outlines)
        self._phones: set[str] = set()
        self._ids: set[str] = set()

    # --- attributes -------------------------------------------------------------------
    def phone(self) -> str:
        for _ in range(1000):
            candidate = self.rng.choice(_MOBILE_PREFIXES) + "".join(self.rng.choices(string.digits, k=8))
            if candidate in self._phones:
                continue
            if phonenumbers.is_valid_number(phonenumbers.parse(candidate, "CN")):
                self._phones.add(candidate)
                return candidate
        raise RuntimeError("could not draw a fresh valid phone number")

    def id_number(self, area_code: str) -> str:
        county = area_code[:6] if area_code[:6] in self.areas else "410611"
        for _ in range(1000):
            # A birth-place code is valid only from the year it was assigned (淇县's from 1986),
            # so adults born 1986-2005 always get a number that passes stdnum's full check.
            born = date(1986, 1, 1) + timedelta(days=self.rng.randrange(0, 20 * 365))
            body = f"{county}{born:%Y%m%d}{self.rng.randrange(0, 1000):03d}"
            candidate = body + ric.calc_check_digit(body + "0")  # it expects a check-digit slot
            if candidate not in self._ids:
                self._ids.add(candidate)
                return candidate
        raise RuntimeError("could not draw a fresh ID number")

    def home(self, township_code: str) -> tuple[float, float]:
        """A point near the township centre, inside its county's polygon."""
        township = self.areas[township_code]
        boundary = self.boundary_for(township_code)
        for _ in range(200):
            distance = abs(self.rng.gauss(0, HOME_SPREAD_M))
            bearing = self.rng.uniform(0, 2 * math.pi)
            lat = township.lat + (distance * math.cos(bearing)) / 111_320
            lon = township.lon + (distance * math.sin(bearing)) / (111_320 * math.cos(math.radians(township.lat)))
            if boundary is None or boundary.contains(lat, lon):
                return round(lat, 6), round(lon, 6)
        return township.lat, township.lon  # the shipped centres are all inside their county

    def boundary_for(self, code: str) -> Boundary | None:
        """The polygon a home must lie in: the county's; the dev zone's streets lie in 淇滨区."""
        for county_code in (code[:6], "410611"):
            if county_code in self.outlines:
                return boundary_of(county_code, self.outlines[county_code])
        return None

    def person(self, *, username: str, role: str, area_code: str, sector: str | None = None) -> DemoPerson:
        lat, lon = self.home(area_code) if area_code in self.townships else self._centre(area_code)
        return DemoPerson(
            username=username,
            name=self.faker.name(),
            phone=self.phone(),
            id_number=self.id_number(area_code),
            area_code=area_code,
            lat=lat,
            lon=lon,
            role=role,
            sector=sector,
        )

    def _centre(self, code: str) -> tuple[float, float]:
        return self.areas[code].lat, self.areas[code].lon

    # --- the population ---------------------------------------------------------------
    def population(self, *, tick: Callable[[int], object] = lambda n: None) -> DemoPopulation:
        pop = DemoPopulation()
        city = next(c for c, a in self.areas.items() if a.level == AreaLevel.CITY)
        pop.logins.append(self.person(username="admin", role="city_admin", area_code=city))
        for county in self.counties:
            pop.logins.append(self.person(username=f"county_{county}", role="county_coordinator", area_code=county))
        pop.logins.append(
            self.person(username=f"township_{DEMO_TOWNSHIP}", role="township_coordinator", area_code=DEMO_TOWNSHIP)
        )
        pop.logins.append(self.person(username="volunteer_demo", role="volunteer", area_code=DEMO_TOWNSHIP))
        pop.logins.append(
            self.person(username="liaison_demo", role="liaison", area_code=DEMO_TOWNSHIP, sector="food_delivery")
        )
        tick(len(pop.logins))
        # Volunteers: round-robin over townships, two teams in each.
        for i in range(VOLUNTEERS):
            township = self.townships[i % len(self.townships)]
            person = self.person(username=f"vol{i + 1:04d}", role="volunteer", area_code=township)
            person.team_key = (township, (i // len(self.townships)) % 2)
            pop.volunteers.append(person)
            tick(1)
        pop.logins[-2].team_key = (DEMO_TOWNSHIP, 0)
        for i in range(LIAISONS):
            township = self.townships[self.rng.randrange(len(self.townships))]
            sector = SECTORS[i % len(SECTORS)]
            pop.liaisons.append(
                self.person(username=f"lia{i + 1:04d}", role="liaison", area_code=township, sector=sector)
            )
            tick(1)
        return pop


def demo_usernames(pop: DemoPopulation) -> list[str]:
    return [p.username for p in pop.everyone()]


def team_name(area: Area, index: int) -> str:
    return f"{area.name}义警{'一二三四五'[index]}队"
