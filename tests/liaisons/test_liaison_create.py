"""POST /liaisons: a coordinator registers one liaison with their sector, without a spreadsheet.

A registered person (`person_id`) or a new one (`person`) gets the liaison profile and the liaison
role at home together; every refusal writes nothing. POST /people and POST /people/{id}/roles refuse
the bare liaison role, so no liaison is ever left without a sector.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.models import AuditEntry, Person, RoleGrant
from dispatch.models import Delivery
from liaisons.models import Employer, Liaison, Station
from tests.conftest import QIBIN_TOWNSHIP, QIXIAN, XUNXIAN, XUNXIAN_TOWNSHIP, ApiClient
from tests.factories import valid_id_number, valid_phone

pytestmark = pytest.mark.django_db

GAOCUN = "410622101"  # 淇县 高村镇


def _roles(person: Person) -> list[tuple[str, str]]:
    return sorted(RoleGrant.objects.filter(user=person.user).values_list("role", "area_id"))


def _nothing_written(person: Person) -> None:
    assert not Liaison.objects.filter(person=person).exists()
    assert ("liaison", GAOCUN) not in _roles(person)
    assert not AuditEntry.objects.filter(action="liaison_create").exists()


def test_a_county_coordinator_makes_a_volunteer_a_liaison_with_sector_employer_and_station(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    nurse = make_person("volunteer", GAOCUN)
    hospital = Employer.objects.create(name="淇县人民医院", sector_id="hospital", area_id=QIXIAN)
    station = Station.objects.create(name="高村镇工作站", area_id=GAOCUN)
    county = as_role("county_coordinator", QIXIAN)

    response = county.post(
        "/api/v1/liaisons",
        {"person_id": nurse.pk, "sector": "hospital", "employer_id": hospital.pk, "station_id": station.pk},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["person_id"], body["area_code"], body["sector"], body["employer_id"], body["station_id"]) == (
        nurse.pk,
        GAOCUN,
        "hospital",
        hospital.pk,
        station.pk,
    )
    assert body["employer_name"] == "淇县人民医院"
    assert body["shifts"] == ["08:00-17:30", "20:00-08:00"]  # the sector's, until they get their own
    liaison = Liaison.objects.get(person=nurse)
    assert (liaison.sector_id, liaison.employer_id, liaison.station_id) == ("hospital", hospital.pk, station.pk)
    assert _roles(nurse) == [("liaison", GAOCUN), ("volunteer", GAOCUN)]
    entry = AuditEntry.objects.get(action="liaison_create")
    assert (entry.object_type, entry.object_id, entry.area_code, entry.details) == (
        "person",
        str(nurse.pk),
        GAOCUN,
        {"sector": "hospital", "employer_id": hospital.pk, "station_id": station.pk},
    )


def test_the_new_liaison_is_listed_and_targeted_by_a_sector_alert(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    county = as_role("county_coordinator", QIXIAN)
    made = county.post(
        "/api/v1/liaisons",
        {
            "person": {"name": "王护士", "phone": valid_phone(4242), "home_area_code": GAOCUN},
            "sector": "hospital",
        },
    )
    assert made.status_code == 201, made.content
    nurse_id = made.json()["person_id"]

    listed = county.get("/api/v1/liaisons", sector="hospital", area=GAOCUN)
    alert = county.post(
        "/api/v1/alerts",
        {
            "kind": "missing_person",
            "severity": "severe",
            "title": "医院寻人",
            "area_codes": [GAOCUN],
            "sectors": ["hospital"],
        },
    )
    coverage = county.get("/api/v1/coverage/areas", area=QIXIAN, level="township")

    assert [item["person_id"] for item in listed.json()["items"]] == [nurse_id]
    assert alert.status_code == 201, alert.content
    assert (alert.json()["recipients"], list(Delivery.objects.values_list("person_id", flat=True))) == (1, [nurse_id])
    gaocun = next(a for a in coverage.json()["items"] if a["area_code"] == GAOCUN)
    assert (gaocun["liaisons"], gaocun["liaisons_by_sector"]) == (1, {"hospital": 1})


def test_a_new_person_is_registered_as_a_liaison_and_volunteer_in_one_call(
    as_role: Callable[..., ApiClient],
) -> None:
    county = as_role("county_coordinator", QIXIAN)

    response = county.post(
        "/api/v1/liaisons",
        {
            "person": {
                "name": "李骑手",
                "phone": valid_phone(5151),
                "id_number": valid_id_number(5151),
                "home_area_code": GAOCUN,
                "roles": ["volunteer", "liaison"],  # the liaison role is implied here: not refused
            },
            "sector": "food_delivery",
        },
    )

    assert response.status_code == 201, response.content
    rider = Person.objects.get(pk=response.json()["person_id"])
    assert (rider.name, rider.user.username, rider.liaison.sector_id) == ("李骑手", valid_phone(5151), "food_delivery")
    assert _roles(rider) == [("liaison", GAOCUN), ("volunteer", GAOCUN)]
    assert sorted(AuditEntry.objects.values_list("action", flat=True)) == ["liaison_create", "login", "person_create"]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"sector": "astronaut"}, 422, "unknown_sector"),
        ({"employer_id": 10**9}, 404, "unknown_employer"),
        ({"employer_id": "outside"}, 404, "unknown_employer"),  # as if it did not exist (CONTRACT.md)
        ({"employer_id": "other_sector"}, 422, "employer_sector_mismatch"),
        ({"station_id": "outside"}, 404, "unknown_station"),
        ({"person_id": "outside"}, 404, "not_found"),
        ({"person_id": "outranks"}, 403, "person_outranks_actor"),
        ({"person_id": "liaison"}, 409, "already_a_liaison"),
        # both someone registered and someone new
        ({"person": {"name": "x", "phone": "13800000000", "home_area_code": GAOCUN}}, 422, "invalid_input"),
        ({"shifts": ["10:00-14:00"]}, 422, "invalid_input"),  # not a field here: refused, not ignored
    ],
)
def test_each_refusal_has_its_code_and_writes_nothing(
    as_role: Callable[..., ApiClient],
    make_person: Callable[..., Person],
    change: dict[str, Any],
    status: int,
    code: str,
) -> None:
    member = make_person("volunteer", GAOCUN)
    makers: dict[str, dict[str, Callable[[], int]]] = {
        "employer_id": {
            "outside": lambda: Employer.objects.create(name="浚县医院", sector_id="hospital", area_id=XUNXIAN).pk,
            "other_sector": lambda: Employer.objects.create(name="顺丰高村", sector_id="express", area_id=GAOCUN).pk,
        },
        "station_id": {"outside": lambda: Station.objects.create(name="善堂站", area_id=XUNXIAN_TOWNSHIP).pk},
        "person_id": {
            "outside": lambda: make_person("volunteer", XUNXIAN_TOWNSHIP).pk,
            # lives in 高村镇 but coordinates the whole county: changed from above only
            "outranks": lambda: make_person("county_coordinator", QIXIAN, home=GAOCUN).pk,
            "liaison": lambda: (
                Liaison.objects.create(person=make_person("liaison", GAOCUN), sector_id="school").person_id
            ),
        },
    }
    body: dict[str, Any] = {"person_id": member.pk, "sector": "hospital"}
    for key, value in change.items():
        make = makers.get(key, {}).get(value) if isinstance(value, str) else None
        body[key] = make() if make else value
    township = as_role("township_coordinator", GAOCUN)
    liaisons_before = set(Liaison.objects.values_list("pk", "sector_id"))
    people_before = Person.objects.count()

    response = township.post("/api/v1/liaisons", body)

    assert (response.status_code, response.json()["code"]) == (status, code), response.content
    assert set(Liaison.objects.values_list("pk", "sector_id")) == liaisons_before
    assert Person.objects.count() == people_before
    _nothing_written(member)


def test_neither_or_both_of_person_id_and_person_is_refused(as_role: Callable[..., ApiClient]) -> None:
    county = as_role("county_coordinator", QIXIAN)

    neither = county.post("/api/v1/liaisons", {"sector": "hospital"})

    assert (neither.status_code, neither.json()["code"]) == (422, "invalid_input")
    assert not Liaison.objects.exists()


def test_a_failed_profile_leaves_no_new_person_behind(as_role: Callable[..., ApiClient]) -> None:
    county = as_role("county_coordinator", QIXIAN)
    people_before = Person.objects.count()

    response = county.post(
        "/api/v1/liaisons",
        {"person": {"name": "半途", "phone": valid_phone(6161), "home_area_code": GAOCUN}, "sector": "astronaut"},
    )

    assert (response.status_code, response.json()["code"]) == (422, "unknown_sector")
    assert Person.objects.count() == people_before
    assert not AuditEntry.objects.filter(action__in=["person_create", "liaison_create"]).exists()


def test_members_and_staff_below_a_coordinator_may_not_register_liaisons(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    member = make_person("volunteer", GAOCUN)

    for role in ("station_head", "volunteer", "liaison"):
        response = as_role(role, GAOCUN).post("/api/v1/liaisons", {"person_id": member.pk, "sector": "hospital"})
        assert response.status_code == 403, role

    _nothing_written(member)


def test_people_endpoints_refuse_the_bare_liaison_role_and_point_at_the_register(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    member = make_person("volunteer", GAOCUN)
    county = as_role("county_coordinator", QIXIAN)
    people_before = Person.objects.count()

    created = county.post(
        "/api/v1/people",
        {"name": "无行业", "phone": valid_phone(7171), "home_area_code": GAOCUN, "roles": ["liaison"]},
    )
    granted = county.post(f"/api/v1/people/{member.pk}/roles", {"role": "liaison", "area_code": GAOCUN})

    for response in (created, granted):
        assert response.status_code == 422
        assert (response.json()["code"], response.json()["details"]) == (
            "liaison_needs_sector",
            {"role": "liaison", "use": "POST /api/v1/liaisons"},
        )
    assert Person.objects.count() == people_before
    assert _roles(member) == [("volunteer", GAOCUN)]


def test_another_townships_coordinator_does_not_see_the_person(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    member = make_person("volunteer", GAOCUN)

    response = as_role("township_coordinator", QIBIN_TOWNSHIP).post(
        "/api/v1/liaisons", {"person_id": member.pk, "sector": "hospital"}
    )

    assert response.status_code == 404
    _nothing_written(member)
