"""The per-socket outbox: ordered, gapless, bounded."""

from __future__ import annotations

import asyncio

from realtime.outbox import Outbox


def make_outbox(*, limit: int = 16, catch_up=None):
    sent: list[str] = []

    async def send(frame: str) -> None:
        sent.append(frame)

    box = Outbox(send=send, limit=limit, on_overflow=lambda: None)
    box.start(catch_up=catch_up)
    return box, sent


async def test_live_frames_held_during_a_replay_are_sent_after_it_without_repeats():
    box, sent = make_outbox()
    box.offer(3, "f3")
    box.offer(4, "f4")

    box.put("f1")
    box.put("f2")
    box.put("f3")
    box.replayed(up_to=3)
    await asyncio.sleep(0.01)

    assert sent == ["f1", "f2", "f3", "f4"]


async def test_frames_that_overtake_each_other_go_out_in_seq_order():
    box, sent = make_outbox()
    box.replayed(up_to=0)

    box.offer(2, "f2")
    box.offer(1, "f1")
    box.offer(2, "f2")
    await asyncio.sleep(0.01)

    assert sent == ["f1", "f2"]


async def test_a_gap_the_live_feed_never_fills_is_fetched_from_the_database():
    asked = []

    async def catch_up(after: int) -> list[tuple[int, str]]:
        asked.append(after)
        return [(2, "f2"), (3, "f3")]

    box, sent = make_outbox(catch_up=catch_up)
    box.replayed(up_to=1)
    box.offer(3, "f3")
    await asyncio.sleep(0.7)

    assert (asked, sent) == ([1], ["f2", "f3"])


async def test_a_reader_that_stops_reading_is_cut_off_at_the_queue_limit():
    overflowed: list[bool] = []
    never = asyncio.Event()

    async def stuck(frame: str) -> None:
        await never.wait()

    box = Outbox(send=stuck, limit=8, on_overflow=lambda: overflowed.append(True))
    box.start(catch_up=None)
    box.replayed(up_to=0)
    for seq in range(1, 20):
        box.offer(seq, f"f{seq}")
    await asyncio.sleep(0)

    assert overflowed == [True]
    assert box.closed
    box.stop()


async def test_a_send_that_must_wait_is_finished_by_a_task_and_later_frames_queue_behind_it_in_order():
    sent: list[str] = []
    writable = asyncio.Event()

    async def send(frame: str) -> None:
        if frame == "f1":
            await writable.wait()  # the transport is paused, as for a slow reader
        sent.append(frame)

    box = Outbox(send=send, limit=16, on_overflow=lambda: None)
    box.start(catch_up=None)
    box.replayed(up_to=0)
    box.offer(1, "f1")
    box.offer(2, "f2")
    box.put("pong")
    await asyncio.sleep(0.01)
    assert sent == []

    writable.set()
    await box.flush(timeout=1)

    assert sent == ["f1", "f2", "pong"]


async def test_a_socket_that_can_take_a_frame_gets_it_within_the_fan_out_step():
    box, sent = make_outbox()
    box.replayed(up_to=0)

    box.offer(1, "f1")  # no await in between: no task was needed

    assert sent == ["f1"]
