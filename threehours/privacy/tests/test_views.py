from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from threehours.accounts.models import User
from threehours.privacy import services
from threehours.privacy.models import AccountClosure, DataExport

from .factories import with_history

pytestmark = pytest.mark.django_db


def test_me_links_to_privacy(client, volunteer):
    client.force_login(volunteer)
    page = client.get(reverse("accounts:me")).content.decode()
    assert reverse("privacy:home") in page


def test_privacy_home_shows_masked_data_and_organisations(client, org, volunteer):
    with_history(org, volunteer)
    client.force_login(volunteer)
    page = client.get(reverse("privacy:home")).content.decode()
    assert "139****0001" in page and "13900000001" not in page
    assert org.name in page and "/privacy/" in page and "/terms/" in page


def test_privacy_home_needs_login(client):
    response = client.get(reverse("privacy:home"))
    assert response.status_code == 302


def test_download_is_requested_and_served_to_its_owner_only(
    client, volunteer, outsider, django_capture_on_commit_callbacks
):
    client.force_login(volunteer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy:data-export-request"))
    assert response.status_code == 302
    export = DataExport.objects.get(user=volunteer)
    assert export.state == DataExport.State.READY
    url = reverse("privacy:data-export-file", args=[export.pk])
    assert url in client.get(reverse("privacy:home")).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"PK")
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_an_expired_download_is_404(client, volunteer, django_capture_on_commit_callbacks):
    client.force_login(volunteer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("privacy:data-export-request"))
    export = DataExport.objects.get(user=volunteer)
    services.data_exports_expire(now=timezone.now() + timezone.timedelta(days=8))
    assert client.get(reverse("privacy:data-export-file", args=[export.pk])).status_code == 404


def test_closing_needs_the_confirmation_box(client, volunteer):
    client.force_login(volunteer)
    response = client.post(reverse("privacy:closure"), {})
    assert response.status_code == 400
    assert not AccountClosure.objects.exists()
    response = client.post(reverse("privacy:closure"), {"confirm": "yes"})
    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.is_closing
    page = client.get(reverse("privacy:closure")).content.decode()
    assert 'data-testid="closure-requested"' in page


def test_closing_refusal_is_shown(client, org):
    client.force_login(org.applicant)
    response = client.post(reverse("privacy:closure"), {"confirm": "yes"})
    assert response.status_code == 400
    assert 'data-testid="closure-error"' in response.content.decode()
    assert not User.objects.get(pk=org.applicant.pk).is_closing


def test_closing_is_cancelled_from_the_page(client, volunteer):
    client.force_login(volunteer)
    client.post(reverse("privacy:closure"), {"confirm": "yes"})
    response = client.post(reverse("privacy:closure-cancel"))
    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert not volunteer.is_closing
    assert AccountClosure.objects.get(user=volunteer).cancelled_at is not None
