from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, Sum

from threehours.activities.models import Activity
from threehours.core.audit import AuditEntry
from threehours.core.errors import InvalidInput
from threehours.core.images import ImageTooLarge, InvalidImage
from threehours.family.tests.factories import child_of, guardian
from threehours.notifications.models import Message
from threehours.orgs.models import Organisation
from threehours.ratings import services
from threehours.ratings.models import Rating
from threehours.signups.tests.factories import published_activity, volunteers

from .factories import after_end, credited_volunteer, jpeg_upload

pytestmark = pytest.mark.django_db


def _rate(activity, person, stars=5, text="很好", **kw):
    return services.rating_create(activity=activity, volunteer=person, stars=stars, text=text, **kw)


def test_rating_create_counts_on_activity_and_organisation(org):
    activity, person = credited_volunteer(org)
    with after_end(activity, 1):
        rating = _rate(activity, person, stars=4, text="  很有意义\x07  ")
    assert rating.text == "很有意义"
    activity.refresh_from_db()
    org.refresh_from_db()
    assert (activity.rating_count, activity.rating_sum) == (1, 4)
    assert (org.rating_count, org.rating_sum) == (1, 4)
    assert AuditEntry.objects.filter(verb="rating.created").count() == 1


def test_rating_create_allows_stars_only(org):
    activity, person = credited_volunteer(org)
    with after_end(activity, 1):
        assert _rate(activity, person, text="").text == ""


def test_rating_create_refuses_before_credit(org):
    activity = published_activity(org, questions=[])
    (person,) = volunteers(1)
    with after_end(activity, 1), pytest.raises(services.NotCredited):
        _rate(activity, person)
    assert not Rating.objects.exists()


def test_rating_create_refuses_a_child(org):
    activity, _ = credited_volunteer(org)
    kid = child_of(guardian("13900000111"))
    with after_end(activity, 1), pytest.raises(services.NotCredited):
        _rate(activity, kid)


def test_rating_create_refuses_twice(org):
    activity, person = credited_volunteer(org)
    with after_end(activity, 1):
        _rate(activity, person)
        with pytest.raises(services.AlreadyRated) as exc:
            _rate(activity, person)
    assert exc.value.code == "already_rated"
    activity.refresh_from_db()
    assert activity.rating_count == 1


def test_rating_window_day_30_is_open_and_day_31_closed(org):
    activity, person = credited_volunteer(org)
    (other,) = volunteers(1, start=50)
    from threehours.signups.tests.factories import attended

    attended(org, activity, other)
    with after_end(activity, 31, hh=0):
        with pytest.raises(services.RatingClosed) as exc:
            _rate(activity, other)
        assert exc.value.code == "rating_closed"
    with after_end(activity, 30, hh=23):
        _rate(activity, person)


@pytest.mark.parametrize("stars", [0, 6, 3.5, "4", True, None])
def test_rating_create_refuses_bad_stars(org, stars):
    activity, person = credited_volunteer(org)
    with after_end(activity, 1), pytest.raises(InvalidInput) as exc:
        _rate(activity, person, stars=stars)
    assert "stars" in exc.value.fields
    assert not Rating.objects.exists()


def test_rating_create_refuses_text_over_500(org):
    activity, person = credited_volunteer(org)
    with after_end(activity, 1):
        _rate(activity, person, text="好" * 500)
    Rating.objects.all().delete()
    Activity.objects.update(rating_count=0, rating_sum=0)
    Organisation.objects.update(rating_count=0, rating_sum=0)
    with after_end(activity, 1), pytest.raises(InvalidInput) as exc:
        _rate(activity, person, text="好" * 501)
    assert "text" in exc.value.fields


def test_rating_create_with_photos_and_refuses_a_seventh(org):
    activity, person = credited_volunteer(org)
    with after_end(activity, 1):
        with pytest.raises(services.TooManyPhotos):
            _rate(activity, person, photos=[jpeg_upload() for _ in range(7)])
        assert not Rating.objects.exists()
        rating = _rate(activity, person, photos=[jpeg_upload() for _ in range(6)])
        assert rating.photos.count() == 6
        with pytest.raises(services.TooManyPhotos) as exc:
            services.rating_photo_add(rating=rating, author=person, upload=jpeg_upload())
    assert exc.value.code == "too_many_photos"
    assert rating.photos.count() == 6


def test_rating_create_refuses_a_file_that_is_not_an_image(org):
    activity, person = credited_volunteer(org)
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("x.jpg", b"not an image at all", "image/jpeg")
    with after_end(activity, 1), pytest.raises(InvalidImage):
        _rate(activity, person, photos=[bad])
    assert not Rating.objects.exists()


def test_rating_create_refuses_a_photo_too_big(org):
    activity, person = credited_volunteer(org)
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = SimpleUploadedFile("x.jpg", b"\xff" * (services.PHOTO_MAX_BYTES + 1), "image/jpeg")
    with after_end(activity, 1), pytest.raises(ImageTooLarge):
        _rate(activity, person, photos=[big])
    assert not Rating.objects.exists()


def test_rating_edit_within_seven_days_moves_the_sum(org):
    activity, person = credited_volunteer(org)
    with after_end(activity, 1) as traveller:
        rating = _rate(activity, person, stars=2)
        traveller.shift(dt.timedelta(days=7))
        services.rating_edit(rating=rating, author=person, stars=5, text="改")
    activity.refresh_from_db()
    assert (activity.rating_count, activity.rating_sum) == (1, 5)


def test_rating_edit_refused_after_seven_days(org):
    activity, person = credited_volunteer(org)
    with after_end(activity, 1) as traveller:
        rating = _rate(activity, person, stars=2)
        traveller.shift(dt.timedelta(days=7, seconds=1))
        with pytest.raises(services.EditClosed) as exc:
            services.rating_edit(rating=rating, author=person, stars=5)
        with pytest.raises(services.EditClosed):
            services.rating_photo_add(rating=rating, author=person, upload=jpeg_upload())
    assert exc.value.code == "edit_closed"
    rating.refresh_from_db()
    assert rating.stars == 2


def test_rating_edit_by_someone_else_is_not_found(org):
    activity, person = credited_volunteer(org)
    (other,) = volunteers(1, start=40)
    with after_end(activity, 1):
        rating = _rate(activity, person)
        with pytest.raises(services.RatingNotFound):
            services.rating_edit(rating=rating, author=other, stars=1)


def test_rating_reply_once(org):
    activity, person = credited_volunteer(org)
    with after_end(activity, 1):
        rating = _rate(activity, person)
    services.rating_reply(rating=rating, staff=org.applicant, text="谢谢参与")
    with pytest.raises(services.AlreadyReplied) as exc:
        services.rating_reply(rating=rating, staff=org.applicant, text="再次")
    assert exc.value.code == "already_replied"
    rating.refresh_from_db()
    assert rating.reply_text == "谢谢参与"
    assert Message.objects.filter(recipient=person).exists()


def test_rating_reply_needs_text(org):
    activity, person = credited_volunteer(org)
    with after_end(activity, 1):
        rating = _rate(activity, person)
    with pytest.raises(InvalidInput):
        services.rating_reply(rating=rating, staff=org.applicant, text="  ")


def test_rating_hide_needs_a_reason_and_tells_the_author(org, operator):
    activity, person = credited_volunteer(org)
    with after_end(activity, 1):
        rating = _rate(activity, person, stars=3)
    with pytest.raises(InvalidInput) as exc:
        services.rating_hide(rating=rating, operator=operator, reason=" ")
    assert "reason" in exc.value.fields
    rating.refresh_from_db()
    assert not rating.is_hidden
    services.rating_hide(rating=rating, operator=operator, reason="广告内容")
    rating.refresh_from_db()
    assert rating.hidden_reason == "广告内容"
    activity.refresh_from_db()
    assert (activity.rating_count, activity.rating_sum) == (0, 0)
    assert AuditEntry.objects.filter(verb="rating.hidden").count() == 1
    assert Message.objects.filter(recipient=person, body__contains="广告内容").exists()
    with pytest.raises(services.AlreadyHidden):
        services.rating_hide(rating=rating, operator=operator, reason="again")
    with after_end(activity, 2), pytest.raises(services.RatingHidden):
        services.rating_edit(rating=rating, author=person, stars=5)


def test_counters_equal_a_recount_after_a_sequence(org, operator):
    activity, a = credited_volunteer(org)
    _, b = credited_volunteer(org, start=10, activity=activity)
    other_activity, c = credited_volunteer(org, start=20)
    with after_end(activity, 1):
        ra = _rate(activity, a, stars=5)
        rb = _rate(activity, b, stars=2)
        rc = _rate(other_activity, c, stars=4)
        services.rating_edit(rating=rb, author=b, stars=3)
        services.rating_hide(rating=ra, operator=operator, reason="x")
        services.rating_edit(rating=rc, author=c, stars=1)
        services.rating_unhide(rating=ra, operator=operator)
        services.rating_hide(rating=rc, operator=operator, reason="y")
    for model, key in ((Activity, "activity"), (Organisation, "organisation")):
        recount = {
            row[key]: (row["n"], row["s"] or 0)
            for row in Rating.objects.filter(hidden_at__isnull=True)
            .values(key)
            .annotate(n=Count("pk"), s=Sum("stars"))
        }
        for obj in model.objects.filter(pk__in=[activity.pk, other_activity.pk, org.pk]):
            if model is Organisation and obj.pk != org.pk:
                continue
            assert (obj.rating_count, obj.rating_sum) == recount.get(obj.pk, (0, 0))
    activity.refresh_from_db()
    assert activity.rating_average == 4.0
