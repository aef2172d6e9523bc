"""Each relayed unit gets its own receipt due time; existing rows take their session's relay deadline."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce


def backfill_due_at(apps: Any, schema_editor: Any) -> None:
    Relay = apps.get_model("training", "Relay")
    Session = apps.get_model("training", "Session")
    session = Session.objects.filter(pk=OuterRef("session_id"))
    Relay.objects.filter(due_at__isnull=True).update(
        due_at=Coalesce(Subquery(session.values("relay_deadline")[:1]), Subquery(session.values("start")[:1]))
    )


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]

    operations = [
        migrations.AddField(model_name="relay", name="due_at", field=models.DateTimeField(null=True)),
        migrations.RunPython(backfill_due_at, migrations.RunPython.noop),
    ]
