"""Coverage targets over the API (set, inherit, exempt, remove) and a liaison's work areas."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Area, AreaLevel, AuditEntry, Person
from liaisons.models import CoverageTarget, Liaison
from tests.conftest import QIXIAN, XUNXIAN, XUNXIAN_TOWNSHIP, ApiClient

pytestmark = pytest.mark.django_db

GAOCUN, BEIYANG = "410622101", "410622102"


def shortfall(client: ApiClient, township: str, sector: str) -> int | None:
    items = client.get("/api/v1/coverage/shortfalls", area=township).json()["items"]
    return next((i["required"] for i in items if i["sector"] == sector), None)


def test_a_county_target_overrides_the_citys_and_zero_exempts_a_township(as_role: Callable[..., ApiClient]) -> None:
    county = as_role("county_coordinator", QIXIAN)

    raised = county.send(
        "put", "/api/v1/coverage/targets", {"area_code": QIXIAN, "sector": "hospital", "min_liaisons": 3}
    )
    exempt = county.send(
        "put", "/api/v1/coverage/targets", {"area_code": BEIYANG, "sector": "hospital", "min_liaisons": 0}
    )
    listed = county.get("/api/v1/coverage/targets", area=QIXIAN).json()["items"]

    assert (raised.status_code, raised.json()) == (
        200,
        {"area_code": QIXIAN, "sector": "hospital", "min_liaisons": 3, "editable": True},
    )
    assert exempt.status_code == 200
    assert (shortfall(county, GAOCUN, "hospital"), shortfall(county, BEIYANG, "hospital")) == (3, None)
    assert {
        (t["area_code"], t["sector"], t["min_liaisons"], t["editable"]) for t in listed if t["sector"] == "hospital"
    } == {
        ("410600", "hospital", 1, False),  # the city's, inherited
        (QIXIAN, "hospital", 3, True),
        (BEIYANG, "hospital", 0, True),
    }
    assert list(
        AuditEntry.objects.filter(action="coverage_target").order_by("id").values_list("area_code", "details")
    ) == [
        (QIXIAN, {"sector": "hospital", "min_liaisons": [None, 3]}),
        (BEIYANG, {"sector": "hospital", "min_liaisons": [None, 0]}),
    ]


def test_removing_a_target_lets_the_broader_one_apply_again(as_role: Callable[..., ApiClient]) -> None:
    county = as_role("county_coordinator", QIXIAN)
    county.send("put", "/api/v1/coverage/targets", {"area_code": QIXIAN, "sector": "school", "min_liaisons": 2})

    removed = county.delete(f"/api/v1/coverage/targets/{QIXIAN}/school")
    again = county.delete(f"/api/v1/coverage/targets/{QIXIAN}/school")

    assert (removed.status_code, again.status_code) == (204, 404)
    assert shortfall(county, GAOCUN, "school") == 1


def test_targets_outside_the_jurisdiction_or_of_unknown_sectors_are_refused_and_write_nothing(
    as_role: Callable[..., ApiClient],
) -> None:
    county = as_role("county_coordinator", QIXIAN)
    before = CoverageTarget.objects.count()

    elsewhere = county.send(
        "put", "/api/v1/coverage/targets", {"area_code": XUNXIAN, "sector": "school", "min_liaisons": 2}
    )
    city = county.send(
        "put", "/api/v1/coverage/targets", {"area_code": "410600", "sector": "school", "min_liaisons": 2}
    )
    unknown = county.send(
        "put", "/api/v1/coverage/targets", {"area_code": QIXIAN, "sector": "mining", "min_liaisons": 2}
    )
    too_many = county.send(
        "put", "/api/v1/coverage/targets", {"area_code": QIXIAN, "sector": "school", "min_liaisons": 5000}
    )
    inherited = county.delete("/api/v1/coverage/targets/410600/school")
    volunteer = as_role("volunteer", GAOCUN).send(
        "put", "/api/v1/coverage/targets", {"area_code": GAOCUN, "sector": "school", "min_liaisons": 2}
    )

    assert [(r.status_code, r.json()["code"]) for r in (elsewhere, city, unknown, too_many)] == [
        (404, "area_outside_jurisdiction"),
        (404, "area_outside_jurisdiction"),
        (422, "unknown_sector"),
        (422, "invalid_input"),
    ]
    assert (inherited.status_code, volunteer.status_code) == (404, 403)
    assert CoverageTarget.objects.count() == before


def test_work_areas_are_replaced_count_for_coverage_and_must_be_townships_in_the_jurisdiction(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    county = as_role("county_coordinator", QIXIAN)
    rider = make_person("liaison", GAOCUN)
    Liaison.objects.create(person=rider, sector_id="food_delivery")
    url = f"/api/v1/liaisons/{rider.pk}/work-areas"

    set_ = county.send("put", url, {"area_codes": [BEIYANG]})
    counts = {i["area_code"]: i["liaisons"] for i in county.get("/api/v1/coverage/areas").json()["items"]}
    outside = county.send("put", url, {"area_codes": [XUNXIAN_TOWNSHIP]})
    county_level = county.send("put", url, {"area_codes": [QIXIAN]})
    cleared = county.send("put", url, {"area_codes": []})

    assert (set_.status_code, set_.json()["work_area_codes"]) == (200, [BEIYANG])
    assert (counts[GAOCUN], counts[BEIYANG]) == (1, 1)
    assert (outside.status_code, outside.json()["code"]) == (404, "area_outside_jurisdiction")
    assert county_level.status_code == 422
    assert (cleared.status_code, cleared.json()["work_area_codes"]) == (200, [])
    entry = AuditEntry.objects.filter(action="person_update", object_id=str(rider.pk)).order_by("id").first()
    assert entry is not None
    assert entry.details == {"fields": ["work_areas"], "work_areas": [BEIYANG]}


def test_another_countys_liaison_has_no_work_areas_to_set(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    theirs = make_person("liaison", XUNXIAN_TOWNSHIP)
    Liaison.objects.create(person=theirs, sector_id="express")

    response = as_role("county_coordinator", QIXIAN).send(
        "put", f"/api/v1/liaisons/{theirs.pk}/work-areas", {"area_codes": []}
    )

    assert response.status_code == 404


def test_setting_work_areas_takes_the_same_number_of_queries_for_2_or_12_and_a_bad_code_changes_nothing(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person], django_assert_num_queries
) -> None:
    city = as_role("city_admin", "410600")
    rider = make_person("liaison", GAOCUN)
    liaison = Liaison.objects.create(person=rider, sector_id="food_delivery")
    url = f"/api/v1/liaisons/{rider.pk}/work-areas"
    townships = list(Area.objects.filter(level=AreaLevel.TOWNSHIP).order_by("code").values_list("code", flat=True))
    city.send("put", url, {"area_codes": townships[:1]})  # warm the token's last-used write out of the count

    with CaptureQueriesContext(connection) as few:
        two = city.send("put", url, {"area_codes": townships[:2]})
    with django_assert_num_queries(len(few.captured_queries)):
        twelve = city.send("put", url, {"area_codes": townships[:12]})
    unknown = city.send("put", url, {"area_codes": [*townships[:3], "410611999"]})

    assert (two.status_code, twelve.status_code, len(townships) >= 12) == (200, 200, True)
    assert sorted(twelve.json()["work_area_codes"]) == townships[:12]
    assert (unknown.status_code, unknown.json()["code"], unknown.json()["details"]) == (
        422,
        "unknown_area",
        {"area_code": "410611999"},
    )
    assert sorted(liaison.work_areas.values_list("code", flat=True)) == townships[:12]


def test_targets_come_a_page_at_a_time(as_role: Callable[..., ApiClient]) -> None:
    county = as_role("county_coordinator", QIXIAN)
    for sector in ("transit", "hospital", "school"):
        county.send("put", "/api/v1/coverage/targets", {"area_code": QIXIAN, "sector": sector, "min_liaisons": 2})

    whole = county.get("/api/v1/coverage/targets", area=QIXIAN).json()
    page = county.get("/api/v1/coverage/targets", area=QIXIAN, limit=2, offset=9).json()

    assert (whole["count"], len(whole["items"])) == (11, 11)  # the city's default for each of 8 sectors, then ours
    assert [(t["area_code"], t["sector"]) for t in page["items"]] == [(QIXIAN, "hospital"), (QIXIAN, "school")]
    assert page == {"items": whole["items"][9:11], "count": 11}
