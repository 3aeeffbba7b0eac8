"""docs/api.md "Privacy and account": the policies in force, my consents, consent at log-in and the
ID-number consent (issue #16 §1)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from threehours.accounts import consent
from threehours.accounts.models import Consent, PolicyDocument, SmsCode, User

pytestmark = pytest.mark.django_db

ID = "11010519491231002X"


@pytest.fixture(autouse=True)
def policies(test_phones):
    for kind in ("terms", "privacy"):
        PolicyDocument.objects.get_or_create(
            kind=kind,
            version=1,
            defaults={"title": kind, "body_markdown": "x", "published_at": timezone.now()},
        )
    consent.policies_cache_clear()


def test_the_policies_are_public(api):
    response = api.get("policies")
    assert response.status_code == 200
    body = {row["kind"]: row for row in response.json()}
    assert set(body) == {"terms", "privacy"}
    assert body["privacy"]["version"] == 1 and body["privacy"]["url"].endswith("/privacy/")


def test_the_sms_log_in_needs_agree_and_creates_nothing_without_it(api):
    response = api.post("auth/sms/login", {"phone": "13800000001", "code": "123456"})
    assert (response.status_code, response.json()["code"]) == (400, "consent_required")
    assert "agree" in response.json()["fields"]
    assert not User.objects.exists() and not SmsCode.objects.exists()
    response = api.post("auth/sms/login", {"phone": "13800000001", "code": "123456", "agree": True})
    assert response.status_code == 200 and response.json()["consents_needed"] == []
    assert User.objects.get().consents.count() == 2


def test_the_email_log_in_needs_agree(api, email_user):
    body = {"email": email_user.email, "password": "Correct-Horse-9"}
    response = api.post("auth/email/login", body)
    assert (response.status_code, response.json()["code"]) == (400, "consent_required")
    assert api.post("auth/email/login", {**body, "agree": True}).status_code == 200


def test_a_closing_account_gets_403_then_cancels_with_the_same_code(api):
    api.post("auth/sms/login", {"phone": "13800000001", "code": "123456", "agree": True})
    User.objects.update(closing_at=timezone.now() + timezone.timedelta(days=3))
    body = {"phone": "13800000001", "code": "123456"}
    response = api.post("auth/sms/login", body)
    assert (response.status_code, response.json()["code"]) == (403, "account_closing")
    response = api.post("auth/sms/login", {**body, "cancel_closing": True})
    assert response.status_code == 200
    assert User.objects.get().closing_at is None


def test_my_consents_give_list_and_refuse_old_versions_or_unknown_kinds(api, volunteer):
    client = api.as_user(volunteer)
    Consent.objects.filter(user=volunteer).delete()
    response = client.post("me/consents", {"kind": "location", "version": 1})
    assert response.status_code == 201 and response.json()["kind"] == "location"
    assert client.post("me/consents", {"kind": "location", "version": 1}).status_code == 201
    response = client.post("me/consents", {"kind": "location", "version": 2})
    assert (response.status_code, response.json()["code"]) == (400, "consent_version_outdated")
    response = client.post("me/consents", {"kind": "nothing", "version": 1})
    assert (response.status_code, response.json()["code"]) == (400, "invalid_kind")
    rows = client.get("me/consents").json()
    assert [(r["kind"], r["version"], r["withdrawn_at"]) for r in rows] == [("location", 1, None)]
    assert client.delete("me/consents/location").status_code == 204
    assert client.get("me/consents").json()[0]["withdrawn_at"] is not None
    response = client.delete("me/consents/terms")
    assert (response.status_code, response.json()["code"]) == (400, "consent_not_withdrawable")
    assert api.get("me/consents").status_code == 401


def test_the_real_name_needs_the_id_number_consent(api):
    user = User.objects.create(phone="13900000066")
    client = api.as_user(user)
    response = client.put("me/real-name", {"real_name": "张三", "id_number": ID})
    assert (response.status_code, response.json()["code"]) == (400, "consent_required")
    user.refresh_from_db()
    assert not user.real_name_verified
    response = client.put("me/real-name", {"real_name": "张三", "id_number": ID, "consent": True})
    assert response.status_code == 200 and response.json()["real_name_verified"]


def test_the_org_sign_up_needs_agree(api):
    body = {"email": "new@ngo.example.cn", "password": "A-Long-Password-26"}
    response = api.post("orgs/signup", body)
    assert (response.status_code, response.json()["code"]) == (400, "consent_required")
    assert not User.objects.exists()
    assert api.post("orgs/signup", {**body, "agree": True}).status_code == 201
