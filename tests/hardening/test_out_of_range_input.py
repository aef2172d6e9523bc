"""Values at the edge of the calendar or beyond the database's integers: answered, never a 500.

Found by the schemathesis run (tests/hardening/test_api_fuzz.py): year 1 at +08:00 leaves the
calendar when converted to UTC, and on SQLite the server answered 500 on every endpoint that
filters by time. PostgreSQL stores such dates, so there the same requests simply succeed.
"""

from __future__ import annotations

import pytest

from dispatch.models import Alert
from tests.conftest import QIXIAN

YEAR_1 = "0001-01-01T00:00:00+08:00"
YEAR_9999 = "9999-12-31T23:00:00-08:00"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/alerts", {"since": YEAR_1}),
        ("/api/v1/alerts", {"until": YEAR_9999}),
        ("/api/v1/alerts/reports/response-times", {"since": YEAR_1, "until": "0001-01-02T00:00:00+08:00"}),
        ("/api/v1/alerts/reports/response-times.csv", {"since": YEAR_1, "until": YEAR_9999}),
        ("/api/v1/audit", {"since": YEAR_1}),
        ("/api/v1/liaisons", {"on_shift_at": YEAR_9999}),
        ("/api/v1/sessions/reports/attendance", {"since": "0001-01-01", "until": "0001-01-02"}),
    ],
)
def test_a_date_beyond_the_calendar_in_a_filter_is_answered_or_a_422_out_of_range(as_role, path, params):
    coordinator = as_role("county_coordinator", QIXIAN)

    response = coordinator.get(path, **params)

    assert response.status_code in (200, 422), response.content
    if response.status_code == 422:
        assert response.json()["code"] == "out_of_range"


def test_an_alert_expiring_beyond_the_calendar_is_created_or_refused_with_nothing_written(as_role):
    coordinator = as_role("county_coordinator", QIXIAN)

    response = coordinator.post(
        "/api/v1/alerts", {"kind": "other", "title": "远期", "area_codes": [QIXIAN], "expires_at": YEAR_9999}
    )

    assert response.status_code in (201, 422), response.content
    if response.status_code == 422:
        assert response.json()["code"] == "out_of_range"
        assert not Alert.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/people/{n}", "/api/v1/alerts/{n}", "/api/v1/sessions/{n}/attendance"])
def test_an_id_beyond_64_bits_is_not_a_server_error(as_role, path):
    coordinator = as_role("county_coordinator", QIXIAN)

    response = coordinator.get(path.format(n=2**80))

    assert response.status_code in (404, 422), response.content
