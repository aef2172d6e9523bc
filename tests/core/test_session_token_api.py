"""POST /api/v1/auth/session-token: a signed-in page gets a bearer token for its socket."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client

from core.models import ApiToken, AuditEntry
from core.services.tokens import SESSION_TOKENS_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(make_person) -> tuple[Client, object]:
    person = make_person(user__username="pagevol")
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/")
    csrf = page.cookies["csrftoken"].value
    done = client.post(
        "/login/", {"username": "pagevol", "password": "correct-horse-battery", "csrfmiddlewaretoken": csrf}
    )
    assert done.status_code == 302
    return client, person


def _csrf(client: Client) -> str:
    return client.cookies["csrftoken"].value


def test_it_issues_a_working_bearer_token_to_a_signed_in_session(signed_in) -> None:
    client, person = signed_in

    response = client.post("/api/v1/auth/session-token", headers={"X-CSRFToken": _csrf(client)})

    assert response.status_code == 200
    token = response.json()["token"]
    me = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "pagevol"
    assert AuditEntry.objects.filter(actor=person.user, details__via="session").count() == 1


def test_the_token_ends_with_the_session_that_asked_for_it(signed_in, settings) -> None:
    # A shared phone or desk: the session simply expires (nobody signs out); its page's token
    # must not go on opening the API for the next person who picks the device up.
    client, _ = signed_in
    assert timedelta(seconds=settings.SESSION_COOKIE_AGE) < settings.TOKEN_TTL

    issued = client.post("/api/v1/auth/session-token", headers={"X-CSRFToken": _csrf(client)}).json()

    session_ends = client.session.get_expiry_date()
    assert abs(datetime.fromisoformat(issued["expires_at"]) - session_ends) < timedelta(seconds=5)
    assert ApiToken.objects.get().expires_at <= session_ends


def test_it_refuses_a_request_without_the_csrf_header(signed_in) -> None:
    client, _ = signed_in

    response = client.post("/api/v1/auth/session-token")

    assert response.status_code in (401, 403)
    assert not ApiToken.objects.exists()


def test_it_refuses_anonymous_callers(db) -> None:
    response = Client().post("/api/v1/auth/session-token")

    assert response.status_code == 401
    assert response.json()["code"]


def test_signing_out_revokes_every_token_the_session_was_given(signed_in) -> None:
    client, _ = signed_in
    tokens = [
        client.post("/api/v1/auth/session-token", headers={"X-CSRFToken": _csrf(client)}).json()["token"]
        for _ in range(2)
    ]
    assert len(client.session[SESSION_TOKENS_KEY]) == 2

    client.post("/logout/", headers={"X-CSRFToken": _csrf(client)})

    for token in tokens:
        assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_the_login_page_never_redirects_off_site_or_into_the_api(make_person) -> None:
    make_person(user__username="pagevol2")
    client = Client()

    for target in ("https://evil.example/", "//evil.example/", "/api/v1/people"):
        response = client.post("/login/", {"username": "pagevol2", "password": "correct-horse-battery", "next": target})
        assert response.status_code == 302
        assert response["Location"] in ("/m/", "/dashboard/")
        client.post("/logout/")


def test_pages_require_signing_in(db) -> None:
    for path in ("/m/", "/dashboard/"):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
