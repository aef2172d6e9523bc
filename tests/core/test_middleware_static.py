"""Static files under ASGI: `core.middleware.StaticFilesMiddleware` (WhiteNoise, answering with bytes).

Through Django's real ASGI handler, as `make demo` serves them: the file's exact bytes, ranges,
HEAD and conditional requests work, and Django has no synchronous stream to warn about.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from channels.testing import HttpCommunicator
from django.core.asgi import get_asgi_application

ZQ_JS = Path(__file__).resolve().parents[2] / "core" / "static" / "web" / "zq.js"


async def fetch(method: str, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> dict:
    headers = [(b"host", b"localhost"), *(headers or [])]
    communicator = HttpCommunicator(get_asgi_application(), method, path, headers=headers)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = await communicator.get_response(timeout=10)
    streamed = [str(w.message) for w in caught if "iterators" in str(w.message)]
    assert streamed == [], streamed  # Django had to buffer a synchronous stream
    response["headers"] = {k.decode().lower(): v.decode() for k, v in response["headers"]}
    return response


@pytest.mark.django_db
async def test_a_static_file_is_served_whole_with_its_type_and_length() -> None:
    response = await fetch("GET", "/static/web/zq.js")
    assert response["status"] == 200
    assert response["body"] == ZQ_JS.read_bytes()
    assert response["headers"]["content-type"].startswith("text/javascript")
    assert int(response["headers"]["content-length"]) == ZQ_JS.stat().st_size


@pytest.mark.django_db
async def test_a_range_a_head_and_a_conditional_request_are_answered_as_http_says() -> None:
    whole = ZQ_JS.read_bytes()
    part = await fetch("GET", "/static/web/zq.js", [(b"range", b"bytes=10-29")])
    assert part["status"] == 206
    assert part["body"] == whole[10:30]
    assert part["headers"]["content-range"] == f"bytes 10-29/{len(whole)}"

    head = await fetch("HEAD", "/static/web/zq.js")
    assert head["status"] == 200
    assert head["body"] == b""
    assert int(head["headers"]["content-length"]) == len(whole)

    tag = (await fetch("GET", "/static/web/zq.js"))["headers"]["etag"]
    again = await fetch("GET", "/static/web/zq.js", [(b"if-none-match", tag.encode())])
    assert again["status"] == 304
    assert again["body"] == b""


@pytest.mark.django_db
async def test_a_path_that_is_not_a_static_file_goes_on_to_django() -> None:
    response = await fetch("GET", "/static/web/no-such-file.js")
    assert response["status"] == 404
