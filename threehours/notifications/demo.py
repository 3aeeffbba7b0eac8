from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Message


@transaction.atomic
def load() -> list[str]:
    # get_user_model(): notifications stands below accounts (docs/decisions/0010-floors.md).
    users = get_user_model().objects.filter(phone__in=["13800000001", "13800000002", "13800000003"])
    for user in users:
        Message.objects.get_or_create(
            recipient=user,
            title="欢迎来到 threehours",
            defaults={
                "body": "绑定手机号并完成实名信息后，就可以报名公益活动、签到并累计公益时。",
                "link": "/me/",
            },
        )
    return []
