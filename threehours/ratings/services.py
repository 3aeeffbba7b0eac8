"""Writes of volunteers' ratings (issue #15 §1, docs/product.md §5).

Invariants guarded here (and by the database where it can):
- a volunteer rates an activity only once their own hours for it are credited (ledger sum > 0;
  children do not rate, their guardian does), until RATING_WINDOW_DAYS days after its last day
  (Asia/Shanghai days), once (unique constraint `rating_one_per_volunteer_and_activity`);
- the author may change stars, text and photos for EDIT_WINDOW after writing, not once hidden;
- at most PHOTOS_MAX photos, each validated and re-encoded by core.images;
- Activity/Organisation.rating_count and rating_sum count the visible ratings: they move with
  F() in the transaction that creates, edits, hides or unhides a rating;
- the organisation replies once; an operator hides with a reason, audited, the author told.
"""

from __future__ import annotations

import datetime as dt
import io
import re

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image

from threehours.accounts.models import User
from threehours.activities.errors import PaymentQrImage
from threehours.activities.models import Activity
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.errors import InvalidInput
from threehours.core.images import CleanImage, image_clean
from threehours.core.qrscan import image_has_payment_qr
from threehours.notifications.services import message_later, notify
from threehours.orgs.models import Organisation

from . import selectors
from .errors import (
    AlreadyHidden,
    AlreadyRated,
    AlreadyReplied,
    EditClosed,
    NotCredited,
    NotHidden,
    RatingClosed,
    RatingHidden,
    RatingNotFound,
    TooManyPhotos,
)
from .models import PHOTOS_MAX, REPLY_MAX, TEXT_MAX, Rating, RatingPhoto
from .rules import (  # noqa: F401  (re-exported for callers of the service)
    EDIT_WINDOW,
    EDIT_WINDOW_DAYS,
    RATING_WINDOW_DAYS,
    edit_window_open,
    rating_window_open,
)

PHOTO_MAX_BYTES = 8 * 1024 * 1024
REASON_MAX = 200

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def text_clean(value: str, *, field: str, limit: int, required: bool = False) -> str:
    """Plain text as stored: control characters dropped, line ends unified, blank lines
    squeezed, trimmed. Templates escape it on output. Raises InvalidInput."""
    text = _CONTROL.sub("", (value or "").replace("\r\n", "\n").replace("\r", "\n"))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if required and not text:
        raise InvalidInput(fields={field: [_("This field is required.")]})
    if len(text) > limit:
        raise InvalidInput(
            fields={field: [_("At most %(max)s characters, please.") % {"max": limit}]}
        )
    return text


def stars_check(stars) -> int:
    """Raises InvalidInput unless `stars` is an integer from 1 to 5 (a bool is not one)."""
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise InvalidInput(fields={"stars": [_("Choose from 1 to 5 stars.")]})
    return stars


def photos_clean(uploads: list) -> list[CleanImage]:
    """Validate and re-encode uploaded photos before anything is written. Raises
    InvalidImage, ImageTooLarge, ImageTooSmall, PaymentQrImage, TooManyPhotos."""
    if len(uploads) > PHOTOS_MAX:
        raise TooManyPhotos(max=PHOTOS_MAX)
    images = []
    for upload in uploads:
        image = image_clean(upload, max_bytes=PHOTO_MAX_BYTES, max_side=1600, min_side=200)
        image.content.seek(0)
        with Image.open(io.BytesIO(image.content.read())) as picture:
            # docs/product.md §2: no payment QR codes on the platform, photos of ratings included.
            if image_has_payment_qr(picture):
                raise PaymentQrImage()
        image.content.seek(0)
        images.append(image)
    return images


def _counters_move(*, rating: Rating, count: int, total: int) -> None:
    Activity.objects.filter(pk=rating.activity_id).update(
        rating_count=F("rating_count") + count, rating_sum=F("rating_sum") + total
    )
    Organisation.objects.filter(pk=rating.organisation_id).update(
        rating_count=F("rating_count") + count, rating_sum=F("rating_sum") + total
    )


def _photos_store(rating: Rating, images: list[CleanImage]) -> None:
    existing = list(rating.photos.values_list("position", flat=True))
    if len(existing) + len(images) > PHOTOS_MAX:
        raise TooManyPhotos(max=PHOTOS_MAX)
    position = max(existing, default=-1) + 1
    for image in images:
        photo = RatingPhoto(rating=rating, position=position)
        photo.image.save(image.content.name, image.content, save=False)
        photo.save()
        position += 1


def rating_can_create(*, activity: Activity, volunteer: User, now: dt.datetime) -> str | None:
    """The code of the rule that refuses a new rating now, or None when it may be written
    (the page shows the button with it; rating_create enforces it)."""
    if volunteer.guarded or not selectors.credited_hours(volunteer=volunteer, activity=activity):
        return NotCredited.code
    if not rating_window_open(activity=activity, now=now):
        return RatingClosed.code
    if Rating.objects.filter(activity=activity, volunteer=volunteer).exists():
        return AlreadyRated.code
    return None


def rating_create(
    *,
    activity: Activity,
    volunteer: User,
    stars,
    text: str = "",
    photos: list | None = None,
) -> Rating:
    """Rate `activity` as `volunteer`, with up to PHOTOS_MAX photos. Photos are checked before
    the transaction; a refusal writes nothing. Raises InvalidInput, NotCredited, RatingClosed,
    AlreadyRated (also when a parallel request won the unique constraint), TooManyPhotos and
    the image errors."""
    now = timezone.now()
    stars = stars_check(stars)
    text = text_clean(text, field="text", limit=TEXT_MAX)
    images = photos_clean(photos or [])
    try:
        return _rating_insert(
            activity=activity, volunteer=volunteer, stars=stars, text=text, images=images, now=now
        )
    except IntegrityError as exc:
        # Two requests of the same volunteer at once: both passed the check, the unique
        # constraint let one in (docs/style.md §4.3).
        if Rating.objects.filter(activity=activity, volunteer=volunteer).exists():
            raise AlreadyRated() from exc
        raise


@transaction.atomic(durable=True)
def _rating_insert(*, activity, volunteer, stars, text, images, now) -> Rating:
    refusal = rating_can_create(activity=activity, volunteer=volunteer, now=now)
    if refusal == NotCredited.code:
        raise NotCredited()
    if refusal == RatingClosed.code:
        raise RatingClosed(days=RATING_WINDOW_DAYS)
    if refusal == AlreadyRated.code:
        raise AlreadyRated()
    rating = Rating.objects.create(
        activity=activity,
        volunteer=volunteer,
        organisation_id=activity.organisation_id,
        stars=stars,
        text=text,
    )
    _photos_store(rating, images)
    _counters_move(rating=rating, count=1, total=stars)
    audit_record(actor=volunteer, verb="rating.created", target=rating, data={"stars": stars})
    return rating


def _editable(rating: Rating, author: User, now: dt.datetime) -> Rating:
    rating = lock_one(Rating, pk=rating.pk)
    if rating.volunteer_id != author.pk:
        raise RatingNotFound()
    if rating.is_hidden:
        raise RatingHidden()
    if not edit_window_open(rating=rating, now=now):
        raise EditClosed(days=EDIT_WINDOW_DAYS)
    return rating


def rating_edit(
    *,
    rating: Rating,
    author: User,
    stars,
    text: str = "",
    photos_add: list | None = None,
    photos_remove: list[int] | None = None,
) -> Rating:
    """Change a rating within EDIT_WINDOW of writing it: stars, text, photos added or removed.
    Locks the rating. Raises InvalidInput, RatingNotFound (not the author), RatingHidden,
    EditClosed, TooManyPhotos and the image errors."""
    now = timezone.now()
    stars = stars_check(stars)
    text = text_clean(text, field="text", limit=TEXT_MAX)
    images = photos_clean(photos_add or [])
    with transaction.atomic(durable=True):
        rating = _editable(rating, author, now)
        if photos_remove:
            for photo in rating.photos.filter(pk__in=photos_remove):
                storage, name = photo.image.storage, photo.image.name
                photo.delete()
                transaction.on_commit(lambda s=storage, n=name: s.delete(n))
        _photos_store(rating, images)
        diff = stars - rating.stars
        rating.stars, rating.text = stars, text
        rating.save(update_fields=["stars", "text", "updated_at"])
        if diff:
            _counters_move(rating=rating, count=0, total=diff)
        audit_record(actor=author, verb="rating.edited", target=rating, data={"stars": stars})
    return rating


def rating_photo_add(*, rating: Rating, author: User, upload) -> RatingPhoto:
    """Add one photo to the author's rating within the edit window. Raises RatingNotFound,
    RatingHidden, EditClosed, TooManyPhotos and the image errors."""
    now = timezone.now()
    images = photos_clean([upload])
    with transaction.atomic(durable=True):
        rating = _editable(rating, author, now)
        _photos_store(rating, images)
        audit_record(actor=author, verb="rating.photo", target=rating)
        return rating.photos.order_by("-position").first()


@transaction.atomic(durable=True)
def rating_reply(*, rating: Rating, staff: User, text: str) -> Rating:
    """The organisation's one public reply (fetch the rating with access_rating_for_org).
    Locks the rating. Raises InvalidInput, AlreadyReplied."""
    text = text_clean(text, field="text", limit=REPLY_MAX, required=True)
    rating = lock_one(Rating, pk=rating.pk)
    if rating.replied_at is not None:
        raise AlreadyReplied()
    rating.reply_text, rating.reply_by, rating.replied_at = text, staff, timezone.now()
    rating.save(update_fields=["reply_text", "reply_by", "replied_at", "updated_at"])
    audit_record(actor=staff, verb="rating.replied", target=rating)
    activity = rating.activity
    notify(
        user=rating.volunteer,
        title=gettext_lazy("The organiser replied to your rating"),
        body=message_later(
            gettext_lazy("%(org)s replied to your rating of “%(title)s”."),
            {"org": activity.organisation.name, "title": activity.title},
        ),
        link=reverse("ratings:activity-ratings", args=[activity.pk]),
    )
    return rating


@transaction.atomic(durable=True)
def rating_hide(*, rating: Rating, operator: User, reason: str) -> Rating:
    """An operator hides a rating (it leaves the pages and the counters); the reason is
    required, audited and sent to the author. Locks the rating. Raises InvalidInput,
    AlreadyHidden."""
    reason = text_clean(reason, field="reason", limit=REASON_MAX, required=True)
    rating = lock_one(Rating, pk=rating.pk)
    if rating.is_hidden:
        raise AlreadyHidden()
    rating.hidden_at, rating.hidden_reason, rating.hidden_by = timezone.now(), reason, operator
    rating.save(update_fields=["hidden_at", "hidden_reason", "hidden_by", "updated_at"])
    _counters_move(rating=rating, count=-1, total=-rating.stars)
    audit_record(actor=operator, verb="rating.hidden", target=rating, data={"reason": reason})
    notify(
        user=rating.volunteer,
        title=gettext_lazy("Your rating was hidden"),
        body=message_later(
            gettext_lazy(
                "Your rating of “%(title)s” was hidden by the platform. Reason: %(reason)s"
            ),
            {"title": rating.activity.title, "reason": reason},
        ),
        link=reverse("reporting:my-activities") + "?tab=finished",
    )
    return rating


@transaction.atomic(durable=True)
def rating_unhide(*, rating: Rating, operator: User) -> Rating:
    """Show a hidden rating again (it counts again). Locks the rating. Raises NotHidden."""
    rating = lock_one(Rating, pk=rating.pk)
    if not rating.is_hidden:
        raise NotHidden()
    rating.hidden_at, rating.hidden_reason, rating.hidden_by = None, "", None
    rating.save(update_fields=["hidden_at", "hidden_reason", "hidden_by", "updated_at"])
    _counters_move(rating=rating, count=1, total=rating.stars)
    audit_record(actor=operator, verb="rating.unhidden", target=rating)
    return rating
