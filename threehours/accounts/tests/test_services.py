"""Account services called directly: every rule of docs/api.md "Accounts" and of the invariants at
the
top of accounts/services.py, each pinned so that removing the rule makes a test fail."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import signing
from django.db import connection

from threehours.accounts import errors, services
from threehours.accounts.models import ApiToken, SmsCode, User
from threehours.core.errors import InvalidInput
from threehours.notifications.models import Delivery

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
OTHER_PHONE = "13712345678"
TEST_PHONE = "13800000001"
FIXED = "123456"
PASSWORD = "Correct-Horse-9"  # the `email_user` fixture's password
ID = "11010519491231002X"  # a valid resident ID number (GB 11643 checksum X)
T0 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Argon2 costs ~0.3 s a hash here; the rules under test do not depend on the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Ask for a code the way the views do, running the on-commit SMS job like the queue would."""

    def _send(phone=PHONE, ip="10.0.0.1", purpose=SmsCode.Purpose.LOGIN):
        with django_capture_on_commit_callbacks(execute=True):
            return services.sms_code_send(phone=phone, purpose=purpose, ip=ip)

    return _send


def sms_code(sms_outbox, phone=PHONE) -> str:
    """The code in the newest SMS to `phone`."""
    texts = [sms["text"] for sms in sms_outbox if sms["phone"] == phone]
    assert texts, f"no SMS to {phone}"
    return re.search(r"(?<!\d)\d{6}(?!\d)", texts[-1]).group(0)


def other_than(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def at(delta: dt.timedelta = dt.timedelta()):
    return time_machine.travel(T0 + delta, tick=False)


# --- SMS codes ---------------------------------------------------------------------------------


def test_code_is_six_digits_sent_through_the_sms_backend(send, sms_outbox):
    assert send() == 60
    assert [sms["phone"] for sms in sms_outbox] == [PHONE]
    assert re.fullmatch(r"\d{6}", sms_code(sms_outbox))


def test_code_is_stored_only_as_an_hmac(send, sms_outbox):
    send()
    code = sms_code(sms_outbox)
    row = SmsCode.objects.get()
    assert re.fullmatch(r"[0-9a-f]{64}", row.code_hash)
    assert code not in row.code_hash
    # The SMS itself is kept as a delivery row until sent, then its text is redacted.
    assert not Delivery.objects.filter(body__contains=code).exists()


def test_first_login_creates_the_account_and_the_second_reuses_it(send, sms_outbox):
    with at():
        send()
        user = services.phone_login(agree=True, phone=PHONE, code=sms_code(sms_outbox))
    assert user.phone == PHONE and user.phone_bound and not user.has_usable_password()
    with at(dt.timedelta(minutes=2)):
        send()
        again = services.phone_login(
            agree=True, phone="+86 139-1234-5678", code=sms_code(sms_outbox)
        )
    assert again.pk == user.pk
    assert User.objects.count() == 1


def test_code_still_works_four_minutes_fifty_nine_after_sending(send, sms_outbox):
    with at():
        send()
    with at(dt.timedelta(minutes=4, seconds=59)):
        assert (
            services.phone_login(agree=True, phone=PHONE, code=sms_code(sms_outbox)).phone == PHONE
        )


def test_code_expires_after_five_minutes(send, sms_outbox):
    with at():
        send()
    with at(dt.timedelta(minutes=5, seconds=1)), pytest.raises(errors.SmsCodeExpired) as caught:
        services.phone_login(agree=True, phone=PHONE, code=sms_code(sms_outbox))
    assert caught.value.code == "code_expired"
    assert not User.objects.exists()


def test_code_is_single_use(send, sms_outbox):
    send()
    code = sms_code(sms_outbox)
    services.phone_login(agree=True, phone=PHONE, code=code)
    with pytest.raises(errors.SmsCodeExpired):
        services.phone_login(agree=True, phone=PHONE, code=code)


def test_four_wrong_codes_still_leave_the_right_one_usable(send, sms_outbox):
    send()
    code = sms_code(sms_outbox)
    for _ in range(4):
        with pytest.raises(errors.BadSmsCode) as caught:
            services.phone_login(agree=True, phone=PHONE, code=other_than(code))
        assert caught.value.code == "bad_code" and "code" in caught.value.fields
    assert services.phone_login(agree=True, phone=PHONE, code=code).phone == PHONE


def test_fifth_wrong_code_kills_the_code_even_for_the_right_one(send, sms_outbox):
    send()
    code = sms_code(sms_outbox)
    for _ in range(4):
        with pytest.raises(errors.BadSmsCode):
            services.phone_login(agree=True, phone=PHONE, code=other_than(code))
    with pytest.raises(errors.SmsCodeExhausted) as caught:
        services.phone_login(agree=True, phone=PHONE, code=other_than(code))
    assert caught.value.code == "too_many_wrong_codes" and caught.value.status == 429
    with pytest.raises(errors.SmsCodeExhausted):
        services.phone_login(agree=True, phone=PHONE, code=code)
    # The wrong tries are committed even though each attempt raised.
    assert SmsCode.objects.get().wrong_tries == 5
    assert not User.objects.exists()


def test_a_new_code_at_most_every_sixty_seconds_per_phone(send, sms_outbox):
    with at():
        send()
    with at(dt.timedelta(seconds=59)):
        with pytest.raises(errors.SmsTooFrequent) as caught:
            send()
        assert caught.value.code == "sms_too_frequent" and caught.value.status == 429
        assert caught.value.retry_after == 1
        assert SmsCode.objects.count() == 1 and len(sms_outbox) == 1
        send(phone=OTHER_PHONE)  # another phone is not held back
    with at(dt.timedelta(seconds=60)):
        assert send() == 60
    assert SmsCode.objects.filter(phone=PHONE).count() == 2


def test_daily_cap_is_ten_codes_per_phone_and_shanghai_day(send, settings):
    assert settings.SMS_DAILY_CAP_PER_PHONE == 10
    for i in range(10):  # 10:00 to 10:18 in Shanghai
        with at(dt.timedelta(minutes=2 * i)):
            send()
    with at(dt.timedelta(hours=13, minutes=59)):  # 23:59 in Shanghai
        with pytest.raises(errors.SmsDailyCapReached) as caught:
            send()
        assert caught.value.code == "sms_daily_cap" and caught.value.status == 429
        assert caught.value.retry_after == 60  # until the local midnight
    assert SmsCode.objects.count() == 10
    # 00:01 the next day in Shanghai, still the same UTC day and within 24 hours.
    with at(dt.timedelta(hours=14, minutes=1)):
        send()
    assert SmsCode.objects.count() == 11


def test_daily_cap_per_ip(send, settings):
    settings.SMS_DAILY_CAP_PER_IP = 3
    with at():
        for i in range(3):
            send(phone=f"1391234560{i}", ip="10.9.9.9")
        with pytest.raises(errors.SmsDailyCapReached):
            send(phone="13912345609", ip="10.9.9.9")
        assert SmsCode.objects.count() == 3
        send(phone="13912345609", ip="10.9.9.10")
    with at(dt.timedelta(hours=14, minutes=1)):  # the next Shanghai day
        send(phone="13912345608", ip="10.9.9.9")


@pytest.mark.parametrize("phone", ["12345", "23912345678", "1391234567a", "139123456789", ""])
def test_invalid_phone_is_refused_with_a_field_error(send, sms_outbox, phone):
    with pytest.raises(errors.InvalidPhone) as caught:
        send(phone=phone)
    assert caught.value.code == "invalid_phone" and caught.value.status == 400
    assert list(caught.value.fields) == ["phone"]
    with pytest.raises(errors.InvalidPhone):
        services.phone_login(agree=True, phone=phone, code="123456")
    assert not SmsCode.objects.exists() and sms_outbox == []


# --- test phones -------------------------------------------------------------------------------


def test_test_phone_logs_in_with_its_fixed_code_without_a_send(test_phones, sms_outbox):
    user = services.phone_login(agree=True, phone=TEST_PHONE, code=FIXED)
    assert user.phone == TEST_PHONE
    assert sms_outbox == []
    assert not Delivery.objects.exists()


def test_test_phone_is_exempt_from_resend_interval_and_daily_caps(
    test_phones, send, sms_outbox, settings
):
    settings.SMS_DAILY_CAP_PER_IP = 3
    with at():
        for _ in range(15):
            assert send(phone=TEST_PHONE, ip="10.9.9.9") == 0
        assert sms_outbox == []
        # Test-phone codes do not count against the IP either.
        send(phone=PHONE, ip="10.9.9.9")
        assert services.phone_login(agree=True, phone=TEST_PHONE, code=FIXED).phone == TEST_PHONE


def test_test_phone_keeps_the_wrong_code_limit_until_a_new_send(test_phones):
    for _ in range(4):
        with pytest.raises(errors.BadSmsCode):
            services.phone_login(agree=True, phone=TEST_PHONE, code="999999")
    with pytest.raises(errors.SmsCodeExhausted):
        services.phone_login(agree=True, phone=TEST_PHONE, code="999999")
    with pytest.raises(errors.SmsCodeExhausted):
        services.phone_login(agree=True, phone=TEST_PHONE, code=FIXED)
    assert not User.objects.exists()
    services.sms_code_send(phone=TEST_PHONE, purpose=SmsCode.Purpose.LOGIN, ip=None)
    assert services.phone_login(agree=True, phone=TEST_PHONE, code=FIXED).phone == TEST_PHONE


# --- e-mail accounts ---------------------------------------------------------------------------


@pytest.fixture
def register(django_capture_on_commit_callbacks):
    def _register(email="new@ngo.example.cn", password="A-Long-Password-26"):
        with django_capture_on_commit_callbacks(execute=True):
            return services.email_account_register(email=email, password=password, agree=True)

    return _register


def verify_token(mail) -> str:
    return re.search(r"/accounts/verify/([^/\s]+)/", mail.body).group(1)


def test_register_sends_a_verification_link_and_login_waits_for_it(register, mailoutbox):
    user = register(email="New@NGO.example.cn")
    assert user.email == "new@ngo.example.cn" and user.email_verified_at is None
    assert [mail.to for mail in mailoutbox] == [["new@ngo.example.cn"]]
    with pytest.raises(errors.EmailNotVerified) as caught:
        services.email_login(agree=True, email="new@ngo.example.cn", password="A-Long-Password-26")
    assert caught.value.code == "email_not_verified"
    assert services.email_verify(token=verify_token(mailoutbox[0])).pk == user.pk
    assert (
        services.email_login(agree=True, email="NEW@ngo.example.cn", password="A-Long-Password-26")
        == user
    )


def test_register_refuses_a_weak_password(register, mailoutbox):
    with pytest.raises(InvalidInput) as caught:
        register(password="12345678")
    assert caught.value.code == "invalid_input"
    assert list(caught.value.fields) == ["password"]
    assert not User.objects.exists() and mailoutbox == []


def test_register_refuses_a_taken_email_whatever_its_case(register, email_user, mailoutbox):
    with pytest.raises(errors.EmailTaken) as caught:
        register(email="STAFF@Example.org")
    assert caught.value.code == "email_taken" and caught.value.status == 409
    assert User.objects.count() == 1 and mailoutbox == []


def test_tampered_verification_link_is_refused(register, mailoutbox):
    user = register()
    token = verify_token(mailoutbox[0])
    forged = signing.dumps({"u": user.pk, "e": user.email}, salt="another-salt")
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), forged, "nonsense"):
        with pytest.raises(errors.BadLinkToken) as caught:
            services.email_verify(token=bad)
        assert caught.value.code == "bad_token"
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_verification_link_expires_after_three_days(register, mailoutbox):
    with at():
        user = register()
    token = verify_token(mailoutbox[0])
    with at(dt.timedelta(days=3, minutes=1)), pytest.raises(errors.BadLinkToken):
        services.email_verify(token=token)
    user.refresh_from_db()
    assert user.email_verified_at is None
    with at(dt.timedelta(days=2, hours=23, minutes=59)):
        services.email_verify(token=token)
    user.refresh_from_db()
    assert user.email_verified_at is not None


# --- lockout -----------------------------------------------------------------------------------


def test_fifth_wrong_password_locks_the_account_for_fifteen_minutes(email_user, settings):
    assert settings.LOGIN_MAX_FAILURES == 5
    with at():
        for _ in range(4):
            with pytest.raises(errors.InvalidCredentials):
                services.email_login(agree=True, email=email_user.email, password="wrong")
        with pytest.raises(errors.AccountLocked) as caught:
            services.email_login(agree=True, email=email_user.email, password="wrong")
        assert caught.value.code == "account_locked" and caught.value.status == 429
        assert caught.value.retry_after == 15 * 60
        with pytest.raises(errors.AccountLocked):
            services.email_login(agree=True, email=email_user.email, password=PASSWORD)
    with at(dt.timedelta(minutes=14, seconds=59)), pytest.raises(errors.AccountLocked):
        services.email_login(agree=True, email=email_user.email, password=PASSWORD)
    with at(dt.timedelta(minutes=15, seconds=1)):
        assert (
            services.email_login(agree=True, email=email_user.email, password=PASSWORD)
            == email_user
        )


def test_a_successful_login_resets_the_failure_count(email_user):
    for wrong_then_right in (4, 4):
        for _ in range(wrong_then_right):
            with pytest.raises(errors.InvalidCredentials):
                services.email_login(agree=True, email=email_user.email, password="wrong")
        assert (
            services.email_login(agree=True, email=email_user.email, password=PASSWORD)
            == email_user
        )
    email_user.refresh_from_db()
    assert email_user.locked_until is None and email_user.failed_login_count == 0


def test_an_unknown_email_fails_like_a_wrong_password():
    with pytest.raises(errors.InvalidCredentials):
        services.email_login(agree=True, email="nobody@example.org", password="whatever")


# --- password reset ----------------------------------------------------------------------------


def reset_link_parts(mail) -> tuple[str, str]:
    match = re.search(r"/accounts/reset/([^/\s]+)/([^/\s]+)/", mail.body)
    return match.group(1), match.group(2)


def test_password_reset_for_an_unknown_email_sends_nothing(
    django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        assert services.password_reset_request(email="nobody@example.org") is None
    assert mailoutbox == [] and not Delivery.objects.exists()


def test_password_reset_sets_a_new_password_revokes_tokens_and_lifts_the_lockout(
    email_user, django_capture_on_commit_callbacks, mailoutbox
):
    raw_token = services.token_issue(user=email_user)
    for _ in range(5):
        with pytest.raises((errors.InvalidCredentials, errors.AccountLocked)):
            services.email_login(agree=True, email=email_user.email, password="wrong")
    with pytest.raises(errors.AccountLocked):
        services.email_login(agree=True, email=email_user.email, password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.password_reset_request(email="STAFF@example.org") is None
    assert [mail.to for mail in mailoutbox] == [[email_user.email]]
    uid, token = reset_link_parts(mailoutbox[0])

    services.password_reset_confirm(uidb64=uid, token=token, password="Brand-New-Pass-26")

    assert (
        services.email_login(agree=True, email=email_user.email, password="Brand-New-Pass-26")
        == email_user
    )
    with pytest.raises(errors.InvalidCredentials):
        services.email_login(agree=True, email=email_user.email, password=PASSWORD)
    assert services.token_authenticate(raw_token) is None
    assert ApiToken.objects.get().revoked_at is not None


def test_a_used_password_reset_link_no_longer_works(
    email_user, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.password_reset_request(email=email_user.email)
    uid, token = reset_link_parts(mailoutbox[0])
    services.password_reset_confirm(uidb64=uid, token=token, password="Brand-New-Pass-26")
    with pytest.raises(errors.BadLinkToken):
        services.password_reset_user(uidb64=uid, token=token)
    with pytest.raises(errors.BadLinkToken):
        services.password_reset_confirm(uidb64=uid, token=token, password="Another-Pass-26")
    assert services.email_login(agree=True, email=email_user.email, password="Brand-New-Pass-26")


def test_password_reset_refuses_a_weak_new_password(
    email_user, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.password_reset_request(email=email_user.email)
    uid, token = reset_link_parts(mailoutbox[0])
    with pytest.raises(InvalidInput) as caught:
        services.password_reset_confirm(uidb64=uid, token=token, password="12345678")
    assert "password" in caught.value.fields
    assert services.email_login(agree=True, email=email_user.email, password=PASSWORD) == email_user


# --- real name ---------------------------------------------------------------------------------


def raw_user_row(user) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_user WHERE id = %s", [user.pk])
        return tuple(cursor.fetchone())


def test_id_number_is_stored_only_encrypted(volunteer):
    services.real_name_set(user=volunteer, real_name="张三", id_number=ID.lower(), consent=True)
    for column in raw_user_row(volunteer):
        assert ID[:17] not in str(column)
    volunteer.refresh_from_db()
    assert volunteer.id_number_plain() == ID


def test_real_name_masks_the_number_and_derives_the_birth_date(volunteer):
    user = services.real_name_set(user=volunteer, real_name=" 张  三 ", id_number=ID, consent=True)
    assert user.id_number_masked == "1101**********002X"
    user.refresh_from_db()
    assert user.real_name == "张 三"
    assert user.id_number_masked == "1101**********002X"
    assert user.birth_date == dt.date(1949, 12, 31)
    assert user.real_name_verified


def test_invalid_id_checksum_is_refused_and_nothing_is_written(volunteer):
    before = raw_user_row(volunteer)
    with pytest.raises(errors.InvalidIdNumber) as caught:
        services.real_name_set(
            user=volunteer, real_name="张三", id_number="110105194912310021", consent=True
        )
    assert caught.value.code == "invalid_id_number" and caught.value.status == 400
    assert raw_user_row(volunteer) == before


def test_an_id_number_belongs_to_one_account(volunteer, outsider):
    services.real_name_set(user=volunteer, real_name="张三", id_number=ID, consent=True)
    before = raw_user_row(outsider)
    for number in (ID, ID.lower()):
        with pytest.raises(errors.IdNumberTaken) as caught:
            services.real_name_set(user=outsider, real_name="李四", id_number=number, consent=True)
        assert caught.value.code == "id_number_taken" and caught.value.status == 409
    assert raw_user_row(outsider) == before
    # Saving one's own number again is no conflict.
    services.real_name_set(user=volunteer, real_name="张三丰", id_number=ID, consent=True)


# --- phone binding -----------------------------------------------------------------------------


@pytest.fixture
def bind_send(django_capture_on_commit_callbacks):
    def _bind_send(user, phone=PHONE):
        with django_capture_on_commit_callbacks(execute=True):
            return services.phone_bind_send(user=user, phone=phone, ip="10.0.0.1")

    return _bind_send


def test_an_email_account_binds_a_phone_with_a_bind_code(email_user, bind_send, sms_outbox):
    assert email_user.phone is None
    assert bind_send(email_user) == 60
    code = sms_code(sms_outbox)
    with pytest.raises(errors.BadSmsCode):
        services.phone_bind(user=email_user, phone=PHONE, code=other_than(code))
    assert User.objects.get(pk=email_user.pk).phone is None
    services.phone_bind(user=email_user, phone=PHONE, code=code)
    email_user.refresh_from_db()
    assert email_user.phone == PHONE and email_user.phone_bound
    assert email_user.phone_bound_at is not None
    assert User.objects.count() == 1


def test_an_account_that_has_a_phone_cannot_bind_another(volunteer, bind_send, sms_outbox):
    with pytest.raises(errors.PhoneAlreadyBound) as caught:
        bind_send(volunteer)
    assert caught.value.code == "phone_already_bound" and caught.value.status == 409
    assert not SmsCode.objects.exists() and sms_outbox == []
    with pytest.raises(errors.PhoneAlreadyBound):
        services.phone_bind(user=volunteer, phone=PHONE, code="123456")
    assert User.objects.get(pk=volunteer.pk).phone == volunteer.phone


def test_a_phone_of_another_account_cannot_be_bound(email_user, volunteer, bind_send, sms_outbox):
    with pytest.raises(errors.PhoneTaken) as caught:
        bind_send(email_user, phone=volunteer.phone)
    assert caught.value.code == "phone_taken" and caught.value.status == 409
    assert not SmsCode.objects.exists() and sms_outbox == []


def test_a_phone_taken_between_send_and_bind_is_refused(email_user, bind_send, sms_outbox):
    bind_send(email_user)
    code = sms_code(sms_outbox)
    User.objects.create(phone=PHONE)
    with pytest.raises(errors.PhoneTaken):
        services.phone_bind(user=email_user, phone=PHONE, code=code)
    assert User.objects.get(pk=email_user.pk).phone is None


def test_a_login_code_is_not_a_bind_code(email_user, send, sms_outbox):
    send()
    with pytest.raises(errors.SmsCodeExpired):
        services.phone_bind(user=email_user, phone=PHONE, code=sms_code(sms_outbox))
    assert User.objects.get(pk=email_user.pk).phone is None


def test_a_bind_code_is_not_a_login_code(email_user, bind_send, sms_outbox):
    bind_send(email_user)
    with pytest.raises(errors.SmsCodeExpired):
        services.phone_login(agree=True, phone=PHONE, code=sms_code(sms_outbox))
    assert not User.objects.filter(phone=PHONE).exists()
