"""The socket protocol's vocabulary: close codes, error codes, frame limits and parsing.

docs/PROTOCOL.md is the prose version of this file; keep them in step.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.utils.dateparse import parse_datetime

K = TypeVar("K")

# Frames above this are refused (close 4413). The ASGI server itself cuts
# frames at twice this size (1009), so a client cannot make us buffer more.
MAX_FRAME_BYTES = 64 * 1024


class CloseCode(enum.IntEnum):
    """WebSocket close codes the server uses (4000-4999 are application-defined)."""

    PROTOCOL_ERROR = 4400  # binary frame, or a frame other than hello first
    UNAUTHORIZED = 4401  # hello with a missing, unknown, expired or revoked token
    FORBIDDEN = 4403  # authenticated, but this socket is not for this user (e.g. no staff role on /dashboard)
    HELLO_TIMEOUT = 4408  # no hello within ZHENGQI_WS_HELLO_TIMEOUT seconds
    SLOW_CONSUMER = 4409  # the client did not read; its send queue overflowed. Reconnect and replay.
    FRAME_TOO_BIG = 4413  # a frame over MAX_FRAME_BYTES
    FLOOD = 4429  # more frames per second than ZHENGQI_WS_MAX_FRAMES_PER_SECOND allows, or too many sockets
    GOING_AWAY = 4503  # the server is shutting down or lost its live feed; reconnect with backoff


class ErrorCode(enum.StrEnum):
    """`code` of an `{"type": "error"}` frame. Errors that are not followed by a close leave the socket open."""

    INVALID_JSON = "invalid_json"
    INVALID_FRAME = "invalid_frame"  # JSON, but not an object with a known `type` and its fields
    UNKNOWN_TYPE = "unknown_type"
    NOT_READY = "not_ready"  # a frame other than hello before the welcome
    ALREADY_READY = "already_ready"  # a second hello
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    FRAME_TOO_BIG = "frame_too_big"
    FLOOD = "flood"
    TOO_MANY_SOCKETS = "too_many_sockets"  # the user has ZHENGQI_WS_MAX_SOCKETS_PER_USER open on this process
    HELLO_TIMEOUT = "hello_timeout"
    BAD_SEQ = "bad_seq"  # an ack beyond the latest seq handed out
    UNAVAILABLE = "unavailable"  # the server cannot reach its database; reconnect with backoff
    # A `location` frame the duty service refused carries that service's own code instead
    # (the same as PUT /api/v1/me/location): invalid_coordinates, unknown_datum,
    # invalid_accuracy, stale_fix, not_on_duty, no_member_record.


class FrameError(Exception):
    def __init__(self, code: ErrorCode) -> None:
        self.code = code
        super().__init__(code.value)


@dataclass(frozen=True)
class Hello:
    token: str
    since: int


@dataclass(frozen=True)
class Ack:
    seq: int


@dataclass(frozen=True)
class Ping:
    pass


@dataclass(frozen=True)
class Location:
    """A phone's position while on duty, as PUT /api/v1/me/location takes it."""

    lat: float
    lon: float
    datum: str | None
    accuracy_m: float | None
    at: datetime | None


ClientFrame = Hello | Ack | Ping | Location


def _non_negative_int(value: Any) -> int:
    # bool is an int subclass; `true` is not a sequence number.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 2**62:
        raise FrameError(ErrorCode.INVALID_FRAME)
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FrameError(ErrorCode.INVALID_FRAME)
    # JSON numbers are unbounded: an integer of 400 digits does not fit a float (OverflowError),
    # and `1e400`, `NaN` and `Infinity` parse to floats no coordinate or accuracy can be.
    try:
        number = float(value)
    except OverflowError:
        raise FrameError(ErrorCode.INVALID_FRAME) from None
    if not math.isfinite(number):
        raise FrameError(ErrorCode.INVALID_FRAME)
    return number


def _location(data: dict[str, Any]) -> Location:
    # Only the frame's shape is checked here; ranges, datums and duty are the service's to judge.
    datum, at = data.get("datum"), data.get("at")
    if datum is not None and (not isinstance(datum, str) or len(datum) > 8):
        raise FrameError(ErrorCode.INVALID_FRAME)
    taken: datetime | None = None
    if at is not None:
        try:
            taken = parse_datetime(at) if isinstance(at, str) and len(at) <= 40 else None
        except ValueError:  # well formed but no such time (month 13)
            taken = None
        if taken is None or taken.tzinfo is None:  # a naive time is ambiguous: say which zone
            raise FrameError(ErrorCode.INVALID_FRAME)
    accuracy = data.get("accuracy_m")
    return Location(
        lat=_number(data.get("lat")),
        lon=_number(data.get("lon")),
        datum=datum,
        accuracy_m=None if accuracy is None else _number(accuracy),
        at=taken,
    )


def parse(text: str) -> ClientFrame:
    """A client frame from its text, or FrameError with the code to answer."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep fit in one frame
        raise FrameError(ErrorCode.INVALID_JSON) from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise FrameError(ErrorCode.INVALID_FRAME)
    kind = data["type"]
    if kind == "ping":
        return Ping()
    if kind == "ack":
        return Ack(seq=_non_negative_int(data.get("seq")))
    if kind == "hello":
        token = data.get("token")
        if not isinstance(token, str):
            raise FrameError(ErrorCode.UNAUTHORIZED)
        return Hello(token=token, since=_non_negative_int(data.get("since", 0)))
    if kind == "location":
        return _location(data)
    raise FrameError(ErrorCode.UNKNOWN_TYPE)


def error(code: ErrorCode) -> str:
    return json.dumps({"type": "error", "code": code.value})


def refused(*, frame: str, code: str, message: str, details: Any) -> str:
    """The error frame for a client frame a service refused: the service's code, message and details."""
    body = {"type": "error", "code": code, "frame": frame, "message": message, "details": details}
    # `details` come from the service (numbers, strings, ISO times); anything else is shown as text.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)


def snapshot(sections: dict[str, Any]) -> str:
    """A dashboard's picture of its jurisdiction right after the welcome (ephemeral, never replayed)."""
    return dumps({"type": "snapshot", **sections})


def welcome(seq: int) -> str:
    return json.dumps({"type": "welcome", "seq": seq})


PONG = json.dumps({"type": "pong"})


# One encoder for every frame: `json.dumps` with options builds a new encoder per call.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(body: Any) -> str:
    """Compact JSON, as it goes on the wire (UTF-8 kept: Chinese text stays readable and short)."""
    return _encode(body)


def with_members(object_json: str, members_json: str) -> str:
    """A JSON object's text with more members appended: `{"a":1}` + `"b":2` -> `{"a":1,"b":2}`.

    Both are compact JSON from `dumps`; the object is never empty (an event has a `type`)
    and names none of the added members.
    """
    return f"{object_json[:-1]},{members_json}}}" if members_json else object_json


def members_each(values: Mapping[K, Mapping[str, Any]]) -> dict[K, str]:
    """Each key's values as JSON members without braces, for `with_members`: the text of `dumps(v)[1:-1]`.

    Every mapping names the same fields (a publish's personal fields). Built a field at a
    time, numbers and null without the encoder: for an alert to 2,000 people, 1.3 ms
    instead of 3.2 ms of encoding one small dict per person.
    """
    columns = []
    for name in next(iter(values.values()), {}):
        key = dumps(name) + ":"
        columns.append([key + _scalar(person[name]) for person in values.values()])
    if not columns:  # no personal fields (or nobody): every copy is the shared object
        return dict.fromkeys(values, "")
    return dict(zip(values, map(",".join, zip(*columns, strict=True)), strict=True))


def _scalar(value: Any) -> str:
    kind = type(value)
    if (kind is float or kind is int) and value - value == 0:  # finite (NaN and infinity as dumps has them)
        return repr(value)
    return "null" if value is None else dumps(value)


def durable(seq: int, body_json: str) -> str:
    """A durable event frame; `body_json` is the event, serialised once per publish, not per socket."""
    return f'{{"type":"event","seq":{seq},"event":{body_json}}}'


def ephemeral(body_json: str) -> str:
    """An ephemeral event frame: no seq, never replayed."""
    return f'{{"type":"event","event":{body_json}}}'


def presence(counts: dict[str, int]) -> str:
    return json.dumps({"type": "presence", "online": counts}, sort_keys=True)
