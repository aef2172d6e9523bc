"""Content-Security-Policy on the pages: our own scripts only, our sockets, the map's tile server.

That the pages still work under it (no violation reported by the browser) is checked by every browser
test in tests/web: their `new_page` fails a test whose page logs a Content Security Policy violation.
"""

from __future__ import annotations

import pytest
from django.test import Client

from core.middleware import tile_source
from tests.conftest import QIXIAN

PAGES = ["/login/", "/m/", "/m/manifest.webmanifest", "/m/sw.js", "/dashboard/", "/jsi18n/", "/"]


def _directives(header: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_strict_policy(path, make_person, settings):
    settings.MAP_TILE_URL = "https://tile.example.org/{z}/{x}/{y}.png"
    client = Client()
    client.force_login(make_person("county_coordinator", QIXIAN).user)

    response = client.get(path)

    assert response.status_code in (200, 302), response.status_code
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]  # Leaflet's style attributes
    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://tile.example.org"]
    assert policy["connect-src"] == ["'self'", "ws://testserver", "wss://testserver"]
    assert policy["worker-src"] == ["'self'"]
    assert policy["manifest-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]


@pytest.mark.django_db
def test_an_anonymous_visitor_gets_the_policy_on_the_sign_in_page_too():
    response = Client().get("/login/")

    assert "script-src 'self';" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_api_sends_no_policy_because_it_answers_json_and_its_docs_use_inline_scripts(make_person, login):
    response = login(make_person("volunteer", QIXIAN)).get("/api/v1/me")

    assert response.status_code == 200
    assert "Content-Security-Policy" not in response


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}", "https://*.is.autonavi.com"),
        ("https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&x={x}", "https://*.tianditu.gov.cn"),
        ("http://10.0.0.5:8080/tiles/{z}/{x}/{y}.png", "http://10.0.0.5:8080"),
        ("https://tiles.{s}.example.org/{z}/{x}/{y}.png", "https:"),
        ("", ""),
        ("/tiles/{z}/{x}/{y}.png", ""),  # our own origin: 'self' already covers it
    ],
)
def test_the_tile_servers_origin_becomes_an_image_source(url, source):
    assert tile_source(url) == source


@pytest.mark.django_db
def test_the_tile_origin_follows_the_configured_preset(make_person, settings):
    settings.MAP_TILE_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&x={x}&y={y}&z={z}"
    client = Client()
    client.force_login(make_person("county_coordinator", QIXIAN).user)

    policy = _directives(client.get("/dashboard/")["Content-Security-Policy"])

    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://*.is.autonavi.com"]
