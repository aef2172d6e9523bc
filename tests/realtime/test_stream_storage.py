"""How the stream tables are stored (PostgreSQL settings that the hot paths rely on)."""

from __future__ import annotations

import pytest
from django.db import connection

from realtime.models import Stream

pytestmark = pytest.mark.django_db


def test_stream_pages_keep_room_for_hot_updates():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL storage parameter (CI runs it there)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [Stream._meta.db_table])
        (options,) = cursor.fetchone()

    assert "fillfactor=50" in options
