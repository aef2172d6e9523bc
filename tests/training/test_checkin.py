from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.models import AuditEntry
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN, XUNXIAN_TOWNSHIP
from tests.redis_outage import redis_down
from tests.training.conftest import T0, create_session, events_of
from training import codes
from training.models import Attendance, Session
from training.services.attendance import sessions_close_due

pytestmark = pytest.mark.django_db

START = T0 + timedelta(hours=1)


@pytest.fixture
def meeting(clock, make_person, login, session_body):
    host = make_person("county_coordinator", QIXIAN)
    people = [make_person("volunteer", QIXIAN_TOWNSHIP) for _ in range(3)]
    created = create_session(login(host), session_body(start=START, end=START + timedelta(hours=1)))
    session = Session.objects.get(pk=created["id"])
    return {"session": session, "host": login(host), "people": people, "url": f"/api/v1/sessions/{session.pk}"}


def code_back(session: Session, at, windows: int) -> str:
    return codes.code_for(session.secret, codes.window_of(at) - windows)


def test_the_current_and_the_previous_code_work_and_an_older_one_has_expired(meeting, clock, login):
    clock.set(START - timedelta(minutes=5))
    a, b, c = (login(p) for p in meeting["people"])

    current = a.post(f"{meeting['url']}/checkin", {"code": code_back(meeting["session"], clock.at, 0)})
    previous = b.post(f"{meeting['url']}/checkin", {"code": code_back(meeting["session"], clock.at, 1)})
    older = c.post(f"{meeting['url']}/checkin", {"code": code_back(meeting["session"], clock.at, 2)})

    assert (current.status_code, current.json()["status"]) == (200, "present")
    assert (previous.status_code, previous.json()["status"]) == (200, "present")
    assert (older.status_code, older.json()["code"]) == (422, "expired_code")
    assert Attendance.objects.get(session=meeting["session"], person=meeting["people"][2]).status == "invited"


def test_the_host_gets_the_current_code_with_its_rotation_time_and_a_qr_image(meeting, clock):
    clock.set(START - timedelta(minutes=1, seconds=7))

    response = meeting["host"].get(f"{meeting['url']}/checkin-code")

    body = response.json()
    assert response.status_code == 200
    assert body["code"] == code_back(meeting["session"], clock.at, 0)
    assert len(body["code"]) == 6
    rotates = datetime.fromtimestamp((codes.window_of(clock.at) + 1) * codes.WINDOW_S, tz=UTC)
    assert datetime.fromisoformat(body["valid_until"]) == rotates
    assert body["qr_svg"].startswith("data:image/svg+xml")


def test_an_invitee_may_not_fetch_the_code(meeting, login):
    assert login(meeting["people"][0]).get(f"{meeting['url']}/checkin-code").status_code == 404


@pytest.mark.parametrize(
    ("after_start", "expected"),
    [
        (timedelta(minutes=-30), "present"),
        (timedelta(minutes=10), "present"),
        (timedelta(minutes=10, seconds=1), "late"),
        (timedelta(minutes=59, seconds=59), "late"),
    ],
)
def test_present_up_to_start_plus_grace_and_late_after(meeting, clock, login, after_start, expected):
    clock.set(START + after_start)

    response = login(meeting["people"][0]).post(
        f"{meeting['url']}/checkin", {"code": code_back(meeting["session"], clock.at, 0)}
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == expected


def test_whoever_never_checked_in_is_absent_when_the_session_closes(meeting, clock, login):
    clock.set(START)
    login(meeting["people"][0]).post(f"{meeting['url']}/checkin", {"code": code_back(meeting["session"], clock.at, 0)})
    clock.set(START + timedelta(minutes=25))
    login(meeting["people"][1]).post(f"{meeting['url']}/checkin", {"code": code_back(meeting["session"], clock.at, 0)})

    clock.set(START + timedelta(hours=1))
    closed = (sessions_close_due(now=clock.at), sessions_close_due(now=clock.at))

    assert closed == (1, 0)
    assert meeting["host"].get(f"{meeting['url']}/attendance").json() == {
        "session_id": meeting["session"].pk,
        "invited": 0,
        "present": 1,
        "late": 1,
        "absent": 1,
        "excused": 0,
        "total": 3,
    }


@pytest.mark.parametrize(
    ("at", "status", "code"),
    [
        (START - timedelta(minutes=31), 409, "checkin_not_open"),
        (START + timedelta(hours=1), 409, "session_ended"),
    ],
)
def test_check_in_is_open_from_30_minutes_before_until_the_end(meeting, clock, login, at, status, code):
    clock.set(at)

    response = login(meeting["people"][0]).post(
        f"{meeting['url']}/checkin", {"code": code_back(meeting["session"], clock.at, 0)}
    )

    assert (response.status_code, response.json()["code"]) == (status, code)


def test_a_second_check_in_conflicts(meeting, clock, login):
    clock.set(START)
    client = login(meeting["people"][0])
    code = code_back(meeting["session"], clock.at, 0)

    first = client.post(f"{meeting['url']}/checkin", {"code": code})
    second = client.post(f"{meeting['url']}/checkin", {"code": code})

    assert first.status_code == 200
    assert (second.status_code, second.json()["code"]) == (409, "already_checked_in")


def test_someone_not_invited_cannot_check_in(meeting, clock, login, make_person):
    clock.set(START)
    code = code_back(meeting["session"], clock.at, 0)

    stranger = login(make_person("volunteer", XUNXIAN_TOWNSHIP)).post(f"{meeting['url']}/checkin", {"code": code})
    colleague = login(make_person("township_coordinator", QIXIAN_TOWNSHIP, home=XUNXIAN_TOWNSHIP)).post(
        f"{meeting['url']}/checkin", {"code": code}
    )

    assert stranger.status_code == 404
    assert (colleague.status_code, colleague.json()["code"]) == (403, "not_invited")


def test_a_cancelled_session_takes_no_check_ins(meeting, clock, login):
    meeting["host"].post(f"{meeting['url']}/cancel", {"reason": ""})
    clock.set(START)

    response = login(meeting["people"][0]).post(
        f"{meeting['url']}/checkin", {"code": code_back(meeting["session"], clock.at, 0)}
    )

    assert (response.status_code, response.json()["code"]) == (409, "session_cancelled")


def test_a_code_typed_in_full_width_digits_checks_in(meeting, clock, login):
    clock.set(START)
    right = code_back(meeting["session"], clock.at, 0)
    # What a Chinese input method in full-width mode types for those digits, with a stray space.
    full_width = "".join(chr(ord(digit) - ord("0") + ord("０")) for digit in right) + "\u3000"

    response = login(meeting["people"][0]).post(f"{meeting['url']}/checkin", {"code": full_width})

    assert (response.status_code, response.json()["status"]) == (200, "present")
    assert Attendance.objects.get(session=meeting["session"], person=meeting["people"][0]).status == "present"


@pytest.mark.parametrize(
    "typed",
    [
        "１２３４５６",  # full-width, but not the code
        "١٢٣٤٥٦",  # Arabic-Indic digits: digits, not the ones on the screen
        "一二三四五六",
        "12345６７",  # seven digits once normalised
        "ｅｘａｍｐｌ",
    ],
)
def test_a_non_ascii_code_that_is_not_the_code_is_a_wrong_code_and_counts_as_a_guess(meeting, clock, login, typed):
    clock.set(START)
    invitee = meeting["people"][0]
    client = login(invitee)

    response = client.post(f"{meeting['url']}/checkin", {"code": typed})

    assert (response.status_code, response.json()["code"]) == (422, "wrong_code")
    assert Attendance.objects.get(session=meeting["session"], person=invitee).status == "invited"
    for _ in range(4):
        client.post(f"{meeting['url']}/checkin", {"code": typed})
    assert client.post(f"{meeting['url']}/checkin", {"code": typed}).json()["code"] == "too_many_attempts"


def test_wrong_codes_are_rate_limited_per_person(meeting, clock, login):
    clock.set(START)
    guesser, other = login(meeting["people"][0]), login(meeting["people"][1])
    right = code_back(meeting["session"], clock.at, 0)
    wrong = "000000" if right != "000000" else "111111"

    answers = [guesser.post(f"{meeting['url']}/checkin", {"code": wrong}).json()["code"] for _ in range(5)]
    blocked = guesser.post(f"{meeting['url']}/checkin", {"code": right})
    unaffected = other.post(f"{meeting['url']}/checkin", {"code": right})
    clock.advance(seconds=61)

    assert answers == ["wrong_code"] * 5
    assert (blocked.status_code, blocked.json()["code"]) == (429, "too_many_attempts")
    assert unaffected.status_code == 200


def test_an_approved_leave_request_excuses_and_a_rejected_one_does_not(meeting, clock, login):
    first, second = login(meeting["people"][0]), login(meeting["people"][1])
    asked = first.post(f"{meeting['url']}/leave", {"reason": "值班"}).json()
    other = second.post(f"{meeting['url']}/leave", {"reason": "出差"}).json()

    approved = meeting["host"].post(f"{meeting['url']}/leave/{asked['id']}/decision", {"approve": True})
    rejected = meeting["host"].post(f"{meeting['url']}/leave/{other['id']}/decision", {"approve": False})
    again = meeting["host"].post(f"{meeting['url']}/leave/{asked['id']}/decision", {"approve": False})

    assert approved.json()["status"] == "approved"
    assert rejected.json()["status"] == "rejected"
    assert (again.status_code, again.json()["code"]) == (409, "leave_already_decided")
    statuses = dict(Attendance.objects.filter(session=meeting["session"]).values_list("person_id", "status"))
    assert statuses[meeting["people"][0].pk] == "excused"
    assert statuses[meeting["people"][1].pk] == "invited"


def test_my_sessions_and_the_leave_list_show_each_leave_request_and_its_decision_and_the_requester_is_told(
    meeting, login
):
    first, second, third = (login(p) for p in meeting["people"])
    asked = first.post(f"{meeting['url']}/leave", {"reason": "值班"}).json()
    other = second.post(f"{meeting['url']}/leave", {"reason": "出差"}).json()
    waiting = [i["leave"] for i in first.get("/api/v1/me/sessions").json()["items"]]

    meeting["host"].post(f"{meeting['url']}/leave/{asked['id']}/decision", {"approve": True})
    meeting["host"].post(f"{meeting['url']}/leave/{other['id']}/decision", {"approve": False})

    def mine(client):
        item = client.get("/api/v1/me/sessions").json()["items"][0]
        return item["attendance"], item["leave"]

    assert waiting == ["pending"]
    assert mine(first) == ("excused", "approved")
    assert mine(second) == ("invited", "rejected")
    assert mine(third) == ("invited", None)
    listed = meeting["host"].get(f"{meeting['url']}/leave").json()["items"]
    assert [(x["name"], x["area_code"], x["status"]) for x in listed] == [
        (meeting["people"][0].name, QIXIAN_TOWNSHIP, "approved"),
        (meeting["people"][1].name, QIXIAN_TOWNSHIP, "rejected"),
    ]
    assert [e["approved"] for e in events_of(meeting["people"][0], "session.leave_decided")] == [True]
    assert [e["approved"] for e in events_of(meeting["people"][1], "session.leave_decided")] == [False]
    assert events_of(meeting["people"][2], "session.leave_decided") == []


def test_asking_for_leave_is_audited_under_the_invitees_home_area(meeting, login):
    person = meeting["people"][0]

    asked = login(person).post(f"{meeting['url']}/leave", {"reason": "值班"})

    assert asked.status_code == 201
    entry = AuditEntry.objects.get(action="session_action", details__what="leave_request")
    assert (entry.actor_id, entry.object_id, entry.area_code) == (
        person.user_id,
        str(meeting["session"].pk),
        QIXIAN_TOWNSHIP,
    )
    assert entry.details == {"what": "leave_request", "person_id": person.pk, "leave_id": asked.json()["id"]}


def test_the_host_marks_attendance_by_hand_and_it_is_audited(meeting, login):
    person = meeting["people"][2]

    response = meeting["host"].send(
        "put", f"{meeting['url']}/attendance/{person.pk}", {"status": "present", "note": "视频点名"}
    )
    invitee = login(meeting["people"][0]).send("put", f"{meeting['url']}/attendance/{person.pk}", {"status": "absent"})

    assert response.status_code == 200
    assert response.json()["status"] == "present"
    entry = AuditEntry.objects.get(details__what="attendance_mark")
    assert entry.details["person_id"] == person.pk
    assert (entry.details["before"], entry.details["after"]) == ("invited", "present")
    assert invitee.status_code == 404


def test_the_host_marks_someone_late_by_hand_checked_in_now_audited_and_counted(meeting, clock, login):
    person = meeting["people"][1]
    clock.set(START + timedelta(minutes=25))  # came in after the grace, told the host in the video room

    response = meeting["host"].send(
        "put", f"{meeting['url']}/attendance/{person.pk}", {"status": "late", "note": "迟到入会"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["person_id"], body["status"]) == (person.pk, "late")
    assert datetime.fromisoformat(body["checked_in_at"]) == clock.at
    entry = AuditEntry.objects.get(details__what="attendance_mark")
    assert (entry.object_id, entry.area_code) == (str(meeting["session"].pk), QIXIAN)
    assert entry.details == {
        "what": "attendance_mark",
        "person_id": person.pk,
        "before": "invited",
        "after": "late",
        "note": "迟到入会",
    }
    counts = meeting["host"].get(f"{meeting['url']}/attendance").json()
    assert (counts["late"], counts["present"], counts["invited"]) == (1, 0, 2)


def test_a_late_hand_mark_is_taken_from_the_hosts_and_the_room_of_the_persons_own_township(
    meeting, clock, login, make_person
):
    person = meeting["people"][1]
    clock.set(START + timedelta(minutes=25))
    url = f"{meeting['url']}/attendance/{person.pk}"
    lower = login(make_person("township_coordinator", QIXIAN_TOWNSHIP))  # the person's township's room
    other_county = login(make_person("county_coordinator", XUNXIAN))
    invitee = login(meeting["people"][0])

    refused = [client.send("put", url, {"status": "late"}) for client in (other_county, invitee)]
    stranger = make_person("volunteer", XUNXIAN_TOWNSHIP)  # never invited
    not_invited = meeting["host"].send("put", f"{meeting['url']}/attendance/{stranger.pk}", {"status": "late"})

    assert [r.status_code for r in refused] == [404, 404]
    assert (not_invited.status_code, not_invited.json()["code"]) == (404, "not_invited")
    assert Attendance.objects.get(session=meeting["session"], person=person).status == "invited"
    assert not AuditEntry.objects.filter(details__what="attendance_mark").exists()
    # The township's own room takes its people's roll (tests/training/test_room_roll.py for a city meeting).
    assert lower.send("put", url, {"status": "late"}).status_code == 200
    assert Attendance.objects.get(session=meeting["session"], person=person).status == "late"


def test_an_in_person_geofenced_session_takes_check_ins_only_at_the_venue(clock, make_person, login, session_body):
    host = make_person("county_coordinator", QIXIAN)
    person = make_person("volunteer", QIXIAN_TOWNSHIP)
    venue = {"area_code": QIXIAN_TOWNSHIP, "name": "派出所", "lat": 35.6, "lon": 114.2, "geofence_m": 200}
    created = create_session(
        login(host), session_body(mode="in_person", venues=[venue], start=START, end=START + timedelta(hours=1))
    )
    session = Session.objects.get(pk=created["id"])
    clock.set(START)
    client, url = login(person), f"/api/v1/sessions/{session.pk}/checkin"
    code = code_back(session, clock.at, 0)

    nowhere = client.post(url, {"code": code})
    far = client.post(url, {"code": code, "lat": 35.61, "lon": 114.2})
    near = client.post(url, {"code": code, "lat": 35.6005, "lon": 114.2})

    assert (nowhere.status_code, nowhere.json()["code"]) == (422, "location_required")
    assert (far.status_code, far.json()["code"]) == (422, "outside_geofence")
    assert near.status_code == 200


def test_errors_speak_the_callers_language(meeting, clock, login):
    clock.set(START)
    client = login(meeting["people"][0])

    chinese = client.post(f"{meeting['url']}/checkin", {"code": "abc"})
    english = client.post(f"{meeting['url']}/checkin", {"code": "abc"}, headers={"HTTP_ACCEPT_LANGUAGE": "en"})

    assert (chinese.json()["code"], chinese.json()["message"]) == ("wrong_code", "签到码错误。")
    assert english.json()["message"] == "Wrong check-in code."


def test_a_check_in_while_redis_is_down_answers_503_checkin_unavailable_and_records_nothing(meeting, clock, login):
    clock.set(START)
    invitee = login(meeting["people"][0])
    right = code_back(meeting["session"], clock.at, 0)

    with redis_down():
        response = invitee.post(f"{meeting['url']}/checkin", {"code": right})

    assert (response.status_code, response.json()["code"], response["Retry-After"]) == (503, "checkin_unavailable", "5")
    assert Attendance.objects.get(session=meeting["session"], person=meeting["people"][0]).status == "invited"
    # Redis is back: the same code checks in.
    assert invitee.post(f"{meeting['url']}/checkin", {"code": right}).json()["status"] == "present"


def test_the_host_lists_leave_requests_a_page_at_a_time(meeting, login):
    for person, reason in zip(meeting["people"][:3], ("值班", "出差", "病假"), strict=True):
        login(person).post(f"{meeting['url']}/leave", {"reason": reason})

    first = meeting["host"].get(f"{meeting['url']}/leave", limit=2).json()
    rest = meeting["host"].get(f"{meeting['url']}/leave", limit=2, offset=2).json()

    assert ([x["reason"] for x in first["items"]], first["count"]) == (["值班", "出差"], 3)
    assert ([x["reason"] for x in rest["items"]], rest["count"]) == (["病假"], 3)
