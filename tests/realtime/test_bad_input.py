"""Bad frames and floods: an error frame or a documented close; every other socket carries on."""

from __future__ import annotations

import json

import pytest

from realtime.protocol import MAX_FRAME_BYTES, CloseCode
from tests.realtime.conftest import publish_notes, token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def volunteer(make_person):
    person = make_person("volunteer")
    return person, token_for(person)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "ack"}', "invalid_frame"),
        ('{"type": "ack", "seq": "3"}', "invalid_frame"),
        ('{"type": "ack", "seq": true}', "invalid_frame"),
        ('{"type": "ack", "seq": -1}', "invalid_frame"),
        ('{"seq": 3}', "invalid_frame"),
        # Numbers no float holds: JSON integers are unbounded, and Python's parser takes 1e400, NaN, Infinity.
        ('{"type": "location", "lat": 1' + "0" * 400 + ', "lon": 114.2}', "invalid_frame"),
        ('{"type": "location", "lat": 35.7, "lon": 1e400}', "invalid_frame"),
        ('{"type": "location", "lat": NaN, "lon": 114.2}', "invalid_frame"),
        ('{"type": "location", "lat": 35.7, "lon": 114.2, "accuracy_m": -Infinity}', "invalid_frame"),
    ],
)
async def test_a_malformed_frame_gets_an_error_and_the_socket_stays_open(volunteer, sockets, frame, code):
    _person, token = volunteer
    phone = await sockets()
    await phone.hello(token)

    await phone.send(frame)

    assert await phone.receive() == {"type": "error", "code": code}
    await phone.send({"type": "ping"})
    assert await phone.receive() == {"type": "pong"}


async def test_a_location_frame_with_a_400_digit_number_before_hello_is_an_error_and_hello_still_works(
    volunteer, sockets
):
    _person, token = volunteer
    phone = await sockets()

    await phone.send('{"type": "location", "lat": 1' + "0" * 400 + ', "lon": 114.2}')

    assert await phone.receive() == {"type": "error", "code": "invalid_frame"}
    assert (await phone.hello(token))["type"] == "welcome"


async def test_a_bad_token_gets_unauthorized_and_close_4401(sockets):
    phone = await sockets()

    assert await phone.hello("zq_not-a-token") == {"type": "error", "code": "unauthorized"}
    assert await phone.closed_with() == CloseCode.UNAUTHORIZED == 4401


async def test_a_hello_without_a_token_gets_unauthorized_and_close_4401(sockets):
    phone = await sockets()

    await phone.send({"type": "hello", "since": 0})

    assert await phone.receive() == {"type": "error", "code": "unauthorized"}
    assert await phone.closed_with() == 4401


async def test_frames_before_hello_are_refused_until_hello(volunteer, sockets):
    _person, token = volunteer
    phone = await sockets()

    await phone.send({"type": "ping"})
    assert await phone.receive() == {"type": "error", "code": "not_ready"}
    assert (await phone.hello(token))["type"] == "welcome"


async def test_a_second_hello_is_an_error(volunteer, sockets):
    _person, token = volunteer
    phone = await sockets()
    await phone.hello(token)

    assert await phone.hello(token) == {"type": "error", "code": "already_ready"}


async def test_a_socket_that_never_says_hello_is_closed_4408(settings, sockets):
    settings.WS_HELLO_TIMEOUT = 0.2
    phone = await sockets()

    assert await phone.receive() == {"type": "error", "code": "hello_timeout"}
    assert await phone.closed_with() == 4408


async def test_a_frame_over_64_kib_closes_4413_and_other_sockets_carry_on(volunteer, sockets):
    person, token = volunteer
    bystander = await sockets()
    await bystander.hello(token)
    phone = await sockets()
    await phone.hello(token)

    await phone.send(json.dumps({"type": "ping", "pad": "x" * MAX_FRAME_BYTES}))

    assert await phone.receive() == {"type": "error", "code": "frame_too_big"}
    assert await phone.closed_with() == 4413
    await publish_notes([person.pk], [1])
    assert (await bystander.receive())["seq"] == 1


async def test_a_binary_frame_closes_4400(volunteer, sockets):
    _person, token = volunteer
    phone = await sockets()
    await phone.hello(token)

    await phone.comm.send_to(bytes_data=b"\x00\x01")

    assert await phone.receive() == {"type": "error", "code": "invalid_frame"}
    assert await phone.closed_with() == 4400


async def test_a_flooding_client_is_closed_4429_and_other_sockets_carry_on(settings, volunteer, sockets):
    settings.WS_MAX_FRAMES_PER_SECOND = 5
    _person, token = volunteer
    bystander = await sockets()
    await bystander.hello(token)
    phone = await sockets()
    await phone.hello(token)

    for _ in range(30):
        await phone.send({"type": "ping"})

    frames = []
    for _ in range(30):
        frame = await phone.receive()
        frames.append(frame)
        if frame["type"] == "error":
            break
    assert frames[-1] == {"type": "error", "code": "flood"}
    assert len(frames) <= 11  # the burst allowance (2 x 5) of pongs, then the error
    assert await phone.closed_with() == 4429
    await bystander.send({"type": "ping"})
    assert await bystander.receive() == {"type": "pong"}


async def test_a_browser_from_another_origin_is_refused(sockets):
    from tests.realtime.conftest import Socket

    evil = Socket("/ws/v1/phone", headers=[(b"origin", b"https://evil.example")])

    assert await evil.open() is False


async def test_a_browser_from_an_allowed_host_and_a_client_without_origin_are_accepted(volunteer, sockets):
    _person, token = volunteer
    browser = await sockets(origin="http://localhost:8000")
    app = await sockets()

    assert (await browser.hello(token))["type"] == "welcome"
    assert (await app.hello(token))["type"] == "welcome"
