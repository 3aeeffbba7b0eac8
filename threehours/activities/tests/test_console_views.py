"""The console's description-image upload and the editor on the activity form (issue #4)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from threehours.activities import console_views, services
from threehours.core.tests.pictures import photo_upload, qr_png_upload
from threehours.orgs.models import Membership
from threehours.orgs.tests.factories import applicant, approved_org

from .factories import activity_data

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
