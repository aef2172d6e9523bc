"""Live delivery: one message per publish, fanned out by each process to its own sockets.

With REDIS_URL, `deliver` and `announce` publish once on a prefixed Redis
pub/sub channel and every server process's hub (subscribed by `listen`) hands
the frame to its local sockets. Without it (the embedded single process) the
message goes straight to the hubs of this process. Either way this is only the
fast path: the stored row is delivered by replay if the message is lost.

Wire format (text, so the body is serialised once per publish):
  durable:  "<seqs JSON {person id: seq}>\\n<event JSON>"
  each:     "<shared event JSON>" then one line per person, "<person id>\\t<seq>\\t<their own
            members>" (publish_many; compact JSON text never holds a raw newline or tab)
  announce: "<area code>\\n<coalesce key>\\n<event JSON>"
  withdraw: "<user id>,<user id>,..." (their sockets are closed: their access ended)
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import TYPE_CHECKING, Any

from django.conf import settings

from core.logging import Repeated
from realtime import protocol, redis_client
from realtime.hub import each_hub

if TYPE_CHECKING:
    from realtime.hub import Hub

logger = logging.getLogger("zhengqi.realtime")
_publish_failing = Repeated(logger, "live publish failed; replay will deliver")

DURABLE = "rt:durable"
EACH = "rt:each"
ANNOUNCE = "rt:announce"
WITHDRAW = "rt:withdraw"
_BACKOFF_MAX_SECONDS = 5.0


def deliver(*, body: dict[str, Any], seqs: dict[int, int]) -> None:
    body_json = protocol.dumps(body)
    if settings.REDIS_URL:
        _publish(DURABLE, protocol.dumps({str(k): v for k, v in seqs.items()}) + "\n" + body_json)
    else:
        each_hub(lambda hub: hub.on_durable(body_json, seqs))


def deliver_each(*, shared: str, own: dict[int, str], seqs: dict[int, int]) -> None:
    """One live message for a publish whose people each have their own copy.

    `shared` is the event's JSON without the personal fields, `own[person id]` that
    person's members as JSON text (`"distance_m":812.4,...`, see protocol.with_members).
    """
    if settings.REDIS_URL:
        lines = "".join(f"\n{pid}\t{seq}\t{own[pid]}" for pid, seq in seqs.items())
        _publish(EACH, shared + lines)
    else:
        items = {pid: (seq, protocol.with_members(shared, own[pid])) for pid, seq in seqs.items()}
        each_hub(lambda hub: hub.on_durable_each(items))


def announce(*, body: dict[str, Any], area_code: str, key: str) -> None:
    body_json = protocol.dumps(body)
    if settings.REDIS_URL:
        _publish(ANNOUNCE, f"{area_code}\n{key.replace(chr(10), ' ')}\n{body_json}")
    else:
        each_hub(lambda hub: hub.on_announce(body_json, area_code, key))


def withdraw(*, user_ids: list[int]) -> None:
    if settings.REDIS_URL:
        _publish(WITHDRAW, ",".join(map(str, user_ids)))
    else:
        each_hub(lambda hub: hub.on_withdraw(set(user_ids)))


def _publish(channel: str, message: str) -> None:
    try:
        redis_client.sync().publish(redis_client.key(channel), message)
    except Exception as exc:  # the fast path may fail; the stored row is delivered by replay
        _publish_failing.failed(exc)
    else:
        _publish_failing.succeeded()


def _dispatch(hub: Hub, channel: str, data: bytes) -> None:
    text = data.decode()
    if channel.endswith(DURABLE):
        seqs_json, body_json = text.split("\n", 1)
        hub.on_durable(body_json, {int(k): v for k, v in json.loads(seqs_json).items()})
    elif channel.endswith(EACH):
        shared, *lines = text.split("\n")
        phones = hub.phones  # only the people with a socket here get their copy built
        items = {}
        for line in lines:
            pid_text, seq, members = line.split("\t", 2)
            if (pid := int(pid_text)) in phones:
                items[pid] = (int(seq), protocol.with_members(shared, members))
        hub.on_durable_each(items)
    elif channel.endswith(WITHDRAW):
        hub.on_withdraw({int(u) for u in text.split(",")})
    else:
        area_code, key, body_json = text.split("\n", 2)
        hub.on_announce(body_json, area_code, key)


async def listen(hub: Hub) -> None:
    """Keep the hub subscribed to the live feed for as long as it runs; reconnect with backoff after faults."""
    if not settings.REDIS_URL:
        hub.live.set()
        return
    channels = [redis_client.key(c) for c in (DURABLE, EACH, ANNOUNCE, WITHDRAW)]
    delay = 0.1
    interrupted = False
    while True:  # ends when the hub cancels it (its last socket left)
        client = redis_client.subscriber()
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(*channels)
            confirmed = 0
            async for message in pubsub.listen():
                if message["type"] == "subscribe":
                    confirmed += 1
                    if confirmed == len(channels):
                        # From here on every publish reaches us: sockets may replay.
                        hub.live.set()
                        delay = 0.1
                        if interrupted:
                            interrupted = False
                            hub.resync()
                elif message["type"] == "message":
                    try:
                        _dispatch(hub, message["channel"].decode(), message["data"])
                    except Exception:
                        logger.exception("a live message could not be fanned out")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("live feed lost (%s); resubscribing in %.1fs", exc, delay)
        finally:
            hub.live.clear()
            interrupted = True
            try:
                await asyncio.wait_for(pubsub.aclose(), 1)
                await asyncio.wait_for(client.aclose(), 1)
            except Exception:  # noqa: S110 (the connection is already broken; nothing to clean)
                pass
        await asyncio.sleep(delay * (0.5 + random.random()))  # noqa: S311 (jitter, not security)
        delay = min(delay * 2, _BACKOFF_MAX_SECONDS)
