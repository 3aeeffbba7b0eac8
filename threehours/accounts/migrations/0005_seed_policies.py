"""Version 1 of the user agreement and the privacy policy (issue #16 §1), published. The texts
live in accounts/policies/*.md; a migration reads them by path and imports no app code."""

from pathlib import Path

from django.db import migrations
from django.utils import timezone

POLICIES = Path(__file__).resolve().parent.parent / "policies"

DOCUMENTS = [
    ("terms", "三小时志愿服务平台用户协议", "terms_v1.md"),
    ("privacy", "三小时志愿服务平台隐私政策", "privacy_v1.md"),
]


def seed(apps, schema_editor):
    PolicyDocument = apps.get_model("accounts", "PolicyDocument")
    now = timezone.now()
    for kind, title, filename in DOCUMENTS:
        PolicyDocument.objects.get_or_create(
            kind=kind,
            version=1,
            defaults={
                "title": title,
                "body_markdown": (POLICIES / filename).read_text(encoding="utf-8"),
                "changes": "",
                "published_at": now,
                "created_at": now,
            },
        )


def unseed(apps, schema_editor):
    PolicyDocument = apps.get_model("accounts", "PolicyDocument")
    PolicyDocument.objects.filter(version=1, kind__in=[kind for kind, _, _ in DOCUMENTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_policies_consents_closing")]

    operations = [migrations.RunPython(seed, unseed)]
