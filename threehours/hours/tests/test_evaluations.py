"""Service evaluations (服务评价, issue #15 §2): the service, its selectors and its API."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from threehours.attendance import services as attendance
from threehours.attendance.tests.family import family_activity, family_signup
from threehours.core.errors import InvalidInput
from threehours.core.models import AuditEntry
from threehours.core.timeutil import local_tz
from threehours.family.tests.factories import child_of, guardian
from threehours.hours import evaluations
from threehours.hours.evaluation_errors import (
    NotCredited,
    NotStaff,
    OwnEvaluation,
    PersonNotOnRegistration,
)
from threehours.hours.models import ServiceEvaluation
from threehours.notifications.models import Message
from threehours.orgs.models import Membership
from threehours.orgs.tests.factories import applicant, approved_org
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import attended, published_activity, volunteers

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(org):
    return published_activity(org, questions=[], places=20)


@pytest.fixture
def signup(org, activity, volunteer):
    return attended(org, activity, volunteer)


def _record(signup, staff, *, volunteer=None, grade="excellent", text="准时到场，耐心细致。", **kw):
    return evaluations.evaluation_record(
        staff=staff,
        signup=signup,
        volunteer=volunteer or signup.volunteer,
        grade=grade,
        text=text,
        **kw,
    )


def test_staff_evaluate_a_credited_volunteer_who_is_told(
    org, signup, volunteer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = _record(signup, org.applicant)
    assert evaluation.was_created
    assert (evaluation.grade, evaluation.text, evaluation.organisation_id) == (
        "excellent",
        "准时到场，耐心细致。",
        org.pk,
    )
    assert AuditEntry.objects.filter(verb="evaluation.recorded").count() == 1
    assert Message.objects.filter(recipient=volunteer, link="/me/hours/").count() == 1


def test_a_second_evaluation_changes_the_first(org, signup, volunteer):
    _record(signup, org.applicant)
    again = _record(signup, org.applicant, grade="good", text="表现良好")
    assert not again.was_created
    assert ServiceEvaluation.objects.get().grade == "good"
    assert AuditEntry.objects.filter(verb="evaluation.changed").count() == 1
    unchanged = _record(signup, org.applicant, grade="good", text="表现良好")
    assert not unchanged.was_created
    assert AuditEntry.objects.filter(verb="evaluation.changed").count() == 1


def test_a_registrant_without_credited_hours_cannot_be_evaluated(org, activity):
    (person,) = volunteers(1, start=500)
    signup = attended(org, activity, person, until=None)  # checked in, never out
    with pytest.raises(NotCredited) as caught:
        _record(signup, org.applicant)
    assert caught.value.code == "not_credited" and caught.value.status == 409
    assert not ServiceEvaluation.objects.exists()


def test_hours_corrected_down_to_nothing_cannot_be_evaluated(org, activity, signup):
    day = activity.start_date
    with time_machine.travel(dt.datetime.combine(day, dt.time(18), tzinfo=local_tz())):
        attendance.attendance_correct(
            signup=signup,
            day=day,
            checkin_at=dt.time(13),
            checkout_at=dt.time(13),
            staff=org.applicant,
            reason="未实际参加",
            today=day,
        )
    assert (
        evaluations.credited_hours(volunteer_id=signup.volunteer_id, activity_id=activity.pk) == 0
    )
    with pytest.raises(NotCredited):
        _record(signup, org.applicant)


@pytest.mark.parametrize(
    ("grade", "text", "field"),
    [
        ("perfect", "好", "grade"),
        ("", "好", "grade"),
        ("good", "很" * 201, "text"),
        ("good", "bad\x00byte", "text"),
        ("good", "加我微信转账 https://qr.alipay.com/abc", "text"),
    ],
)
def test_a_bad_grade_or_text_is_refused_and_nothing_written(org, signup, grade, text, field):
    with pytest.raises(InvalidInput) as caught:
        _record(signup, org.applicant, grade=grade, text=text)
    assert field in caught.value.fields
    assert not ServiceEvaluation.objects.exists()


def test_two_hundred_characters_are_accepted_and_spaces_trimmed(org, signup):
    evaluation = _record(signup, org.applicant, grade="satisfactory", text="  " + "好" * 200 + " ")
    assert evaluation.text == "好" * 200


def test_nobody_evaluates_themself(org, activity, operator):
    staff_member = applicant("second@ngo.example.cn")
    staff_member.phone = "13700001234"
    staff_member.save(update_fields=["phone"])
    Membership.objects.create(organisation=org, user=staff_member, role="coordinator")
    signup = attended(org, activity, staff_member)
    with pytest.raises(OwnEvaluation) as caught:
        _record(signup, staff_member)
    assert caught.value.code == "own_evaluation" and caught.value.status == 403
    assert not ServiceEvaluation.objects.exists()
    assert _record(signup, org.applicant).was_created  # another staff member may


def test_only_the_activitys_organisation_evaluates(org, signup, operator):
    other = approved_org(operator=operator, user=applicant("river@ngo.example.cn"))
    with pytest.raises(NotStaff):
        _record(signup, other.applicant)
    with pytest.raises(PersonNotOnRegistration):
        _record(signup, org.applicant, org=other)
    assert not ServiceEvaluation.objects.exists()


@pytest.fixture
def family(org, activity):
    parent = guardian("13900000077")
    child = child_of(parent)
    family_activity(activity)
    signup = family_signup(activity, parent, [child])
    day = activity.start_date
    with time_machine.travel(dt.datetime.combine(day, dt.time(18), tzinfo=local_tz())):
        attendance.attendance_correct(
            signup=signup,
            day=day,
            checkin_at=dt.time(13),
            checkout_at=dt.time(14),
            staff=org.applicant,
            reason="现场登记",
            today=day,
            person_id=child.pk,
        )
    return parent, child, signup


def test_a_credited_child_is_evaluated_and_the_guardian_told(
    org, family, django_capture_on_commit_callbacks
):
    parent, child, signup = family
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = _record(signup, org.applicant, volunteer=child, grade="good", text="很认真")
    assert evaluation.volunteer == child and evaluation.signup == signup
    assert Message.objects.filter(recipient=parent, link="/me/family/hours/").exists()
    with pytest.raises(NotCredited):  # the guardian was not credited
        _record(signup, org.applicant, volunteer=parent)


def test_a_child_not_on_the_registration_is_not_found(org, family, signup):
    parent, child, family_registration = family
    with pytest.raises(PersonNotOnRegistration):
        _record(signup, org.applicant, volunteer=child)
    with pytest.raises(PersonNotOnRegistration):
        evaluations.person_on_signup(signup=signup, person_id=child.pk)


def test_selectors_list_a_volunteers_and_an_activitys_evaluations(org, activity, signup, family):
    parent, child, family_registration = family
    _record(signup, org.applicant)
    _record(family_registration, org.applicant, volunteer=child, grade="good")
    assert [e.volunteer for e in evaluations.evaluations_of_volunteer(volunteer=child)] == [child]
    assert evaluations.evaluations_of_activity(activity=activity).count() == 2
    people = evaluations.credited_people_of_activity(activity=activity)
    assert [(p["person"], p["is_child"], p["evaluation"] is not None) for p in people] == [
        (signup.volunteer, False, True),
        (child, True, True),
    ]


# --- API --------------------------------------------------------------------------------------


def _url(org, signup):
    return f"orgs/{org.pk}/registrations/{signup.pk}/evaluation"


def test_api_records_then_changes_then_lists(api, org, signup):
    staff = api.as_user(org.applicant)
    first = staff.post(_url(org, signup), {"grade": "excellent", "text": "非常好"})
    assert first.status_code == 201, first.content
    assert first.json()["grade"] == "excellent" and first.json()["is_child"] is False
    second = staff.post(_url(org, signup), {"grade": "good", "text": "好"})
    assert second.status_code == 200
    listed = staff.get(_url(org, signup))
    assert listed.status_code == 200
    assert [(e["grade"], e["text"]) for e in listed.json()] == [("good", "好")]


def test_api_evaluates_a_child_by_child_id(api, org, family):
    parent, child, signup = family
    response = api.as_user(org.applicant).post(
        _url(org, signup), {"grade": "satisfactory", "text": "", "child_id": child.pk}
    )
    assert response.status_code == 201
    assert response.json()["volunteer_id"] == child.pk and response.json()["is_child"]


def test_api_another_organisations_registration_is_404(api, org, signup, operator):
    other = approved_org(operator=operator, user=applicant("river@ngo.example.cn"))
    outsider_staff = api.as_user(other.applicant)
    for response in (
        outsider_staff.post(_url(other, signup), {"grade": "good", "text": ""}),
        outsider_staff.get(_url(other, signup)),
        outsider_staff.post(_url(org, signup), {"grade": "good", "text": ""}),
    ):
        assert response.status_code == 404
    assert not ServiceEvaluation.objects.exists()


def test_api_refusals(api, org, activity, signup):
    staff = api.as_user(org.applicant)
    bad = staff.post(_url(org, signup), {"grade": "perfect", "text": ""})
    assert bad.status_code == 400 and "grade" in bad.json()["fields"]
    long = staff.post(_url(org, signup), {"grade": "good", "text": "好" * 201})
    assert long.status_code == 400 and "text" in long.json()["fields"]
    wrong_type = staff.post(_url(org, signup), {"grade": 3, "text": ""})
    assert wrong_type.status_code == 400
    (person,) = volunteers(1, start=600)
    uncredited = signup_services.signup_create(activity=activity, volunteer=person)
    conflict = staff.post(_url(org, uncredited), {"grade": "good", "text": ""})
    assert conflict.status_code == 409 and conflict.json()["code"] == "not_credited"
    assert api.post(_url(org, signup), {"grade": "good", "text": ""}).status_code == 401
    assert not ServiceEvaluation.objects.exists()
