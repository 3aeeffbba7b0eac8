import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """SignupChild repeats its signup's activity and liveness (schema; filled by 0006)."""

    dependencies = [
        ("activities", "0009_activity_family"),
        ("signups", "0004_family"),
    ]

    operations = [
        migrations.AddField(
            model_name="signupchild",
            name="activity",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="activities.activity",
            ),
        ),
        migrations.AddField(
            model_name="signupchild",
            name="live",
            field=models.BooleanField(default=True),
        ),
    ]
