"""Acks are gathered per server process and written in batches; replay never depends on them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async

from realtime import hub as hubs
from realtime import services
from realtime.models import Stream
from tests.realtime.conftest import publish_notes, token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ack_writes(monkeypatch) -> list[dict[int, int]]:
    """Every batch handed to services.acks_record (which still runs), in order."""
    batches: list[dict[int, int]] = []
    record = services.acks_record

    def recording(*, acks: dict[int, int]) -> None:
        batches.append(dict(acks))
        record(acks=acks)

    monkeypatch.setattr(services, "acks_record", recording)
    return batches


@pytest.fixture
def slow_heartbeat(monkeypatch) -> None:
    # The periodic flush stays out of the way, so that what a test sees comes from the event it is about.
    monkeypatch.setattr(hubs, "_HEARTBEAT_EVERY", 30.0)


async def acked(person_id: int) -> int:
    return await database_sync_to_async(lambda: Stream.objects.get(person_id=person_id).acked_seq)()


async def phones_with_events(make_person, sockets, count: int, events: int) -> list[tuple[Any, Any]]:
    people = [await database_sync_to_async(make_person)("volunteer") for _ in range(count)]
    opened = []
    for person in people:
        phone = await sockets()
        await phone.hello(await database_sync_to_async(token_for)(person))
        opened.append((person, phone))
    await publish_notes([p.pk for p in people], range(1, events + 1))
    for _person, phone in opened:
        await phone.events(events)
    return opened


@pytest.mark.usefixtures("slow_heartbeat")
async def test_immediate_acks_from_many_phones_are_written_in_one_batch(make_person, sockets, ack_writes):
    opened = await phones_with_events(make_person, sockets, count=3, events=2)

    for _person, phone in opened:
        await phone.send({"type": "ack", "seq": 1})
        await phone.send({"type": "ack", "seq": 2})
        await phone.send({"type": "ping"})
        await phone.receive_until("pong")
    await hubs.current().flush_acks()

    assert ack_writes == [{person.pk: 2 for person, _phone in opened}]
    assert [await acked(person.pk) for person, _phone in opened] == [2, 2, 2]


@pytest.mark.usefixtures("slow_heartbeat")
async def test_a_disconnecting_phones_acks_are_written_at_once(make_person, sockets, ack_writes):
    [(person, phone)] = await phones_with_events(make_person, sockets, count=1, events=3)
    await phone.send({"type": "ack", "seq": 3})
    await phone.send({"type": "ping"})
    await phone.receive_until("pong")
    assert await acked(person.pk) == 0  # gathered, not yet written

    await phone.close()

    assert ack_writes == [{person.pk: 3}]
    assert await acked(person.pk) == 3


async def test_gathered_acks_are_written_within_the_interval_without_a_disconnect(make_person, sockets):
    [(person, phone)] = await phones_with_events(make_person, sockets, count=1, events=2)

    await phone.send({"type": "ack", "seq": 2})
    async with asyncio.timeout(5):
        while await acked(person.pk) != 2:
            await asyncio.sleep(0.1)

    assert await acked(person.pk) == 2


@pytest.mark.usefixtures("slow_heartbeat")
async def test_acks_lost_in_a_crash_change_nothing_for_replay(make_person, sockets, ack_writes):
    [(person, phone)] = await phones_with_events(make_person, sockets, count=1, events=3)
    token = await database_sync_to_async(token_for)(person)
    await phone.send({"type": "ack", "seq": 3})
    await phone.send({"type": "ping"})
    await phone.receive_until("pong")
    hubs.current()._acks.clear()  # the process died before its next batch
    await phone.close()

    again = await sockets()
    welcome = await again.hello(token, since=3)

    assert ack_writes == []
    assert await acked(person.pk) == 0
    assert welcome == {"type": "welcome", "seq": 3}
    assert await again.nothing()  # nothing the phone already has comes again


@pytest.mark.usefixtures("slow_heartbeat")
async def test_replay_follows_since_not_acks(make_person, sockets):
    [(person, phone)] = await phones_with_events(make_person, sockets, count=1, events=3)
    token = await database_sync_to_async(token_for)(person)
    await phone.send({"type": "ack", "seq": 3})
    await phone.close()
    assert await acked(person.pk) == 3

    again = await sockets()
    await again.hello(token, since=1)  # e.g. the phone lost what it had processed after seq 1

    assert [f["seq"] for f in await again.events(2)] == [2, 3]
