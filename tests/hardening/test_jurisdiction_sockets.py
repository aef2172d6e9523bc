"""The jurisdiction matrix for the sockets: who may open which, and no frame carries another jurisdiction's record.

Every route in realtime.routing is covered (test_jurisdiction_matrix checks the list). Each 淇县 actor
holds a phone and, where allowed, a dashboard while 浚县 and 新乡 raise alerts, host sessions, answer
and report positions; every frame they receive is grepped for the outside markers. A positive control
(an alert raised inside) proves the sockets were live while the outside activity happened.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from core.models import Person
from tests.conftest import ApiClient
from tests.hardening.world import ROLES, World, bearer, build_world
from tests.realtime.conftest import Socket

pytestmark = pytest.mark.django_db(transaction=True)

STAFF = ("city", "county", "township", "station_head")

# Who gets what on hello: "welcome", or the error frame's code and the close code.
PHONE = {role: "welcome" for role in ROLES} | {"anonymous": ("unauthorized", 4401)}
DASHBOARD = {role: "welcome" for role in STAFF} | {
    "volunteer": ("forbidden", 4403),
    "liaison": ("forbidden", 4403),
    "anonymous": ("unauthorized", 4401),
}
MATRIX = {"/ws/v1/phone": PHONE, "/ws/v1/dashboard": DASHBOARD}


def test_every_socket_route_has_a_row() -> None:
    from tests.hardening.endpoints import websocket_routes

    assert {"/" + e.route for e in websocket_routes()} == set(MATRIX)


@pytest.fixture
async def world(hebi: None, settings: Any) -> World:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ws"}}
    return await database_sync_to_async(build_world)(lambda token: ApiClient(token))


async def _hello(socket: Socket, token: str) -> Any:
    """'welcome', or (error code, close code)."""
    first = await socket.hello(token)
    if first["type"] == "welcome":
        return "welcome"
    return (first.get("code"), await socket.closed_with())


async def _drain(socket: Socket, seconds: float) -> list[dict[str, Any]]:
    """Every frame that arrives until the socket has been quiet for `seconds`.

    (receive_output's own timeout would cancel the consumer, so wait with receive_nothing.)
    """
    frames: list[dict[str, Any]] = []
    for _ in range(10_000):
        if await socket.comm.receive_nothing(seconds):
            break
        output = await socket.comm.receive_output(1)
        if output["type"] == "websocket.send":
            frames.append(json.loads(output["text"]))
    return frames


@pytest.mark.parametrize("path", sorted(MATRIX))
async def test_each_role_may_open_exactly_the_sockets_it_should(world: World, path: str) -> None:
    for role in ROLES:
        socket = Socket(path)
        assert await socket.open()
        try:
            token = world.tokens.get(role, "zq_" + "x" * 40)
            assert await _hello(socket, token) == MATRIX[path][role], (path, role)
        finally:
            await socket.close()


def _outside_activity(world: World) -> None:
    """What 浚县 and 新乡 do while 淇县 watches: alerts, answers, sessions, duty and positions."""
    for side, area in ((world.outside, "410621"), (world.far, "410700")):
        raiser = Person.objects.filter(user__role_grants__area_id=area).exclude(pk=side.person.pk).first()
        assert raiser is not None
        coordinator = ApiClient(bearer(raiser))
        tag = side.person.name.removesuffix("义警")
        alert = coordinator.post(
            "/api/v1/alerts", {"kind": "other", "title": f"{tag}新警情", "area_codes": [side.area], "needed": 1}
        )
        assert alert.status_code == 201, alert.content
        member = ApiClient(bearer(side.person))
        answer = member.post(f"/api/v1/alerts/{alert.json()['id']}/responses", {"state": "accepted"})
        assert answer.status_code == 200, answer.content
        start = timezone.now() + timedelta(days=2)
        session = coordinator.post(
            "/api/v1/sessions",
            {
                "kind": "meeting",
                "title": f"{tag}新会议",
                "start": start.isoformat(),
                "end": (start + timedelta(hours=1)).isoformat(),
                "mode": "video",
                "area_codes": [side.area],
            },
        )
        assert session.status_code == 201, session.content
        liaison = ApiClient(bearer(side.liaison))
        assert liaison.send("put", "/api/v1/me/duty", {"on_duty": True}).status_code == 200
        fix = {"lat": 35.671999 if side is world.outside else 35.301999, "lon": 114.541999, "accuracy_m": 3}
        assert liaison.send("put", "/api/v1/me/location", fix).status_code == 200


def _inside_alert(world: World) -> int:
    raiser = ApiClient(world.tokens["county"])
    response = raiser.post(
        "/api/v1/alerts", {"kind": "other", "title": "淇县内新警情", "area_codes": [world.inside.area]}
    )
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


async def test_no_socket_frame_carries_a_record_from_outside_the_jurisdiction(world: World) -> None:
    sockets: dict[tuple[str, str], Socket] = {}
    try:
        for role in ROLES[:-1]:
            for path, allowed in MATRIX.items():
                if allowed[role] != "welcome":
                    continue
                socket = Socket(path)
                assert await socket.open()
                assert (await socket.hello(world.tokens[role]))["type"] == "welcome"
                sockets[(role, path)] = socket
        await database_sync_to_async(_outside_activity)(world)
        inside_alert = await database_sync_to_async(_inside_alert)(world)

        received = {key: await _drain(socket, 0.5) for key, socket in sockets.items()}
    finally:
        for socket in sockets.values():
            await socket.close()

    # Positive control: the volunteer's phone was live and got the inside alert after the outside activity.
    volunteer_alerts = [f["event"].get("alert_id") for f in received[("volunteer", "/ws/v1/phone")] if "event" in f]
    assert inside_alert in volunteer_alerts, received[("volunteer", "/ws/v1/phone")]
    outside_ids = await database_sync_to_async(_ids_outside)(world)
    # Positive control: the city admin's dashboard did get 浚县's alert activity (it is inside theirs).
    city_alerts = {i for key, i in _ids_in(received[("city", "/ws/v1/dashboard")]) if key == "alert_id"}
    assert city_alerts & outside_ids["xunxian"]["alert_id"]
    leaks = {}
    for (role, path), frames in received.items():
        text = json.dumps(frames, ensure_ascii=False)
        found: list[Any] = [m for m in world.foreign_markers(role) + _new_markers(role) if m in text]
        foreign = outside_ids["far"] if role == "city" else _merge(outside_ids["far"], outside_ids["xunxian"])
        found += [(key, i) for key, i in _ids_in(frames) if i in foreign.get(key, set())]
        if found:
            leaks[f"{role} {path}"] = found
    assert leaks == {}


def _ids_in(value: Any, key: str = "") -> list[tuple[str, int]]:
    """(alert_id | person_id | session_id, value) for every id a frame carries."""
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            name = "session_id" if (key == "session" and k == "id") else k
            out += _ids_in(v, name)
        return out
    if isinstance(value, list):
        return [pair for item in value for pair in _ids_in(item, key)]
    if key in ("alert_id", "person_id", "session_id") and isinstance(value, int):
        return [(key, value)]
    return []


def _ids_outside(world: World) -> dict[str, dict[str, set[int]]]:
    from dispatch.models import Alert
    from training.models import Session

    out = {}
    for name, prefix in (("xunxian", "410621"), ("far", "4107")):
        out[name] = {
            "alert_id": set(Alert.objects.filter(area__code__startswith=prefix).values_list("pk", flat=True)),
            "session_id": set(Session.objects.filter(host_area__code__startswith=prefix).values_list("pk", flat=True)),
            "person_id": set(Person.objects.filter(home_area__code__startswith=prefix).values_list("pk", flat=True)),
        }
    return out


def _merge(a: dict[str, set[int]], b: dict[str, set[int]]) -> dict[str, set[int]]:
    return {k: a[k] | b[k] for k in a}


def _new_markers(role: str) -> list[str]:
    far = ["新乡标记", "35.301999"]
    return far if role == "city" else [*far, "浚县标记", "35.671999"]
