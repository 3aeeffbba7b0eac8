"""Demo organisations (idempotent): one approved community centre run by the demo organisation
account, one application waiting in the operators' review queue."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from threehours.accounts.demo import ORG_EMAIL
from threehours.accounts.models import User

from .models import Membership, Organisation, Region

REVIEW_EMAIL = "school@demo.threehours.cn"


@transaction.atomic
def load() -> list[str]:
    now = timezone.now()
    owner = User.objects.get(email=ORG_EMAIL)
    regions = Region.objects.in_bulk(["31", "3101", "310104", "4403", "44", "440305"])
    if not Organisation.objects.filter(applicant=owner).exists():
        org = Organisation.objects.create(
            name="阳光社区服务中心",
            category=Organisation.Category.SOCIAL_ORG,
            province=regions["31"],
            city=regions["3101"],
            district=regions["310104"],
            address="上海市徐汇区漕溪北路 88 号",
            contact_name="王老师",
            contact_phone="021-64001234",
            credit_code="52310104MJ49157306",
            certificate_valid_until=(now + dt.timedelta(days=400)).date(),
            intro="扎根徐汇的社区志愿服务机构，组织助老、环保、亲子阅读等志愿活动。",
            state=Organisation.State.APPROVED,
            applicant=owner,
            submitted_at=now,
            reviewed_at=now,
            approved_at=now,
        )
        Membership.objects.create(organisation=org, user=owner, role=Membership.Role.ADMIN)
    reviewer, created = User.objects.get_or_create(
        email=REVIEW_EMAIL,
        defaults={"email_verified_at": now, "nickname": "深圳实验学校志愿者协会"},
    )
    if created:
        reviewer.set_password("demo-school-2026")
        reviewer.save(update_fields=["password"])
    if not Organisation.objects.filter(applicant=reviewer).exists():
        Organisation.objects.create(
            name="深圳实验学校青年志愿者协会",
            category=Organisation.Category.SCHOOL,
            province=regions["44"],
            city=regions["4403"],
            district=regions["440305"],
            address="深圳市南山区实验路 1 号",
            contact_name="李老师",
            contact_phone="13800138000",
            intro="学校团委指导下的学生志愿服务组织，开展支教、环保和社区服务。",
            state=Organisation.State.SUBMITTED,
            applicant=reviewer,
            submitted_at=now,
        )
    return [
        "  A second organisation account, its application waiting for review:",
        f"    {REVIEW_EMAIL}  demo-school-2026",
    ]
