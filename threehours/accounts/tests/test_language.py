"""Each person has a language (issue #13 §5): the switch records it, log-in applies it, and what
is written to them (inbox, SMS) is in it — not in the language of whoever caused the message."""

import pytest
from django.conf import settings
from django.test import Client

from threehours.accounts.language import user_language
from threehours.accounts.models import User
from threehours.notifications.models import Delivery, Message
from threehours.orgs.tests.factories import approved_org
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import published_activity, volunteers

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.fixture(autouse=True)
def _lists(regions, attributes):
    pass


def test_a_new_user_is_written_to_in_chinese(volunteer):
    assert user_language(User.objects.get(pk=volunteer.pk)) == "zh-hans"


def test_a_user_who_never_chose_follows_the_browser_and_english_becomes_theirs(volunteer):
    chinese = Client(headers={"accept-language": "zh-CN"})
    chinese.force_login(volunteer)
    assert '<html lang="zh-hans"' in chinese.get("/activities/").content.decode()
    assert User.objects.get(pk=volunteer.pk).language == ""  # the default: nothing written

    english = Client(headers={"accept-language": "en"})
    english.force_login(volunteer)
    assert '<html lang="en"' in english.get("/activities/").content.decode()
    assert User.objects.get(pk=volunteer.pk).language == "en"


def test_the_switch_records_a_logged_in_users_language(client, volunteer):
    client.force_login(volunteer)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/activities/"})
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "en"
    assert User.objects.get(pk=volunteer.pk).language == "en"
    assert '<html lang="en"' in client.get("/activities/").content.decode()

    client.post("/i18n/setlang/", {"language": "xx"})  # not a language of the site
    assert User.objects.get(pk=volunteer.pk).language == "en"


def test_an_anonymous_visitor_keeps_the_cookie_alone(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.cookies[COOKIE].value == "en"
    assert '<html lang="en"' in client.get("/activities/").content.decode()


def test_log_in_applies_the_users_language_over_the_browsers(volunteer):
    User.objects.filter(pk=volunteer.pk).update(language="en")
    browser = Client(headers={"accept-language": "zh-CN"})
    browser.cookies[COOKIE] = "zh-hans"
    assert '<html lang="zh-hans"' in browser.get("/activities/").content.decode()
    browser.force_login(volunteer)
    response = browser.get("/activities/")
    assert '<html lang="en"' in response.content.decode()
    assert response.cookies[COOKIE].value == "en"  # and it stays after log-out


def _review_activity(operator):
    org = approved_org(operator=operator)
    return org, published_activity(org, questions=[], screening="review")


@pytest.mark.parametrize(
    ("staff_language", "volunteer_language", "title", "reason_word"),
    [
        ("en", "zh-hans", "报名未通过", "原因"),
        ("zh-hans", "en", "Registration not accepted", "Reason"),
    ],
)
def test_a_rejection_is_written_in_the_volunteers_language_not_the_staffs(
    operator, staff_language, volunteer_language, title, reason_word
):
    org, activity = _review_activity(operator)
    User.objects.filter(pk=org.applicant_id).update(language=staff_language)
    (person,) = volunteers(1)
    User.objects.filter(pk=person.pk).update(language=volunteer_language)
    signup = signup_services.signup_create(activity=activity, volunteer=person)

    staff = Client()
    staff.cookies[COOKIE] = staff_language
    staff.force_login(org.applicant)
    response = staff.post(
        f"/org/{org.pk}/registrations/{signup.pk}/reject/", {"reason": "名额已满 / full"}
    )
    assert response.status_code == 302

    message = Message.objects.filter(recipient=person).latest("pk")
    assert message.title == title
    assert f"{reason_word}" in message.body
    sms = Delivery.objects.get(recipient=person, channel=Delivery.Channel.SMS)
    assert sms.body.startswith(title)


def test_a_change_is_told_to_each_registrant_in_their_language_with_their_dates(
    operator, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import translation
    from django.utils.formats import date_format

    from threehours.activities import services as activity_services

    org = approved_org(operator=operator)
    activity = published_activity(org, questions=[])
    chinese, english = volunteers(2)
    User.objects.filter(pk=english.pk).update(language="en")
    for person in (chinese, english):
        signup_services.signup_create(activity=activity, volunteer=person)
    later = activity.start_date + dt.timedelta(days=1)
    data = {
        **activity_services.activity_as_data(activity),
        "start_date": later,
        "end_date": later,
        "registration_deadline": later,
    }
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        activity_services.activity_update(activity=activity, user=org.applicant, data=data)

    to_chinese = Message.objects.filter(recipient=chinese).latest("pk")
    to_english = Message.objects.filter(recipient=english).latest("pk")
    assert to_chinese.title == "活动有变更" and "日期" in to_chinese.body
    assert later.isoformat() in to_chinese.body
    with translation.override("en"):
        english_day = date_format(later, "DATE_FORMAT")
    assert to_english.title == "Activity changed" and "Dates" in to_english.body
    assert english_day in to_english.body and later.isoformat() not in to_english.body


def test_an_english_operators_approval_reaches_a_chinese_applicant_in_chinese(operator):
    from django.utils import translation

    from threehours.orgs import services as org_services
    from threehours.orgs.tests.factories import submitted_org

    org = submitted_org()
    User.objects.filter(pk=operator.pk).update(language="en")
    with translation.override("en"):  # the operator's request
        org_services.org_approve(org=org, operator=operator)
    message = Message.objects.filter(recipient=org.applicant).latest("pk")
    assert message.title == "入驻申请已通过"
    assert org.name in message.body and "Welcome" not in message.body


def test_a_chinese_coordinators_correction_reaches_an_english_volunteer_in_english(operator):
    import datetime as dt

    from django.utils import translation
    from django.utils.formats import date_format

    from threehours.attendance import services as attendance_services
    from threehours.signups.tests.factories import attended

    org = approved_org(operator=operator)
    activity = published_activity(org, questions=[])
    (person,) = volunteers(1)
    User.objects.filter(pk=person.pk).update(language="en")
    person.refresh_from_db()
    signup = attended(org, activity, person, until=(13, 30))
    day = activity.start_date
    with translation.override("zh-hans"):  # the coordinator's request
        attendance_services.attendance_correct(
            signup=signup,
            staff=org.applicant,
            day=day,
            checkin_at=dt.time(13),
            checkout_at=dt.time(14),
            reason="手机没电",
            today=day + dt.timedelta(days=1),
        )
    message = Message.objects.filter(recipient=person).latest("pk")
    with translation.override("en"):
        english_day = date_format(day, "DATE_FORMAT")
    assert message.title == "Your hours were corrected"
    assert english_day in message.body and "Reason" in message.body
