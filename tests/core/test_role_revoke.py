"""DELETE /api/v1/people/{id}/roles/{role}/{area}: what a coordinator may grant there they may take away,
inside their jurisdiction only; the revoked login's sockets are closed so that they reconnect with what
they still hold; bad requests are specific 4xx and change nothing."""

from __future__ import annotations

import pytest

from core.models import AuditAction, AuditEntry, RoleGrant
from core.roles import Role
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN, XUNXIAN_TOWNSHIP


@pytest.fixture
def closed(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    calls: list[list[int]] = []
    monkeypatch.setattr("core.access._closers", [calls.append])
    return calls


def _url(person_id: int, role: str, area: str) -> str:
    return f"/api/v1/people/{person_id}/roles/{role}/{area}"


def _held(person) -> set[tuple[str, str]]:
    return set(RoleGrant.objects.filter(user=person.user).values_list("role", "area_id"))


def test_a_county_coordinator_takes_a_township_coordinators_role_and_their_sockets_reconnect(
    as_role, make_person, login, closed, django_capture_on_commit_callbacks
):
    deputy = make_person("township_coordinator", QIXIAN_TOWNSHIP)
    RoleGrant.objects.create(user=deputy.user, role=Role.VOLUNTEER, area_id=QIXIAN_TOWNSHIP)
    own = login(deputy)
    county = as_role("county_coordinator", QIXIAN)

    with django_capture_on_commit_callbacks(execute=True):
        response = county.delete(_url(deputy.pk, "township_coordinator", QIXIAN_TOWNSHIP))

    assert response.status_code == 200
    assert response.json()["roles"] == [{"role": "volunteer", "area_code": QIXIAN_TOWNSHIP}]
    assert _held(deputy) == {("volunteer", QIXIAN_TOWNSHIP)}
    assert closed == [[deputy.user_id]]
    # Their token still works (they are still a member), but no longer as a coordinator.
    assert own.get("/api/v1/me").status_code == 200
    assert own.get("/api/v1/people").status_code == 403
    entry = AuditEntry.objects.get(action=AuditAction.ROLE_REVOKE)
    assert (entry.object_id, entry.area_code, entry.details) == (
        str(deputy.pk),
        QIXIAN_TOWNSHIP,
        {"role": "township_coordinator"},
    )


def test_another_countys_member_is_404_and_keeps_the_role(as_role, make_person, closed):
    member = make_person("volunteer", XUNXIAN_TOWNSHIP)

    response = as_role("county_coordinator", QIXIAN).delete(_url(member.pk, "volunteer", XUNXIAN_TOWNSHIP))

    assert response.status_code == 404
    assert _held(member) == {("volunteer", XUNXIAN_TOWNSHIP)}
    assert closed == []


@pytest.mark.parametrize(
    ("actor", "target", "revoke", "status", "code"),
    [
        # a township coordinator may not take a role they may not give
        (("township_coordinator", QIXIAN_TOWNSHIP), ("township_coordinator", QIXIAN_TOWNSHIP),
         ("township_coordinator", QIXIAN_TOWNSHIP), 403, "role_not_grantable"),
        # a role not held there
        (("county_coordinator", QIXIAN), ("volunteer", QIXIAN_TOWNSHIP), ("volunteer", QIXIAN), 404, "role_not_held"),
        (("county_coordinator", QIXIAN), ("volunteer", QIXIAN_TOWNSHIP), ("emperor", QIXIAN_TOWNSHIP), 422,
         "unknown_role"),
        # given and taken in their own registers
        (("county_coordinator", QIXIAN), ("liaison", QIXIAN_TOWNSHIP), ("liaison", QIXIAN_TOWNSHIP), 409,
         "role_managed_elsewhere"),
        (("county_coordinator", QIXIAN), ("station_head", QIXIAN_TOWNSHIP), ("station_head", QIXIAN_TOWNSHIP), 409,
         "role_managed_elsewhere"),
    ],
)  # fmt: skip
def test_refused_revocations_change_nothing(as_role, make_person, closed, actor, target, revoke, status, code):
    person = make_person(*target)
    client = as_role(*actor)

    response = client.delete(_url(person.pk, *revoke))

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert _held(person) == {target}
    assert closed == []
    assert not AuditEntry.objects.filter(action=AuditAction.ROLE_REVOKE).exists()


def test_a_township_coordinator_cannot_take_roles_from_the_county_coordinator_living_there(as_role, make_person):
    boss = make_person("county_coordinator", QIXIAN, home=QIXIAN_TOWNSHIP)
    RoleGrant.objects.create(user=boss.user, role=Role.VOLUNTEER, area_id=QIXIAN_TOWNSHIP)

    response = as_role("township_coordinator", QIXIAN_TOWNSHIP).delete(_url(boss.pk, "volunteer", QIXIAN_TOWNSHIP))

    assert (response.status_code, response.json()["code"]) == (403, "person_outranks_actor")
    assert _held(boss) == {("county_coordinator", QIXIAN), ("volunteer", QIXIAN_TOWNSHIP)}


def test_nobody_takes_away_their_own_role(make_person, login):
    admin = make_person("city_admin", "410600", home=QIXIAN_TOWNSHIP)

    response = login(admin).delete(_url(admin.pk, "city_admin", "410600"))

    assert (response.status_code, response.json()["code"]) == (409, "own_role")
    assert _held(admin) == {("city_admin", "410600")}


def test_a_city_admin_may_take_a_county_coordinators_role(
    as_role, make_person, closed, django_capture_on_commit_callbacks
):
    coordinator = make_person("county_coordinator", XUNXIAN)

    with django_capture_on_commit_callbacks(execute=True):
        response = as_role("city_admin", "410600").delete(_url(coordinator.pk, "county_coordinator", XUNXIAN))

    assert response.status_code == 200
    assert _held(coordinator) == set()
    assert closed == [[coordinator.user_id]]
