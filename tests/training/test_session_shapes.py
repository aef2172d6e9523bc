"""The JSON shapes of a session: the detail, the list item, "my sessions" and the events' brief.

They share one set of leading fields (defined once); this pins every key and value clients see.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP
from tests.training.conftest import create_session, events_of
from training.models import Session

pytestmark = pytest.mark.django_db


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


HEAD = {"id", "kind", "title", "start", "end", "mode", "status", "host_area_code"}


def test_every_shape_of_a_session_carries_exactly_its_documented_fields(
    clock, make_person, login, session_body, django_capture_on_commit_callbacks
):
    host = login(make_person("county_coordinator", QIXIAN))
    volunteer = make_person("volunteer", QIXIAN_TOWNSHIP)
    with django_capture_on_commit_callbacks(execute=True):
        detail = create_session(host, session_body(area_codes=[QIXIAN_TOWNSHIP], agenda="一、防汛"))
    session = Session.objects.get(pk=detail["id"])

    item = host.get("/api/v1/sessions").json()["items"][0]
    mine = login(volunteer).get("/api/v1/me/sessions").json()["items"][0]
    brief = events_of(volunteer, "session.invited")[0]["session"]

    assert set(detail) == HEAD | {
        "agenda",
        "host_area_name",
        "host_id",
        "area_codes",
        "team_ids",
        "sectors",
        "roles",
        "relay_deadline",
        "sequence",
        "cancel_reason",
        "invitees",
        "venues",
        "own_venue_id",
    }
    assert set(item) == HEAD
    assert set(mine) == HEAD | {"attendance", "checked_in_at", "leave"}
    assert set(brief) == HEAD | {"sequence"}
    expected_head = {
        "id": session.pk,
        "kind": "training",
        "title": "防汛救援培训",
        "mode": "video",
        "status": "scheduled",
        "host_area_code": QIXIAN,
    }
    for shape in (detail, item, mine, brief):
        assert {k: shape[k] for k in expected_head} == expected_head
        assert (parse(shape["start"]), parse(shape["end"])) == (session.start, session.end)
    for shape in (detail, item, mine):
        assert (shape["start"], shape["end"]) == ("2026-06-02T00:00:00Z", "2026-06-02T02:00:00Z")
    assert (detail["sequence"], brief["sequence"]) == (session.sequence, session.sequence)
    assert (detail["agenda"], detail["host_area_name"], detail["invitees"]) == ("一、防汛", "淇县", 1)
    assert detail["own_venue_id"] == next(v["id"] for v in detail["venues"] if v["area_code"] == QIXIAN)
    assert (mine["attendance"], mine["checked_in_at"], mine["leave"]) == ("invited", None, None)
