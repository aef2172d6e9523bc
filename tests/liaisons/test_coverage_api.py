"""Coverage over the API: the contract's shapes, exact distances, exact gaps, and jurisdiction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import h3
import pytest
from django.utils import timezone
from geopy.distance import geodesic
from shapely.geometry import Point, shape

from core.models import Area, AreaBoundary, AuditEntry, DutyStatus, Person
from core.positions import FRESH_FOR, Fix, MemoryStore
from liaisons.models import Liaison
from tests.conftest import QIBIN_TOWNSHIP, QIXIAN, XUNXIAN, XUNXIAN_TOWNSHIP, ApiClient

pytestmark = pytest.mark.django_db

RESPONDERS = {  # township -> a known point where its volunteer is on duty
    "410622101": (35.6012, 114.2488),
    "410622001": (35.6203, 114.1987),
    "410622202": (35.6531, 114.0672),
}


def _on_duty(store: MemoryStore, person: Person, lat: float, lon: float, *, age: timedelta = timedelta(0)) -> None:
    DutyStatus.objects.update_or_create(person=person, defaults={"on_duty": True, "changed_at": timezone.now()})
    store.put(Fix(person_id=person.pk, lat=lat, lon=lon, accuracy_m=10.0, at=timezone.now() - age))


@pytest.fixture
def three_on_duty(store: MemoryStore, make_person: Callable[..., Person]) -> list[tuple[float, float]]:
    for township, (lat, lon) in RESPONDERS.items():
        _on_duty(store, make_person("volunteer", township), lat, lon)
    # Off duty for long enough that the fix is stale: not on duty.
    _on_duty(store, make_person("volunteer", "410622102"), 35.61, 114.22, age=FRESH_FOR + timedelta(minutes=1))
    return list(RESPONDERS.values())


@pytest.fixture
def elsewhere_on_duty(store: MemoryStore, make_person: Callable[..., Person]) -> None:
    """Members and on-duty responders in 浚县 and 淇滨区; one stands right inside 淇县."""
    _on_duty(store, make_person("volunteer", XUNXIAN_TOWNSHIP), 35.60, 114.24)
    _on_duty(store, make_person("volunteer", QIBIN_TOWNSHIP), 35.74, 114.29)
    make_person("liaison", XUNXIAN_TOWNSHIP)


def test_grid_distances_match_geopy_within_50_m(
    as_role: Callable[..., ApiClient], three_on_duty: list[tuple[float, float]]
) -> None:
    client = as_role("county_coordinator", QIXIAN)

    response = client.get("/api/v1/coverage/grid", area=QIXIAN)

    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) > 500
    for feature in body["features"]:
        lat, lon = h3.cell_to_latlng(feature["id"])
        expected = min(geodesic((lat, lon), point).meters for point in three_on_duty)
        assert abs(feature["properties"]["distance_m"] - expected) < 50, feature["id"]
        assert feature["geometry"]["type"] == "Polygon"


def test_nobody_on_duty_lists_exactly_the_townships_without_a_fresh_fix(
    as_role: Callable[..., ApiClient], three_on_duty: list[tuple[float, float]]
) -> None:
    client = as_role("county_coordinator", QIXIAN)

    body = client.get("/api/v1/coverage/summary", area=QIXIAN).json()

    qixian_townships = set(
        Area.objects.filter(level="township", code__startswith=QIXIAN).values_list("code", flat=True)
    )
    assert body["townships_without_on_duty"] == sorted(qixian_townships - set(RESPONDERS))
    assert body["responders"] == 3
    assert 0 < body["within_1km"] <= body["within_2km"] <= body["within_5km"] <= 1


def test_a_townships_summary_reads_the_positions_once_and_counts_who_lives_there(
    as_role: Callable[..., ApiClient],
    three_on_duty: list[tuple[float, float]],
    store: MemoryStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = as_role("county_coordinator", QIXIAN)
    reads = []
    fresh = store.fresh
    monkeypatch.setattr(store, "fresh", lambda **kw: reads.append(kw) or fresh(**kw))

    gaocun = client.get("/api/v1/coverage/summary", area="410622101").json()  # 高村镇: one responder lives here
    beiyang = client.get("/api/v1/coverage/summary", area="410622102").json()  # 北阳镇: only a stale fix

    assert len(reads) == 2  # one read per summary: the grid and the township counts cannot disagree
    # The grid counts every responder the coordinator may see (they cross township lines) ...
    assert gaocun["responders"] == beiyang["responders"] == 3
    # ... the townships only those who live there.
    assert gaocun["townships_without_on_duty"] == []
    assert beiyang["townships_without_on_duty"] == ["410622102"]


def test_the_grid_has_null_distances_when_nobody_is_on_duty(as_role: Callable[..., ApiClient]) -> None:
    client = as_role("county_coordinator", QIXIAN)

    features = client.get("/api/v1/coverage/grid", area="410622101").json()["features"]

    assert features
    assert {f["properties"]["distance_m"] for f in features} == {None}
    assert {f["properties"]["township"] for f in features} == {"410622101"}


def test_coverage_areas_counts_volunteers_liaisons_and_on_duty_per_township(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person], three_on_duty: list[tuple[float, float]]
) -> None:
    client = as_role("county_coordinator", QIXIAN)
    for _ in range(2):  # riders homed in 高村镇 who also deliver in 北阳镇
        person = make_person("liaison", "410622101")
        Liaison.objects.create(person=person, sector_id="food_delivery").work_areas.add("410622101", "410622102")

    body = client.get("/api/v1/coverage/areas", level="township").json()

    items = {item["area_code"]: item for item in body["items"]}
    assert body["count"] == 9
    assert {k: items["410622101"][k] for k in ("area_code", "volunteers", "liaisons", "on_duty", "connected")} == {
        "area_code": "410622101",
        "volunteers": 1,
        "liaisons": 2,
        "on_duty": 1,
        "connected": 0,
    }
    assert items["410622101"]["liaisons_by_sector"] == {"food_delivery": 2}
    assert (items["410622102"]["volunteers"], items["410622102"]["liaisons"], items["410622102"]["on_duty"]) == (
        1,
        2,
        0,
    )
    county = client.get("/api/v1/coverage/areas", level="county").json()["items"]
    assert [(c["area_code"], c["volunteers"], c["liaisons"], c["on_duty"]) for c in county] == [(QIXIAN, 4, 2, 3)]


def test_a_qixian_coordinator_sees_nothing_of_other_counties(
    as_role: Callable[..., ApiClient], three_on_duty: list[tuple[float, float]], elsewhere_on_duty: None
) -> None:
    client = as_role("county_coordinator", QIXIAN)
    qixian = shape(AreaBoundary.objects.get(area_id=QIXIAN).geometry)

    areas = client.get("/api/v1/coverage/areas", level="township").json()["items"]
    grid = client.get("/api/v1/coverage/grid").json()["features"]
    counties = client.get("/api/v1/coverage/layers/counties").json()["features"]
    townships = client.get("/api/v1/coverage/layers/townships").json()["features"]
    on_duty = client.get("/api/v1/coverage/layers/on-duty").json()["features"]
    summary = client.get("/api/v1/coverage/summary").json()

    assert {a["area_code"][:6] for a in areas} == {QIXIAN}
    assert {f["properties"]["township"][:6] for f in grid} == {QIXIAN}
    assert all(qixian.contains(Point(*reversed(h3.cell_to_latlng(f["id"])))) for f in grid)
    assert [f["id"] for f in counties] == [QIXIAN]
    assert {f["id"][:6] for f in townships} == {QIXIAN}
    assert sorted(f["properties"]["area_code"] for f in on_duty) == sorted(RESPONDERS)
    assert summary["responders"] == 3
    assert {c["township"][:6] for c in summary["worst"]} == {QIXIAN}
    # Distances come only from 淇县's own responders, not the 浚县 one standing inside 淇县.
    for feature in grid[:: max(1, len(grid) // 50)]:
        lat, lon = h3.cell_to_latlng(feature["id"])
        expected = min(geodesic((lat, lon), p).meters for p in three_on_duty)
        assert abs(feature["properties"]["distance_m"] - expected) < 50


def test_another_countys_grid_or_counts_are_404_for_a_qixian_coordinator(as_role: Callable[..., ApiClient]) -> None:
    client = as_role("county_coordinator", QIXIAN)

    assert client.get("/api/v1/coverage/grid", area=XUNXIAN).status_code == 404
    assert client.get("/api/v1/coverage/areas", area=XUNXIAN).status_code == 404
    assert client.get("/api/v1/coverage/summary", area="410600").status_code == 404


def test_named_exact_positions_are_audited_once_a_minute_per_viewer_and_set_of_people(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person], store: MemoryStore
) -> None:
    from django.core.cache import cache

    cache.clear()
    first = make_person("volunteer", "410622101")
    _on_duty(store, first, 35.6012345, 114.2488765)
    county = as_role("county_coordinator", QIXIAN)
    reads = AuditEntry.objects.filter(action="personal_data_read", object_type="on_duty_layer")

    for _ in range(3):  # the live map re-reading the layer
        county.get("/api/v1/coverage/layers/on-duty")
    as_role("township_coordinator", "410622101").get("/api/v1/coverage/layers/on-duty")  # masked: nothing revealed

    [entry] = reads
    assert (entry.area_code, entry.details) == ("410622101", {"fields": ["name", "position"], "person_ids": [first.pk]})
    # Someone else comes on duty: the next read reveals another set of people, and is audited.
    second = make_person("volunteer", "410622101")
    _on_duty(store, second, 35.602, 114.249)
    county.get("/api/v1/coverage/layers/on-duty")
    assert [e.details["person_ids"] for e in reads.order_by("id")] == [[first.pk], sorted([first.pk, second.pk])]


def test_on_duty_positions_are_masked_for_a_township_coordinator(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person], store: MemoryStore
) -> None:
    volunteer = make_person("volunteer", "410622101")
    _on_duty(store, volunteer, 35.6012345, 114.2488765)

    masked = as_role("township_coordinator", "410622101").get("/api/v1/coverage/layers/on-duty").json()["features"]
    exact = as_role("county_coordinator", QIXIAN).get("/api/v1/coverage/layers/on-duty").json()["features"]

    assert masked[0]["geometry"]["coordinates"] == [114.249, 35.601]
    assert "person_id" not in masked[0]["properties"]
    assert "name" not in masked[0]["properties"]
    assert exact[0]["geometry"]["coordinates"] == [114.2488765, 35.6012345]
    assert (exact[0]["properties"]["person_id"], exact[0]["properties"]["name"]) == (volunteer.pk, volunteer.name)


def test_a_volunteer_may_not_see_coverage(as_role: Callable[..., ApiClient]) -> None:
    assert as_role("volunteer", "410622101").get("/api/v1/coverage/areas").status_code == 403
