"""Deactivating a member ends their access at once (core.services.people, core.access): their tokens,
their sign-in, their duty and fix, their open sockets (tests/realtime/test_withdraw.py); reactivating lets
them sign in again, and the tokens revoked stay revoked."""

from __future__ import annotations

import pytest

from core.access import register_access_closer
from core.models import ApiToken, AuditAction, AuditEntry, DutyStatus
from core.positions import positions
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, ApiClient

PASSWORD = "correct-horse-battery"
SPOT = {"lat": 35.6620, "lon": 114.1480}  # 淇县


@pytest.fixture
def closed(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The user ids handed to the access closers (realtime's among them) after each commit."""
    calls: list[list[int]] = []
    monkeypatch.setattr("core.access._closers", [calls.append])
    return calls


def _sign_in(username: str) -> int:
    return int(ApiClient().post("/api/v1/auth/token", {"username": username, "password": PASSWORD}).status_code)


def test_a_deactivated_coordinator_loses_every_token_sign_in_duty_and_socket_at_once(
    make_person, login, as_role, closed, django_capture_on_commit_callbacks
):
    coordinator = make_person("county_coordinator", QIXIAN, home=QIXIAN_TOWNSHIP)
    phone, desk = login(coordinator), login(coordinator)
    assert phone.send("put", "/api/v1/me/duty", {"on_duty": True}).status_code == 200
    assert phone.send("put", "/api/v1/me/location", SPOT).status_code == 200
    browser = ApiClient()
    browser.client.force_login(coordinator.user)
    assert browser.get("/api/v1/people").status_code == 200
    admin = as_role("city_admin", "410600")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.patch(f"/api/v1/people/{coordinator.pk}", {"is_active": False})

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    for client in (phone, desk, browser):  # the bearer tokens and the browser's session
        assert client.get("/api/v1/people").status_code == 401
    assert _sign_in(coordinator.user.username) == 401
    assert not ApiToken.objects.filter(user=coordinator.user, revoked_at__isnull=True).exists()
    assert DutyStatus.objects.get(person=coordinator).on_duty is False
    assert positions().get(coordinator.pk) is None
    assert closed == [[coordinator.user_id]]  # their open sockets, in every process
    entry = AuditEntry.objects.filter(action=AuditAction.PERSON_UPDATE, object_id=str(coordinator.pk)).get()
    assert entry.details == {"fields": ["is_active"]}


def test_reactivated_they_sign_in_again_but_the_revoked_tokens_stay_revoked(
    make_person, login, as_role, closed, django_capture_on_commit_callbacks
):
    member = make_person("volunteer", QIXIAN_TOWNSHIP)
    old = login(member)
    coordinator = as_role("county_coordinator", QIXIAN)
    with django_capture_on_commit_callbacks(execute=True):
        assert coordinator.patch(f"/api/v1/people/{member.pk}", {"is_active": False}).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        assert coordinator.patch(f"/api/v1/people/{member.pk}", {"is_active": True}).status_code == 200

    assert old.get("/api/v1/me").status_code == 401
    assert login(member).get("/api/v1/me").status_code == 200
    assert closed == [[member.user_id]]  # reactivation closes nothing


def test_other_changes_leave_the_login_and_its_sockets_alone(
    make_person, login, as_role, closed, django_capture_on_commit_callbacks
):
    member = make_person("volunteer", QIXIAN_TOWNSHIP)
    own = login(member)

    with django_capture_on_commit_callbacks(execute=True):
        response = as_role("county_coordinator", QIXIAN).patch(f"/api/v1/people/{member.pk}", {"name": "改名"})

    assert response.status_code == 200
    assert own.get("/api/v1/me").status_code == 200
    assert closed == []


def test_a_refused_deactivation_revokes_nothing(
    make_person, login, as_role, closed, django_capture_on_commit_callbacks
):
    boss = make_person("county_coordinator", QIXIAN, home=QIXIAN_TOWNSHIP)
    own = login(boss)

    with django_capture_on_commit_callbacks(execute=True):
        response = as_role("township_coordinator", QIXIAN_TOWNSHIP).patch(
            f"/api/v1/people/{boss.pk}", {"is_active": False}
        )

    assert (response.status_code, response.json()["code"]) == (403, "person_outranks_actor")
    assert own.get("/api/v1/people").status_code == 200
    assert closed == []


def test_realtime_registers_its_socket_closer() -> None:
    from core import access
    from realtime.events import close_sockets_of

    assert close_sockets_of in access._closers
    register_access_closer(close_sockets_of)  # registering again adds nothing
    assert access._closers.count(close_sockets_of) == 1
