"""What the host's dashboard sees live: receipts coming in and the attendance counter (channel layer, ephemeral)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.models import Area
from realtime import transport
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP
from tests.training.conftest import T0, create_session
from training import codes
from training.models import Session

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def announced(monkeypatch):
    """What the services announce to dashboards, as the transport receives it after commit."""
    seen: list[tuple[str, dict]] = []
    monkeypatch.setattr(transport, "announce", lambda *, body, area_code, key: seen.append((area_code, body)))
    return seen


def listen(announced, prefix: str):
    """The next ephemeral event a dashboard covering `prefix` would get."""

    def next_event() -> dict:
        for index, (area_code, body) in enumerate(announced):
            if area_code.startswith(prefix):
                del announced[index]
                return body
        raise AssertionError(f"nothing announced for {prefix}: {announced}")

    return next_event


@pytest.fixture
def dashboard(announced):
    return listen(announced, QIXIAN)


@pytest.fixture
def city_dashboard(announced):
    return listen(announced, "4106")


def test_the_host_dashboard_counter_follows_check_ins(clock, make_person, login, session_body, dashboard):
    person = make_person("volunteer", QIXIAN_TOWNSHIP)
    host = login(make_person("county_coordinator", QIXIAN))
    created = create_session(host, session_body(start=T0 + timedelta(minutes=20)))
    secret = Session.objects.get(pk=created["id"]).secret

    login(person).post(
        f"/api/v1/sessions/{created['id']}/checkin", {"code": codes.code_for(secret, codes.window_of(clock.at))}
    )

    assert dashboard() == {
        "type": "session.attendance",
        "session_id": created["id"],
        "counts": {"invited": 0, "present": 1, "late": 0, "absent": 0, "excused": 0, "total": 1},
    }


def test_the_host_dashboard_counter_follows_a_late_hand_mark(clock, make_person, login, session_body, dashboard):
    person = make_person("volunteer", QIXIAN_TOWNSHIP)
    host = login(make_person("county_coordinator", QIXIAN))
    created = create_session(host, session_body(start=T0 + timedelta(minutes=20)))
    clock.set(T0 + timedelta(minutes=50))

    marked = host.send("put", f"/api/v1/sessions/{created['id']}/attendance/{person.pk}", {"status": "late"})

    assert marked.status_code == 200, marked.content
    assert dashboard() == {
        "type": "session.attendance",
        "session_id": created["id"],
        "counts": {"invited": 0, "present": 0, "late": 1, "absent": 0, "excused": 0, "total": 1},
    }


def test_the_city_host_sees_each_county_receipt_as_it_comes_in(clock, make_person, login, session_body, city_dashboard):
    counties = list(Area.objects.filter(level="county").values_list("code", flat=True))
    for code in counties:
        make_person("volunteer", Area.objects.filter(parent_id=code).order_by("code").first().code)
    qixian = login(make_person("county_coordinator", QIXIAN))
    created = create_session(login(make_person("city_admin", "410600")), session_body())

    qixian.post(f"/api/v1/sessions/{created['id']}/relays/{QIXIAN}/confirm", {})

    assert city_dashboard() == {
        "type": "session.relay_confirmed",
        "session_id": created["id"],
        "area_code": QIXIAN,
        "confirmed": 1,
        "pending": len(counties) - 1,
    }
