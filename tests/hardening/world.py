"""A small Hebi with two sides of a jurisdiction line, for the jurisdiction matrix and the data sweeps.

Actors all work in 淇县 (the city admin over all of 鹤壁). The same kinds of records exist
inside their jurisdiction (淇县 高村镇), outside it (浚县 善堂镇) and outside the city
altogether (a made-up 新乡 county, the city admin's "outside"). Everything outside carries
distinctive markers (names, phones, ID numbers, titles, coordinates), so a test can grep
every response body or socket frame an actor gets for something it must never see. The inside
alert is raised by the city and also reaches 浚县, whose member accepts it: 淇县 staff manage it
(board, audit) without ever seeing that member.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from core.crypto import token_digest
from core.identity import mask_phone
from core.models import ApiToken, Area, DutyStatus, Hero, Person
from core.positions import Fix, positions
from core.services.tokens import TOKEN_PREFIX
from liaisons.models import CoverageTarget, Employer, Liaison, Sector, Station
from tests.factories import PersonFactory, RoleGrantFactory, TeamFactory, UserFactory, valid_id_number, valid_phone

CITY = "410600"
QIXIAN = "410622"
QIXIAN_TOWNSHIP = "410622101"  # 淇县 高村镇: "inside" for every actor
XUNXIAN = "410621"
XUNXIAN_TOWNSHIP = "410621101"  # 浚县 善堂镇: "outside" for everyone below the city admin
FAR_CITY, FAR_COUNTY, FAR_TOWNSHIP = "410700", "410721", "410721001"  # 新乡: outside the city admin's too

ROLES = ("city", "county", "township", "station_head", "volunteer", "liaison", "anonymous")
ROLE_GRANTS = {
    "city": ("city_admin", CITY),
    "county": ("county_coordinator", QIXIAN),
    "township": ("township_coordinator", QIXIAN_TOWNSHIP),
    "station_head": ("station_head", QIXIAN_TOWNSHIP),
    "volunteer": ("volunteer", QIXIAN_TOWNSHIP),
    "liaison": ("liaison", QIXIAN_TOWNSHIP),
}

# Where an outside position is: 浚县 and 新乡, at coordinates no other record has.
XUNXIAN_FIX = (35.671234, 114.541234)
FAR_FIX = (35.301234, 113.921234)
QIXIAN_FIX = (35.611111, 114.191111)


@dataclass
class Side:
    """The records of one side of the line."""

    area: str
    person: Person
    liaison: Person
    team_id: int
    station_id: int
    employer_id: int
    alert_id: int = 0
    session_id: int = 0
    leave_id: int = 0
    hero_id: int = 0
    markers: list[str] = field(default_factory=list)


@dataclass
class World:
    actors: dict[str, Person]
    tokens: dict[str, str]
    inside: Side
    outside: Side  # 浚县
    far: Side  # 新乡

    def outside_for(self, role: str) -> Side:
        return self.far if role == "city" else self.outside

    def foreign_markers(self, role: str) -> list[str]:
        """What this actor must never see: the far side always, 浚县 too unless they are the city admin."""
        return self.far.markers if role == "city" else [*self.outside.markers, *self.far.markers]


def bearer(person: Person) -> str:
    """A live token, as POST /api/v1/auth/token issues (without a password round trip)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=person.user, digest=token_digest(raw), expires_at=timezone.now() + timedelta(hours=2))
    return raw


def _far_areas() -> None:
    city = Area.objects.create(code=FAR_CITY, name="新乡市", level="city", lat=35.30, lon=113.92)
    county = Area.objects.create(code=FAR_COUNTY, name="新乡县", level="county", parent=city, lat=35.19, lon=113.81)
    Area.objects.create(code=FAR_TOWNSHIP, name="新乡县测试镇", level="township", parent=county, lat=35.2, lon=113.8)


_serial = iter(range(900_000, 10_000_000))


def _person(area: str, role: str | None, *, name: str, username: str, county: str = "410622") -> Person:
    n = next(_serial)
    id_number, phone = valid_id_number(n, county=county), valid_phone(n)
    person = PersonFactory(
        user=UserFactory(username=username or phone),  # members registered by the API log in with their phone
        name=name,
        phone=phone,
        home_area=Area.objects.get(code=area),
        id_number=id_number,
    )
    person.id_number = id_number  # type: ignore[attr-defined]  # the plain value, for the markers
    if role:
        RoleGrantFactory(user=person.user, role=role, area=Area.objects.get(code=area))
    return person


def _side(tag: str, area: str, county_code: str) -> Side:
    """A member, a liaison (in a station and an employer) and a team in `area`, all marked with `tag`."""
    member = _person(area, "volunteer", name=f"{tag}义警", username="", county=county_code)
    liaison = _person(area, "liaison", name=f"{tag}联络员", username=f"{tag}_liaison", county=county_code)
    place = Area.objects.get(code=area)
    team = TeamFactory(name=f"{tag}义警队", area=place)
    station = Station.objects.create(name=f"{tag}工作站", area=place)
    employer = Employer.objects.create(name=f"{tag}外卖站", sector=Sector.objects.get(code="food_delivery"), area=place)
    Liaison.objects.create(person=liaison, sector_id="food_delivery", employer=employer, station=station)
    CoverageTarget.objects.create(area=place, sector_id="express", min_liaisons=2)
    member.team = team
    member.save(update_fields=["team"])
    hero = Hero.objects.create(
        person=member,
        name=f"{tag}英雄",
        home_area=place,
        deed=f"{tag}事迹",
        deed_date="2025-07-01",
        honour="hero",
        honoured_on="2025-09-01",
        awarding_body=f"{tag}授予单位",
    )
    side = Side(
        area=area,
        person=member,
        liaison=liaison,
        team_id=team.pk,
        station_id=station.pk,
        employer_id=employer.pk,
        hero_id=hero.pk,
    )
    return side


def _mark(side: Side, *extra: str) -> None:
    ids = []
    for person in (side.person, side.liaison):
        ids.append(person.phone)
        ids.append(mask_phone(person.phone))
        ids.append(person.name)
        ids.append(person.user.username)
        ids.append(person.id_number)  # type: ignore[attr-defined]
    side.markers = [*ids, *extra]


def _on_duty(person: Person, at: tuple[float, float]) -> None:
    DutyStatus.objects.create(person=person, on_duty=True, changed_at=timezone.now())
    positions().put(Fix(person_id=person.pk, lat=at[0], lon=at[1], accuracy_m=5.0, at=timezone.now()))


def build_world(api: Any) -> World:
    """Build the world. `api(token)` returns an ApiClient; alerts and sessions are raised through the real API."""
    from liaisons.models import SectorShift
    from liaisons.sectors import seed_sectors

    if not Sector.objects.exists():
        seed_sectors(Sector, SectorShift, CoverageTarget, Area)
    _far_areas()
    actors = {
        role: _person(area, grant, name=f"淇县{role}", username=f"actor_{role}")
        for role, (grant, area) in ROLE_GRANTS.items()
    }
    tokens = {role: bearer(person) for role, person in actors.items()}

    inside = _side("淇县内", QIXIAN_TOWNSHIP, "410622")
    outside = _side("浚县标记", XUNXIAN_TOWNSHIP, "410621")
    far = _side("新乡标记", FAR_TOWNSHIP, "410621")
    # The station head heads the inside station; the liaison actor works in it.
    Station.objects.filter(pk=inside.station_id).update(head=actors["station_head"])
    Liaison.objects.create(
        person=actors["liaison"],
        sector_id="food_delivery",
        employer_id=inside.employer_id,
        station_id=inside.station_id,
    )
    coordinators = {
        "inside": _person(QIXIAN, "county_coordinator", name="淇县内协调员", username="qixian_raiser"),
        "outside": _person(XUNXIAN, "county_coordinator", name="浚县标记协调员", username="xunxian_marker_raiser"),
        "far": _person(FAR_CITY, "city_admin", name="新乡标记管理员", username="far_marker_raiser"),
    }
    city_raiser = _person(CITY, "city_admin", name="鹤壁市协调员", username="city_raiser")
    for key, side in (("inside", inside), ("outside", outside), ("far", far)):
        client = api(bearer(coordinators[key]))
        tag = side.person.name.removesuffix("义警")
        alert = {"kind": "other", "title": f"{tag}警情", "description": f"{tag}描述", "area_codes": [side.area]}
        if key == "inside":
            # Raised by the city in 淇县, it also reaches 浚县's members: 淇县 staff manage it, and must still
            # never see who in 浚县 it reached or how they answered.
            spot = Area.objects.get(code=side.area)
            alert |= {"lat": spot.lat, "lon": spot.lon, "area_codes": [side.area, XUNXIAN_TOWNSHIP]}
            response = api(bearer(city_raiser)).post("/api/v1/alerts", alert)
        else:
            response = client.post("/api/v1/alerts", alert)
        assert response.status_code == 201, (key, response.content)
        side.alert_id = response.json()["id"]
        start = timezone.now() + timedelta(days=2)
        response = client.post(
            "/api/v1/sessions",
            {
                "kind": "training",
                "title": f"{tag}培训",
                "agenda": f"{tag}议程",
                "start": start.isoformat(),
                "end": (start + timedelta(hours=2)).isoformat(),
                "mode": "video",
                "area_codes": [side.area],
            },
        )
        assert response.status_code == 201, (key, response.content)
        side.session_id = response.json()["id"]
        leave = api(bearer(side.person)).post(f"/api/v1/sessions/{side.session_id}/leave", {"reason": f"{tag}请假"})
        assert leave.status_code == 201, (key, leave.content)
        side.leave_id = leave.json()["id"]
        _mark(side, tag, f"{tag}警情", f"{tag}描述", f"{tag}培训", f"{tag}议程", f"{tag}请假", f"{tag}义警队")
        side.markers += [f"{tag}英雄", f"{tag}事迹", f"{tag}授予单位"]
        side.markers += [f"{tag}工作站", f"{tag}外卖站", coordinators[key].name, coordinators[key].user.username]
    answer = api(bearer(outside.person)).post(f"/api/v1/alerts/{inside.alert_id}/responses", {"state": "accepted"})
    assert answer.status_code == 200, answer.content
    _on_duty(inside.person, QIXIAN_FIX)
    _on_duty(outside.person, XUNXIAN_FIX)
    _on_duty(far.person, FAR_FIX)
    outside.markers += [f"{XUNXIAN_FIX[0]:.6f}", f"{XUNXIAN_FIX[1]:.6f}"]
    far.markers += [f"{FAR_FIX[0]:.6f}", f"{FAR_FIX[1]:.6f}"]
    return World(actors=actors, tokens=tokens, inside=inside, outside=outside, far=far)
