"""The Activities operations of docs/api.md."""

import datetime as dt
import re

import pytest

from threehours.activities.models import Activity
from threehours.core.timeutil import local_today
from threehours.orgs.tests.factories import applicant, approved_org, image_upload

from .factories import activity_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(operator):
    return approved_org(operator=operator)


def test_create_publish_copy_cancel_and_discover(api, org, django_assert_max_num_queries):
    staff = api.as_user(org.applicant)
    response = staff.post(f"orgs/{org.pk}/activities", activity_data(places=30))
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["state"] == "draft" and created["max_hours_per_day"] == 1.0
    assert api.get(f"activities/{created['id']}").status_code == 404  # drafts are not public

    response = staff.patch(
        f"orgs/{org.pk}/activities/{created['id']}",
        {"checkout_time": "17:01", "checkin_time": "09:00"},
    )
    assert response.status_code == 400 and "checkout_time" in response.json()["fields"]
    response = staff.patch(f"orgs/{org.pk}/activities/{created['id']}", {"places": 40})
    assert response.status_code == 200 and response.json()["places"] == 40

    response = staff.post(f"orgs/{org.pk}/activities/{created['id']}/publish")
    assert response.status_code == 200 and response.json()["state"] == "published"
    detail = api.get(f"activities/{created['id']}").json()
    assert detail["places_left"] == 40 and detail["registration_open"] is True
    assert detail["organisation"]["name"] == org.name

    copy = staff.post(f"orgs/{org.pk}/activities/{created['id']}/copy").json()
    assert copy["state"] == "draft" and copy["id"] != created["id"]

    listing = api.get("activities?q=助老").json()
    assert [a["id"] for a in listing["items"]] == [created["id"]]
    assert api.get("activities?q=植树").json()["items"] == []
    near = api.get("activities?lat=31.19&lng=121.44&radius_km=10").json()["items"]
    assert [a["id"] for a in near] == [created["id"]]
    far = api.get("activities?lat=39.90&lng=116.40&radius_km=10").json()["items"]
    assert far == []
    assert [a["id"] for a in api.get("activities?city=3101").json()["items"]] == [created["id"]]
    assert api.get("activities?online=true").json()["items"] == []

    response = staff.post(f"orgs/{org.pk}/activities/{created['id']}/cancel", {"reason": ""})
    assert response.status_code == 400
    staff.post(f"orgs/{org.pk}/activities/{created['id']}/cancel", {"reason": "暴雨预警"})
    assert api.get(f"activities/{created['id']}").status_code == 404


def test_discovery_pages_with_a_cursor_and_constant_queries(
    api, org, django_assert_max_num_queries
):
    from threehours.activities import services

    for i in range(25):
        start = (local_today() + dt.timedelta(days=1 + i)).isoformat()
        activity = services.activity_create(
            org=org,
            user=org.applicant,
            data=activity_data(title=f"活动{i:02d}", start_date=start, end_date=start),
        )
        services.activity_publish(activity=activity, user=org.applicant)
    # With covers: a list row defers the cover's width and height, which Model.__init__'s
    # post_init receiver would then load with one query per activity (selectors._list_items).
    Activity.objects.filter(title__in=["活动01", "活动02"]).update(
        cover="activities/covers/c.jpg", cover_width=1200, cover_height=675
    )
    # The page only: organisers' names, attribute options and regions come from memory
    # (reference.py) once a first request has loaded them.
    api.get("activities?limit=1")
    with django_assert_max_num_queries(1):
        first = api.get("activities?limit=20").json()
    assert [a["title"] for a in first["items"]] == [f"活动{i:02d}" for i in range(20)]
    assert first["items"][1]["cover_url"].endswith("activities/covers/c.jpg")
    second = api.get(f"activities?limit=20&cursor={first['next_cursor']}").json()
    assert [a["title"] for a in second["items"]] == [f"活动{i:02d}" for i in range(20, 25)]
    assert second["next_cursor"] is None


def test_publishing_is_refused_for_an_organisation_that_may_not_publish(api, org, operator):
    from threehours.orgs import services as org_services

    staff = api.as_user(org.applicant)
    created = staff.post(f"orgs/{org.pk}/activities", activity_data()).json()
    org_services.org_suspend(org=org, operator=operator, reason="核查中")
    response = staff.post(f"orgs/{org.pk}/activities/{created['id']}/publish")
    assert response.status_code == 403  # a suspended organisation's console is closed
    org_services.org_reinstate(org=org, operator=operator, reason="已核查")
    org.certificate_valid_until = local_today() - dt.timedelta(days=1)
    org.category = "social_org"
    org.credit_code = "52310104MJ49157306"
    org.save()
    response = staff.post(f"orgs/{org.pk}/activities/{created['id']}/publish")
    assert response.status_code == 409 and response.json()["code"] == "org_cannot_publish"
    assert Activity.objects.get().state == "draft"


def test_another_organisations_activities_answer_404(api, org, operator):
    other = approved_org(operator=operator, user=applicant("other@ngo.example.cn"))
    theirs = (
        api.as_user(other.applicant).post(f"orgs/{other.pk}/activities", activity_data()).json()
    )
    mine = api.as_user(org.applicant)
    base = f"orgs/{other.pk}/activities"
    for response in (
        mine.get(base),
        mine.post(base, activity_data()),
        mine.patch(f"{base}/{theirs['id']}", {"places": 1}),
        mine.post(f"{base}/{theirs['id']}/publish"),
        mine.post(f"{base}/{theirs['id']}/copy"),
        mine.post(f"{base}/{theirs['id']}/cancel", {"reason": "x"}),
        mine.patch(f"orgs/{org.pk}/activities/{theirs['id']}", {"places": 1}),
    ):
        assert response.status_code == 404, response.content
    assert Activity.objects.count() == 1 and Activity.objects.get().places == 20


def test_cover_is_reencoded_and_small_files_are_flagged(api, org):
    staff = api.as_user(org.applicant)
    created = staff.post(f"orgs/{org.pk}/activities", activity_data()).json()
    response = staff.client.post(
        f"/api/v1/orgs/{org.pk}/activities/{created['id']}/cover",
        {"file": image_upload(size=(1200, 800))},
        headers=staff._headers(),
    )
    assert response.status_code == 200, response.content
    assert response.json()["small_original"] is True
    assert Activity.objects.get().cover_width == 1200


def test_discovery_sorts_and_has_places_over_the_api(api, org):
    from threehours.activities import services

    made = []
    for i, (lat, lng) in enumerate([(31.20, 121.44), (31.19, 121.44), (31.30, 121.44)]):
        start = (local_today() + dt.timedelta(days=1 + i)).isoformat()
        activity = services.activity_create(
            org=org,
            user=org.applicant,
            data=activity_data(
                title=f"环保{i}", start_date=start, end_date=start, lat=lat, lng=lng, places=3
            ),
        )
        made.append(services.activity_publish(activity=activity, user=org.applicant).pk)
    Activity.objects.filter(pk=made[0]).update(places_taken=3)  # as registrations leave it

    def ids(query: str) -> list[int]:
        response = api.get(f"activities?{query}")
        assert response.status_code == 200, response.content
        return [a["id"] for a in response.json()["items"]]

    assert ids("q=环保") == made
    assert ids("q=环保&has_places=true") == made[1:]
    assert ids("sort=newest") == made[::-1]
    near = "lat=31.19&lng=121.44&sort=nearest"
    assert ids(near) == [made[1], made[0], made[2]]
    first = api.get(f"activities?{near}&limit=2").json()
    second = api.get(f"activities?{near}&limit=2&cursor={first['next_cursor']}").json()
    assert [a["id"] for a in second["items"]] == [made[2]] and second["next_cursor"] is None
    assert ids(f"{near}&radius_km=5") == [made[1], made[0]]
    response = api.get("activities?sort=nearest")
    assert response.status_code == 400 and "sort" in response.json()["fields"]
    assert api.get("activities?sort=cheapest").status_code == 400


@pytest.fixture
def three_kinds(org):
    """Team on site on day 2, online on day 5, an on-site campaign on days 8–9."""
    from threehours.activities import services

    def day(n: int) -> str:
        return (local_today() + dt.timedelta(days=n)).isoformat()

    online = {"address": "", "district": "", "lat": None, "lng": None, "checkin_radius_m": None}
    rows = {}
    for name, overrides in {
        "team": {"type": "team", "start_date": day(2), "end_date": day(2)},
        "online": {"type": "other", "form": "online_other", **online, "start_date": day(5)},
        "campaign": {"form": "offline_campaign", "start_date": day(8), "end_date": day(9)},
    }.items():
        overrides.setdefault("end_date", overrides["start_date"])
        activity = services.activity_create(
            org=org, user=org.applicant, data=activity_data(title=name, **overrides)
        )
        rows[name] = services.activity_publish(activity=activity, user=org.applicant).pk
    return rows, day


@pytest.mark.parametrize(
    "query,expected",
    [
        ("", ["team", "online", "campaign"]),
        ("date_to={4}", ["team"]),
        ("date_to={8}", ["team", "online", "campaign"]),  # starts on the last day asked for
        ("date_from={4}", ["online", "campaign"]),
        ("date_from={9}", ["campaign"]),  # still running on its second day
        ("date_from={10}", []),
        ("date_from={3}&date_to={6}", ["online"]),
        ("type=team", ["team", "campaign"]),
        ("type=other", ["online"]),
        ("form=online_other", ["online"]),
        ("form=offline_campaign", ["campaign"]),
        ("form=offline_campaign&type=other", []),
        ("online=false", ["team", "campaign"]),
        ("online=true", ["online"]),
    ],
)
def test_discovery_filters_over_the_api(api, three_kinds, query, expected):
    rows, day = three_kinds
    query = re.sub(r"\{(\d+)\}", lambda m: day(int(m[1])), query)
    response = api.get(f"activities?{query}")
    assert response.status_code == 200, response.content
    assert [a["id"] for a in response.json()["items"]] == [rows[name] for name in expected]


def test_discovery_refuses_a_date_that_is_not_one(api, three_kinds):
    response = api.get("activities?date_to=2026-02-30")
    assert response.status_code == 400 and "date_to" in response.json()["fields"]


def test_a_renamed_organiser_shows_in_the_list_at_once(api, org):
    from threehours.signups.tests.factories import published_activity

    published_activity(org)
    assert api.get("activities").json()["items"][0]["organisation"]["name"] == org.name
    org.name = "浦东新区助老志愿服务队"
    org.save(update_fields=["name"])
    listed = api.get("activities").json()["items"][0]["organisation"]
    assert listed == {"id": org.pk, "name": "浦东新区助老志愿服务队"}


def test_discovery_writes_each_attribute_option_once_per_response(api, org, monkeypatch):
    from threehours.activities import services
    from threehours.api import activities as endpoints

    for i in range(3):
        activity = services.activity_create(
            org=org, user=org.applicant, data=activity_data(title=f"活动{i}")
        )
        services.activity_publish(activity=activity, user=org.applicant)
    written = []
    real = endpoints._option
    monkeypatch.setattr(endpoints, "_option", lambda o: written.append(o.code) or real(o))
    items = api.get("activities").json()["items"]
    assert sorted(written) == ["elderly", "offline_community_service", "team"]
    assert [item["type"]["code"] for item in items] == ["team"] * 3
    assert items[2]["field"] == {"code": "elderly", "label": "扶老助残"}


def test_check_in_by_qr_code_only_is_set_read_patched_and_copied(api, org):
    staff = api.as_user(org.applicant)
    created = staff.post(f"orgs/{org.pk}/activities", activity_data()).json()
    assert created["checkin_qr_only"] is False  # off unless asked for
    url = f"orgs/{org.pk}/activities/{created['id']}"
    assert staff.patch(url, {"checkin_qr_only": True}).json()["checkin_qr_only"] is True
    assert staff.patch(url, {"title": "社区助老探访二"}).json()["checkin_qr_only"] is True
    copy = staff.post(f"{url}/copy").json()
    assert copy["checkin_qr_only"] is True
    staff.post(f"{url}/publish")
    assert api.get(f"activities/{created['id']}").json()["checkin_qr_only"] is True
    response = staff.post(f"orgs/{org.pk}/activities", activity_data(checkin_qr_only="yes"))
    assert response.status_code == 400  # strict input: a boolean only
    assert set(response.json()["fields"]) == {"checkin_qr_only"}


def test_an_online_activity_has_no_door_to_scan(api, org):
    staff = api.as_user(org.applicant)
    online = activity_data(
        form="online_other", address="", district="", lat=None, lng=None, checkin_qr_only=True
    )
    response = staff.post(f"orgs/{org.pk}/activities", online)
    assert response.status_code == 201 and response.json()["checkin_qr_only"] is False
