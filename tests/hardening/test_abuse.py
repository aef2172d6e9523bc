"""Abuse: login lockout, tokens on the sockets, session fixation, CSRF, socket origins, rate limits, headers.

What tests elsewhere already prove is not repeated here (see docs/SECURITY.md for the map):
lockout after N failures, token expiry/revocation/deactivation on HTTP (tests/core/test_auth_api.py),
socket flood/frame-size/origin basics (tests/realtime/test_bad_input.py), JSON and upload body
limits (tests/core/test_people_api.py, tests/liaisons/test_import_api.py) and check --deploy
(tests/core/test_settings.py).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import F
from django.test import Client

from core.models import ApiToken
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, ApiClient
from tests.core.test_settings import FIELD_KEY, GOOD_KEY, run_django
from tests.realtime.conftest import Socket, token_for

PASSWORD = "correct-horse-battery"


# --- login lockout ------------------------------------------------------------------------


def _fail_until_locked(username: str, settings, address: str = "127.0.0.1") -> None:
    client = ApiClient(REMOTE_ADDR=address)
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token", {"username": username, "password": f"guess-{i}"})


@pytest.mark.django_db
def test_a_lockout_is_per_address_so_a_guesser_cannot_lock_the_owner_out_from_elsewhere(make_person, settings):
    person = make_person("volunteer", QIXIAN_TOWNSHIP)
    _fail_until_locked(person.user.username, settings, address="10.0.0.66")

    from_guesser = ApiClient(REMOTE_ADDR="10.0.0.66").post(
        "/api/v1/auth/token", {"username": person.user.username, "password": PASSWORD}
    )
    from_owner = ApiClient(REMOTE_ADDR="10.0.0.7").post(
        "/api/v1/auth/token", {"username": person.user.username, "password": PASSWORD}
    )

    assert from_guesser.status_code == 429
    assert from_owner.status_code == 200


@pytest.mark.django_db
def test_after_the_cool_off_the_right_password_works_again(make_person, settings):
    person = make_person("volunteer", QIXIAN_TOWNSHIP)
    _fail_until_locked(person.user.username, settings)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

    response = ApiClient().post("/api/v1/auth/token", {"username": person.user.username, "password": PASSWORD})

    assert response.status_code == 200


@pytest.mark.django_db
def test_the_lockout_also_guards_the_browser_login(make_person, settings):
    staff = get_user_model().objects.create_user(username="staffer", password=PASSWORD, is_staff=True)
    _fail_until_locked(staff.username, settings)

    for url in ("/login/", "/admin/login/?next=/admin/"):
        browser = Client()
        response = browser.post(url, {"username": "staffer", "password": PASSWORD})

        assert response.status_code == 429, url
        assert "_auth_user_id" not in browser.session


# --- tokens on the sockets ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["revoked", "expired", "deactivated"])
async def test_a_revoked_expired_or_deactivated_token_cannot_say_hello(make_person, how):
    from channels.db import database_sync_to_async
    from django.utils import timezone

    person = await database_sync_to_async(make_person)("volunteer", QIXIAN_TOWNSHIP)
    token = await database_sync_to_async(token_for)(person)

    def spoil() -> None:
        if how == "revoked":
            ApiToken.objects.update(revoked_at=timezone.now())
        elif how == "expired":
            ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        else:
            get_user_model().objects.filter(pk=person.user_id).update(is_active=False)

    await database_sync_to_async(spoil)()
    phone = Socket("/ws/v1/phone")
    assert await phone.open()
    try:
        assert await phone.hello(token) == {"type": "error", "code": "unauthorized"}
        assert await phone.closed_with() == 4401
    finally:
        await phone.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "origin", ["null", "http://127.0.0.1.evil.example", "https://localhost.evil.example:443", "http://evil.example"]
)
async def test_a_browser_socket_from_a_look_alike_or_opaque_origin_is_refused(origin):
    socket = Socket("/ws/v1/dashboard", headers=[(b"origin", origin.encode())])

    connected = await socket.open()

    assert connected is False


# --- sessions: fixation and CSRF --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("login_url", "logout_url"), [("/login/", "/logout/"), ("/admin/login/?next=/admin/", "/admin/logout/")]
)
def test_logging_in_rotates_the_session_key_and_logging_out_forgets_it(login_url, logout_url):
    get_user_model().objects.create_user(username="staffer", password=PASSWORD, is_staff=True)
    client = Client()
    # An attacker plants a session id in the victim's browser before they log in.
    planted = SessionStore()
    planted["planted"] = True
    planted.save()
    client.cookies["sessionid"] = planted.session_key

    response = client.post(login_url, {"username": "staffer", "password": PASSWORD})

    assert response.status_code == 302
    logged_in_key = client.cookies["sessionid"].value
    assert logged_in_key != planted.session_key
    assert not SessionStore().exists(planted.session_key)
    assert SessionStore(session_key=logged_in_key).load().get("_auth_user_id")
    client.post(logout_url)
    assert not SessionStore().exists(logged_in_key)


@pytest.mark.django_db
def test_an_unsafe_api_call_on_a_browser_session_needs_the_csrf_token(make_person):
    person = make_person("county_coordinator", QIXIAN)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(person.user)
    alert = {"kind": "other", "title": "CSRF", "area_codes": [QIXIAN]}

    forged = browser.post("/api/v1/alerts", alert, content_type="application/json")
    browser.get("/admin/login/")  # any page that sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    from_another_site = browser.post(
        "/api/v1/alerts",
        alert,
        content_type="application/json",
        headers={"X-CSRFToken": token, "Origin": "https://evil.example"},
        secure=True,
    )
    genuine = browser.post("/api/v1/alerts", alert, content_type="application/json", headers={"X-CSRFToken": token})

    assert forged.status_code == 403
    assert forged.json()["code"] == "forbidden"
    assert from_another_site.status_code == 403
    assert genuine.status_code == 201


@pytest.mark.django_db
def test_a_bearer_token_needs_no_csrf_token_because_no_browser_sends_it_by_itself(make_person, login):
    client = login(make_person("county_coordinator", QIXIAN))
    client.client = Client(enforce_csrf_checks=True)

    response = client.post("/api/v1/alerts", {"kind": "other", "title": "bearer", "area_codes": [QIXIAN]})

    assert response.status_code == 201


# --- per-user rate limit ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_user_over_the_rate_limit_gets_429_with_retry_after_and_others_carry_on(make_person, login, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rate"}}
    settings.API_RATE_PER_MINUTE = 3
    busy = login(make_person("county_coordinator", QIXIAN))
    calm = login(make_person("volunteer", QIXIAN_TOWNSHIP))

    answers = [busy.get("/api/v1/me").status_code for _ in range(4)]
    limited = busy.get("/api/v1/people")
    other = calm.get("/api/v1/me")

    assert answers[:3] == [200, 200, 200]
    assert answers[3] == 429
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert other.status_code == 200


@pytest.mark.django_db
def test_the_rate_limit_is_documented_on_every_authenticated_operation(client):
    schema = client.get("/api/v1/openapi.json").json()

    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if operation.get("security") and "429" not in operation["responses"]
    ]

    assert missing == []


# --- security headers ------------------------------------------------------------------------


@pytest.mark.django_db
def test_responses_carry_the_security_headers(make_person, login):
    response = login(make_person("volunteer", QIXIAN_TOWNSHIP)).get("/api/v1/me")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_production_redirects_to_https_and_sends_hsts_and_secure_cookies():
    code = (
        "from django.test import Client; c = Client(); "
        "r = c.get('/api/v1/openapi.json'); print('plain', r.status_code, r.get('Location')); "
        "r = c.get('/api/v1/openapi.json', secure=True); "
        "print('tls', r.status_code, r['Strict-Transport-Security']); "
        "from django.conf import settings as s; "
        "print('cookies', s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY)"
    )
    result = run_django(
        code,
        ZHENGQI_ENV="production",
        SECRET_KEY=GOOD_KEY,
        ZHENGQI_FIELD_KEYS=FIELD_KEY,
        ALLOWED_HOSTS="testserver",
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "plain 301 https://testserver/api/v1/openapi.json" in lines
    assert "tls 200 max-age=31536000; includeSubDomains; preload" in lines
    assert "cookies True True True" in lines


# --- body size limits on every operation that takes a body --------------------------------------


def _unsafe_operations() -> list[tuple[str, str]]:
    import re

    from tests.hardening.endpoints import api_operations

    return [
        (e.method, "/" + re.sub(r"<(?:\w+:)?(\w+)>", "1", e.route))
        for e in api_operations()
        if e.method in ("POST", "PUT", "PATCH")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), _unsafe_operations())
def test_every_operation_refuses_an_oversized_body_before_reading_it(method, path, settings):
    limit = settings.API_MAX_UPLOAD_BYTES if path.startswith(settings.API_UPLOAD_PATHS) else settings.API_MAX_BODY_BYTES

    response = Client().generic(method, path, b"{}", content_type="application/json", CONTENT_LENGTH=str(limit + 1))

    assert response.status_code == 413
    assert response.json() == {
        "code": "payload_too_large",
        "message": response.json()["message"],
        "details": {"max_bytes": limit},
    }


@pytest.mark.redis
@pytest.mark.django_db
def test_the_rate_limit_is_counted_in_redis_so_every_process_shares_it(make_person, login, settings, redis_url):
    import os

    import redis

    prefix = f"zqtest-rate-{os.getpid()}"
    backend = "django.core.cache.backends.redis.RedisCache"
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": redis_url, "KEY_PREFIX": prefix}}
    settings.API_RATE_PER_MINUTE = 2
    client = login(make_person("county_coordinator", QIXIAN))
    server = redis.Redis.from_url(redis_url)
    try:
        answers = [client.get("/api/v1/me").status_code for _ in range(3)]
        counters = [server.get(key) for key in server.scan_iter(f"{prefix}:*zq:rate:*")]
    finally:
        for key in server.scan_iter(f"{prefix}:*"):
            server.delete(key)

    assert answers == [200, 200, 429]
    assert counters == [b"3"]  # one counter, in Redis, that every server process increments
