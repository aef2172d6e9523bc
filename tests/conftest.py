"""Shared fixtures: people with roles in real Hebi areas, API clients with bearer tokens, real servers."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from core.divisions import load_divisions
from core.models import Area, AreaBoundary, Person
from core.positions import positions
from tests.browser import browser, new_page
from tests.factories import PersonFactory, RoleGrantFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Real Hebi divisions used across the tests.
QIXIAN = "410622"  # 淇县
XUNXIAN = "410621"  # 浚县
QIBIN = "410611"  # 淇滨区
QIXIAN_TOWNSHIP = "410622101"  # 淇县 高村镇
XUNXIAN_TOWNSHIP = "410621101"  # 浚县 善堂镇
QIBIN_TOWNSHIP = "410611001"  # 淇滨区 金山街道
JINSHAN = (35.774691, 114.240340)  # 金山街道's centre (WGS-84): where most test alerts and fixes are


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    # Argon2 is the production hasher (and tested on its own); MD5 keeps the suite fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clean_positions() -> Iterator[None]:
    """The process's position store holds only this test's fixes (counts and prunes are exact)."""
    positions().clear()
    yield
    positions().clear()


@pytest.fixture
def hebi(db: None) -> None:
    """The real Hebi divisions. The migration loads them, but transactional tests flush every table."""
    if not Area.objects.exists():
        load_divisions(Area, AreaBoundary)


@pytest.fixture
def make_person(hebi: None) -> Callable[..., Person]:
    """make_person(role, area_code, home=...) -> a Person with a login and one role grant."""

    def make(
        role: str | None = "volunteer", area_code: str = QIXIAN_TOWNSHIP, *, home: str | None = None, **kw: Any
    ) -> Person:
        home_code = home or (
            area_code
            if len(area_code) == 9
            else next(a.code for a in Area.objects.filter(parent_id=area_code).order_by("code"))
        )
        person = PersonFactory(home_area=Area.objects.get(code=home_code), **kw)
        if role:
            RoleGrantFactory(user=person.user, role=role, area=Area.objects.get(code=area_code))
        return person

    return make


class ApiClient:
    """A test client that speaks JSON and carries a bearer token."""

    def __init__(self, token: str | None = None, **defaults: Any) -> None:
        self.client = Client(**defaults)
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        return self.client.get(path, params, **self._headers(headers))

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: str | bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        data = raw if raw is not None else json.dumps(body)
        return getattr(self.client, method)(path, data, content_type="application/json", **self._headers(headers))

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.send("post", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.send("patch", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.send("delete", path, None, raw="", **kw)


@pytest.fixture
def anon() -> ApiClient:
    return ApiClient()


@pytest.fixture
def login(db: None) -> Callable[[Person], ApiClient]:
    """login(person) -> an ApiClient with a fresh bearer token for that person."""

    def do(person: Person) -> ApiClient:
        response = ApiClient().post(
            "/api/v1/auth/token", {"username": person.user.username, "password": "correct-horse-battery"}
        )
        assert response.status_code == 200, response.content
        return ApiClient(response.json()["token"])

    return do


@pytest.fixture
def as_role(make_person: Callable[..., Person], login: Callable[[Person], ApiClient]) -> Callable[..., ApiClient]:
    """as_role(role, area_code) -> an ApiClient logged in as a new person with that role."""

    def do(role: str, area_code: str, **kw: Any) -> ApiClient:
        return login(make_person(role, area_code, **kw))

    return do


def require_server(name: str, reason: str) -> None:
    """Skip a test that needs a real server, loudly; in CI a missing server is a failure, never a skip."""
    if IN_CI:
        pytest.fail(f"{name} is required in CI but unavailable: {reason}")
    warnings.warn(f"SKIPPING: {name} unavailable ({reason}); these tests run in CI", stacklevel=2)
    pytest.skip(f"{name} unavailable: {reason}")


def require_postgresql(reason: str) -> None:
    """Skip, loudly, a test that is real only on PostgreSQL (two connections racing for a row or a
    unique index). CI runs the suite on SQLite and again on PostgreSQL: its SQLite pass skips it too."""
    if connection.vendor != "postgresql":
        warnings.warn(f"SKIPPING: needs PostgreSQL ({reason}); CI's PostgreSQL pass runs it", stacklevel=2)
        pytest.skip(f"needs PostgreSQL: {reason}")


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        require_server("Redis", f"{url}: {exc}")
    return url


__all__ = [
    "QIBIN",
    "QIBIN_TOWNSHIP",
    "QIXIAN",
    "QIXIAN_TOWNSHIP",
    "XUNXIAN",
    "XUNXIAN_TOWNSHIP",
    "ApiClient",
    "UserFactory",
    "browser",
    "new_page",
]
