import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """A child is in at most one live registration per activity (schema)."""

    dependencies = [("signups", "0006_signupchild_activity_fill")]

    operations = [
        migrations.AlterField(
            model_name="signupchild",
            name="activity",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="activities.activity",
            ),
        ),
        migrations.AddConstraint(
            model_name="signupchild",
            constraint=models.UniqueConstraint(
                condition=models.Q(("live", True)),
                fields=("activity", "child"),
                name="signupchild_one_live_per_activity",
            ),
        ),
    ]
