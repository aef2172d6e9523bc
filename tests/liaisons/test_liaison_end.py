"""DELETE /liaisons/{person_id}: someone is no longer a liaison (they changed jobs).

Their liaison profile and every liaison grant go together, in one transaction; the person stays,
with any other role. Every refusal changes nothing. DELETE /people/{id}/roles/liaison/{area} refuses
the bare role and points here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import Any

import pytest

from core.models import AuditEntry, Person, RoleGrant
from core.roles import GRANTABLE, Role
from core.sectors import sector_members
from liaisons.models import Employer, Liaison, ShiftWindow, Station
from liaisons.selectors import liaisons_matching
from tests.conftest import QIBIN_TOWNSHIP, QIXIAN, ApiClient

pytestmark = pytest.mark.django_db

GAOCUN = "410622101"  # 淇县 高村镇
BEIYANG = "410622102"  # 淇县 北阳镇: where the liaison also works


def _roles(person: Person) -> list[tuple[str, str]]:
    return sorted(RoleGrant.objects.filter(user=person.user).values_list("role", "area_id"))


def _nurse(make_person: Callable[..., Person]) -> Person:
    """A volunteer of 高村镇 who is also a hospital liaison: employer, station, a work area and her own shift."""
    nurse = make_person("volunteer", GAOCUN)
    RoleGrant.objects.create(user=nurse.user, role="liaison", area_id=GAOCUN)
    hospital = Employer.objects.create(name="淇县人民医院", sector_id="hospital", area_id=QIXIAN)
    station = Station.objects.create(name="高村镇工作站", area_id=GAOCUN)
    liaison = Liaison.objects.create(person=nurse, sector_id="hospital", employer=hospital, station=station)
    liaison.work_areas.set([BEIYANG])
    ShiftWindow.objects.create(liaison=liaison, starts=time(8), ends=time(17))
    return nurse


def _preview(client: ApiClient) -> int:
    response = client.post(
        "/api/v1/alerts/preview",
        {"kind": "missing_person", "title": "医院寻人", "area_codes": [GAOCUN], "sectors": ["hospital"]},
    )
    assert response.status_code == 200, response.content
    count: int = response.json()["recipients"]
    return count


def test_a_county_coordinator_ends_a_liaison_who_stays_a_volunteer_and_reconnects(
    as_role: Callable[..., ApiClient],
    make_person: Callable[..., Person],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    nurse = _nurse(make_person)
    station_id = Liaison.objects.get(person=nurse).station_id
    employer_id = Liaison.objects.get(person=nurse).employer_id
    county = as_role("county_coordinator", QIXIAN)
    refreshed: list[str] = []
    monkeypatch.setattr("liaisons.registering.coverage_changed", lambda *, area_code: refreshed.append(area_code))
    closed: list[list[int]] = []
    monkeypatch.setattr("core.access._closers", [closed.append])
    assert _preview(county) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = county.delete(f"/api/v1/liaisons/{nurse.pk}")

    assert response.status_code == 204, response.content
    assert not Liaison.objects.filter(person=nurse).exists()
    assert not ShiftWindow.objects.exists()
    assert Person.objects.filter(pk=nurse.pk, is_active=True).exists()
    assert _roles(nurse) == [("volunteer", GAOCUN)]
    entry = AuditEntry.objects.get(action="role_revoke")
    assert (entry.object_type, entry.object_id, entry.area_code, entry.details) == (
        "person",
        str(nurse.pk),
        GAOCUN,
        {
            "role": "liaison",
            "liaison_ended": True,
            "areas": [GAOCUN],
            "sector": "hospital",
            "employer_id": employer_id,
            "station_id": station_id,
        },
    )
    assert refreshed == [GAOCUN, BEIYANG]  # home and work township: their liaison counts dropped
    assert closed == [[nurse.user_id]]  # their phone reconnects holding only the volunteer role


def test_an_ended_liaison_is_no_longer_listed_counted_or_alerted(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    nurse = _nurse(make_person)
    county = as_role("county_coordinator", QIXIAN)

    assert county.delete(f"/api/v1/liaisons/{nurse.pk}").status_code == 204

    listed = county.get("/api/v1/liaisons", area=GAOCUN)
    person = county.get(f"/api/v1/people/{nurse.pk}")
    coverage = county.get("/api/v1/coverage/areas", area=QIXIAN, level="township")
    assert (listed.json()["count"], listed.json()["items"]) == (0, [])
    assert [(r["role"], r["area_code"]) for r in person.json()["roles"]] == [("volunteer", GAOCUN)]
    assert _preview(county) == 0
    assert sector_members(sectors=["hospital"], within=[QIXIAN]) == {}
    assert list(liaisons_matching(sectors=["hospital"])) == []
    gaocun = next(a for a in coverage.json()["items"] if a["area_code"] == GAOCUN)
    assert (gaocun["volunteers"], gaocun["liaisons"], gaocun["liaisons_by_sector"]) == (1, 0, {})


def test_ending_again_is_404(as_role: Callable[..., ApiClient], make_person: Callable[..., Person]) -> None:
    nurse = _nurse(make_person)
    county = as_role("county_coordinator", QIXIAN)

    first = county.delete(f"/api/v1/liaisons/{nurse.pk}")
    again = county.delete(f"/api/v1/liaisons/{nurse.pk}")

    assert (first.status_code, again.status_code, again.json()["code"]) == (204, 404, "not_found")
    assert AuditEntry.objects.filter(action="role_revoke").count() == 1


def test_a_bare_liaison_grant_with_no_profile_is_ended_too(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    # From before the register: core refuses to take this grant away, so this is the only way.
    bare = make_person("liaison", GAOCUN)

    response = as_role("township_coordinator", GAOCUN).delete(f"/api/v1/liaisons/{bare.pk}")

    assert response.status_code == 204, response.content
    assert _roles(bare) == []
    assert AuditEntry.objects.get(action="role_revoke").details == {
        "role": "liaison",
        "liaison_ended": True,
        "areas": [GAOCUN],
        "sector": None,
        "employer_id": None,
        "station_id": None,
    }


def test_a_liaison_who_heads_a_work_station_is_refused_until_another_head_is_named(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    nurse = _nurse(make_person)
    station = Station.objects.get(liaisons__person=nurse)
    county = as_role("county_coordinator", QIXIAN)
    assert (
        county.send("put", f"/api/v1/liaisons/stations/{station.pk}/head", {"person_id": nurse.pk}).status_code == 200
    )

    refused = county.delete(f"/api/v1/liaisons/{nurse.pk}")

    assert (refused.status_code, refused.json()["code"], refused.json()["details"]) == (
        409,
        "liaison_heads_station",
        {"station_ids": [station.pk], "use": "PUT /api/v1/liaisons/stations/{id}/head"},
    )
    assert Liaison.objects.filter(person=nurse).exists()
    assert _roles(nurse) == [("liaison", GAOCUN), ("station_head", GAOCUN), ("volunteer", GAOCUN)]

    successor = make_person("liaison", GAOCUN)
    named = county.send("put", f"/api/v1/liaisons/stations/{station.pk}/head", {"person_id": successor.pk})
    assert named.status_code == 200
    ended = county.delete(f"/api/v1/liaisons/{nurse.pk}")

    assert ended.status_code == 204, ended.content
    assert _roles(nurse) == [("volunteer", GAOCUN)]


@pytest.mark.parametrize(
    ("actor", "target", "status", "code"),
    [
        # another township's coordinator does not see the person
        (("township_coordinator", QIBIN_TOWNSHIP), "liaison", 404, "not_found"),
        # someone who is no liaison
        (("county_coordinator", QIXIAN), "volunteer", 404, "not_found"),
        # lives in 高村镇 but coordinates the whole county: changed from above only
        (("township_coordinator", GAOCUN), "outranks", 403, "person_outranks_actor"),
        # a station head manages nobody
        (("station_head", GAOCUN), "liaison", 403, "forbidden"),
    ],
)
def test_each_refusal_has_its_code_and_changes_nothing(
    as_role: Callable[..., ApiClient],
    make_person: Callable[..., Person],
    actor: tuple[str, str],
    target: str,
    status: int,
    code: str,
) -> None:
    if target == "outranks":
        person = make_person("county_coordinator", QIXIAN, home=GAOCUN)
        RoleGrant.objects.create(user=person.user, role="liaison", area_id=GAOCUN)
        Liaison.objects.create(person=person, sector_id="school")
    elif target == "volunteer":
        person = make_person("volunteer", GAOCUN)
    else:
        person = _nurse(make_person)
    roles_before = _roles(person)
    liaisons_before = set(Liaison.objects.values_list("pk", "person_id", "sector_id"))
    client = as_role(*actor)

    response = client.delete(f"/api/v1/liaisons/{person.pk}")

    assert (response.status_code, response.json()["code"]) == (status, code), response.content
    assert _roles(person) == roles_before
    assert set(Liaison.objects.values_list("pk", "person_id", "sector_id")) == liaisons_before
    assert not AuditEntry.objects.filter(action="role_revoke").exists()


def test_an_actor_whose_role_may_not_give_the_liaison_role_is_refused(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every role that manages people gives the liaison role today; were one not to, it could not take it either.
    monkeypatch.setitem(GRANTABLE, Role.TOWNSHIP_COORDINATOR, frozenset({Role.STATION_HEAD, Role.VOLUNTEER}))
    nurse = _nurse(make_person)
    roles_before = _roles(nurse)

    response = as_role("township_coordinator", GAOCUN).delete(f"/api/v1/liaisons/{nurse.pk}")

    assert (response.status_code, response.json()["code"]) == (403, "role_not_grantable")
    assert _roles(nurse) == roles_before
    assert Liaison.objects.filter(person=nurse).exists()
    assert not AuditEntry.objects.filter(action="role_revoke").exists()


def test_the_people_endpoint_refuses_the_liaison_role_and_points_here(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    nurse = _nurse(make_person)

    response = as_role("county_coordinator", QIXIAN).delete(f"/api/v1/people/{nurse.pk}/roles/liaison/{GAOCUN}")

    assert (response.status_code, response.json()["code"], response.json()["details"]) == (
        409,
        "role_managed_elsewhere",
        {"role": "liaison", "use": f"DELETE /api/v1/liaisons/{nurse.pk}"},
    )
    assert Liaison.objects.filter(person=nurse).exists()
