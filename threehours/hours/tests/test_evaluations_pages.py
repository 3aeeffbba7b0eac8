"""The console page where staff evaluate each credited person (服务评价), and the volunteer's
我的公益时 showing it (issue #15 §2)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from threehours.core.timeutil import local_tz
from threehours.hours.models import ServiceEvaluation
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


@pytest.fixture
def staff_client(client, org):
    client.force_login(org.applicant)
    return client


def _page(org, activity):
    return reverse("console:activity-evaluations", args=[org.pk, activity.pk])


def _post(org, signup):
    return reverse("console:evaluation-record", args=[org.pk, signup.pk])


def test_the_page_lists_credited_people_only(staff_client, org, activity, signup):
    (waiting,) = volunteers(1, start=700)
    signup_services.signup_create(activity=activity, volunteer=waiting)  # never attended
    response = staff_client.get(_page(org, activity))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="evaluation-row"') == 1
    assert f'data-person="{signup.volunteer_id}"' in html
    assert 'data-testid="evaluation-form"' in html


def test_staff_save_then_change_an_evaluation_from_the_page(staff_client, org, activity, signup):
    response = staff_client.post(
        _post(org, signup),
        {"grade": "excellent", "text": "主动帮忙布置场地", "person_id": signup.volunteer_id},
    )
    assert response.status_code == 302
    assert response["Location"] == _page(org, activity)
    page = staff_client.get(_page(org, activity)).content.decode()
    assert 'data-testid="current-evaluation"' in page and "主动帮忙布置场地" in page
    staff_client.post(_post(org, signup), {"grade": "good", "text": "", "person_id": ""})
    assert ServiceEvaluation.objects.get().grade == "good"


def test_a_refusal_is_shown_and_nothing_written(staff_client, org, activity, signup):
    response = staff_client.post(
        _post(org, signup), {"grade": "good", "text": "好" * 201}, follow=True
    )
    assert response.status_code == 200
    assert 'class="flash' in response.content.decode()
    assert not ServiceEvaluation.objects.exists()


def test_another_organisations_staff_get_404(client, org, activity, signup, operator):
    other = approved_org(operator=operator, user=applicant("river@ngo.example.cn"))
    client.force_login(other.applicant)
    assert client.get(_page(other, activity)).status_code == 404
    assert client.get(_page(org, activity)).status_code == 404
    response = client.post(_post(other, signup), {"grade": "good", "text": ""})
    assert response.status_code == 404
    assert not ServiceEvaluation.objects.exists()


def test_a_volunteer_cannot_open_the_page(client, org, activity, signup, volunteer):
    client.force_login(volunteer)
    assert client.get(_page(org, activity)).status_code in (302, 404)
    client.post(_post(org, signup), {"grade": "good", "text": ""})
    assert not ServiceEvaluation.objects.exists()


def test_registrants_page_and_board_link_to_the_evaluations(staff_client, org, activity, signup):
    for name in ("console:activity-registrants", "console:attendance-board"):
        html = staff_client.get(reverse(name, args=[org.pk, activity.pk])).content.decode()
        assert _page(org, activity) in html


def test_the_volunteer_sees_the_evaluation_in_my_hours(client, org, activity, signup, volunteer):
    from threehours.hours.evaluations import evaluation_record

    evaluation_record(
        staff=org.applicant, signup=signup, volunteer=volunteer, grade="excellent", text="非常细心"
    )
    client.force_login(volunteer)
    html = client.get(reverse("reporting:my-hours")).content.decode()
    assert 'data-testid="evaluation"' in html
    assert "非常细心" in html


def test_the_finished_card_of_my_activities_shows_the_evaluation(
    client, org, activity, signup, volunteer
):
    from threehours.hours.evaluations import evaluation_record

    evaluation_record(
        staff=org.applicant, signup=signup, volunteer=volunteer, grade="good", text="认真负责"
    )
    client.force_login(volunteer)
    after = dt.datetime.combine(
        activity.start_date + dt.timedelta(days=2), dt.time(10), tzinfo=local_tz()
    )
    with time_machine.travel(after, tick=False):
        html = client.get(reverse("reporting:my-activities"), {"tab": "finished"}).content.decode()
    assert 'data-testid="my-activity-evaluation"' in html and "认真负责" in html
