"""The Accounts operations of docs/api.md and its conventions: error body, language, tokens, 429."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection

from threehours.accounts import services
from threehours.accounts.models import ApiToken, SmsCode, User

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_sms_login_gives_a_token_that_opens_me(api, test_phones):
    response = api.post("auth/sms/login", {"agree": True, "phone": "13800000001", "code": "123456"})
    assert response.status_code == 200
    body = response.json()
    me = api.__class__(body["token"]).get("me")
    assert me.status_code == 200
    assert set(me.json()) >= {
        "id",
        "nickname",
        "phone_bound",
        "phone_masked",
        "real_name_verified",
        "orgs",
        "is_operator",
    }
    assert me.json()["phone_masked"] == "138****0001"
    assert me.json()["phone_bound"] is True


def test_error_body_is_code_and_translated_message(api):
    response = api.post("auth/sms/send", {"phone": "123"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_phone"
    assert CJK.search(body["message"])
    assert set(body) == {"code", "message", "fields"}
    english = api.__class__(language="en").post("auth/sms/send", {"phone": "123"}).json()
    assert english["message"] == "Please enter a valid 11-digit mainland mobile number."


def test_wrong_types_and_extra_fields_are_field_errors(api):
    response = api.post("auth/sms/send", {"phone": 13800000001})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert "phone" in response.json()["fields"]
    response = api.post("auth/sms/send", {"phone": "13800000001", "admin": True})
    assert response.status_code == 400 and "admin" in response.json()["fields"]
    response = api.post("auth/sms/login", {"agree": True, "phone": "13800000001"})
    assert response.status_code == 400 and "code" in response.json()["fields"]


def test_without_a_token_me_is_401(api):
    response = api.get("me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert api.__class__("th_not-a-real-token").get("me").status_code == 401


def test_logout_revokes_the_token(api, volunteer):
    client = api.as_user(volunteer)
    assert client.get("me").status_code == 200
    assert client.post("auth/logout").status_code == 204
    assert client.get("me").status_code == 401


def test_tokens_expire(api, volunteer, settings):
    client = api.as_user(volunteer)
    ttl = dt.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    with time_machine.travel(dt.datetime.now(dt.UTC) + ttl - dt.timedelta(minutes=1)):
        assert client.get("me").status_code == 200
    with time_machine.travel(dt.datetime.now(dt.UTC) + ttl + dt.timedelta(minutes=1)):
        assert client.get("me").status_code == 401


def test_wrong_codes_end_in_429_with_retry_after_for_sends(api, test_phones):
    for _ in range(4):
        assert (
            api.post(
                "auth/sms/login", {"agree": True, "phone": "13800000001", "code": "000000"}
            ).json()["code"]
            == "bad_code"
        )
    response = api.post("auth/sms/login", {"agree": True, "phone": "13800000001", "code": "000000"})
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_wrong_codes"


def test_resend_too_soon_is_429_with_retry_after(api):
    assert api.post("auth/sms/send", {"phone": "13912340000"}).status_code == 200
    response = api.post("auth/sms/send", {"phone": "13912340000"})
    assert response.status_code == 429
    assert response.json()["code"] == "sms_too_frequent"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_sms_sending_is_rate_limited_per_ip(api, test_phones):
    cache.clear()
    # Frozen, so the 21 requests cannot straddle the limiter's one-minute window.
    with time_machine.travel(dt.datetime(2026, 11, 25, 2, 0, 5, tzinfo=dt.UTC), tick=False):
        for _ in range(20):
            assert api.post("auth/sms/send", {"phone": "13800000001"}).status_code == 200
        response = api.post("auth/sms/send", {"phone": "13800000001"})
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    cache.clear()


def test_email_login_lockout_is_429(api, email_user):
    for _ in range(4):
        response = api.post(
            "auth/email/login", {"agree": True, "email": email_user.email, "password": "x"}
        )
        assert response.status_code == 401
    response = api.post(
        "auth/email/login", {"agree": True, "email": email_user.email, "password": "x"}
    )
    assert response.status_code == 429
    assert response.json()["code"] == "account_locked"
    assert response["Retry-After"] == "900"


def test_real_name_through_the_api(api, volunteer):
    client = api.as_user(volunteer)
    response = client.put(
        "me/real-name", {"consent": True, "real_name": "张三", "id_number": "110105194912310021"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_id_number"
    response = client.put(
        "me/real-name", {"consent": True, "real_name": "张三", "id_number": "11010519491231002X"}
    )
    assert response.status_code == 200
    assert response.json()["real_name_verified"] is True
    assert response.json()["id_number_masked"] == "1101**********002X"


def test_phone_binding_through_the_api(api, email_user, test_phones):
    client = api.as_user(email_user)
    assert client.get("me").json()["phone_bound"] is False
    assert client.post("me/phone/send", {"phone": "13800000002"}).status_code == 200
    response = client.post("me/phone/bind", {"phone": "13800000002", "code": "123456"})
    assert response.status_code == 200 and response.json()["phone_bound"] is True
    response = client.post("me/phone/send", {"phone": "13800000001"})
    assert response.status_code == 409 and response.json()["code"] == "phone_already_bound"


# --- Every Accounts rule through the API, one behaviour per test ---------------------------------

PHONE = "13912345678"
PASSWORD = "Correct-Horse-9"  # the `email_user` fixture's password
ID = "11010519491231002X"
T0 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
PLAIN = {"code", "message"}  # the error body of a refusal that is not a validation error


@pytest.fixture(autouse=True)
def _fresh_rate_limits_and_fast_passwords(settings):
    # The API counts requests per IP in the cache, which outlives each test's transaction.
    cache.clear()
    # Argon2 costs ~0.3 s a hash here; the rules under test do not depend on the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    cache.clear()


@pytest.fixture
def send(api, django_capture_on_commit_callbacks):
    """POST a code request, delivering the SMS as the job queue would after commit."""

    def _send(phone=PHONE, client=None, path="auth/sms/send", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return (client or api).post(path, {"phone": phone}, **extra)

    return _send


def sms_code(sms_outbox, phone=PHONE) -> str:
    texts = [sms["text"] for sms in sms_outbox if sms["phone"] == phone]
    assert texts, f"no SMS to {phone}"
    return re.search(r"(?<!\d)\d{6}(?!\d)", texts[-1]).group(0)


def other_than(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def at(delta: dt.timedelta = dt.timedelta()):
    return time_machine.travel(T0 + delta, tick=False)


def refusal(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def raw_user_row(user) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_user WHERE id = %s", [user.pk])
        return tuple(cursor.fetchone())


# phone codes


def test_sms_code_logs_in_creating_the_volunteer_once(api, send, sms_outbox):
    with at():
        response = send()
        assert response.status_code == 200 and response.json() == {"resend_after_seconds": 60}
        first = api.post(
            "auth/sms/login", {"agree": True, "phone": PHONE, "code": sms_code(sms_outbox)}
        )
    assert first.status_code == 200
    assert first.json()["token"].startswith("th_")
    assert first.json()["user"]["phone_masked"] == "139****5678"
    with at(dt.timedelta(minutes=2)):
        send()
        second = api.post(
            "auth/sms/login", {"agree": True, "phone": PHONE, "code": sms_code(sms_outbox)}
        )
    assert second.json()["user"]["id"] == first.json()["user"]["id"]
    assert User.objects.count() == 1 and ApiToken.objects.count() == 2


def test_an_expired_or_used_code_is_code_expired(api, send, sms_outbox):
    with at():
        send()
    with at(dt.timedelta(minutes=5, seconds=1)):
        response = api.post(
            "auth/sms/login", {"agree": True, "phone": PHONE, "code": sms_code(sms_outbox)}
        )
    assert set(refusal(response, 400, "code_expired")) == PLAIN
    assert not User.objects.exists()
    with at(dt.timedelta(minutes=6)):
        send()
        code = sms_code(sms_outbox)
        assert (
            api.post("auth/sms/login", {"agree": True, "phone": PHONE, "code": code}).status_code
            == 200
        )
        response = api.post("auth/sms/login", {"agree": True, "phone": PHONE, "code": code})
    refusal(response, 400, "code_expired")


def test_the_fifth_wrong_code_is_429_and_the_right_code_stays_refused(api, send, sms_outbox):
    send()
    code = sms_code(sms_outbox)
    for _ in range(4):
        response = api.post(
            "auth/sms/login", {"agree": True, "phone": PHONE, "code": other_than(code)}
        )
        assert "code" in refusal(response, 400, "bad_code")["fields"]
    response = api.post("auth/sms/login", {"agree": True, "phone": PHONE, "code": other_than(code)})
    assert set(refusal(response, 429, "too_many_wrong_codes")) == PLAIN
    response = api.post("auth/sms/login", {"agree": True, "phone": PHONE, "code": code})
    refusal(response, 429, "too_many_wrong_codes")
    assert not User.objects.exists()


def test_resend_too_soon_is_429_with_the_seconds_left_in_retry_after(api, send, sms_outbox):
    with at():
        send()
    with at(dt.timedelta(seconds=20)):
        response = send()
    assert set(refusal(response, 429, "sms_too_frequent")) == PLAIN
    assert response["Retry-After"] == "40"
    assert SmsCode.objects.count() == 1 and len(sms_outbox) == 1


def test_the_eleventh_code_of_the_day_for_a_phone_is_refused(api, send):
    for i in range(10):
        with at(dt.timedelta(minutes=2 * i)):
            assert send().status_code == 200
    with at(dt.timedelta(hours=1)):
        response = send()
    refusal(response, 429, "sms_daily_cap")
    assert response["Retry-After"] == str(13 * 3600)  # until midnight in Shanghai
    with at(dt.timedelta(hours=14, minutes=1)):  # 00:01 the next day in Shanghai
        assert send().status_code == 200


def test_codes_per_ip_and_day_are_capped(api, send, settings):
    settings.SMS_DAILY_CAP_PER_IP = 2
    with at():
        assert send("13912345601").status_code == 200
        assert send("13912345602").status_code == 200
        refusal(send("13912345603"), 429, "sms_daily_cap")
        assert send("13912345603", REMOTE_ADDR="10.0.0.2").status_code == 200
    assert SmsCode.objects.count() == 3


@pytest.mark.parametrize("path", ["auth/sms/send", "auth/sms/login"])
@pytest.mark.parametrize("phone", ["12345", "23912345678", "1391234567a"])
def test_an_invalid_phone_is_400_with_a_field_error(api, path, phone, sms_outbox):
    response = api.post(
        path, {"phone": phone, "code": "123456"} if "login" in path else {"phone": phone}
    )
    body = refusal(response, 400, "invalid_phone")
    assert set(body) == {"code", "message", "fields"} and list(body["fields"]) == ["phone"]
    assert not SmsCode.objects.exists() and sms_outbox == []


# test phones


def test_test_phones_skip_the_sms_the_interval_and_the_caps(
    api, send, test_phones, settings, sms_outbox
):
    settings.SMS_DAILY_CAP_PER_IP = 3
    response = api.post("auth/sms/login", {"agree": True, "phone": "13800000002", "code": "123456"})
    assert response.status_code == 200  # no send at all first
    with at():
        for _ in range(15):
            response = send("13800000001")
            assert response.status_code == 200 and response.json() == {"resend_after_seconds": 0}
    assert sms_outbox == []
    assert (
        api.post(
            "auth/sms/login", {"agree": True, "phone": "13800000001", "code": "123456"}
        ).status_code
        == 200
    )


def test_test_phones_keep_the_wrong_code_limit_until_a_new_send(api, send, test_phones):
    for _ in range(5):
        api.post("auth/sms/login", {"agree": True, "phone": "13800000001", "code": "999999"})
    response = api.post("auth/sms/login", {"agree": True, "phone": "13800000001", "code": "123456"})
    refusal(response, 429, "too_many_wrong_codes")
    assert send("13800000001").status_code == 200
    assert (
        api.post(
            "auth/sms/login", {"agree": True, "phone": "13800000001", "code": "123456"}
        ).status_code
        == 200
    )


def test_sms_send_is_rate_limited_to_twenty_a_minute_per_ip(api, test_phones):
    cache.clear()
    with at():
        for _ in range(20):
            assert api.post("auth/sms/send", {"phone": "13800000001"}).status_code == 200
        response = api.post("auth/sms/send", {"phone": "13800000001"})
        body = refusal(response, 429, "rate_limited")
        assert set(body) == PLAIN
        assert 1 <= int(response["Retry-After"]) <= 60
        assert SmsCode.objects.count() == 20
        other_ip = api.post("auth/sms/send", {"phone": "13800000001"}, REMOTE_ADDR="10.0.0.2")
        assert other_ip.status_code == 200


# e-mail accounts


def test_email_login_gives_a_token_for_a_verified_account(api, email_user):
    response = api.post(
        "auth/email/login", {"agree": True, "email": "STAFF@example.org", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["user"]["id"] == email_user.pk
    client = api.__class__(response.json()["token"])
    assert client.get("me").json()["id"] == email_user.pk


def test_email_login_refuses_a_wrong_password_and_an_unverified_email(api):
    User.objects.create_user(email="new@ngo.example.cn", password="A-Long-Password-26")
    response = api.post(
        "auth/email/login", {"agree": True, "email": "new@ngo.example.cn", "password": "wrong"}
    )
    assert set(refusal(response, 401, "invalid_credentials")) == PLAIN
    response = api.post(
        "auth/email/login",
        {"agree": True, "email": "new@ngo.example.cn", "password": "A-Long-Password-26"},
    )
    assert set(refusal(response, 403, "email_not_verified")) == PLAIN
    assert not ApiToken.objects.exists()


def test_a_locked_account_refuses_the_right_password_for_fifteen_minutes(api, email_user):
    with at():
        for _ in range(5):
            api.post(
                "auth/email/login", {"agree": True, "email": email_user.email, "password": "wrong"}
            )
        response = api.post(
            "auth/email/login", {"agree": True, "email": email_user.email, "password": PASSWORD}
        )
        assert set(refusal(response, 429, "account_locked")) == PLAIN
        assert response["Retry-After"] == "900"
    with at(dt.timedelta(minutes=10)):
        response = api.post(
            "auth/email/login", {"agree": True, "email": email_user.email, "password": PASSWORD}
        )
        refusal(response, 429, "account_locked")
        assert response["Retry-After"] == "300"
    with at(dt.timedelta(minutes=15, seconds=1)):
        response = api.post(
            "auth/email/login", {"agree": True, "email": email_user.email, "password": PASSWORD}
        )
    assert response.status_code == 200 and response.json()["token"]
    assert ApiToken.objects.count() == 1


# real name


def test_real_name_with_a_bad_checksum_is_400_and_writes_nothing(api, volunteer):
    before = raw_user_row(volunteer)
    client = api.as_user(volunteer)
    response = client.put(
        "me/real-name", {"consent": True, "real_name": "张三", "id_number": "110105194912310021"}
    )
    body = refusal(response, 400, "invalid_id_number")
    assert list(body["fields"]) == ["id_number"]
    assert raw_user_row(volunteer) == before


def test_real_name_is_stored_encrypted_and_shown_masked(api, volunteer):
    client = api.as_user(volunteer)
    response = client.put("me/real-name", {"consent": True, "real_name": "张三", "id_number": ID})
    assert response.status_code == 200
    assert response.json()["id_number_masked"] == "1101**********002X"
    assert all(ID[:17] not in str(column) for column in raw_user_row(volunteer))
    volunteer.refresh_from_db()
    assert volunteer.id_number_plain() == ID
    assert volunteer.birth_date == dt.date(1949, 12, 31)
    me = client.get("me").json()
    assert me["real_name_verified"] is True and me["id_number_masked"] == "1101**********002X"


def test_an_id_number_of_another_account_is_409(api, volunteer, outsider):
    services.real_name_set(user=volunteer, real_name="张三", id_number=ID, consent=True)
    before = raw_user_row(outsider)
    response = api.as_user(outsider).put(
        "me/real-name", {"consent": True, "real_name": "李四", "id_number": ID.lower()}
    )
    refusal(response, 409, "id_number_taken")
    assert raw_user_row(outsider) == before


# phone binding


def test_an_email_account_binds_a_phone_with_a_bind_code(api, email_user, send, sms_outbox):
    client = api.as_user(email_user)
    assert client.get("me").json()["phone_bound"] is False
    response = send(client=client, path="me/phone/send")
    assert response.status_code == 200 and response.json() == {"resend_after_seconds": 60}
    code = sms_code(sms_outbox)
    response = client.post("me/phone/bind", {"phone": PHONE, "code": other_than(code)})
    refusal(response, 400, "bad_code")
    response = client.post("me/phone/bind", {"phone": PHONE, "code": code})
    assert response.status_code == 200
    me = client.get("me").json()
    assert me["phone_bound"] is True and me["phone_masked"] == "139****5678"
    assert User.objects.get(pk=email_user.pk).phone == PHONE


def test_an_account_with_a_phone_cannot_bind_another(api, volunteer, send, sms_outbox):
    client = api.as_user(volunteer)
    response = send(client=client, path="me/phone/send")
    assert set(refusal(response, 409, "phone_already_bound")) == PLAIN
    response = client.post("me/phone/bind", {"phone": PHONE, "code": "123456"})
    refusal(response, 409, "phone_already_bound")
    assert sms_outbox == [] and User.objects.get(pk=volunteer.pk).phone == volunteer.phone


def test_a_phone_of_another_account_cannot_be_bound(api, email_user, volunteer, send, sms_outbox):
    client = api.as_user(email_user)
    refusal(send(volunteer.phone, client=client, path="me/phone/send"), 409, "phone_taken")
    response = client.post("me/phone/bind", {"phone": volunteer.phone, "code": "123456"})
    refusal(response, 409, "phone_taken")
    assert sms_outbox == [] and User.objects.get(pk=email_user.pk).phone is None


def test_a_login_code_cannot_bind_a_phone(api, email_user, send, sms_outbox):
    send()  # a login code for PHONE
    client = api.as_user(email_user)
    response = client.post("me/phone/bind", {"phone": PHONE, "code": sms_code(sms_outbox)})
    refusal(response, 400, "code_expired")
    assert User.objects.get(pk=email_user.pk).phone is None


# conventions: error body, language, input, tokens, /me


def test_messages_are_chinese_by_default_and_english_on_request(api, volunteer):
    chinese = refusal(api.get("me"), 401, "unauthorized")
    assert CJK.search(chinese["message"])
    english = refusal(api.__class__(language="en").get("me"), 401, "unauthorized")
    assert english["message"] == "Please log in: the token is missing, invalid or revoked."
    client = api.as_user(volunteer, language="en")
    body = refusal(
        client.put("me/real-name", {"consent": True, "real_name": "张三", "id_number": "1"}),
        400,
        "invalid_id_number",
    )
    assert body["message"] == "The ID number is not valid: please check every digit."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": 13912345678}, "phone"),
        ({"phone": True}, "phone"),
        ({"phone": None}, "phone"),
        ({}, "phone"),
        ({"phone": PHONE, "role": "operator"}, "role"),
    ],
)
def test_wrong_types_missing_and_unknown_fields_are_invalid_input(api, body, field, sms_outbox):
    response = api.post("auth/sms/send", body)
    body = refusal(response, 400, "invalid_input")
    assert set(body) == {"code", "message", "fields"} and list(body["fields"]) == [field]
    assert not SmsCode.objects.exists() and sms_outbox == []


def test_a_token_works_until_it_expires(api, volunteer, settings):
    with at():
        client = api.as_user(volunteer)
    ttl = dt.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    with at(ttl - dt.timedelta(minutes=1)):
        assert client.get("me").status_code == 200
    with at(ttl + dt.timedelta(minutes=1)):
        assert set(refusal(client.get("me"), 401, "unauthorized")) == PLAIN


def test_logout_revokes_only_the_token_it_is_sent_with(api, volunteer):
    refusal(api.post("auth/logout"), 401, "unauthorized")
    phone_app, tablet = api.as_user(volunteer), api.as_user(volunteer)
    response = phone_app.post("auth/logout")
    assert response.status_code == 204 and response.content == b""
    refusal(phone_app.get("me"), 401, "unauthorized")
    assert tablet.get("me").status_code == 200
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 1


def test_me_describes_the_account(api, email_user, operator):
    me = api.as_user(email_user).get("me").json()
    assert set(me) >= {
        "id",
        "nickname",
        "phone_bound",
        "phone_masked",
        "real_name_verified",
        "orgs",
        "is_operator",
    }
    assert me["id"] == email_user.pk
    assert me["phone_bound"] is False and me["phone_masked"] == ""
    assert me["real_name_verified"] is False
    assert me["orgs"] == [] and me["is_operator"] is False
    assert api.as_user(operator).get("me").json()["is_operator"] is True
