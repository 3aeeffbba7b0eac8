"""The Accounts operations of API.md and its conventions: error body, language, tokens, 429."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_sms_login_gives_a_token_that_opens_me(api, test_phones):
    response = api.post("auth/sms/login", {"phone": "13800000001", "code": "123456"})
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
    response = api.post("auth/sms/login", {"phone": "13800000001"})
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
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=settings.API_TOKEN_TTL_DAYS, minutes=1)
    with time_machine.travel(later):
        assert client.get("me").status_code == 401


def test_wrong_codes_end_in_429_with_retry_after_for_sends(api, test_phones):
    for _ in range(4):
        assert (
            api.post("auth/sms/login", {"phone": "13800000001", "code": "000000"}).json()["code"]
            == "bad_code"
        )
    response = api.post("auth/sms/login", {"phone": "13800000001", "code": "000000"})
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
    for _ in range(20):
        assert api.post("auth/sms/send", {"phone": "13800000001"}).status_code == 200
    response = api.post("auth/sms/send", {"phone": "13800000001"})
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    cache.clear()


def test_email_login_lockout_is_429(api, email_user):
    for _ in range(4):
        response = api.post("auth/email/login", {"email": email_user.email, "password": "x"})
        assert response.status_code == 401
    response = api.post("auth/email/login", {"email": email_user.email, "password": "x"})
    assert response.status_code == 429
    assert response.json()["code"] == "account_locked"
    assert response["Retry-After"] == "900"


def test_real_name_through_the_api(api, volunteer):
    client = api.as_user(volunteer)
    response = client.put("me/real-name", {"real_name": "张三", "id_number": "110105194912310021"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_id_number"
    response = client.put("me/real-name", {"real_name": "张三", "id_number": "11010519491231002X"})
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
