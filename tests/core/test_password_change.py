"""Changing a password revokes the user's API tokens, whatever changed it (the admin, `changepassword`, code)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from core.models import ApiToken
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-different-horse-battery"


def test_a_password_changed_in_the_admin_revokes_every_token_of_that_user(make_person, login):
    person = make_person("volunteer", QIXIAN_TOWNSHIP)
    phone, tablet = login(person), login(person)
    assert phone.get("/api/v1/me").status_code == 200
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("root", password="root-horse-battery"))

    changed = admin.post(
        f"/admin/auth/user/{person.user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert changed.status_code == 302, changed.content
    assert phone.get("/api/v1/me").status_code == 401
    assert tablet.get("/api/v1/me").status_code == 401
    assert ApiToken.objects.filter(user=person.user, revoked_at__isnull=True).count() == 0  # revoked, not just refused


def test_a_password_set_from_the_command_line_revokes_the_tokens_and_the_new_password_gets_a_working_one(
    make_person, login, anon, monkeypatch
):
    person = make_person("county_coordinator", QIXIAN)
    client = login(person)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)

    call_command("changepassword", person.user.username, stdout=None)

    assert client.get("/api/v1/me").status_code == 401
    fresh = anon.post("/api/v1/auth/token", {"username": person.user.username, "password": NEW_PASSWORD})
    assert fresh.status_code == 200
    assert anon.get("/api/v1/me", headers={"HTTP_AUTHORIZATION": f"Bearer {fresh.json()['token']}"}).status_code == 200


def test_a_password_change_leaves_other_users_tokens_alone(make_person, login):
    person, colleague = make_person("volunteer", QIXIAN_TOWNSHIP), make_person("volunteer", QIXIAN_TOWNSHIP)
    theirs = login(colleague)
    login(person)

    person.user.set_password(NEW_PASSWORD)
    person.user.save()

    assert theirs.get("/api/v1/me").status_code == 200


def test_a_page_token_minted_for_a_browser_session_is_revoked_by_a_password_change_too(make_person):
    person = make_person("county_coordinator", QIXIAN)
    browser = Client(enforce_csrf_checks=False)
    browser.force_login(person.user)
    token = browser.post("/api/v1/auth/session-token").json()["token"]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().get("/api/v1/me", **bearer).status_code == 200

    person.user.set_password(NEW_PASSWORD)
    person.user.save()

    assert Client().get("/api/v1/me", **bearer).status_code == 401
