"""What the host's dashboard sees live: receipts coming in and the attendance counter (channel layer, ephemeral)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from core.models import Area
from realtime.transport import area_group
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP
from tests.training.conftest import T0, create_session
from training import codes
from training.models import Session

pytestmark = pytest.mark.django_db(transaction=True)


def listen(prefix: str):
    """A dashboard socket's channel in the group of the dashboards covering `prefix`."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(area_group(prefix), channel)
    yield lambda: async_to_sync(layer.receive)(channel)
    async_to_sync(layer.group_discard)(area_group(prefix), channel)


@pytest.fixture
def dashboard():
    yield from listen(QIXIAN)


@pytest.fixture
def city_dashboard():
    yield from listen("4106")


def test_the_host_dashboard_counter_follows_check_ins(clock, make_person, login, session_body, dashboard):
    person = make_person("volunteer", QIXIAN_TOWNSHIP)
    host = login(make_person("county_coordinator", QIXIAN))
    created = create_session(host, session_body(start=T0 + timedelta(minutes=20)))
    secret = Session.objects.get(pk=created["id"]).secret

    login(person).post(
        f"/api/v1/sessions/{created['id']}/checkin", {"code": codes.code_for(secret, codes.window_of(clock.at))}
    )

    message = dashboard()
    assert message["type"] == "dashboard.event"
    assert message["event"] == {
        "type": "session.attendance",
        "session_id": created["id"],
        "counts": {"invited": 0, "present": 1, "late": 0, "absent": 0, "excused": 0, "total": 1},
    }


def test_the_city_host_sees_each_county_receipt_as_it_comes_in(clock, make_person, login, session_body, city_dashboard):
    counties = list(Area.objects.filter(level="county").values_list("code", flat=True))
    for code in counties:
        make_person("volunteer", Area.objects.filter(parent_id=code).order_by("code").first().code)
    qixian = login(make_person("county_coordinator", QIXIAN))
    created = create_session(login(make_person("city_admin", "410600")), session_body())

    qixian.post(f"/api/v1/sessions/{created['id']}/relays/{QIXIAN}/confirm", {})

    assert city_dashboard()["event"] == {
        "type": "session.relay_confirmed",
        "session_id": created["id"],
        "area_code": QIXIAN,
        "confirmed": 1,
        "pending": len(counties) - 1,
    }
