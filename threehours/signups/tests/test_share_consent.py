"""Sharing registration data with the organiser needs the separate consent (issue #16 §1,
PIPL Art. 23): asked once on the page and in the API; without it nothing is registered."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from threehours.accounts.models import Consent, User
from threehours.signups.models import Signup
from threehours.signups.tests.factories import published_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(db):
    return User.objects.create(phone="13600000043", phone_bound_at=timezone.now())


def test_the_api_refuses_without_the_consent_and_registers_with_it(api, org, newcomer):
    activity = published_activity(org, questions=[])
    client = api.as_user(newcomer)
    path = f"activities/{activity.pk}/registrations"
    response = client.post(path, {})
    assert (response.status_code, response.json()["code"]) == (400, "consent_required")
    assert not Signup.objects.exists() and not newcomer.consents.exists()
    response = client.post(path, {"share_consent": True})
    assert response.status_code == 201
    row = newcomer.consents.get()
    assert (row.kind, row.version, row.ip) == ("share_with_org", 1, "127.0.0.1")


def test_asked_once_then_one_indexed_read_and_none_with_the_flag(api, org, newcomer):
    first, second = (published_activity(org, questions=[]) for _ in range(2))
    client = api.as_user(newcomer)
    assert (
        client.post(f"activities/{first.pk}/registrations", {"share_consent": True}).status_code
        == 201
    )
    with CaptureQueriesContext(connection) as queries:
        assert client.post(f"activities/{second.pk}/registrations", {}).status_code == 201
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "accounts_consent"' in q["sql"]]
    assert len(reads) == 1, reads
    third = published_activity(org, questions=[])
    with CaptureQueriesContext(connection) as queries:
        client.post(f"activities/{third.pk}/registrations", {"share_consent": True})
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "accounts_consent"' in q["sql"]]
    assert reads == []


def test_the_page_shows_the_consent_block_and_refuses_without_the_tick(org, newcomer):
    activity = published_activity(org, questions=[])
    client = Client()
    client.force_login(newcomer)
    page = client.get(f"/activities/{activity.pk}/").content.decode()
    assert 'name="share_consent"' in page and org.name in page
    response = client.post(f"/activities/{activity.pk}/register/", {})
    assert response.status_code == 200 and not Signup.objects.exists()
    assert "consent-share_with_org" in response.content.decode()
    response = client.post(f"/activities/{activity.pk}/register/", {"share_consent": "on"})
    assert response.status_code == 302 and Signup.objects.filter(volunteer=newcomer).exists()
    assert Consent.objects.filter(user=newcomer, kind="share_with_org").exists()
    other = published_activity(org, questions=[])
    assert 'name="share_consent"' not in client.get(f"/activities/{other.pk}/").content.decode()


def test_the_consent_is_recorded_with_the_registration_not_when_it_is_refused(api, org, newcomer):
    """Consent and sharing happen together: a refused registration (full) records no consent
    (the volunteer is asked again), a registration records it in its own transaction."""
    full = published_activity(org, questions=[], places=1)
    User.objects.create(phone="13600000044", phone_bound_at=timezone.now())
    Signup.objects.create(
        activity=full, volunteer=User.objects.get(phone="13600000044"), status="confirmed"
    )
    full.__class__.objects.filter(pk=full.pk).update(places_taken=1)
    client = api.as_user(newcomer)
    response = client.post(f"activities/{full.pk}/registrations", {"share_consent": True})
    assert (response.status_code, response.json()["code"]) == (409, "activity_full")
    assert not newcomer.consents.exists()
    open_one = published_activity(org, questions=[])
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"activities/{open_one.pk}/registrations", {"share_consent": True})
    assert response.status_code == 201
    assert newcomer.consents.get().kind == "share_with_org"
    # Between the registration's insert and its taking of the place: in its transaction.
    statements = [q["sql"] for q in queries.captured_queries]

    def first(fragment: str) -> int:
        return next(i for i, sql in enumerate(statements) if fragment in sql)

    signup, consent = first('INTO "signups_signup"'), first('INTO "accounts_consent"')
    places = first('UPDATE "activities_activity"')
    assert signup < consent < places
