from __future__ import annotations

import uuid

import pytest

from tests.core.test_settings import run_django

pytestmark = pytest.mark.redis


def test_with_redis_url_the_cache_is_the_real_redis(redis_url):
    base = redis_url.rsplit("/", 1)[0]
    key = f"zq-test-{uuid.uuid4().hex}"

    result = run_django(
        f"from django.core.cache import cache; cache.set('{key}', 'ok', 30); "
        f"import redis; print(cache.get('{key}'), bool(redis.Redis.from_url('{base}/9').keys('*{key}')))",
        REDIS_URL=f"{base}/9",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ok", "True"]
