"""A county's polygon (~1,500 points of JSON) is read only where it is shown or used.

Lists whose rows point at an area (teams, sessions, alerts, employers, stations) and
every request's role grants join the area table; the outline lives in a table of its own
(`AreaBoundary`), which none of them may join. The SQL is checked, so a list needs no rows.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import Area, AreaBoundary
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/me",
    "/api/v1/people",
    "/api/v1/teams",
    "/api/v1/sessions",
    "/api/v1/alerts",
    "/api/v1/liaisons/employers",
    "/api/v1/liaisons/stations",
    "/api/v1/areas",
]


@pytest.fixture
def county_coordinator(make_person, login):
    coordinator = make_person("county_coordinator", QIXIAN)
    make_person("volunteer", QIXIAN_TOWNSHIP)  # the session's audience
    client = login(coordinator)
    county = Area.objects.get(code=QIXIAN)
    TeamFactory(area=county)
    start = timezone.now() + timedelta(days=1)
    created = client.post(
        "/api/v1/sessions",
        {
            "kind": "training",
            "title": "防汛救援培训",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
            "mode": "video",
            "area_codes": [QIXIAN],
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["host_area_code"] == QIXIAN
    return client


@pytest.mark.parametrize("path", LISTS)
def test_lists_of_county_level_rows_leave_the_polygon_unread(county_coordinator, path):
    with CaptureQueriesContext(connection) as queries:
        response = county_coordinator.get(path)

    assert response.status_code == 200, response.content
    assert [q["sql"] for q in queries if "boundary" in q["sql"]] == [], "\n".join(
        q["sql"][:160] + " ... " + q["sql"][-200:] for q in queries if "boundary" in q["sql"]
    )


def test_the_area_detail_still_shows_the_polygon(county_coordinator):
    body = county_coordinator.get(f"/api/v1/areas/{QIXIAN}").json()

    assert body["boundary"] == json.loads(json.dumps(AreaBoundary.objects.get(area_id=QIXIAN).geometry))
    assert QIXIAN_TOWNSHIP in [child["code"] for child in body["children"]]


COUNTY_REQUESTS = {
    "session": (
        "post",
        "/api/v1/sessions",
        {
            "kind": "meeting",
            "title": "县级调度会",
            "start": (timezone.now() + timedelta(days=2)).isoformat(),
            "end": (timezone.now() + timedelta(days=2, hours=1)).isoformat(),
            "mode": "video",
            "area_codes": [QIXIAN],
        },
    ),
    "alert": (
        "post",
        "/api/v1/alerts",
        {"kind": "flood_rescue", "severity": "severe", "title": "淇河水位上涨", "area_codes": [QIXIAN]},
    ),
    "coverage target": (
        "put",
        "/api/v1/coverage/targets",
        {"area_code": QIXIAN, "sector": "transit", "min_liaisons": 2},
    ),
}


@pytest.mark.parametrize("what", COUNTY_REQUESTS)
def test_naming_a_county_in_a_request_leaves_its_polygon_unread(county_coordinator, what):
    method, path, body = COUNTY_REQUESTS[what]

    with CaptureQueriesContext(connection) as queries:
        response = county_coordinator.send(method, path, body)

    assert response.status_code in (200, 201), response.content
    assert [q["sql"] for q in queries if "boundary" in q["sql"]] == []
