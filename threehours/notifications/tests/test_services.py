"""Notification services: the inbox, and SMS / e-mail deliveries that are sent only after commit,
claimed once, retried by the job queue and never lost silently."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.server
import json
import threading
import urllib.parse

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from threehours.accounts.models import User
from threehours.notifications import services, tasks
from threehours.notifications.backends import AliyunSmsBackend, get_sms_backend
from threehours.notifications.models import Delivery, Message

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)


class FailingSmsBackend:
    """An SMS provider that is down (plugged in through settings.SMS_BACKEND)."""

    calls = 0

    def send(self, *, phone: str, text: str) -> None:
        FailingSmsBackend.calls += 1
        raise ConnectionError("provider down")


FAILING = f"{__name__}.FailingSmsBackend"


@pytest.fixture(autouse=True)
def _empty_job_queue():
    """Immediate-mode huey keeps scheduled retries in memory across tests."""
    FailingSmsBackend.calls = 0
    HUEY.flush()
    yield
    HUEY.flush()


@pytest.fixture
def reachable_user(db):
    """A user with a bound phone and a verified e-mail address."""
    return User.objects.create(
        phone="13900000002",
        phone_bound_at=timezone.now(),
        email="both@example.org",
        email_verified_at=timezone.now(),
    )


def run_scheduled_retries() -> int:
    """Run every retry huey has scheduled, as the consumer would once each is due."""
    ran = 0
    while scheduled := HUEY.scheduled():
        for task in scheduled:
            # read_schedule() takes the due tasks off the schedule; the retry's eta is "due".
            for due in HUEY.read_schedule(task.eta):
                HUEY.execute(due, timestamp=due.eta)
                ran += 1
    return ran


# --- notify(): inbox message, deliveries only where there is an address -----------------------


def test_notify_writes_the_inbox_and_both_channels_for_a_reachable_user(
    reachable_user, sms_outbox, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.notify(
            user=reachable_user, title="审核通过", body="欢迎加入", link="/org/", sms=True
        )

    assert Message.objects.get(recipient=reachable_user) == message
    assert (message.title, message.body, message.link, message.read_at) == (
        "审核通过",
        "欢迎加入",
        "/org/",
        None,
    )
    assert sms_outbox == [{"phone": "13900000002", "text": "审核通过: 欢迎加入"}]
    assert [(m.to, m.subject) for m in mailoutbox] == [(["both@example.org"], "审核通过")]
    assert mailoutbox[0].body.endswith("/org/")  # the link, made absolute with SITE_URL
    assert sorted(Delivery.objects.values_list("channel", "status", "recipient")) == [
        ("email", "sent", reachable_user.pk),
        ("sms", "sent", reachable_user.pk),
    ]


def test_notify_sends_no_sms_to_a_user_without_a_phone(
    email_user, sms_outbox, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(user=email_user, title="审核通过", body="欢迎", sms=True)

    assert list(Delivery.objects.values_list("channel", flat=True)) == ["email"]
    assert sms_outbox == [] and len(mailoutbox) == 1


def test_notify_sends_no_email_to_an_unverified_address(
    db, sms_outbox, mailoutbox, django_capture_on_commit_callbacks
):
    user = User.objects.create_user(email="new@example.org", password="Correct-Horse-9")
    assert user.email_verified_at is None

    with django_capture_on_commit_callbacks(execute=True):
        services.notify(user=user, title="你好", body="…")

    assert Message.objects.filter(recipient=user).count() == 1
    assert not Delivery.objects.exists() and mailoutbox == []


def test_notify_sends_sms_only_when_asked(
    volunteer, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(user=volunteer, title="提醒", body="明天有活动")
    assert not Delivery.objects.exists() and sms_outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        services.notify(user=volunteer, title="提醒", body="明天有活动", sms=True)
    assert list(Delivery.objects.values_list("channel", flat=True)) == ["sms"]
    assert len(sms_outbox) == 1


# --- after commit only --------------------------------------------------------------------------


def test_deliveries_wait_for_the_commit(
    reachable_user, sms_outbox, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        services.notify(user=reachable_user, title="通知", body="内容", sms=True)
        # Written in the caller's transaction, but nothing has left yet.
        assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
        assert sms_outbox == [] and mailoutbox == []

    assert len(callbacks) == 2
    for callback in callbacks:
        callback()  # the commit
    assert len(sms_outbox) == 1 and len(mailoutbox) == 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_rolled_back_transaction_sends_nothing(
    reachable_user, sms_outbox, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.notify(user=reachable_user, title="通知", body="内容", sms=True)
            services.sms_send(phone="13900000003", text="验证码 123456", sensitive=True)
            raise RuntimeError("the caller's work failed")

    assert callbacks == []
    assert sms_outbox == [] and mailoutbox == []
    assert not Delivery.objects.exists() and not Message.objects.exists()


# --- delivery_attempt(): claim by compare-and-set -------------------------------------------


def test_delivery_attempt_sends_once_and_a_second_call_does_nothing(volunteer, sms_outbox):
    # Outside django_capture_on_commit_callbacks the test transaction never commits, so the
    # job is not queued: the test plays the worker.
    delivery = services.sms_send(phone=volunteer.phone, text="您好")

    assert services.delivery_attempt(delivery_id=delivery.pk, final=False) is True
    assert services.delivery_attempt(delivery_id=delivery.pk, final=False) is False
    assert services.delivery_attempt(delivery_id=delivery.pk, final=True) is False

    assert sms_outbox == [{"phone": volunteer.phone, "text": "您好"}]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    assert delivery.sent_at is not None and delivery.claimed_at is not None


def test_delivery_attempt_leaves_a_delivery_claimed_by_another_worker_alone(volunteer, sms_outbox):
    delivery = services.sms_send(phone=volunteer.phone, text="您好")
    Delivery.objects.filter(pk=delivery.pk).update(status="sending", attempts=1)

    assert services.delivery_attempt(delivery_id=delivery.pk, final=False) is False

    assert sms_outbox == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sending", 1)


def test_a_sensitive_body_is_redacted_once_sent(volunteer, sms_outbox):
    secret = services.sms_send(phone=volunteer.phone, text="验证码 654321", sensitive=True)
    plain = services.sms_send(phone=volunteer.phone, text="活动提醒")

    assert Delivery.objects.get(pk=secret.pk).body == "验证码 654321"  # needed until sent
    services.delivery_attempt(delivery_id=secret.pk, final=True)
    services.delivery_attempt(delivery_id=plain.pk, final=True)

    assert [m["text"] for m in sms_outbox] == ["验证码 654321", "活动提醒"]
    assert Delivery.objects.get(pk=secret.pk).body == "[redacted]"
    assert Delivery.objects.get(pk=plain.pk).body == "活动提醒"


def test_a_failed_sensitive_delivery_keeps_its_body_for_the_retry(volunteer, settings):
    settings.SMS_BACKEND = FAILING
    delivery = services.sms_send(phone=volunteer.phone, text="验证码 654321", sensitive=True)

    with pytest.raises(ConnectionError):
        services.delivery_attempt(delivery_id=delivery.pk, final=False)

    assert Delivery.objects.get(pk=delivery.pk).body == "验证码 654321"


# --- failures: recorded, retried, finally failed --------------------------------------------


def test_a_failing_backend_records_the_error_and_reraises(volunteer, settings):
    settings.SMS_BACKEND = FAILING
    delivery = services.sms_send(phone=volunteer.phone, text="您好")

    with pytest.raises(ConnectionError, match="provider down"):
        services.delivery_attempt(delivery_id=delivery.pk, final=False)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "provider down" in delivery.last_error and delivery.sent_at is None

    with pytest.raises(ConnectionError):
        services.delivery_attempt(delivery_id=delivery.pk, final=True)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert delivery.last_error == "ConnectionError('provider down')"

    # A failed delivery is not claimed again.
    assert services.delivery_attempt(delivery_id=delivery.pk, final=True) is False
    assert FailingSmsBackend.calls == 2


def test_a_recovered_backend_clears_the_last_error(volunteer, settings, sms_outbox):
    settings.SMS_BACKEND = FAILING
    delivery = services.sms_send(phone=volunteer.phone, text="您好")
    with pytest.raises(ConnectionError):
        services.delivery_attempt(delivery_id=delivery.pk, final=False)

    settings.SMS_BACKEND = "memory"
    assert services.delivery_attempt(delivery_id=delivery.pk, final=False) is True

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert len(sms_outbox) == 1


def test_the_send_job_is_configured_to_retry(settings):
    assert tasks.delivery_send_task.retries == settings.NOTIFY_MAX_RETRIES
    assert tasks.delivery_send_task.retry_delay == settings.NOTIFY_RETRY_DELAY_SECONDS
    assert settings.NOTIFY_MAX_RETRIES >= 1


def test_the_send_job_retries_until_its_last_try_then_leaves_the_row_failed(
    volunteer, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = FAILING
    with django_capture_on_commit_callbacks(execute=True):
        # The caller's request does not see the provider's failure: the job queue owns it.
        delivery = services.sms_send(phone=volunteer.phone, text="您好")

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert len(HUEY.scheduled()) == 1  # the first retry

    retries = run_scheduled_retries()

    assert retries == settings.NOTIFY_MAX_RETRIES
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", settings.NOTIFY_MAX_RETRIES + 1)
    assert "provider down" in delivery.last_error
    assert FailingSmsBackend.calls == settings.NOTIFY_MAX_RETRIES + 1
    assert HUEY.scheduled() == []


def test_the_send_job_delivers_on_a_retry_once_the_provider_is_back(
    volunteer, settings, sms_outbox, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = FAILING
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.sms_send(phone=volunteer.phone, text="您好")
    settings.SMS_BACKEND = "memory"

    assert run_scheduled_retries() == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert sms_outbox == [{"phone": volunteer.phone, "text": "您好"}]


# --- the sweeper ----------------------------------------------------------------------------


def test_delivery_requeue_stale_hands_back_stuck_and_old_pending_rows(volunteer, settings):
    def make(text, **fields):
        delivery = services.sms_send(phone=volunteer.phone, text=text)
        Delivery.objects.filter(pk=delivery.pk).update(**fields)
        return delivery.pk

    with time_machine.travel(T0, tick=False):
        now = timezone.now()
        stuck = make("stuck", status="sending", claimed_at=now, attempts=1)
        waiting = make("waiting")
        retried_out = make("retried out", attempts=settings.NOTIFY_MAX_RETRIES + 1)
        make("sent", status="sent", sent_at=now, attempts=1)
        make("failed", status="failed", attempts=settings.NOTIFY_MAX_RETRIES + 1)
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
        recent_pending = make("recent pending")
        recent_claim = make("recent claim", status="sending", claimed_at=timezone.now())

        assert services.delivery_requeue_stale() == []  # nothing is 10 minutes old yet

    with time_machine.travel(T0 + dt.timedelta(minutes=10, seconds=1), tick=False):
        ids = services.delivery_requeue_stale()

    assert sorted(ids) == sorted([stuck, waiting])
    assert retried_out not in ids
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses[stuck] == "pending"  # handed back, so a worker can claim it again
    assert statuses[recent_claim] == "sending" and statuses[recent_pending] == "pending"


def test_the_sweeper_marks_failed_what_has_no_attempt_left(volunteer, settings):
    """A worker killed (kill -9) while sending on the last attempt leaves the row `sending`:
    the sweeper marks it failed with its error instead of handing it back forever; a pending row
    that used every attempt is marked failed too (issue #17 §4)."""
    spent = settings.NOTIFY_MAX_RETRIES + 1
    with time_machine.travel(T0, tick=False):
        killed = services.sms_send(phone=volunteer.phone, text="killed").pk
        Delivery.objects.filter(pk=killed).update(
            status="sending", claimed_at=timezone.now(), attempts=spent
        )
        killed_early = services.sms_send(phone=volunteer.phone, text="killed early").pk
        Delivery.objects.filter(pk=killed_early).update(
            status="sending", claimed_at=timezone.now(), attempts=1
        )
        errored = services.sms_send(phone=volunteer.phone, text="errored").pk
        Delivery.objects.filter(pk=errored).update(attempts=spent, last_error="TimeoutError()")
        silent = services.sms_send(phone=volunteer.phone, text="silent").pk
        Delivery.objects.filter(pk=silent).update(attempts=spent)

    with time_machine.travel(T0 + dt.timedelta(minutes=11), tick=False):
        assert services.delivery_requeue_stale() == [killed_early]

    rows = {d.pk: d for d in Delivery.objects.all()}
    assert (rows[killed].status, rows[killed].last_error) == (
        "failed",
        "the worker stopped while sending, on its last attempt",
    )
    assert rows[killed_early].status == "pending"
    assert (rows[errored].status, rows[errored].last_error) == ("failed", "TimeoutError()")
    assert (rows[silent].status, rows[silent].last_error) == ("failed", "no attempt left")


def test_the_sweeper_job_sends_a_delivery_whose_job_was_lost(volunteer, sms_outbox):
    with time_machine.travel(T0, tick=False):
        lost = services.sms_send(phone=volunteer.phone, text="丢失的短信")  # never committed

    with time_machine.travel(T0 + dt.timedelta(minutes=11), tick=False):
        tasks.delivery_requeue_stale_task()

    assert Delivery.objects.get(pk=lost.pk).status == "sent"
    assert sms_outbox == [{"phone": volunteer.phone, "text": "丢失的短信"}]


# --- SMS backends ---------------------------------------------------------------------------


def test_file_sms_backend_writes_one_file_per_message(volunteer, settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.OUTBOX_DIR = tmp_path
    delivery = services.sms_send(phone=volunteer.phone, text="验证码 123456")

    assert services.delivery_attempt(delivery_id=delivery.pk, final=True) is True

    files = list((tmp_path / "sms").iterdir())
    assert len(files) == 1 and volunteer.phone in files[0].name
    assert files[0].read_text(encoding="utf-8") == f"To: {volunteer.phone}\n\n验证码 123456\n"


def test_an_unknown_sms_backend_is_refused(settings):
    settings.SMS_BACKEND = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured, match="carrier-pigeon"):
        get_sms_backend()


@pytest.fixture
def aliyun_keys(settings):
    settings.SMS_PROVIDER_ACCESS_KEY_ID = "testId"
    settings.SMS_PROVIDER_ACCESS_KEY_SECRET = "testSecret"
    settings.SMS_PROVIDER_SIGN_NAME = "三小时"
    settings.SMS_PROVIDER_TEMPLATE_CODE = "SMS_71390007"
    return settings


def test_aliyun_backend_refuses_to_start_without_its_keys(settings):
    settings.SMS_BACKEND = "aliyun"
    settings.SMS_PROVIDER_ACCESS_KEY_ID = "id"
    settings.SMS_PROVIDER_ACCESS_KEY_SECRET = None
    settings.SMS_PROVIDER_SIGN_NAME = "三小时"
    settings.SMS_PROVIDER_TEMPLATE_CODE = ""

    with pytest.raises(ImproperlyConfigured) as refused:
        get_sms_backend()

    assert "THREEHOURS_SMS_ACCESS_KEY_SECRET" in str(refused.value)
    assert "THREEHOURS_SMS_TEMPLATE_CODE" in str(refused.value)
    assert "THREEHOURS_SMS_ACCESS_KEY_ID" not in str(refused.value)


def _aliyun_signature(params: dict[str, str], secret: str) -> str:
    """Aliyun's RPC signature v1, written out from its documentation."""

    def encode(value: str) -> str:  # RFC 3986: only A-Z a-z 0-9 - _ . ~ stay as they are
        return urllib.parse.quote(value.encode("utf-8"), safe="-_.~")

    canonical = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(params.items()))
    string_to_sign = "GET&" + encode("/") + "&" + encode(canonical)
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def test_our_reading_of_the_aliyun_algorithm_matches_its_documented_example():
    # The worked example of Aliyun's SMS "HTTP protocol and signature" documentation.
    documented = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert _aliyun_signature(documented, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_backend_reproduces_the_documented_signed_url(aliyun_keys):
    query = AliyunSmsBackend().signed_query(
        {
            "Format": "XML",
            "OutId": "123",
            "PhoneNumbers": "15300000001",
            "SignName": "阿里云短信测试专用",
            "TemplateCode": "SMS_71390007",
            "TemplateParam": '{"customer":"test"}',
        },
        nonce="45e25e9b-0a6f-4070-8c85-2956eda1b466",
        now=dt.datetime(2017, 7, 12, 2, 42, 19, tzinfo=dt.UTC),
    )
    assert query.startswith("Signature=zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D&AccessKeyId=testId&")


def test_aliyun_backend_signs_its_send_request(aliyun_keys):
    text = "审核通过: 欢迎加入 & 100% ~ 好"
    query = AliyunSmsBackend().signed_query(
        {
            "PhoneNumbers": "13900000001",
            "SignName": "三小时",
            "TemplateCode": "SMS_71390007",
            "TemplateParam": json.dumps({"content": text}, ensure_ascii=False),
        },
        nonce="nonce-1",
        now=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    )

    params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=True))
    signature = params.pop("Signature")
    assert params == {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "JSON",
        "RegionId": "cn-hangzhou",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "nonce-1",
        "SignatureVersion": "1.0",
        "Timestamp": "2026-01-02T03:04:05Z",
        "Version": "2017-05-25",
        "PhoneNumbers": "13900000001",
        "SignName": "三小时",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": json.dumps({"content": text}, ensure_ascii=False),
    }
    assert signature == _aliyun_signature(params, "testSecret")
    assert "+" not in query and " " not in query  # spaces are %20, never "+"


class _FakeAliyun(http.server.BaseHTTPRequestHandler):
    answer: dict = {"Code": "OK"}
    seen: list[dict[str, str]] = []

    def do_GET(self):
        query = urllib.parse.urlsplit(self.path).query
        _FakeAliyun.seen.append(dict(urllib.parse.parse_qsl(query, strict_parsing=True)))
        body = json.dumps(_FakeAliyun.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_aliyun(aliyun_keys):
    """A local stand-in for dysmsapi.aliyuncs.com (the provider boundary)."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _FakeAliyun)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeAliyun.seen = []
    _FakeAliyun.answer = {"Code": "OK"}

    class LocalAliyunSmsBackend(AliyunSmsBackend):
        endpoint = f"http://127.0.0.1:{server.server_port}/"

    yield LocalAliyunSmsBackend, _FakeAliyun
    server.shutdown()
    server.server_close()


def test_aliyun_backend_sends_the_text_as_its_template_variable(fake_aliyun):
    backend_class, provider = fake_aliyun

    backend_class().send(phone="13900000001", text="验证码 123456")

    [params] = provider.seen
    signature = params.pop("Signature")
    assert signature == _aliyun_signature(params, "testSecret")
    assert params["PhoneNumbers"] == "13900000001"
    assert json.loads(params["TemplateParam"]) == {"content": "验证码 123456"}


def test_aliyun_backend_raises_when_the_provider_refuses(fake_aliyun):
    backend_class, provider = fake_aliyun
    provider.answer = {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}

    with pytest.raises(RuntimeError, match="isv.BUSINESS_LIMIT_CONTROL"):
        backend_class().send(phone="13900000001", text="验证码 123456")
