"""Demo accounts (idempotent). Passwords and codes are public: demo only."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import User

ORG_EMAIL, ORG_PASSWORD = "org@demo.threehours.cn", "demo-org-2026"
OPS_EMAIL, OPS_PASSWORD = "ops@demo.threehours.cn", "demo-ops-2026"
VOLUNTEERS = [("13800000001", "小李"), ("13800000002", "王阿姨"), ("13800000003", "陈同学")]


@transaction.atomic
def load() -> list[str]:
    now = timezone.now()
    for phone, nickname in VOLUNTEERS:
        user, created = User.objects.get_or_create(
            phone=phone, defaults={"nickname": nickname, "phone_bound_at": now}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
    if not User.objects.filter(email=ORG_EMAIL).exists():
        User.objects.create_user(
            email=ORG_EMAIL,
            password=ORG_PASSWORD,
            email_verified_at=now,
            nickname="阳光社区服务中心",
        )
    if not User.objects.filter(email=OPS_EMAIL).exists():
        User.objects.create_superuser(email=OPS_EMAIL, password=OPS_PASSWORD, nickname="运营")
    codes = {phone: code for phone, code in settings.TEST_PHONES.items()}
    lines = ["  Volunteers (phone + SMS code, at /login/):"]
    for phone, nickname in VOLUNTEERS:
        code = codes.get(phone, "(set THREEHOURS_TEST_PHONES)")
        lines.append(f"    {phone}  code {code}  {nickname}")
    lines += [
        "  Organisation (e-mail + password, at /org/login/):",
        f"    {ORG_EMAIL}  {ORG_PASSWORD}",
        "  Operator (e-mail + password, at /ops/login/):",
        f"    {OPS_EMAIL}  {OPS_PASSWORD}",
    ]
    return lines
