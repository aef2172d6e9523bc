"""The GC policy: long-lived socket state is frozen out of full collections, and collected after churn."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from realtime.collector import Collector


class SocketState:
    me: SocketState | None = None


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_it_freezes_what_is_alive_once_enough_sockets_joined():
    collector = Collector(min_growth=3, min_churn=10)
    for _ in range(2):
        collector.join()
    assert collector.tick(sockets=2) == ""
    assert gc.get_freeze_count() == 0

    collector.join()

    assert collector.tick(sockets=3) == "freeze"
    assert gc.get_freeze_count() > 0
    assert collector.tick(sockets=3) == ""


def test_cycles_left_by_departed_sockets_are_collected_after_enough_churn():
    collector = Collector(min_growth=1, min_churn=2)
    state = SocketState()
    state.me = state  # a cycle: only the collector frees it
    alive = weakref.ref(state)
    collector.join()
    collector.tick(sockets=1)  # frozen
    del state
    collector.leave()
    gc.collect()
    assert collector.tick(sockets=0) == ""  # one departure is below min_churn
    assert alive() is not None  # frozen: not even a full collection frees it yet

    collector.leave()

    assert collector.tick(sockets=0) == "collect"
    assert alive() is None
    assert gc.get_freeze_count() > 0  # frozen again after the collection


def test_a_disabled_collector_leaves_the_gc_alone():
    collector = Collector(enabled=False, min_growth=1)
    collector.join()

    assert collector.tick(sockets=1) == ""
    assert gc.get_freeze_count() == 0
