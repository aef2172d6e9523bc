"""The coverage throttle on a real Redis cache: one announcement per area per window across processes."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from liaisons.live import coverage_changed

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


def test_a_second_server_process_is_throttled_by_the_first_ones_announcement(
    redis_url: str, settings: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    url = redis_url.rsplit("/", 1)[0] + "/7"  # this app's Redis database in the test setup
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    caches["default"].clear()
    sent: list[str] = []
    monkeypatch.setattr("realtime.transport.announce", lambda *, body, area_code, key: sent.append(area_code))
    other_process = RedisCache(url, {})

    with django_capture_on_commit_callbacks(execute=True):
        first = coverage_changed(area_code="410622101")
        other_holds_it = other_process.add("zq:coverage:sent:410622101", 1, timeout=5)
        second = coverage_changed(area_code="410622101")

    assert (first, other_holds_it, second) == (True, False, False)
    assert sent == ["410622101"]
    assert other_process.get("zq:coverage:dirty:410622101") == 1
    caches["default"].clear()
