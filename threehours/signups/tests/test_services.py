"""Registration rules of docs/product.md §3: every refusal leaves the database unchanged."""

import contextlib
import datetime as dt

import pytest
import time_machine

from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.core.errors import InvalidInput
from threehours.core.timeutil import local_today
from threehours.notifications.models import Delivery, Message
from threehours.signups import errors, services
from threehours.signups.models import Reminder, Signup

from .factories import published_activity, volunteers

pytestmark = pytest.mark.django_db


def _snapshot(activity):
    activity.refresh_from_db()
    return (
        activity.places_taken,
        list(Signup.objects.order_by("pk").values_list("pk", "status")),
        Message.objects.count(),
    )


def _refused(code, activity, volunteer, **kwargs):
    before = _snapshot(activity)
    with pytest.raises(errors.DomainError if code == "invalid_input" else Exception) as caught:
        services.signup_create(activity=activity, volunteer=volunteer, **kwargs)
    assert caught.value.code == code
    assert _snapshot(activity) == before  # nothing half-written
    return caught.value


def _question_ids(activity):
    return [str(q.pk) for q in activity.questions.all()]


def test_register_confirms_takes_a_place_and_notifies(org, volunteer):
    activity = published_activity(org)
    [qid] = _question_ids(activity)
    signup = services.signup_create(activity=activity, volunteer=volunteer, answers={qid: "上海"})
    activity.refresh_from_db()
    assert signup.status == "confirmed" and signup.answers == {qid: "上海"}
    assert activity.places_taken == 1
    message = Message.objects.get(recipient=volunteer)
    assert message.title == "报名成功" and activity.title in message.body


def test_without_a_bound_phone_registration_is_refused(org, email_user):
    activity = published_activity(org)
    error = _refused("phone_not_bound", activity, email_user, answers={})
    assert error.status == 400


def test_after_the_deadline_registration_is_closed(org, volunteer):
    activity = published_activity(org)
    [qid] = _question_ids(activity)
    later = activity.registration_deadline + dt.timedelta(days=1)
    with time_machine.travel(dt.datetime.combine(later, dt.time(9, 0)).astimezone(), tick=False):
        _refused("registration_closed", activity, volunteer, answers={qid: "x"})
    # on the deadline itself it is still open
    on = dt.datetime.combine(activity.registration_deadline, dt.time(23, 0)).astimezone()
    with time_machine.travel(on, tick=False):
        assert services.signup_create(activity=activity, volunteer=volunteer, answers={qid: "x"})


def test_a_cancelled_activity_takes_no_registrations(org, volunteer):
    from threehours.activities import services as activity_services

    activity = published_activity(org)
    activity_services.activity_cancel(activity=activity, user=org.applicant, reason="暴雨")
    activity.refresh_from_db()
    _refused("registration_closed", activity, volunteer, answers={})


def test_required_answers_and_choices_are_enforced(org, volunteer):
    activity = published_activity(
        org,
        questions=[
            {"text": "所在城市", "kind": "text", "required": True},
            {"text": "T恤尺码", "kind": "choice", "choices": ["S", "M", "L"], "required": False},
        ],
    )
    city, size = _question_ids(activity)
    error = _refused("invalid_input", activity, volunteer, answers={size: "XXL"})
    assert set(error.fields) == {f"answers.{city}", f"answers.{size}"}
    error = _refused("invalid_input", activity, volunteer, answers={city: "上海", "999": "?"})
    assert set(error.fields) == {"answers.999"}
    assert services.signup_create(
        activity=activity, volunteer=volunteer, answers={city: "上海", size: "M"}
    ).answers == {city: "上海", size: "M"}


def test_registering_twice_is_refused_even_when_full(org, volunteer):
    activity = published_activity(org, places=1, questions=[])
    services.signup_create(activity=activity, volunteer=volunteer)
    _refused("already_registered", activity, volunteer)
    _refused("already_registered", activity, volunteer, join_waitlist=True)


def test_full_activity_refuses_or_waitlists_on_request(org):
    activity = published_activity(org, places=1, questions=[])
    first, second, third = volunteers(3)
    services.signup_create(activity=activity, volunteer=first)
    _refused("activity_full", activity, second)
    waiting = services.signup_create(activity=activity, volunteer=second, join_waitlist=True)
    assert waiting.status == "waiting"
    activity.refresh_from_db()
    assert activity.places_taken == 1
    Activity.objects.filter(pk=activity.pk).update(waitlist_enabled=False)
    activity.refresh_from_db()
    _refused("activity_full", activity, third, join_waitlist=True)


def test_the_waiting_list_is_off_by_default_for_online_activities(org):
    from .factories import online_activity

    offline = published_activity(org, places=1, questions=[])
    online = online_activity(org, places=1)
    assert offline.waitlist_enabled and online.online and not online.waitlist_enabled
    first, second = volunteers(2)
    services.signup_create(activity=online, volunteer=first)
    _refused("activity_full", online, second, join_waitlist=True)
    services.signup_create(activity=offline, volunteer=first)
    waiting = services.signup_create(activity=offline, volunteer=second, join_waitlist=True)
    assert waiting.status == "waiting"


def test_staff_review_registrations_hold_a_place_while_pending(org):
    activity = published_activity(org, places=1, questions=[])
    Activity.objects.filter(pk=activity.pk).update(screening="review")
    activity.refresh_from_db()
    first, second = volunteers(2)
    pending = services.signup_create(activity=activity, volunteer=first)
    assert pending.status == "pending"
    _refused("activity_full", activity, second)
    services.signup_accept(signup=pending, staff=org.applicant)
    assert Signup.objects.get(pk=pending.pk).status == "confirmed"


def test_cancel_frees_the_place_for_the_first_in_line(org):
    activity = published_activity(org, places=1, questions=[])
    holder, first_in_line, second_in_line = volunteers(3)
    services.signup_create(activity=activity, volunteer=holder)
    a = services.signup_create(activity=activity, volunteer=first_in_line, join_waitlist=True)
    b = services.signup_create(activity=activity, volunteer=second_in_line, join_waitlist=True)
    services.signup_cancel(activity=activity, volunteer=holder)
    assert Signup.objects.get(pk=a.pk).status == "confirmed"
    assert Signup.objects.get(pk=b.pk).status == "waiting"
    activity.refresh_from_db()
    assert activity.places_taken == 1
    promoted = Message.objects.filter(recipient=first_in_line).latest("pk")
    assert promoted.title == "候补成功"
    assert Delivery.objects.filter(recipient=first_in_line, channel="sms").exists()
    # the holder may register again (a new row), and waits now
    again = services.signup_create(activity=activity, volunteer=holder, join_waitlist=True)
    assert again.status == "waiting"


def test_leaving_the_waiting_list_frees_nothing(org):
    activity = published_activity(org, places=1, questions=[])
    holder, waiting = volunteers(2)
    services.signup_create(activity=activity, volunteer=holder)
    services.signup_create(activity=activity, volunteer=waiting, join_waitlist=True)
    services.signup_cancel(activity=activity, volunteer=waiting)
    activity.refresh_from_db()
    assert activity.places_taken == 1
    assert Signup.objects.get(volunteer=holder).status == "confirmed"


def test_cancel_after_the_deadline_is_refused(org, volunteer):
    activity = published_activity(org, questions=[])
    services.signup_create(activity=activity, volunteer=volunteer)
    later = activity.registration_deadline + dt.timedelta(days=1)
    with time_machine.travel(dt.datetime.combine(later, dt.time(9, 0)).astimezone(), tick=False):
        with pytest.raises(errors.CancellationClosed) as caught:
            services.signup_cancel(activity=activity, volunteer=volunteer)
    assert caught.value.status == 409
    assert Signup.objects.get().status == "confirmed"
    activity.refresh_from_db()
    assert activity.places_taken == 1


def test_cancel_without_a_registration_is_not_found(org, volunteer):
    activity = published_activity(org, questions=[])
    with pytest.raises(errors.SignupNotFound):
        services.signup_cancel(activity=activity, volunteer=volunteer)


def test_reject_and_remove_need_a_reason_and_free_the_place(org):
    activity = published_activity(org, places=1, questions=[])
    Activity.objects.filter(pk=activity.pk).update(screening="review")
    activity.refresh_from_db()
    applicant, waiting = volunteers(2)
    pending = services.signup_create(activity=activity, volunteer=applicant)
    services.signup_create(activity=activity, volunteer=waiting, join_waitlist=True)
    with pytest.raises(InvalidInput) as caught:
        services.signup_reject(signup=pending, staff=org.applicant, reason="  ")
    assert "reason" in caught.value.fields
    assert Signup.objects.get(pk=pending.pk).status == "pending"
    services.signup_reject(signup=pending, staff=org.applicant, reason="年龄不符合要求")
    message = Message.objects.filter(recipient=applicant).latest("pk")
    assert "年龄不符合要求" in message.body
    promoted = Signup.objects.get(volunteer=waiting)
    assert promoted.status == "pending"  # promoted, still reviewed by staff
    services.signup_accept(signup=promoted, staff=org.applicant)
    with pytest.raises(errors.SignupWrongState):
        services.signup_reject(signup=promoted, staff=org.applicant, reason="x")
    with pytest.raises(InvalidInput):
        services.signup_remove(signup=promoted, staff=org.applicant, reason="")
    services.signup_remove(signup=promoted, staff=org.applicant, reason="多次未到")
    activity.refresh_from_db()
    assert activity.places_taken == 0
    assert Signup.objects.get(pk=promoted.pk).status == "removed"


@pytest.mark.parametrize("action", ["reject", "remove"])
def test_a_reject_or_remove_reason_cannot_carry_a_payment_link(org, action):
    # Issue #12: the volunteer reads the reason; a disguised link is found as a browser would.
    activity = published_activity(org, questions=[])
    signup = services.signup_create(activity=activity, volunteer=volunteers(1)[0])
    if action == "reject":
        Signup.objects.filter(pk=signup.pk).update(status="pending")
    service = getattr(services, f"signup_{action}")
    with pytest.raises(InvalidInput) as caught:
        service(signup=signup, staff=org.applicant, reason="补交费用 qr%2Ealipay%2Ecom/fkx1")
    assert caught.value.code == "invalid_input" and set(caught.value.fields) == {"reason"}
    assert Signup.objects.get(pk=signup.pk).reason == ""
    service(signup=signup, staff=org.applicant, reason="请现场微信付款后再报名")
    assert Signup.objects.get(pk=signup.pk).reason == "请现场微信付款后再报名"


def test_a_family_that_does_not_fit_keeps_waiting_and_the_next_one_is_promoted(org):
    activity = published_activity(org, places=2, questions=[])
    a, b, c = volunteers(3)
    services.signup_create(activity=activity, volunteer=a)
    services.signup_create(activity=activity, volunteer=b)
    big = services.signup_create(activity=activity, volunteer=c, join_waitlist=True)
    Signup.objects.filter(pk=big.pk).update(seats=3)  # a family of three (family issue)
    d = volunteers(1, start=50)[0]
    small = services.signup_create(activity=activity, volunteer=d, join_waitlist=True)
    services.signup_cancel(activity=activity, volunteer=a)
    assert Signup.objects.get(pk=big.pk).status == "waiting"
    assert Signup.objects.get(pk=small.pk).status == "confirmed"


def _at(day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute)).astimezone()


def test_reminder_goes_out_the_evening_before_once_and_not_for_cancelled(org, settings):
    start = local_today() + dt.timedelta(days=3)
    activity = published_activity(
        org, questions=[], start_date=start.isoformat(), end_date=start.isoformat()
    )
    stays, cancels = volunteers(2)
    services.signup_create(activity=activity, volunteer=stays)
    services.signup_create(activity=activity, volunteer=cancels)
    services.signup_cancel(activity=activity, volunteer=cancels)
    eve = start - dt.timedelta(days=1)
    assert services.reminders_send_due(now=_at(eve, 17, 59)) == 0
    assert services.reminders_send_due(now=_at(eve, 18, 0)) == 1
    assert services.reminders_send_due(now=_at(eve, 18, 15)) == 0  # once
    assert services.reminders_send_due(now=_at(start, 18, 0)) == 0  # not the day of
    assert Reminder.objects.get().signup.volunteer == stays
    message = Message.objects.filter(recipient=stays).latest("pk")
    assert activity.title in message.title and activity.address in message.body
    assert activity.contact_phone in message.body
    assert not Message.objects.filter(recipient=cancels, title__contains="提醒").exists()


def test_no_reminder_for_a_cancelled_activity(org, volunteer):
    from threehours.activities import services as activity_services

    start = local_today() + dt.timedelta(days=3)
    activity = published_activity(
        org, questions=[], start_date=start.isoformat(), end_date=start.isoformat()
    )
    services.signup_create(activity=activity, volunteer=volunteer)
    activity_services.activity_cancel(activity=activity, user=org.applicant, reason="台风")
    assert services.reminders_send_due(now=_at(start - dt.timedelta(days=1), 19)) == 0


def _reminders(volunteer, kind):
    return Reminder.objects.filter(signup__volunteer=volunteer, kind=kind).count()


def test_afternoon_activities_get_a_reminder_the_same_morning_once(org):
    from threehours.activities import services as activity_services

    start = local_today() + dt.timedelta(days=3)
    days = {"start_date": start.isoformat(), "end_date": start.isoformat(), "questions": []}
    afternoon = published_activity(org, **days, checkin_time="12:00", checkout_time="16:00")
    morning = published_activity(org, **days, checkin_time="09:00", checkout_time="11:00")
    called_off = published_activity(org, **days, checkin_time="14:00", checkout_time="16:00")
    comes, cancels, early, stranded = volunteers(4)
    for person in (comes, cancels):
        services.signup_create(activity=afternoon, volunteer=person)
    services.signup_create(activity=morning, volunteer=early)
    services.signup_create(activity=called_off, volunteer=stranded)
    services.signup_cancel(activity=afternoon, volunteer=cancels)
    activity_services.activity_cancel(activity=called_off, user=org.applicant, reason="台风")

    with time_machine.travel(_at(start, 7, 59), tick=False):
        assert services.reminders_send_due() == 0
    with time_machine.travel(_at(start, 8, 0), tick=False):
        assert services.reminders_send_due() == 1
    with time_machine.travel(_at(start, 8, 15), tick=False):
        assert services.reminders_send_due() == 0  # once
    assert _reminders(comes, "morning") == 1
    message = Message.objects.filter(recipient=comes).latest("pk")
    assert afternoon.title in message.title and "12:00" in message.body
    assert afternoon.contact_phone in message.body
    for person in (cancels, early, stranded):
        assert not Reminder.objects.filter(signup__volunteer=person).exists()
        assert not Message.objects.filter(recipient=person, title__contains="提醒").exists()


def test_the_evening_and_the_morning_reminder_are_both_sent_once(org, volunteer):
    start = local_today() + dt.timedelta(days=3)
    activity = published_activity(
        org,
        questions=[],
        start_date=start.isoformat(),
        end_date=start.isoformat(),
        checkin_time="13:00",
        checkout_time="17:00",
    )
    services.signup_create(activity=activity, volunteer=volunteer)
    with time_machine.travel(_at(start - dt.timedelta(days=1), 18), tick=False):
        assert services.reminders_send_due() == 1
    with time_machine.travel(_at(start, 8, 30), tick=False):
        assert services.reminders_send_due() == 1
        assert services.reminders_send_due() == 0
    with time_machine.travel(_at(start, 12, 0), tick=False):
        assert services.reminders_send_due() == 0  # the morning round ends at noon
    assert _reminders(volunteer, "evening") == 1 and _reminders(volunteer, "morning") == 1


def test_the_place_count_matches_the_rows(org):
    activity = published_activity(org, places=3, questions=[])
    people = volunteers(5)
    for person in people:
        with contextlib.suppress(errors.ActivityFull):
            services.signup_create(activity=activity, volunteer=person)
    activity.refresh_from_db()
    assert activity.places_taken == 3 == Signup.objects.holding_place().count()
    assert User.objects.count() >= 5
