"""Each county's room takes its own roll: in a city meeting relayed to the counties, a county coordinator
marks their own county's invitees by hand and shows the check-in code on their room's screen; another
county's invitee is 404 to them, as is everything to a coordinator the session does not reach."""

from __future__ import annotations

from typing import Any

import pytest

from core.models import AuditEntry
from tests.conftest import QIBIN, QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN, XUNXIAN_TOWNSHIP
from tests.training.conftest import create_session
from training.models import Attendance

pytestmark = pytest.mark.django_db

CITY = "410600"


@pytest.fixture
def city_meeting(clock, make_person, login, session_body) -> dict[str, Any]:
    """A city meeting for the volunteers of 淇县 and 浚县 only (relayed to both counties)."""
    qixian, xunxian = make_person("volunteer", QIXIAN_TOWNSHIP), make_person("volunteer", XUNXIAN_TOWNSHIP)
    host = make_person("city_admin", CITY)
    created = create_session(login(host), session_body(area_codes=[QIXIAN, XUNXIAN]))
    return {"url": f"/api/v1/sessions/{created['id']}", "id": created["id"], "qixian": qixian, "xunxian": xunxian}


def test_a_county_coordinator_marks_their_own_countys_invitee_and_no_other(city_meeting, as_role):
    county = as_role("county_coordinator", QIXIAN)
    mine, theirs = city_meeting["qixian"], city_meeting["xunxian"]

    marked = county.send(
        "put", f"{city_meeting['url']}/attendance/{mine.pk}", {"status": "present", "note": "淇县会场"}
    )
    refused = county.send("put", f"{city_meeting['url']}/attendance/{theirs.pk}", {"status": "absent"})

    assert marked.status_code == 200
    assert marked.json()["status"] == "present"
    assert refused.status_code == 404
    assert refused.json()["code"] == "not_found"  # not "not_invited": 浚县's roll is none of theirs
    statuses = dict(Attendance.objects.filter(session_id=city_meeting["id"]).values_list("person_id", "status"))
    assert (statuses[mine.pk], statuses[theirs.pk]) == ("present", "invited")
    entry = AuditEntry.objects.filter(object_type="session", details__what="attendance_mark").get()
    assert (entry.details["person_id"], entry.details["after"]) == (mine.pk, "present")


def test_a_county_coordinator_shows_the_code_in_their_room_and_an_unreached_one_gets_404(city_meeting, as_role):
    code = as_role("county_coordinator", QIXIAN).get(f"{city_meeting['url']}/checkin-code")
    host_code = as_role("city_admin", CITY).get(f"{city_meeting['url']}/checkin-code")
    unreached = as_role("county_coordinator", QIBIN)  # 淇滨区 was not invited

    assert code.status_code == 200
    assert code.json()["code"] == host_code.json()["code"]  # one code for the session, on every screen
    assert unreached.get(f"{city_meeting['url']}/checkin-code").status_code == 404
    mark = unreached.send("put", f"{city_meeting['url']}/attendance/{city_meeting['qixian'].pk}", {"status": "late"})
    assert mark.status_code == 404
    assert Attendance.objects.get(session_id=city_meeting["id"], person=city_meeting["qixian"]).status == "invited"
