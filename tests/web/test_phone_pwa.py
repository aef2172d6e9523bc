"""The phone app's installable parts, without a browser: the page, its manifest, icons and service worker."""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from core.models import Person
from core.services.duty import duty_set
from tests.conftest import QIBIN_TOWNSHIP

pytestmark = pytest.mark.django_db


def _boot(response: Any) -> dict[str, Any]:
    found = re.search(r'<script id="zq-boot" type="application/json">(.*?)</script>', response.content.decode())
    assert found, "the page carries its boot data"
    return dict(json.loads(found.group(1)))


def test_the_phone_page_asks_for_a_sign_in_first(client: Client) -> None:
    response = client.get("/m/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/m/"


def test_the_phone_page_starts_with_the_stored_duty_status(make_person: Callable[..., Person], client: Client) -> None:
    person = make_person("volunteer", QIBIN_TOWNSHIP)
    duty_set(actor=person.user, on_duty=True)
    client.force_login(person.user)

    boot = _boot(client.get("/m/"))

    assert boot["person_id"] == person.pk
    assert boot["user_id"] == person.user.pk
    assert boot["on_duty"] is True


def test_the_manifest_installs_the_app_under_m_in_the_chosen_language(client: Client) -> None:
    chinese = client.get("/m/manifest.webmanifest").json()
    english = client.get("/m/manifest.webmanifest", headers={"accept-language": "en"}, HTTP_COOKIE="django_language=en")

    assert (chinese["start_url"], chinese["scope"], chinese["display"]) == ("/m/", "/m/", "standalone")
    assert chinese["short_name"] == "正气"
    assert english.json()["short_name"] == "Zhengqi"
    assert english["Content-Type"].startswith("application/manifest+json")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in chinese["icons"] if icon["type"] == "image/png"}
    assert sizes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}


@pytest.mark.parametrize("name", ["icon-192.png", "icon-512.png", "icon-maskable-512.png"])
def test_each_png_icon_is_a_png_of_the_size_the_manifest_declares(name: str) -> None:
    path = finders.find(f"web/icons/{name}")
    assert isinstance(path, str)
    with open(path, "rb") as handle:
        head = handle.read(24)

    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    assert (width, height) == ((192, 192) if "192" in name else (512, 512))


def test_the_service_worker_is_scoped_to_the_app_and_keeps_the_shell_it_needs_offline(client: Client) -> None:
    response = client.get("/m/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/m/"
    assert "no-cache" in response["Cache-Control"]
    config = json.loads(re.match(r"self\.ZQ_SW = (.*?);\n", response.content.decode()).group(1))  # type: ignore[union-attr]
    assert config["shell"] == "/m/"
    assert {"/m/", "/jsi18n/", "/static/web/zq.js", "/static/web/phone.js", "/static/web/phone-alerts.js"} <= set(
        config["precache"]
    )
    for url in config["precache"]:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
