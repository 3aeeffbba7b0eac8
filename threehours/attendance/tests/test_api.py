"""Attendance and hours operations of docs/api.md."""

import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from threehours.accounts.models import ApiToken
from threehours.attendance import codes
from threehours.core.models import AuditEntry
from threehours.core.timeutil import local_tz
from threehours.hours.models import LedgerEntry
from threehours.notifications.models import Message
from threehours.orgs.tests.factories import applicant, approved_org
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import published_activity

pytestmark = pytest.mark.django_db

HERE = {"lat": 31.188, "lng": 121.437, "coord": "gcj02"}


@pytest.fixture
def activity(org, volunteer):
    activity = published_activity(org, questions=[])
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    return activity


def _at(activity, hh, mm=0):
    return dt.datetime.combine(activity.start_date, dt.time(hh, mm), tzinfo=local_tz())


def test_check_in_and_out_and_read_my_hours(api, activity, volunteer):
    client = api.as_user(volunteer)
    code = codes.day_code(activity.pk, activity.start_date)
    with time_machine.travel(_at(activity, 13, 2), tick=False):
        response = client.post(f"activities/{activity.pk}/checkin", {"code": code, **HERE})
    assert response.status_code == 200, response.json()
    assert response.json()["day"] == activity.start_date.isoformat()
    with time_machine.travel(_at(activity, 13, 59), tick=False):
        response = client.post(f"activities/{activity.pk}/checkout", {"code": code, **HERE})
    assert response.status_code == 200 and response.json()["hours"] == 1.0
    body = client.get("me/hours").json()
    assert body["total_hours"] == 1.0 and body["service_hours"] == 1.0
    [entry] = body["entries"]
    assert (entry["activity_id"], entry["kind"], entry["hours"]) == (activity.pk, "service", 1.0)


def test_refusals_carry_the_api_codes(api, activity, volunteer, outsider):
    code = codes.day_code(activity.pk, activity.start_date)
    with time_machine.travel(_at(activity, 13), tick=False):
        response = api.as_user(outsider).post(
            f"activities/{activity.pk}/checkin", {"code": code, **HERE}
        )
        assert (response.status_code, response.json()["code"]) == (409, "not_registered")
        client = api.as_user(volunteer)
        far = {**HERE, "lat": 31.2}
        response = client.post(f"activities/{activity.pk}/checkin", {"code": code, **far})
        assert (response.status_code, response.json()["code"]) == (400, "outside_radius")
        for _ in range(5):
            response = client.post(f"activities/{activity.pk}/checkin", {"code": "x", **HERE})
            assert (response.status_code, response.json()["code"]) == (400, "bad_code")
        response = client.post(f"activities/{activity.pk}/checkin", {"code": code, **HERE})
        assert response.status_code == 429 and int(response["Retry-After"]) > 0
        response = client.post(f"activities/{activity.pk}/checkout", {"code": code, **HERE})
    assert response.status_code == 429  # the code limit covers check-out too
    with time_machine.travel(_at(activity, 14, 1), tick=False):
        response = client.post(f"activities/{activity.pk}/checkin", {**HERE})
    assert (response.status_code, response.json()["code"]) == (409, "outside_window")


def test_staff_get_the_code_and_a_fresh_qr_url(api, activity, org, operator):
    with time_machine.travel(_at(activity, 12), tick=False):
        body = (
            api.as_user(org.applicant)
            .get(f"orgs/{org.pk}/activities/{activity.pk}/checkin-code")
            .json()
        )
        assert body["code"] == codes.day_code(activity.pk, activity.start_date)
        token = parse_qs(urlparse(body["qr_url"]).query)["t"][0]
        assert codes.qr_token_valid(token, activity_id=activity.pk, day=activity.start_date)
    other = approved_org(operator=operator, user=applicant("other@ngo.example.cn"))
    stranger = api.as_user(other.applicant)
    assert stranger.get(f"orgs/{org.pk}/activities/{activity.pk}/checkin-code").status_code == 404
    assert stranger.get(f"orgs/{other.pk}/activities/{activity.pk}/checkin-code").status_code == 404


def test_the_api_gives_the_code_and_qr_url_the_door_screen_shows(
    api, activity, org, settings, monkeypatch
):
    """One builder for both: the QR points at SITE_URL (the address phones reach), not at
    whatever host the API request came through, and the code is the screen's."""
    import segno

    settings.SITE_URL = "https://3h.example.cn"
    encoded = []
    real_make = segno.make
    monkeypatch.setattr(segno, "make", lambda data, **kw: encoded.append(data) or real_make(data))
    page = Client()
    page.force_login(org.applicant)
    with time_machine.travel(_at(activity, 12), tick=False):
        body = api.as_user(org.applicant).get(
            f"orgs/{org.pk}/activities/{activity.pk}/checkin-code"
        )
        body = body.json()
        screen = page.get(f"/org/{org.pk}/activities/{activity.pk}/checkin-screen/")
        page.get(f"/org/{org.pk}/activities/{activity.pk}/checkin-qr.svg")
    assert body["qr_url"].split("?")[0] == encoded[0].split("?")[0]
    assert body["qr_url"].startswith(f"https://3h.example.cn/activities/{activity.pk}/checkin/?t=")
    assert body["code"].encode() in screen.content


def test_staff_correction_needs_a_reason(api, activity, org, volunteer):
    signup = volunteer.signups.get()
    staff = api.as_user(org.applicant)
    path = f"orgs/{org.pk}/registrations/{signup.pk}/attendance"
    body = {"day": activity.start_date.isoformat(), "checkin_at": "13:00", "checkout_at": "14:00"}
    with time_machine.travel(_at(activity, 20), tick=False):
        response = staff.post(path, {**body, "reason": ""})
        assert response.status_code == 400 and "reason" in response.json()["fields"]
        response = staff.post(path, {**body, "reason": "手机没电"})
    assert response.status_code == 200 and response.json()["hours"] == 1.0
    assert api.as_user(volunteer).get("me/hours").json()["service_hours"] == 1.0


def _correction(api, org, activity, volunteer, checkin_at, checkout_at, user=None):
    signup = volunteer.signups.get()
    body = {
        "day": activity.start_date.isoformat(),
        "checkin_at": checkin_at,
        "checkout_at": checkout_at,
        "reason": "手机没电",
    }
    with time_machine.travel(_at(activity, 20), tick=False):
        return api.as_user(user or org.applicant).post(
            f"orgs/{org.pk}/registrations/{signup.pk}/attendance", body
        )


def _iso(activity, hh, mm=0, days=0, offset=8):
    tz = dt.timezone(dt.timedelta(hours=offset))
    day = activity.start_date + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=tz).isoformat()


@pytest.mark.parametrize(
    ("checkin_at", "checkout_at"),
    [
        (lambda a: _iso(a, 13), lambda a: _iso(a, 14)),  # +08:00
        (lambda a: _iso(a, 5, offset=0).replace("+00:00", "Z"), lambda a: _iso(a, 7, offset=1)),
        # the evening before in Honolulu is the afternoon of the day in Beijing
        (lambda a: _iso(a, 19, days=-1, offset=-10), lambda a: _iso(a, 20, days=-1, offset=-10)),
        (lambda a: "13:00", lambda a: _iso(a, 6, offset=0)),  # a time and a datetime
    ],
)
def test_a_correction_takes_iso_datetimes_with_any_offset(
    api, activity, org, volunteer, checkin_at, checkout_at
):
    """13:00–14:00 in Beijing, written in several ways."""
    response = _correction(
        api, org, activity, volunteer, checkin_at(activity), checkout_at(activity)
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert dt.datetime.fromisoformat(body["checked_in_at"]) == _at(activity, 13)
    assert dt.datetime.fromisoformat(body["checked_out_at"]) == _at(activity, 14)
    assert body["hours"] == 1.0
    attendance = volunteer.attendances.get()
    assert (attendance.checked_in_at, attendance.checked_out_at) == (
        _at(activity, 13),
        _at(activity, 14),
    )


def test_a_correction_converts_another_offset_to_beijing_time(api, activity, org, volunteer):
    # 06:30 in London = 14:30 in Beijing; 05:00Z = 13:00
    response = _correction(
        api, org, activity, volunteer, _iso(activity, 5, offset=0), _iso(activity, 6, 30, offset=0)
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert dt.datetime.fromisoformat(body["checked_in_at"]) == _at(activity, 13)
    assert dt.datetime.fromisoformat(body["checked_out_at"]) == _at(activity, 14, 30)
    assert body["checked_in_at"].endswith("+08:00")
    assert body["hours"] == 1.0  # the window is 13:00–14:00


@pytest.mark.parametrize(
    ("checkin_at", "checkout_at", "field"),
    [
        # 20:00Z is 04:00 the next day in Beijing
        (lambda a: _iso(a, 13), lambda a: _iso(a, 20, offset=0), "checkout_at"),
        (lambda a: _iso(a, 13, days=-1), lambda a: _iso(a, 14), "checkin_at"),
        # no offset: ambiguous
        (lambda a: _iso(a, 13)[:-6], lambda a: "14:00", "checkin_at"),
        (lambda a: "13:00", lambda a: "14:00+08:00", "checkout_at"),
        (lambda a: "13:00", lambda a: "soon", "checkout_at"),
        (lambda a: "9999-12-31T23:59:00-23:59", lambda a: "14:00", "checkin_at"),
    ],
)
def test_a_correction_not_on_the_day_or_without_offset_is_a_field_error(
    api, activity, org, volunteer, checkin_at, checkout_at, field
):
    response = _correction(
        api, org, activity, volunteer, checkin_at(activity), checkout_at(activity)
    )
    assert response.status_code == 400, response.json()
    assert list(response.json()["fields"]) == [field]
    assert not volunteer.attendances.exists()
    assert not LedgerEntry.objects.exists()


def test_staff_of_another_organisation_cannot_correct(api, activity, org, volunteer, operator):
    other = approved_org(operator=operator, user=applicant("other@ngo.example.cn"))
    signup = volunteer.signups.get()
    body = {
        "day": activity.start_date.isoformat(),
        "checkin_at": "13:00",
        "checkout_at": "14:00",
        "reason": "手机没电",
    }
    stranger = api.as_user(other.applicant)
    audit_rows, messages = AuditEntry.objects.count(), Message.objects.count()
    with time_machine.travel(_at(activity, 20), tick=False):
        for org_id in (org.pk, other.pk):  # their own organisation's id or the volunteer's
            response = stranger.post(f"orgs/{org_id}/registrations/{signup.pk}/attendance", body)
            assert response.status_code == 404, response.json()
    assert not volunteer.attendances.exists()
    assert not LedgerEntry.objects.exists()
    assert (AuditEntry.objects.count(), Message.objects.count()) == (audit_rows, messages)


def test_a_second_check_in_answers_409_with_the_first_time(api, activity, volunteer):
    client = api.as_user(volunteer, language="en")
    code = codes.day_code(activity.pk, activity.start_date)
    with time_machine.travel(_at(activity, 13, 2), tick=False):
        response = client.post(f"activities/{activity.pk}/checkin", {"code": code, **HERE})
        assert response.status_code == 200
    with time_machine.travel(_at(activity, 13, 40), tick=False):
        response = client.post(f"activities/{activity.pk}/checkin", {"code": code, **HERE})
    assert (response.status_code, response.json()["code"]) == (409, "already_checked_in")
    assert "13:02" in response.json()["message"]
    assert volunteer.attendances.get().checked_in_at == _at(activity, 13, 2)


def test_one_qr_check_in_costs_at_most_five_queries(api, activity, volunteer):
    client = api.as_user(volunteer)
    client.get("me/hours")  # the token's last-used time is written once
    with time_machine.travel(_at(activity, 13), tick=False):
        token, _ = codes.qr_token_make(activity.pk, activity.start_date)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(f"activities/{activity.pk}/checkin", {"qr_token": token, **HERE})
    assert response.status_code == 200, response.json()
    sql = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    # token (+ its last-used stamp, days after issue); registration with activity; attendance;
    # attempt
    assert len(sql) <= 5, sql
    assert Decimal(client.get("me/hours").json()["total_hours"]) == 0  # no hours before check-out
    with time_machine.travel(_at(activity, 14), tick=False):
        token, _ = codes.qr_token_make(activity.pk, activity.start_date)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                f"activities/{activity.pk}/checkout", {"qr_token": token, **HERE}
            )
    assert response.status_code == 200, response.json()
    sql = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    # token; registration with activity (no deferred column loaded later); attendance locked
    # and updated; ledger entry; summary update + first-ever insert; attempt
    assert not any('FROM "activities_activity"' in q for q in sql[2:]), sql
    assert len(sql) <= 9, sql  # (+ the token's last-used stamp, an hour after check-in)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_check_in_and_out_are_three_statements_each(api, activity, volunteer):
    """The token, the registration (with the day's attendance at check-out), one write: the
    check-in's attendance and attempt, the check-out's attendance, ledger entry, totals and
    attempt, each in one autocommitted statement, without BEGIN or COMMIT."""
    client = api.as_user(volunteer)
    client.get("me/hours")  # the token's last-used time is written once
    statements = {}
    for action, hh in (("checkin", 13), ("checkout", 14)):
        with time_machine.travel(_at(activity, hh), tick=False):
            token, _ = codes.qr_token_make(activity.pk, activity.start_date)
            with CaptureQueriesContext(connection) as queries:
                response = client.post(
                    f"activities/{activity.pk}/{action}", {"qr_token": token, **HERE}
                )
        assert response.status_code == 200, response.json()
        # (without the token's last-used stamp, written when due: not attendance's)
        stamp = f'UPDATE "{ApiToken._meta.db_table}"'
        statements[action] = [
            q["sql"] for q in queries.captured_queries if not q["sql"].startswith(stamp)
        ]
    for action, sql in statements.items():
        assert len(sql) == 3, (action, sql)
        assert sql[2].startswith("WITH "), sql
    assert Decimal(client.get("me/hours").json()["total_hours"]) == Decimal("1.0")
    assert LedgerEntry.objects.get().hours == Decimal("1.0")


@pytest.mark.parametrize("action", ["checkin", "checkout"])
def test_an_activity_id_beyond_64_bits_is_refused_on_its_field(api, volunteer, action):
    # Found by schemathesis: a foreign-key lookup with such an id crashed SQLite (500). Ids
    # are bounded to the database's range (issue #12 §6).
    response = api.as_user(volunteer).post(f"activities/{2**63}/{action}", {"code": "1234"})
    assert response.status_code == 400 and "activity_id" in response.json()["fields"]
