from __future__ import annotations

from django.contrib.auth import get_user_model

from threehours.notifications.models import Delivery


def platform_stats() -> dict[str, int]:
    User = get_user_model()
    return {
        "volunteers": User.objects.filter(phone__isnull=False).count(),
        "email_accounts": User.objects.filter(email__isnull=False, is_staff=False).count(),
        "operators": User.objects.filter(is_staff=True).count(),
        "failed_deliveries": Delivery.objects.filter(status=Delivery.Status.FAILED).count(),
    }
