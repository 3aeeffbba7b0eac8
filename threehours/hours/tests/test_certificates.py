"""Issuing certificates (issue #15 §3): what counts, who may ask, what is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from threehours.accounts.models import User
from threehours.core.audit import AuditEntry
from threehours.core.errors import DomainError
from threehours.core.timeutil import local_today
from threehours.family.services.claim import record_claim
from threehours.family.tests.factories import child_of, guardian, years_ago
from threehours.hours import certificates
from threehours.hours.certificates import certificate_issue
from threehours.hours.models import Certificate
from threehours.orgs.tests.factories import applicant, approved_org

from .certs import (
    adult,
    correct,
    credit,
    later,
    offline,
    online,
    pdf_pages,
    pdf_png,
    pdf_text,
    qr_decode,
)

pytestmark = pytest.mark.django_db


def _files() -> set[str]:
    root = settings.PRIVATE_MEDIA_ROOT / "certificates"
    return {str(p) for p in root.rglob("*.pdf")} if root.exists() else set()


def _code(excinfo) -> str:
    return excinfo.value.code


def test_issue_stores_the_pdf_with_its_hash_and_a_masked_name(org):
    holder = adult(name="张小三")
    activity = offline(org)
    with later(20):
        credit(holder, activity, activity.start_date, "3.5")
        cert = certificate_issue(requester=holder, holder=holder)
    data = cert.pdf.read()
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == cert.sha256
    assert cert.holder_masked == "张*三"
    assert cert.total_hours == Decimal("3.5")
    assert cert.activity_count == 1
    assert cert.all_time
    assert cert.date_from == activity.start_date
    assert cert.date_to == activity.start_date + dt.timedelta(days=10)  # today, 20 days on
    assert cert.issued_to == holder
    assert cert.state == Certificate.State.VALID
    assert AuditEntry.objects.filter(verb="certificate.issued", target_id=str(cert.pk)).exists()


def test_the_period_holds_its_first_and_last_day_and_nothing_outside(org):
    holder = adult()
    activity = offline(org)
    day = activity.start_date
    with later(30):
        for offset in (-1, 0, 3, 5, 6):
            credit(holder, activity, day + dt.timedelta(days=offset), "1.0")
        cert = certificate_issue(
            requester=holder,
            holder=holder,
            date_from=day,
            date_to=day + dt.timedelta(days=5),
        )
    assert cert.total_hours == Decimal("3.0")
    assert not cert.all_time
    assert (cert.date_from, cert.date_to) == (day, day + dt.timedelta(days=5))


def test_a_period_without_hours_is_refused_and_nothing_is_written(org):
    holder = adult()
    activity = offline(org)
    day = activity.start_date
    before = _files()
    with later(30):
        credit(holder, activity, day, "2.0")
        with pytest.raises(DomainError) as excinfo:
            certificate_issue(
                requester=holder,
                holder=holder,
                date_from=day + dt.timedelta(days=1),
                date_to=day + dt.timedelta(days=9),
            )
    assert _code(excinfo) == "no_hours"
    assert excinfo.value.status == 409
    assert not Certificate.objects.exists()
    assert _files() == before


def test_no_hours_at_all_is_no_hours(org):
    holder = adult()
    with pytest.raises(DomainError) as excinfo:
        certificate_issue(requester=holder, holder=holder)
    assert _code(excinfo) == "no_hours"


@pytest.mark.parametrize(
    ("date_from", "date_to", "field"),
    [
        (5, 4, "date_from"),  # first day after the last
        (0, 41, "date_to"),  # ends after today (today is +40)
        (None, 41, "date_to"),
    ],
)
def test_a_bad_period_names_the_field(org, date_from, date_to, field):
    holder = adult()
    activity = offline(org)
    day = activity.start_date
    with later(30):
        credit(holder, activity, day, "2.0")
        with pytest.raises(DomainError) as excinfo:
            certificate_issue(
                requester=holder,
                holder=holder,
                date_from=None if date_from is None else day + dt.timedelta(days=date_from),
                date_to=day + dt.timedelta(days=date_to - 10) if date_to else None,
            )
    assert excinfo.value.status == 400
    assert field in excinfo.value.fields


def test_the_period_may_end_today_but_not_start_before_2000(org):
    holder = adult()
    activity = offline(org)
    with later(20):
        credit(holder, activity, activity.start_date, "2.0")
        cert = certificate_issue(requester=holder, holder=holder, date_to=local_today())
        assert cert.date_to == local_today()
        assert not cert.all_time
        with pytest.raises(DomainError) as excinfo:
            certificate_issue(requester=holder, holder=holder, date_from=dt.date(1999, 12, 31))
        assert "date_from" in excinfo.value.fields
        ok = certificate_issue(requester=holder, holder=holder, date_from=dt.date(2000, 1, 1))
        assert ok.total_hours == Decimal("2.0")


def test_one_organisation_only(org, operator):
    other = approved_org(
        operator=operator, user=applicant("river@ngo.example.cn"), name="河道守护队"
    )
    holder = adult()
    mine, theirs = offline(org), offline(other)
    with later(20):
        credit(holder, mine, mine.start_date, "2.0")
        credit(holder, theirs, theirs.start_date, "5.0")
        cert = certificate_issue(requester=holder, holder=holder, organisation=other)
        everything = certificate_issue(requester=holder, holder=holder)
    assert cert.total_hours == Decimal("5.0")
    assert cert.organisation == other
    assert everything.total_hours == Decimal("7.0")
    assert everything.activity_count == 2


def test_corrections_count_net_and_a_day_corrected_to_zero_is_left_out(org):
    holder = adult()
    first, second = offline(org, title="河道清洁"), offline(org, title="图书整理")
    with later(20):
        credit(holder, first, first.start_date, "3.0")
        correct(holder, first, first.start_date, "-1.0", actor=org.applicant)
        credit(holder, second, second.start_date, "2.0")
        correct(holder, second, second.start_date, "-2.0", actor=org.applicant)
        cert = certificate_issue(requester=holder, holder=holder)
    assert cert.total_hours == Decimal("2.0")
    assert cert.activity_count == 1


def test_online_participation_credit_is_not_service_time(org):
    holder = adult()
    on, place = online(org), offline(org)
    with later(20):
        credit(holder, on, on.start_date, "0.1")
        with pytest.raises(DomainError) as excinfo:
            certificate_issue(requester=holder, holder=holder)
        assert _code(excinfo) == "no_hours"
        credit(holder, place, place.start_date, "1.0")
        cert = certificate_issue(requester=holder, holder=holder)
    assert cert.total_hours == Decimal("1.0")


def test_a_child_certificate_is_issued_to_the_guardian(org):
    parent = guardian()
    child = child_of(parent, name="王小宝")
    activity = offline(org)
    with later(20):
        credit(child, activity, activity.start_date, "2.0")
        cert = certificate_issue(requester=parent, holder=child)
    assert cert.holder == child
    assert cert.issued_to == parent
    assert cert.holder_masked == "王*宝"


def test_a_child_certificate_is_refused_to_anyone_else(org):
    parent = guardian()
    child = child_of(parent)
    stranger = adult()
    activity = offline(org)
    with later(20):
        credit(child, activity, activity.start_date, "2.0")
        with pytest.raises(DomainError) as excinfo:
            certificate_issue(requester=stranger, holder=child)
        assert _code(excinfo) == "not_guardian"
        assert excinfo.value.status == 404
        with pytest.raises(DomainError) as excinfo:
            certificate_issue(requester=parent, holder=stranger)  # an adult is nobody's child
        assert _code(excinfo) == "not_guardian"
        with pytest.raises(DomainError) as excinfo:
            certificate_issue(requester=child, holder=child)
        assert _code(excinfo) == "guarded_holder"
    assert not Certificate.objects.exists()


def test_a_former_guardian_cannot_issue_after_the_hand_over(org):
    parent = guardian()
    child = child_of(parent, born=years_ago(18, days=5))  # 18 in five days
    activity = offline(org)
    with later(20):
        credit(child, activity, activity.start_date, "2.0")
        assert certificate_issue(requester=parent, holder=child)
        claimant = User.objects.create(phone="13700000099", phone_bound_at=timezone.now())
        holder = record_claim(user=claimant, id_number=child.id_number_plain())
        with pytest.raises(DomainError) as excinfo:
            certificate_issue(requester=parent, holder=holder)
        assert _code(excinfo) == "not_guardian"
        own = certificate_issue(requester=holder, holder=holder)
    assert own.issued_to == holder == own.holder
    assert own.total_hours == Decimal("2.0")


def test_the_pdf_carries_name_masked_id_serial_total_and_the_qr_to_verify(
    org, tmp_path, screenshot_dir
):
    holder = adult(name="张小三")
    activity = offline(org, title="社区助老探访")
    with later(20):
        credit(holder, activity, activity.start_date, "3.5")
        cert = certificate_issue(requester=holder, holder=holder)
    data = cert.pdf.read()
    text = pdf_text(data, tmp_path)
    assert "张小三" in text
    assert holder.id_number_masked in text
    assert holder.id_number_plain() not in text
    assert cert.serial in text
    assert "3.5" in text
    assert "志愿服务证明" in text or "公益证书" in text
    assert "社区助老探访" in text
    url = settings.SITE_URL + reverse("hours:verify", args=[cert.serial])
    assert url in text
    png = pdf_png(data, tmp_path, dpi=150)
    assert qr_decode(png) == url
    shutil.copy(png, screenshot_dir / "certificate-zh.png")


def test_a_holder_without_a_real_name_is_marked_not_verified(org, volunteer, tmp_path):
    activity = offline(org)
    with later(20), __import__("django.utils.translation", fromlist=["x"]).override("en"):
        credit(volunteer, activity, activity.start_date, "1.0")
        cert = certificate_issue(requester=volunteer, holder=volunteer, language="en")
    text = pdf_text(cert.pdf.read(), tmp_path)
    assert "not verified" in text


def test_the_english_certificate(org, tmp_path, screenshot_dir):
    holder = adult()
    activity = offline(org)
    with later(20):
        credit(holder, activity, activity.start_date, "2.0")
        cert = certificate_issue(requester=holder, holder=holder, language="en")
    data = cert.pdf.read()
    text = pdf_text(data, tmp_path)
    assert cert.language == "en"
    assert "Certificate of Volunteer Service" in text
    assert "Page 1 of 1" in text
    assert "Serial number: " + cert.serial in text
    shutil.copy(pdf_png(data, tmp_path), screenshot_dir / "certificate-en.png")


def test_a_long_record_breaks_across_pages_with_the_header_repeated(org, tmp_path, screenshot_dir):
    holder = adult()
    many = [offline(org, title=f"社区助老探访 第{i + 1}期") for i in range(80)]
    with later(20):
        for activity in many:
            credit(holder, activity, activity.start_date, "1.5")
        cert = certificate_issue(requester=holder, holder=holder)
        english = certificate_issue(requester=holder, holder=holder, language="en")
    assert cert.activity_count == 80
    assert cert.total_hours == Decimal("120.0")
    data = cert.pdf.read()
    pages = [p for p in pdf_pages(data, tmp_path) if p.strip()]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        # pdftotext drops the spaces between CJK characters.
        assert re.search(rf"第\s*{number}\s*页\s*/\s*共\s*{len(pages)}\s*页", page)
    # The table's header row again at the top of the second page.
    assert "日期" in pages[1] and "活动" in pages[1] and "时长" in pages[1]
    assert "第80期" in pages[-1] or "第80期" in "".join(pages)
    shutil.copy(pdf_png(data, tmp_path, page=2), screenshot_dir / "certificate-page2.png")
    en_pages = [p for p in pdf_pages(english.pdf.read(), tmp_path) if p.strip()]
    assert "Date" in en_pages[1] and "Hours" in en_pages[1]
    assert f"Page 2 of {len(en_pages)}" in en_pages[1]


def test_the_language_must_be_chinese_or_english(org):
    holder = adult()
    with pytest.raises(DomainError) as excinfo:
        certificate_issue(requester=holder, holder=holder, language="fr")
    assert "language" in excinfo.value.fields


def test_a_failed_transaction_leaves_no_row_and_no_file(org, monkeypatch):
    holder = adult()
    activity = offline(org)
    before = _files()

    def refuse(**kwargs):
        raise IntegrityError("audit refused")

    monkeypatch.setattr(certificates, "audit_record", refuse)
    with later(20):
        credit(holder, activity, activity.start_date, "2.0")
        with pytest.raises(IntegrityError):
            certificate_issue(requester=holder, holder=holder)
    assert not Certificate.objects.exists()
    assert _files() == before


def test_a_serial_collision_draws_another(org, monkeypatch):
    holder = adult()
    activity = offline(org)
    serials = iter(["3H-AAAA-AAAA-AAAA-AAAA", "3H-AAAA-AAAA-AAAA-AAAA", "3H-BBBB-BBBB-BBBB-BBBB"])
    monkeypatch.setattr(certificates, "serial_new", lambda: next(serials))
    with later(20):
        credit(holder, activity, activity.start_date, "2.0")
        first = certificate_issue(requester=holder, holder=holder)
        second = certificate_issue(requester=holder, holder=holder)
    assert (first.serial, second.serial) == (
        "3H-AAAA-AAAA-AAAA-AAAA",
        "3H-BBBB-BBBB-BBBB-BBBB",
    )


def test_the_evaluations_appear_only_when_chosen(org, tmp_path):
    from threehours.hours.models import ServiceEvaluation
    from threehours.signups.tests.factories import attended

    holder = adult()
    activity = offline(org, title="社区助老探访", questions=[])
    signup = attended(org, activity, holder)  # 1.0 h credited by the real check-out
    with later(20):
        # The evaluation service is another module's (hours.evaluations); the row is what it
        # writes.
        ServiceEvaluation.objects.create(
            volunteer=holder,
            activity=activity,
            organisation=org,
            signup=signup,
            grade=ServiceEvaluation.Grade.EXCELLENT,
            text="耐心细致，老人们很喜欢",
            author=org.applicant,
        )
        with_them = certificate_issue(requester=holder, holder=holder, include_evaluations=True)
        without = certificate_issue(requester=holder, holder=holder)
    text = pdf_text(with_them.pdf.read(), tmp_path)
    assert "耐心细致" in text and "优秀" in text
    assert with_them.include_evaluations
    assert "耐心细致" not in pdf_text(without.pdf.read(), tmp_path)
