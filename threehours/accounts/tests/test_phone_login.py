"""Phone + SMS-code log-in (issue 2, API.md "Accounts"): every rule pinned through the services."""

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from threehours.accounts import errors, services
from threehours.accounts.models import SmsCode, User

pytestmark = pytest.mark.django_db
PHONE = "13912345678"
T0 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def _code(sms_outbox, phone=PHONE) -> str:
    texts = [m["text"] for m in sms_outbox if m["phone"] == phone]
    assert texts, "no SMS was sent"
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Send a login code, delivering the SMS as the job queue would after commit."""

    def _send(phone=PHONE, ip="10.0.0.1", purpose=SmsCode.Purpose.LOGIN):
        with django_capture_on_commit_callbacks(execute=True):
            return services.sms_code_send(phone=phone, purpose=purpose, ip=ip)

    return _send


def test_first_login_creates_the_volunteer_and_the_second_reuses_it(send, sms_outbox):
    with time_machine.travel(T0, tick=False):
        assert send() == 60
        user = services.phone_login(phone=PHONE, code=_code(sms_outbox))
    assert user.phone == PHONE and user.phone_bound
    with time_machine.travel(T0 + dt.timedelta(minutes=2), tick=False):
        send()
        again = services.phone_login(phone="+86 139-1234-5678", code=_code(sms_outbox))
    assert again.pk == user.pk
    assert User.objects.count() == 1


def test_code_is_six_digits_and_only_its_hmac_is_stored(send, sms_outbox):
    send()
    code = _code(sms_outbox)
    assert re.fullmatch(r"\d{6}", code)
    row = SmsCode.objects.get()
    assert code not in row.code_hash and len(row.code_hash) == 64


def test_code_is_valid_for_five_minutes(send, sms_outbox):
    with time_machine.travel(T0, tick=False):
        send()
    code = _code(sms_outbox)
    with time_machine.travel(T0 + dt.timedelta(minutes=5, seconds=1), tick=False):
        with pytest.raises(errors.SmsCodeExpired):
            services.phone_login(phone=PHONE, code=code)
    assert not User.objects.exists()
    with time_machine.travel(T0 + dt.timedelta(minutes=5, seconds=2), tick=False):
        send()
    with time_machine.travel(T0 + dt.timedelta(minutes=9, seconds=59), tick=False):
        assert services.phone_login(phone=PHONE, code=_code(sms_outbox)).phone == PHONE


def test_code_is_single_use(send, sms_outbox):
    send()
    code = _code(sms_outbox)
    services.phone_login(phone=PHONE, code=code)
    with pytest.raises(errors.SmsCodeExpired):
        services.phone_login(phone=PHONE, code=code)


def test_fifth_wrong_try_kills_the_code(send, sms_outbox):
    send()
    code = _code(sms_outbox)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(errors.BadSmsCode):
            services.phone_login(phone=PHONE, code=wrong)
    with pytest.raises(errors.SmsCodeExhausted) as caught:
        services.phone_login(phone=PHONE, code=wrong)
    assert caught.value.status == 429
    with pytest.raises(errors.SmsCodeExhausted):
        services.phone_login(phone=PHONE, code=code)
    assert SmsCode.objects.get().wrong_tries == 5
    assert not User.objects.exists()


def test_a_new_code_at_most_every_sixty_seconds(send):
    with time_machine.travel(T0, tick=False):
        send()
    with time_machine.travel(T0 + dt.timedelta(seconds=59), tick=False):
        with pytest.raises(errors.SmsTooFrequent) as caught:
            send()
        assert caught.value.retry_after == 1
    with time_machine.travel(T0 + dt.timedelta(seconds=60), tick=False):
        send()
    assert SmsCode.objects.count() == 2


def test_daily_cap_per_phone_resets_on_the_next_shanghai_day(send, settings):
    for i in range(settings.SMS_DAILY_CAP_PER_PHONE):
        with time_machine.travel(T0 + dt.timedelta(minutes=2 * i), tick=False):
            send()
    with time_machine.travel(T0 + dt.timedelta(hours=13), tick=False):  # 23:00 in Shanghai
        with pytest.raises(errors.SmsDailyCapReached):
            send()
    with time_machine.travel(T0 + dt.timedelta(hours=14, minutes=1), tick=False):  # 00:01
        send()
    assert SmsCode.objects.count() == settings.SMS_DAILY_CAP_PER_PHONE + 1


def test_daily_cap_per_ip(send, settings):
    settings.SMS_DAILY_CAP_PER_IP = 3
    for i in range(3):
        send(phone=f"1391234560{i}", ip="10.9.9.9")
    with pytest.raises(errors.SmsDailyCapReached):
        send(phone="13912345609", ip="10.9.9.9")
    send(phone="13912345609", ip="10.9.9.10")


@pytest.mark.parametrize("phone", ["12345", "23912345678", "1391234567a", ""])
def test_invalid_phones_are_refused(send, phone):
    with pytest.raises(errors.InvalidPhone) as caught:
        send(phone=phone)
    assert "phone" in caught.value.fields
    assert not SmsCode.objects.exists()


def test_test_phones_log_in_without_sms_or_caps(test_phones, send, sms_outbox):
    for _ in range(15):
        assert send(phone="13800000001") == 0
    assert sms_outbox == []
    user = services.phone_login(phone="13800000001", code="123456")
    assert user.phone == "13800000001"
    # and without a prior send at all
    assert services.phone_login(phone="13800000002", code="123456").phone == "13800000002"


def test_test_phones_still_have_the_wrong_code_limit(test_phones):
    for _ in range(4):
        with pytest.raises(errors.BadSmsCode):
            services.phone_login(phone="13800000001", code="999999")
    with pytest.raises(errors.SmsCodeExhausted):
        services.phone_login(phone="13800000001", code="999999")
    with pytest.raises(errors.SmsCodeExhausted):
        services.phone_login(phone="13800000001", code="123456")
    services.sms_code_send(phone="13800000001", purpose="login", ip=None)
    assert services.phone_login(phone="13800000001", code="123456").phone == "13800000001"


def test_a_disabled_account_cannot_log_in(test_phones):
    User.objects.create(phone="13800000001", is_active=False, phone_bound_at=timezone.now())
    with pytest.raises(errors.AccountInactive):
        services.phone_login(phone="13800000001", code="123456")
