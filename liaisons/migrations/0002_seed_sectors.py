from django.db import migrations


def seed(apps, schema_editor):
    from liaisons.sectors import seed_sectors

    seed_sectors(
        apps.get_model("liaisons", "Sector"),
        apps.get_model("liaisons", "SectorShift"),
        apps.get_model("liaisons", "CoverageTarget"),
        apps.get_model("core", "Area"),
    )


class Migration(migrations.Migration):
    dependencies = [("liaisons", "0001_initial"), ("core", "0002_load_hebi_divisions")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
