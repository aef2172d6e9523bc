"""Under ASGI the middleware chain runs in one thread: `core.middleware.SyncChainMiddleware`.

Django hands each hook of a middleware that runs in async mode to a worker thread and back. A
request should make a few such hops (the chain, CSRF's `process_view`, the view, Django's start and
finish signals), not one more per hook of every middleware.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.test import AsyncClient, override_settings

WITHOUT_IT = [m for m in settings.MIDDLEWARE if m != "core.middleware.SyncChainMiddleware"]


@contextmanager
def counted_hops() -> Iterator[list[Any]]:
    """Every sync_to_async call made while inside (each one a trip to a worker thread and back)."""
    calls: list[Any] = []
    original = SyncToAsync.__call__

    async def counting(self: SyncToAsync, *args: Any, **kwargs: Any) -> Any:
        calls.append(self.func)
        return await original(self, *args, **kwargs)

    with mock.patch.object(SyncToAsync, "__call__", counting):
        yield calls


async def _hops_for_one_request() -> list[str]:
    client = AsyncClient()
    with counted_hops() as calls:
        response = await client.get("/api/v1/me", headers={"accept-language": "en"})
    assert response.status_code == 401  # a real request through the whole chain and the API
    return [getattr(call, "__qualname__", repr(call)) for call in calls]


def _middleware_hooks(hops: list[str]) -> list[str]:
    """The hops taken for middleware hooks, but for `process_view`: Django's async request handler
    calls those itself, one hop each, whatever mode the chain runs in."""
    return [hop for hop in hops if "Middleware." in hop and not hop.endswith(".process_view")]


async def test_a_request_under_asgi_hops_to_a_thread_for_the_chain_not_for_each_middleware_hook() -> None:
    assert settings.MIDDLEWARE[-1] == "core.middleware.SyncChainMiddleware"
    with_it = await _hops_for_one_request()
    with override_settings(MIDDLEWARE=WITHOUT_IT):
        without_it = await _hops_for_one_request()
    assert _middleware_hooks(with_it) == [], with_it
    # What it saves: Django's own middleware, each hook a trip of its own.
    assert len(_middleware_hooks(without_it)) >= 6, without_it
    assert len(with_it) <= len(without_it) - 6, (with_it, without_it)
