"""The console's description-image upload and the editor on the activity form (issue #4)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from threehours.activities import services
from threehours.activities.tests.factories import activity_data
from threehours.console import activities as console_views
from threehours.core.tests.pictures import photo_upload, qr_png_upload
from threehours.orgs.models import Membership
from threehours.orgs.tests.factories import applicant, approved_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(operator):
    return approved_org(operator=operator)


def _client(user=None, **kwargs) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


def _upload(client, org, upload=None):
    data = {"image": upload} if upload is not None else {}
    return client.post(f"/org/{org.pk}/activities/images/", data)


def test_staff_upload_an_image_and_get_its_url(org):
    coordinator = applicant("coord@ngo.example.cn")
    Membership.objects.create(organisation=org, user=coordinator, role="coordinator")
    for user in (org.applicant, coordinator):
        response = _upload(_client(user), org, photo_upload())
        assert response.status_code == 200
        assert response.json()["url"].startswith("/media/activities/images/")


def test_staff_of_another_organisation_get_404(org, operator):
    other = approved_org(operator=operator, user=applicant("other@ngo.example.cn"))
    response = _upload(_client(other.applicant), org, photo_upload())
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(org):
    response = _upload(_client(), org, photo_upload())
    assert response.status_code == 302 and "/org/login/" in response["Location"]


def test_the_upload_needs_post_and_a_csrf_token(org):
    client = _client(org.applicant, enforce_csrf_checks=True)
    assert client.get(f"/org/{org.pk}/activities/images/").status_code == 405
    assert _upload(client, org, photo_upload()).status_code == 403


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg"), "invalid_image"),
        (None, "invalid_image"),
    ],
)
def test_a_non_image_answers_400_with_a_code_and_a_message(org, upload, code):
    response = _upload(_client(org.applicant), org, upload)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code and body["message"]


def test_a_payment_qr_code_answers_400_with_a_translated_message(org):
    client = _client(org.applicant)
    for upload in (photo_upload(qr="wxp://f2f0abc"), qr_png_upload("https://qr.alipay.com/fkx1")):
        response = _upload(client, org, upload)
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "payment_qr"
        assert "收款二维码" in body["message"]


def test_uploads_are_rate_limited_per_user(org, monkeypatch):
    monkeypatch.setattr(console_views, "IMAGE_UPLOAD_RATE", "2/h")
    client = _client(org.applicant)
    assert _upload(client, org, photo_upload(size=(400, 300))).status_code == 200
    assert _upload(client, org, photo_upload(size=(400, 300))).status_code == 200
    response = _upload(client, org, photo_upload(size=(400, 300)))
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) > 0


def test_the_form_keeps_the_textarea_and_loads_the_editor(org):
    activity = services.activity_create(
        org=org, user=org.applicant, data=activity_data(description_html="<p>陪伴<b>老人</b></p>")
    )
    html = _client(org.applicant).get(f"/org/{org.pk}/activities/{activity.pk}/edit/").text
    assert '<textarea name="description_html"' in html  # the field, with or without JavaScript
    assert "陪伴&lt;strong&gt;老人" in html or "&lt;p&gt;陪伴" in html
    assert "data-rich-editor" in html and "hidden data-rich-editor" in html
    assert f'data-upload-url="/org/{org.pk}/activities/images/"' in html
    assert "vendor/quill/quill.js" in html and "js/rich-editor.js" in html


def test_the_form_shows_a_payment_link_in_the_fee_note_on_its_field(org):
    data = activity_data(fee_yuan="30", fee_note="扫码付款 https://qr.alipay.com/abc")
    lists = {"questions", "regions", "beneficiaries", "skills", "incentives"}
    form = {k: "" if v is None else v for k, v in data.items() if k not in lists}
    form.update(province="31", city="3101")  # the district select lists that city's districts
    response = _client(org.applicant).post(f"/org/{org.pk}/activities/new/", form)
    assert response.status_code == 200
    assert response.context["form"].errors["fee_note"]
    assert not org.activities.exists()


LISTS = ("regions", "beneficiaries", "skills", "incentives")


def _form_post(data: dict) -> dict:
    """activity_data as the console form posts it (lists as repeated keys, questions as
    q1_…, the region selects filled)."""
    form = {k: "" if v is None else v for k, v in data.items() if k != "questions"}
    for i, q in enumerate(data.get("questions", []), start=1):
        form[f"q{i}_text"] = q["text"]
        form[f"q{i}_choices"] = ", ".join(q.get("choices", []))
        if q.get("required"):
            form[f"q{i}_required"] = "on"
    form.update(province="31", city="3101")
    return form


def _initial_as_post(initial: dict) -> dict:
    """What the browser posts back from an edit page nobody touched."""
    post = {}
    for name, value in initial.items():
        if value is None or value is False:
            continue
        post[name] = "on" if value is True else value
    return post


ALL_LISTS = {
    "regions": ["community", "countryside"],
    "beneficiaries": ["elderly"],
    "skills": ["teaching", "photography"],
    "incentives": ["certificate"],
}


def _codes(activity) -> dict[str, set[str]]:
    kinds = {"region": "regions", "beneficiary": "beneficiaries", "skill": "skills"}
    found: dict[str, set[str]] = {name: set() for name in LISTS}
    for option in activity.extra_attributes.all():
        found[kinds.get(option.kind, "incentives")].add(option.code)
    return found


def test_editing_in_the_console_keeps_all_four_attribute_lists(org):
    activity = services.activity_create(
        org=org, user=org.applicant, data=activity_data(**ALL_LISTS)
    )
    client = _client(org.applicant)
    url = f"/org/{org.pk}/activities/{activity.pk}/edit/"
    page = client.get(url)
    for name, codes in ALL_LISTS.items():
        for code in codes:  # shown ticked
            assert f'name="{name}" value="{code}"' in page.text
            assert re.search(rf'name="{name}" value="{code}"[^>]*checked', page.text)
    post = _initial_as_post(page.context["form"].initial)
    post["title"] = "社区助老探访（第二期）"
    response = client.post(url, post)
    assert response.status_code == 302, response.context["form"].errors
    activity.refresh_from_db()
    assert activity.title == "社区助老探访（第二期）"
    assert _codes(activity) == {name: set(codes) for name, codes in ALL_LISTS.items()}


def test_the_attribute_lists_are_set_through_the_console_form(org):
    chosen = {"regions": ["city"], "beneficiaries": [], "skills": ["medical"], "incentives": []}
    response = _client(org.applicant).post(
        f"/org/{org.pk}/activities/new/", _form_post(activity_data(**chosen))
    )
    assert response.status_code == 302
    activity = org.activities.get()
    assert _codes(activity) == {name: set(codes) for name, codes in chosen.items()}


@pytest.mark.parametrize(
    ("field", "value", "error_field"),
    [
        ("fee_yuan", "NaN", "fee_yuan"),
        ("fee_yuan", "1e308", "fee_yuan"),
        ("lat", "Infinity", "lat"),
        ("lng", "-1e308", "lat"),
        ("places", "1e308", "places"),
        ("checkin_radius_m", "-Infinity", "checkin_radius_m"),
    ],
)
def test_the_form_refuses_non_finite_or_huge_numbers_on_their_field(org, field, value, error_field):
    """Issue #12 §6: the page shows the field's error, saves nothing, never a server error."""
    response = _client(org.applicant).post(
        f"/org/{org.pk}/activities/new/", _form_post(activity_data(**{field: value}))
    )
    assert response.status_code == 200 and response.context["form"].errors[error_field]
    assert not org.activities.exists()


def test_an_unknown_attribute_code_is_refused_on_its_field(org):
    response = _client(org.applicant).post(
        f"/org/{org.pk}/activities/new/", _form_post(activity_data(skills=["juggling"]))
    )
    assert response.status_code == 200 and response.context["form"].errors["skills"]
    assert not org.activities.exists()


# The live check of the form (htmx): hours preview and the service's errors, nothing saved.

HX = {"HX-Request": "true"}


def _check(client, org, data: dict, url=None):
    post = {**_form_post(data), "_check": "1"}
    return client.post(url or f"/org/{org.pk}/activities/new/", post, headers=HX)


def test_the_live_check_previews_the_daily_hours_without_saving(org):
    client = _client(org.applicant)
    response = _check(client, org, activity_data(checkin_time="11:00", checkout_time="12:15"))
    assert response.status_code == 200
    assert "<form" not in response.text  # the fragment, not the page
    assert "最多 1.3 小时" in response.text
    assert not org.activities.exists()


def test_the_live_check_previews_online_activities_at_a_tenth_of_an_hour(org):
    data = activity_data(
        form="online_nature_education", checkin_time="09:00", checkout_time="12:00"
    )
    assert "最多 0.1 小时" in _check(_client(org.applicant), org, data).text


def test_the_live_check_shows_the_service_error_on_its_field(org):
    client = _client(org.applicant)
    response = _check(client, org, activity_data(checkin_time="09:00", checkout_time="17:01"))
    checkout = re.search(
        r'<div id="errors-checkout_time" hx-swap-oob="true">(.*?)</div>', response.text
    )
    assert "8 小时" in checkout.group(1)
    assert "最多" not in response.text  # no hours for a window that is refused
    # Fields that are fine are cleared; empty fields are left alone.
    assert '<div id="errors-title" hx-swap-oob="true"></div>' in response.text
    empty = _check(client, org, activity_data(title="")).text
    assert 'id="errors-title"' not in empty
    assert not org.activities.exists()


def test_the_live_check_is_rate_limited_per_user_and_saving_still_works(org, monkeypatch):
    monkeypatch.setattr(console_views, "LIVE_CHECK_RATE", "2/m")
    client = _client(org.applicant)
    data = activity_data(checkin_time="11:00", checkout_time="12:15")
    assert _check(client, org, data).status_code == 200
    assert _check(client, org, data).status_code == 200
    refused = _check(client, org, data)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.content == b""  # htmx keeps the last preview
    # Another user of the same organisation has counts of their own.
    coordinator = applicant("coord@ngo.example.cn")
    Membership.objects.create(organisation=org, user=coordinator, role="coordinator")
    assert _check(_client(coordinator), org, data).status_code == 200
    # Saving the form is not a check: it still saves.
    response = client.post(f"/org/{org.pk}/activities/new/", _form_post(data))
    assert response.status_code == 302 and org.activities.count() == 1


def test_the_live_check_on_the_edit_page_changes_nothing(org):
    activity = services.activity_create(org=org, user=org.applicant, data=activity_data())
    url = f"/org/{org.pk}/activities/{activity.pk}/edit/"
    data = activity_data(title="改了标题", checkin_time="11:00", checkout_time="12:15")
    response = _check(_client(org.applicant), org, data, url=url)
    assert "最多 1.3 小时" in response.text
    activity.refresh_from_db()
    assert activity.title == "社区助老探访" and str(activity.checkout_time) == "14:00:00"


def test_the_live_check_without_htmx_is_an_ordinary_save(org):
    post = {**_form_post(activity_data()), "_check": "1"}
    response = _client(org.applicant).post(f"/org/{org.pk}/activities/new/", post)
    assert response.status_code == 302 and org.activities.count() == 1


def test_the_live_check_sends_the_csrf_token_from_the_page(org):
    client = _client(org.applicant, enforce_csrf_checks=True)
    page = client.get(f"/org/{org.pk}/activities/new/").text
    assert f'hx-post="/org/{org.pk}/activities/new/" hx-trigger="change"' in page
    token = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page).group(1)
    post = {**_form_post(activity_data()), "_check": "1"}
    url = f"/org/{org.pk}/activities/new/"
    assert client.post(url, post, headers=HX).status_code == 403
    assert client.post(url, post, headers={**HX, "X-CSRFToken": token}).status_code == 200


def test_the_form_page_shows_the_hours_and_the_map_link_of_the_saved_activity(org):
    activity = services.activity_create(
        org=org, user=org.applicant, data=activity_data(checkin_time="14:45", checkout_time="19:00")
    )
    page = _client(org.applicant).get(f"/org/{org.pk}/activities/{activity.pk}/edit/").text
    assert "最多 4.3 小时" in page
    assert (
        'href="https://uri.amap.com/marker?position=121.437000%2C31.188000'
        '&amp;name=%E7%A4%BE%E5%8C%BA%E5%8A%A9%E8%80%81%E6%8E%A2%E8%AE%BF&amp;coordinate=gaode"'
    ) in page


def test_the_live_check_links_a_device_position_converted_to_gcj02(org):
    data = activity_data(lat="31.2304", lng="121.4737", coord="wgs84")
    response = _check(_client(org.applicant), org, {**data, "coord": "wgs84"})
    assert "position=121.478223%2C31.228458" in response.text


# The console's activity list: filters, registration counts, pages, other organisations.


def _listed(client, org, **params) -> list[str]:
    response = client.get(f"/org/{org.pk}/activities/", params)
    assert response.status_code == 200
    return [a.title for a in response.context["page"].items]


def _day(n: int) -> str:
    import datetime as dt

    from threehours.core.timeutil import local_today

    return (local_today() + dt.timedelta(days=n)).isoformat()


def test_the_list_filters_by_keyword_dates_and_state(org):
    def make(title, start, end=None):
        return services.activity_create(
            org=org,
            user=org.applicant,
            data=activity_data(title=title, start_date=_day(start), end_date=_day(end or start)),
        )

    make("社区图书角整理", 10)
    garden = make("社区花园浇水", 20, 22)
    make("河道清洁", 30)
    services.activity_publish(activity=garden, user=org.applicant)
    client = _client(org.applicant)
    assert _listed(client, org) == ["河道清洁", "社区花园浇水", "社区图书角整理"]
    assert _listed(client, org, q="社区") == ["社区花园浇水", "社区图书角整理"]
    assert _listed(client, org, q="花园") == ["社区花园浇水"]
    # An activity is in a date range when any of its days is.
    assert _listed(client, org, date_from=_day(22), date_to=_day(30)) == [
        "河道清洁",
        "社区花园浇水",
    ]
    assert _listed(client, org, date_from=_day(23)) == ["河道清洁"]
    assert _listed(client, org, date_to=_day(19)) == ["社区图书角整理"]
    assert _listed(client, org, state="published") == ["社区花园浇水"]
    assert _listed(client, org, state="draft", q="社区") == ["社区图书角整理"]
    assert _listed(client, org, q="没有这个") == []
    # A filter that does not parse is left out rather than failing the page.
    assert len(_listed(client, org, date_from="tomorrow", state="nonsense")) == 3


def test_the_list_counts_live_registrations_and_the_waiting_list(org):
    from threehours.signups import services as signup_services
    from threehours.signups.tests.factories import published_activity, volunteers

    activity = published_activity(org, places=2, questions=[])
    quiet = published_activity(org, title="无人报名的活动", questions=[])
    people = volunteers(5)
    for person in people[:2]:
        signup_services.signup_create(activity=activity, volunteer=person)
    for person in people[2:4]:
        signup_services.signup_create(activity=activity, volunteer=person, join_waitlist=True)
    cancelled = signup_services.signup_create(
        activity=quiet, volunteer=people[4], join_waitlist=True
    )
    signup_services.signup_cancel(activity=quiet, volunteer=people[4])
    assert cancelled.pk
    response = _client(org.applicant).get(f"/org/{org.pk}/activities/")
    rows = {a.title: (a.registered, a.waiting) for a in response.context["page"].items}
    assert rows == {"社区助老探访": (2, 2), "无人报名的活动": (0, 0)}
    cells = r'data-testid="registrations-count">2</a></td><td data-testid="waiting-count">2<'
    assert re.search(cells, response.text)


def test_the_list_pages_on_with_a_more_link_instead_of_cutting(org, monkeypatch):
    from threehours.console import selectors as console_selectors

    monkeypatch.setattr(console_selectors, "CONSOLE_PAGE_SIZE", 2)
    for i in range(5):
        services.activity_create(org=org, user=org.applicant, data=activity_data(title=f"活动 {i}"))
    client = _client(org.applicant)
    seen, url = [], f"/org/{org.pk}/activities/?q=活动"
    while url:
        response = client.get(url)
        seen += [a.title for a in response.context["page"].items]
        more = re.search(r'href="(\?[^"]+)" data-testid="more"', response.text)
        url = f"/org/{org.pk}/activities/" + more.group(1).replace("&amp;", "&") if more else None
        if more:
            assert "q=%E6%B4%BB%E5%8A%A8" in more.group(1)  # the filters go along
    assert seen == [f"活动 {i}" for i in reversed(range(5))]
    stale = client.get(f"/org/{org.pk}/activities/", {"cursor": "not-a-cursor"})
    assert stale.status_code == 200 and len(stale.context["page"].items) == 2


def test_the_list_never_shows_another_organisations_activities(org, operator):
    other = approved_org(operator=operator, user=applicant("other@ngo.example.cn"))
    services.activity_create(org=other, user=other.applicant, data=activity_data(title="别家活动"))
    services.activity_create(org=org, user=org.applicant, data=activity_data(title="自家活动"))
    client = _client(org.applicant)
    for params in ({}, {"q": "别家"}, {"state": "draft"}, {"date_from": _day(0)}):
        assert "别家活动" not in _listed(client, org, **params)
    assert _listed(client, org) == ["自家活动"]
    assert client.get(f"/org/{other.pk}/activities/").status_code == 404


def test_the_list_page_costs_the_same_queries_for_many_activities(
    org, django_assert_max_num_queries
):
    from threehours.signups import services as signup_services
    from threehours.signups.tests.factories import published_activity, volunteers

    client = _client(org.applicant)
    for i, person in enumerate(volunteers(6)):
        activity = published_activity(org, title=f"活动 {i}", questions=[])
        signup_services.signup_create(activity=activity, volunteer=person)
    # Session, user, organisation, role, and one query for the page with its counts.
    with django_assert_max_num_queries(5):
        response = client.get(f"/org/{org.pk}/activities/", {"q": "活动"})
    assert len(response.context["page"].items) == 6


def test_the_console_activity_page_links_the_place_on_a_gcj02_map(org):
    activity = services.activity_create(org=org, user=org.applicant, data=activity_data())
    page = _client(org.applicant).get(f"/org/{org.pk}/activities/{activity.pk}/").text
    link = re.search(r'<a href="([^"]+)"[^>]*data-testid="map-link"', page).group(1)
    assert link.replace("&amp;", "&") == (
        "https://uri.amap.com/marker?position=121.437000%2C31.188000"
        "&name=%E7%A4%BE%E5%8C%BA%E5%8A%A9%E8%80%81%E6%8E%A2%E8%AE%BF&coordinate=gaode"
    )
    online = services.activity_create(
        org=org, user=org.applicant, data=activity_data(form="online_nature_education")
    )
    page = _client(org.applicant).get(f"/org/{org.pk}/activities/{online.pk}/").text
    assert 'data-testid="map-link"' not in page


# Issue #12: once volunteers have checked in, the edit form shows the frozen fields disabled.

FROZEN_INPUTS = ("start_date", "end_date", "checkin_time", "checkout_time", "address", "lat")


def _started(org, *, checked_in: bool):
    import datetime as dt

    from threehours.core.timeutil import local_today
    from threehours.signups.tests.factories import attended, published_activity, volunteers

    today = local_today().isoformat()
    activity = published_activity(org, start_date=today, end_date=today, questions=[])
    if checked_in:
        attended(org, activity, volunteers(1)[0], until=None)
    return activity, (local_today() + dt.timedelta(days=5)).isoformat()


def test_after_a_check_in_the_edit_form_shows_dates_times_and_place_disabled(org):
    activity, later = _started(org, checked_in=True)
    client = _client(org.applicant)
    url = f"/org/{org.pk}/activities/{activity.pk}/edit/"
    page = client.get(url)
    assert 'data-testid="frozen-note"' in page.text
    for name in FROZEN_INPUTS:
        assert re.search(rf'<input[^>]*name="{name}"[^>]*disabled', page.text), name
    assert re.search(r'<select[^>]*name="form"[^>]*disabled', page.text)
    assert "data-use-position" not in page.text
    assert not re.search(r'<input[^>]*name="title"[^>]*disabled', page.text)
    # A crafted post cannot move the days: disabled fields keep their saved values.
    post = _initial_as_post(page.context["form"].initial)
    post.update(title="社区助老探访（改）", start_date=later, end_date=later, coord="wgs84")
    response = client.post(url, post)
    assert response.status_code == 302, response.context["form"].errors
    saved = activity.start_date, activity.lat, activity.lng
    activity.refresh_from_db()
    assert activity.title == "社区助老探访（改）"
    assert (activity.start_date, activity.lat, activity.lng) == saved


def test_before_any_check_in_the_edit_form_can_move_the_days(org):
    activity, later = _started(org, checked_in=False)
    client = _client(org.applicant)
    url = f"/org/{org.pk}/activities/{activity.pk}/edit/"
    page = client.get(url)
    assert 'data-testid="frozen-note"' not in page.text
    assert not re.search(r'<input[^>]*name="start_date"[^>]*disabled', page.text)
    post = _initial_as_post(page.context["form"].initial)
    post.update(start_date=later, end_date=later, registration_deadline="")
    response = client.post(url, post)
    assert response.status_code == 302, response.context["form"].errors
    activity.refresh_from_db()
    assert activity.start_date.isoformat() == later


def test_the_console_form_sets_check_in_by_qr_code_only(org):
    client = _client(org.applicant)
    page = client.get(f"/org/{org.pk}/activities/new/").text
    assert 'name="checkin_qr_only"' in page
    assert "4 位签到码只能通过绿色通道使用" in page
    response = client.post(
        f"/org/{org.pk}/activities/new/", {**_form_post(activity_data()), "checkin_qr_only": "on"}
    )
    assert response.status_code == 302
    assert org.activities.get().checkin_qr_only is True
