"""Organisation onboarding rules (docs/product.md §1), through the service functions."""

import datetime as dt
import io
import struct
import zlib

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from threehours.core.errors import InvalidInput
from threehours.core.images import ImageTooLarge, InvalidImage
from threehours.core.models import AuditEntry
from threehours.notifications.models import Message
from threehours.orgs import errors, services
from threehours.orgs.models import (
    CertificateRenewal,
    ExpiryWarning,
    Membership,
    Organisation,
    QualificationFile,
)

from .factories import (
    VALID_CREDIT_CODE,
    applicant,
    application_data,
    approved_org,
    draft_org,
    image_upload,
    submitted_org,
)

pytestmark = pytest.mark.django_db
State = Organisation.State


# --- application ------------------------------------------------------------------------------


def test_application_starts_as_a_draft_owned_by_its_applicant():
    user = applicant()
    org = services.org_application_create(user=user, data=application_data())
    assert org.state == State.DRAFT
    assert org.applicant == user
    assert services.role_of(user=user, org=org) == Membership.Role.ADMIN
    assert AuditEntry.objects.filter(verb="org.created", target_id=str(org.pk)).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "阳光协会 wxp://f2f0abc"),
        ("intro", "学生志愿服务组织，会费请付 https://ｑｒ．ａｌｉｐａｙ．ｃｏｍ/fkx1"),
        ("address", "漕溪北路 88 号 qr&#46;alipay&#46;com"),
        ("contact_name", "王 qr%2Ealipay%2Ecom"),
    ],
)
def test_an_application_text_cannot_carry_a_payment_link(field, value):
    # Issue #12: the public reads these on the organisation's and its activities' pages.
    with pytest.raises(InvalidInput) as caught:
        services.org_application_create(user=applicant(), data=application_data(**{field: value}))
    assert caught.value.code == "invalid_input" and set(caught.value.fields) == {field}
    assert not Organisation.objects.exists()


def test_an_application_may_name_the_app_and_link_its_website():
    intro = "学生志愿服务组织，活动费用现场微信付款；介绍见 https://example.org/about"
    org = services.org_application_create(user=applicant(), data=application_data(intro=intro))
    assert org.intro == intro


def test_one_open_application_per_user():
    user = applicant()
    draft_org(user=user)
    with pytest.raises(errors.ApplicationExists):
        services.org_application_create(user=user, data=application_data(name="第二家"))
    assert Organisation.objects.count() == 1


def test_a_phone_only_volunteer_account_cannot_apply(volunteer):
    with pytest.raises(errors.EmailNotVerifiedForApply):
        services.org_application_create(user=volunteer, data=application_data())
    assert not Organisation.objects.exists()


def test_an_unverified_email_cannot_apply():
    user = applicant()
    user.email_verified_at = None
    user.save()
    with pytest.raises(errors.EmailNotVerifiedForApply):
        services.org_application_create(user=user, data=application_data())
    assert not Organisation.objects.exists()


@pytest.mark.parametrize(
    "field,value",
    [
        ("name", "阳"),
        ("name", "阳" * 61),
        ("category", "company"),
        ("address", ""),
        ("contact_name", ""),
        ("contact_phone", "12345"),
        ("intro", "太短"),
        ("province", "99"),
        ("city", "4403"),
        ("district", "440305"),
    ],
)
def test_each_bad_field_is_refused_by_name_and_nothing_is_written(field, value):
    with pytest.raises(InvalidInput) as caught:
        services.org_application_create(user=applicant(), data=application_data(**{field: value}))
    assert field in caught.value.fields
    assert not Organisation.objects.exists()


def test_all_bad_fields_are_reported_at_once():
    with pytest.raises(InvalidInput) as caught:
        services.org_application_create(
            user=applicant(), data=application_data(name="", contact_phone="x", intro="")
        )
    assert {"name", "contact_phone", "intro"} <= set(caught.value.fields)


def test_landline_contact_phone_is_accepted():
    org = draft_org(contact_phone="021-64001234")
    assert org.contact_phone == "021-64001234"


def test_social_organisation_needs_a_valid_credit_code_and_a_future_certificate_date():
    social = {"category": Organisation.Category.SOCIAL_ORG, "user": applicant()}
    with pytest.raises(InvalidInput) as caught:
        draft_org(credit_code="91350100M000100Y44", **social)
    assert "credit_code" in caught.value.fields
    with pytest.raises(InvalidInput) as caught:
        draft_org(credit_code=VALID_CREDIT_CODE, certificate_valid_until="2020-01-01", **social)
    assert "certificate_valid_until" in caught.value.fields
    assert not Organisation.objects.exists()
    org = draft_org(
        credit_code=VALID_CREDIT_CODE.lower(), certificate_valid_until=dt.date(2030, 1, 1), **social
    )
    assert org.credit_code == VALID_CREDIT_CODE


def test_other_categories_keep_no_credit_code():
    org = draft_org(credit_code=VALID_CREDIT_CODE, certificate_valid_until=dt.date(2030, 1, 1))
    assert org.credit_code == "" and org.certificate_valid_until is None


def test_only_draft_and_rejected_applications_can_be_edited(operator):
    org = submitted_org()
    with pytest.raises(errors.WrongState):
        services.org_application_update(org=org, user=org.applicant, data={"name": "新名字"})
    org = services.org_reject(org=org, operator=operator, reason="背书证明不清晰")
    org = services.org_application_update(org=org, user=org.applicant, data={"name": "新名字"})
    assert org.name == "新名字"


def test_a_stranger_cannot_edit_an_application(outsider):
    org = draft_org()
    with pytest.raises(errors.NotAllowed):
        services.org_application_update(org=org, user=outsider, data={"name": "抢注"})


# --- files ------------------------------------------------------------------------------------


def _stored_bytes(row: QualificationFile) -> bytes:
    with row.image.open("rb") as fh:
        return fh.read()


def test_upload_is_reencoded_and_loses_its_exif():
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0132] = "2020:01:01 08:00:00"  # DateTime
    upload = image_upload(exif=exif.tobytes())
    assert b"SecretCam" in upload.read()
    org = draft_org()
    row = services.org_file_add(
        org=org, user=org.applicant, kind="endorsement", upload=image_upload(exif=exif.tobytes())
    )
    data = _stored_bytes(row)
    assert b"SecretCam" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "JPEG"
        assert not dict(stored.getexif())
    assert (row.width, row.height) == (800, 600)


def test_large_photos_are_scaled_down():
    org = draft_org()
    row = services.org_file_add(
        org=org, user=org.applicant, kind="endorsement", upload=image_upload(size=(4000, 3000))
    )
    assert max(row.width, row.height) == 3000


def _bomb_png(width: int = 60000, height: int = 60000) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _truncated_jpeg() -> bytes:
    data = image_upload(size=(900, 700)).read()
    return data[: len(data) // 2]


def _thirty_megabytes() -> bytes:
    import os

    image = Image.frombytes("RGB", (3300, 3100), os.urandom(3300 * 3100 * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="BMP")
    assert buffer.tell() > 30_000_000
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name,make,error",
    [
        ("notes.jpg", lambda: b"this is a text file, not a photo", InvalidImage),
        ("cut.jpg", _truncated_jpeg, InvalidImage),
        ("huge.bmp", _thirty_megabytes, ImageTooLarge),
        ("bomb.png", _bomb_png, InvalidImage),
    ],
    ids=["text-renamed-jpg", "truncated-jpeg", "30MB-image", "decompression-bomb"],
)
def test_bad_files_are_refused_and_leave_nothing(name, make, error, settings):
    org = draft_org()
    before = (
        sorted(p.name for p in settings.PRIVATE_MEDIA_ROOT.rglob("*") if p.is_file())
        if settings.PRIVATE_MEDIA_ROOT.exists()
        else []
    )
    with pytest.raises(error) as caught:
        services.org_file_add(
            org=org, user=org.applicant, kind="endorsement", upload=SimpleUploadedFile(name, make())
        )
    assert caught.value.message  # a translated sentence, shown to the user
    assert not QualificationFile.objects.exists()
    after = (
        sorted(p.name for p in settings.PRIVATE_MEDIA_ROOT.rglob("*") if p.is_file())
        if settings.PRIVATE_MEDIA_ROOT.exists()
        else []
    )
    assert after == before


def test_files_can_be_deleted_before_submission_only(django_capture_on_commit_callbacks):
    org = draft_org()
    row = services.org_file_add(
        org=org, user=org.applicant, kind="endorsement", upload=image_upload()
    )
    path = row.image.path
    with django_capture_on_commit_callbacks(execute=True):
        services.org_file_delete(org=org, user=org.applicant, file_id=row.pk)
    assert not QualificationFile.objects.filter(pk=row.pk).exists()
    import os

    assert not os.path.exists(path)
    services.org_file_add(org=org, user=org.applicant, kind="endorsement", upload=image_upload())
    org = services.org_submit(org=org, user=org.applicant)
    kept = org.files.get()
    with pytest.raises(errors.WrongState):
        services.org_file_delete(org=org, user=org.applicant, file_id=kept.pk)
    with pytest.raises(errors.WrongState):
        services.org_file_add(
            org=org, user=org.applicant, kind="endorsement", upload=image_upload()
        )
    assert org.files.count() == 1


def test_at_most_ten_files_per_application(monkeypatch):
    org = draft_org()
    for _ in range(services.MAX_FILES):
        services.org_file_add(
            org=org, user=org.applicant, kind="other", upload=image_upload(size=(320, 320))
        )
    with pytest.raises(errors.TooManyFiles):
        services.org_file_add(
            org=org, user=org.applicant, kind="other", upload=image_upload(size=(320, 320))
        )


# --- submission and review --------------------------------------------------------------------


def test_submission_needs_the_categorys_qualification_file():
    org = draft_org(category=Organisation.Category.COMMUNITY)
    services.org_file_add(org=org, user=org.applicant, kind="other", upload=image_upload())
    with pytest.raises(errors.MissingQualification) as caught:
        services.org_submit(org=org, user=org.applicant)
    assert caught.value.code == "missing_qualification"
    org.refresh_from_db()
    assert org.state == State.DRAFT


def test_social_organisation_needs_its_registration_certificate():
    org = draft_org(
        category=Organisation.Category.SOCIAL_ORG,
        credit_code=VALID_CREDIT_CODE,
        certificate_valid_until=dt.date(2030, 1, 1),
    )
    services.org_file_add(org=org, user=org.applicant, kind="endorsement", upload=image_upload())
    with pytest.raises(errors.MissingQualification):
        services.org_submit(org=org, user=org.applicant)
    services.org_file_add(
        org=org, user=org.applicant, kind="registration_certificate", upload=image_upload()
    )
    assert services.org_submit(org=org, user=org.applicant).state == State.SUBMITTED


def test_social_organisation_cannot_submit_without_its_credit_code():
    org = draft_org(category=Organisation.Category.SOCIAL_ORG)
    services.org_file_add(
        org=org, user=org.applicant, kind="registration_certificate", upload=image_upload()
    )
    with pytest.raises(InvalidInput) as caught:
        services.org_submit(org=org, user=org.applicant)
    assert {"credit_code", "certificate_valid_until"} <= set(caught.value.fields)


def test_submit_reject_resubmit_approve_is_audited_and_notified(operator):
    org = submitted_org()
    assert Message.objects.filter(recipient=org.applicant).count() == 1
    with pytest.raises(errors.ReasonRequired):
        services.org_reject(org=org, operator=operator, reason="   ")
    org = services.org_reject(org=org, operator=operator, reason="背书证明缺少盖章")
    assert org.state == State.REJECTED and org.reject_reason == "背书证明缺少盖章"
    assert Message.objects.filter(
        recipient=org.applicant, body__contains="背书证明缺少盖章"
    ).exists()
    with pytest.raises(errors.WrongState):
        services.org_approve(org=org, operator=operator)
    org = services.org_submit(org=org, user=org.applicant)
    org = services.org_approve(org=org, operator=operator)
    assert org.state == State.APPROVED
    assert Membership.objects.get(organisation=org, user=org.applicant).role == "admin"
    assert org.can_publish_on(timezone.localdate())
    transitions = list(
        AuditEntry.objects.filter(target_id=str(org.pk))
        .exclude(data__from=None)
        .values_list("verb", "data__from", "data__to", "actor_id")
    )
    assert transitions == [
        ("org.submitted", "draft", "submitted", org.applicant_id),
        ("org.rejected", "submitted", "rejected", operator.pk),
        ("org.submitted", "rejected", "submitted", org.applicant_id),
        ("org.approved", "submitted", "approved", operator.pk),
    ]


def test_a_draft_cannot_be_approved_or_rejected(operator):
    org = draft_org()
    with pytest.raises(errors.WrongState):
        services.org_approve(org=org, operator=operator)
    with pytest.raises(errors.WrongState):
        services.org_reject(org=org, operator=operator, reason="x")


def test_after_approval_the_user_may_apply_for_another_organisation(operator):
    org = approved_org(operator=operator)
    second = services.org_application_create(
        user=org.applicant, data=application_data(name="第二个协会")
    )
    assert second.state == State.DRAFT


def test_suspension_needs_a_reason_and_stops_publishing(operator):
    org = approved_org(operator=operator)
    with pytest.raises(errors.ReasonRequired):
        services.org_suspend(org=org, operator=operator, reason="")
    org = services.org_suspend(org=org, operator=operator, reason="多次投诉")
    assert not org.can_publish_on(timezone.localdate())
    org = services.org_reinstate(org=org, operator=operator, reason="整改完成")
    assert org.can_publish_on(timezone.localdate())


# --- certificate validity ---------------------------------------------------------------------


@pytest.fixture
def social_org(operator):
    with time_machine.travel(dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC), tick=False):
        return approved_org(
            operator=operator,
            category=Organisation.Category.SOCIAL_ORG,
            credit_code=VALID_CREDIT_CODE,
            certificate_valid_until=dt.date(2026, 3, 31),
        )


def _run_job_on(day: dt.date) -> dict:
    with time_machine.travel(dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC), tick=False):
        return services.certificate_expiry_check()


def test_expiry_warnings_go_out_30_and_7_days_before_once_each(social_org):
    messages_before = Message.objects.filter(recipient=social_org.applicant).count()
    assert _run_job_on(dt.date(2026, 2, 28)) == {"30": 0, "7": 0, "expired": 0}
    assert _run_job_on(dt.date(2026, 3, 1)) == {"30": 1, "7": 0, "expired": 0}
    assert _run_job_on(dt.date(2026, 3, 2)) == {"30": 0, "7": 0, "expired": 0}
    assert _run_job_on(dt.date(2026, 3, 24)) == {"30": 0, "7": 1, "expired": 0}
    assert _run_job_on(dt.date(2026, 3, 24)) == {"30": 0, "7": 0, "expired": 0}
    assert _run_job_on(dt.date(2026, 3, 31)) == {"30": 0, "7": 0, "expired": 0}
    assert social_org.can_publish_on(dt.date(2026, 3, 31))
    assert _run_job_on(dt.date(2026, 4, 1)) == {"30": 0, "7": 0, "expired": 1}
    assert _run_job_on(dt.date(2026, 4, 2)) == {"30": 0, "7": 0, "expired": 0}
    assert not social_org.can_publish_on(dt.date(2026, 4, 1))
    assert Message.objects.filter(recipient=social_org.applicant).count() == messages_before + 3


def test_renewal_restores_publishing_only_once_an_operator_accepts_it(social_org, operator):
    with time_machine.travel(dt.datetime(2026, 4, 3, 2, tzinfo=dt.UTC), tick=False):
        today = dt.date(2026, 4, 3)
        assert not social_org.can_publish_on(today)
        with pytest.raises(InvalidInput):
            services.renewal_submit(
                org=social_org,
                user=social_org.applicant,
                valid_until=dt.date(2026, 3, 1),
                uploads=[image_upload()],
            )
        renewal = services.renewal_submit(
            org=social_org,
            user=social_org.applicant,
            valid_until=dt.date(2029, 3, 31),
            uploads=[image_upload()],
        )
        with pytest.raises(errors.RenewalPending):
            services.renewal_submit(
                org=social_org,
                user=social_org.applicant,
                valid_until=dt.date(2029, 3, 31),
                uploads=[image_upload()],
            )
        social_org.refresh_from_db()
        assert not social_org.can_publish_on(today)
        services.renewal_accept(renewal=renewal, operator=operator)
        social_org.refresh_from_db()
        assert social_org.certificate_valid_until == dt.date(2029, 3, 31)
        assert social_org.can_publish_on(today)
        assert CertificateRenewal.objects.get().state == "accepted"
    # a new date means new warnings when it comes near
    assert _run_job_on(dt.date(2029, 3, 1)) == {"30": 1, "7": 0, "expired": 0}
    assert ExpiryWarning.objects.filter(valid_until=dt.date(2029, 3, 31)).count() == 1


def test_a_job_that_missed_days_sends_only_the_most_urgent_warning(social_org):
    assert _run_job_on(dt.date(2026, 3, 27)) == {"30": 0, "7": 1, "expired": 0}
    assert not ExpiryWarning.objects.filter(days_before=30).exists()


# --- staff ------------------------------------------------------------------------------------


def test_admin_invites_a_coordinator_who_accepts_with_the_invited_address(
    operator, django_capture_on_commit_callbacks, mailoutbox
):
    org = approved_org(operator=operator)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.staff_invite(
            org=org, inviter=org.applicant, email="Helper@NGO.example.cn", role="coordinator"
        )
    link = next(m for m in mailoutbox if "helper@ngo.example.cn" in m.to).body
    token = link.split("/org/invitations/")[1].split("/")[0]
    stranger = applicant("someone-else@ngo.example.cn")
    with pytest.raises(errors.InvitationWrongAccount):
        services.invitation_accept(token=token, user=stranger)
    helper = applicant("helper@ngo.example.cn")
    membership = services.invitation_accept(token=token, user=helper)
    assert membership.role == "coordinator"
    with pytest.raises(errors.InvitationInvalid):
        services.invitation_accept(token=token, user=helper)
    assert invitation.pk


def test_invitations_expire(operator):
    org = approved_org(operator=operator)
    services.staff_invite(
        org=org, inviter=org.applicant, email="late@ngo.example.cn", role="coordinator"
    )
    token_row = org.invitations.get()
    token_row.expires_at = timezone.now() - dt.timedelta(seconds=1)
    token_row.save()
    with pytest.raises(errors.InvitationInvalid):
        services.invitation_get(token="whatever")


def test_a_coordinator_cannot_manage_staff(operator):
    org = approved_org(operator=operator)
    coordinator = applicant("coord@ngo.example.cn")
    Membership.objects.create(organisation=org, user=coordinator, role="coordinator")
    with pytest.raises(errors.NotAllowed):
        services.staff_invite(org=org, inviter=coordinator, email="x@ngo.example.cn", role="admin")
    admin_membership = org.memberships.get(user=org.applicant)
    with pytest.raises(errors.NotAllowed):
        services.staff_remove(org=org, actor=coordinator, membership_id=admin_membership.pk)
    with pytest.raises(errors.NotAllowed):
        services.staff_role_set(
            org=org, actor=coordinator, membership_id=admin_membership.pk, role="coordinator"
        )


def test_the_last_admin_cannot_leave_or_be_demoted(operator):
    org = approved_org(operator=operator)
    admin_membership = org.memberships.get(user=org.applicant)
    with pytest.raises(errors.LastAdmin):
        services.staff_remove(org=org, actor=org.applicant, membership_id=admin_membership.pk)
    with pytest.raises(errors.LastAdmin):
        services.staff_role_set(
            org=org, actor=org.applicant, membership_id=admin_membership.pk, role="coordinator"
        )
    second = Membership.objects.create(
        organisation=org, user=applicant("two@ngo.example.cn"), role="admin"
    )
    services.staff_role_set(
        org=org, actor=org.applicant, membership_id=admin_membership.pk, role="coordinator"
    )
    assert org.memberships.filter(role="admin").get() == second
