"""`publish_many`: one durable publish where each person's copy has fields of its own."""

from __future__ import annotations

import json
import threading
from datetime import datetime

import pytest
from channels.db import database_sync_to_async
from django.db import connection, connections, transaction
from pydantic import ValidationError

from realtime.events import Event, PersonalFieldError, publish, publish_many
from realtime.models import Stream, StreamEvent
from tests.realtime.conftest import token_for

pytestmark = pytest.mark.django_db(transaction=True)


class Spotted(Event):
    type: str = "test.spotted"
    title: str
    distance_m: float | None
    at: datetime | None = None


def stored(person_id: int) -> list[tuple[int, dict]]:
    events = StreamEvent.objects.filter(person_id=person_id).select_related("body").order_by("seq")
    return [(e.seq, e.payload) for e in events]


def test_each_person_gets_their_own_copy_with_the_shared_fields(make_person):
    a, b = make_person(), make_person()

    title = 'fire "东区"\n\tC:\\ 🔥'  # quotes, control characters, backslash, Chinese, astral plane

    seqs = publish_many(
        Spotted(title=title, distance_m=None), to={a.pk: {"distance_m": 120.5}, b.pk: {"distance_m": 9}}
    )

    assert seqs == {a.pk: 1, b.pk: 1}
    assert stored(a.pk) == [(1, {"type": "test.spotted", "title": title, "distance_m": 120.5, "at": None})]
    assert stored(b.pk) == [(1, {"type": "test.spotted", "title": title, "distance_m": 9.0, "at": None})]


def test_publish_many_continues_each_stream_after_ordinary_publishes_without_gaps(make_person):
    a, b, c = make_person(), make_person(), make_person()
    publish(Spotted(title="one", distance_m=1), to=[a.pk])
    publish(Spotted(title="two", distance_m=1), to=[a.pk, b.pk])

    seqs = publish_many(
        Spotted(title="three", distance_m=None),
        to={a.pk: {"distance_m": 1}, b.pk: {"distance_m": 2}, c.pk: {"distance_m": 3}},
    )
    publish(Spotted(title="four", distance_m=1), to=[a.pk, c.pk])

    assert seqs == {a.pk: 3, b.pk: 2, c.pk: 1}
    assert [(s, p["title"]) for s, p in stored(a.pk)] == [(1, "one"), (2, "two"), (3, "three"), (4, "four")]
    assert [(s, p["title"]) for s, p in stored(c.pk)] == [(1, "three"), (2, "four")]
    assert dict(Stream.objects.values_list("person_id", "last_seq")) == {a.pk: 4, b.pk: 2, c.pk: 2}


def test_a_rolled_back_publish_many_leaves_no_event_and_no_gap(make_person):
    a = make_person()

    @transaction.atomic
    def failing_service() -> None:
        publish_many(Spotted(title="lost", distance_m=None), to={a.pk: {"distance_m": 5}})
        raise RuntimeError("the service failed after publishing")

    publish_many(Spotted(title="kept", distance_m=None), to={a.pk: {"distance_m": 1}})
    with pytest.raises(RuntimeError):
        failing_service()
    publish_many(Spotted(title="next", distance_m=None), to={a.pk: {"distance_m": 2}})

    assert [(s, p["title"]) for s, p in stored(a.pk)] == [(1, "kept"), (2, "next")]


def test_personal_values_are_validated_and_serialised_as_the_event_types_them(make_person):
    a = make_person()

    publish_many(Spotted(title="t", distance_m=None), to={a.pk: {"at": datetime(2026, 12, 1, 8, 30)}})

    assert stored(a.pk)[0][1]["at"] == "2026-12-01T08:30:00"
    with pytest.raises(ValidationError):
        publish_many(Spotted(title="t", distance_m=None), to={a.pk: {"distance_m": "far"}})
    with pytest.raises(ValidationError):  # every person names the same fields
        publish_many(Spotted(title="t", distance_m=None), to={a.pk: {"distance_m": 1}, a.pk + 1: {"at": None}})
    with pytest.raises(PersonalFieldError):
        publish_many(Spotted(title="t", distance_m=None), to={a.pk: {"surprise": 1}})
    with pytest.raises(PersonalFieldError):
        publish_many(Spotted(title="t", distance_m=None), to={a.pk: {"type": "other"}})
    assert len(stored(a.pk)) == 1


def test_nothing_is_stored_or_sent_for_nobody():
    assert publish_many(Spotted(title="t", distance_m=None), to={}) == {}
    assert not StreamEvent.objects.exists()


async def test_a_connected_phone_gets_its_own_copy_live_and_the_same_copy_on_replay(make_person, sockets):
    me, other = await database_sync_to_async(make_person)(), await database_sync_to_async(make_person)()
    token = await database_sync_to_async(token_for)(me)
    phone = await sockets()
    assert (await phone.hello(token))["type"] == "welcome"

    def raise_two() -> None:
        publish(Spotted(title="before", distance_m=None), to=[me.pk])
        publish_many(
            Spotted(title="mine", distance_m=None), to={me.pk: {"distance_m": 42}, other.pk: {"distance_m": 7}}
        )

    await database_sync_to_async(raise_two)()
    live = await phone.events(2)
    again = await sockets()
    assert (await again.hello(token, since=0))["type"] == "welcome"
    replayed = await again.events(2)

    assert [(f["seq"], f["event"]["title"], f["event"]["distance_m"]) for f in live] == [
        (1, "before", None),
        (2, "mine", 42.0),
    ]
    assert replayed == live
    assert await phone.nothing()


def test_concurrent_publishers_give_every_person_consecutive_numbers(make_person):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer; the race is real only on PostgreSQL (CI runs it there)")
    people = [make_person().pk for _ in range(30)]
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def publisher(kind: int) -> None:
        try:
            barrier.wait(timeout=10)
            for n in range(10):
                # Overlapping audiences, in different orders, mixing both kinds of publish.
                audience = people[kind * 5 :] if n % 2 else list(reversed(people[: 25 - kind * 5]))
                if kind == 2:
                    publish(Spotted(title=f"{kind}.{n}", distance_m=None), to=audience)
                else:
                    publish_many(
                        Spotted(title=f"{kind}.{n}", distance_m=None), to={p: {"distance_m": p} for p in audience}
                    )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publisher, args=(kind,)) for kind in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    for pid in people:
        seqs = [seq for seq, _ in stored(pid)]
        assert seqs == list(range(1, len(seqs) + 1))
        assert Stream.objects.get(person_id=pid).last_seq == len(seqs)
    assert sum(len(stored(pid)) for pid in people) == StreamEvent.objects.count()


def test_what_everyone_shares_is_stored_once_and_replayed_as_each_persons_copy(make_person):
    from realtime.models import StreamBody
    from realtime.streams import frames_after

    a, b = make_person(), make_person()
    publish_many(Spotted(title="火情", distance_m=None), to={a.pk: {"distance_m": 5.5}, b.pk: {"distance_m": None}})

    body = StreamBody.objects.get()
    assert "火情" in body.text
    assert "distance_m" not in body.text
    assert StreamEvent.objects.filter(body=body).count() == 2
    [(seq, frame)] = frames_after(person_id=a.pk, since=0, limit=10)
    assert (seq, json.loads(frame)) == (
        1,
        {"type": "event", "seq": 1, "event": {"type": "test.spotted", "title": "火情", "at": None, "distance_m": 5.5}},
    )
    [(_, frame)] = frames_after(person_id=b.pk, since=0, limit=10)
    assert json.loads(frame)["event"]["distance_m"] is None
