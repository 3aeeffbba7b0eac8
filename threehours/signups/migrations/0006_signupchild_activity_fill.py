from django.db import migrations

LIVE = ("confirmed", "pending", "waiting")


def fill(apps, schema_editor):
    SignupChild = apps.get_model("signups", "SignupChild")
    for row in SignupChild.objects.select_related("signup").iterator():
        row.activity_id = row.signup.activity_id
        row.live = row.signup.status in LIVE
        row.save(update_fields=["activity", "live"])


class Migration(migrations.Migration):
    """Copy each family registration's activity and liveness onto its children (data)."""

    dependencies = [("signups", "0005_signupchild_activity_live")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
