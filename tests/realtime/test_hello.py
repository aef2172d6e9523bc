"""A hello is a read: the token's last use is recorded by the hub in its next batch, not by the hello."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from core.models import ApiToken
from realtime import hub as hubs
from tests.realtime.conftest import token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _slow_heartbeat(monkeypatch) -> None:
    monkeypatch.setattr(hubs, "_HEARTBEAT_EVERY", 30.0)


async def last_used(person) -> object:
    return await database_sync_to_async(
        lambda: ApiToken.objects.filter(user=person.user).values_list("last_used_at", flat=True).get()
    )()


async def test_a_first_hello_leaves_the_token_to_the_hubs_next_batch(make_person, sockets):
    other = await database_sync_to_async(make_person)("volunteer")
    await (await sockets()).hello(await database_sync_to_async(token_for)(other))
    await asyncio.sleep(0.2)  # the hub's first heartbeat (which flushes at once) is over
    person = await database_sync_to_async(make_person)("volunteer")
    token = await database_sync_to_async(token_for)(person)
    phone = await sockets()

    assert await phone.hello(token) == {"type": "welcome", "seq": 0}
    assert await last_used(person) is None

    await hubs.current().flush_touches()

    assert await last_used(person) is not None


async def test_a_token_used_within_the_last_minutes_is_not_written_again(make_person, sockets):
    person = await database_sync_to_async(make_person)("volunteer")
    token = await database_sync_to_async(token_for)(person)
    recently = timezone.now() - timedelta(minutes=1)
    await database_sync_to_async(lambda: ApiToken.objects.filter(user=person.user).update(last_used_at=recently))()
    phone = await sockets()

    await phone.hello(token)
    await hubs.current().flush_touches()

    assert await last_used(person) == recently
