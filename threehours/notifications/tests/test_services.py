"""Inbox and deliveries: sent after commit, claimed once, retried, never lost silently."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from threehours.notifications import services, tasks
from threehours.notifications.models import Delivery, Message

pytestmark = pytest.mark.django_db


class FailingSms:
    def send(self, *, phone, text):
        raise ConnectionError("provider down")


def test_notify_writes_the_inbox_and_mails_a_verified_address(
    email_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(user=email_user, title="审核通过", body="欢迎", link="/org/", sms=True)
    assert Message.objects.get(recipient=email_user).title == "审核通过"
    assert [m.subject for m in mailoutbox] == ["审核通过"]
    assert not Delivery.objects.filter(channel="sms").exists()  # no phone: no SMS
    assert Delivery.objects.get(channel="email").status == "sent"


def test_nothing_is_sent_for_a_rolled_back_transaction(
    volunteer, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                services.sms_send(phone=volunteer.phone, text="hello")
                raise RuntimeError("boom")
        except RuntimeError:
            pass
    assert sms_outbox == [] and not Delivery.objects.exists()


def test_a_delivery_is_sent_once(volunteer, sms_outbox):
    delivery = services.sms_send(phone=volunteer.phone, text="您好", sensitive=True)
    assert services.delivery_attempt(delivery_id=delivery.pk, final=False) is True
    assert services.delivery_attempt(delivery_id=delivery.pk, final=False) is False
    assert len(sms_outbox) == 1
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.body == "[redacted]"


def test_a_failing_send_is_recorded_retried_and_finally_failed(volunteer, settings):
    settings.SMS_BACKEND = f"{__name__}.FailingSms"
    delivery = services.sms_send(phone=volunteer.phone, text="您好")
    with pytest.raises(ConnectionError):
        services.delivery_attempt(delivery_id=delivery.pk, final=False)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "provider down" in delivery.last_error
    with pytest.raises(ConnectionError):
        services.delivery_attempt(delivery_id=delivery.pk, final=True)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)


def test_the_job_retries_as_configured(settings):
    assert tasks.delivery_send_task.retries == settings.NOTIFY_MAX_RETRIES
    assert tasks.delivery_send_task.retry_delay == settings.NOTIFY_RETRY_DELAY_SECONDS


def test_stuck_deliveries_are_handed_back(volunteer):
    t0 = dt.datetime(2026, 11, 25, 2, tzinfo=dt.UTC)
    with time_machine.travel(t0, tick=False):
        stuck = services.sms_send(phone=volunteer.phone, text="a")
        Delivery.objects.filter(pk=stuck.pk).update(status="sending", claimed_at=timezone.now())
        waiting = services.sms_send(phone=volunteer.phone, text="b")
        fresh_ids = services.delivery_requeue_stale()
    assert fresh_ids == []
    with time_machine.travel(t0 + dt.timedelta(minutes=11), tick=False):
        ids = services.delivery_requeue_stale()
    assert sorted(ids) == sorted([stuck.pk, waiting.pk])
    assert Delivery.objects.get(pk=stuck.pk).status == "pending"


def test_file_sms_backend_writes_one_file(settings, tmp_path, volunteer):
    settings.SMS_BACKEND = "file"
    settings.OUTBOX_DIR = tmp_path
    delivery = services.sms_send(phone=volunteer.phone, text="验证码 123456")
    services.delivery_attempt(delivery_id=delivery.pk, final=True)
    files = list((tmp_path / "sms").iterdir())
    assert len(files) == 1 and "验证码 123456" in files[0].read_text(encoding="utf-8")


def test_aliyun_backend_needs_its_keys_and_signs_requests(settings):
    import base64
    import hashlib
    import hmac
    import urllib.parse

    from django.core.exceptions import ImproperlyConfigured

    from threehours.notifications.backends import AliyunSmsBackend

    with pytest.raises(ImproperlyConfigured):
        AliyunSmsBackend()
    settings.SMS_PROVIDER_ACCESS_KEY_ID = "testid"
    settings.SMS_PROVIDER_ACCESS_KEY_SECRET = "testsecret"
    settings.SMS_PROVIDER_SIGN_NAME = "threehours"
    settings.SMS_PROVIDER_TEMPLATE_CODE = "SMS_1"
    query = AliyunSmsBackend().signed_query(
        {"PhoneNumbers": "13800000001"}, nonce="n1", now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    signature, canonical = query.split("&", 1)
    to_sign = "GET&%2F&" + urllib.parse.quote(canonical, safe="~")
    expected = base64.b64encode(hmac.new(b"testsecret&", to_sign.encode(), hashlib.sha1).digest())
    assert signature == "Signature=" + urllib.parse.quote(expected.decode(), safe="~")
    assert "Timestamp=2026-01-01T00%3A00%3A00Z" in canonical


def test_inbox_shows_only_my_messages_and_pages(client, volunteer, outsider):
    for i in range(25):
        Message.objects.create(recipient=volunteer, title=f"消息{i}")
    Message.objects.create(recipient=outsider, title="别人的消息")
    client.force_login(volunteer)
    page = client.get("/me/inbox/")
    html = page.content.decode()
    assert "别人的消息" not in html and html.count('<li class="message') == 20
    cursor = page.context["page"].next_cursor
    html = client.get(f"/me/inbox/?cursor={cursor}", headers={"HX-Request": "true"}).content
    assert html.decode().count('<li class="message') == 5
    other = Message.objects.get(recipient=outsider)
    assert client.post(f"/me/inbox/{other.pk}/read/").status_code == 404
    assert Message.objects.get(pk=other.pk).read_at is None


def test_inbox_api(api, volunteer):
    Message.objects.create(recipient=volunteer, title="你好")
    client = api.as_user(volunteer)
    body = client.get("me/messages").json()
    assert body["unread"] == 1 and body["items"][0]["title"] == "你好"
    assert client.get("me/messages?limit=101").json()["code"] == "invalid_input"
    assert client.get("me/messages?cursor=@@@").status_code == 400
    assert client.post(f"me/messages/{body['items'][0]['id']}/read").status_code == 204
    assert client.get("me/messages").json()["unread"] == 0
