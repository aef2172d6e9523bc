"""The coverage throttle on a real Redis cache: one announcement per area per window across processes."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from liaisons.live import coverage_changed

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


def test_a_second_server_process_is_throttled_by_the_first_ones_announcement(
    redis_url: str, settings: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    # The test's own Redis database (REDIS_URL) under a key prefix of its own: never clear() a shared database.
    prefix = f"zqtest{uuid4().hex[:12]}"
    backend = "django.core.cache.backends.redis.RedisCache"
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": redis_url, "KEY_PREFIX": prefix}}
    sent: list[str] = []
    monkeypatch.setattr("realtime.transport.announce", lambda *, body, area_code, key: sent.append(area_code))
    other_process = RedisCache(redis_url, {"KEY_PREFIX": prefix})

    with django_capture_on_commit_callbacks(execute=True):
        first = coverage_changed(area_code="410622101")
        other_holds_it = other_process.add("zq:coverage:sent:410622101", 1, timeout=5)
        second = coverage_changed(area_code="410622101")

    assert (first, other_holds_it, second) == (True, False, False)
    assert sent == ["410622101"]
    assert other_process.get("zq:coverage:dirty:410622101") == 1
    caches["default"].delete_many(["zq:coverage:sent:410622101", "zq:coverage:dirty:410622101"])
