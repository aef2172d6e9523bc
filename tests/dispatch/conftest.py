"""Dispatch fixtures: on-duty responders placed at exact distances from a point, and a clean position store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from geopy.distance import geodesic

from core.models import DutyStatus, Person
from core.positions import Fix, positions
from tests.conftest import JINSHAN, QIBIN, QIBIN_TOWNSHIP

# 浚县's centre, for cross-county refusals.
XUNXIAN_CENTRE = (35.677507, 114.545002)
# 淇县's centre.
QIXIAN_CENTRE = (35.622701, 114.202871)


def point_at(origin: tuple[float, float], *, metres: float, bearing: float = 0.0) -> tuple[float, float]:
    """The point `metres` away from origin on the WGS-84 ellipsoid, towards `bearing` degrees."""
    found = geodesic(meters=metres).destination(origin, bearing)
    return found.latitude, found.longitude


@pytest.fixture(autouse=True)
def _clean_positions(clean_positions: None) -> None:
    """Every dispatch test starts and ends with an empty position store."""


@pytest.fixture
def on_duty(make_person: Callable[..., Person]) -> Callable[..., Person]:
    """on_duty(area_code, at=(lat, lon), age=timedelta(0), duty=True, role="volunteer", **person) -> a placed Person."""

    def make(
        area_code: str,
        *,
        at: tuple[float, float],
        age: timedelta = timedelta(0),
        duty: bool = True,
        role: str = "volunteer",
        now: datetime | None = None,
        **kw: Any,
    ) -> Person:
        person = make_person(role, area_code, **kw)
        DutyStatus.objects.create(person=person, on_duty=duty, changed_at=timezone.now())
        taken = (now or timezone.now()) - age
        positions().put(Fix(person_id=person.pk, lat=at[0], lon=at[1], accuracy_m=10.0, at=taken))
        return person

    return make


@pytest.fixture
def raised(as_role: Callable[..., Any], on_duty: Callable[..., Person], login: Callable[[Person], Any]) -> Any:
    """A 淇滨区 alert needing 2, delivered to three on-duty volunteers 200, 400 and 600 m away;
    returns (coordinator, alert id, [people], [their clients])."""
    people = [on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=200 * (i + 1))) for i in range(3)]
    coordinator = as_role("county_coordinator", QIBIN)
    body = coordinator.post(
        "/api/v1/alerts",
        {"kind": "fire", "title": "仓库起火", "lat": JINSHAN[0], "lon": JINSHAN[1], "radius_m": 1000, "needed": 2},
    ).json()
    return coordinator, body["id"], people, [login(p) for p in people]
