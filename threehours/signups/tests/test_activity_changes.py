"""Issue #4 §3 / #5 §6: once registrations exist, changes of dates, times or place and a
cancellation are told to every registrant; places cannot drop below those taken."""

import datetime as dt

import pytest

from threehours.activities import services as activity_services
from threehours.core.errors import InvalidInput
from threehours.notifications.models import Delivery, Message
from threehours.signups import services

from .factories import published_activity, volunteers

pytestmark = pytest.mark.django_db


def _update(activity, **changes):
    data = {**activity_services.activity_as_data(activity), **changes}
    return activity_services.activity_update(
        activity=activity, user=activity.organisation.applicant, data=data
    )


def test_places_cannot_drop_below_those_taken(org):
    activity = published_activity(org, places=5, questions=[])
    for person in volunteers(3):
        services.signup_create(activity=activity, volunteer=person)
    with pytest.raises(InvalidInput) as caught:
        _update(activity, places=2)
    assert "places" in caught.value.fields
    assert _update(activity, places=3).places == 3


def test_a_change_of_time_or_place_is_told_to_registrants(org, django_capture_on_commit_callbacks):
    activity = published_activity(org, questions=[])
    stays, leaves = volunteers(2)
    services.signup_create(activity=activity, volunteer=stays)
    services.signup_create(activity=activity, volunteer=leaves)
    services.signup_cancel(activity=activity, volunteer=leaves)
    with django_capture_on_commit_callbacks(execute=True):
        _update(activity, title="新的标题")  # not a change of when or where
    assert not Message.objects.filter(title="活动有变更").exists()
    with django_capture_on_commit_callbacks(execute=True):
        _update(activity, checkin_time=dt.time(9), checkout_time=dt.time(11))
    message = Message.objects.get(title="活动有变更")
    assert message.recipient == stays
    assert "13:00–14:00 → 09:00–11:00" in message.body
    assert Delivery.objects.filter(recipient=stays, channel="sms").exists()


def test_cancelling_tells_every_registrant(org, django_capture_on_commit_callbacks):
    activity = published_activity(org, places=1, questions=[])
    holder, waiting = volunteers(2)
    services.signup_create(activity=activity, volunteer=holder)
    services.signup_create(activity=activity, volunteer=waiting, join_waitlist=True)
    with django_capture_on_commit_callbacks(execute=True):
        activity_services.activity_cancel(activity=activity, user=org.applicant, reason="台风预警")
    told = Message.objects.filter(title="活动已取消")
    assert {m.recipient for m in told} == {holder, waiting}
    assert all("台风预警" in m.body for m in told)


def test_screening_and_waiting_list_are_set_in_the_form_and_api(api, org):
    from threehours.activities.tests.factories import activity_data

    staff = api.as_user(org.applicant)
    body = staff.post(
        f"orgs/{org.pk}/activities", activity_data(screening="review", waitlist_enabled=False)
    ).json()
    assert (body["screening"], body["waitlist_enabled"]) == ("review", False)
    body = staff.post(f"orgs/{org.pk}/activities", activity_data()).json()
    assert (body["screening"], body["waitlist_enabled"]) == ("auto", True)  # offline default
    response = staff.patch(f"orgs/{org.pk}/activities/{body['id']}", {"screening": "maybe"})
    assert response.status_code == 400
