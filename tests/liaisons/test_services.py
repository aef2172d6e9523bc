"""Stations, heads, employers, vacancies and shortfalls; throttled live coverage updates."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.errors import Conflict, InvalidInput, NotFound
from core.models import Area, AuditEntry, Person, RoleGrant
from liaisons.coverage_selectors import VacancyCounts, vacancies, vacancy_counts
from liaisons.models import CoverageTarget, Liaison, Station
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN_TOWNSHIP, ApiClient

pytestmark = pytest.mark.django_db


def test_a_coordinator_creates_a_station_and_makes_a_liaison_its_head(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    client = as_role("county_coordinator", QIXIAN)
    head = make_person("liaison", "410622101")

    created = client.post("/api/v1/liaisons/stations", {"name": "高村镇工作站", "area_code": "410622101"})
    station_id = created.json()["id"]
    vacant = client.get("/api/v1/liaisons/vacancies").json()
    led = client.send("put", f"/api/v1/liaisons/stations/{station_id}/head", {"person_id": head.pk})
    after = client.get("/api/v1/liaisons/vacancies").json()

    assert created.status_code == 201
    assert (vacant["stations_without_head"], [s["id"] for s in vacant["stations"]]) == (1, [station_id])
    assert led.status_code == 200
    assert (led.json()["head_id"], led.json()["head_name"]) == (head.pk, head.name)
    assert after["stations_without_head"] == 0
    assert RoleGrant.objects.filter(user=head.user, role="station_head", area_id="410622101").exists()


def test_a_station_in_another_county_is_404_and_a_duplicate_name_409(as_role: Callable[..., ApiClient]) -> None:
    qixian = as_role("county_coordinator", QIXIAN)
    xunxian = as_role("county_coordinator", "410621")
    theirs = xunxian.post("/api/v1/liaisons/stations", {"name": "善堂镇工作站", "area_code": XUNXIAN_TOWNSHIP}).json()

    again = xunxian.post("/api/v1/liaisons/stations", {"name": "善堂镇工作站", "area_code": XUNXIAN_TOWNSHIP})
    head = qixian.send("put", f"/api/v1/liaisons/stations/{theirs['id']}/head", {"person_id": None})
    outside = qixian.post("/api/v1/liaisons/stations", {"name": "x", "area_code": XUNXIAN_TOWNSHIP})

    assert (again.status_code, again.json()["code"]) == (409, "duplicate_station")
    assert head.status_code == 404
    assert (outside.status_code, outside.json()["code"]) == (404, "area_outside_jurisdiction")


def test_vacancies_list_each_township_missing_a_sector(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    client = as_role("township_coordinator", "410622101")
    for sector in ("transit", "sanitation", "city_management", "property", "food_delivery", "express", "hospital"):
        Liaison.objects.create(person=make_person("liaison", "410622101"), sector_id=sector)

    body = client.get("/api/v1/liaisons/vacancies").json()

    assert body["gaps"] == [{"area_code": "410622101", "missing_sectors": ["school"]}]
    assert (body["townships_missing_a_sector"], body["sector_vacancies"]) == (1, 1)


def test_vacancy_counts_are_per_area_what_vacancies_counts_there_and_nothing_outside_the_jurisdiction(
    make_person: Callable[..., Person],
) -> None:
    actor = make_person("county_coordinator", QIXIAN).user
    Liaison.objects.create(person=make_person("liaison", QIXIAN_TOWNSHIP), sector_id="school")
    Station.objects.create(name="高村镇工作站", area_id=QIXIAN_TOWNSHIP)
    areas = list(Area.objects.filter(code__in=[QIXIAN, QIXIAN_TOWNSHIP]))  # any level, here a county and a township

    counts = vacancy_counts(actor=actor, areas=areas)

    for area in areas:
        alone = vacancies(actor=actor, area=area.code)
        assert counts[area.code] == VacancyCounts(
            stations_without_head=alone.stations_without_head,
            townships_with_gaps=len(alone.gaps),
            sector_gaps=sum(len(missing) for missing in alone.gaps.values()),
        )
    assert (counts[QIXIAN_TOWNSHIP].stations_without_head, counts[QIXIAN_TOWNSHIP].sector_gaps) == (1, 7)
    with pytest.raises(NotFound):
        vacancy_counts(actor=actor, areas=[Area.objects.get(code=XUNXIAN_TOWNSHIP)])


def test_shortfalls_use_the_most_specific_target(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    client = as_role("township_coordinator", "410622101")
    CoverageTarget.objects.create(area=Area.objects.get(code=QIXIAN), sector_id="food_delivery", min_liaisons=3)
    Liaison.objects.create(person=make_person("liaison", "410622101"), sector_id="food_delivery")
    Liaison.objects.create(person=make_person("liaison", "410622101"), sector_id="school")

    items = client.get("/api/v1/coverage/shortfalls").json()["items"]

    assert {(i["sector"], i["required"], i["actual"], i["missing"]) for i in items} == {
        ("food_delivery", 3, 1, 2),
        *((s, 1, 0, 1) for s in ("transit", "sanitation", "city_management", "property", "express", "hospital")),
    }


def test_employers_are_created_in_the_jurisdiction_with_the_sectors_kind(as_role: Callable[..., ApiClient]) -> None:
    client = as_role("county_coordinator", QIXIAN)

    created = client.post(
        "/api/v1/liaisons/employers", {"name": "淇县美团配送站", "sector": "food_delivery", "area_code": QIXIAN}
    )
    unknown = client.post("/api/v1/liaisons/employers", {"name": "x", "sector": "mining", "area_code": QIXIAN})
    listed = client.get("/api/v1/liaisons/employers", sector="food_delivery").json()

    assert created.status_code == 201
    assert (created.json()["kind"], created.json()["area_code"]) == ("delivery_station", QIXIAN)
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_sector")
    assert [e["name"] for e in listed["items"]] == ["淇县美团配送站"]


def test_shifts_are_replaced_and_a_malformed_one_is_422(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    client = as_role("county_coordinator", QIXIAN)
    rider = Liaison.objects.create(person=make_person("liaison", "410622101"), sector_id="food_delivery")

    ok = client.send("put", f"/api/v1/liaisons/{rider.person_id}/shifts", {"shifts": ["17:00-21:00", "10:00-14:00"]})
    bad = client.send("put", f"/api/v1/liaisons/{rider.person_id}/shifts", {"shifts": ["lunch"]})

    assert (ok.status_code, ok.json()["shifts"]) == (200, ["10:00-14:00", "17:00-21:00"])
    assert bad.status_code == 422


def test_sectors_are_the_eight_seeded_ones(as_role: Callable[..., ApiClient]) -> None:
    body = as_role("volunteer", "410622101").get("/api/v1/liaisons/sectors").json()

    assert [s["code"] for s in body["items"]] == [
        "transit",
        "sanitation",
        "city_management",
        "property",
        "food_delivery",
        "express",
        "hospital",
        "school",
    ]
    assert body["items"][4]["name_zh"] == "外卖配送"


def test_errors_are_domain_errors(make_person: Callable[..., Person]) -> None:
    from liaisons.services import employer_create, liaison_set_shifts, station_create

    actor = make_person("county_coordinator", QIXIAN).user
    with pytest.raises(InvalidInput):
        station_create(actor=actor, name="县级站", area_code=QIXIAN)
    with pytest.raises(NotFound):
        liaison_set_shifts(actor=actor, person_id=999_999, shifts=[])
    employer_create(actor=actor, name="同名", sector="school", area_code=QIXIAN)
    with pytest.raises(Conflict):
        employer_create(actor=actor, name="同名", sector="school", area_code=QIXIAN)


def test_station_changes_and_new_employers_are_audited_under_their_own_actions(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    client = as_role("county_coordinator", QIXIAN)
    head = make_person("liaison", "410622101")
    rider = make_person("liaison", "410622101")
    Liaison.objects.create(person=rider, sector_id="food_delivery")

    station = {"name": "高村镇工作站", "area_code": "410622101"}
    station_id = client.post("/api/v1/liaisons/stations", station).json()["id"]
    client.send("put", f"/api/v1/liaisons/stations/{station_id}/head", {"person_id": head.pk})
    client.post(f"/api/v1/liaisons/stations/{station_id}/liaisons", {"person_id": rider.pk})
    employer = {"name": "淇县外卖配送站", "sector": "food_delivery", "area_code": QIXIAN}
    client.post("/api/v1/liaisons/employers", employer)

    entries = AuditEntry.objects.filter(action__in=["station_change", "employer_create"]).order_by("id")
    assert [(e.action, e.object_type, e.area_code, e.details.get("change")) for e in entries] == [
        ("station_change", "station", "410622101", "create"),
        ("station_change", "station", "410622101", "head"),
        ("station_change", "station", "410622101", "add_liaison"),
        ("employer_create", "employer", QIXIAN, None),
    ]
    assert entries[2].details["person_id"] == rider.pk


def test_a_replaced_head_loses_the_station_head_grant_and_the_new_head_gets_it(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    client = as_role("county_coordinator", QIXIAN)
    first = make_person("liaison", "410622101")
    second = make_person("liaison", "410622101")
    station = {"name": "高村镇工作站", "area_code": "410622101"}
    station_id = client.post("/api/v1/liaisons/stations", station).json()["id"]
    client.send("put", f"/api/v1/liaisons/stations/{station_id}/head", {"person_id": first.pk})

    replaced = client.send("put", f"/api/v1/liaisons/stations/{station_id}/head", {"person_id": second.pk})
    vacated = client.send("put", f"/api/v1/liaisons/stations/{station_id}/head", {"person_id": None})

    assert (replaced.status_code, vacated.status_code) == (200, 200)
    assert not RoleGrant.objects.filter(user=first.user, role="station_head").exists()
    assert not RoleGrant.objects.filter(user=second.user, role="station_head").exists()
    last = AuditEntry.objects.filter(action="station_change").order_by("-id").first()
    assert last is not None
    assert last.details == {"change": "head", "head": [second.pk, None], "previous_head_grant_revoked": True}


def test_sectors_and_shortfalls_come_a_page_at_a_time(as_role: Callable[..., ApiClient]) -> None:
    client = as_role("township_coordinator", "410622101")

    sectors = client.get("/api/v1/liaisons/sectors", limit=3, offset=2).json()
    shortfalls = client.get("/api/v1/coverage/shortfalls").json()
    page = client.get("/api/v1/coverage/shortfalls", limit=3, offset=2).json()

    assert ([s["code"] for s in sectors["items"]], sectors["count"]) == (
        ["city_management", "property", "food_delivery"],
        8,
    )
    assert (shortfalls["count"], len(shortfalls["items"])) == (8, 8)  # no liaisons yet: every sector is short
    assert page == {"items": shortfalls["items"][2:5], "count": 8}
