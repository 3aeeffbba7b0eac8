"""Check-in and check-out rules of docs/product.md §4 with a frozen clock (issue #6 acceptance)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from threehours.activities.models import Activity
from threehours.attendance import codes, errors, services
from threehours.attendance.models import Attempt, Attendance
from threehours.attendance.services import Proof, checkin
from threehours.core.db import Update
from threehours.core.geo import wgs84_to_gcj02
from threehours.core.timeutil import local_tz
from threehours.hours.models import HoursSummary, LedgerEntry, PendingCredit
from threehours.hours.services import hours_totals, ledger_verify
from threehours.notifications.models import Message
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import published_activity, volunteers

pytestmark = pytest.mark.django_db

HERE = {"lat": Decimal("31.188"), "lng": Decimal("121.437"), "coord": "gcj02"}


@pytest.fixture
def activity(org):
    return published_activity(org, questions=[], places=50)


@pytest.fixture
def person(activity, volunteer):
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    return volunteer


def _at(activity, hh, mm=0, day=0):
    return dt.datetime.combine(
        activity.start_date + dt.timedelta(days=day), dt.time(hh, mm), tzinfo=local_tz()
    )


def _code(activity, day=0):
    return codes.day_code(activity.pk, activity.start_date + dt.timedelta(days=day))


def _proof(activity, day=0, **overrides):
    return Proof(**{"code": _code(activity, day), **HERE, **overrides})


def _in(activity, person, when, proof=None):
    return services.attendance_check_in(
        activity=activity, volunteer=person, proof=proof or _proof(activity), now=when
    )


def _out(activity, person, when, proof=None):
    return services.attendance_check_out(
        activity=activity, volunteer=person, proof=proof or _proof(activity), now=when
    )


def _refused(code, fn, *args, **kwargs):
    rows = (Attendance.objects.count(), LedgerEntry.objects.count())
    with pytest.raises(
        errors.AttendanceError if code != "too_many_wrong_codes" else Exception
    ) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code
    assert (Attendance.objects.count(), LedgerEntry.objects.count()) == rows
    assert Attempt.objects.latest("pk").result == code  # the refusal is on record
    return caught.value


def test_check_in_and_out_credit_the_overlap(activity, person):
    attendance = _in(activity, person, _at(activity, 13, 2))
    assert attendance.checkin_method == "code"
    attendance = _out(activity, person, _at(activity, 13, 59))
    assert attendance.hours == Decimal("1.0")
    entry = LedgerEntry.objects.get()
    assert (entry.hours, entry.kind, entry.entry_type) == (Decimal("1.0"), "service", "credit")
    assert hours_totals(volunteer=person).service_hours == Decimal("1.0")
    assert [a.result for a in Attempt.objects.order_by("pk")] == ["ok", "ok"]


def test_thirty_minutes_inside_the_window_earn_half_an_hour(activity, person):
    _in(activity, person, _at(activity, 13, 10))
    assert _out(activity, person, _at(activity, 13, 40)).hours == Decimal("0.5")


def test_in_early_out_late_earns_at_most_the_window(activity, person):
    _in(activity, person, _at(activity, 8, 0))
    assert _out(activity, person, _at(activity, 22, 0)).hours == activity.max_hours_per_day


@pytest.mark.parametrize(
    ("hh", "mm", "day", "accepted"),
    [
        (23, 59, -1, False),  # the evening before
        (0, 0, 0, True),  # the activity day has begun
        (13, 59, 0, True),  # check-out time − 1 min
        (14, 0, 0, True),  # the day's check-out time itself
        (14, 1, 0, False),  # + 1 min
        (0, 0, 1, False),  # the day after
    ],
)
def test_check_in_window_edges(activity, person, hh, mm, day, accepted):
    when = _at(activity, hh, mm, day=day)
    if accepted:
        assert _in(activity, person, when).checked_in_at == when
        return
    error = _refused("outside_window", _in, activity, person, when, _proof(activity, day))
    # the refusal names when check-in is open
    assert activity.start_date.isoformat() in error.message and "14:00" in error.message


@pytest.mark.parametrize(
    ("hh", "mm", "day", "accepted"),
    [
        (12, 59, 0, False),  # check-in time − 1 min
        (13, 0, 0, True),  # exactly the day's check-in time
        (23, 59, 0, True),  # the last minute of the day
        (0, 0, 1, False),  # 24:00
        (0, 1, 1, False),
    ],
)
def test_check_out_window_edges(activity, person, hh, mm, day, accepted):
    _in(activity, person, _at(activity, 9, 0))
    when = _at(activity, hh, mm, day=day)
    if accepted:
        attendance = _out(activity, person, when)
        assert attendance.checked_out_at == when
        assert attendance.hours == (Decimal("0.0") if hh == 13 else Decimal("1.0"))
        return
    error = _refused("outside_window", _out, activity, person, when, _proof(activity, day))
    assert activity.start_date.isoformat() in error.message
    if day == 0:
        assert "13:00" in error.message and "24:00" in error.message
    else:  # still checked in from the day before: that day's check-out closed at 24:00
        assert "24:00" in error.message and "13:00" not in error.message
    assert Attendance.objects.get().checked_out_at is None


@pytest.fixture
def two_days(org, volunteer):
    start = dt.date.today() + dt.timedelta(days=10)
    activity = published_activity(
        org,
        questions=[],
        start_date=start.isoformat(),
        end_date=(start + dt.timedelta(days=1)).isoformat(),
    )
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    return activity


@pytest.mark.parametrize(("day", "mm"), [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_after_midnight_yesterdays_check_out_has_closed(two_days, volunteer, day, mm):
    """Day 1 → 00:00 of day 2 (an activity day itself), and the last day → the day after:
    outside_window saying that day's check-out closed at 24:00, not "not checked in"."""
    activity = two_days
    _in(activity, volunteer, _at(activity, 13, day=day), _proof(activity, day))
    after_midnight = _at(activity, 0, mm, day=day + 1)
    error = _refused(
        "outside_window", _out, activity, volunteer, after_midnight, _proof(activity, day + 1)
    )
    checked_in_day = (activity.start_date + dt.timedelta(days=day)).isoformat()
    assert checked_in_day in error.message and "24:00" in error.message
    assert "13:00" not in error.message
    assert _out(activity, volunteer, _at(activity, 23, 59, day=day), _proof(activity, day)).hours


def test_after_midnight_without_yesterdays_check_in_the_days_times_are_named(two_days, volunteer):
    activity = two_days
    error = _refused(
        "outside_window", _out, activity, volunteer, _at(activity, 0, 0, day=1), _proof(activity, 1)
    )
    day_two = (activity.start_date + dt.timedelta(days=1)).isoformat()
    assert day_two in error.message and "13:00" in error.message and "24:00" in error.message


def test_refusals_outside_a_multi_day_activity_name_its_days_and_times(two_days, volunteer):
    activity = two_days
    first, last = activity.start_date.isoformat(), activity.end_date.isoformat()
    error = _refused(
        "outside_window", _in, activity, volunteer, _at(activity, 9, day=2), _proof(activity, 2)
    )
    assert first in error.message and last in error.message and "14:00" in error.message
    error = _refused(
        "outside_window", _out, activity, volunteer, _at(activity, 15, day=-1), _proof(activity, -1)
    )
    assert first in error.message and last in error.message and "13:00" in error.message


def test_multi_day_activities_need_a_check_in_every_day(org, volunteer):
    start = dt.date.today() + dt.timedelta(days=10)
    activity = published_activity(
        org,
        questions=[],
        start_date=start.isoformat(),
        end_date=(start + dt.timedelta(days=1)).isoformat(),
    )
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    _in(activity, volunteer, _at(activity, 13))
    _out(activity, volunteer, _at(activity, 14))
    _refused(
        "not_checked_in", _out, activity, volunteer, _at(activity, 14, day=1), _proof(activity, 1)
    )
    _in(activity, volunteer, _at(activity, 13, day=1), _proof(activity, 1))
    _out(activity, volunteer, _at(activity, 14, day=1), _proof(activity, 1))
    assert hours_totals(volunteer=volunteer).service_hours == Decimal("2.0")
    assert LedgerEntry.objects.count() == 2


def test_second_check_in_answers_with_the_first_time(activity, person):
    _in(activity, person, _at(activity, 13, 2))
    error = _refused("already_checked_in", _in, activity, person, _at(activity, 13, 30))
    assert "13:02" in error.message
    attempts = Attempt.objects.filter(volunteer=person).order_by("pk")
    assert [(a.action, a.method, a.result, a.distance_m) for a in attempts] == [
        ("checkin", "code", "ok", 0),
        ("checkin", "code", "already_checked_in", 0),
    ]
    assert person.attendances.get().checked_in_at == _at(activity, 13, 2)


def _check_in_moved_before_the_write(monkeypatch, activity, person, to):
    """A coordinator's correction lands between the check-out's read of the attendance and
    its one statement (services._in_one_statement)."""
    real = checkin.write_chain

    def moved_then_written(first, *then):
        if isinstance(first, Update):
            Attendance.objects.filter(pk=first.obj.pk).update(checked_in_at=to)
            monkeypatch.setattr(checkin, "write_chain", real)
        return real(first, *then)

    monkeypatch.setattr(checkin, "write_chain", moved_then_written)


@pytest.mark.postgres
def test_a_check_in_time_corrected_meanwhile_is_credited_from_the_new_time(
    monkeypatch, activity, person
):
    _in(activity, person, _at(activity, 13))
    _check_in_moved_before_the_write(monkeypatch, activity, person, to=_at(activity, 13, 30))
    attendance = _out(activity, person, _at(activity, 14))
    # The conditional update found another check-in time and wrote nothing; the locked path
    # credited from the corrected one.
    assert attendance.hours == Decimal("0.5")
    assert [e.hours for e in LedgerEntry.objects.filter(volunteer=person)] == [Decimal("0.5")]
    assert hours_totals(volunteer=person).service_hours == Decimal("0.5")
    assert Attendance.objects.get().hours == Decimal("0.5")
    results = Attempt.objects.filter(volunteer=person, action="checkout")
    assert list(results.values_list("result", flat=True)) == ["ok"]
    assert ledger_verify() == []


@pytest.mark.postgres
def test_twin_without_the_check_in_condition_credits_from_the_time_read(
    monkeypatch, activity, person
):
    """The twin: without `checked_in_at = <the time read>` in the conditional update, the
    hours computed from the old check-in time are written over the correction."""

    def update_without_checkin_condition(obj, fields, where):
        return Update(obj, fields, where={k: v for k, v in where.items() if k != "checked_in_at"})

    monkeypatch.setattr(checkin, "Update", update_without_checkin_condition)
    _in(activity, person, _at(activity, 13))
    _check_in_moved_before_the_write(monkeypatch, activity, person, to=_at(activity, 13, 30))
    assert _out(activity, person, _at(activity, 14)).hours == Decimal("1.0")  # not 0.5


@pytest.mark.postgres
def test_a_check_out_of_a_volunteer_without_totals_creates_them_and_one_adds(org, volunteer):
    """The one statement's summary upsert: the first credit creates the row, the next adds."""
    first, second = (published_activity(org, questions=[]) for _ in range(2))
    for activity in (first, second):
        signup_services.signup_create(activity=activity, volunteer=volunteer)
        _in(activity, volunteer, _at(activity, 13))
        _out(activity, volunteer, _at(activity, 14, 30))
    summary = HoursSummary.objects.get(volunteer=volunteer)
    assert (summary.service_hours, summary.online_hours) == (Decimal("2.0"), Decimal("0.0"))
    assert ledger_verify() == []


def test_second_check_out_credits_nothing_more(activity, person):
    _in(activity, person, _at(activity, 13))
    _out(activity, person, _at(activity, 14))
    error = _refused("already_checked_out", _out, activity, person, _at(activity, 15))
    assert "14:00" in error.message
    assert LedgerEntry.objects.count() == 1


def test_only_confirmed_registrants_check_in(activity, outsider):
    _refused("not_registered", _in, activity, outsider, _at(activity, 13))


def test_a_qr_token_of_this_activity_and_day_is_accepted(activity, person):
    token, _expires = codes.qr_token_make(activity.pk, activity.start_date)
    attendance = _in(activity, person, _at(activity, 13), Proof(qr_token=token, **HERE))
    assert attendance.checkin_method == "qr"


def test_expired_or_foreign_qr_tokens_are_refused(activity, person, org):
    token, _expires = codes.qr_token_make(activity.pk, activity.start_date)
    with time_machine.travel(dt.datetime.now(tz=local_tz()) + dt.timedelta(seconds=61)):
        _refused(
            "qr_expired", _in, activity, person, _at(activity, 13), Proof(qr_token=token, **HERE)
        )
    other = published_activity(org, questions=[])
    foreign, _ = codes.qr_token_make(other.pk, activity.start_date)
    _refused(
        "qr_expired", _in, activity, person, _at(activity, 13), Proof(qr_token=foreign, **HERE)
    )
    tomorrow, _ = codes.qr_token_make(activity.pk, activity.start_date + dt.timedelta(days=1))
    _refused(
        "qr_expired", _in, activity, person, _at(activity, 13), Proof(qr_token=tomorrow, **HERE)
    )
    _refused(
        "qr_expired",
        _in,
        activity,
        person,
        _at(activity, 13),
        Proof(qr_token=token[:-2] + "xx", **HERE),
    )
    _refused("proof_required", _in, activity, person, _at(activity, 13), Proof(**HERE))


def test_five_wrong_codes_then_429_even_with_the_right_one(activity, person):
    wrong = "0000" if _code(activity) != "0000" else "1111"
    for _ in range(5):
        _refused("bad_code", _in, activity, person, _at(activity, 13), _proof(activity, code=wrong))
    error = _refused("too_many_wrong_codes", _in, activity, person, _at(activity, 13))
    assert error.status == 429 and error.retry_after > 0
    # a QR scan still works: the limit is on guessing codes
    token, _ = codes.qr_token_make(activity.pk, activity.start_date)
    assert _in(activity, person, _at(activity, 13), Proof(qr_token=token, **HERE)).pk


def test_a_burst_of_wrong_codes_on_one_activity_alerts_its_staff(activity, settings):
    settings.CHECKIN_GUESS_ALERT = 6
    people = volunteers(3)
    for p in people:
        signup_services.signup_create(activity=activity, volunteer=p)
    wrong = "0000" if _code(activity) != "0000" else "1111"
    for p in people:
        for _ in range(2):
            with pytest.raises(errors.BadCode):
                _in(activity, p, _at(activity, 13), _proof(activity, code=wrong))
    alerts = Message.objects.filter(
        recipient=activity.organisation.applicant, title="签到验证码错误过多"
    )
    assert alerts.count() == 1


def test_position_inside_and_outside_the_radius(activity, person):
    far = {"lat": Decimal("31.200"), "lng": Decimal("121.437"), "coord": "gcj02"}  # ≈1.3 km
    error = _refused(
        "outside_radius",
        _in,
        activity,
        person,
        _at(activity, 13),
        Proof(code=_code(activity), **far),
    )
    assert "约 1.3 公里" in error.message  # kilometres past 1,000 m (core/numbers.py)
    _refused(
        "position_required", _in, activity, person, _at(activity, 13), Proof(code=_code(activity))
    )
    assert _in(activity, person, _at(activity, 13)).pk


def test_browser_wgs84_positions_are_converted_before_comparing(activity, person):
    Activity.objects.filter(pk=activity.pk).update(checkin_radius_m=200)
    activity.refresh_from_db()
    # the WGS-84 reading of the activity's place: ~500 m off in raw numbers, inside once converted
    lat, lng = float(activity.lat), float(activity.lng)
    g_lat, g_lng = wgs84_to_gcj02(lat, lng)
    wgs = {
        "lat": Decimal(str(round(2 * lat - g_lat, 6))),
        "lng": Decimal(str(round(2 * lng - g_lng, 6))),
    }
    _refused(
        "outside_radius",
        _in,
        activity,
        person,
        _at(activity, 13),
        Proof(code=_code(activity), coord="gcj02", **wgs),
    )
    assert _in(
        activity, person, _at(activity, 13), Proof(code=_code(activity), coord="wgs84", **wgs)
    ).pk
    assert Attempt.objects.latest("pk").distance_m < 50


def test_online_activities_credit_a_tenth_once(org, volunteer):
    activity = published_activity(
        org,
        questions=[],
        form="online_other",
        address="",
        district="",
        lat=None,
        lng=None,
        checkin_radius_m=None,
    )
    assert activity.online
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    attendance = _in(activity, volunteer, _at(activity, 13, 30), Proof(code=_code(activity)))
    assert attendance.hours == Decimal("0.1") and attendance.checked_out_at is not None
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.hours) == ("online", Decimal("0.1"))
    totals = hours_totals(volunteer=volunteer)
    assert (totals.service_hours, totals.online_hours) == (Decimal("0"), Decimal("0.1"))


def test_an_online_registration_is_credited_a_tenth_once_whatever_the_days(org, volunteer):
    start = dt.date.today() + dt.timedelta(days=10)
    activity = published_activity(
        org,
        questions=[],
        form="online_other",
        address="",
        district="",
        lat=None,
        lng=None,
        checkin_radius_m=None,
        start_date=start.isoformat(),
        end_date=(start + dt.timedelta(days=1)).isoformat(),
    )
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    assert _in(activity, volunteer, _at(activity, 13), Proof(code=_code(activity))).hours == (
        Decimal("0.1")
    )
    # the same day again: answered with the first time, nothing credited
    _refused(
        "already_checked_in",
        _in,
        activity,
        volunteer,
        _at(activity, 13, 30),
        Proof(code=_code(activity)),
    )
    # a second day of the same registration: the participation is complete already
    day_two = _in(activity, volunteer, _at(activity, 13, day=1), Proof(code=_code(activity, 1)))
    assert day_two.hours == Decimal("0.0") and day_two.checked_out_at is not None
    assert LedgerEntry.objects.filter(volunteer=volunteer).count() == 1
    totals = hours_totals(volunteer=volunteer)
    assert (totals.service_hours, totals.online_hours) == (Decimal("0"), Decimal("0.1"))
    assert ledger_verify() == []


class FailingFace:
    def verify(self, user, evidence):
        return False


class PassingFace:
    def verify(self, user, evidence):
        return evidence == "my-face"


def _identity_failures(person):
    return Attempt.objects.filter(volunteer=person, result="identity_failed").count()


def test_one_identity_failure_does_not_open_the_green_channel(activity, person, settings):
    settings.IDENTITY_PROVIDER = f"{__name__}.FailingFace"
    error = _refused(
        "identity_failed", _in, activity, person, _at(activity, 13), _proof(activity, identity="x")
    )
    assert "绿色通道" not in error.message
    assert _identity_failures(person) == 1
    # the code from staff after one failure: refused, and that refusal is the second failure
    error = _refused("identity_failed", _in, activity, person, _at(activity, 13), _proof(activity))
    assert Attempt.objects.latest("pk").method == "code"
    assert "绿色通道" in error.message
    assert _identity_failures(person) == 2


def test_green_channel_opens_after_exactly_two_identity_failures(activity, person, settings):
    settings.IDENTITY_PROVIDER = f"{__name__}.FailingFace"
    for _ in range(2):
        error = _refused(
            "identity_failed",
            _in,
            activity,
            person,
            _at(activity, 13),
            _proof(activity, identity="x"),
        )
    assert "绿色通道" in error.message  # the second failure points to the green channel
    assert _identity_failures(person) == 2
    # the very next attempt, with the code from staff, is accepted through the green channel
    attendance = _in(activity, person, _at(activity, 13), _proof(activity))
    assert attendance.checkin_method == "green"
    assert Attempt.objects.latest("pk").method == "green"


def test_the_green_channel_is_the_code_not_a_qr_scan(activity, person, settings):
    settings.IDENTITY_PROVIDER = f"{__name__}.FailingFace"
    for _ in range(2):
        _refused(
            "identity_failed",
            _in,
            activity,
            person,
            _at(activity, 13),
            _proof(activity, identity="x"),
        )
    token, _ = codes.qr_token_make(activity.pk, activity.start_date)
    _refused(
        "identity_failed", _in, activity, person, _at(activity, 13), Proof(qr_token=token, **HERE)
    )


def test_a_passing_identity_check_needs_no_green_channel(activity, person, settings):
    settings.IDENTITY_PROVIDER = f"{__name__}.PassingFace"
    assert _in(activity, person, _at(activity, 13), _proof(activity, identity="my-face")).pk


def test_staff_check_in_and_out_without_a_phone(activity, person, org):
    signup = person.signups.get()
    services.attendance_staff_check(
        signup=signup, staff=org.applicant, action="checkin", now=_at(activity, 13)
    )
    attendance = services.attendance_staff_check(
        signup=signup, staff=org.applicant, action="checkout", now=_at(activity, 14)
    )
    assert (attendance.checkin_method, attendance.checkout_method, attendance.hours) == (
        "staff",
        "staff",
        Decimal("1.0"),
    )
    assert Attempt.objects.filter(actor=org.applicant).count() == 2


@pytest.mark.parametrize(
    ("action", "when", "code"),
    [("checkin", (14, 1), "outside_window"), ("checkout", (13, 30), "not_checked_in")],
)
def test_a_refused_staff_check_is_on_record(activity, person, org, action, when, code):
    signup = person.signups.get()
    with pytest.raises(errors.AttendanceError) as caught:
        services.attendance_staff_check(
            signup=signup, staff=org.applicant, action=action, now=_at(activity, *when)
        )
    assert caught.value.code == code
    attempt = Attempt.objects.get()
    assert (attempt.action, attempt.method, attempt.result, attempt.actor) == (
        action,
        "staff",
        code,
        org.applicant,
    )
    assert not Attendance.objects.exists()


def test_a_correction_is_a_new_entry_with_a_reason(activity, person, org):
    signup = person.signups.get()
    _in(activity, person, _at(activity, 13, 30))
    _out(activity, person, _at(activity, 13, 45))
    from threehours.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        services.attendance_correct(
            signup=signup,
            day=activity.start_date,
            checkin_at=dt.time(13),
            checkout_at=dt.time(14),
            staff=org.applicant,
            reason="",
            today=activity.start_date,
        )
    assert "reason" in caught.value.fields
    services.attendance_correct(
        signup=signup,
        day=activity.start_date,
        checkin_at=dt.time(13),
        checkout_at=dt.time(14),
        staff=org.applicant,
        reason="手机没电，13:00 已到场",
        today=activity.start_date,
    )
    entries = list(LedgerEntry.objects.order_by("pk").values_list("entry_type", "hours"))
    assert entries == [("credit", Decimal("0.3")), ("correction", Decimal("0.7"))]
    assert hours_totals(volunteer=person).service_hours == Decimal("1.0")
    assert "手机没电" in Message.objects.filter(recipient=person).latest("pk").body
    assert ledger_verify() == []


def test_forgotten_check_out_is_credited_after_confirmation_and_cosigning(activity, person, org):
    _in(activity, person, _at(activity, 13, 20))
    assert services.pending_credits_create_due(now=_at(activity, 23, 0)) == 0  # the day is not over
    assert services.pending_credits_create_due(now=_at(activity, 0, 10, day=1)) == 1
    assert services.pending_credits_create_due(now=_at(activity, 0, 25, day=1)) == 0  # once
    pending = PendingCredit.objects.get()
    assert pending.hours == Decimal("0.7")  # 13:20 to the end of the window, 14:00
    assert not LedgerEntry.objects.exists()
    services.pending_credit_respond(pending=pending, volunteer=person, agree=True)
    assert not LedgerEntry.objects.exists()  # waits for a coordinator
    services.pending_credit_cosign(pending=pending, staff=org.applicant)
    pending.refresh_from_db()
    assert pending.state == "credited"
    assert hours_totals(volunteer=person).service_hours == Decimal("0.7")


def test_unconfirmed_pending_credits_expire(activity, person, settings):
    _in(activity, person, _at(activity, 13, 20))
    services.pending_credits_create_due(now=_at(activity, 0, 10, day=1))
    later = _at(activity, 1, 0, day=1 + settings.PENDING_CREDIT_DAYS)
    assert services.pending_credits_expire(now=later) == 1
    assert PendingCredit.objects.get().state == "expired"
    assert not LedgerEntry.objects.exists()


def test_verify_ledger_finds_a_tampered_summary(activity, person):
    _in(activity, person, _at(activity, 13))
    _out(activity, person, _at(activity, 14))
    call_command("verify_ledger")
    HoursSummary.objects.filter(volunteer=person).update(service_hours=Decimal("5.0"))
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("verify_ledger")


def test_no_show_after_the_day_only(activity, person, org):
    signup = person.signups.get()
    from threehours.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.no_show_mark(
            signup=signup, day=activity.start_date, staff=org.applicant, today=activity.start_date
        )
    no_show = services.no_show_mark(
        signup=signup,
        day=activity.start_date,
        staff=org.applicant,
        today=activity.start_date + dt.timedelta(days=1),
    )
    assert no_show.pk


@pytest.mark.postgres
def test_the_one_statement_path_writes_what_the_transaction_path_writes(monkeypatch, org):
    """PostgreSQL's one-statement check-in and check-out (services._in_one_statement) against
    the transaction path SQLite and staff take: the same rows, field by field."""
    one_statement = checkin._in_one_statement
    ids = {"id", "signup", "activity", "volunteer", "attendance", "organisation"}
    kept = ("created_at", "updated_at")

    def rows(model, **lookup):
        names = [f.name for f in model._meta.concrete_fields if f.name not in {*ids, *kept}]
        return list(model.objects.filter(**lookup).order_by("pk").values_list(*names))

    written = {}
    for i, path in enumerate((one_statement, lambda activity, staff: False)):
        monkeypatch.setattr(checkin, "_in_one_statement", path)
        activity = published_activity(org, questions=[])
        [person] = volunteers(1, start=600 + i)
        signup_services.signup_create(activity=activity, volunteer=person)
        proof = _proof(activity, accuracy=Decimal("12"), user_agent="MicroMessenger/8.0")
        answers = [
            _in(activity, person, _at(activity, 13, 2), proof).checked_in_at,
            _out(activity, person, _at(activity, 13, 59), proof).hours,
        ]
        for call, when in ((_in, _at(activity, 14)), (_out, _at(activity, 14, 5))):
            with pytest.raises(errors.AttendanceError) as refused:
                call(activity, person, when, proof)
            answers.append((refused.value.code, refused.value.message))
        written[i] = (
            answers,
            rows(Attendance, volunteer=person),
            rows(Attempt, volunteer=person),
            rows(LedgerEntry, volunteer=person),
            rows(HoursSummary, volunteer=person),
        )
    assert written[0] == written[1]
    assert written[0][2][0][-1] == "MicroMessenger/8.0"  # the attempts' user agent
