"""schemathesis against /api/v1/openapi.json, in process (Django's WSGI handler, no network).

Every operation gets generated requests (valid and invalid) from an authenticated county
coordinator who has records to act on; no response may be a 5xx, and every status a response
carries must be documented for its operation. Bounded and derandomized so CI is repeatable:
ZHENGQI_FUZZ_EXAMPLES raises the bound for a longer local run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from core.positions import positions
from tests.conftest import ApiClient
from tests.hardening.world import World, build_world

EXAMPLES = int(os.environ.get("ZHENGQI_FUZZ_EXAMPLES", "20"))


# Loaded at collection: serving the schema needs no database. One test per operation.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def _keep_the_test_connection(world: World) -> Iterator[None]:
    """What Django's test Client does around each request: the WSGI handler would otherwise close the
    database connection after every response, and with it the test's transaction (on PostgreSQL).
    After `world`, whose test Client reconnects the handlers after each of its requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(hebi: None, settings: Any) -> World:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fuzz"}}
    # Each example may fail a login; lockouts must not turn later examples into 429s about someone else.
    settings.AXES_ENABLED = False
    from django.core.cache import cache

    cache.clear()  # per-user rate-limit counters of an earlier operation's test (user ids are reused)
    positions().clear()
    return build_world(lambda token: ApiClient(token))


@schema.parametrize()
@pytest.mark.usefixtures("_keep_the_test_connection")
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found, quickly
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_5xx_or_an_undocumented_status(case: Any, world: World) -> None:
    # Each example in a savepoint, as each request would be its own transaction in production: an
    # example that makes PostgreSQL refuse a value (a 422) must not abort the test's transaction.
    with transaction.atomic():
        response = case.call(headers={"Authorization": f"Bearer {world.tokens['county']}"})
        transaction.set_rollback(True)
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance, content_type_conformance])
