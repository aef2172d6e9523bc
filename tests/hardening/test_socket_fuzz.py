"""Hypothesis-driven fuzz of /ws/v1/phone and /ws/v1/dashboard (the real consumers, in process).

Whatever a client sends, before or after its hello, the server answers only with documented
frames (error, pong, welcome, event, presence, snapshot) or closes with a documented code, the consumer
never crashes, and another socket connected at the same time still receives a published event.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime.protocol import CloseCode
from tests.conftest import QIXIAN
from tests.realtime.conftest import Socket, publish_notes, token_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # Failing examples may hold a 70 KB frame; hypothesis warns that printing it is expensive.
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]

DOCUMENTED_CLOSES = {int(c) for c in CloseCode}
DOCUMENTED_FRAMES = {"error", "pong", "welcome", "event", "presence", "snapshot"}

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_types = st.sampled_from(["hello", "ack", "ping", "location", "event", "welcome", "", "HELLO", "ack ", "__proto__"])
_frames = st.one_of(
    # Frames shaped like the protocol's, with wrong or missing fields.
    st.builds(lambda t, rest: json.dumps({"type": t, **rest}), _types, st.dictionaries(st.text(max_size=6), _json)),
    st.builds(lambda seq: json.dumps({"type": "ack", "seq": seq}), st.one_of(_scalars, st.integers(-5, 2**63 + 5))),
    st.builds(lambda tok, since: json.dumps({"type": "hello", "token": tok, "since": since}), _json, _json),
    # Any JSON at all, any text at all, and a few nasty shapes.
    st.builds(lambda v: json.dumps(v, allow_nan=True), _json),
    st.text(max_size=200),
    st.sampled_from(
        [
            "[" * 50_000,  # nesting deep enough to exhaust the JSON parser's recursion
            '{"type": "ack", "seq": ' + "9" * 5000 + "}",  # an integer too long to parse
            '{"type": "ping"' + " " * 70_000 + "}",  # over the frame limit
            "\x00\ud7ff\ufffd",
        ]
    ),
)


@pytest.fixture
def people(make_person: Any) -> dict[str, Any]:
    fuzzer = make_person("county_coordinator", QIXIAN)
    observer = make_person("volunteer")
    return {"fuzzer": token_for(fuzzer), "observer": observer, "observer_token": token_for(observer)}


async def _frames_until_quiet(socket: Socket, quiet: float = 0.2) -> tuple[list[dict[str, Any]], int | None]:
    frames: list[dict[str, Any]] = []
    for _ in range(1000):
        if await socket.comm.receive_nothing(quiet):
            return frames, None
        output = await socket.comm.receive_output(1)
        if output["type"] == "websocket.close":
            return frames, int(output.get("code", 1000))
        frames.append(json.loads(output["text"]))
    raise AssertionError("the socket never went quiet")


def _last_seq(people: dict[str, Any], seq: int | None = None) -> int:
    """The observer's latest seq, kept across examples so that its hello replays nothing old."""
    if seq is not None:
        people["seq"] = seq
    return int(people.get("seq", 0))


@pytest.mark.parametrize("path", ["/ws/v1/phone", "/ws/v1/dashboard"])
@pytest.mark.parametrize("say_hello", [True, False], ids=["after-hello", "before-hello"])
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sent=st.lists(_frames, min_size=1, max_size=12))
async def test_random_frames_get_documented_answers_and_other_sockets_carry_on(
    people: dict[str, Any], path: str, say_hello: bool, sent: list[str]
) -> None:
    observer = Socket("/ws/v1/phone")
    fuzzed = Socket(path)
    try:
        assert await observer.open()
        welcome = await observer.hello(people["observer_token"], since=_last_seq(people))
        assert welcome["type"] == "welcome"
        assert await fuzzed.open()
        if say_hello:
            assert (await fuzzed.hello(people["fuzzer"]))["type"] == "welcome"
        closed = None
        answers: list[dict[str, Any]] = []
        for frame in sent:
            await fuzzed.comm.send_input({"type": "websocket.receive", "text": frame})  # even an empty one
            got, closed = await _frames_until_quiet(fuzzed, 0.02)
            answers += got
            if closed is not None:
                break
        if closed is None:
            got, closed = await _frames_until_quiet(fuzzed)
            answers += got

        assert {a.get("type") for a in answers} <= DOCUMENTED_FRAMES, answers
        assert closed is None or closed in DOCUMENTED_CLOSES, closed
        assert not fuzzed.comm.future.done() or fuzzed.comm.future.exception() is None
        if closed is None:  # still open: still answers a ping (before a hello, by asking for one)
            await fuzzed.send({"type": "ping"})
            expected = {"type": "pong"} if say_hello else {"type": "error", "code": "not_ready"}
            assert await fuzzed.receive_until(expected["type"]) == expected

        await publish_notes([people["observer"].pk], [welcome["seq"] + 1])
        event = await observer.receive_until("event")
        assert event["seq"] == welcome["seq"] + 1
        assert event["event"]["n"] == welcome["seq"] + 1
        _last_seq(people, event["seq"])
    finally:
        await fuzzed.close()
        await observer.close()
