from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.utils import timezone

from core.crypto import token_digest
from core.models import ApiToken, AuditEntry
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, ApiClient

pytestmark = pytest.mark.django_db


def test_a_correct_password_gets_an_expiring_opaque_token(make_person, anon, settings):
    person = make_person("volunteer", QIXIAN_TOWNSHIP)

    response = anon.post("/api/v1/auth/token", {"username": person.user.username, "password": "correct-horse-battery"})

    assert response.status_code == 200
    body = response.json()
    token = ApiToken.objects.get(user=person.user)
    assert token.digest == token_digest(body["token"])  # only the digest is stored
    assert body["token"] not in {token.digest}
    assert abs((token.expires_at - timezone.now()) - settings.TOKEN_TTL) < timedelta(seconds=5)
    assert AuditEntry.objects.filter(action="login", actor=person.user, area_code=QIXIAN_TOWNSHIP).count() == 1


def test_a_wrong_password_is_401_and_audited(make_person, anon):
    person = make_person("volunteer", QIXIAN_TOWNSHIP)

    response = anon.post("/api/v1/auth/token", {"username": person.user.username, "password": "wrong"})

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert AuditEntry.objects.filter(action="login_failed").count() == 1
    assert not ApiToken.objects.exists()


def test_repeated_failures_lock_the_account_out(make_person, anon, settings):
    person = make_person("volunteer", QIXIAN_TOWNSHIP)
    attempts = [
        anon.post("/api/v1/auth/token", {"username": person.user.username, "password": f"guess-{i}"})
        for i in range(settings.AXES_FAILURE_LIMIT)
    ]

    locked = anon.post("/api/v1/auth/token", {"username": person.user.username, "password": "correct-horse-battery"})

    assert [r.status_code for r in attempts[:-1]] == [401] * (settings.AXES_FAILURE_LIMIT - 1)
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert not ApiToken.objects.exists()


def test_a_revoked_token_gets_401(make_person, login):
    client = login(make_person("county_coordinator", QIXIAN))
    assert client.get("/api/v1/me").status_code == 200

    revoked = client.delete("/api/v1/auth/token")

    assert revoked.status_code == 204
    after = client.get("/api/v1/me")
    assert after.status_code == 401
    assert after.json()["code"] == "unauthorized"


def test_an_expired_token_gets_401(make_person, login):
    client = login(make_person("county_coordinator", QIXIAN))
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get("/api/v1/people")

    assert response.status_code == 401


def test_a_token_of_a_deactivated_user_gets_401(make_person, login):
    person = make_person("county_coordinator", QIXIAN)
    client = login(person)
    person.user.is_active = False
    person.user.save()

    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer zq_" + "x" * 43, "Basic abc", "Bearer "])
def test_a_garbage_authorization_header_gets_401(db, header):
    response = ApiClient().get("/api/v1/me", headers={"HTTP_AUTHORIZATION": header})

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_me_lists_the_users_roles(make_person, login):
    person = make_person("township_coordinator", QIXIAN_TOWNSHIP)

    body = login(person).get("/api/v1/me").json()

    assert body == {
        "id": person.user.pk,
        "username": person.user.username,
        "name": person.name,
        "person_id": person.pk,
        "roles": [{"role": "township_coordinator", "area_code": QIXIAN_TOWNSHIP}],
    }


def test_passwords_are_hashed_with_argon2_in_production_settings(django_user_model, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = django_user_model.objects.create_user(username="hasher", password="a-long-enough-password")

    assert identify_hasher(user.password).algorithm == "argon2"


def test_a_browser_session_also_authenticates_the_api(make_person, client):
    person = make_person("county_coordinator", QIXIAN)
    client.force_login(person.user)

    assert client.get("/api/v1/me").json()["username"] == person.user.username


def test_errors_are_in_chinese_by_default_and_english_on_request(db):
    chinese = ApiClient().get("/api/v1/me").json()["message"]
    english = ApiClient().get("/api/v1/me", headers={"HTTP_ACCEPT_LANGUAGE": "en"}).json()["message"]

    assert chinese == "请先登录：凭证缺失、错误、已过期或已吊销。"
    assert english == "Log in first: the credentials are missing, wrong, expired or revoked."
