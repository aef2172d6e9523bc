"""A dashboard that (re)connects is sent a `snapshot` of its jurisdiction right after the welcome."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from channels.db import database_sync_to_async

from core.services.duty import duty_set
from realtime import snapshot
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN_TOWNSHIP
from tests.realtime.conftest import token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def qixian_dashboard_token(make_person):
    return token_for(make_person("county_coordinator", QIXIAN))


@pytest.fixture
def _no_extra_sections() -> Iterator[None]:
    yield
    for name in ("open_things", "broken"):
        snapshot.unregister_section(name)


async def test_the_snapshot_follows_the_welcome_with_online_and_on_duty_counts_of_the_jurisdiction_only(
    make_person, qixian_dashboard_token, sockets
):
    people = {}
    for name, area in [("a", QIXIAN_TOWNSHIP), ("b", QIXIAN_TOWNSHIP), ("c", XUNXIAN_TOWNSHIP)]:
        people[name] = await database_sync_to_async(make_person)("volunteer", area)
    for name in ("b", "c"):
        await database_sync_to_async(duty_set)(actor=people[name].user, on_duty=True)
    for name in ("a", "c"):  # a in 淇县 and c in 浚县 have their phones open
        phone = await sockets()
        await phone.hello(await database_sync_to_async(token_for)(people[name]))

    dashboard = await sockets("/ws/v1/dashboard")
    welcome = await dashboard.hello(qixian_dashboard_token)
    first = await dashboard.receive()

    assert welcome == {"type": "welcome", "seq": 0}
    assert first == {"type": "snapshot", "online": {QIXIAN_TOWNSHIP: 1}, "on_duty": {QIXIAN_TOWNSHIP: 1}}


async def test_an_empty_jurisdiction_still_gets_a_snapshot_so_the_board_can_draw_zero(qixian_dashboard_token, sockets):
    dashboard = await sockets("/ws/v1/dashboard")
    await dashboard.hello(qixian_dashboard_token)

    assert await dashboard.receive() == {"type": "snapshot", "online": {}, "on_duty": {}}


@pytest.mark.usefixtures("_no_extra_sections")
async def test_a_section_an_app_registered_is_included_with_the_dashboards_prefixes(qixian_dashboard_token, sockets):
    seen: list[tuple[str, ...]] = []

    def open_things(prefixes: tuple[str, ...]) -> list[str]:
        seen.append(prefixes)
        return ["one"]

    def broken(prefixes: tuple[str, ...]) -> None:
        raise RuntimeError("this section's store is down")

    snapshot.register_section("open_things", open_things)
    snapshot.register_section("broken", broken)
    dashboard = await sockets("/ws/v1/dashboard")
    await dashboard.hello(qixian_dashboard_token)

    frame = await dashboard.receive()

    assert frame == {"type": "snapshot", "online": {}, "on_duty": {}, "open_things": ["one"]}
    assert seen == [(QIXIAN,)]


def test_a_section_may_not_take_a_name_the_protocol_uses():
    with pytest.raises(ValueError, match="reserved"):
        snapshot.register_section("online", lambda prefixes: {})


async def test_a_phone_gets_no_snapshot(make_person, sockets):
    person = await database_sync_to_async(make_person)("volunteer", QIXIAN_TOWNSHIP)
    phone = await sockets()
    await phone.hello(await database_sync_to_async(token_for)(person))

    assert await phone.nothing(0.3)
