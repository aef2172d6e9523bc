"""Who sees which venues of a session, and which room is a reader's own (the join link, the calendar's location).

A city video session has the host's room at the city and one room per county it is relayed to, whose contact
is that county's coordinator: a county's people see their own county's rooms and the host's, never another's.
"""

from __future__ import annotations

from typing import Any

import pytest
from icalendar import Calendar

from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN, XUNXIAN_TOWNSHIP
from tests.training.conftest import create_session
from training.models import Venue

pytestmark = pytest.mark.django_db

CITY = "410600"
CHAOGE = "410622001"  # 朝歌街道, 淇县's first township: where make_person puts its coordinator


@pytest.fixture
def city_meeting(clock, make_person, login, session_body) -> dict[str, Any]:
    """A city video meeting for everyone: a volunteer in 淇县 and one in 浚县, and both counties' coordinators
    (who live in their county's first township, 朝歌街道 and 卫溪街道), to whom it is relayed."""
    coordinators = {
        code: make_person("county_coordinator", code, name=name) for code, name in [(QIXIAN, "张淇"), (XUNXIAN, "李浚")]
    }
    invitee = make_person("volunteer", QIXIAN_TOWNSHIP)
    make_person("volunteer", XUNXIAN_TOWNSHIP)
    host = make_person("city_admin", CITY)
    created = create_session(login(host), session_body())
    rooms = {v.area_id: v for v in Venue.objects.filter(session_id=created["id"])}
    return {
        "id": created["id"],
        "url": f"/api/v1/sessions/{created['id']}",
        "host": login(host),
        "invitee": invitee,
        "coordinators": coordinators,
        "rooms": rooms,
    }


def _rooms(client, url: str) -> tuple[list[tuple[str, str]], int | None]:
    body = client.get(url).json()
    return [(v["area_code"], v["contact_name"]) for v in body["venues"]], body["own_venue_id"]


def test_a_city_session_has_the_hosts_room_and_one_room_per_county_led_by_its_coordinator(city_meeting):
    rooms = city_meeting["rooms"]

    assert {code: v.contact_name for code, v in rooms.items()} == {CITY: "", QIXIAN: "张淇", XUNXIAN: "李浚"}
    assert all(v.join_url for v in rooms.values())


def test_a_qixian_invitee_sees_qixians_room_and_the_hosts_but_not_xunxians(city_meeting, login):
    client = login(city_meeting["invitee"])
    xunxian = city_meeting["rooms"][XUNXIAN]

    venues, own = _rooms(client, city_meeting["url"])
    raw = client.get(city_meeting["url"]).content.decode()

    assert venues == [(CITY, ""), (QIXIAN, "张淇")]
    assert own == city_meeting["rooms"][QIXIAN].pk
    for leak in (xunxian.name, xunxian.join_url, "李浚"):
        assert leak not in raw


def test_the_city_host_sees_every_room_and_their_own_is_the_citys(city_meeting):
    venues, own = _rooms(city_meeting["host"], city_meeting["url"])

    assert venues == [(CITY, ""), (XUNXIAN, "李浚"), (QIXIAN, "张淇")]
    assert own == city_meeting["rooms"][CITY].pk


def test_each_county_coordinator_sees_their_own_countys_rooms_and_the_hosts(city_meeting, login):
    seen = {code: _rooms(login(person), city_meeting["url"]) for code, person in city_meeting["coordinators"].items()}

    rooms = city_meeting["rooms"]
    assert seen == {
        QIXIAN: ([(CITY, ""), (QIXIAN, "张淇")], rooms[QIXIAN].pk),
        XUNXIAN: ([(CITY, ""), (XUNXIAN, "李浚")], rooms[XUNXIAN].pk),
    }


def _confirm_qixian(city_meeting, login) -> dict[str, Venue]:
    """淇县 confirms with a room of its own in 高村镇: the session goes on to 高村镇 and 朝歌街道, each with a room."""
    confirmed = login(city_meeting["coordinators"][QIXIAN]).post(
        f"{city_meeting['url']}/relays/{QIXIAN}/confirm",
        {"venues": [{"area_code": QIXIAN_TOWNSHIP, "name": "高村镇会议室", "contact_name": "王"}]},
    )
    assert confirmed.status_code == 200, confirmed.content
    rooms = Venue.objects.filter(session_id=city_meeting["id"], area__code__startswith=QIXIAN).exclude(area_id=QIXIAN)
    return {v.key: v for v in rooms}


def test_a_township_room_becomes_its_invitees_own_and_is_seen_only_inside_its_county(city_meeting, login):
    township = _confirm_qixian(city_meeting, login)

    invitee = _rooms(login(city_meeting["invitee"]), city_meeting["url"])
    qixian = _rooms(login(city_meeting["coordinators"][QIXIAN]), city_meeting["url"])
    xunxian = _rooms(login(city_meeting["coordinators"][XUNXIAN]), city_meeting["url"])

    assert sorted(township) == [CHAOGE, QIXIAN_TOWNSHIP, f"{QIXIAN_TOWNSHIP}-2"]
    assert township[QIXIAN_TOWNSHIP].name == "高村镇会议室"
    # 高村镇's own rooms (the one given first), not its neighbour 朝歌街道's.
    assert invitee == (
        [(CITY, ""), (QIXIAN, "张淇"), (QIXIAN_TOWNSHIP, "王"), (QIXIAN_TOWNSHIP, "")],
        township[QIXIAN_TOWNSHIP].pk,
    )
    # The county coordinator sees every room in the county; their own is their home township's.
    assert qixian == (
        [(CITY, ""), (QIXIAN, "张淇"), (CHAOGE, ""), (QIXIAN_TOWNSHIP, "王"), (QIXIAN_TOWNSHIP, "")],
        township[CHAOGE].pk,
    )
    assert xunxian == ([(CITY, ""), (XUNXIAN, "李浚")], city_meeting["rooms"][XUNXIAN].pk)


def test_my_sessions_names_no_other_countys_room(city_meeting, login):
    xunxian = city_meeting["rooms"][XUNXIAN]

    response = login(city_meeting["invitee"]).get("/api/v1/me/sessions")

    assert [s["id"] for s in response.json()["items"]] == [city_meeting["id"]]
    for leak in (xunxian.name, xunxian.join_url, "李浚"):
        assert leak not in response.content.decode()


def _event(response) -> Any:
    assert response.status_code == 200, response.content
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    return event


def test_the_invitees_calendar_feed_points_at_their_countys_room_and_never_names_another(city_meeting, login, anon):
    client = login(city_meeting["invitee"])
    url = client.post("/api/v1/me/calendar").json()["url"].replace("http://testserver", "")
    rooms = city_meeting["rooms"]

    feed = _event(anon.get(url))
    single = _event(client.get(f"{city_meeting['url']}/ics"))

    for event in (feed, single):
        assert (str(event["LOCATION"]), str(event["URL"])) == (rooms[QIXIAN].name, rooms[QIXIAN].join_url)
        assert str(event["DESCRIPTION"]).splitlines() == [
            f"{rooms[CITY].name}: {rooms[CITY].join_url}",
            f"{rooms[QIXIAN].name}: {rooms[QIXIAN].join_url}",
        ]


def test_the_hosts_calendar_file_lists_every_room_and_points_at_the_hosts(city_meeting):
    rooms = city_meeting["rooms"]

    event = _event(city_meeting["host"].get(f"{city_meeting['url']}/ics"))

    assert str(event["LOCATION"]) == rooms[CITY].name
    assert str(event["DESCRIPTION"]).splitlines() == [
        f"{rooms[code].name}: {rooms[code].join_url}" for code in (CITY, XUNXIAN, QIXIAN)
    ]


def test_the_feed_of_a_coordinator_shows_only_the_rooms_of_their_own_invitation(city_meeting, login, anon):
    """The feed needs no login: whatever its owner's roles, it shows what an invitee from their home sees."""
    township = _confirm_qixian(city_meeting, login)
    client = login(city_meeting["coordinators"][QIXIAN])
    url = client.post("/api/v1/me/calendar").json()["url"].replace("http://testserver", "")

    feed = _event(anon.get(url))
    single = _event(client.get(f"{city_meeting['url']}/ics"))

    assert str(feed["LOCATION"]) == township[CHAOGE].name
    assert [line.split(": ")[1] for line in str(feed["DESCRIPTION"]).splitlines()] == [
        city_meeting["rooms"][CITY].join_url,
        city_meeting["rooms"][QIXIAN].join_url,
        township[CHAOGE].join_url,
    ]
    # Signed in, the coordinator's own calendar file also lists the rooms of the county's other townships.
    assert "高村镇会议室" in str(single["DESCRIPTION"])
