"""A member deactivated while connected: every socket of their login is told `unauthorized` and closed
with 4401 (docs/PROTOCOL.md), their phone and their dashboard alike, and nobody else's is touched; the
old token's hello is refused afterwards. In this process (the embedded hub); across two server
processes on Redis in tests/realtime/test_two_processes.py."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from core.services.people import person_update
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP
from tests.realtime.conftest import publish_notes, token_for

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_deactivated_coordinators_phone_and_dashboard_are_closed_and_no_one_elses(make_person, sockets):
    coordinator, other, admin = await database_sync_to_async(
        lambda: (
            make_person("county_coordinator", QIXIAN, home=QIXIAN_TOWNSHIP),
            make_person("volunteer", QIXIAN_TOWNSHIP),
            make_person("city_admin", "410600").user,
        )
    )()
    token, other_token = await database_sync_to_async(lambda: (token_for(coordinator), token_for(other)))()
    phone, dashboard, bystander = await sockets(), await sockets("/ws/v1/dashboard"), await sockets()
    assert (await phone.hello(token))["type"] == "welcome"
    assert (await dashboard.hello(token))["type"] == "welcome"
    assert (await bystander.hello(other_token))["type"] == "welcome"

    await database_sync_to_async(person_update)(actor=admin, person_id=coordinator.pk, is_active=False)

    for socket in (phone, dashboard):
        assert (await socket.receive_until("error"))["code"] == "unauthorized"
        assert await socket.closed_with() == 4401
    await publish_notes([other.pk], [1])
    assert [f["event"]["n"] for f in await bystander.events(1)] == [1]  # the other phone lives on
    again = await sockets()
    await again.send({"type": "hello", "token": token, "since": 0})
    assert (await again.receive())["code"] == "unauthorized"
    assert await again.closed_with() == 4401
