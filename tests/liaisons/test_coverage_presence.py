"""Coverage's "connected now" comes from realtime's presence: in-process, on Redis, and when Redis is away."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.models import Person
from liaisons.models import Liaison
from realtime.presence import MemoryPresence, PresenceStore, RedisPresence
from realtime.presence import store as presence_store
from tests.conftest import QIXIAN, XUNXIAN_TOWNSHIP, ApiClient

pytestmark = pytest.mark.django_db

GAOCUN, BEIYANG = "410622101", "410622102"


@pytest.fixture
def members(make_person: Callable[..., Person]) -> dict[str, Person]:
    """A volunteer in 高村镇, a rider homed there who also delivers in 北阳镇, a volunteer in 北阳镇, one in 浚县."""
    rider = make_person("liaison", GAOCUN)
    Liaison.objects.create(person=rider, sector_id="food_delivery").work_areas.add(BEIYANG)
    return {
        "volunteer": make_person("volunteer", GAOCUN),
        "rider": rider,
        "beiyang": make_person("volunteer", BEIYANG),
        "xunxian": make_person("volunteer", XUNXIAN_TOWNSHIP),
    }


@pytest.fixture
def coordinator(as_role: Callable[..., ApiClient]) -> ApiClient:
    return as_role("county_coordinator", QIXIAN)


def connected_by_area(client: ApiClient, **params: str) -> dict[str, int | None]:
    body = client.get("/api/v1/coverage/areas", **params).json()
    return {item["area_code"]: item["connected"] for item in body["items"]}


def two_processes_connect(store: PresenceStore, members: dict[str, Person]) -> Iterator[None]:
    """Two server processes, each with some phones open (a coordinator's own socket is not a member's)."""
    store.write(process_id="daphne-1", people={members["volunteer"].pk: GAOCUN, members["xunxian"].pk: "410621101"})
    store.write(process_id="daphne-2", people={members["rider"].pk: GAOCUN})
    yield
    store.forget(process_id="daphne-1")
    store.forget(process_id="daphne-2")


def assert_counts_follow_presence(client: ApiClient, store: PresenceStore, members: dict[str, Person]) -> None:
    townships = connected_by_area(client, level="township")
    county = connected_by_area(client, level="county")

    assert (townships[GAOCUN], townships[BEIYANG]) == (2, 1)  # the rider counts where they work, too
    assert sum(v or 0 for v in townships.values()) == 3
    assert county == {QIXIAN: 2}  # 浚县's connected volunteer is not the 淇县 coordinator's to see
    layer = client.get("/api/v1/coverage/layers/townships").json()["features"]
    assert {f["id"]: f["properties"]["connected"] for f in layer if f["id"] in (GAOCUN, BEIYANG)} == {
        GAOCUN: 2,
        BEIYANG: 1,
    }

    store.forget(process_id="daphne-2")  # that process's sockets closed

    assert (connected_by_area(client, level="township")[GAOCUN], connected_by_area(client, level="county")) == (
        1,
        {QIXIAN: 1},
    )


def test_connected_now_counts_members_with_an_open_phone_socket_in_memory(
    settings: Any, members: dict[str, Person], coordinator: ApiClient
) -> None:
    settings.REDIS_URL = ""
    store = presence_store()
    assert isinstance(store, MemoryPresence)
    connecting = two_processes_connect(store, members)
    next(connecting)

    assert_counts_follow_presence(coordinator, store, members)
    next(connecting, None)


@pytest.mark.redis
def test_connected_now_counts_members_with_an_open_phone_socket_across_processes_on_redis(
    settings: Any, redis_url: str, members: dict[str, Person], coordinator: ApiClient
) -> None:
    settings.REDIS_URL = redis_url
    store = presence_store()
    assert isinstance(store, RedisPresence)
    connecting = two_processes_connect(store, members)
    next(connecting)
    try:
        assert_counts_follow_presence(coordinator, store, members)
    finally:
        next(connecting, None)


def test_nobody_connected_is_zero_and_unreadable_presence_is_null_not_an_error(
    settings: Any, members: dict[str, Person], coordinator: ApiClient
) -> None:
    settings.REDIS_URL = ""
    nobody = connected_by_area(coordinator, level="township")

    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = coordinator.get("/api/v1/coverage/areas", level="township")

    assert set(nobody.values()) == {0}
    assert response.status_code == 200
    assert {item["connected"] for item in response.json()["items"]} == {None}
    assert {i["area_code"]: i["volunteers"] for i in response.json()["items"]}[GAOCUN] == 1
