"""Demo organisations (idempotent): one approved community centre run by the demo organisation
account, one application waiting in the operators' review queue. Each has the qualification
image its category requires (a certificate or an endorsement letter, drawn here), stored as an
upload is, so the reviewer sees a document like a real one."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from threehours.accounts.demo import ORG_EMAIL
from threehours.accounts.models import User
from threehours.core.images import image_clean

from .models import Membership, Organisation, QualificationFile, Region

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
    org = Organisation.objects.get(applicant=owner, name="阳光社区服务中心")
    _demo_file(
        org,
        QualificationFile.Kind.REGISTRATION_CERTIFICATE,
        "民办非企业单位（法人）登记证书",
        [
            f"名　　称：{org.name}",
            f"统一社会信用代码：{org.credit_code}",
            f"住　　所：{org.address}",
            "法定代表人：王　芳",
            "业务范围：社区志愿服务组织、助老助残、环保宣传、亲子阅读推广。",
            "业务主管单位：上海市徐汇区民政局",
            f"有效期限：至 {org.certificate_valid_until:%Y 年 %m 月 %d 日}",
        ],
        seal="上海市徐汇区民政局",
    )
    reviewer, created = User.objects.get_or_create(
        email=REVIEW_EMAIL,
        defaults={"email_verified_at": now, "nickname": "深圳实验学校志愿者协会"},
    )
    if created:
        reviewer.set_password("demo-school-2026")
        reviewer.save(update_fields=["password"])
    if not Organisation.objects.filter(applicant=reviewer).exists():
        school = Organisation.objects.create(
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
    school = Organisation.objects.get(applicant=reviewer)
    _demo_file(
        school,
        QualificationFile.Kind.ENDORSEMENT,
        "推　荐　函",
        [
            "threehours 志愿服务平台：",
            f"　　兹推荐{school.name}入驻贵平台。该协会在我校团委",
            "指导下开展支教、环保和社区服务等志愿活动，管理规范，",
            "活动内容均经学校审核。我校对其在平台上发布的活动负责。",
            f"　　联系人：{school.contact_name}　电话：{school.contact_phone}",
            "　　特此推荐。",
            "深圳实验学校（盖章）　　2026 年 11 月 20 日",
        ],
        seal="深圳实验学校",
    )
    return [
        "  A second organisation account, its application waiting for review:",
        f"    {REVIEW_EMAIL}  demo-school-2026",
    ]


# Fonts with Chinese glyphs that Pillow can draw with: the PDFs' own first, then Debian's.
_DEMO_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for path in [*getattr(settings, "CJK_FONT_PATHS", []), *_DEMO_FONTS]:
        if Path(path).exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)  # no CJK font: the layout stays, the characters do not


def _document_jpeg(heading: str, lines: list[str], seal: str) -> bytes:
    """A scan-like A4-landscape document: a title, lines of text and a red round seal."""
    width, height = 1600, 1130
    image = Image.new("RGB", (width, height), (252, 249, 240))
    draw = ImageDraw.Draw(image)
    red = (190, 30, 45)
    draw.rectangle((30, 30, width - 30, height - 30), outline=(150, 110, 40), width=6)
    draw.rectangle((48, 48, width - 48, height - 48), outline=(150, 110, 40), width=2)
    title = _font(64)
    draw.text((width / 2, 150), heading, font=title, fill=(40, 30, 20), anchor="mm")
    body = _font(36)
    for index, line in enumerate(lines):
        draw.text((140, 270 + index * 72), line, font=body, fill=(30, 30, 30))
    cx, cy, r = width - 330, height - 260, 150
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=10)
    star = [(cx, cy - 60), (cx + 18, cy - 18), (cx + 62, cy - 18), (cx + 27, cy + 8),
            (cx + 40, cy + 52), (cx, cy + 26), (cx - 40, cy + 52), (cx - 27, cy + 8),
            (cx - 62, cy - 18), (cx - 18, cy - 18)]  # fmt: skip
    draw.polygon(star, fill=red)
    draw.text((cx, cy + 95), seal, font=_font(26), fill=red, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88)
    return out.getvalue()


def _demo_file(org: Organisation, kind: str, heading: str, lines: list[str], seal: str) -> None:
    """Give `org` a drawn qualification image of `kind` unless it has one: checked and
    re-encoded by image_clean() and written to the private storage, as an upload is."""
    from .services import FILE_MAX_BYTES

    if org.files.filter(kind=kind, renewal__isnull=True).exists():
        return
    upload = SimpleUploadedFile(
        f"{kind}.jpg", _document_jpeg(heading, lines, seal), content_type="image/jpeg"
    )
    image = image_clean(upload, max_bytes=FILE_MAX_BYTES, max_side=3000, min_side=300)
    row = QualificationFile(
        organisation=org, kind=kind, uploaded_by=org.applicant, original_name=upload.name
    )
    row.image.save(image.content.name, image.content, save=False)
    row.save()
