import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "regions.json"


def load_regions(apps, schema_editor):
    Region = apps.get_model("orgs", "Region")
    rows = []
    for p_code, p_name, cities in json.loads(DATA.read_text(encoding="utf-8")):
        rows.append(Region(code=p_code, name=p_name, level=1, parent_id=None))
        for c_code, c_name, districts in cities:
            rows.append(Region(code=c_code, name=c_name, level=2, parent_id=p_code))
            rows.extend(Region(code=d_code, name=d_name, level=3, parent_id=c_code)
                        for d_code, d_name in districts)
    Region.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def unload_regions(apps, schema_editor):
    apps.get_model("orgs", "Region").objects.filter(level=3).delete()
    apps.get_model("orgs", "Region").objects.filter(level=2).delete()
    apps.get_model("orgs", "Region").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]

    operations = [migrations.RunPython(load_regions, unload_regions)]
