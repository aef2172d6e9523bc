"""Two real server processes on one Redis: an event reaches a phone on either process.

The servers start exactly as `make serve` starts them (`manage.py serve`),
on free loopback ports, sharing a migrated SQLite file and Redis.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import websockets

pytestmark = [pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]

SETUP = """
import json, secrets
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from core.crypto import token_digest
from core.models import ApiToken, Area, Person
people = []
for n in (1, 2):
    raw = "zq_" + secrets.token_urlsafe(32)
    user = get_user_model().objects.create_user(username=f"phone{n}", password=secrets.token_urlsafe(16))
    home = Area.objects.get(code="410622101")
    person = Person.objects.create(user=user, name=f"Phone {n}", phone=f"1380000000{n}", home_area=home)
    ApiToken.objects.create(user=user, digest=token_digest(raw), expires_at=timezone.now() + timedelta(hours=1))
    people.append({"person": person.pk, "token": raw})
print(json.dumps(people))
"""

PUBLISH = """
from realtime.events import Event, publish
class Note(Event):
    type: str = "test.note"
    n: int
for n in {numbers}:
    publish(Note(n=n), to=[{person}])
"""

PUBLISH_MANY = """
from realtime.events import Event, publish_many
class Spotted(Event):
    type: str = "test.spotted"
    n: int
    distance_m: float | None = None
for n in {numbers}:
    publish_many(Spotted(n=n), to={{p: {{"distance_m": p * 10 + n}} for p in {people}}})
"""


def free_port() -> int:
    """A free loopback port; inside ZHENGQI_TEST_PORTS ("20000-20999") when set (shared machines)."""
    low, _, high = os.environ.get("ZHENGQI_TEST_PORTS", "0-0").partition("-")
    for port in [0] if low == "0" else random.sample(range(int(low), int(high) + 1), int(high) + 1 - int(low)):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise AssertionError("no free port in ZHENGQI_TEST_PORTS")


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture(scope="module")
def cluster(redis_url, tmp_path_factory):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('cluster') / 'shared.sqlite3'}",
        "REDIS_URL": redis_url,
        "ZHENGQI_REDIS_PREFIX": f"zqtest{uuid.uuid4().hex[:8]}",
        "LOG_LEVEL": "WARNING",
    }
    manage(env, "migrate", "--noinput", "-v0")
    people = json.loads(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
    ports = [free_port(), free_port()]
    procs = [
        subprocess.Popen(  # `make serve PORT=...` runs exactly this
            [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    try:
        for port, proc in zip(ports, procs, strict=True):
            wait_for_port(port, proc)
        yield env, ports, people
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def test_a_phone_on_either_process_receives_an_event_published_elsewhere(cluster):
    env, (port_a, port_b), (who, _) = cluster

    async def scenario() -> list[dict]:
        async with (
            websockets.connect(f"ws://127.0.0.1:{port_a}/ws/v1/phone") as on_a,
            websockets.connect(f"ws://127.0.0.1:{port_b}/ws/v1/phone") as on_b,
        ):
            for ws in (on_a, on_b):
                await ws.send(json.dumps({"type": "hello", "token": who["token"], "since": 0}))
                assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "welcome", "seq": 0}
            await asyncio.to_thread(manage, env, "shell", "-c", PUBLISH.format(numbers=[1], person=who["person"]))
            return [json.loads(await asyncio.wait_for(ws.recv(), 5)) for ws in (on_b, on_a)]

    frames = asyncio.run(scenario())

    expected = {"type": "event", "seq": 1, "event": {"type": "test.note", "n": 1}}
    assert frames == [expected, expected]


def test_a_phone_that_reconnects_to_the_other_process_replays_from_its_seq(cluster):
    env, (_, port_b), (_, who) = cluster
    manage(env, "shell", "-c", PUBLISH.format(numbers=[1, 2, 3], person=who["person"]))

    async def scenario() -> list[dict]:
        async with websockets.connect(f"ws://127.0.0.1:{port_b}/ws/v1/phone") as ws:
            await ws.send(json.dumps({"type": "hello", "token": who["token"], "since": 1}))
            return [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(3)]

    frames = asyncio.run(scenario())

    assert frames == [
        {"type": "welcome", "seq": 3},
        {"type": "event", "seq": 2, "event": {"type": "test.note", "n": 2}},
        {"type": "event", "seq": 3, "event": {"type": "test.note", "n": 3}},
    ]


COORDINATOR = """
import secrets
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from core.crypto import token_digest
from core.models import ApiToken, Area, RoleGrant
raw = "zq_" + secrets.token_urlsafe(32)
user = get_user_model().objects.create_user(username="county_410622", password=secrets.token_urlsafe(16))
RoleGrant.objects.create(user=user, role="county_coordinator", area=Area.objects.get(code="410622"))
ApiToken.objects.create(user=user, digest=token_digest(raw), expires_at=timezone.now() + timedelta(hours=1))
print(raw)
"""


def test_a_dashboard_on_one_process_gets_a_snapshot_counting_a_phone_on_the_other(cluster):
    env, (port_a, port_b), (who, _) = cluster
    dashboard_token = manage(env, "shell", "-c", COORDINATOR).strip().splitlines()[-1]

    async def scenario() -> list[dict]:
        async with websockets.connect(f"ws://127.0.0.1:{port_a}/ws/v1/phone") as phone:
            await phone.send(json.dumps({"type": "hello", "token": who["token"], "since": 0}))
            await asyncio.wait_for(phone.recv(), 5)
            await asyncio.sleep(1.5)  # process A's presence heartbeat writes the change to Redis
            async with websockets.connect(f"ws://127.0.0.1:{port_b}/ws/v1/dashboard") as dashboard:
                await dashboard.send(json.dumps({"type": "hello", "token": dashboard_token, "since": 0}))
                return [json.loads(await asyncio.wait_for(dashboard.recv(), 5)) for _ in range(2)]

    welcome, snapshot = asyncio.run(scenario())

    assert welcome == {"type": "welcome", "seq": 0}
    assert snapshot == {"type": "snapshot", "online": {"410622101": 1}, "on_duty": {}}


def test_a_personalised_publish_reaches_each_phone_on_either_process_with_its_own_copy(cluster):
    env, ports, people = cluster
    ids = [p["person"] for p in people]

    async def scenario() -> list[list[dict]]:
        async with (
            websockets.connect(f"ws://127.0.0.1:{ports[0]}/ws/v1/phone") as first,
            websockets.connect(f"ws://127.0.0.1:{ports[1]}/ws/v1/phone") as second,
        ):
            latest = []
            for ws, who in ((first, people[0]), (second, people[1])):
                await ws.send(json.dumps({"type": "hello", "token": who["token"], "since": 10**6}))
                welcome = json.loads(await asyncio.wait_for(ws.recv(), 5))
                latest.append(welcome["seq"])
                for _ in range(welcome["seq"]):  # whatever earlier tests left, replayed in full
                    await asyncio.wait_for(ws.recv(), 5)
            await asyncio.to_thread(manage, env, "shell", "-c", PUBLISH_MANY.format(numbers=[1, 2], people=ids))
            frames = [[json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)] for ws in (first, second)]
            return [[{**f, "seq": f["seq"] - base} for f in got] for got, base in zip(frames, latest, strict=True)]

    first, second = asyncio.run(scenario())

    assert first == [
        {"type": "event", "seq": 1, "event": {"type": "test.spotted", "n": 1, "distance_m": ids[0] * 10 + 1}},
        {"type": "event", "seq": 2, "event": {"type": "test.spotted", "n": 2, "distance_m": ids[0] * 10 + 2}},
    ]
    assert second == [
        {"type": "event", "seq": 1, "event": {"type": "test.spotted", "n": 1, "distance_m": ids[1] * 10 + 1}},
        {"type": "event", "seq": 2, "event": {"type": "test.spotted", "n": 2, "distance_m": ids[1] * 10 + 2}},
    ]


LEAVER = """
import secrets
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from core.crypto import token_digest
from core.models import ApiToken, Area, Person, RoleGrant
raw = "zq_" + secrets.token_urlsafe(32)
user = get_user_model().objects.create_user(username="leaver", password=secrets.token_urlsafe(16))
home = Area.objects.get(code="410622101")
person = Person.objects.create(user=user, name="Leaver", phone="13800000099", home_area=home)
RoleGrant.objects.create(user=user, role="county_coordinator", area=Area.objects.get(code="410622"))
ApiToken.objects.create(user=user, digest=token_digest(raw), expires_at=timezone.now() + timedelta(hours=1))
print(person.pk, raw)
"""
DEACTIVATE = """
from django.contrib.auth import get_user_model
from core.models import Area, RoleGrant
from core.services.people import person_update
admin = get_user_model().objects.create_user(username="city_admin_{person}")
RoleGrant.objects.create(user=admin, role="city_admin", area=Area.objects.get(code="410600"))
person_update(actor=admin, person_id={person}, is_active=False)
"""


async def _until_closed(ws: websockets.ClientConnection) -> AsyncIterator[dict]:
    """The frames a socket gets until the server closes it (at most 20, 5 s each); fails if it stays open."""
    for _ in range(20):
        try:
            yield json.loads(await asyncio.wait_for(ws.recv(), 5))
        except websockets.ConnectionClosed:
            return
    raise AssertionError("the socket was not closed")


def test_a_member_deactivated_in_another_process_loses_their_socket_on_either_process(cluster):
    env, ports, (who, _) = cluster
    person, token = manage(env, "shell", "-c", LEAVER).strip().splitlines()[-1].split()

    async def scenario() -> tuple[list[dict], list[int | None], dict]:
        async with (
            websockets.connect(f"ws://127.0.0.1:{ports[0]}/ws/v1/phone") as on_a,
            websockets.connect(f"ws://127.0.0.1:{ports[1]}/ws/v1/dashboard") as on_b,
            websockets.connect(f"ws://127.0.0.1:{ports[1]}/ws/v1/phone") as bystander,
        ):
            for ws, raw in ((on_a, token), (on_b, token), (bystander, who["token"])):
                await ws.send(json.dumps({"type": "hello", "token": raw, "since": 10**6}))
                assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "welcome"
            await asyncio.to_thread(manage, env, "shell", "-c", DEACTIVATE.format(person=person))
            last = [[frame async for frame in _until_closed(ws)][-1] for ws in (on_a, on_b)]
            await bystander.send(json.dumps({"type": "ping"}))
            for _ in range(50):  # after whatever earlier tests left it, replayed
                answer = json.loads(await asyncio.wait_for(bystander.recv(), 5))
                if answer["type"] != "event":
                    break
            return last, [ws.close_code for ws in (on_a, on_b)], answer

    last, codes, pong = asyncio.run(scenario())

    assert last == [{"type": "error", "code": "unauthorized"}] * 2
    assert codes == [4401, 4401]
    assert pong == {"type": "pong"}
