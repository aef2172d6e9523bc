"""Retention: acknowledged events older than the setting are deleted; unacknowledged ones stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from realtime.events import publish
from realtime.models import Stream, StreamBody, StreamEvent
from realtime.services import acks_record, streams_prune
from tests.realtime.conftest import Note

pytestmark = pytest.mark.django_db


def test_prune_deletes_only_acknowledged_events_older_than_the_retention(settings, make_person):
    settings.STREAM_RETENTION_DAYS = 7
    a, b = make_person(), make_person()
    for n in range(1, 5):
        publish(Note(n=n), to=[a.pk, b.pk])
    StreamEvent.objects.filter(seq__lte=3).update(created_at=timezone.now() - timedelta(days=8))
    acks_record(acks={a.pk: 4, b.pk: 1})

    removed = streams_prune()

    assert removed == 4  # a: 1, 2, 3 (old, acked); b: 1 (old, acked)
    assert list(StreamEvent.objects.filter(person=a).values_list("seq", flat=True)) == [4]
    assert list(StreamEvent.objects.filter(person=b).values_list("seq", flat=True)) == [2, 3, 4]


def test_acks_never_go_backwards_nor_past_the_last_seq(make_person):
    a = make_person()
    publish(Note(n=1), to=[a.pk])
    publish(Note(n=2), to=[a.pk])

    acks_record(acks={a.pk: 2})
    acks_record(acks={a.pk: 1})
    assert Stream.objects.get(person=a).acked_seq == 2
    acks_record(acks={a.pk: 99})
    assert Stream.objects.get(person=a).acked_seq == 2


def test_the_prune_streams_command_reports_what_it_removed(make_person, capsys):
    a = make_person()
    publish(Note(n=1), to=[a.pk])
    StreamEvent.objects.update(created_at=timezone.now() - timedelta(days=40))
    acks_record(acks={a.pk: 1})

    call_command("prune_streams", "--days", "30")

    assert capsys.readouterr().out.strip() == "pruned 1 acknowledged stream events older than 30 days"
    assert not StreamEvent.objects.exists()


def test_prune_deletes_a_body_only_when_no_event_refers_to_it(settings, make_person):
    settings.STREAM_RETENTION_DAYS = 7
    a, b = make_person(), make_person()
    publish(Note(n=1), to=[a.pk, b.pk])  # one body, two events
    publish(Note(n=2), to=[a.pk])
    old = timezone.now() - timedelta(days=8)
    StreamEvent.objects.update(created_at=old)
    StreamBody.objects.update(created_at=old)
    acks_record(acks={a.pk: 2})  # b has not acked its copy of the first body

    streams_prune()

    # The second body went with a's last event; the first stays while b's copy does.
    assert [e.payload["n"] for e in StreamEvent.objects.select_related("body").all()] == [1]
    assert StreamBody.objects.count() == 1
    acks_record(acks={b.pk: 1})
    streams_prune()
    assert not StreamEvent.objects.exists()
    assert not StreamBody.objects.exists()
