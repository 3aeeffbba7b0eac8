"""我的公益时: totals, entries by activity and day with corrections and their reasons, pending
credits to confirm or dispute; hours on the cards of my activities (issue #6)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from threehours.attendance import services as attendance_services
from threehours.core.timeutil import local_tz
from threehours.hours import selectors
from threehours.hours.models import PendingCredit
from threehours.signups import services as signup_services
from threehours.signups.models import Signup
from threehours.signups.tests.factories import published_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(org):
    return published_activity(org, title="社区图书角整理", questions=[], places=50)


@pytest.fixture
def person(activity, volunteer):
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    return volunteer


@pytest.fixture
def phone(person):
    client = Client()
    client.force_login(person)
    return client


def _at(activity, hh, mm=0, day=0):
    return dt.datetime.combine(
        activity.start_date + dt.timedelta(days=day), dt.time(hh, mm), tzinfo=local_tz()
    )


def _attend(activity, person, staff, start=(13, 0), end=(14, 0)):
    with time_machine.travel(_at(activity, *start), tick=False):
        attendance_services.attendance_check_in(activity=activity, volunteer=person, staff=staff)
    with time_machine.travel(_at(activity, *end), tick=False):
        attendance_services.attendance_check_out(activity=activity, volunteer=person, staff=staff)


def test_my_hours_needs_a_login():
    response = Client().get("/me/hours/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_my_hours_with_nothing_yet(phone):
    response = phone.get("/me/hours/")
    assert response.status_code == 200
    assert response.context["totals"].total == Decimal("0")
    assert response.context["groups"] == []


def test_my_hours_shows_totals_entries_and_corrections(org, activity, person, phone):
    _attend(activity, person, org.applicant)
    signup = Signup.objects.get(volunteer=person)
    with time_machine.travel(_at(activity, 20), tick=False):
        attendance_services.attendance_correct(
            signup=signup,
            day=activity.start_date,
            checkin_at=dt.time(13, 0),
            checkout_at=dt.time(13, 30),
            staff=org.applicant,
            reason="提前离开了",
        )
    response = phone.get("/me/hours/")
    totals = response.context["totals"]
    assert (totals.service_hours, totals.online_hours, totals.total) == (
        Decimal("0.5"),
        Decimal("0"),
        Decimal("0.5"),
    )
    [group] = response.context["groups"]
    assert group["activity"] == activity and group["hours"] == Decimal("0.5")
    assert [(e.entry_type, e.hours) for e in group["entries"]] == [
        ("credit", Decimal("1.0")),
        ("correction", Decimal("-0.5")),
    ]
    body = response.content.decode()
    assert "社区图书角整理" in body and "提前离开了" in body and "-0.5" in body and "+1.0" in body
    assert 'data-testid="hours-total">0.5<' in body


@pytest.fixture
def pending(org, activity, person):
    with time_machine.travel(_at(activity, 13), tick=False):
        attendance_services.attendance_check_in(
            activity=activity, volunteer=person, staff=org.applicant
        )
    attendance_services.pending_credits_create_due(now=_at(activity, 1, day=1))
    return PendingCredit.objects.get()


def test_a_pending_credit_is_confirmed_and_credited_after_the_cosign(org, pending, phone):
    response = phone.get("/me/hours/")
    assert list(response.context["pending"]) == [pending]
    assert b'data-testid="confirm"' in response.content
    response = phone.post(f"/me/hours/pending/{pending.pk}/", {"agree": "1"})
    assert response.status_code == 302 and response["Location"] == "/me/hours/"
    pending.refresh_from_db()
    assert pending.volunteer_confirmed_at is not None and pending.state == "open"
    attendance_services.pending_credit_cosign(pending=pending, staff=org.applicant)
    response = phone.get("/me/hours/")
    assert response.context["totals"].total == Decimal("1.0")
    assert list(response.context["pending"]) == []


def test_a_pending_credit_is_disputed_with_a_note(pending, phone):
    phone.post(f"/me/hours/pending/{pending.pk}/", {"agree": "0", "note": "我 15 点才走"})
    pending.refresh_from_db()
    assert (pending.state, pending.volunteer_note) == ("disputed", "我 15 点才走")
    response = phone.post(f"/me/hours/pending/{pending.pk}/", {"agree": "1"}, follow=True)
    assert list(response.context["messages"])[-1].level_tag == "error"  # no longer open


def test_someone_elses_pending_credit_is_not_found(pending, outsider):
    client = Client()
    client.force_login(outsider)
    assert client.post(f"/me/hours/pending/{pending.pk}/", {"agree": "1"}).status_code == 404
    pending.refresh_from_db()
    assert pending.volunteer_confirmed_at is None


def test_hours_by_activity_sums_credits_and_corrections(org, activity, person):
    assert selectors.hours_by_activity(volunteer=person) == {}
    _attend(activity, person, org.applicant, end=(13, 45))
    assert selectors.hours_by_activity(volunteer=person) == {activity.pk: Decimal("0.8")}


def test_my_activities_cards_show_the_credited_hours(org, activity, person, phone):
    _attend(activity, person, org.applicant)
    with time_machine.travel(_at(activity, 10, day=1), tick=False):
        response = phone.get("/me/activities/?tab=finished")
    assert b'data-testid="my-activity-hours"' in response.content
    assert response.context["rows"][0].credited_hours == Decimal("1.0")


def test_the_me_page_links_to_my_hours(phone):
    assert b'href="/me/hours/"' in phone.get("/me/").content


def test_after_a_correction_the_pages_and_the_message_show_hours_with_one_decimal(
    org, activity, person, phone
):
    """1.0 h credited, then corrected to 0.6 h: SQLite sums the ledger to 0.600000000000000,
    which the cards showed as "已记入 0.600000000000000 小时"."""
    from threehours.notifications.models import Message

    _attend(activity, person, org.applicant)
    with time_machine.travel(_at(activity, 20), tick=False):
        attendance_services.attendance_correct(
            signup=Signup.objects.get(volunteer=person),
            day=activity.start_date,
            checkin_at=dt.time(13, 0),
            checkout_at=dt.time(13, 36),
            staff=org.applicant,
            reason="提前离开了",
        )
    with time_machine.travel(_at(activity, 10, day=1), tick=False):
        cards = phone.get("/me/activities/?tab=finished").content.decode()
    hours_page = phone.get("/me/hours/").content.decode()

    assert "0.60000" not in cards and "0.60000" not in hours_page
    assert '<a href="/me/hours/">0.6 小时</a>' in cards
    assert "每天最多 1.0 小时" in cards
    assert 'data-testid="hours-total">0.6<' in hours_page
    assert ">+1.0<" in hours_page and ">-0.4<" in hours_page
    told = Message.objects.filter(recipient=person).order_by("pk").last()
    assert "0.6 小时" in told.body, told.body
