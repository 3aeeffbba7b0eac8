"""Console and operator pages around onboarding."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from threehours.orgs.models import Organisation

from .factories import applicant, image_upload, submitted_org

pytestmark = pytest.mark.django_db


def test_review_queue_lists_the_longest_waiting_first(operator):
    newer = submitted_org(user=applicant("newer@ngo.example.cn"), name="后提交的协会")
    older = submitted_org(user=applicant("older@ngo.example.cn"), name="先提交的协会")
    Organisation.objects.filter(pk=older.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=3)
    )
    client = Client()
    client.force_login(operator)
    html = client.get("/ops/orgs/review/").content.decode()
    assert html.index("先提交的协会") < html.index("后提交的协会")
    assert newer.pk


def test_operator_rejects_only_with_a_reason_through_the_page(operator):
    org = submitted_org()
    client = Client()
    client.force_login(operator)
    response = client.post(f"/ops/orgs/{org.pk}/reject/", {"reason": ""}, follow=True)
    assert response.status_code == 200
    org.refresh_from_db()
    assert org.state == "submitted"
    client.post(f"/ops/orgs/{org.pk}/reject/", {"reason": "材料不全"})
    org.refresh_from_db()
    assert org.state == "rejected" and org.reject_reason == "材料不全"


def test_operator_sees_qualification_images_and_strangers_do_not(operator, outsider):
    org = submitted_org()
    row = org.files.get()
    client = Client()
    client.force_login(operator)
    response = client.get(f"/ops/orgs/{org.pk}/files/{row.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")  # JPEG
    stranger = Client()
    stranger.force_login(outsider)
    assert stranger.get(f"/org/{org.pk}/files/{row.pk}/").status_code == 404


def test_uploads_are_not_reachable_under_the_public_media_url(settings):
    org = submitted_org()
    row = org.files.get()
    with pytest.raises(NotImplementedError):
        row.image.url  # noqa: B018 — no public URL exists for a private file
    assert row.image.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not row.image.path.startswith(str(settings.MEDIA_ROOT))


def test_org_filters_and_certificate_expiry_list(operator):
    submitted_org(name="学校协会")
    client = Client()
    client.force_login(operator)
    html = client.get("/ops/orgs/?state=submitted&category=school").content.decode()
    assert "学校协会" in html
    html = client.get("/ops/orgs/?state=approved").content.decode()
    assert "学校协会" not in html


def test_suspended_organisation_console_shows_the_notice(operator):
    from threehours.orgs import services

    org = submitted_org()
    org = services.org_approve(org=org, operator=operator)
    services.org_suspend(org=org, operator=operator, reason="多次投诉未处理")
    client = Client()
    client.force_login(org.applicant)
    response = client.get(f"/org/{org.pk}/")
    assert response.status_code == 403
    assert "多次投诉未处理" in response.content.decode()
    response = client.post(f"/org/{org.pk}/files/", {"kind": "other", "file": image_upload()})
    assert response.status_code == 403
