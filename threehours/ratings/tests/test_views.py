from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from threehours.orgs.tests.factories import applicant, approved_org
from threehours.ratings import services
from threehours.ratings.models import Rating
from threehours.signups.tests.factories import volunteers

from .factories import after_end, credited_volunteer, jpeg_upload

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_rate_page_creates_a_rating_with_a_photo_and_shows_the_share_card(org):
    activity, person = credited_volunteer(org)
    with after_end(activity, 2):
        client = _client(person)
        page = client.get(reverse("reporting:my-activities") + "?tab=finished")
        assert reverse("ratings:rate", args=[activity.pk]) in page.content.decode()
        r = client.post(
            reverse("ratings:rate", args=[activity.pk]),
            {"stars": "5", "text": "很有收获", "photos": [jpeg_upload()]},
        )
        rating = Rating.objects.get()
        assert r.status_code == 302 and r["Location"] == reverse(
            "ratings:share-card", args=[rating.pk]
        )
        assert rating.photos.count() == 1
        png = client.get(reverse("ratings:share-card-png", args=[rating.pk]))
        assert png["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(png.content)).size == (750, 1100)
        download = client.get(reverse("ratings:share-card-png", args=[rating.pk]) + "?download=1")
        assert "attachment" in download["Content-Disposition"]
        page = client.get(reverse("reporting:my-activities") + "?tab=finished")
        assert reverse("ratings:share-card", args=[rating.pk]) in page.content.decode()
    (other,) = volunteers(1, start=70)
    assert (
        _client(other).get(reverse("ratings:share-card-png", args=[rating.pk])).status_code == 404
    )


def test_rate_page_refuses_a_bad_photo_and_writes_nothing(org):
    activity, person = credited_volunteer(org)
    from django.core.files.uploadedfile import SimpleUploadedFile

    with after_end(activity, 2):
        r = _client(person).post(
            reverse("ratings:rate", args=[activity.pk]),
            {"stars": "4", "photos": [SimpleUploadedFile("a.png", b"nope", "image/png")]},
        )
    assert r.status_code == 200 and 'role="alert"' in r.content.decode()
    assert not Rating.objects.exists()


def test_rate_page_says_why_before_credit(org):
    from threehours.signups.tests.factories import published_activity

    activity = published_activity(org, questions=[])
    (person,) = volunteers(1)
    with after_end(activity, 1):
        r = _client(person).get(reverse("ratings:rate", args=[activity.pk]))
    assert 'data-testid="rating-refused"' in r.content.decode()


def test_activity_page_shows_average_and_latest_ratings_and_hidden_photos_are_private(
    org, operator
):
    activity, a = credited_volunteer(org)
    _, b = credited_volunteer(org, start=10, activity=activity)
    with after_end(activity, 1):
        ra = services.rating_create(
            activity=activity, volunteer=a, stars=5, text="好", photos=[jpeg_upload()]
        )
        services.rating_create(activity=activity, volunteer=b, stars=4, text="还行")
    page = Client().get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert 'data-testid="rating-average">4.5<' in page
    assert "还行" in page and reverse("ratings:activity-ratings", args=[activity.pk]) in page
    photo_url = reverse("ratings:photo", args=[ra.photos.get().pk])
    assert Client().get(photo_url).status_code == 200
    services.rating_hide(rating=ra, operator=operator, reason="广告")
    assert Client().get(photo_url).status_code == 404
    assert _client(a).get(photo_url).status_code == 200
    assert _client(org.applicant).get(photo_url).status_code == 200
    listing = Client().get(reverse("ratings:activity-ratings", args=[activity.pk]))
    assert "好" not in listing.content.decode().split("还行")[0].split("rating-list")[-1]
    assert 'data-testid="rating-average">4.0<' in listing.content.decode()


def test_org_public_page_only_for_approved_orgs(org, operator):
    activity, person = credited_volunteer(org)
    with after_end(activity, 1):
        services.rating_create(activity=activity, volunteer=person, stars=3, text="一般")
    r = Client().get(reverse("reporting:org-public", args=[org.pk]))
    assert r.status_code == 200
    body = r.content.decode()
    assert org.name in body and "一般" in body and 'data-testid="rating-average">3.0<' in body
    from threehours.orgs.tests.factories import submitted_org

    pending = submitted_org(user=applicant("pending@example.org"))
    assert Client().get(reverse("reporting:org-public", args=[pending.pk])).status_code == 404


def test_console_lists_and_replies_and_other_org_gets_404(org, operator):
    activity, person = credited_volunteer(org)
    with after_end(activity, 1):
        rating = services.rating_create(activity=activity, volunteer=person, stars=5, text="棒")
    staff = _client(org.applicant)
    page = staff.get(reverse("console:ratings", args=[org.pk]) + f"?activity={activity.pk}")
    assert "棒" in page.content.decode()
    r = staff.post(reverse("console:rating-reply", args=[org.pk, rating.pk]), {"text": "谢谢你"})
    assert r.status_code == 302
    rating.refresh_from_db()
    assert rating.reply_text == "谢谢你"
    staff.post(reverse("console:rating-reply", args=[org.pk, rating.pk]), {"text": "第二次"})
    rating.refresh_from_db()
    assert rating.reply_text == "谢谢你"
    other = approved_org(operator=operator, user=applicant("other@example.org"), name="别的协会")
    stranger = _client(other.applicant)
    r = stranger.post(reverse("console:rating-reply", args=[other.pk, rating.pk]), {"text": "x"})
    assert r.status_code == 404
    r = stranger.get(reverse("console:ratings", args=[other.pk]) + f"?activity={activity.pk}")
    assert r.status_code == 404


def test_ops_hide_needs_a_reason_then_hides(org, operator):
    activity, person = credited_volunteer(org)
    with after_end(activity, 1):
        rating = services.rating_create(activity=activity, volunteer=person, stars=2, text="差")
    ops = _client(operator)
    assert "差" in ops.get(reverse("platform_admin:ratings")).content.decode()
    ops.post(reverse("platform_admin:rating-hide", args=[rating.pk]), {"reason": ""})
    rating.refresh_from_db()
    assert not rating.is_hidden
    ops.post(reverse("platform_admin:rating-hide", args=[rating.pk]), {"reason": "辱骂"})
    rating.refresh_from_db()
    assert rating.hidden_reason == "辱骂"
    page = ops.get(reverse("platform_admin:ratings") + "?state=hidden").content.decode()
    assert 'data-testid="rating-hidden"' in page
    assert _client(org.applicant).get(reverse("platform_admin:ratings")).status_code == 302
