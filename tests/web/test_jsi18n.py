"""The pages' translation catalogue is served compressed to clients that accept it."""

from __future__ import annotations

import gzip
import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "has_chinese"), [("zh-hans", True), ("en", False)])
def test_the_catalogue_is_gzipped_when_the_client_accepts_it(client, language, has_chinese):
    client.cookies["django_language"] = language
    plain = client.get("/jsi18n/")
    packed = client.get("/jsi18n/", HTTP_ACCEPT_ENCODING="gzip")

    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    text = gzip.decompress(packed.content).decode()
    assert text == plain.content.decode()
    assert (json.dumps("接警") in text) is has_chinese  # the phone's "Accept" button (JSON-escaped)
    assert len(packed.content) < len(plain.content) / 2
