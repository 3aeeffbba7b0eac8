"""The fraud suite of issue #12, attendance side: one test per attack that was reproduced
against the platform, each beside its honest twin (the same action done rightly, which must
still work). Every test ends with the ledger verified, so the suite also proves that no refusal
left a half-written record. The activity side (backdated activities, frozen fields, payment
links) is in activities/tests/test_fraud.py; numbers in every operation in
api/tests/test_numeric_inputs.py."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.attendance import codes, errors, services
from threehours.attendance.errors import AttendanceError
from threehours.attendance.models import Attempt, Attendance, Correction, DayCode, Method
from threehours.core.errors import InvalidInput
from threehours.core.models import AuditEntry
from threehours.core.timeutil import local_tz
from threehours.hours.models import LedgerEntry
from threehours.hours.services import hours_totals, ledger_verify
from threehours.notifications.models import Message
from threehours.orgs.models import Membership
from threehours.signups import services as signup_services
from threehours.signups.models import Signup
from threehours.signups.tests.factories import published_activity, volunteers

pytestmark = pytest.mark.django_db

HERE = {"lat": 31.188, "lng": 121.437, "coord": "gcj02"}


@pytest.fixture(autouse=True)
def _ledger_holds():
    yield
    assert ledger_verify() == []


@pytest.fixture
def activity(org):
    return published_activity(org, questions=[], places=50)


@pytest.fixture
def signup(activity, volunteer):
    return signup_services.signup_create(activity=activity, volunteer=volunteer)


@pytest.fixture
def second_staff(org):
    user = User.objects.create_user(email="coord2@ngo.example.cn", password="Second-Staff-9")
    Membership.objects.create(organisation=org, user=user, role=Membership.Role.COORDINATOR)
    return user


def _at(activity, hh, mm=0, day=0):
    return dt.datetime.combine(
        activity.start_date + dt.timedelta(days=day), dt.time(hh, mm), tzinfo=local_tz()
    )


def _correct(signup, staff, *, day=None, start=dt.time(13), end=dt.time(14), today=None):
    day = day or signup.activity.start_date
    return services.attendance_correct(
        signup=signup,
        day=day,
        checkin_at=start,
        checkout_at=end,
        staff=staff,
        reason="手机没电",
        today=today or day,
    )


def _late(activity, settings):
    """A moment after which a correction of the first day needs approval for its age."""
    return _at(activity, 12, day=settings.CORRECTION_APPROVAL_DAYS + 1)


def _pending(signup, staff, settings):
    """A correction that waits for approval (for a day long ago), asked for at _late()."""
    late = _late(signup.activity, settings)
    with time_machine.travel(late, tick=False):
        correction = _correct(signup, staff, end=dt.time(13, 30), today=late.date())
    assert correction.status == Correction.Status.PENDING
    return correction


def _checked_in_and_out(activity, volunteer, hh_in=13, mm_in=30, hh_out=13, mm_out=45):
    code = codes.day_code(activity.pk, activity.start_date)
    proof = services.Proof(code=code, lat=Decimal("31.188"), lng=Decimal("121.437"), coord="gcj02")
    services.attendance_check_in(
        activity=activity, volunteer=volunteer, proof=proof, now=_at(activity, hh_in, mm_in)
    )
    services.attendance_check_out(
        activity=activity, volunteer=volunteer, proof=proof, now=_at(activity, hh_out, mm_out)
    )


# -- 1. backdating: corrections need a real basis ---------------------------------------------


def test_a_correction_for_a_day_before_publication_is_refused(activity, signup, org):
    """The reproduced attack: the activity's days moved to before it was published, then
    "corrections" for each of those days. (Moving the days is refused too, by activities;
    this guard holds even for a row changed behind the services' back.)"""
    published = activity.published_at.astimezone(local_tz()).date()
    Activity.objects.filter(pk=activity.pk).update(
        start_date=published - dt.timedelta(days=6),
        end_date=published,
        registration_deadline=published,
    )
    signup.refresh_from_db()
    with pytest.raises(errors.NotAnAttendedDay) as caught:
        _correct(signup, org.applicant, day=published - dt.timedelta(days=3), today=published)
    assert caught.value.code == "not_an_attended_day"
    assert caught.value.status == 409
    assert not Attendance.objects.exists() and not LedgerEntry.objects.exists()
    # the twin: the day it was published (and the volunteer registered) is a real basis
    correction = _correct(signup, org.applicant, day=published, today=published)
    assert correction.status == Correction.Status.APPLIED
    assert hours_totals(volunteer=signup.volunteer).service_hours == Decimal("1.0")


def test_a_correction_for_a_day_before_the_registration_was_accepted_is_refused(org, volunteer):
    activity = published_activity(org, questions=[], places=50)
    last = activity.start_date + dt.timedelta(days=2)
    Activity.objects.filter(pk=activity.pk).update(end_date=last, registration_deadline=last)
    activity.refresh_from_db()
    with time_machine.travel(_at(activity, 9, day=1)):  # registers on the second day
        signup = signup_services.signup_create(activity=activity, volunteer=volunteer)
    with pytest.raises(errors.NotAnAttendedDay) as caught:
        _correct(signup, org.applicant, day=activity.start_date, today=activity.end_date)
    assert caught.value.code == "not_an_attended_day"
    assert activity.start_date.isoformat() in caught.value.message
    correction = _correct(
        signup,
        org.applicant,
        day=activity.start_date + dt.timedelta(days=1),
        today=activity.end_date,
    )
    assert correction.status == Correction.Status.APPLIED


def test_a_correction_in_the_future_or_on_a_cancelled_activity_is_refused(activity, signup, org):
    with pytest.raises(errors.NotAnAttendedDay):
        _correct(signup, org.applicant, today=activity.start_date - dt.timedelta(days=1))
    _correct(signup, org.applicant)  # the twin: on the day itself
    from threehours.activities.services import activity_cancel

    activity_cancel(activity=activity, user=org.applicant, reason="暴雨")
    signup.refresh_from_db()
    signup.activity.refresh_from_db()
    with pytest.raises(errors.NotAnAttendedDay) as caught:
        _correct(signup, org.applicant, end=dt.time(13, 30))
    assert caught.value.code == "not_an_attended_day"
    assert LedgerEntry.objects.count() == 1


# -- 2. self-crediting -------------------------------------------------------------------------


def test_staff_cannot_correct_or_check_in_their_own_attendance(activity, org, second_staff, api):
    staff = org.applicant
    staff.phone, staff.phone_bound_at = "13700000999", timezone.now()
    staff.save()
    own = signup_services.signup_create(activity=activity, volunteer=staff)
    response = api.as_user(staff).post(
        f"orgs/{org.pk}/registrations/{own.pk}/attendance",
        {
            "day": activity.start_date.isoformat(),
            "checkin_at": "00:00",
            "checkout_at": "23:59",
            "reason": "我自己",
        },
    )
    assert (response.status_code, response.json()["code"]) == (403, "own_hours")
    with pytest.raises(errors.OwnHours):
        services.attendance_staff_check(
            signup=own, staff=staff, action="checkin", now=_at(activity, 13)
        )
    assert not Attendance.objects.exists() and not LedgerEntry.objects.exists()
    assert AuditEntry.objects.filter(verb="integrity.own_refused", actor=staff).count() == 2
    # the twin: a colleague checks the staff member in, as for any volunteer
    attendance = services.attendance_staff_check(
        signup=own, staff=second_staff, action="checkin", now=_at(activity, 13)
    )
    assert attendance.checkin_method == "staff"


def test_a_pending_approval_cannot_be_approved_by_its_author_or_its_volunteer(
    activity, signup, org, second_staff, api, settings
):
    correction = _pending(signup, org.applicant, settings)
    url = f"orgs/{org.pk}/corrections/{correction.pk}/approve"
    with time_machine.travel(_late(activity, settings), tick=False):
        response = api.as_user(org.applicant).post(url)
        assert (response.status_code, response.json()["code"]) == (403, "own_correction")
        assert not LedgerEntry.objects.exists()
        # a volunteer who is also staff of the organisation cannot approve their own credit
        Membership.objects.create(
            organisation=org, user=signup.volunteer, role=Membership.Role.COORDINATOR
        )
        response = api.as_user(signup.volunteer).post(url)
        assert (response.status_code, response.json()["code"]) == (403, "own_correction")
        assert not LedgerEntry.objects.exists()
        # the twin: a second staff member approves
        response = api.as_user(second_staff).post(url)
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert hours_totals(volunteer=signup.volunteer).service_hours == Decimal("0.5")


# -- 3. four eyes ------------------------------------------------------------------------------


def test_a_large_raise_waits_for_a_second_staff_member(org, volunteer, second_staff, api):
    activity = published_activity(
        org, questions=[], places=50, checkin_time="09:00", checkout_time="17:00"
    )
    signup = signup_services.signup_create(activity=activity, volunteer=volunteer)
    _checked_in_and_out(activity, volunteer, 9, 0, 10, 0)  # measured 1.0 h
    assert hours_totals(volunteer=volunteer).service_hours == Decimal("1.0")
    # the twin first: +2.0 h over what was measured is within the limit and applies at once
    assert _correct(signup, org.applicant, start=dt.time(9), end=dt.time(12)).status == "applied"
    assert hours_totals(volunteer=volunteer).service_hours == Decimal("3.0")
    # 9:00–17:00 is 8.0 h, 7.0 h over the measured 1.0 h: pending, nothing credited yet
    whole_day = {
        "day": activity.start_date.isoformat(),
        "checkin_at": "09:00",
        "checkout_at": "17:00",
        "reason": "全天在场",
    }
    url = f"orgs/{org.pk}/registrations/{signup.pk}/attendance"
    response = api.as_user(org.applicant).post(url, whole_day)
    # (the API's "today" is the real one: the correction is for a future day, so travel)
    assert response.status_code == 409 and response.json()["code"] == "not_an_attended_day"
    with time_machine.travel(_at(activity, 18), tick=False):
        response = api.as_user(org.applicant).post(url, whole_day)
        assert response.status_code == 202, response.json()
        body = response.json()
        assert body["status"] == "pending_approval" and body["why_pending"] == "raise"
        assert hours_totals(volunteer=volunteer).service_hours == Decimal("3.0")
        pending = api.as_user(second_staff).get(f"orgs/{org.pk}/corrections?status=pending")
        assert [c["id"] for c in pending.json()["items"]] == [body["id"]]
        # the volunteer is told it is pending
        assert "审" in Message.objects.filter(recipient=volunteer).latest("pk").title
        response = api.as_user(second_staff).post(f"orgs/{org.pk}/corrections/{body['id']}/approve")
        assert response.status_code == 200
    assert hours_totals(volunteer=volunteer).service_hours == Decimal("8.0")
    audit = AuditEntry.objects.filter(verb="attendance.corrected").latest("pk")
    assert audit.data["requested_by"] == org.applicant.pk
    assert audit.data["approved_by"] == second_staff.pk
    # decided once: a second approval is a conflict
    again = api.as_user(second_staff).post(f"orgs/{org.pk}/corrections/{body['id']}/approve")
    assert (again.status_code, again.json()["code"]) == (409, "correction_closed")


def test_a_correction_long_after_the_day_waits_for_approval(activity, signup, org, settings):
    correction = _pending(signup, org.applicant, settings)
    assert correction.why_pending == "old"
    assert not LedgerEntry.objects.exists()
    # the twin: on the last day that needs no approval
    on_time = activity.start_date + dt.timedelta(days=settings.CORRECTION_APPROVAL_DAYS)
    assert _correct(signup, org.applicant, end=dt.time(13, 30), today=on_time).status == "applied"


def test_a_correction_reason_cannot_carry_a_payment_link(activity, signup, org):
    with pytest.raises(InvalidInput) as caught:
        services.attendance_correct(
            signup=signup,
            day=activity.start_date,
            checkin_at=dt.time(13),
            checkout_at=dt.time(14),
            staff=org.applicant,
            reason="补签请付款 wxp://f2f0abc",
            today=activity.start_date,
        )
    assert "reason" in caught.value.fields
    assert not Correction.objects.exists()
    assert _correct(signup, org.applicant).status == "applied"  # the twin: a plain reason


def test_a_rejected_correction_credits_nothing_and_says_why(
    activity, signup, org, second_staff, settings
):
    correction = _pending(signup, org.applicant, settings)
    with pytest.raises(InvalidInput):
        services.correction_reject(correction=correction, staff=second_staff, reason=" ")
    services.correction_reject(correction=correction, staff=second_staff, reason="无签到记录")
    correction.refresh_from_db()
    assert correction.status == "rejected" and correction.decided_by == second_staff
    assert not LedgerEntry.objects.exists()
    assert "无签到记录" in Message.objects.filter(recipient=signup.volunteer).latest("pk").body


def test_an_operator_may_approve(activity, signup, org, operator, api, settings):
    correction = _pending(signup, org.applicant, settings)
    with time_machine.travel(_late(activity, settings), tick=False):
        response = api.as_user(operator).post(f"orgs/{org.pk}/corrections/{correction.pk}/approve")
    assert response.status_code == 200
    assert hours_totals(volunteer=signup.volunteer).service_hours == Decimal("0.5")


def test_another_organisation_sees_no_correction(activity, signup, org, operator, api, settings):
    from threehours.orgs.tests.factories import applicant, approved_org

    other = approved_org(operator=operator, user=applicant("other@ngo.example.cn"))
    correction = _pending(signup, org.applicant, settings)
    client = api.as_user(other.applicant)
    assert client.post(f"orgs/{org.pk}/corrections/{correction.pk}/approve").status_code == 404
    assert client.post(f"orgs/{other.pk}/corrections/{correction.pk}/approve").status_code == 404
    assert Correction.objects.get().status == "pending_approval"


# -- 4. the day code cannot be walked ----------------------------------------------------------


def test_wrong_codes_from_many_accounts_rotate_the_day_code(activity, org, settings, api):
    settings.CHECKIN_CODE_ROTATE_AFTER = 30
    people = volunteers(16)
    for person in people:
        signup_services.signup_create(activity=activity, volunteer=person)
    old = codes.day_code(activity.pk, activity.start_date)
    wrong = [f"{(int(old) + 1 + i) % 10000:04d}" for i in range(80)]
    statuses = []
    with time_machine.travel(_at(activity, 13), tick=False):
        clients = [api.as_user(p) for p in people]
        for i, guess in enumerate(wrong):
            response = clients[i % 16].post(
                f"activities/{activity.pk}/checkin", {"code": guess, **HERE}
            )
            statuses.append(response.json()["code"])
        row = DayCode.objects.get(activity=activity, day=activity.start_date)
        assert row.generation >= 2 and row.wrong_total == 80
        # each account still has its own limit: 5 wrong, then 429 (80 = 16 × 5)
        assert statuses.count("bad_code") == 80
        # the old code no longer works; the new one does, and the door screen shows it
        response = clients[0].post(f"activities/{activity.pk}/checkin", {"code": old, **HERE})
        assert response.status_code == 429  # this account is also at its own limit
        fresh = User.objects.create(phone="13600000001", phone_bound_at=timezone.now())
        signup_services.signup_create(activity=activity, volunteer=fresh)
        client = api.as_user(fresh)
        response = client.post(
            f"activities/{activity.pk}/checkin", {"code": old, "location_consent": True, **HERE}
        )
        assert (response.status_code, response.json()["code"]) == (400, "bad_code")
        new = services.code_current(activity=activity, day=activity.start_date)
        assert new != old
        staff = api.as_user(org.applicant)
        assert (
            staff.get(f"orgs/{org.pk}/activities/{activity.pk}/checkin-code").json()["code"] == new
        )
        response = client.post(f"activities/{activity.pk}/checkin", {"code": new, **HERE})
        assert response.status_code == 200, response.json()
    assert (
        Message.objects.filter(recipient=org.applicant, title__contains="验证码").exists()
        or Message.objects.filter(recipient=org.applicant, title__contains="code").exists()
    )


def test_a_right_code_below_the_budget_is_not_rotated(activity, org, api, settings):
    """The twin: a few honest typos do not change the code everyone was told."""
    settings.CHECKIN_CODE_ROTATE_AFTER = 30
    [person] = volunteers(1)
    signup_services.signup_create(activity=activity, volunteer=person)
    code = codes.day_code(activity.pk, activity.start_date)
    with time_machine.travel(_at(activity, 13), tick=False):
        client = api.as_user(person)
        for typo in ("0000", "9999"):
            if typo != code:
                client.post(f"activities/{activity.pk}/checkin", {"code": typo, **HERE})
        response = client.post(f"activities/{activity.pk}/checkin", {"code": code, **HERE})
    assert response.status_code == 200
    assert services.code_current(activity=activity, day=activity.start_date) == code


def test_a_code_check_in_costs_what_a_qr_check_in_costs(activity, api):
    """Issue #12, "Speed": the code path reads the day's code state and the volunteer's
    wrong codes in the registration's read, so it makes the same statements as QR."""
    first, second = volunteers(2)
    for person in (first, second):
        signup_services.signup_create(activity=activity, volunteer=person)
    code = codes.day_code(activity.pk, activity.start_date)
    counts = []
    with time_machine.travel(_at(activity, 13), tick=False):
        token, _ = codes.qr_token_make(activity.pk, activity.start_date)
        for person, proof in ((first, {"code": code}), (second, {"qr_token": token})):
            client = api.as_user(person)
            client.get("me")  # the token's first use writes; measure the second
            with CaptureQueriesContext(connection) as queries:
                response = client.post(f"activities/{activity.pk}/checkin", {**proof, **HERE})
            assert response.status_code == 200, response.json()
            counts.append(
                [
                    q["sql"][:40]
                    for q in queries.captured_queries
                    if "attendance_attempt" in q["sql"] and q["sql"].startswith("SELECT COUNT")
                ]
            )
            counts.append(len(queries.captured_queries))
    assert counts[0] == [] and counts[1] == counts[3]


# -- 5. QR only, and position evidence ---------------------------------------------------------


def test_qr_only_refuses_the_code_but_not_the_qr_scan(org, volunteer, api):
    activity = published_activity(org, questions=[], places=50)
    Activity.objects.filter(pk=activity.pk).update(checkin_qr_only=True)
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    code = codes.day_code(activity.pk, activity.start_date)
    client = api.as_user(volunteer)
    with time_machine.travel(_at(activity, 13), tick=False):
        response = client.post(f"activities/{activity.pk}/checkin", {"code": code, **HERE})
        assert (response.status_code, response.json()["code"]) == (400, "qr_only")
        assert Attempt.objects.latest("pk").result == "qr_only"
        token, _ = codes.qr_token_make(activity.pk, activity.start_date)
        response = client.post(f"activities/{activity.pk}/checkin", {"qr_token": token, **HERE})
    assert response.status_code == 200


class FailingFace:
    def verify(self, user, evidence):
        return False


def test_qr_only_still_lets_the_green_channel_use_the_code(org, volunteer, settings):
    settings.IDENTITY_PROVIDER = f"{__name__}.FailingFace"
    activity = published_activity(org, questions=[], places=50)
    Activity.objects.filter(pk=activity.pk).update(checkin_qr_only=True)
    activity.refresh_from_db()
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    code = codes.day_code(activity.pk, activity.start_date)
    token, _ = codes.qr_token_make(activity.pk, activity.start_date)
    here = {"lat": Decimal("31.188"), "lng": Decimal("121.437"), "coord": "gcj02"}
    now = _at(activity, 13)
    with pytest.raises(errors.QrOnly):  # no failed identity check yet
        services.attendance_check_in(
            activity=activity, volunteer=volunteer, proof=services.Proof(code=code, **here), now=now
        )
    for _ in range(2):
        with pytest.raises(AttendanceError, match="identity_failed"):
            services.attendance_check_in(
                activity=activity,
                volunteer=volunteer,
                proof=services.Proof(qr_token=token, identity="x", **here),
                now=now,
            )
    attendance = services.attendance_check_in(
        activity=activity, volunteer=volunteer, proof=services.Proof(code=code, **here), now=now
    )
    assert attendance.checkin_method == "green"


# -- 6. numbers that crash --------------------------------------------------------------------


@pytest.mark.parametrize(
    "field,value",
    [
        ("lat", float("nan")),
        ("lng", float("inf")),
        ("lat", 1e308),
        ("lng", -1e308),
        ("accuracy", float("nan")),
        ("accuracy", float("-inf")),
        ("accuracy", -5.0),
        ("lat", 10**30),
    ],
)
def test_numbers_that_cannot_be_used_are_refused_and_on_record(
    activity, signup, volunteer, api, field, value
):
    code = codes.day_code(activity.pk, activity.start_date)
    with time_machine.travel(_at(activity, 13), tick=False):
        response = api.as_user(volunteer).post(
            f"activities/{activity.pk}/checkin", {"code": code, **HERE, field: value}
        )
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["code"] == "invalid_input" and field in body["fields"]
        attempt = Attempt.objects.get()
        assert attempt.result == "invalid_input"
        assert not Attendance.objects.exists()
        # the twin: the same request with usable numbers
        response = api.as_user(volunteer).post(
            f"activities/{activity.pk}/checkin", {"code": code, **HERE, "accuracy": 12.5}
        )
    assert response.status_code == 200
    assert Attempt.objects.latest("pk").accuracy_m == 12


# -- 7. changing what was attended -------------------------------------------------------------


def test_an_attended_registration_cannot_be_cancelled_or_removed(activity, signup, org, api):
    volunteer = signup.volunteer
    _checked_in_and_out(activity, volunteer)
    with time_machine.travel(_at(activity, 14), tick=False):
        response = api.as_user(volunteer).delete(f"activities/{activity.pk}/registrations/me")
        assert (response.status_code, response.json()["code"]) == (409, "attended")
        response = api.as_user(org.applicant).post(
            f"orgs/{org.pk}/registrations/{signup.pk}/remove", {"reason": "未到场"}
        )
        assert (response.status_code, response.json()["code"]) == (409, "attended")
    signup.refresh_from_db()
    activity.refresh_from_db()
    assert signup.status == Signup.Status.CONFIRMED and activity.places_taken == 1


def test_an_unattended_registration_can_still_be_cancelled(activity, signup, api):
    response = api.as_user(signup.volunteer).delete(f"activities/{activity.pk}/registrations/me")
    assert response.status_code == 204
    activity.refresh_from_db()
    assert activity.places_taken == 0


def test_typed_in_coordinates_are_flagged_on_the_board_and_in_the_export(activity, org, client):
    """The day code plus the site's coordinates typed in: the geofence passes, so the evidence
    must show it. Two accounts report the very same coordinates with no accuracy, a third an
    accuracy no phone gives; the twin, a real phone, is not flagged."""
    people = volunteers(4)
    for person in people:
        signup_services.signup_create(activity=activity, volunteer=person)
    code = codes.day_code(activity.pk, activity.start_date)
    site = {"lat": Decimal("31.188000"), "lng": Decimal("121.437000"), "coord": "gcj02"}
    proofs = [
        services.Proof(code=code, **site),
        services.Proof(code=code, **site),
        services.Proof(
            code=code,
            lat=Decimal("31.18801"),
            lng=Decimal("121.43702"),
            coord="gcj02",
            accuracy=Decimal("1"),
        ),
        services.Proof(
            code=code,
            lat=Decimal("31.18823"),
            lng=Decimal("121.43688"),
            coord="gcj02",
            accuracy=Decimal("18"),
        ),
    ]
    for person, proof in zip(people, proofs, strict=True):
        services.attendance_check_in(
            activity=activity, volunteer=person, proof=proof, now=_at(activity, 13)
        )
    from threehours.attendance import selectors

    evidence = selectors.position_evidence(
        activity_ids=[activity.pk], date_from=activity.start_date, date_to=activity.start_date
    )
    flags = [evidence[(activity.pk, p.pk, activity.start_date)].flags for p in people]
    assert flags == [
        ("same_position", "no_accuracy"),
        ("same_position", "no_accuracy"),
        ("too_precise",),
        (),
    ]
    client.force_login(org.applicant)
    with time_machine.travel(_at(activity, 13, 5), tick=False):
        page = client.get(f"/org/{org.pk}/activities/{activity.pk}/attendance/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-testid="flag"') == 5 and "±18 m" in html
    assert 'data-testid="flagged"' in html
    from threehours.reporting import export_services

    _name, _type, content = export_services.range_export(
        org=org, date_from=activity.start_date, date_to=activity.start_date, fmt="csv"
    )
    import csv
    import io

    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]
    assert [(r[-3], bool(r[-2]), r[-1].count(";") + 1 if r[-1] else 0) for r in rows] == [
        (str(Method.CODE.label), False, 2),
        (str(Method.CODE.label), False, 2),
        (str(Method.CODE.label), True, 1),
        (str(Method.CODE.label), True, 0),
    ]
    assert rows[3][-2] == "18"
