"""Check-in pages: the volunteer's phone page in each of its states, the staff's door screen
and QR code, the attendance board's buttons and the pending-credit queue (issue #6)."""

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from threehours.attendance import codes, errors, services
from threehours.attendance.models import Attempt, Attendance, NoShow
from threehours.core.geo import wgs84_to_gcj02
from threehours.core.timeutil import local_tz
from threehours.hours.models import LedgerEntry, PendingCredit
from threehours.orgs.models import Membership
from threehours.orgs.tests.factories import applicant, approved_org
from threehours.signups import services as signup_services
from threehours.signups.models import Signup
from threehours.signups.tests.factories import published_activity

pytestmark = pytest.mark.django_db

GCJ = (31.188, 121.437)


def _wgs84_of(lat: float, lng: float) -> tuple[float, float]:
    """A WGS-84 point whose GCJ-02 conversion lands (within a metre) on the given point."""
    g_lat, g_lng = wgs84_to_gcj02(lat, lng)
    return 2 * lat - g_lat, 2 * lng - g_lng


HERE_WGS = dict(zip(("lat", "lng"), (f"{v:.6f}" for v in _wgs84_of(*GCJ)), strict=True))


@pytest.fixture
def activity(org):
    return published_activity(org, questions=[], places=50)


@pytest.fixture
def person(activity, volunteer):
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    return volunteer


@pytest.fixture
def phone(person):
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def staff(org):
    client = Client()
    client.force_login(org.applicant)
    return client


def _at(activity, hh, mm=0, day=0):
    return dt.datetime.combine(
        activity.start_date + dt.timedelta(days=day), dt.time(hh, mm), tzinfo=local_tz()
    )


def _url(activity):
    return f"/activities/{activity.pk}/checkin/"


def _state(response):
    return response.context["state"]


# -- the volunteer's page --------------------------------------------------------------------


def test_the_check_in_page_needs_a_login_and_keeps_the_token(activity):
    response = Client().get(_url(activity) + "?t=abc")
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.path == "/login/"
    assert parse_qs(location.query)["next"] == [_url(activity) + "?t=abc"]


def test_a_draft_or_unknown_activity_is_not_found(org, phone):
    from threehours.activities import services as activity_services
    from threehours.activities.tests.factories import activity_data

    draft = activity_services.activity_create(org=org, user=org.applicant, data=activity_data())
    assert phone.get(_url(draft)).status_code == 404
    assert phone.get("/activities/999999/checkin/").status_code == 404


def test_page_states_through_an_activity_day(activity, person, phone, outsider):
    stranger = Client()
    stranger.force_login(outsider)
    with time_machine.travel(_at(activity, 10), tick=False):
        assert _state(stranger.get(_url(activity))) == "not_registered"
    assert _state(phone.get(_url(activity))) == "not_started"  # ten days ahead
    with time_machine.travel(_at(activity, 9), tick=False):
        response = phone.get(_url(activity) + "?t=tok")
        assert _state(response) == "checkin"
        assert response.context["token"] == "tok"
        assert b'name="t" value="tok"' in response.content
        assert b"data-locating" in response.content  # offline: the script sends the position
        services.attendance_check_in(activity=activity, volunteer=person, staff=activity.created_by)
        response = phone.get(_url(activity))
        assert _state(response) == "checked_in_early"  # check-out opens at 13:00
        assert b"09:00" in response.content
        assert b'data-testid="checkin-form"' not in response.content
    with time_machine.travel(_at(activity, 13, 30), tick=False):
        response = phone.get(_url(activity))
        assert _state(response) == "checkout"
        assert b'name="action" value="checkout"' in response.content
        services.attendance_check_out(
            activity=activity, volunteer=person, staff=activity.created_by
        )
        response = phone.get(_url(activity))
        assert _state(response) == "done"
        assert response.context["attendance"].hours == Decimal("0.5")
    with time_machine.travel(_at(activity, 10, day=1), tick=False):
        assert _state(phone.get(_url(activity))) == "ended"


def test_check_in_closes_at_the_days_end_time(activity, phone):
    with time_machine.travel(_at(activity, 14, 1), tick=False):
        assert _state(phone.get(_url(activity))) == "closed"


def test_a_pending_registrant_is_told_so(activity, volunteer):
    Signup.objects.filter(activity=activity, volunteer=volunteer).delete()
    Signup.objects.create(activity=activity, volunteer=volunteer, status="pending")
    client = Client()
    client.force_login(volunteer)
    with time_machine.travel(_at(activity, 10), tick=False):
        response = client.get(_url(activity))
    assert _state(response) == "not_registered"
    assert response.context["signup"].status == "pending"


def test_scanning_the_qr_code_checks_in_and_out(activity, person, phone):
    with time_machine.travel(_at(activity, 13, 2), tick=False):
        token, _expires = codes.qr_token_make(activity.pk, activity.start_date)
        response = phone.post(
            _url(activity) + f"?t={token}",
            {"action": "checkin", "t": token, "coord": "wgs84", "accuracy": "12.5", **HERE_WGS},
            HTTP_USER_AGENT="Phone/1.0",
        )
        assert response.status_code == 302 and response["Location"] == _url(activity)
        attendance = Attendance.objects.get(volunteer=person)
        assert attendance.checkin_method == "qr"
        attempt = Attempt.objects.get(result="ok")
        assert (attempt.coord, attempt.accuracy_m, attempt.user_agent) == ("wgs84", 12, "Phone/1.0")
        assert attempt.distance_m < 5
        response = phone.get(_url(activity))
        assert _state(response) == "checkout" and b"13:02" in response.content
    with time_machine.travel(_at(activity, 13, 59), tick=False):
        token, _expires = codes.qr_token_make(activity.pk, activity.start_date)
        response = phone.post(_url(activity), {"action": "checkout", "t": token, **HERE_WGS})
        assert response.status_code == 302
        response = phone.get(_url(activity))
    assert _state(response) == "done"
    assert b"1.0" in response.content
    assert LedgerEntry.objects.get(volunteer=person).hours == Decimal("1.0")


def test_the_code_from_the_staff_checks_in(activity, person, phone):
    with time_machine.travel(_at(activity, 13), tick=False):
        code = codes.day_code(activity.pk, activity.start_date)
        response = phone.post(_url(activity), {"action": "checkin", "code": code, **HERE_WGS})
    assert response.status_code == 302
    assert Attendance.objects.get(volunteer=person).checkin_method == "code"


def test_without_a_position_the_page_says_what_to_do(activity, person, phone):
    with time_machine.travel(_at(activity, 13), tick=False):
        token, _expires = codes.qr_token_make(activity.pk, activity.start_date)
        response = phone.post(
            _url(activity), {"action": "checkin", "t": token, "lat": "", "lng": "x"}
        )
    assert response.status_code == 400
    assert response.context["error"] == errors.PositionRequired().message
    assert "位置" in response.context["error"]  # translated (zh-hans is the default)
    assert response.context["state"] == "checkin" and response.context["token"] == token
    assert not Attendance.objects.exists()


def test_refusals_show_the_services_message(activity, person, phone):
    with time_machine.travel(_at(activity, 13), tick=False):
        response = phone.post(_url(activity), {"action": "checkout", "code": "", **HERE_WGS})
        assert response.status_code == 400
        assert response.context["error"] == errors.ProofRequired().message
        far = {"lat": "31.3", "lng": "121.5"}
        code = codes.day_code(activity.pk, activity.start_date)
        response = phone.post(_url(activity), {"action": "checkin", "code": code, **far})
        assert response.status_code == 400
        assert Attempt.objects.latest("pk").result == "outside_radius"
        assert b'data-testid="checkin-error"' in response.content
        response = phone.post(_url(activity), {"action": "checkout", "code": code, **HERE_WGS})
        assert response.status_code == 409  # not checked in yet
        assert response.context["error"] == errors.NotCheckedIn().message


def test_too_many_wrong_codes_are_refused_with_the_rate_limit_message(
    activity, person, phone, settings
):
    settings.CHECKIN_CODE_MAX_WRONG = 2
    right = codes.day_code(activity.pk, activity.start_date)
    wrong = f"{(int(right) + 1) % 10000:04d}"
    with time_machine.travel(_at(activity, 13), tick=False):
        for _i in range(2):
            response = phone.post(_url(activity), {"action": "checkin", "code": wrong, **HERE_WGS})
            assert response.status_code == 400
            assert response.context["code"] == wrong  # kept for the volunteer to fix
        response = phone.post(_url(activity), {"action": "checkin", "code": right, **HERE_WGS})
    assert response.status_code == 429
    assert response.context["error"] == errors.TooManyWrongCodes().message
    assert not Attendance.objects.exists()


def test_an_unknown_action_is_a_bad_request(activity, phone):
    assert phone.post(_url(activity), {"action": "dance"}).status_code == 400


def test_online_activities_need_no_position(org, volunteer):
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
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    client = Client()
    client.force_login(volunteer)
    with time_machine.travel(_at(activity, 13), tick=False):
        response = client.get(_url(activity))
        assert b"data-locating" not in response.content
        code = codes.day_code(activity.pk, activity.start_date)
        client.post(_url(activity), {"action": "checkin", "code": code})
        response = client.get(_url(activity))
    assert _state(response) == "done"


def test_the_activity_page_links_to_check_in_on_activity_days(activity, person, phone):
    assert b'data-testid="checkin-link"' not in phone.get(f"/activities/{activity.pk}/").content
    with time_machine.travel(_at(activity, 8), tick=False):
        response = phone.get(f"/activities/{activity.pk}/")
    assert f'href="/activities/{activity.pk}/checkin/"'.encode() in response.content


# -- the door screen -------------------------------------------------------------------------


def _screen(org, activity):
    return f"/org/{org.pk}/activities/{activity.pk}/checkin-screen/"


def test_the_screen_shows_the_qr_code_and_the_days_code(org, activity, staff):
    with time_machine.travel(_at(activity, 12), tick=False):
        response = staff.get(_screen(org, activity))
        code = codes.day_code(activity.pk, activity.start_date)
    assert response.status_code == 200
    assert f'data-testid="day-code">{code}<'.encode() in response.content
    assert f"/org/{org.pk}/activities/{activity.pk}/checkin-qr.svg?v=".encode() in response.content
    assert b'hx-trigger="every 20s"' in response.content


def test_the_screen_partial_is_the_live_part_only(org, activity, staff):
    with time_machine.travel(_at(activity, 12), tick=False):
        response = staff.get(_screen(org, activity) + "?partial=1")
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert response.content.lstrip().startswith(b'<div id="screen-live"')


def test_the_screen_before_and_after_the_activity_says_so(org, activity, staff):
    response = staff.get(_screen(org, activity))
    assert b'data-testid="screen-message"' in response.content
    assert b"checkin-qr.svg" not in response.content
    assert staff.get(f"/org/{org.pk}/activities/{activity.pk}/checkin-qr.svg").status_code == 404
    with time_machine.travel(_at(activity, 9, day=1), tick=False):
        response = staff.get(_screen(org, activity))
    assert b'data-testid="screen-message"' in response.content


def test_the_qr_code_encodes_a_fresh_check_in_url(org, activity, staff, settings, monkeypatch):
    import segno

    settings.SITE_URL = "https://3h.example.cn"
    encoded = []
    real_make = segno.make
    monkeypatch.setattr(segno, "make", lambda data, **kw: encoded.append(data) or real_make(data))
    url = f"/org/{org.pk}/activities/{activity.pk}/checkin-qr.svg"
    with time_machine.travel(_at(activity, 12), tick=False):
        first = staff.get(url)
    with time_machine.travel(_at(activity, 12, 1), tick=False):
        staff.get(url)
        assert first.status_code == 200 and first["Content-Type"] == "image/svg+xml"
        assert first["Cache-Control"] == "no-store"
        assert first.content.lstrip().startswith((b"<?xml", b"<svg"))
        parsed = urlparse(encoded[1])
        assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == (
            f"https://3h.example.cn/activities/{activity.pk}/checkin/"
        )
        token = parse_qs(parsed.query)["t"][0]
        assert codes.qr_token_valid(token, activity_id=activity.pk, day=activity.start_date)
    assert encoded[0] != encoded[1]  # a new token every request


def test_volunteers_cannot_open_the_console_pages(org, activity, phone, person):
    for url in [
        _screen(org, activity),
        f"/org/{org.pk}/activities/{activity.pk}/attendance/",
        f"/org/{org.pk}/hours/pending/",
    ]:
        assert phone.get(url).status_code == 404, url
    signup = Signup.objects.get(volunteer=person)
    response = phone.post(
        f"/org/{org.pk}/registrations/{signup.pk}/attendance/staff/", {"action": "checkin"}
    )
    assert response.status_code == 404
    assert Client().get(_screen(org, activity)).status_code == 302  # to the console log-in


def test_the_screen_is_for_published_activities(org, staff):
    from threehours.activities import services as activity_services
    from threehours.activities.tests.factories import activity_data

    draft = activity_services.activity_create(org=org, user=org.applicant, data=activity_data())
    with time_machine.travel(_at(draft, 12), tick=False):
        response = staff.get(_screen(org, draft))
        assert b'data-testid="screen-message"' in response.content
        qr = staff.get(f"/org/{org.pk}/activities/{draft.pk}/checkin-qr.svg")
    assert qr.status_code == 404


# -- the attendance board --------------------------------------------------------------------


def _board(org, activity, day=None):
    url = f"/org/{org.pk}/activities/{activity.pk}/attendance/"
    return url + (f"?day={day.isoformat()}" if day else "")


@pytest.fixture
def three(activity, person):
    """Three confirmed registrants: `person` and two more."""
    from threehours.signups.tests.factories import volunteers

    others = volunteers(2)
    for v in others:
        signup_services.signup_create(activity=activity, volunteer=v)
    return [person, *others]


def test_the_board_groups_the_days_registrants(org, activity, three, staff):
    with time_machine.travel(_at(activity, 13), tick=False):
        services.attendance_check_in(activity=activity, volunteer=three[0], staff=org.applicant)
        services.attendance_check_in(activity=activity, volunteer=three[1], staff=org.applicant)
        services.attendance_check_out(activity=activity, volunteer=three[1], staff=org.applicant)
        response = staff.get(_board(org, activity))
        partial = staff.get(_board(org, activity) + "?partial=1", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.context["day"] == activity.start_date
    assert response.context["counts"] == {
        "registered": 1,
        "checked_in": 1,
        "checked_out": 1,
        "absent": 0,
    }
    assert b'hx-trigger="every 10s"' in response.content
    assert b'data-testid="staff-checkin"' in response.content
    assert b'data-testid="staff-checkout"' in response.content
    assert b'data-testid="no-show"' not in response.content  # only after the day
    assert b"<html" not in partial.content
    assert partial.content.lstrip().startswith(b'<div id="board-live"')


def test_the_board_day_stays_within_the_activity(org, activity, staff):
    assert staff.get(_board(org, activity)).context["day"] == activity.start_date  # before
    response = staff.get(_board(org, activity) + "?day=2001-01-01")
    assert response.context["day"] == activity.start_date
    response = staff.get(_board(org, activity) + "?day=nonsense")
    assert response.context["day"] == activity.start_date


def test_staff_check_a_volunteer_in_and_out(org, activity, person, staff):
    signup = Signup.objects.get(volunteer=person)
    url = f"/org/{org.pk}/registrations/{signup.pk}/attendance/staff/"
    day = activity.start_date.isoformat()
    with time_machine.travel(_at(activity, 13), tick=False):
        response = staff.post(url, {"action": "checkin", "day": day})
        assert response.status_code == 302
        assert response["Location"] == _board(org, activity, activity.start_date)
        assert Attendance.objects.get(signup=signup).checkin_method == "staff"
    with time_machine.travel(_at(activity, 14), tick=False):
        staff.post(url, {"action": "checkout", "day": day})
        response = staff.post(url, {"action": "checkout", "day": day}, follow=True)
    assert Attendance.objects.get(signup=signup).hours == Decimal("1.0")
    assert list(response.context["messages"])[-1].level_tag == "error"  # already checked out
    assert staff.post(url, {"action": "dance"}).status_code == 400


def test_a_correction_needs_a_reason_and_adds_a_ledger_entry(org, activity, person, staff):
    signup = Signup.objects.get(volunteer=person)
    url = f"/org/{org.pk}/registrations/{signup.pk}/attendance/correct/"
    data = {"day": activity.start_date.isoformat(), "checkin_at": "13:00", "checkout_at": "13:30"}
    with time_machine.travel(_at(activity, 20), tick=False):
        response = staff.post(url, data, follow=True)
        assert not Attendance.objects.exists()
        assert [m.level_tag for m in response.context["messages"]] == ["error"]
        staff.post(url, {**data, "checkout_at": "25:00", "reason": "x"})
        assert not Attendance.objects.exists()
        response = staff.post(url, {**data, "reason": "手机没电了"})
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(volunteer=person)
    assert (entry.entry_type, entry.hours, entry.reason) == (
        "correction",
        Decimal("0.5"),
        "手机没电了",
    )


def test_no_shows_are_marked_after_the_day(org, activity, person, staff):
    signup = Signup.objects.get(volunteer=person)
    url = f"/org/{org.pk}/registrations/{signup.pk}/attendance/no-show/"
    day = activity.start_date.isoformat()
    with time_machine.travel(_at(activity, 20), tick=False):
        staff.post(url, {"day": day})
        assert not NoShow.objects.exists()  # not before the day is over
    with time_machine.travel(_at(activity, 9, day=1), tick=False):
        response = staff.get(_board(org, activity))
        assert b'data-testid="no-show"' in response.content
        staff.post(url, {"day": day})
        response = staff.get(_board(org, activity))
    assert NoShow.objects.filter(signup=signup).exists()
    assert response.context["counts"]["absent"] == 1


def test_a_coordinator_of_the_org_may_use_the_board(org, activity, person):
    coordinator = applicant("coord@ngo.example.cn")
    Membership.objects.create(organisation=org, user=coordinator, role="coordinator")
    client = Client()
    client.force_login(coordinator)
    with time_machine.travel(_at(activity, 13), tick=False):
        assert client.get(_board(org, activity)).status_code == 200
        assert client.get(_screen(org, activity)).status_code == 200


def test_staff_of_another_org_get_404(operator, activity, person):
    other = approved_org(operator=operator, user=applicant("other@ngo.example.cn"))
    client = Client()
    client.force_login(other.applicant)
    signup = Signup.objects.get(volunteer=person)
    with time_machine.travel(_at(activity, 13), tick=False):
        assert (
            client.get(f"/org/{other.pk}/activities/{activity.pk}/attendance/").status_code == 404
        )
        response = client.post(
            f"/org/{other.pk}/registrations/{signup.pk}/attendance/staff/", {"action": "checkin"}
        )
    assert response.status_code == 404
    assert not Attendance.objects.exists()


# -- pending credits -------------------------------------------------------------------------


@pytest.fixture
def pending(activity, person, org):
    with time_machine.travel(_at(activity, 13), tick=False):
        services.attendance_check_in(activity=activity, volunteer=person, staff=org.applicant)
    services.pending_credits_create_due(now=_at(activity, 1, day=1))
    return PendingCredit.objects.get()


def test_staff_see_and_co_sign_pending_credits(org, pending, staff):
    response = staff.get(f"/org/{org.pk}/hours/pending/")
    assert response.status_code == 200
    assert list(response.context["rows"]) == [pending]
    assert b'data-testid="cosign"' in response.content
    response = staff.post(f"/org/{org.pk}/hours/pending/{pending.pk}/cosign/", {"approve": "1"})
    assert response.status_code == 302 and response["Location"] == f"/org/{org.pk}/hours/pending/"
    pending.refresh_from_db()
    assert pending.cosigned_by == org.applicant and pending.state == "open"
    response = staff.post(
        f"/org/{org.pk}/hours/pending/{pending.pk}/cosign/", {"approve": "1"}, follow=True
    )
    assert list(response.context["messages"])[-1].level_tag == "error"  # not twice


def test_staff_refuse_a_pending_credit(org, pending, staff):
    staff.post(f"/org/{org.pk}/hours/pending/{pending.pk}/cosign/", {"approve": "0"})
    pending.refresh_from_db()
    assert pending.state == "refused"
    assert not LedgerEntry.objects.exists()


def test_the_activity_console_links_to_the_screen_and_the_board(org, activity, staff):
    response = staff.get(f"/org/{org.pk}/activities/{activity.pk}/")
    assert _screen(org, activity).encode() in response.content
    assert _board(org, activity).encode() in response.content


def test_a_check_in_on_the_page_reads_the_registration_once(activity, person, phone):
    """A scanned QR code opens this page in a rush: the session and the user, then the
    registration with its activity and today's attendance in one query, then the writes."""
    phone.get(_url(activity))  # the session is known
    with time_machine.travel(_at(activity, 13, 2), tick=False):
        token, _expires = codes.qr_token_make(activity.pk, activity.start_date)
        with CaptureQueriesContext(connection) as posted:
            response = phone.post(_url(activity), {"action": "checkin", "t": token, **HERE_WGS})
        assert response.status_code == 302
        with CaptureQueriesContext(connection) as shown:
            response = phone.get(_url(activity))
        assert _state(response) == "checkout"
    for queries, most in ((posted, 5), (shown, 3)):
        sql = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
        assert len(sql) <= most, sql
        assert sum('FROM "signups_signup"' in q for q in sql) == 1, sql
        assert not any(q.startswith('SELECT "activities_activity"') for q in sql), sql


@pytest.mark.parametrize(
    ("language", "far_away", "within"),
    [("zh-hans", r"约 1\d{3} 公里，", "500 米"), ("en", r"about 1,\d{3} km from", "500 m")],
)
def test_a_check_in_from_another_city_says_how_far_in_kilometres(
    activity, person, language, far_away, within, request
):
    # The page's LocaleMiddleware leaves its language active in this thread after the request.
    request.addfinalizer(translation.deactivate)
    phone = Client(headers={"Accept-Language": language})
    phone.force_login(person)
    beijing = {"lat": "39.9042", "lng": "116.4074"}  # ≈ 1,070 km from the activity
    code = codes.day_code(activity.pk, activity.start_date)
    with time_machine.travel(_at(activity, 13), tick=False):
        response = phone.post(_url(activity), {"action": "checkin", "code": code, **beijing})

    assert response.status_code == 400
    error = response.context["error"]
    assert re.search(far_away, error), error
    assert within in error
    page = response.content.decode()
    assert within in page  # "be within 500 m of the activity" under the button
