"""Relay.due_at becomes required and indexed for the deadline job; the per-session claim goes."""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("training", "0002_relay_due_at_backfilled")]

    operations = [
        migrations.AlterField(model_name="relay", name="due_at", field=models.DateTimeField()),
        migrations.AddIndex(
            model_name="relay", index=models.Index(fields=["overdue_at", "due_at"], name="relay_due")
        ),
        migrations.RemoveField(model_name="session", name="relay_checked_at"),
    ]
