"""Presence stores: a process writes its whole snapshot now and then, and only what changed in between."""

from __future__ import annotations

import uuid

import pytest

from realtime.presence import MemoryPresence, RedisPresence


@pytest.fixture(params=["memory", "redis"])
def store(request, settings):
    if request.param == "memory":
        yield MemoryPresence()
        return
    settings.REDIS_URL = request.getfixturevalue("redis_url")
    # A prefix of its own: hubs of earlier tests in this process leave live records under the run's prefix.
    found = RedisPresence(f"{settings.REDIS_PREFIX}-{uuid.uuid4().hex[:8]}")
    yield found
    for process_id in ("a", "b"):
        found.forget(process_id=process_id)


def test_changes_apply_on_top_of_the_last_snapshot(store):
    store.write(process_id="a", people={1: "410622101", 2: "410622101"})

    store.change(process_id="a", added={3: "410621101"}, removed={1})

    assert store.connected() == {2: "410622101", 3: "410621101"}


def test_each_process_changes_only_its_own_record(store):
    store.write(process_id="a", people={1: "410622101"})
    store.write(process_id="b", people={2: "410621101"})

    store.change(process_id="b", added={}, removed={2})

    assert store.connected() == {1: "410622101"}


def test_a_change_before_any_snapshot_still_counts(store):
    store.change(process_id="a", added={5: "410611001"}, removed=set())

    assert store.connected() == {5: "410611001"}
