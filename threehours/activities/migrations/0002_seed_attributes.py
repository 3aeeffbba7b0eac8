import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "attributes.json"


def load_attributes(apps, schema_editor):
    """Add the seeded options that are missing; never touch ones operators have edited."""
    Option = apps.get_model("activities", "AttributeOption")
    existing = set(Option.objects.values_list("kind", "code"))
    rows = []
    for kind, options in json.loads(DATA.read_text(encoding="utf-8")).items():
        for position, entry in enumerate(options):
            code, label_zh, label_en = entry[:3]
            if (kind, code) in existing:
                continue
            rows.append(Option(kind=kind, code=code, label_zh=label_zh, label_en=label_en,
                               online=bool(entry[3]) if len(entry) > 3 else False,
                               position=position))
    Option.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]

    operations = [migrations.RunPython(load_attributes, migrations.RunPython.noop)]
