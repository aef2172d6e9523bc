from __future__ import annotations

import pytest
from pydantic import ValidationError

from realtime.events import Event, publish
from realtime.models import StreamEvent
from realtime.streams import events_after, latest_seq

pytestmark = pytest.mark.django_db(transaction=True)


class Ping(Event):
    type: str = "test.ping"
    n: int


def test_each_recipient_gets_consecutive_sequence_numbers(make_person):
    a, b = make_person(), make_person()

    for n in range(3):
        publish(Ping(n=n), to=[a.pk])
    seqs = publish(Ping(n=9), to=[a.pk, b.pk])

    assert seqs == {a.pk: 4, b.pk: 1}
    assert [(e.seq, e.payload["n"]) for e in events_after(person_id=a.pk, since=0)] == [(1, 0), (2, 1), (3, 2), (4, 9)]
    assert latest_seq(person_id=b.pk) == 1


def test_events_after_since_returns_only_newer_ones_in_order(make_person):
    a = make_person()
    for n in range(5):
        publish(Ping(n=n), to=[a.pk])

    assert [e.seq for e in events_after(person_id=a.pk, since=2)] == [3, 4, 5]


def test_a_rolled_back_publish_leaves_no_event_and_no_gap(make_person):
    from django.db import transaction

    @transaction.atomic
    def failing_service() -> None:
        publish(Ping(n=2), to=[a.pk])
        raise RuntimeError("the service failed after publishing")

    a = make_person()
    publish(Ping(n=1), to=[a.pk])
    with pytest.raises(RuntimeError):
        failing_service()
    publish(Ping(n=3), to=[a.pk])

    assert [(e.seq, e.payload["n"]) for e in StreamEvent.objects.select_related("body").filter(person=a)] == [
        (1, 1),
        (2, 3),
    ]


def test_events_forbid_unknown_fields():
    with pytest.raises(ValidationError):
        Ping(n=1, surprise=True)
