from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core.models import AuditEntry
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN, XUNXIAN_TOWNSHIP
from tests.training.conftest import T0, create_session, events_of
from training.models import Attendance, Reminder, Session

pytestmark = pytest.mark.django_db


def test_a_county_coordinator_schedules_a_session_and_every_invitee_gets_the_invitation(
    clock, make_person, login, session_body, django_capture_on_commit_callbacks
):
    host = make_person("county_coordinator", QIXIAN)
    invitees = [make_person("volunteer", QIXIAN_TOWNSHIP) for _ in range(3)]
    outsider = make_person("volunteer", XUNXIAN_TOWNSHIP)

    with django_capture_on_commit_callbacks(execute=True):
        body = create_session(login(host), session_body(area_codes=[QIXIAN]))

    assert body["invitees"] == 3
    assert body["host_area_code"] == QIXIAN
    assert body["status"] == "scheduled"
    # The host's room and one per township it is relayed to, each with its own join link.
    assert [v["area_code"] for v in body["venues"]] == [QIXIAN, QIXIAN_TOWNSHIP]
    assert all(v["join_url"].startswith("https://meet.example.invalid/zhengqi-") for v in body["venues"])
    assert len({v["join_url"] for v in body["venues"]}) == 2
    for person in invitees:
        assert [e["session"]["id"] for e in events_of(person, "session.invited")] == [body["id"]]
    assert events_of(outsider, "session.invited") == []
    assert sorted(Reminder.objects.filter(session_id=body["id"]).values_list("minutes_before", flat=True)) == [5, 30]
    assert AuditEntry.objects.filter(object_type="session", object_id=str(body["id"])).count() == 1


def test_roles_narrow_the_audience_and_teams_add_to_it(clock, make_person, login, session_body, team_in):
    host = make_person("county_coordinator", QIXIAN)
    team = team_in(QIXIAN_TOWNSHIP)
    volunteer = make_person("volunteer", QIXIAN_TOWNSHIP)
    make_person("liaison", QIXIAN_TOWNSHIP)
    member = make_person("liaison", QIXIAN_TOWNSHIP, team=team)

    by_role = create_session(login(host), session_body(roles=["volunteer"]))
    by_team = create_session(login(host), session_body(team_ids=[team.pk]))

    assert set(Attendance.objects.filter(session_id=by_role["id"]).values_list("person_id", flat=True)) == {
        volunteer.pk
    }
    assert set(Attendance.objects.filter(session_id=by_team["id"]).values_list("person_id", flat=True)) == {member.pk}


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"end": T0 + timedelta(days=1)}, "end_before_start", "end"),
        ({"start": T0 - timedelta(hours=1), "end": T0 + timedelta(hours=1)}, "start_in_past", "start"),
        ({"start": T0 + timedelta(days=1), "end": T0 + timedelta(days=3)}, "session_too_long", "end"),
    ],
)
def test_a_refused_time_names_its_field_for_the_form(clock, make_person, login, session_body, change, code, field):
    host = make_person("county_coordinator", QIXIAN)
    make_person("volunteer", QIXIAN_TOWNSHIP)
    body = session_body(**change)

    response = login(host).post("/api/v1/sessions", body)

    assert (response.status_code, response.json()["code"], response.json()["details"]) == (422, code, {"field": field})


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"end": T0 + timedelta(days=1)}, 422, "end_before_start"),
        ({"start": T0 - timedelta(hours=1), "end": T0 + timedelta(hours=1)}, 422, "start_in_past"),
        # Outside the caller's jurisdiction is 404 (the contract); an unknown code is the caller's typo.
        ({"area_codes": [XUNXIAN]}, 404, "audience_outside_jurisdiction"),
        ({"area_codes": ["999999"]}, 422, "unknown_area"),
        ({"host_area_code": XUNXIAN}, 404, "host_area_outside_jurisdiction"),
        ({"host_area_code": "419999"}, 422, "unknown_area"),
        ({"team_ids": [987654]}, 404, "unknown_team"),
        ({"sectors": ["astronauts"]}, 422, "unknown_sector"),
        ({"start": T0 + timedelta(days=1), "end": T0 + timedelta(days=3)}, 422, "session_too_long"),
        ({"kind": "party"}, 422, "invalid_input"),
        ({"start": "2026-06-02T09:00:00"}, 422, "invalid_input"),
        ({"relay_deadline": "2026-06-01T18:00:00"}, 422, "invalid_input"),
        ({"surprise": 1}, 422, "invalid_input"),
    ],
)
def test_bad_input_is_a_specific_error_and_writes_nothing(
    clock, make_person, login, session_body, change, status, code
):
    host = make_person("county_coordinator", QIXIAN)
    make_person("volunteer", QIXIAN_TOWNSHIP)

    times = {k: v for k, v in change.items() if isinstance(v, datetime)}
    body = {**session_body(**times), **{k: v for k, v in change.items() if k not in times}}

    response = login(host).post("/api/v1/sessions", body)

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert Session.objects.count() == 0
    assert Attendance.objects.count() == 0


@pytest.mark.parametrize("after_start", [timedelta(minutes=1), timedelta(days=-2)])
def test_a_receipt_deadline_outside_now_to_start_is_refused_naming_the_field_and_writes_nothing(
    clock, make_person, login, session_body, after_start
):
    host = make_person("county_coordinator", QIXIAN)
    make_person("volunteer", QIXIAN_TOWNSHIP)  # relayed to the township: the deadline applies
    start = T0 + timedelta(days=1)

    response = login(host).post(
        "/api/v1/sessions", session_body(start=start, relay_deadline=(start + after_start).isoformat())
    )

    assert response.status_code == 422, response.content
    assert (response.json()["code"], response.json()["details"]) == ("bad_relay_deadline", {"field": "relay_deadline"})
    assert Session.objects.count() == 0
    assert Attendance.objects.count() == 0


@pytest.mark.parametrize("phone", ["0392-123", "12345", "call 张三", "+1 212 555 0100"])
def test_a_venue_contact_phone_that_is_not_a_phone_number_is_refused_and_nothing_is_written(
    clock, make_person, login, session_body, phone
):
    host = make_person("county_coordinator", QIXIAN)
    make_person("volunteer", QIXIAN_TOWNSHIP)

    response = login(host).post(
        "/api/v1/sessions", session_body(venues=[{"area_code": QIXIAN, "contact_phone": phone}])
    )

    assert response.status_code == 422
    assert (response.json()["code"], response.json()["details"]) == ("invalid_phone", {"field": "contact_phone"})
    assert Session.objects.count() == 0


@pytest.mark.parametrize(
    ("given", "kept"),
    [("+86 138-1234-5678", "13812345678"), ("(0392)3312345", "0392-3312345"), ("0392 331 2345", "0392-3312345")],
)
def test_a_venue_contact_phone_is_kept_as_a_mobile_or_the_rooms_fixed_line(
    clock, make_person, login, session_body, given, kept
):
    host = make_person("county_coordinator", QIXIAN)
    make_person("volunteer", QIXIAN_TOWNSHIP)

    created = create_session(login(host), session_body(venues=[{"area_code": QIXIAN, "contact_phone": given}]))

    # The host's venue as given, and the room of the township it is relayed to (no contact phone).
    assert [(v["area_code"], v["contact_phone"]) for v in created["venues"]] == [(QIXIAN, kept), (QIXIAN_TOWNSHIP, "")]


QIXIAN_CONTACT, XUNXIAN_CONTACT = "13812345678", "13912345678"


@pytest.fixture
def city_session(clock, make_person, login, session_body):
    """A city meeting for 1 volunteer in 淇县 and 3 in 浚县, with a venue (and its contact) in each county."""
    city = make_person("city_admin", "410600")
    qixian_invitee = make_person("volunteer", QIXIAN_TOWNSHIP)
    for _ in range(3):
        make_person("volunteer", XUNXIAN_TOWNSHIP)
    venues = [
        {"area_code": QIXIAN, "name": "淇县会议室", "contact_name": "张三", "contact_phone": QIXIAN_CONTACT},
        {"area_code": XUNXIAN, "name": "浚县会议室", "contact_name": "李四", "contact_phone": XUNXIAN_CONTACT},
    ]
    created = create_session(login(city), session_body(venues=venues))
    return {"url": f"/api/v1/sessions/{created['id']}", "city": login(city), "invitee": login(qixian_invitee)}


def test_each_viewer_counts_the_invitations_they_may_see_as_the_attendance_counts_them(city_session, as_role):
    county = as_role("county_coordinator", QIXIAN)

    invitees = {
        "city": city_session["city"].get(city_session["url"]).json()["invitees"],
        "county": county.get(city_session["url"]).json()["invitees"],
        "invitee": city_session["invitee"].get(city_session["url"]).json()["invitees"],
    }

    assert invitees == {"city": 4, "county": 1, "invitee": 1}
    assert county.get(f"{city_session['url']}/attendance").json()["total"] == invitees["county"]
    assert city_session["city"].get(f"{city_session['url']}/attendance").json()["total"] == invitees["city"]


def _contacts(client, url):
    return [(v["area_code"], v["contact_phone"]) for v in client.get(url).json()["venues"] if v["contact_phone"]]


def test_venue_contact_phones_are_shown_only_where_the_caller_may_see_personal_data_and_that_read_is_audited(
    city_session, as_role
):
    url = city_session["url"]
    # The newest id so far, not the count: PostgreSQL's ids go on rising across rolled-back tests.
    before = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    seen = {
        "city": _contacts(city_session["city"], url),
        "county": _contacts(as_role("county_coordinator", QIXIAN), url),
        "township": _contacts(as_role("township_coordinator", QIXIAN_TOWNSHIP), url),
        "invitee": _contacts(city_session["invitee"], url),
    }

    # 浚县's room is not shown in 淇县 at all (see test_venues); 淇县's phone is masked below the county.
    masked = [(QIXIAN, "138****5678")]
    assert seen == {
        "city": [(XUNXIAN, XUNXIAN_CONTACT), (QIXIAN, QIXIAN_CONTACT)],
        "county": [(QIXIAN, QIXIAN_CONTACT)],
        "township": masked,
        "invitee": masked,
    }
    reads = AuditEntry.objects.filter(pk__gt=before, action="personal_data_read").order_by("id")
    assert {e.object_type for e in reads} == {"venue_list"}
    assert [(e.area_code, len(e.details["venue_ids"])) for e in reads] == [("4106", 2), (QIXIAN, 1)]


def test_a_volunteer_may_not_host(clock, make_person, login, session_body):
    response = login(make_person("volunteer", QIXIAN_TOWNSHIP)).post("/api/v1/sessions", session_body())

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_a_qixian_township_coordinator_cannot_invite_xunxian_teams(clock, make_person, login, session_body, team_in):
    host = make_person("township_coordinator", QIXIAN_TOWNSHIP)
    make_person("volunteer", QIXIAN_TOWNSHIP)
    xunxian_team = team_in(XUNXIAN_TOWNSHIP)

    response = login(host).post("/api/v1/sessions", session_body(team_ids=[xunxian_team.pk]))

    # A team outside looks exactly like one that does not exist.
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_team"
    assert response.json()["details"] == {"team_ids": xunxian_team.pk}
    assert Session.objects.count() == 0


def test_a_reschedule_reaches_invitees_bumps_the_sequence_and_moves_reminders(
    clock, make_person, login, session_body, django_capture_on_commit_callbacks
):
    host = make_person("county_coordinator", QIXIAN)
    invitee = make_person("volunteer", QIXIAN_TOWNSHIP)
    client = login(host)
    created = create_session(client, session_body())
    later = T0 + timedelta(days=2)

    response = client.patch(
        f"/api/v1/sessions/{created['id']}",
        {"start": later.isoformat(), "end": (later + timedelta(hours=1)).isoformat()},
    )

    assert response.status_code == 200, response.content
    assert response.json()["sequence"] == 1
    assert [e["fields"] for e in events_of(invitee, "session.changed")] == [["start", "end"]]
    assert set(Reminder.objects.filter(session_id=created["id"]).values_list("due_at", flat=True)) == {
        later - timedelta(minutes=30),
        later - timedelta(minutes=5),
    }
    assert Attendance.objects.get(session_id=created["id"]).session_start == later


def test_cancelling_pushes_the_cancellation_and_a_second_cancel_conflicts(clock, make_person, login, session_body):
    host = make_person("county_coordinator", QIXIAN)
    invitee = make_person("volunteer", QIXIAN_TOWNSHIP)
    client = login(host)
    created = create_session(client, session_body())

    first = client.post(f"/api/v1/sessions/{created['id']}/cancel", {"reason": "暴雨"})
    second = client.post(f"/api/v1/sessions/{created['id']}/cancel", {"reason": "again"})

    assert first.status_code == 200
    assert first.json()["status"] == "cancelled"
    assert [e["reason"] for e in events_of(invitee, "session.cancelled")] == ["暴雨"]
    assert second.status_code == 409
    assert second.json()["code"] == "session_closed"


def test_starting_pushes_starting_now_only_when_it_is_time(clock, make_person, login, session_body):
    host = make_person("county_coordinator", QIXIAN)
    invitee = make_person("volunteer", QIXIAN_TOWNSHIP)
    client = login(host)
    created = create_session(client, session_body(start=T0 + timedelta(hours=2)))

    early = client.post(f"/api/v1/sessions/{created['id']}/start")
    clock.advance(hours=1, minutes=45)
    on_time = client.post(f"/api/v1/sessions/{created['id']}/start")

    assert early.status_code == 409
    assert early.json()["code"] == "not_startable"
    assert on_time.status_code == 200
    assert [e["session"]["status"] for e in events_of(invitee, "session.starting")] == ["started"]


def test_my_sessions_lists_what_i_am_invited_to(clock, make_person, login, session_body):
    host = make_person("county_coordinator", QIXIAN)
    invitee = make_person("volunteer", QIXIAN_TOWNSHIP)
    created = create_session(login(host), session_body())

    response = login(invitee).get("/api/v1/me/sessions")

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["items"][0]["id"] == created["id"]
    assert response.json()["items"][0]["attendance"] == "invited"


def test_a_session_outside_the_callers_reach_is_404(clock, make_person, login, session_body):
    host = make_person("county_coordinator", QIXIAN)
    make_person("volunteer", QIXIAN_TOWNSHIP)
    created = create_session(login(host), session_body())
    stranger = login(make_person("county_coordinator", XUNXIAN))

    assert stranger.get(f"/api/v1/sessions/{created['id']}").status_code == 404
    assert stranger.get(f"/api/v1/sessions/{created['id']}/attendance").status_code == 404
    assert stranger.get(f"/api/v1/sessions/{created['id']}/checkin-code").status_code == 404


def test_switching_an_in_person_session_to_video_gives_its_venues_join_links(clock, make_person, login, session_body):
    host = login(make_person("county_coordinator", QIXIAN))
    make_person("volunteer", QIXIAN_TOWNSHIP)
    created = create_session(host, session_body(mode="in_person"))

    response = host.patch(f"/api/v1/sessions/{created['id']}", {"mode": "both"})

    assert created["venues"][0]["join_url"] == ""
    assert response.json()["venues"][0]["join_url"].startswith("https://meet.example.invalid/zhengqi-")
