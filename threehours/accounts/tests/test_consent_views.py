"""Consent on the pages (issue #16 §1): the log-in tick box, the reason and what changed, the
closing offer, the ID-number consent block, 我的授权, and the public policy pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from threehours.accounts import consent, services
from threehours.accounts.models import Consent, PolicyDocument, SmsCode, User

pytestmark = pytest.mark.django_db

PHONE = "13800000001"
ID = "11010519491231002X"


@pytest.fixture(autouse=True)
def policies(test_phones):
    for kind in ("terms", "privacy"):
        PolicyDocument.objects.update_or_create(
            kind=kind,
            version=1,
            defaults={
                "title": f"{kind} 第一版",
                "body_markdown": "# 标题\n\n<script>alert(1)</script> **要点**",
                "published_at": timezone.now(),
            },
        )
    consent.policies_cache_clear()


def logged_in_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def test_the_phone_log_in_page_has_the_tick_box_with_both_links(client):
    html = client.get("/login/").content.decode()
    assert 'name="agree"' in html and 'href="/terms/"' in html and 'href="/privacy/"' in html
    assert "我已阅读并同意" in html


def test_without_the_tick_the_page_says_why_and_nothing_is_written(client):
    response = client.post("/login/", {"phone": PHONE, "code": "123456"})
    assert response.status_code == 200 and logged_in_id(client) is None
    assert "《用户协议》" in response.content.decode()
    assert not User.objects.exists() and not SmsCode.objects.exists()
    response = client.post("/login/", {"phone": PHONE, "code": "123456", "agree": "on"})
    assert response.status_code == 302 and logged_in_id(client) is not None
    assert User.objects.get().consents.count() == 2


def test_a_returning_user_sees_what_changed(client):
    services.phone_login(phone=PHONE, code="123456", agree=True)
    operator = User.objects.create_superuser(email="ops@example.org")
    draft = services.policy_draft(kind="privacy", user=operator)
    services.policy_draft_save(
        document=draft, title="隐私政策", body="新", changes="新增人脸核验说明", user=operator
    )
    services.policy_publish(document=draft, user=operator)
    html = client.post("/login/", {"phone": PHONE, "code": "123456"}).content.decode()
    assert "新增人脸核验说明" in html and logged_in_id(client) is None


def test_a_closing_account_is_offered_to_cancel_without_a_new_code(client):
    user = services.phone_login(phone=PHONE, code="123456", agree=True)
    User.objects.filter(pk=user.pk).update(closing_at=timezone.now() + timezone.timedelta(days=5))
    response = client.post("/login/", {"phone": PHONE, "code": "123456"})
    html = response.content.decode()
    assert logged_in_id(client) is None and 'name="cancel_closing"' in html
    response = client.post("/login/", {"cancel_closing": "1"})
    assert response.status_code == 302 and logged_in_id(client) == user.pk
    user.refresh_from_db()
    assert user.closing_at is None
    # The step is used once.
    client.logout()
    response = client.post("/login/", {"cancel_closing": "1"})
    assert response.status_code == 200 and logged_in_id(client) is None


def test_the_org_log_in_asks_and_the_ops_log_in_does_not(client, email_user, operator):
    assert 'name="agree"' in client.get("/org/login/").content.decode()
    assert 'name="agree"' not in client.get("/ops/login/").content.decode()
    response = client.post(
        "/org/login/", {"email": email_user.email, "password": "Correct-Horse-9"}
    )
    assert response.status_code == 200 and logged_in_id(client) is None
    response = client.post("/ops/login/", {"email": operator.email, "password": "Operator-Pass-9"})
    assert response.status_code == 302 and logged_in_id(client) == operator.pk
    assert not operator.consents.exists()


def test_the_real_name_page_asks_for_the_separate_consent(client):
    user = User.objects.create(phone="13900000055")
    client.force_login(user)
    html = client.get("/me/real-name/").content.decode()
    assert 'name="consent"' in html and "身份证号" in html
    response = client.post("/me/real-name/", {"real_name": "张三", "id_number": ID})
    assert response.status_code == 200
    user.refresh_from_db()
    assert not user.real_name_verified and not user.consents.exists()
    response = client.post(
        "/me/real-name/", {"real_name": "张三", "id_number": ID, "consent": "on"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.real_name_verified and user.consents.get().kind == "id_number"


def test_my_consents_are_listed_and_a_separate_one_can_be_withdrawn(client):
    user = User.objects.create(phone="13900000055")
    consent.consent_require(user=user, kind="location", given=True)
    consent.consents_record_documents(user=user, ip=None)
    client.force_login(user)
    html = client.get("/me/").content.decode()
    assert 'data-testid="my-consents"' in html
    assert "/me/consents/location/withdraw/" in html
    assert "/me/consents/terms/withdraw/" not in html
    response = client.post("/me/consents/location/withdraw/")
    assert response.status_code == 302
    assert not consent.has_consent(user, "location")
    client.post("/me/consents/privacy/withdraw/")
    assert consent.consents_missing(user) == []


def test_the_policy_pages_render_sanitised_markdown_and_old_versions(client):
    response = Client().get("/privacy/")
    html = response.content.decode()
    assert response.status_code == 200 and "<h1>标题</h1>" in html
    assert "<script>alert" not in html and "<strong>要点</strong>" in html
    assert 'href="/terms/"' in html  # the footer
    operator = User.objects.create_superuser(email="ops@example.org")
    draft = services.policy_draft(kind="privacy", user=operator)
    services.policy_draft_save(
        document=draft, title="隐私政策第二版", body="第二版正文", changes="改", user=operator
    )
    services.policy_publish(document=draft, user=operator)
    html = Client().get("/privacy/").content.decode()
    assert "第二版正文" in html and "?version=1" in html
    old = Client().get("/privacy/?version=1").content.decode()
    assert "<h1>标题</h1>" in old and "已不再有效" in old
    assert Client().get("/privacy/?version=9").status_code == 404
    assert Client().get("/privacy/?version=x").status_code == 404
    # A draft is never shown.
    services.policy_draft(kind="terms", user=operator)
    assert Client().get("/terms/?version=2").status_code == 404


def test_published_consent_rows_are_not_given_for_a_draft():
    operator = User.objects.create_superuser(email="ops@example.org")
    services.policy_draft(kind="terms", user=operator)
    assert consent.current_version("terms") == 1
    assert not Consent.objects.exists()


def test_the_org_sign_up_creates_no_account_without_agreeing(client, mailoutbox):
    data = {"email": "new@ngo.example.cn", "password": "A-Long-Password-26"}
    response = client.post("/org/signup/", {**data, "password2": data["password"]})
    assert response.status_code == 200 and 'name="agree"' in response.content.decode()
    assert not User.objects.exists() and mailoutbox == []
    response = client.post("/org/signup/", {**data, "password2": data["password"], "agree": "on"})
    assert response.status_code == 200
    assert set(User.objects.get().consents.values_list("kind", flat=True)) == {"terms", "privacy"}
