"""Every rule of the activity form, boundary values on both sides (issue #4 §1)."""

import datetime as dt
from decimal import Decimal

import pytest

from threehours.activities import errors, services
from threehours.activities.models import Activity
from threehours.core.errors import InvalidInput
from threehours.core.timeutil import local_today
from threehours.orgs import services as org_services
from threehours.orgs.tests.factories import applicant, approved_org, submitted_org

from .factories import activity_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(operator):
    return approved_org(operator=operator)


def _create(org, **overrides):
    return services.activity_create(org=org, user=org.applicant, data=activity_data(**overrides))


def _refused(org, field, **overrides):
    before = Activity.objects.count()
    with pytest.raises(InvalidInput) as caught:
        _create(org, **overrides)
    assert field in caught.value.fields, caught.value.fields
    assert Activity.objects.count() == before  # nothing half-written


def _day(n):
    return (local_today() + dt.timedelta(days=n)).isoformat()


def test_a_valid_draft_is_saved_with_computed_hours(org):
    activity = _create(org, checkin_time="11:00", checkout_time="12:15")
    assert activity.state == "draft"
    assert activity.max_hours_per_day == Decimal("1.3")
    assert activity.registration_deadline == activity.end_date  # default: the last day
    assert activity.city.code == "3101" and activity.online is False
    assert [q.text for q in activity.questions.all()] == ["所在城市"]


def test_seven_days_is_allowed_eight_is_not(org):
    assert _create(org, start_date=_day(10), end_date=_day(16)).pk
    Activity.objects.all().delete()
    _refused(org, "end_date", start_date=_day(10), end_date=_day(17))


def test_deadline_on_the_last_day_is_allowed_after_it_is_not(org):
    assert _create(org, registration_deadline=_day(10)).pk
    Activity.objects.all().delete()
    _refused(org, "registration_deadline", registration_deadline=_day(11))


def test_window_of_eight_hours_is_allowed_one_minute_more_is_not(org):
    assert _create(org, checkin_time="09:00", checkout_time="17:00").max_hours_per_day == 8
    Activity.objects.all().delete()
    _refused(org, "checkout_time", checkin_time="09:00", checkout_time="17:01")
    _refused(org, "checkout_time", checkin_time="14:00", checkout_time="14:00")


@pytest.mark.parametrize("field", ["skill_requirement", "other_requirement"])
def test_requirements_hold_twenty_characters_not_twenty_one(org, field):
    assert _create(org, **{field: "字" * 20}).pk
    Activity.objects.all().delete()
    _refused(org, field, **{field: "字" * 21})


def test_five_questions_are_allowed_six_are_not(org):
    question = {"text": "微信号", "kind": "text", "required": False}
    assert _create(org, questions=[question] * 5).questions.count() == 5
    Activity.objects.all().delete()
    _refused(org, "questions", questions=[question] * 6)
    _refused(org, "questions", questions=[{"text": "T 恤尺码", "kind": "choice", "choices": ["M"]}])


def test_places_up_to_the_organisations_limit(org, operator):
    assert _create(org, places=100).pk
    _refused(org, "places", places=101)
    _refused(org, "places", places=0)
    org_services.org_places_limit_set(org=org, operator=operator, limit=300)
    org.refresh_from_db()
    assert _create(org, places=300).places == 300


def test_a_fee_needs_a_payment_note(org):
    _refused(org, "fee_note", fee_yuan="30")
    _refused(org, "fee_yuan", fee_yuan="-1")
    activity = _create(org, fee_yuan="30", fee_note="现场收取材料费")
    assert activity.fee_yuan == Decimal("30.00")


def test_online_form_makes_an_online_activity_without_a_place(org):
    activity = _create(
        org, form="online_remote_teaching", address="", lat=None, lng=None, district=""
    )
    assert activity.online and activity.lat is None and activity.checkin_radius_m is None
    assert activity.max_hours_per_day == Decimal("0.1")


def test_offline_needs_a_place_in_china_and_a_sane_radius(org):
    _refused(org, "lat", lat=48.8566, lng=2.3522)  # Paris
    _refused(org, "checkin_radius_m", checkin_radius_m=49)
    _refused(org, "checkin_radius_m", checkin_radius_m=5001)
    _refused(org, "district", district="")
    _refused(org, "address", address="")
    assert _create(org, checkin_radius_m=50).checkin_radius_m == 50


NOT_NUMBERS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "sNaN",
    "1e308",
    "-1e308",
    float("nan"),
    float("inf"),
]


@pytest.mark.parametrize("value", NOT_NUMBERS)
@pytest.mark.parametrize("field", ["fee_yuan", "lat", "lng", "places", "checkin_radius_m"])
def test_non_finite_or_huge_numbers_are_refused_on_their_field(org, field, value):
    """Issue #12 §6: as the console form's text or the API's number, never a server error."""
    # A longitude that is a number but not in China is reported on `lat` ("these coordinates
    # are not in China"); one that is no number at all, on its own field.
    huge = field == "lng" and str(value).startswith(("1e", "-1e"))
    _refused(org, "lat" if huge else field, **{field: value})


def test_type_form_and_field_come_from_the_lists(org):
    _refused(org, "type", type="party")
    _refused(org, "form", form="")
    _refused(org, "beneficiaries", beneficiaries=["aliens"])


def test_descriptions_are_sanitised(org):
    activity = _create(
        org,
        description_html='<p onclick="x()">你好<script>alert(1)</script>'
        '<a href="javascript:alert(1)">链接</a></p>',
    )
    assert "script" not in activity.description_html
    assert "onclick" not in activity.description_html
    assert "javascript" not in activity.description_html


def test_what_the_description_editor_writes_survives_sanitising(org):
    # Quill's getSemanticHTML() output for every toolbar button (static/js/rich-editor.js).
    html = (
        "<h2>集合</h2><h3>物品</h3><p>带<strong>水杯</strong>和<em>帽子</em>，<u>准时</u></p>"
        "<p><br></p><ol><li>一</li></ol><ul><li>二</li></ul><blockquote>引用</blockquote>"
        '<p><a href="https://example.org/" rel="noopener noreferrer" target="_blank">链接</a></p>'
        '<p><img src="/media/activities/images/a.jpg"></p>'
    )
    kept = _create(org, description_html=html).description_html
    for part in (
        "<h2>集合</h2>",
        "<h3>物品</h3>",
        "<strong>水杯</strong>",
        "<em>帽子</em>",
        "<u>准时</u>",
        "<ol><li>一</li></ol>",
        "<ul><li>二</li></ul>",
        "<blockquote>引用</blockquote>",
        'href="https://example.org/"',
        '<img src="/media/activities/images/a.jpg">',
    ):
        assert part in kept
    assert "target=" not in kept


def test_only_an_organisation_that_may_publish_publishes(operator):
    pending = submitted_org(user=applicant("pending@ngo.example.cn"))
    draft = services.activity_create(org=pending, user=pending.applicant, data=activity_data())
    with pytest.raises(errors.OrgCannotPublish) as caught:
        services.activity_publish(activity=draft, user=pending.applicant)
    assert caught.value.code == "org_cannot_publish"
    org = org_services.org_approve(org=pending, operator=operator)
    published = services.activity_publish(activity=draft, user=org.applicant)
    assert published.state == "published" and published.published_at
    with pytest.raises(errors.ActivityWrongState):
        services.activity_publish(activity=draft, user=org.applicant)


def test_copy_keeps_everything_but_dates_and_is_a_draft(org):
    source = _create(org, start_date=_day(30), end_date=_day(31))
    services.activity_publish(activity=source, user=org.applicant)
    copy = services.activity_copy(activity=source, user=org.applicant)
    assert copy.pk != source.pk and copy.state == "draft"
    assert (copy.title, copy.places, copy.address) == (source.title, source.places, source.address)
    assert copy.end_date - copy.start_date == source.end_date - source.start_date
    assert list(copy.questions.values_list("text", flat=True)) == ["所在城市"]
    assert set(copy.extra_attributes.all()) == set(source.extra_attributes.all())


def test_cancel_needs_a_reason_and_is_final(org):
    activity = _create(org)
    with pytest.raises(InvalidInput):
        services.activity_cancel(activity=activity, user=org.applicant, reason=" ")
    services.activity_cancel(activity=activity, user=org.applicant, reason="天气原因")
    with pytest.raises(errors.ActivityWrongState):
        services.activity_update(activity=activity, user=org.applicant, data=activity_data())


def test_suspended_organisations_activities_are_hidden(org, operator):
    activity = _create(org)
    services.activity_publish(activity=activity, user=org.applicant)
    assert list(Activity.objects.published()) == [activity]
    org_services.org_suspend(org=org, operator=operator, reason="投诉")
    assert not Activity.objects.published().exists()


# --- no payment on the platform: links in text, QR codes in images (docs/product.md §2) ----------


def test_a_fee_note_with_a_payment_link_is_refused(org):
    _refused(org, "fee_note", fee_yuan="30", fee_note="扫码付款 https://qr.alipay.com/abc")
    _refused(org, "fee_note", fee_yuan="30", fee_note="微信 wxp://f2f0abc")
    assert _create(org, fee_yuan="30", fee_note="现场用微信或支付宝付款，开具收据").pk


@pytest.mark.parametrize(
    "html",
    [
        "<p>报名后付款：https://qr.alipay.com/fkx123</p>",
        '<p><a href="https://qr.95516.com/00010000/1">云闪付付款</a></p>',
        '<p><a href="wxp://f2f0abc">微信付款</a></p>',  # the sanitiser drops the href
    ],
)
def test_a_description_with_a_payment_link_is_refused(org, html):
    _refused(org, "description_html", description_html=html)


def test_a_description_with_ordinary_links_is_kept(org):
    html = '<p>详见 <a href="https://example.org/guide">活动指南</a></p>'
    assert (
        'href="https://example.org/guide"' in _create(org, description_html=html).description_html
    )


def test_description_images_are_reencoded_into_public_storage(org):
    from django.core.files.storage import default_storage

    from threehours.core.tests.pictures import photo_upload

    url = services.activity_image_store(org=org, user=org.applicant, upload=photo_upload())
    assert url.startswith("/media/activities/images/") and url.endswith(".jpg")
    name = url.removeprefix("/media/")
    assert default_storage.exists(name)
    with default_storage.open(name) as stored:
        from PIL import Image

        assert max(Image.open(stored).size) == 1600
    html = _create(org, description_html=f'<p>现场</p><p><img src="{url}"></p>').description_html
    assert f'<img src="{url}">' in html


def _stored_images() -> set[str]:
    from django.core.files.storage import default_storage

    if not default_storage.exists(services.DESCRIPTION_IMAGE_DIR):
        return set()
    return set(default_storage.listdir(services.DESCRIPTION_IMAGE_DIR)[1])


def test_an_image_with_a_payment_qr_code_is_refused(org):
    from threehours.core.tests.pictures import photo_upload, qr_png_upload

    before = _stored_images()
    for upload in (photo_upload(qr="wxp://f2f0abc"), qr_png_upload("https://qr.alipay.com/fkx1")):
        with pytest.raises(errors.PaymentQrImage) as caught:
            services.activity_image_store(org=org, user=org.applicant, upload=upload)
        assert caught.value.code == "payment_qr"
    assert _stored_images() == before


def test_images_with_ordinary_qr_codes_and_plain_photos_are_accepted(org):
    from threehours.core.tests.pictures import photo_upload

    for upload in (photo_upload(qr="https://example.org/"), photo_upload()):
        assert services.activity_image_store(org=org, user=org.applicant, upload=upload)


def test_a_cover_with_a_payment_qr_code_is_refused(org):
    from threehours.core.tests.pictures import photo_upload

    activity = _create(org)
    with pytest.raises(errors.PaymentQrImage):
        services.activity_cover_set(
            activity=activity, user=org.applicant, upload=photo_upload(qr="wxp://f2f0abc")
        )
    activity.refresh_from_db()
    assert not activity.cover
    services.activity_cover_set(
        activity=activity, user=org.applicant, upload=photo_upload(qr="https://example.org/")
    )
    activity.refresh_from_db()
    assert activity.cover


def test_a_copy_has_its_own_cover_file_so_replacing_it_keeps_the_original(org):
    from django.core.files.storage import default_storage
    from PIL import Image

    from threehours.core.tests.pictures import photo_upload

    source = _create(org)
    services.activity_cover_set(activity=source, user=org.applicant, upload=photo_upload())
    source.refresh_from_db()
    copy = services.activity_copy(activity=source, user=org.applicant)
    assert copy.cover and copy.cover.name != source.cover.name
    assert (copy.cover_width, copy.cover_height) == (source.cover_width, source.cover_height)
    services.activity_cover_set(
        activity=copy, user=org.applicant, upload=photo_upload(size=(1000, 800))
    )
    copy.refresh_from_db()
    assert copy.cover.name != source.cover.name
    assert default_storage.exists(source.cover.name)
    with default_storage.open(source.cover.name) as stored:
        assert Image.open(stored).size == (source.cover_width, source.cover_height)
