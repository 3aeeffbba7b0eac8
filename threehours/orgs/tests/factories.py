"""Organisations in each state, built through the real services (docs/style.md §6)."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from threehours.accounts.models import User
from threehours.orgs import services
from threehours.orgs.models import Organisation

VALID_CREDIT_CODE = "52310104MJ49157306"


def image_upload(
    name: str = "scan.jpg", *, size=(800, 600), fmt: str = "JPEG", exif: bytes | None = None
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (200, 80, 40))
    kwargs = {"exif": exif} if exif else {}
    image.save(buffer, format=fmt, **kwargs)
    return SimpleUploadedFile(
        name, buffer.getvalue(), content_type="image/png" if fmt == "PNG" else "image/jpeg"
    )


def application_data(**overrides) -> dict:
    data = {
        "name": "阳光志愿者协会",
        "category": Organisation.Category.SCHOOL,
        "province": "31",
        "city": "3101",
        "district": "310104",
        "address": "漕溪北路 88 号",
        "contact_name": "王老师",
        "contact_phone": "13800138000",
        "intro": "学校团委指导下的学生志愿服务组织，开展支教与社区服务。",
        "credit_code": "",
        "certificate_valid_until": None,
    }
    data.update(overrides)
    return data


def applicant(email: str = "apply@ngo.example.cn") -> User:
    return User.objects.create_user(
        email=email, password="Apply-Pass-2026", email_verified_at=timezone.now()
    )


def draft_org(*, user: User | None = None, **overrides) -> Organisation:
    return services.org_application_create(
        user=user or applicant(), data=application_data(**overrides)
    )


def submitted_org(*, user: User | None = None, **overrides) -> Organisation:
    org = draft_org(user=user, **overrides)
    kind = services.REQUIRED_FILE[org.category]
    services.org_file_add(org=org, user=org.applicant, kind=kind, upload=image_upload())
    return services.org_submit(org=org, user=org.applicant)


def approved_org(*, operator: User, user: User | None = None, **overrides) -> Organisation:
    org = submitted_org(user=user, **overrides)
    return services.org_approve(org=org, operator=operator)
