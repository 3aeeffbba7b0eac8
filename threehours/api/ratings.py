"""API: volunteers' ratings (docs/api.md "After the activity", issue #15 §1). Rules live in
ratings.services; photos are served by the page `ratings:photo`, which checks visibility."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from django.urls import reverse
from ninja import File, Router, Status
from ninja.files import UploadedFile
from pydantic import Field

from threehours.activities.errors import ActivityNotFound
from threehours.activities.models import Activity
from threehours.activities.selectors import activity_get_published
from threehours.core.errors import PermissionDenied
from threehours.core.pagination import keyset_page
from threehours.orgs.selectors import access_org_for_staff
from threehours.ratings import selectors, services
from threehours.ratings.models import PHOTOS_MAX, REPLY_MAX, TEXT_MAX, Rating, RatingPhoto

from .auth import token_auth
from .schemas import Id, Limit, Out, StrictIn, errors

router = Router(tags=["after the activity"])

Stars = Annotated[int, Field(ge=1, le=5)]


class RatingIn(StrictIn):
    stars: Stars
    text: Annotated[str, Field(max_length=TEXT_MAX * 2)] = ""


class RatingPatch(StrictIn):
    stars: Stars
    text: Annotated[str, Field(max_length=TEXT_MAX * 2)] = ""
    remove_photos: Annotated[list[Id], Field(max_length=PHOTOS_MAX)] = []


class ReplyIn(StrictIn):
    text: Annotated[str, Field(max_length=REPLY_MAX * 2)]


class HideIn(StrictIn):
    reason: Annotated[str, Field(max_length=400)] = ""


class PhotoOut(Out):
    id: int
    url: str
    width: int
    height: int


class ReplyOut(Out):
    text: str
    replied_at: dt.datetime


class RatingOut(Out):
    id: int
    activity_id: int
    author: str
    stars: int
    text: str
    photos: list[PhotoOut]
    reply: ReplyOut | None
    hidden: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class RatingListOut(Out):
    average: float | None
    count: int
    items: list[RatingOut]
    next_cursor: str | None


def _photo_out(photo: RatingPhoto) -> dict:
    return {
        "id": photo.pk,
        "url": reverse("ratings:photo", args=[photo.pk]),
        "width": photo.width,
        "height": photo.height,
    }


def _rating_out(rating: Rating) -> dict:
    return {
        "id": rating.pk,
        "activity_id": rating.activity_id,
        "author": rating.volunteer.display_name,
        "stars": rating.stars,
        "text": rating.text,
        "photos": [_photo_out(p) for p in rating.photos.all()],
        "reply": (
            {"text": rating.reply_text, "replied_at": rating.replied_at}
            if rating.replied_at
            else None
        ),
        "hidden": rating.is_hidden,
        "created_at": rating.created_at,
        "updated_at": rating.updated_at,
    }


@router.post(
    "/activities/{activity_id}/ratings",
    response={201: RatingOut, **errors(400, 401, 404, 409)},
    auth=token_auth,
)
def rating_create(request: HttpRequest, activity_id: Id, payload: RatingIn):
    """Rate an activity the caller was credited for, within 30 days after it ends; add photos
    with `POST /ratings/{rating_id}/photos`. 409 `not_credited`, `already_rated`,
    `rating_closed`."""
    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None:
        raise ActivityNotFound()
    rating = services.rating_create(
        activity=activity, volunteer=request.user, stars=payload.stars, text=payload.text
    )
    return Status(201, _rating_out(rating))


@router.get(
    "/activities/{activity_id}/ratings",
    response={200: RatingListOut, **errors(400, 404)},
    auth=None,
)
def rating_list(
    request: HttpRequest, activity_id: Id, limit: Limit = 20, cursor: str | None = None
):
    """The visible ratings of a published activity, newest first; `average` and `count` are
    the activity's counters (hidden ratings excluded)."""
    activity = activity_get_published(activity_id=activity_id)
    if activity is None:
        raise ActivityNotFound()
    page = keyset_page(
        selectors.ratings_visible_of_activity(activity_id=activity.pk),
        order=("-created_at", "-pk"),
        limit=limit,
        cursor=cursor,
    )
    average = activity.rating_average
    return {
        "average": round(average, 1) if average is not None else None,
        "count": activity.rating_count,
        "items": [_rating_out(r) for r in page.items],
        "next_cursor": page.next_cursor,
    }


def _own(request: HttpRequest, rating_id: int) -> Rating:
    return selectors.access_rating_of_author(volunteer=request.user, rating_id=rating_id)


@router.patch(
    "/ratings/{rating_id}",
    response={200: RatingOut, **errors(400, 401, 404, 409)},
    auth=token_auth,
)
def rating_edit(request: HttpRequest, rating_id: Id, payload: RatingPatch):
    """The author changes stars and text (and removes photos) within 7 days; 409
    `edit_closed`, `rating_hidden`."""
    rating = services.rating_edit(
        rating=_own(request, rating_id),
        author=request.user,
        stars=payload.stars,
        text=payload.text,
        photos_remove=list(payload.remove_photos),
    )
    return _rating_out(Rating.objects.select_related("volunteer").get(pk=rating.pk))


@router.post(
    "/ratings/{rating_id}/photos",
    response={201: PhotoOut, **errors(400, 401, 404, 409)},
    auth=token_auth,
)
def rating_photo_add(request: HttpRequest, rating_id: Id, file: File[UploadedFile]):
    """Add a photo (multipart `file`) to the caller's rating: at most 6, within the edit
    window. 400 `invalid_image`, `image_too_large`; 409 `too_many_photos`, `edit_closed`."""
    photo = services.rating_photo_add(
        rating=_own(request, rating_id), author=request.user, upload=file
    )
    return Status(201, _photo_out(photo))


@router.post(
    "/orgs/{org_id}/ratings/{rating_id}/reply",
    response={200: RatingOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def rating_reply(request: HttpRequest, org_id: Id, rating_id: Id, payload: ReplyIn):
    """The organisation's one public reply; 409 `already_replied`."""
    org = access_org_for_staff(user=request.user, org_id=org_id)
    rating = selectors.access_rating_for_org(org=org, rating_id=rating_id)
    rating = services.rating_reply(rating=rating, staff=request.user, text=payload.text)
    return _rating_out(rating)


@router.post(
    "/ops/ratings/{rating_id}/hide",
    response={200: RatingOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def rating_hide(request: HttpRequest, rating_id: Id, payload: HideIn):
    """Operators hide a rating with a reason (required); the author is told."""
    if not request.user.is_staff:
        raise PermissionDenied()
    rating = selectors.access_rating_for_operator(rating_id=rating_id)
    rating = services.rating_hide(rating=rating, operator=request.user, reason=payload.reason)
    return _rating_out(rating)
