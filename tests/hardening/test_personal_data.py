"""Personal data: phone and ID numbers stay masked in every response, log line and table unless a role needs them.

The sweeps call every GET operation of the API (the list comes from the URL configuration, the
requests from the jurisdiction matrix), so a new endpoint is swept as soon as it is classified there.
ID numbers encrypted at rest: tests/core/test_crypto.py reads the raw row; here the whole database is
searched for the clear value. Exports: tests/hardening/test_exports.py.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from core.identity import mask_phone
from core.models import AuditEntry, Person
from core.positions import positions
from tests.conftest import ApiClient
from tests.factories import valid_id_number, valid_phone
from tests.hardening.test_jurisdiction_matrix import RULES, _body_text, _call
from tests.hardening.world import ROLES, World, build_world

GETS = sorted(key for key in RULES if key[0] == "GET")


@pytest.fixture
def world(hebi: None, settings: Any) -> World:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pd"}}
    positions().clear()
    return build_world(lambda token: ApiClient(token))


def secrets_of(world: World, *, except_for: Person | None = None) -> dict[str, str]:
    """Every person's full phone and ID number, keyed by what they are."""
    found = {}
    for person in Person.objects.all():
        if except_for is not None and person.pk == except_for.pk:
            continue  # one's own number is not a leak
        found[person.phone] = f"phone of {person.name}"
    for side in (world.inside, world.outside, world.far):
        for person in (side.person, side.liaison):
            found[person.id_number] = f"ID number of {person.name}"  # type: ignore[attr-defined]
    for role, person in world.actors.items():
        if except_for is None or person.pk != except_for.pk:
            found[person.id_number] = f"ID number of {role}"  # type: ignore[attr-defined]
    return found


def _sweep(world: World, role: str) -> list[tuple[str, str, int]]:
    """(route, body text, audit entries the request added) for every GET operation, on the inside records."""
    client = Client()
    out = []
    for method, route in GETS:
        request = RULES[(method, route)].request(world, world.inside, role)
        before = AuditEntry.objects.count()
        with transaction.atomic():
            response = _call(client, world.tokens[role], method, route, request)
            text = _body_text(response)
            audited = AuditEntry.objects.count() - before
            transaction.set_rollback(True)
        out.append((route, text, audited))
    return out


@pytest.mark.parametrize("role", ["township", "station_head", "volunteer", "liaison"])
def test_a_role_without_personal_data_rights_never_sees_a_full_phone_or_id_number_nor_logs_one(
    world: World, role: str, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = secrets_of(world, except_for=world.actors[role])
    caplog.set_level(logging.DEBUG)

    swept = _sweep(world, role)

    shown = {route: [what for s, what in secrets.items() if s in text] for route, text, _ in swept}
    assert {route: found for route, found in shown.items() if found} == {}
    logged = caplog.text + "".join(json.dumps(r.__dict__, default=str, ensure_ascii=False) for r in caplog.records)
    assert [what for s, what in secrets.items() if s in logged] == []
    # Positive control: the masked form of an inside phone is shown to staff who may list people.
    if role in ("township", "station_head"):
        people = next(text for route, text, _ in swept if route == "api/v1/people")
        assert mask_phone(world.inside.person.phone) in people


def test_a_role_that_needs_phones_sees_them_only_with_an_audit_entry_and_logs_none(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = secrets_of(world, except_for=world.actors["county"])
    caplog.set_level(logging.DEBUG)

    swept = _sweep(world, "county")

    unaudited = [route for route, text, audited in swept if any(s in text for s in secrets) and not audited]
    revealed = [route for route, text, _ in swept if any(s in text for s in secrets)]
    assert unaudited == []
    assert "api/v1/people" in revealed  # the county coordinator does see them (positive control)
    logged = caplog.text + "".join(json.dumps(r.__dict__, default=str, ensure_ascii=False) for r in caplog.records)
    assert [what for s, what in secrets.items() if s in logged] == []


def test_no_table_holds_an_id_number_in_clear_and_only_the_person_and_login_hold_a_phone(world: World) -> None:
    # Given a person registered through the API, read unmasked (audited), and sent an alert and a session
    county = ApiClient(world.tokens["county"])
    id_number, phone = valid_id_number(424_242), valid_phone(424_242)
    created = county.post(
        "/api/v1/people",
        {"name": "明文检查", "phone": phone, "home_area_code": world.inside.area, "id_number": id_number},
    )
    assert created.status_code == 201, created.content
    assert county.get(f"/api/v1/people/{created.json()['id']}").json()["id_number"] == id_number
    county.post("/api/v1/alerts", {"kind": "other", "title": "明文", "area_codes": [world.inside.area]})

    # When every text of every row of every table is read
    holders = []
    for model in apps.get_models():
        for row in model.objects.all().values():
            text = json.dumps(row, default=str, ensure_ascii=False)
            if id_number in text:
                holders.append(f"{model._meta.db_table}: ID number")
            if phone in text and model not in (Person, User):
                holders.append(f"{model._meta.db_table}: phone")

    # Then the ID number is nowhere in clear, and the phone only in the person's row and, as the default
    # login name members sign in with, in their login's username
    assert holders == []
    assert User.objects.filter(username=phone).count() == 1
    assert Person.objects.filter(phone=phone).count() == 1


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_the_people_endpoint_masks_exactly_for_the_roles_without_the_capability(world: World, role: str) -> None:
    response = ApiClient(world.tokens[role]).get(f"/api/v1/people/{world.inside.person.pk}")

    if role in ("volunteer", "liaison"):
        assert response.status_code == 403
        return
    body = response.json()
    full = role in ("city", "county")
    assert body["phone"] == (world.inside.person.phone if full else mask_phone(world.inside.person.phone))
    assert (body.get("id_number") == world.inside.person.id_number) is full  # type: ignore[attr-defined]


def test_failed_logins_and_lockouts_log_no_phone_though_login_names_are_phones(
    make_person: Any, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    person = make_person("volunteer")
    User.objects.filter(pk=person.user_id).update(username=person.phone)
    caplog.set_level(logging.DEBUG)

    answers = [
        ApiClient().post("/api/v1/auth/token", {"username": person.phone, "password": f"guess-{i}"}).status_code
        for i in range(settings.AXES_FAILURE_LIMIT + 1)
    ]

    assert answers[-1] == 429  # the lockout happened, and was logged
    assert any("Locking out" in r.getMessage() for r in caplog.records)
    logged = caplog.text + "".join(json.dumps(r.__dict__, default=str, ensure_ascii=False) for r in caplog.records)
    assert person.phone not in logged
