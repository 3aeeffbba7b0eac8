"""Issue #12 on the activity side: hours an insider cannot forge. Each attack, through the path
an insider would take (mostly the API), beside its honest twin that the same guard lets through.

- time only moves forward: no activity days before today, none published once begun;
- once anyone has checked in, the days, daily times, form and place are frozen;
- no payment links, however disguised, in any text the organisation writes."""

import datetime as dt

import pytest
import time_machine

from threehours.activities.models import Activity
from threehours.attendance.models import Attendance
from threehours.core.timeutil import local_today, local_tz
from threehours.orgs.tests.factories import approved_org
from threehours.signups.tests.factories import attended, published_activity

from .factories import activity_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(operator):
    return approved_org(operator=operator)


@pytest.fixture
def staff(api, org):
    return api.as_user(org.applicant)


def _day(offset: int) -> str:
    return (local_today() + dt.timedelta(days=offset)).isoformat()


def _refused(response) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid_input"
    return body["fields"]


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=local_tz())


def _url(org, activity) -> str:
    return f"orgs/{org.pk}/activities/{activity.pk}"


# --- time only moves forward ------------------------------------------------------------------


def test_an_activity_cannot_be_created_to_start_yesterday(staff, org):
    response = staff.post(
        f"orgs/{org.pk}/activities", activity_data(start_date=_day(-1), end_date=_day(0))
    )
    assert set(_refused(response)) == {"start_date"}
    assert not Activity.objects.exists()


def test_an_activity_can_be_created_to_start_today(staff, org):
    response = staff.post(
        f"orgs/{org.pk}/activities", activity_data(start_date=_day(0), end_date=_day(0))
    )
    assert response.status_code == 201, response.content
    assert response.json()["start_date"] == _day(0)


def test_a_draft_cannot_be_published_once_its_first_day_has_passed(staff, org):
    created = staff.post(
        f"orgs/{org.pk}/activities", activity_data(start_date=_day(1), end_date=_day(3))
    ).json()
    with time_machine.travel(_at(local_today() + dt.timedelta(days=2)), tick=False):
        response = staff.post(f"orgs/{org.pk}/activities/{created['id']}/publish")
        # Registration would still be open (until the last day): only the first day refuses.
        assert set(_refused(response)) == {"start_date"}
    assert Activity.objects.get(pk=created["id"]).state == Activity.State.DRAFT


def test_a_draft_can_be_published_on_its_first_day(staff, org):
    created = staff.post(
        f"orgs/{org.pk}/activities", activity_data(start_date=_day(1), end_date=_day(3))
    ).json()
    with time_machine.travel(_at(local_today() + dt.timedelta(days=1)), tick=False):
        response = staff.post(f"orgs/{org.pk}/activities/{created['id']}/publish")
    assert response.status_code == 200 and response.json()["state"] == "published"


def test_a_published_activity_cannot_be_moved_to_the_past(staff, org):
    activity = published_activity(org)
    before = (activity.start_date, activity.end_date)
    past = _day(-6)
    response = staff.patch(
        _url(org, activity), {"start_date": past, "end_date": past, "registration_deadline": past}
    )
    assert set(_refused(response)) == {"start_date", "end_date"}
    activity.refresh_from_db()
    assert (activity.start_date, activity.end_date) == before


def test_a_published_activity_can_be_moved_to_a_later_day(staff, org):
    activity = published_activity(org)
    response = staff.patch(_url(org, activity), {"start_date": _day(20), "end_date": _day(21)})
    assert response.status_code == 200, response.content
    activity.refresh_from_db()
    assert (activity.start_date.isoformat(), activity.end_date.isoformat()) == (_day(20), _day(21))


def test_an_activity_in_progress_keeps_its_past_first_day_and_can_be_extended(staff, org):
    activity = published_activity(org, start_date=_day(1), end_date=_day(2))
    with time_machine.travel(_at(local_today() + dt.timedelta(days=2)), tick=False):
        later = (local_today() + dt.timedelta(days=1)).isoformat()
        response = staff.patch(_url(org, activity), {"title": "社区助老探访（延长）"})
        assert response.status_code == 200, response.content
        response = staff.patch(_url(org, activity), {"end_date": later})
        assert response.status_code == 200, response.content
    activity.refresh_from_db()
    assert activity.end_date.isoformat() == later


# --- frozen once anyone checked in ------------------------------------------------------------


@pytest.fixture
def running(org):
    """A published three-day activity that began today."""
    return published_activity(org, start_date=_day(0), end_date=_day(2), questions=[])


@pytest.fixture
def checked_in(org, running, volunteer):
    """Staff checked a volunteer in today, through the real services."""
    attended(org, running, volunteer, until=None)
    assert Attendance.objects.filter(activity=running).exists()
    return running


def test_the_reported_attack_moving_a_checked_in_activity_six_days_back_is_refused(
    staff, org, checked_in
):
    before = Activity.objects.values().get(pk=checked_in.pk)
    response = staff.patch(_url(org, checked_in), {"start_date": _day(-6)})
    assert "start_date" in _refused(response)
    assert Activity.objects.values().get(pk=checked_in.pk) == before


FROZEN_CHANGES = [
    pytest.param({"start_date": _day(1)}, {"start_date"}, id="first-day"),
    pytest.param({"end_date": _day(3)}, {"end_date"}, id="last-day"),
    pytest.param({"checkin_time": "12:00"}, {"checkin_time"}, id="check-in-time"),
    pytest.param({"checkout_time": "15:00"}, {"checkout_time"}, id="check-out-time"),
    pytest.param({"form": "offline_other"}, {"form"}, id="another-offline-form"),
    pytest.param(
        {"form": "online_other"},
        {"form", "address", "lat", "lng", "checkin_radius_m"},
        id="online",
    ),
    pytest.param({"address": "漕溪北路 99 号"}, {"address"}, id="address"),
    pytest.param({"lat": 31.3, "lng": 121.5}, {"lat", "lng"}, id="coordinates"),
    pytest.param({"checkin_radius_m": 5000}, {"checkin_radius_m"}, id="radius"),
]


@pytest.mark.parametrize(("change", "refused"), FROZEN_CHANGES)
def test_after_a_check_in_dates_times_form_and_place_cannot_change(
    staff, org, checked_in, change, refused
):
    before = Activity.objects.values().get(pk=checked_in.pk)
    response = staff.patch(_url(org, checked_in), change)
    assert set(_refused(response)) == refused
    assert Activity.objects.values().get(pk=checked_in.pk) == before


@pytest.mark.parametrize(("change", "refused"), FROZEN_CHANGES)
def test_before_any_check_in_the_same_changes_are_allowed(
    staff, org, running, volunteer, change, refused
):
    from threehours.signups import services as signup_services

    signup_services.signup_create(activity=running, volunteer=volunteer)  # registered only
    response = staff.patch(_url(org, running), change)
    assert response.status_code == 200, response.content


def test_after_a_check_in_sending_the_same_values_is_fine(staff, org, checked_in):
    same = {
        "start_date": checked_in.start_date.isoformat(),
        "end_date": checked_in.end_date.isoformat(),
        "checkin_time": "13:00",
        "checkout_time": "14:00",
        "form": checked_in.form.code,
        "address": checked_in.address,
        "lat": float(checked_in.lat),
        "lng": float(checked_in.lng),
        "checkin_radius_m": checked_in.checkin_radius_m,
    }
    response = staff.patch(_url(org, checked_in), same)
    assert response.status_code == 200, response.content


def test_after_a_check_in_title_and_description_can_change(staff, org, checked_in):
    response = staff.patch(
        _url(org, checked_in),
        {"title": "社区助老探访（第二期）", "description_html": "<p>带上老花镜。</p>"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "社区助老探访（第二期）"


def test_after_a_check_in_the_activity_can_still_be_cancelled(staff, org, checked_in):
    response = staff.post(f"{_url(org, checked_in)}/cancel", {"reason": "暴雨预警，活动取消"})
    assert response.status_code == 200 and response.json()["state"] == "cancelled"


# --- payment links, however written -----------------------------------------------------------


PAYMENT_LINKS = [
    pytest.param({"title": "付款 qr%2Ealipay%2Ecom/fkx1"}, "title", id="percent-encoded"),
    pytest.param(
        {"description_html": "<p>付款：https://qr%252Ealipay%252Ecom/fkx1</p>"},
        "description_html",
        id="double-encoded",
    ),
    pytest.param(
        {"fee_yuan": 20, "fee_note": "付款 ｑｒ．ａｌｉｐａｙ．ｃｏｍ/fkx1"},
        "fee_note",
        id="full-width",
    ),
    pytest.param(
        {"description_html": "<p>qr&amp;#46;alipay&amp;#46;com/fkx1</p>"},
        "description_html",
        id="entities",
    ),
    pytest.param({"skill_requirement": "qr&#46;alipay&#46;com"}, "skill_requirement", id="&#46;"),
    pytest.param({"address": "付款 https://xn--qr-.alipay.com/fkx1"}, "address", id="punycode"),
    pytest.param({"title": "报名请付 wxp://f2f0abc"}, "title", id="wxp-in-title"),
    pytest.param(
        {"questions": [{"text": "付款后填单号 wxp://f2f0abc", "kind": "text"}]},
        "questions",
        id="wxp-in-question",
    ),
    pytest.param(
        {
            "questions": [
                {"text": "付款方式", "kind": "choice", "choices": ["现场现金", "wxp://f2f0abc"]}
            ]
        },
        "questions",
        id="wxp-in-choice",
    ),
    pytest.param({"fee_yuan": 20, "fee_note": "wxp://f2f0abc"}, "fee_note", id="wxp-in-fee"),
    pytest.param({"other_requirement": "weixin://dl/x"}, "other_requirement", id="weixin"),
    pytest.param({"contact_name": "王 alipays://x"}, "contact_name", id="contact-name"),
    pytest.param({"contact_phone": "upwallet://p"}, "contact_phone", id="contact-phone"),
]


@pytest.mark.parametrize(("change", "field"), PAYMENT_LINKS)
def test_a_disguised_payment_link_is_refused_and_its_field_named(staff, org, change, field):
    response = staff.post(f"orgs/{org.pk}/activities", activity_data(**change))
    assert field in _refused(response)
    assert not Activity.objects.exists()


def test_a_payment_link_cannot_be_patched_into_a_published_activity(staff, org):
    activity = published_activity(org)
    response = staff.patch(
        _url(org, activity), {"fee_yuan": 20, "fee_note": "付款 qr%2Ealipay%2Ecom/fkx1"}
    )
    assert set(_refused(response)) == {"fee_note"}
    activity.refresh_from_db()
    assert activity.fee_note == ""


def test_naming_the_app_and_an_ordinary_link_are_fine(staff, org):
    response = staff.post(
        f"orgs/{org.pk}/activities",
        activity_data(
            fee_yuan=20,
            fee_note="现场微信付款",
            description_html='<p>路线见 <a href="https://example.org/map?q=%E6%BC%95">地图</a></p>',
            questions=[{"text": "付款方式", "kind": "choice", "choices": ["现场微信", "现金"]}],
        ),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["fee_note"] == "现场微信付款"
    assert "https://example.org/map" in body["description_html"]


def test_a_cancel_reason_cannot_carry_a_payment_link(staff, org):
    activity = published_activity(org)
    response = staff.post(f"{_url(org, activity)}/cancel", {"reason": "退款请用 qr%2Ealipay%2Ecom"})
    assert set(_refused(response)) == {"reason"}
    activity.refresh_from_db()
    assert activity.state == Activity.State.PUBLISHED
    response = staff.post(f"{_url(org, activity)}/cancel", {"reason": "场地关闭，费用现场退还"})
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
