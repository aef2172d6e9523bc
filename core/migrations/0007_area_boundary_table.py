"""County outlines move off the Area row into AreaBoundary (nearly every request reads Area).

The outlines are (re)loaded from the shipped data (core/data/hebi/counties.geojson, the only
source of them); going back copies them onto Area again.
"""

import django.db.models.deletion
from django.db import migrations, models


def load(apps, schema_editor):
    from core.divisions import load_divisions

    load_divisions(apps.get_model("core", "Area"), apps.get_model("core", "AreaBoundary"))


def copy_back(apps, schema_editor):
    Area = apps.get_model("core", "Area")
    for outline in apps.get_model("core", "AreaBoundary").objects.all():
        Area.objects.filter(code=outline.area_id).update(boundary=outline.geometry)


class Migration(migrations.Migration):
    dependencies = [("core", "0006_apitoken_password_fingerprint")]

    operations = [
        migrations.CreateModel(
            name="AreaBoundary",
            fields=[
                (
                    "area",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="outline",
                        serialize=False,
                        to="core.area",
                    ),
                ),
                ("geometry", models.JSONField()),
            ],
        ),
        migrations.RunPython(load, copy_back),
        migrations.RemoveField(model_name="area", name="boundary"),
    ]
