"""Reads of ratings: the public lists (visible ratings only), the author's own, the
organisation's console list and the operators' list, and the access checks."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum

from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.hours.models import LedgerEntry

from .errors import RatingNotFound
from .models import Rating, RatingPhoto


def credited_hours(*, volunteer: User, activity: Activity) -> Decimal:
    """The volunteer's own hours for the activity in the ledger (credits and corrections)."""
    total = LedgerEntry.objects.filter(volunteer=volunteer, activity=activity).aggregate(
        total=Sum("hours")
    )["total"]
    return total if total and total > 0 else Decimal(0)


def _with_photos(qs: QuerySet[Rating]) -> QuerySet[Rating]:
    return qs.select_related("volunteer").prefetch_related(
        Prefetch("photos", queryset=RatingPhoto.objects.order_by("position", "pk"))
    )


def ratings_visible_of_activity(*, activity_id: int) -> QuerySet[Rating]:
    return _with_photos(
        Rating.objects.filter(activity_id=activity_id, hidden_at__isnull=True)
    ).order_by("-created_at", "-pk")


def ratings_visible_of_org(*, org_id: int) -> QuerySet[Rating]:
    return _with_photos(
        Rating.objects.filter(organisation_id=org_id, hidden_at__isnull=True).select_related(
            "activity"
        )
    ).order_by("-created_at", "-pk")


def ratings_for_org(*, org, activity_id: int | None = None) -> QuerySet[Rating]:
    """All the organisation's ratings, hidden ones too (the console marks them)."""
    qs = Rating.objects.filter(organisation=org).select_related("activity", "reply_by")
    if activity_id:
        qs = qs.filter(activity_id=activity_id)
    return _with_photos(qs).order_by("-created_at", "-pk")


def ratings_for_operators(*, hidden: str = "") -> QuerySet[Rating]:
    qs = Rating.objects.select_related("activity", "organisation", "hidden_by")
    if hidden == "hidden":
        qs = qs.filter(hidden_at__isnull=False)
    elif hidden == "visible":
        qs = qs.filter(hidden_at__isnull=True)
    return _with_photos(qs).order_by("-created_at", "-pk")


def access_rating_for_org(*, org, rating_id: int) -> Rating:
    """A rating of one of `org`'s activities; another organisation's raises RatingNotFound
    like an unknown id."""
    rating = (
        Rating.objects.select_related("activity__organisation", "volunteer")
        .filter(organisation=org, pk=rating_id)
        .first()
    )
    if rating is None:
        raise RatingNotFound()
    return rating


def access_rating_of_author(*, volunteer: User, rating_id: int) -> Rating:
    rating = (
        Rating.objects.select_related("activity__organisation")
        .filter(volunteer=volunteer, pk=rating_id)
        .first()
    )
    if rating is None:
        raise RatingNotFound()
    return rating


def access_rating_for_operator(*, rating_id: int) -> Rating:
    rating = Rating.objects.select_related("activity", "volunteer").filter(pk=rating_id).first()
    if rating is None:
        raise RatingNotFound()
    return rating


def rating_of(*, volunteer: User, activity_id: int) -> Rating | None:
    return (
        Rating.objects.select_related("activity__organisation")
        .prefetch_related("photos")
        .filter(volunteer=volunteer, activity_id=activity_id)
        .first()
    )


def rated_activity_ids(*, volunteer: User, activity_ids: list[int]) -> dict[int, int]:
    """{activity id: rating id} of the volunteer's ratings among `activity_ids`."""
    return dict(
        Rating.objects.filter(volunteer=volunteer, activity_id__in=activity_ids).values_list(
            "activity_id", "pk"
        )
    )


def photo_may_see(*, photo: RatingPhoto, user) -> bool:
    """A photo of a visible rating is public; of a hidden one, only its author, the
    organisation's staff and operators see it."""
    rating = photo.rating
    if not rating.is_hidden:
        return True
    if not user.is_authenticated:
        return False
    if user.is_staff or user.pk == rating.volunteer_id:
        return True
    return rating.organisation.memberships.filter(user=user).exists()
