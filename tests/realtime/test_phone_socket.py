"""`/ws/v1/phone`: hello, welcome, replay, live, ack, ping (CONTRACT.md, WebSocket)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from realtime.models import Stream
from tests.realtime.conftest import publish_notes, token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def volunteer(make_person):
    person = make_person("volunteer")
    return person, token_for(person)


async def test_an_offline_phone_gets_what_it_missed_in_order_then_live_events(volunteer, sockets):
    person, token = volunteer
    await publish_notes([person.pk], range(1, 6))

    phone = await sockets()
    assert await phone.hello(token, since=2) == {"type": "welcome", "seq": 5}
    replayed = await phone.events(3)
    await publish_notes([person.pk], [6])
    live = await phone.events(1)

    assert [(f["seq"], f["event"]) for f in replayed + live] == [
        (3, {"type": "test.note", "n": 3, "area_code": ""}),
        (4, {"type": "test.note", "n": 4, "area_code": ""}),
        (5, {"type": "test.note", "n": 5, "area_code": ""}),
        (6, {"type": "test.note", "n": 6, "area_code": ""}),
    ]
    assert await phone.nothing()


async def test_a_phone_reconnecting_with_its_last_seq_gets_nothing_old(volunteer, sockets):
    person, token = volunteer
    await publish_notes([person.pk], range(1, 7))

    phone = await sockets()
    assert await phone.hello(token, since=6) == {"type": "welcome", "seq": 6}

    assert await phone.nothing()


async def test_events_published_during_a_replay_arrive_once_and_in_order(volunteer, sockets):
    person, token = volunteer
    await publish_notes([person.pk], range(1, 301))

    phone = await sockets()
    await phone.send({"type": "hello", "token": token, "since": 0})
    await publish_notes([person.pk], range(301, 321))  # while the 300 are being replayed
    assert (await phone.receive())["type"] == "welcome"
    frames = await phone.events(320)

    assert [f["seq"] for f in frames] == list(range(1, 321))
    assert [f["event"]["n"] for f in frames] == list(range(1, 321))
    assert await phone.nothing()


async def test_an_ack_marks_the_stream_delivered_up_to_that_seq(volunteer, sockets):
    person, token = volunteer
    await publish_notes([person.pk], range(1, 4))
    phone = await sockets()
    await phone.hello(token)
    await phone.events(3)

    await phone.send({"type": "ack", "seq": 2})
    await phone.send({"type": "ping"})
    assert await phone.receive() == {"type": "pong"}
    await phone.close()

    stream = await database_sync_to_async(Stream.objects.get)(person=person)
    assert (stream.last_seq, stream.acked_seq) == (3, 2)


async def test_an_ack_beyond_what_was_sent_is_an_error_and_the_socket_stays(volunteer, sockets):
    _person, token = volunteer
    phone = await sockets()
    await phone.hello(token)

    await phone.send({"type": "ack", "seq": 5})

    assert await phone.receive() == {"type": "error", "code": "bad_seq"}
    await phone.send({"type": "ping"})
    assert await phone.receive() == {"type": "pong"}


async def test_two_sockets_of_one_person_both_get_each_event(volunteer, sockets):
    person, token = volunteer
    first, second = await sockets(), await sockets()
    await first.hello(token)
    await second.hello(token)

    await publish_notes([person.pk], [1])

    assert [(await s.receive())["seq"] for s in (first, second)] == [1, 1]


async def test_a_phone_gets_only_its_own_events(volunteer, make_person, sockets):
    mine, token = volunteer
    other = await database_sync_to_async(make_person)()
    phone = await sockets()
    await phone.hello(token)

    await publish_notes([other.pk], [1])
    await publish_notes([mine.pk], [2])

    assert (await phone.receive())["event"]["n"] == 2
    assert await phone.nothing()
