"""PATCH /liaisons/{id}: a liaison's sector and employer change without a re-import."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.models import AuditEntry, Person
from liaisons.models import Employer, Liaison
from tests.conftest import QIXIAN, XUNXIAN, XUNXIAN_TOWNSHIP, ApiClient

pytestmark = pytest.mark.django_db

GAOCUN = "410622101"


@pytest.fixture
def rider(make_person: Callable[..., Person]) -> Liaison:
    employer = Employer.objects.create(name="美团高村站", sector_id="food_delivery", area_id=GAOCUN)
    return Liaison.objects.create(person=make_person("liaison", GAOCUN), sector_id="food_delivery", employer=employer)


def test_a_county_coordinator_moves_a_liaison_to_another_sector_and_employer(
    as_role: Callable[..., ApiClient], rider: Liaison
) -> None:
    courier = Employer.objects.create(name="顺丰淇县", sector_id="express", area_id=QIXIAN)
    county = as_role("county_coordinator", QIXIAN)
    url = f"/api/v1/liaisons/{rider.person_id}"

    mismatch = county.send("patch", url, {"sector": "express"})  # the food-delivery employer would stay
    moved = county.send("patch", url, {"sector": "express", "employer_id": courier.pk})
    cleared = county.send("patch", url, {"employer_id": None})

    assert (mismatch.status_code, mismatch.json()["code"]) == (422, "employer_sector_mismatch")
    assert (moved.status_code, moved.json()["sector"], moved.json()["employer_id"]) == (200, "express", courier.pk)
    assert (cleared.status_code, cleared.json()["sector"], cleared.json()["employer_id"]) == (200, "express", None)
    rider.refresh_from_db()
    assert (rider.sector_id, rider.employer_id) == ("express", None)
    entries = AuditEntry.objects.filter(action="person_update", object_id=str(rider.person_id)).order_by("id")
    assert [e.details["fields"] for e in entries] == [["sector", "employer"], ["employer"]]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"sector": "astronaut"}, 422, "unknown_sector"),
        ({"employer_id": 10**9}, 404, "unknown_employer"),
        ({"employer_id": "outside"}, 404, "unknown_employer"),  # as if it did not exist (CONTRACT.md)
        ({"phone": "13800000000"}, 422, None),  # not a field here: refused, not ignored
    ],
)
def test_bad_changes_are_refused_and_change_nothing(
    as_role: Callable[..., ApiClient], rider: Liaison, body: dict, status: int, code: str | None
) -> None:
    if body.get("employer_id") == "outside":
        body = {"employer_id": Employer.objects.create(name="浚县快递", sector_id="food_delivery", area_id=XUNXIAN).pk}

    response = as_role("county_coordinator", QIXIAN).send("patch", f"/api/v1/liaisons/{rider.person_id}", body)

    assert response.status_code == status
    if code:
        assert response.json()["code"] == code
    rider.refresh_from_db()
    assert (rider.sector_id, rider.employer.name) == ("food_delivery", "美团高村站")
    assert not AuditEntry.objects.filter(action="person_update").exists()


def test_another_countys_liaison_cannot_be_changed(
    as_role: Callable[..., ApiClient], make_person: Callable[..., Person]
) -> None:
    theirs = Liaison.objects.create(person=make_person("liaison", XUNXIAN_TOWNSHIP), sector_id="express")

    response = as_role("county_coordinator", QIXIAN).send(
        "patch", f"/api/v1/liaisons/{theirs.person_id}", {"sector": "property"}
    )

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.sector_id == "express"
