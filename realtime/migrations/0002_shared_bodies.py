"""Store what every copy of a publish shares once (StreamBody), and each event's own fields only.

Also drops the database-level foreign keys and the redundant person index of StreamEvent
(see the model). Existing events each get a body holding their whole payload.
"""

import json

import django.db.models.deletion
from django.db import migrations, models

_BATCH = 2000


def payloads_to_bodies(apps, schema_editor):
    StreamEvent = apps.get_model("realtime", "StreamEvent")
    StreamBody = apps.get_model("realtime", "StreamBody")
    last = 0
    for _batch in range(10_000_000):  # bounded: each batch moves past `last` or ends the loop
        events = list(StreamEvent.objects.filter(pk__gt=last).order_by("pk")[:_BATCH])
        if not events:
            break
        for event in events:
            text = json.dumps(event.payload, ensure_ascii=False, separators=(",", ":"))
            event.body = StreamBody.objects.create(text=text, created_at=event.created_at)
        StreamEvent.objects.bulk_update(events, ["body"])
        last = events[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_apitoken_password_fingerprint"),
        ("realtime", "0001_streams"),
    ]

    operations = [
        migrations.CreateModel(
            name="StreamBody",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("text", models.TextField()),
                ("created_at", models.DateTimeField()),
            ],
        ),
        migrations.AlterField(
            model_name="streamevent",
            name="person",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="stream_events",
                to="core.person",
            ),
        ),
        migrations.AddField(
            model_name="streamevent",
            name="body",
            field=models.ForeignKey(
                null=True,
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="realtime.streambody",
            ),
        ),
        migrations.AddField(
            model_name="streamevent",
            name="members",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(payloads_to_bodies, migrations.RunPython.noop),
        migrations.RemoveField(model_name="streamevent", name="payload"),
        migrations.AlterField(
            model_name="streamevent",
            name="body",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="realtime.streambody",
            ),
        ),
    ]
