"""The printable poster: a real A4 PDF in Chinese whose QR code opens the activity page."""

import shutil
import subprocess

import pytest
from django.test import Client

from threehours.activities import services
from threehours.orgs.tests.factories import approved_org

from .factories import activity_data

pytestmark = pytest.mark.django_db


def test_poster_has_the_essentials_and_a_working_qr_code(operator, tmp_path, settings):
    settings.SITE_URL = "https://3hours.example.org"
    org = approved_org(operator=operator)
    activity = services.activity_create(
        org=org, user=org.applicant, data=activity_data(title="周末社区图书角整理")
    )
    client = Client()
    client.force_login(org.applicant)
    assert client.get(f"/org/{org.pk}/activities/{activity.pk}/poster.pdf").status_code == 404
    services.activity_publish(activity=activity, user=org.applicant)
    response = client.get(f"/org/{org.pk}/activities/{activity.pk}/poster.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"/FontFile2" in response.content
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(response.content)
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        for expected in ("周末社区图书角整理", "每天最多 1.0 小时", "漕溪北路", org.name):
            assert expected in text
    if shutil.which("pdftoppm") and shutil.which("zbarimg"):
        subprocess.run(
            ["pdftoppm", "-r", "100", "-png", str(pdf), str(tmp_path / "page")], check=True
        )
        page = next(tmp_path.glob("page*.png"))
        decoded = subprocess.run(
            ["zbarimg", "--raw", "-q", str(page)], capture_output=True, text=True, check=True
        ).stdout.strip()
        assert decoded == f"https://3hours.example.org/activities/{activity.pk}/"


def test_cover_upload_in_the_console_warns_about_small_images(operator):
    from threehours.orgs.tests.factories import image_upload

    org = approved_org(operator=operator)
    activity = services.activity_create(org=org, user=org.applicant, data=activity_data())
    client = Client()
    client.force_login(org.applicant)
    response = client.post(
        f"/org/{org.pk}/activities/{activity.pk}/cover/",
        {"cover": image_upload(size=(1200, 800))},
        follow=True,
    )
    levels = [m.level_tag for m in response.context["messages"]]
    assert levels == ["success", "warning"]
    activity.refresh_from_db()
    assert activity.cover and activity.cover_width == 1200
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/org/{org.pk}/activities/{activity.pk}/cover/",
        {"cover": SimpleUploadedFile("x.jpg", b"not an image")},
        follow=True,
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
