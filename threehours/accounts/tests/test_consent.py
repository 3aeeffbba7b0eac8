"""Consent (issue #16 §1), each rule pinned: no account before agreeing, nothing written and the
code not used on a refusal, a new version asks again, an old version is refused, the separate
consents are required and recorded with version, time and ip, and can be withdrawn."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from threehours.accounts import consent, errors, services
from threehours.accounts.models import Consent, PolicyDocument, SmsCode, User
from threehours.accounts.signals import closing_cancelled
from threehours.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PHONE = "13800000001"  # a test phone (fixed code), see the test_phones fixture
CODE = "123456"
ID = "11010519491231002X"


@pytest.fixture(autouse=True)
def policies(test_phones):
    """Version 1 of both documents (seeded by the migration; a flushing test may remove it)."""
    for kind in ("terms", "privacy"):
        PolicyDocument.objects.get_or_create(
            kind=kind,
            version=1,
            defaults={"title": kind, "body_markdown": "text", "published_at": timezone.now()},
        )
    consent.policies_cache_clear()


def publish(kind: str, version: int, changes: str = "新增：注销账号的冷静期") -> PolicyDocument:
    operator = User.objects.create_superuser(email=f"ops{version}{kind}@example.org")
    draft = services.policy_draft(kind=kind, user=operator)
    assert draft.version == version
    services.policy_draft_save(
        document=draft, title=f"{kind} v{version}", body="# 新版本", changes=changes, user=operator
    )
    return services.policy_publish(document=draft, user=operator)


# --- log-in -----------------------------------------------------------------------------------


def test_a_first_log_in_without_agreeing_writes_nothing_and_keeps_the_code():
    with pytest.raises(errors.ConsentRequired) as caught:
        services.phone_login(phone=PHONE, code=CODE)
    assert caught.value.kinds == ["terms", "privacy"]
    assert "《" in caught.value.message
    assert not User.objects.filter(phone=PHONE).exists()
    assert not SmsCode.objects.exists()  # not even a test phone's code row
    assert not Consent.objects.exists()


def sent_code(sms_outbox) -> str:
    return re.search(r"(?<!\d)\d{6}(?!\d)", sms_outbox[-1]["text"]).group(0)


def test_the_real_code_is_not_used_by_a_refusal(
    settings, sms_outbox, django_capture_on_commit_callbacks
):
    settings.TEST_PHONES = {}
    with django_capture_on_commit_callbacks(execute=True):
        services.sms_code_send(phone="13912345678", purpose=SmsCode.Purpose.LOGIN, ip="10.0.0.1")
    code = sent_code(sms_outbox)
    with pytest.raises(errors.ConsentRequired):
        services.phone_login(phone="13912345678", code=code)
    row = SmsCode.objects.get()
    assert row.used_at is None and row.wrong_tries == 0
    assert services.phone_login(phone="13912345678", code=code, agree=True).phone


def test_without_the_code_nobody_learns_whether_a_number_has_agreed(sms_outbox):
    """The consent question comes only after a proven code: a wrong code answers the same for
    a number with an account that agreed and for one that never logged in."""
    services.phone_login(phone=PHONE, code=CODE, agree=True)  # has an account, has agreed
    answers = set()
    for phone in (PHONE, "13800000002"):  # the second: no account, never agreed
        with pytest.raises(errors.BadSmsCode) as caught:
            services.phone_login(phone=phone, code="000000")
        answers.add(caught.value.code)
    assert answers == {"bad_code"}
    assert User.objects.filter(phone="13800000002").exists() is False


def test_agreeing_creates_the_account_with_both_consents_recorded():
    with time_machine.travel(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        user = services.phone_login(phone=PHONE, code=CODE, agree=True, ip="10.1.2.3")
    rows = {(c.kind, c.version, c.ip, c.given_at) for c in user.consents.all()}
    at = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    assert rows == {("terms", 1, "10.1.2.3", at), ("privacy", 1, "10.1.2.3", at)}
    assert consent.consents_missing(user) == []
    # Logging in again needs no tick.
    assert services.phone_login(phone=PHONE, code=CODE).pk == user.pk


def test_a_new_version_asks_again_and_says_what_changed():
    user = services.phone_login(phone=PHONE, code=CODE, agree=True)
    publish("privacy", 2)
    with pytest.raises(errors.ConsentRequired) as caught:
        services.phone_login(phone=PHONE, code=CODE)
    assert caught.value.kinds == ["privacy"]
    assert [p.changes for p in caught.value.changes] == ["新增：注销账号的冷静期"]
    services.phone_login(phone=PHONE, code=CODE, agree=True)
    assert set(user.consents.values_list("kind", "version")) == {
        ("terms", 1),
        ("privacy", 1),
        ("privacy", 2),
    }


def test_the_email_log_in_asks_for_consent_and_operators_are_exempt(email_user, operator):
    with pytest.raises(errors.ConsentRequired):
        services.email_login(email=email_user.email, password="Correct-Horse-9")
    email_user.refresh_from_db()
    assert email_user.last_login is None and not email_user.consents.exists()
    services.email_login(email=email_user.email, password="Correct-Horse-9", agree=True)
    assert email_user.consents.count() == 2
    assert services.email_login(email=operator.email, password="Operator-Pass-9") == operator
    staff_only = services.email_login(
        email=email_user.email, password="Correct-Horse-9", require_consent=False
    )
    assert staff_only == email_user


def test_without_any_published_document_nothing_is_asked():
    PolicyDocument.objects.all().delete()
    consent.policies_cache_clear()
    assert services.phone_login(phone=PHONE, code=CODE).phone == PHONE


# --- closing and disabled accounts at log-in --------------------------------------------------


def test_a_closing_account_is_refused_with_the_date_and_can_cancel(
    django_capture_on_commit_callbacks,
):
    user = services.phone_login(phone=PHONE, code=CODE, agree=True)
    user.closing_at = dt.datetime(2026, 12, 20, 4, 0, tzinfo=dt.UTC)
    user.save(update_fields=["closing_at"])
    with pytest.raises(errors.AccountClosing) as caught:
        services.phone_login(phone=PHONE, code=CODE)
    assert caught.value.status == 403 and "2026-12-20" in caught.value.message
    assert caught.value.user_id == user.pk
    received = []

    def receiver(sender, user, **kwargs):
        received.append(user.pk)

    closing_cancelled.connect(receiver)
    try:
        assert services.phone_login(phone=PHONE, code=CODE, cancel_closing=True) == user
    finally:
        closing_cancelled.disconnect(receiver)
    user.refresh_from_db()
    assert user.closing_at is None and received == [user.pk]
    assert AuditEntry.objects.filter(verb="account.closing_cancelled").count() == 1


def test_a_refused_closing_log_in_leaves_the_real_code_usable(
    settings, sms_outbox, django_capture_on_commit_callbacks
):
    settings.TEST_PHONES = {}
    user = User.objects.create(
        phone="13912345678", closing_at=timezone.now() + dt.timedelta(days=7)
    )
    for kind in ("terms", "privacy"):
        Consent.objects.create(user=user, kind=kind, version=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.sms_code_send(phone=user.phone, purpose=SmsCode.Purpose.LOGIN, ip=None)
    code = sent_code(sms_outbox)
    with pytest.raises(errors.AccountClosing):
        services.phone_login(phone=user.phone, code=code)
    assert SmsCode.objects.get().used_at is None
    assert services.phone_login(phone=user.phone, code=code, cancel_closing=True) == user


def test_a_disabled_account_is_told_the_operators_reason():
    user = services.phone_login(phone=PHONE, code=CODE, agree=True)
    User.objects.filter(pk=user.pk).update(is_active=False, disabled_reason="冒用他人身份")
    with pytest.raises(errors.AccountInactive) as caught:
        services.phone_login(phone=PHONE, code=CODE)
    assert "冒用他人身份" in caught.value.message


def test_a_closed_account_never_logs_in():
    user = services.phone_login(phone=PHONE, code=CODE, agree=True)
    User.objects.filter(pk=user.pk).update(closed_at=timezone.now())
    with pytest.raises(errors.AccountClosed):
        services.phone_login(phone=PHONE, code=CODE, cancel_closing=True)


# --- consent_give, versions, separate consents --------------------------------------------


def test_consent_give_is_idempotent_and_refuses_an_old_version():
    user = User.objects.create(phone="13900000077")
    publish("terms", 2)
    with pytest.raises(errors.ConsentVersionOutdated):
        consent.consent_give(user=user, kind="terms", version=1)
    with pytest.raises(errors.ConsentVersionOutdated):
        consent.consent_give(user=user, kind="location", version=2)
    with pytest.raises(errors.InvalidKind):
        consent.consent_give(user=user, kind="everything", version=1)
    consent.consent_give(user=user, kind="terms", version=2, ip="10.0.0.9")
    consent.consent_give(user=user, kind="terms", version=2, ip="10.0.0.9")
    assert user.consents.filter(kind="terms").count() == 1
    assert not user.consents.filter(version=1).exists()


def test_the_id_number_needs_its_separate_consent():
    user = User.objects.create(phone="13900000077")
    with pytest.raises(errors.ConsentRequired) as caught:
        services.real_name_set(user=user, real_name="张三", id_number=ID)
    assert "consent" in caught.value.fields
    user.refresh_from_db()
    assert user.id_number_encrypted == "" and not user.consents.exists()
    services.real_name_set(user=user, real_name="张三", id_number=ID, consent=True, ip="10.0.0.5")
    row = user.consents.get(kind="id_number")
    assert (row.version, row.ip) == (consent.CONSENT_VERSIONS["id_number"], "10.0.0.5")
    # Given once, it is not asked again.
    services.real_name_set(user=user, real_name="张三丰", id_number=ID)


def test_a_refused_id_number_keeps_no_consent_either():
    user = User.objects.create(phone="13900000077")
    with pytest.raises(errors.InvalidIdNumber):
        services.real_name_set(
            user=user, real_name="张三", id_number="110105194912310021", consent=True
        )
    assert not user.consents.exists()


def test_withdrawing_a_separate_consent_asks_again():
    user = User.objects.create(phone="13900000077")
    consent.consent_require(user=user, kind="location", given=True)
    assert consent.has_consent(user, "location")
    assert consent.consent_withdraw(user=user, kind="location") == 1
    assert not consent.has_consent(user, "location")
    assert user.consents.get(kind="location").withdrawn_at is not None  # the row stays
    with pytest.raises(errors.ConsentRequired):
        consent.consent_require(user=user, kind="location", given=False)
    consent.consent_require(user=user, kind="location", given=True)
    assert consent.has_consent(user, "location") and user.consents.count() == 1
    with pytest.raises(errors.ConsentNotWithdrawable):
        consent.consent_withdraw(user=user, kind="privacy")


def test_publishing_is_audited_and_a_published_version_is_read_only():
    doc = publish("terms", 2)
    assert AuditEntry.objects.filter(verb="policy.published", target_id=str(doc.pk)).exists()
    assert consent.current_version("terms") == 2
    operator = User.objects.filter(is_staff=True).first()
    with pytest.raises(errors.PolicyPublished):
        services.policy_draft_save(document=doc, title="x", body="y", changes="z", user=operator)
    with pytest.raises(errors.PolicyPublished):
        services.policy_publish(document=doc, user=operator)


def test_a_second_version_must_say_what_changed():
    from threehours.core.errors import InvalidInput

    operator = User.objects.create_superuser(email="ops@example.org")
    draft = services.policy_draft(kind="privacy", user=operator)
    current = PolicyDocument.objects.get(kind="privacy", version=1)
    assert draft.version == 2 and draft.body_markdown == current.body_markdown
    with pytest.raises(InvalidInput) as caught:
        services.policy_publish(document=draft, user=operator)
    assert "changes" in caught.value.fields
    assert consent.current_version("privacy") == 1
