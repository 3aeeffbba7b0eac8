"""Registration operations of docs/api.md: each refusal code, and nothing written when refused."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from threehours.activities.models import Activity
from threehours.orgs.tests.factories import applicant, approved_org
from threehours.signups import services
from threehours.signups.models import Signup

from .factories import published_activity, volunteers

pytestmark = pytest.mark.django_db


def _path(activity):
    return f"activities/{activity.pk}/registrations"


def _unchanged(activity, count):
    activity.refresh_from_db()
    return Signup.objects.count() == count and activity.places_taken == count


def test_register_answers_201_with_the_status(api, org, volunteer):
    activity = published_activity(org)
    [question] = activity.questions.all()
    response = api.as_user(volunteer).post(_path(activity), {"answers": {str(question.pk): "上海"}})
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "confirmed"
    detail = api.get(f"activities/{activity.pk}").json()
    assert detail["places_left"] == activity.places - 1


def test_refusals_carry_the_api_codes_and_write_nothing(api, org, email_user, volunteer):
    activity = published_activity(org, places=1, questions=[])
    response = api.as_user(email_user).post(_path(activity), {"share_consent": True})
    assert (response.status_code, response.json()["code"]) == (400, "phone_not_bound")
    client = api.as_user(volunteer)
    assert client.post(_path(activity), {}).status_code == 201
    response = client.post(_path(activity), {})
    assert (response.status_code, response.json()["code"]) == (409, "already_registered")
    other = api.as_user(volunteers(1)[0])
    response = other.post(_path(activity), {})
    assert (response.status_code, response.json()["code"]) == (409, "activity_full")
    assert _unchanged(activity, 1)
    later = activity.registration_deadline + dt.timedelta(days=1)
    with time_machine.travel(dt.datetime.combine(later, dt.time(8)).astimezone(), tick=False):
        response = other.post(_path(activity), {"join_waitlist": True})
    assert (response.status_code, response.json()["code"]) == (409, "registration_closed")
    assert _unchanged(activity, 1)
    response = other.post(_path(activity), {"join_waitlist": True})
    assert (response.status_code, response.json()["status"]) == (201, "waiting")


def test_missing_required_answer_is_a_field_error(api, org, volunteer):
    activity = published_activity(org)
    [question] = activity.questions.all()
    response = api.as_user(volunteer).post(_path(activity), {"answers": {}})
    assert response.status_code == 400
    assert f"answers.{question.pk}" in response.json()["fields"]
    assert _unchanged(activity, 0)


def test_anonymous_and_unknown_activity(api, org, volunteer):
    activity = published_activity(org, questions=[])
    assert api.post(_path(activity), {}).status_code == 401
    draft = Activity.objects.create(
        **{
            f.name: getattr(activity, f.name)
            for f in Activity._meta.concrete_fields
            if f.name not in ("id",)
        }
        | {"state": "draft"}
    )
    response = api.as_user(volunteer).post(_path(draft), {})
    assert response.status_code == 404


def test_cancel_is_204_before_the_deadline_and_409_after(api, org, volunteer):
    activity = published_activity(org, questions=[])
    client = api.as_user(volunteer)
    client.post(_path(activity), {})
    later = activity.registration_deadline + dt.timedelta(days=1)
    with time_machine.travel(dt.datetime.combine(later, dt.time(8)).astimezone(), tick=False):
        response = client.delete(f"{_path(activity)}/me")
    assert (response.status_code, response.json()["code"]) == (409, "cancellation_closed")
    assert client.delete(f"{_path(activity)}/me").status_code == 204
    assert client.delete(f"{_path(activity)}/me").status_code == 404
    activity.refresh_from_db()
    assert activity.places_taken == 0


def test_my_registrations_are_grouped_by_phase(api, org, volunteer):
    activity = published_activity(org, questions=[])
    client = api.as_user(volunteer)
    client.post(_path(activity), {})
    body = client.get("me/registrations").json()
    assert [r["activity"]["id"] for r in body["upcoming"]] == [activity.pk]
    card = body["upcoming"][0]
    assert card["can_cancel"] is True and card["status"] == "confirmed"
    assert card["activity"]["contact_phone"] == activity.contact_phone
    assert body["in_progress"] == [] and body["finished"] == []


def test_staff_list_registrants_and_reject_with_a_reason(api, org, volunteer, operator):
    activity = published_activity(org)
    Activity.objects.filter(pk=activity.pk).update(screening="review")
    [question] = activity.questions.all()
    api.as_user(volunteer).post(_path(activity), {"answers": {str(question.pk): "上海"}})
    staff = api.as_user(org.applicant)
    body = staff.get(f"orgs/{org.pk}/activities/{activity.pk}/registrations").json()
    [row] = body["items"]
    assert row["status"] == "pending" and row["volunteer"]["phone"] == volunteer.phone_masked
    assert row["answers"] == [
        {"question_id": question.pk, "question": "所在城市", "answer": "上海"}
    ]
    reject = f"orgs/{org.pk}/registrations/{row['id']}/reject"
    response = staff.post(reject, {"reason": ""})
    assert response.status_code == 400 and "reason" in response.json()["fields"]
    assert staff.post(reject, {"reason": "名额留给本社区居民"}).json()["status"] == "rejected"
    inbox = api.as_user(volunteer).get("me/messages").json()
    assert "名额留给本社区居民" in str(inbox)
    # another organisation sees nothing
    other = approved_org(operator=operator, user=applicant("other@ngo.example.cn"))
    stranger = api.as_user(other.applicant)
    assert stranger.get(f"orgs/{org.pk}/activities/{activity.pk}/registrations").status_code == 404
    assert (
        stranger.get(f"orgs/{other.pk}/activities/{activity.pk}/registrations").status_code == 404
    )
    for verb in ("accept", "reject", "remove"):
        path = f"orgs/{other.pk}/registrations/{row['id']}/{verb}"
        assert stranger.post(path, {"reason": "x"} if verb != "accept" else None).status_code == 404


def test_one_registration_costs_at_most_seven_queries(api, org, volunteer):
    """Token, activity, the share_with_org consent (issue #16), questions, insert, place
    update, inbox message. (The test's own
    transaction turns the service's BEGIN/COMMIT into savepoints; they are not counted.)"""
    activity = published_activity(org)
    [question] = activity.questions.all()
    client = api.as_user(volunteer)
    client.get("me/registrations")  # the token's last-used time is written once
    with CaptureQueriesContext(connection) as queries:
        response = client.post(_path(activity), {"answers": {str(question.pk): "上海"}})
    assert response.status_code == 201
    sql = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(sql) <= 7, sql


def test_a_registration_without_questions_reads_none(api, org, volunteer):
    """The activity's read counts its questions; with none there is no read of them: token,
    activity, the share_with_org consent (one indexed read), insert, inbox message, place
    update."""
    activity = published_activity(org, questions=[])
    client = api.as_user(volunteer)
    client.get("me/registrations")  # the token's last-used time is written once
    with CaptureQueriesContext(connection) as queries:
        response = client.post(_path(activity), {})
    assert response.status_code == 201
    sql = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(sql) == 6, sql
    assert not [s for s in sql if 'FROM "activities_question"' in s], "the ORM's question read"
    assert len([s for s in sql if 'FROM "accounts_consent"' in s]) == 1


def test_staff_list_shows_each_registrants_history(api, org, django_assert_max_num_queries):
    from threehours.attendance import services as attendance_services

    from .factories import attended, online_activity

    veteran, newcomer, *more = volunteers(10)
    attended(org, published_activity(org, questions=[], title="上次的活动"), veteran)
    attended(org, online_activity(org, title="线上课"), veteran, until=())
    missed = published_activity(org, questions=[], title="缺席的活动")
    attendance_services.no_show_mark(
        signup=services.signup_create(activity=missed, volunteer=veteran),
        day=missed.start_date,
        staff=org.applicant,
        today=missed.start_date + dt.timedelta(days=1),
    )
    left = published_activity(org, questions=[], title="被移出")
    services.signup_remove(
        signup=services.signup_create(activity=left, volunteer=veteran),
        staff=org.applicant,
        reason="未到场",
    )
    activity = published_activity(org, questions=[], places=50)
    services.signup_create(activity=activity, volunteer=veteran)
    services.signup_create(activity=activity, volunteer=newcomer)
    staff = api.as_user(org.applicant)
    path = f"orgs/{org.pk}/activities/{activity.pk}/registrations"
    staff.get(path)  # the token's last-used time is written once
    with django_assert_max_num_queries(9) as few:
        body = staff.get(path).json()
    history = {row["volunteer"]["id"]: row["history"] for row in body["items"]}
    assert history[veteran.pk] == {
        "total_hours": 1.1,
        "service_hours": 1.0,
        "online_hours": 0.1,
        "activities_attended": 2,
        "no_shows": 1,
        "times_removed": 1,
        "past_activities": 0,  # nothing has ended yet
    }
    assert history[newcomer.pk]["activities_attended"] == 0
    assert history[newcomer.pk]["total_hours"] == 0.0
    for person in more:
        services.signup_create(activity=activity, volunteer=person)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(staff.get(path).json()["items"]) == 10


def test_my_registrations_carry_the_hours_earned_with_corrections(
    api, org, volunteer, django_assert_max_num_queries
):
    from threehours.attendance import services as attendance_services

    from .factories import attended, local_at, online_activity

    corrected = published_activity(org, questions=[], title="探访", places=50)
    signup = attended(org, corrected, volunteer, until=(13, 30))  # 0.5 h credited
    attendance_services.attendance_correct(
        signup=signup,
        day=corrected.start_date,
        checkin_at=local_at(corrected.start_date, 13),
        checkout_at=local_at(corrected.start_date, 14),
        staff=org.applicant,
        reason="签退晚了，补记",
        today=corrected.start_date,
    )  # a +0.5 h correction
    attended(org, online_activity(org, title="线上课"), volunteer, until=())  # 0.1 h online
    waiting = published_activity(org, questions=[], title="未开始")
    services.signup_create(activity=waiting, volunteer=volunteer)
    client = api.as_user(volunteer)
    client.get("me/registrations")  # the token's last-used time is written once
    with django_assert_max_num_queries(4) as few:
        body = client.get("me/registrations").json()
    cards = {c["activity"]["id"]: c for tab in body.values() for c in tab}
    assert cards[corrected.pk]["hours_earned"] == 1.0
    assert cards[corrected.pk]["hours_to_earn"] == 1.0
    assert [c["hours_earned"] for c in cards.values() if c["activity"]["online"]] == [0.1]
    assert cards[waiting.pk]["hours_earned"] == 0.0
    for i in range(3):
        services.signup_create(
            activity=published_activity(org, questions=[], title=f"更多{i}"), volunteer=volunteer
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert sum(len(tab) for tab in client.get("me/registrations").json().values()) == 6


def test_only_published_activities_of_active_organisations_take_registrations(
    api, org, operator, volunteer
):
    from threehours.activities import services as activity_services
    from threehours.activities.tests.factories import activity_data
    from threehours.orgs.services import org_suspend

    client = api.as_user(volunteer)
    draft = activity_services.activity_create(org=org, user=org.applicant, data=activity_data())
    assert client.post(_path(draft), {}).json()["code"] == "not_found"
    # Beyond the database's ids: refused before any query (issue #12 §6).
    beyond = client.post(f"activities/{2**63}/registrations", {})
    assert beyond.status_code == 400 and set(beyond.json()["fields"]) == {"activity_id"}
    activity = published_activity(org, questions=[])
    org_suspend(org=org, operator=operator, reason="资质核查中")
    response = client.post(_path(activity), {})
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert Signup.objects.count() == 0


def test_my_registrations_say_an_attended_registration_cannot_be_cancelled(api, org, volunteer):
    """The API's can_cancel is the rule signup_cancel enforces (signups.rules): before the
    deadline, but attended, so not cancellable (it said true before)."""
    from .factories import attended

    attended(org, published_activity(org, questions=[], places=50), volunteer)
    body = api.as_user(volunteer).get("me/registrations").json()
    [card] = [c for tab in body.values() for c in tab]
    assert card["can_cancel"] is False
