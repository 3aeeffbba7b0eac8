"""Registration pages: the register box's states, registering and cancelling from the activity
page, my activities, and the staff's registrant list."""

import datetime as dt

import pytest
from django.test import Client

from threehours.activities.models import Activity
from threehours.signups import services
from threehours.signups.models import Signup

from .factories import published_activity, volunteers

pytestmark = pytest.mark.django_db


def _client(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _page(client, activity):
    return client.get(f"/activities/{activity.pk}/").content.decode()


def test_the_register_box_says_why_one_cannot_register(org, volunteer, email_user):
    activity = published_activity(org, places=1, questions=[])
    assert "登录后报名" in _page(_client(), activity)
    page = _page(_client(email_user), activity)
    assert "未绑定手机号" in page and "/me/phone/?next=" in page
    services.signup_create(activity=activity, volunteer=volunteers(1)[0])
    assert "候补" in _page(_client(volunteer), activity)
    Activity.objects.filter(pk=activity.pk).update(waitlist_enabled=False)
    assert "名额已满" in _page(_client(volunteer), activity)


def test_register_from_the_page_with_answers_then_cancel(org, volunteer):
    activity = published_activity(org)
    [question] = activity.questions.all()
    client = _client(volunteer)
    page = _page(client, activity)
    assert question.text in page and f'name="answers.{question.pk}"' in page
    response = client.post(f"/activities/{activity.pk}/register/", {})
    assert response.status_code == 200 and "请回答此问题" in response.content.decode()
    assert not Signup.objects.exists()
    response = client.post(
        f"/activities/{activity.pk}/register/", {f"answers.{question.pk}": "上海"}, follow=True
    )
    page = response.content.decode()
    assert "你已报名" in page and "取消报名" in page
    assert Signup.objects.get().answers == {str(question.pk): "上海"}
    mine = client.get("/me/activities/").content.decode()
    assert activity.title in mine and activity.contact_phone in mine
    client.post(f"/activities/{activity.pk}/cancel/")
    assert Signup.objects.get().status == "cancelled"
    assert activity.title not in client.get("/me/activities/").content.decode()


def test_register_requires_login_and_post(org):
    activity = published_activity(org, questions=[])
    response = _client().post(f"/activities/{activity.pk}/register/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Signup.objects.exists()


def test_staff_see_registrants_and_reject_with_a_reason(org, volunteer):
    activity = published_activity(org)
    Activity.objects.filter(pk=activity.pk).update(screening="review")
    activity.refresh_from_db()
    [question] = activity.questions.all()
    signup = services.signup_create(
        activity=activity, volunteer=volunteer, answers={str(question.pk): "浦东"}
    )
    staff = _client(org.applicant)
    page = staff.get(f"/org/{org.pk}/activities/{activity.pk}/registrants/").content.decode()
    assert (
        volunteer.phone not in page
        and volunteer.phone_masked in page
        and "浦东" in page
        and "待审核" in page
    )
    staff.post(f"/org/{org.pk}/registrations/{signup.pk}/reject/", {"reason": ""})
    assert Signup.objects.get(pk=signup.pk).status == "pending"
    staff.post(f"/org/{org.pk}/registrations/{signup.pk}/reject/", {"reason": "需要本社区居民"})
    signup.refresh_from_db()
    assert signup.status == "rejected" and signup.reason == "需要本社区居民"
    inbox = _client(volunteer).get("/me/inbox/").content.decode()
    assert "需要本社区居民" in inbox


def test_staff_export_from_the_registrants_page_and_the_activity_list(org, volunteer):
    import re

    from openpyxl import load_workbook

    from .factories import attended

    activity = published_activity(org, questions=[])
    attended(org, activity, volunteer)
    staff = _client(org.applicant)
    page = staff.get(f"/org/{org.pk}/activities/{activity.pk}/registrants/").content.decode()
    link = re.search(r'href="([^"]+)" data-testid="export-xlsx"', page).group(1)
    response = staff.get(link)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    listing = staff.get(f"/org/{org.pk}/activities/").content.decode()
    action = re.search(r'action="([^"]+)" class="filters" data-testid="export-hours"', listing)
    day = activity.start_date.isoformat()
    response = staff.get(action.group(1), {"from": day, "to": day, "format": "xlsx"})
    import io

    book = load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    assert volunteer.phone_masked in str(
        [c.value for ws in book for row in ws.iter_rows() for c in row]
    )


def _history_cells(page):
    import re

    return re.findall(r'<td data-testid="history"><small>(.*?)</small></td>', page, re.S)


def test_staff_see_each_registrants_history_in_a_bounded_number_of_queries(
    org, django_assert_max_num_queries
):
    from threehours.attendance import services as attendance_services

    from .factories import attended

    activity = published_activity(org, questions=[], places=50)
    past = published_activity(org, questions=[], title="上次的活动")
    veteran, *others = volunteers(8)
    attended(org, past, veteran)
    missed = published_activity(org, questions=[], title="缺席的活动")
    attendance_services.no_show_mark(
        signup=services.signup_create(activity=missed, volunteer=veteran),
        day=missed.start_date,
        staff=org.applicant,
        today=missed.start_date + dt.timedelta(days=1),
    )
    services.signup_create(activity=activity, volunteer=veteran)
    services.signup_create(activity=activity, volunteer=others[0])
    staff = _client(org.applicant)
    url = f"/org/{org.pk}/activities/{activity.pk}/registrants/"
    staff.get(url)  # the session's first request may write
    with django_assert_max_num_queries(11) as few:
        page = staff.get(url).content.decode()
    veteran_cell, newcomer_cell = _history_cells(page)
    assert "共 1.0 小时" in veteran_cell and "参加过 1 个活动" in veteran_cell
    assert "缺席 1 次" in veteran_cell
    assert "共 0.0 小时" in newcomer_cell
    assert "缺席 0 次" in newcomer_cell
    for person in others[1:]:
        services.signup_create(activity=activity, volunteer=person)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = staff.get(url).content.decode()
    assert len(_history_cells(page)) == 8


def test_staff_page_shows_the_waiting_list_in_line(org):
    activity = published_activity(org, places=1, questions=[])
    holder, first, second = volunteers(3)
    services.signup_create(activity=activity, volunteer=holder)
    services.signup_create(activity=activity, volunteer=first, join_waitlist=True)
    services.signup_create(activity=activity, volunteer=second, join_waitlist=True)
    page = (
        _client(org.applicant)
        .get(f"/org/{org.pk}/activities/{activity.pk}/registrants/")
        .content.decode()
    )
    assert "候补中 2" in page  # the count in the heading
    waiting = page.split('class="status-waiting"')[1:]
    assert len(waiting) == 2
    assert first.phone_masked in waiting[0] and second.phone_masked in waiting[1]
    assert (
        page.index(holder.phone_masked)
        < page.index(first.phone_masked)
        < page.index(second.phone_masked)
    )


def test_staff_remove_a_registrant_and_the_inbox_shows_the_reason(org, volunteer):
    activity = published_activity(org, questions=[])
    signup = services.signup_create(activity=activity, volunteer=volunteer)
    staff = _client(org.applicant)
    staff.post(f"/org/{org.pk}/registrations/{signup.pk}/remove/", {"reason": "多次未到场"})
    signup.refresh_from_db()
    assert signup.status == "removed" and signup.reason == "多次未到场"
    inbox = _client(volunteer).get("/me/inbox/").content.decode()
    assert "你已被移出活动" in inbox and "原因：多次未到场" in inbox


def test_after_the_deadline_the_register_button_says_registration_closed(org, volunteer):
    import time_machine

    activity = published_activity(org, questions=[])
    client = _client(volunteer)
    assert "报名已截止" not in _page(client, activity)
    later = activity.registration_deadline + dt.timedelta(days=1)
    with time_machine.travel(dt.datetime.combine(later, dt.time(9)).astimezone(), tick=False):
        page = _page(client, activity)
    bar = page.split('data-testid="register"', 1)[1].split("</div>", 1)[0]
    assert "报名已截止" in bar and "disabled" in bar
    assert 'data-testid="register-form"' not in page
