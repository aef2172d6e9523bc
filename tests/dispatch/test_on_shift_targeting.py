"""Sector and "on shift now" alerts reach liaisons through liaisons' own data (issue 6, sector alerts)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from core.models import Person
from dispatch.jobs import escalate_due_alerts
from dispatch.models import Alert, Delivery
from liaisons.models import Liaison, ShiftWindow
from liaisons.selectors import SHANGHAI
from tests.conftest import QIXIAN, XUNXIAN_TOWNSHIP, ApiClient
from tests.dispatch.conftest import QIXIAN_CENTRE, point_at

pytestmark = pytest.mark.django_db

GAOCUN, BEIYANG, THIRD = "410622101", "410622102", "410622103"  # three 淇县 townships


def shanghai(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, 1, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    def set_to(at: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: at)

    return set_to


@pytest.fixture
def rider(make_person: Callable[..., Person]) -> Callable[..., Person]:
    """rider(home, works=(...), shifts=((start, end), ...), sector=..., **person) -> a liaison's Person."""

    def make(
        home: str,
        *,
        works: tuple[str, ...] = (),
        shifts: tuple[tuple[time, time], ...] = (),
        sector: str = "food_delivery",
        **kw: Any,
    ) -> Person:
        person = make_person("liaison", home, **kw)
        liaison = Liaison.objects.create(person=person, sector_id=sector)
        liaison.work_areas.add(*works)
        ShiftWindow.objects.bulk_create([ShiftWindow(liaison=liaison, starts=s, ends=e) for s, e in shifts])
        return person

    return make


@pytest.fixture
def riders(rider: Callable[..., Person], make_person: Callable[..., Person]) -> dict[str, Person]:
    """Food-delivery riders around 淇县's 高村镇 and 北阳镇 (sector shifts 10-14 and 17-21), and people who are not."""
    return {
        "gaocun": rider(GAOCUN),  # the sector's usual shifts
        "works_in_beiyang": rider(THIRD, works=(BEIYANG,)),  # lives in a third township, delivers in 北阳镇
        "evening": rider(GAOCUN, shifts=((time(18), time(22)),)),  # own shift replaces the sector's
        "night": rider(BEIYANG, shifts=((time(22), time(2)),)),  # wraps midnight
        "elsewhere": rider(THIRD),  # neither lives nor works in the two townships
        "xunxian": rider(XUNXIAN_TOWNSHIP, works=(GAOCUN,)),  # homed in another county
        "retired": rider(GAOCUN, is_active=False),
        "courier": rider(GAOCUN, sector="express"),
        "volunteer": make_person("volunteer", GAOCUN),
    }


def missing_child(client: ApiClient, **targets: Any) -> dict[str, Any]:
    body = {"kind": "missing_person", "severity": "severe", "title": "儿童走失", "needed": 0, **targets}
    response = client.post("/api/v1/alerts", body)
    assert response.status_code == 201, response.content
    return dict(response.json())


def reached(alert_id: int, people: dict[str, Person]) -> set[str]:
    ids = set(Delivery.objects.filter(alert_id=alert_id).values_list("person_id", flat=True))
    return {name for name, person in people.items() if person.pk in ids}


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (shanghai(12), {"gaocun", "works_in_beiyang"}),
        (shanghai(15), set()),
        (shanghai(18, 30), {"gaocun", "works_in_beiyang", "evening"}),
        (shanghai(23), {"night"}),
        (shanghai(1, 59), {"night"}),
    ],
)
def test_a_missing_child_alert_reaches_every_food_delivery_rider_on_shift_in_two_townships(
    as_role: Callable[..., ApiClient],
    riders: dict[str, Person],
    clock: Callable[[datetime], None],
    at: datetime,
    expected: set[str],
) -> None:
    client = as_role("county_coordinator", QIXIAN)
    clock(at)

    alert = missing_child(client, sectors=["food_delivery"], area_codes=[GAOCUN, BEIYANG], on_shift=True)

    assert (alert["on_shift"], alert["sectors"], alert["recipients"]) == (True, ["food_delivery"], len(expected))
    assert reached(alert["id"], riders) == expected
    assert Alert.objects.get(pk=alert["id"]).target_on_shift is True


def test_without_on_shift_a_sector_alert_reaches_the_sectors_riders_whatever_the_hour(
    as_role: Callable[..., ApiClient], riders: dict[str, Person], clock: Callable[[datetime], None]
) -> None:
    client = as_role("county_coordinator", QIXIAN)
    clock(shanghai(15))

    alert = missing_child(client, sectors=["food_delivery"], area_codes=[GAOCUN, BEIYANG])

    assert alert["on_shift"] is False
    assert reached(alert["id"], riders) == {"gaocun", "works_in_beiyang", "evening", "night"}


def test_on_shift_alone_reaches_every_liaison_on_shift_in_the_jurisdiction_of_any_sector(
    as_role: Callable[..., ApiClient], riders: dict[str, Person], clock: Callable[[datetime], None]
) -> None:
    client = as_role("county_coordinator", QIXIAN)
    clock(shanghai(11))  # food delivery 10-14, express 8-12

    alert = missing_child(client, on_shift=True)

    assert reached(alert["id"], riders) == {"gaocun", "works_in_beiyang", "elsewhere", "courier"}


def test_a_sector_the_liaisons_app_does_not_know_is_refused_and_one_it_adds_is_accepted(
    as_role: Callable[..., ApiClient], rider: Callable[..., Person]
) -> None:
    from liaisons.models import Sector

    client = as_role("county_coordinator", QIXIAN)
    Sector.objects.create(code="taxi", name_zh="出租车行业", name_en="Taxi", order=9)
    driver = rider(GAOCUN, sector="taxi", shifts=((time(0), time(23, 59)),))

    refused = client.post("/api/v1/alerts", {"kind": "missing_person", "title": "x", "sectors": ["mining"]})
    alert = missing_child(client, sectors=["taxi"])

    assert (refused.status_code, refused.json()["code"]) == (422, "unknown_sector")
    assert list(Delivery.objects.filter(alert_id=alert["id"]).values_list("person_id", flat=True)) == [driver.pk]


def test_escalation_widens_an_on_shift_radius_alert_only_to_liaisons_on_shift(
    as_role: Callable[..., ApiClient],
    on_duty: Callable[..., Person],
    clock: Callable[[datetime], None],
) -> None:
    """A radius alert for riders on shift: the second wave, minutes later, is still only riders on shift."""
    clock(shanghai(12))
    near = on_duty(GAOCUN, at=point_at(QIXIAN_CENTRE, metres=400), role="liaison")
    on_shift = on_duty(GAOCUN, at=point_at(QIXIAN_CENTRE, metres=1500, bearing=90), role="liaison")
    off_shift = on_duty(GAOCUN, at=point_at(QIXIAN_CENTRE, metres=1500, bearing=180), role="liaison")
    on_duty(GAOCUN, at=point_at(QIXIAN_CENTRE, metres=1200, bearing=270))
    for person in (near, on_shift, off_shift):
        Liaison.objects.create(person=person, sector_id="food_delivery")
    ShiftWindow.objects.create(liaison=off_shift.liaison, starts=time(18), ends=time(22))
    client = as_role("county_coordinator", QIXIAN)
    alert = missing_child(client, lat=QIXIAN_CENTRE[0], lon=QIXIAN_CENTRE[1], radius_m=1000, needed=3, on_shift=True)

    widened = escalate_due_alerts(shanghai(12) + timedelta(seconds=61))

    waves = dict(Delivery.objects.filter(alert_id=alert["id"]).values_list("person_id", "wave"))
    assert widened == 1
    assert waves == {near.pk: 0, on_shift.pk: 1}


def test_the_preview_counts_only_the_riders_on_shift_as_raising_does(
    as_role: Callable[..., ApiClient], riders: dict[str, Person], clock: Callable[[datetime], None]
) -> None:
    client = as_role("county_coordinator", QIXIAN)
    clock(shanghai(15))  # between the sector's shifts: nobody is out
    body = {"kind": "missing_person", "severity": "severe", "title": "儿童走失", "needed": 0}

    on_shift = client.post("/api/v1/alerts/preview", {**body, "sectors": ["food_delivery"], "on_shift": True})
    any_hour = client.post("/api/v1/alerts/preview", {**body, "sectors": ["food_delivery"]})

    assert on_shift.status_code == 200
    assert on_shift.json()["recipients"] == 0
    assert any_hour.json()["recipients"] > 0
