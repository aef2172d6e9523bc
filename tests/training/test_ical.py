from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar

from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP
from tests.training.conftest import T0, create_session
from training.models import CalendarFeed

pytestmark = pytest.mark.django_db


def feed_events(client, url):
    response = client.get(url.replace("http://testserver", ""))
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    return [c for c in Calendar.from_ical(response.content).walk("VEVENT")]


def test_the_private_feed_parses_and_follows_a_reschedule_and_a_cancellation(
    clock, make_person, login, session_body, anon
):
    host = login(make_person("county_coordinator", QIXIAN))
    invitee = make_person("volunteer", QIXIAN_TOWNSHIP)
    created = create_session(host, session_body(title="消防演练"))
    url = login(invitee).post("/api/v1/me/calendar").json()["url"]

    [before] = feed_events(anon, url)
    later = T0 + timedelta(days=3)
    host.patch(
        f"/api/v1/sessions/{created['id']}",
        {"start": later.isoformat(), "end": (later + timedelta(hours=1)).isoformat()},
    )
    [moved] = feed_events(anon, url)
    host.post(f"/api/v1/sessions/{created['id']}/cancel", {"reason": ""})
    [cancelled] = feed_events(anon, url)

    assert str(before["UID"]) == f"session-{created['id']}@zhengqi"
    assert str(before["SUMMARY"]) == "消防演练"
    assert (before["SEQUENCE"], str(before["STATUS"])) == (0, "CONFIRMED")
    assert moved["DTSTART"].dt == later
    assert moved["DTEND"].dt == later + timedelta(hours=1)
    assert (moved["SEQUENCE"], str(moved["UID"])) == (1, str(before["UID"]))
    assert (cancelled["SEQUENCE"], str(cancelled["STATUS"])) == (2, "CANCELLED")


def test_the_feed_token_is_stored_hashed_and_revoking_or_rotating_it_kills_the_old_url(
    clock, make_person, login, session_body, anon
):
    client = login(make_person("volunteer", QIXIAN_TOWNSHIP))
    create_session(login(make_person("county_coordinator", QIXIAN)), session_body())
    first = client.post("/api/v1/me/calendar").json()["url"]
    token = first.rsplit("/", 1)[1].removesuffix(".ics")

    second = client.post("/api/v1/me/calendar").json()["url"]
    old = anon.get(first.replace("http://testserver", ""))
    client.delete("/api/v1/me/calendar")
    revoked = anon.get(second.replace("http://testserver", ""))

    assert not CalendarFeed.objects.filter(digest=token).exists()
    assert CalendarFeed.objects.filter(digest__isnull=True, revoked_at__isnull=False).count() == 1
    assert old.status_code == 404
    assert revoked.status_code == 404


def test_one_session_downloads_as_an_ics_file(clock, make_person, login, session_body):
    host = login(make_person("county_coordinator", QIXIAN))
    make_person("volunteer", QIXIAN_TOWNSHIP)
    created = create_session(host, session_body())

    response = host.get(f"/api/v1/sessions/{created['id']}/ics")

    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert response.status_code == 200
    assert "meet.example.invalid" in str(event["DESCRIPTION"])
