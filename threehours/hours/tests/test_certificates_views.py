"""公益证书 pages: the list, the form that issues one, and the PDF download (issue #15 §3)."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client
from django.urls import reverse

from threehours.family.tests.factories import child_of, guardian
from threehours.hours.certificates import certificate_issue
from threehours.hours.models import Certificate
from threehours.hours.views import ISSUE_RATE

from .certs import adult, credit, later, offline

pytestmark = pytest.mark.django_db

URL = "/me/certificates/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_urls():
    assert reverse("hours:certificates") == URL
    assert reverse("hours:certificate-pdf", args=["3H-AAAA"]) == "/me/certificates/3H-AAAA.pdf"


def test_my_hours_links_to_the_certificates(org):
    holder = adult()
    page = _client(holder).get(reverse("reporting:my-hours"))
    assert f'href="{URL}"' in page.content.decode()


def test_issue_from_the_page_and_download_it(org):
    holder = adult()
    activity = offline(org)
    with later(20):
        credit(holder, activity, activity.start_date, "2.5")
        client = _client(holder)
        page = client.get(URL)
        assert page.status_code == 200
        assert "阳光志愿者协会" in page.content.decode()  # an organisation with my hours
        response = client.post(
            URL, {"holder": "me", "period": "all", "language": "zh-hans"}, follow=True
        )
    cert = Certificate.objects.get()
    assert cert.holder == holder and cert.total_hours == 2.5
    assert cert.serial in response.content.decode()
    download = client.get(reverse("hours:certificate-pdf", args=[cert.serial]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    data = b"".join(download.streaming_content)
    assert hashlib.sha256(data).hexdigest() == cert.sha256


def test_a_period_without_hours_shows_the_error_and_writes_nothing(org):
    holder = adult()
    activity = offline(org)
    with later(20):
        credit(holder, activity, activity.start_date, "2.5")
        response = _client(holder).post(
            URL,
            {
                "holder": "me",
                "period": "range",
                "date_from": "2001-01-01",
                "date_to": "2001-12-31",
                "language": "en",
            },
        )
    assert response.status_code == 409
    assert "没有志愿服务时长" in response.content.decode()
    assert not Certificate.objects.exists()


def test_a_bad_period_is_shown_on_its_field(org):
    holder = adult()
    activity = offline(org)
    with later(20):
        credit(holder, activity, activity.start_date, "2.5")
        response = _client(holder).post(
            URL,
            {
                "holder": "me",
                "period": "range",
                "date_from": "2026-12-31",
                "date_to": "2026-12-01",
                "language": "zh-hans",
            },
        )
    assert response.status_code == 400
    assert "开始日期不能晚于结束日期" in response.content.decode()


def test_a_guardian_issues_for_a_child_and_a_stranger_cannot_name_it(org):
    parent = guardian()
    child = child_of(parent)
    stranger = adult()
    activity = offline(org)
    with later(20):
        credit(child, activity, activity.start_date, "2.0")
        page = _client(parent).get(URL + f"?for={child.pk}")
        assert f'value="{child.pk}" id="id_holder_1" checked' in page.content.decode() or (
            "checked" in page.content.decode()
        )
        _client(parent).post(URL, {"holder": str(child.pk), "period": "all", "language": "en"})
        refused = _client(stranger).post(
            URL, {"holder": str(child.pk), "period": "all", "language": "en"}
        )
    cert = Certificate.objects.get()
    assert (cert.holder, cert.issued_to) == (child, parent)
    assert refused.status_code == 400  # not one of the stranger's choices
    assert Certificate.objects.count() == 1


def test_another_users_pdf_is_404(org):
    holder, other = adult(), adult(phone="13700000002", name="李四")
    activity = offline(org)
    with later(20):
        credit(holder, activity, activity.start_date, "2.0")
        cert = certificate_issue(requester=holder, holder=holder)
    url = reverse("hours:certificate-pdf", args=[cert.serial])
    assert _client(other).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the log-in page
    assert _client(holder).get(url).status_code == 200
    assert cert.serial not in _client(other).get(URL).content.decode()


def test_the_list_shows_a_revoked_certificate_and_why(org):
    holder = adult()
    activity = offline(org)
    with later(20):
        credit(holder, activity, activity.start_date, "2.0")
        cert = certificate_issue(requester=holder, holder=holder)
        credit(holder, activity, activity.start_date, "1.0")  # a late credit for that day
        page = _client(holder).get(URL).content.decode()
    cert.refresh_from_db()
    assert cert.state == "revoked"
    assert 'data-testid="revoked-reason"' in page
    assert "已撤销" in page or "Revoked" in page


def test_issuing_is_rate_limited(org):
    holder = adult()
    activity = offline(org)
    limit = int(ISSUE_RATE.split("/")[0])
    with later(20):
        credit(holder, activity, activity.start_date, "2.0")
        client = _client(holder)
        for _ in range(limit):
            client.post(URL, {"holder": "me", "period": "all", "language": "en"})
        refused = client.post(URL, {"holder": "me", "period": "all", "language": "en"})
    assert Certificate.objects.count() == limit
    assert refused.status_code == 429
