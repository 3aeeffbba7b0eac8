"""Retention jobs (issue #16 §4, docs/privacy.md): old rows deleted, recent ones kept, a second
run deletes nothing, batches smaller than the rows still delete them all, and what reads the
kept rows still works."""

from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from threehours.accounts.errors import SmsDailyCapReached
from threehours.accounts.models import ApiToken, SmsCode
from threehours.accounts.services import sms_code_send, token_authenticate, token_issue
from threehours.accounts.services.retention import api_tokens_purge, sms_codes_purge
from threehours.attendance import selectors as attendance_selectors
from threehours.attendance.models import Attempt
from threehours.attendance.services.retention import checkin_attempts_purge
from threehours.core.retention import delete_in_batches
from threehours.orgs.tests.factories import approved_org
from threehours.privacy.retention import JOBS, retention_run
from threehours.reporting import export_services
from threehours.signups.models import Export
from threehours.signups.services.retention import export_files_purge
from threehours.signups.tests.factories import published_activity, volunteers

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 4, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _lists_loaded(request):
    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("regions")
        request.getfixturevalue("attributes")


def _send(phone: str, when: dt.datetime, ip: str = "10.0.0.1") -> None:
    with time_machine.travel(when, tick=False):
        sms_code_send(phone=phone, purpose=SmsCode.Purpose.LOGIN, ip=ip)


# --- the batching helper ----------------------------------------------------------------------


def test_delete_in_batches_deletes_everything_whatever_the_batch(settings):
    for i in range(7):
        _send(f"1390000{i:04d}", NOW - dt.timedelta(days=40))
    assert delete_in_batches(SmsCode.objects.all(), batch=3) == 7
    assert not SmsCode.objects.exists()
    assert delete_in_batches(SmsCode.objects.all(), batch=3) == 0
    with pytest.raises(ValueError):
        delete_in_batches(SmsCode.objects.all(), batch=0)


# --- SMS codes --------------------------------------------------------------------------------


def test_sms_codes_older_than_the_setting_are_deleted_in_batches(settings, caplog):
    settings.SMS_CODE_RETENTION_DAYS = 30
    old = [f"1390000{i:04d}" for i in range(5)]
    for phone in old:
        _send(phone, NOW - dt.timedelta(days=31))
    _send("13900009999", NOW - dt.timedelta(days=29))
    with caplog.at_level(logging.INFO, logger="threehours.accounts.services.retention"):
        assert sms_codes_purge(now=NOW, batch=2) == 5
    assert "5 SMS codes deleted" in caplog.text
    assert list(SmsCode.objects.values_list("phone", flat=True)) == ["13900009999"]
    assert sms_codes_purge(now=NOW, batch=2) == 0  # idempotent


def test_the_daily_cap_still_holds_after_the_purge(settings):
    """The caps read today's codes: the purge never reaches them."""
    settings.SMS_DAILY_CAP_PER_PHONE = 2
    settings.SMS_RESEND_SECONDS = 1
    phone = "13900000001"
    _send(phone, NOW - dt.timedelta(days=40))
    _send(phone, NOW)
    _send(phone, NOW + dt.timedelta(seconds=5))
    assert sms_codes_purge(now=NOW + dt.timedelta(seconds=6)) == 1
    with pytest.raises(SmsDailyCapReached):
        _send(phone, NOW + dt.timedelta(seconds=10))


# --- API tokens -------------------------------------------------------------------------------


def test_dead_api_tokens_are_deleted_after_the_grace_period(settings, volunteer):
    settings.API_TOKEN_TTL_DAYS = 30
    settings.API_TOKEN_RETENTION_DAYS = 30
    with time_machine.travel(NOW - dt.timedelta(days=70), tick=False):
        token_issue(user=volunteer, name="expired long ago")  # expired 40 days before NOW
    with time_machine.travel(NOW - dt.timedelta(days=50), tick=False):
        token_issue(user=volunteer, name="expired lately")  # expired 20 days before NOW
    with time_machine.travel(NOW - dt.timedelta(days=20), tick=False):
        revoked_old = token_issue(user=volunteer, name="revoked long ago")
        revoked_recent = token_issue(user=volunteer, name="revoked lately")
    ApiToken.objects.filter(name="revoked long ago").update(revoked_at=NOW - dt.timedelta(days=31))
    ApiToken.objects.filter(name="revoked lately").update(revoked_at=NOW - dt.timedelta(days=2))
    with time_machine.travel(NOW - dt.timedelta(days=1), tick=False):
        live = token_issue(user=volunteer, name="live")
    assert api_tokens_purge(now=NOW, batch=1) == 2
    assert set(ApiToken.objects.values_list("name", flat=True)) == {
        "expired lately",
        "revoked lately",
        "live",
    }
    assert api_tokens_purge(now=NOW, batch=1) == 0
    with time_machine.travel(NOW, tick=False):
        assert token_authenticate(live) is not None  # the live one still works
        assert token_authenticate(revoked_old) is None
        assert token_authenticate(revoked_recent) is None


# --- check-in attempts ------------------------------------------------------------------------


def _attempt(activity, volunteer, *, days_ago: int, action: str, result: str) -> Attempt:
    attempt = Attempt.objects.create(
        activity=activity,
        volunteer=volunteer,
        day=(NOW - dt.timedelta(days=days_ago)).date(),
        action=action,
        method="qr",
        result=result,
        lat="31.230400",
        lng="121.473700",
        accuracy_m=15,
        distance_m=40,
    )
    Attempt.objects.filter(pk=attempt.pk).update(created_at=NOW - dt.timedelta(days=days_ago))
    return attempt


def test_old_attempts_are_deleted_but_accepted_check_ins_stay(settings, operator):
    settings.CHECKIN_ATTEMPT_RETENTION_DAYS = 90
    org = approved_org(operator=operator)
    activity = published_activity(org, questions=[])
    [person] = volunteers(1)
    ok_in = _attempt(activity, person, days_ago=100, action="checkin", result="ok")
    for _ in range(3):
        _attempt(activity, person, days_ago=100, action="checkin", result="bad_code")
    _attempt(activity, person, days_ago=100, action="checkout", result="ok")
    recent_bad = _attempt(activity, person, days_ago=10, action="checkin", result="bad_code")
    assert checkin_attempts_purge(now=NOW, batch=2) == 4
    assert set(Attempt.objects.values_list("pk", flat=True)) == {ok_in.pk, recent_bad.pk}
    assert checkin_attempts_purge(now=NOW, batch=2) == 0
    # The position evidence of the old check-in (hours export, board) is still there.
    evidence = attendance_selectors.position_evidence(
        activity_ids=[activity.pk], date_from=ok_in.day, date_to=ok_in.day
    )
    assert evidence[(activity.pk, person.pk, ok_in.day)].accuracy_m == 15


# --- export files -----------------------------------------------------------------------------


def test_export_files_are_deleted_after_the_period_and_the_row_stays(
    settings, operator, monkeypatch
):
    settings.EXPORT_FILE_RETENTION_DAYS = 7
    org = approved_org(operator=operator)
    activity = published_activity(org, questions=[])
    monkeypatch.setattr(export_services, "SYNC_ROW_LIMIT", 0)

    def built(when: dt.datetime) -> Export:
        with time_machine.travel(when, tick=False):
            export = export_services.export_request(
                org=org,
                user=org.applicant,
                kind="registrants",
                params={"activity_id": activity.pk, "format": "csv"},
                row_count=1,
            )
            export_services.export_build(export_id=export.pk)
        export.refresh_from_db()
        assert export.file
        return export

    old = [built(NOW - dt.timedelta(days=8)) for _ in range(3)]
    recent = built(NOW - dt.timedelta(days=6))
    storage = Export._meta.get_field("file").storage
    names = [e.file.name for e in old]
    assert all(storage.exists(name) for name in names)
    assert export_files_purge(now=NOW, batch=2) == 3
    assert not any(storage.exists(name) for name in names)
    assert storage.exists(recent.file.name)
    assert Export.objects.count() == 4  # the audit trail stays
    assert export_files_purge(now=NOW, batch=2) == 0
    client = Client()
    client.force_login(org.applicant)
    gone = client.get(reverse("console:export-download", args=[org.pk, old[0].pk]))
    assert gone.status_code == 404
    kept = client.get(reverse("console:export-download", args=[org.pk, recent.pk]))
    assert kept.status_code == 200


# --- SMS and e-mail deliveries ---------------------------------------------------------------


def test_sent_deliveries_are_deleted_after_the_period_pending_ones_never(
    settings, django_capture_on_commit_callbacks
):
    from threehours.notifications.models import Delivery
    from threehours.notifications.retention import deliveries_purge
    from threehours.notifications.services import sms_send

    settings.DELIVERY_RETENTION_DAYS = 90
    with django_capture_on_commit_callbacks(execute=True):
        with time_machine.travel(NOW - dt.timedelta(days=91), tick=False):
            for i in range(3):
                sms_send(phone=f"1390000{i:04d}", text="old")
        with time_machine.travel(NOW - dt.timedelta(days=10), tick=False):
            sms_send(phone="13900009999", text="recent")
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    stuck = Delivery.objects.filter(body="old").first()
    Delivery.objects.filter(pk=stuck.pk).update(status=Delivery.Status.PENDING)
    assert deliveries_purge(now=NOW, batch=1) == 2
    assert set(Delivery.objects.values_list("body", flat=True)) == {"old", "recent"}
    assert deliveries_purge(now=NOW, batch=1) == 0


# --- all of them ------------------------------------------------------------------------------


def test_retention_run_command_runs_every_job_and_prints_the_counts(settings, volunteer):
    settings.SMS_CODE_RETENTION_DAYS = 30
    for i in range(3):
        _send(f"1390000{i:04d}", timezone.now() - dt.timedelta(days=31))
    _send("13900009999", timezone.now() - dt.timedelta(days=1))
    out = io.StringIO()
    call_command("retention_run", "--batch", "2", stdout=out)
    lines = dict(line.split() for line in out.getvalue().splitlines())
    assert set(lines) == {name for name, _path in JOBS} | {"total"}
    assert lines["sms_codes"] == "3" and lines["total"] == "3"
    assert SmsCode.objects.count() == 1
    assert retention_run() == dict.fromkeys((name for name, _path in JOBS), 0)
