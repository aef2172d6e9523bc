"""Signing in from a browser: the session page, the socket token it gets, and signing out."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import WebStack, sign_in


def test_a_volunteer_signs_in_on_the_phone_and_its_socket_connects(web_stack: WebStack, new_page: Any) -> None:
    page = new_page("phone")

    sign_in(page, web_stack.url, "volunteer_demo")

    assert page.url.endswith("/m/")
    page.wait_for_selector("[data-testid=conn-state][data-state=open]", timeout=10_000)


def test_a_coordinator_lands_on_the_dashboard(web_stack: WebStack, new_page: Any) -> None:
    page = new_page("desktop")

    sign_in(page, web_stack.url, "county_410622")

    assert page.url.endswith("/dashboard/")


def test_a_wrong_password_is_refused_in_chinese_by_default(web_stack: WebStack, new_page: Any) -> None:
    page = new_page("phone")

    page.goto(f"{web_stack.url}/login/")
    page.fill("input[name=username]", "volunteer_demo")
    page.fill("input[name=password]", "not-the-password")
    page.click("[data-testid=login-submit]")

    error = page.wait_for_selector("[data-testid=login-error]")
    assert "用户名" in (error.text_content() or "")
    assert page.get_attribute("html", "lang") == "zh-hans"


def test_the_language_switch_turns_the_page_english(web_stack: WebStack, new_page: Any) -> None:
    page = new_page("phone")
    page.goto(f"{web_stack.url}/login/")

    page.click("[data-testid=lang-en]")

    page.wait_for_selector("html[lang=en]")
    assert page.text_content("[data-testid=login-submit]") == "Sign in"


def test_signing_out_revokes_the_socket_token_the_page_was_given(web_stack: WebStack, new_page: Any) -> None:
    page = new_page("phone")
    sign_in(page, web_stack.url, "volunteer_demo")
    page.wait_for_selector("[data-testid=conn-state][data-state=open]", timeout=10_000)
    token = page.evaluate("JSON.parse(localStorage.getItem('zq.token')).token")

    page.evaluate("""() => fetch('/logout/', {method: 'POST', headers: {'X-CSRFToken': zq.cookie('csrftoken')}})""")

    status = page.evaluate(
        "t => fetch('/api/v1/me', {headers: {Authorization: 'Bearer ' + t}, credentials: 'omit'}).then(r => r.status)",
        token,
    )
    assert status == 401
