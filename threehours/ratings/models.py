"""Volunteers' ratings of activities (评价分享, issue #15 §1).

Rules live in ratings.services. A rating is public on the activity's and the organisation's
pages unless an operator hid it (`hidden_at`); hidden ratings leave the cached counters
(Activity/Organisation.rating_count and rating_sum) and their photos are no longer served to the
public (photos live in private storage and are served by `ratings:photo`, which checks)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

TEXT_MAX = 500
REPLY_MAX = 500
PHOTOS_MAX = 6


class Rating(models.Model):
    activity = models.ForeignKey(
        "activities.Activity", on_delete=models.PROTECT, related_name="ratings"
    )
    volunteer = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "orgs.Organisation", on_delete=models.PROTECT, related_name="ratings"
    )
    stars = models.PositiveSmallIntegerField(_("stars"))
    text = models.TextField(_("your thoughts"), max_length=TEXT_MAX, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(_("reason"), max_length=200, blank=True)
    hidden_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply_text = models.TextField(_("reply"), max_length=REPLY_MAX, blank=True)
    reply_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "volunteer"], name="rating_one_per_volunteer_and_activity"
            ),
            models.CheckConstraint(
                condition=models.Q(stars__gte=1, stars__lte=5), name="rating_stars_1_to_5"
            ),
            models.CheckConstraint(
                condition=models.Q(hidden_at__isnull=True) | ~models.Q(hidden_reason=""),
                name="rating_hidden_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["activity", "-created_at"], name="rating_activity_idx"),
            models.Index(fields=["organisation", "-created_at"], name="rating_org_idx"),
            models.Index(fields=["-created_at"], name="rating_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.stars}★ {self.activity_id} by {self.volunteer_id}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


def rating_photo_storage():
    from django.core.files.storage import storages

    return storages["private"]


def rating_photo_upload_to(instance: RatingPhoto, filename: str) -> str:
    return f"ratings/{instance.rating_id}/{filename}"


class RatingPhoto(models.Model):
    """A photo of a rating, re-encoded on upload; private storage, so that a hidden rating's
    photos stop being served (ratings.views.photo_view checks)."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(
        upload_to=rating_photo_upload_to,
        storage=rating_photo_storage,
        width_field="width",
        height_field="height",
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"photo {self.position} of rating {self.rating_id}"
