from django.db import migrations


def search_text_fill(apps, schema_editor):
    # The rule of activities.search.search_text_for (migrations do not import app code).
    Activity = apps.get_model("activities", "Activity")
    rows = list(Activity.objects.select_related("organisation").only("title", "organisation__name"))
    for row in rows:
        row.search_text = " ".join(f"{row.title} {row.organisation.name}".split()).lower()
    Activity.objects.bulk_update(rows, ["search_text"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("activities", "0005_activity_discovery")]

    operations = [migrations.RunPython(search_text_fill, migrations.RunPython.noop)]
