"""Half-empty pages for the per-person stream counters (PostgreSQL).

Every publish raises `last_seq` of each recipient's row, and every ack batch sets
`acked_seq`: an alert to 2,000 people updates 2,000 rows. With room left on each
page the new row version stays on the same page and no index entry is written
(a "HOT" update): the upsert that numbers an alert's events took ~4.8 ms instead of
~7.5 ms per 2,000 people (docs/BENCHMARKS.md). The table holds one small row per person,
so the space is negligible. `VACUUM FULL` rewrites the rows already there with the new setting.
"""

from __future__ import annotations

from django.db import migrations

FILLFACTOR = 50


def _set(fillfactor: int | None):
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(apps.get_model("realtime", "Stream")._meta.db_table)
        setting = f"SET (fillfactor = {fillfactor})" if fillfactor else "RESET (fillfactor)"
        schema_editor.execute(f"ALTER TABLE {table} {setting}")
        schema_editor.execute(f"VACUUM FULL {table}")

    return run


class Migration(migrations.Migration):
    atomic = False  # VACUUM cannot run inside a transaction

    dependencies = [("realtime", "0002_shared_bodies")]

    operations = [migrations.RunPython(_set(FILLFACTOR), _set(None))]
