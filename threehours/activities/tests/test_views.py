"""The volunteer pages (issue #4): the discovery list's filters, sorts and "More" button, the
home page's near-me and my-city lists, and the activity page's phase."""

import datetime as dt
import html
import re

import pytest
import time_machine

from threehours.activities import services
from threehours.activities.models import Activity
from threehours.core.timeutil import local_today, local_tz
from threehours.orgs.tests.factories import approved_org

from .factories import activity_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_published(operator):
    org = approved_org(operator=operator)
    rows = []
    for title in ("还有名额的活动", "已经报满的活动"):
        activity = services.activity_create(
            org=org, user=org.applicant, data=activity_data(title=title, places=2)
        )
        rows.append(services.activity_publish(activity=activity, user=org.applicant))
    Activity.objects.filter(pk=rows[1].pk).update(places_taken=2)  # as registrations leave it
    return rows


def test_list_page_offers_sorts_and_filters_by_places_left(client, two_published):
    page = client.get("/activities/").content.decode()
    assert 'name="sort"' in page and 'value="newest"' in page and 'name="has_places"' in page
    assert 'value="nearest"' not in page  # only with a position
    assert "还有名额的活动" in page and "已经报满的活动" in page

    page = client.get("/activities/?has_places=1&sort=newest").content.decode()
    assert "还有名额的活动" in page and "已经报满的活动" not in page
    assert 'value="newest" selected' in page and "checked" in page


def test_list_page_sorts_by_distance_with_a_position(client, two_published):
    page = client.get("/activities/?lat=31.19&lng=121.44&coord=gcj02&sort=nearest")
    assert page.status_code == 200
    assert 'value="nearest" selected' in page.content.decode()
    # Without a position "nearest" quietly becomes "soonest".
    page = client.get("/activities/?sort=nearest").content.decode()
    assert 'value="soonest" selected' in page


# --- filters, "More", home page, phases -------------------------------------------------------

ONLINE = {"address": "", "district": "", "lat": None, "lng": None, "checkin_radius_m": None}
SHENZHEN = {"district": "440305", "lat": 22.533, "lng": 113.93, "address": "南山区科技园"}


def _day(n: int) -> str:
    return (local_today() + dt.timedelta(days=n)).isoformat()


def _publish(org, **overrides) -> Activity:
    activity = services.activity_create(
        org=org, user=org.applicant, data=activity_data(**overrides)
    )
    return services.activity_publish(activity=activity, user=org.applicant)


def _results(page: str) -> list[str]:
    """Titles of the activity cards, in order."""
    return re.findall(r'<li class="activity-card">.*?<h3>(.*?)</h3>', page, re.S)


@pytest.fixture
def org(operator):
    return approved_org(operator=operator)


@pytest.fixture
def spread(org):
    _publish(org, title="团队宣传", type="team", form="offline_campaign", **_dates(2))
    _publish(org, title="线上辅导", type="other", form="online_other", **ONLINE, **_dates(5))
    _publish(org, title="社区服务", type="team", **_dates(9))


def _dates(n: int) -> dict:
    return {"start_date": _day(n), "end_date": _day(n)}


@pytest.mark.parametrize(
    "query,titles",
    [
        ("", ["团队宣传", "线上辅导", "社区服务"]),
        (f"date_from={_day(4)}", ["线上辅导", "社区服务"]),
        (f"date_to={_day(4)}", ["团队宣传"]),
        (f"date_from={_day(4)}&date_to={_day(6)}", ["线上辅导"]),
        ("type=team", ["团队宣传", "社区服务"]),
        ("form=online_other", ["线上辅导"]),
        ("form=offline_campaign", ["团队宣传"]),
        ("online=1", ["线上辅导"]),
        ("online=0", ["团队宣传", "社区服务"]),
        ("type=team&form=offline_community_service", ["社区服务"]),
        ("city=3101", ["团队宣传", "社区服务"]),
        ("q=辅导", ["线上辅导"]),
    ],
)
def test_list_page_filters(client, spread, query, titles):
    response = client.get(f"/activities/?{query}")
    assert response.status_code == 200
    assert _results(response.content.decode()) == titles


def test_list_page_shows_the_chosen_filters_in_its_form(client, spread):
    page = client.get(
        f"/activities/?date_from={_day(4)}&date_to={_day(6)}&form=online_other&type=other"
    ).content.decode()
    assert f'name="date_from" value="{_day(4)}"' in page
    assert f'name="date_to" value="{_day(6)}"' in page
    assert '<option value="online_other" selected>' in page
    assert '<option value="other" selected>' in page
    assert '<select name="form"' in page and '<option value="offline_teaching">' in page


def test_a_bad_date_in_the_address_is_ignored(client, spread):
    response = client.get("/activities/?date_from=2026-13-45&date_to=tomorrow")
    assert response.status_code == 200
    assert len(_results(response.content.decode())) == 3


def test_more_continues_after_the_last_item_with_the_same_filters(client, org):
    for i in range(13):
        _publish(org, title=f"团队{i:02d}", type="team", **_dates(1 + i))
    _publish(org, title="其他类型", type="other", **_dates(1))
    page = client.get("/activities/?type=team").content.decode()
    first = _results(page)
    assert first == [f"团队{i:02d}" for i in range(10)]
    more = html.unescape(re.search(r'<li class="more"><button[^>]* hx-get="([^"]+)"', page)[1])
    assert "type=team" in more and "cursor=" in more
    fragment = client.get(f"/activities/{more}", headers={"HX-Request": "true"})
    second = _results(fragment.content.decode())
    assert second == ["团队10", "团队11", "团队12"]
    assert not set(first) & set(second)
    assert 'class="more"' not in fragment.content.decode()  # nothing after the last page
    assert "<h1>" not in fragment.content.decode()  # the items only, for the list to append


def test_home_shows_upcoming_activities_near_the_visitor(client, org):
    _publish(org, title="徐汇滨江", **_dates(3))
    _publish(org, title="深圳导诊", **SHENZHEN, **_dates(2))
    # The phone's WGS-84 position near 徐汇 (the page converts it to GCJ-02).
    page = client.get("/?lat=31.1900&lng=121.4330&coord=wgs84").content.decode()
    assert _results(page) == ["徐汇滨江"]
    assert "你附近的近期活动" in page
    # Nothing within reach of Beijing: the next activities anywhere, and a note saying so.
    page = client.get("/?lat=39.90&lng=116.40&coord=gcj02").content.decode()
    assert _results(page) == ["深圳导诊", "徐汇滨江"]
    assert 'data-testid="near-none"' in page
    page = client.get("/").content.decode()
    assert _results(page) == ["深圳导诊", "徐汇滨江"] and 'data-testid="near-none"' not in page
    assert "data-near-me" in page


def test_home_shows_the_volunteers_city(client, org, volunteer):
    from threehours.signups import services as signup_services

    shanghai = _publish(org, title="徐汇滨江", **_dates(1))
    registered = _publish(org, title="深圳导诊", **SHENZHEN, **_dates(3))
    _publish(org, title="深圳海滩清洁", **SHENZHEN, **_dates(4))
    question = registered.questions.get()
    signup_services.signup_create(
        activity=registered, volunteer=volunteer, answers={question.pk: "深圳"}
    )
    client.force_login(volunteer)
    page = client.get("/").content.decode()
    assert _results(page) == ["深圳导诊", "深圳海滩清洁"]
    assert "深圳市近期活动" in page and "?city=4403" in page
    # Near me wins over the city when the visitor gives a position.
    page = client.get("/?lat=31.188&lng=121.437&coord=gcj02").content.decode()
    assert _results(page) == [shanghai.title]
    client.logout()
    assert len(_results(client.get("/").content.decode())) == 3


def test_activity_page_shows_whether_it_has_started(client, org):
    upcoming = _publish(org, title="下周活动", **_dates(7))
    # Days are never set in the past (issue #12): this one begins today, and is looked at
    # tomorrow, its second day.
    running = _publish(org, title="进行中的活动", start_date=_day(0), end_date=_day(2))
    finished = _publish(org, title="结束的活动", **_dates(1))
    past = local_today() - dt.timedelta(days=2)  # as time leaves it after the activity
    Activity.objects.filter(pk=finished.pk).update(
        start_date=past, end_date=past, registration_deadline=past
    )
    tomorrow = dt.datetime.combine(
        local_today() + dt.timedelta(days=1), dt.time(10), tzinfo=local_tz()
    )

    def phase(activity) -> str:
        with time_machine.travel(tomorrow, tick=False):
            page = client.get(f"/activities/{activity.pk}/").content.decode()
        return re.search(r'data-testid="phase">([^<]+)<', page)[1]

    assert phase(upcoming) == "未开始"
    assert phase(running) == "进行中"
    assert phase(finished) == "已结束"
