from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

LIVE = ("confirmed", "pending", "waiting")
HOLDING_PLACE = ("confirmed", "pending")


class SignupQuerySet(models.QuerySet):
    def live(self) -> SignupQuerySet:
        """Registrations that still count: confirmed, awaiting review or on the waiting list."""
        return self.filter(status__in=LIVE)

    def holding_place(self) -> SignupQuerySet:
        return self.filter(status__in=HOLDING_PLACE)

    def waiting_in_line(self) -> SignupQuerySet:
        return self.filter(status=Signup.Status.WAITING).order_by("created_at", "pk")


class Signup(models.Model):
    """One volunteer's registration for an activity (PRODUCT.md §3).

    A confirmed or pending registration holds `seats` places (the volunteer plus each child);
    the activity's `places_taken` is the sum of them, moved by signups.services only.
    A cancelled, rejected or removed registration is kept (history, no-shows); the volunteer
    may register again, which makes a new row."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        PENDING = "pending", _("Awaiting review")
        WAITING = "waiting", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")
        REJECTED = "rejected", _("Not accepted")
        REMOVED = "removed", _("Removed")

    activity = models.ForeignKey(
        "activities.Activity", on_delete=models.CASCADE, related_name="signups"
    )
    volunteer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="signups")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    seats = models.PositiveSmallIntegerField(_("places"), default=1)
    # Family members (children) who come along; each takes a place. Filled by the family issue.
    children = models.JSONField(default=list, blank=True)
    # {question id (str): answer}
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SignupQuerySet.as_manager()

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "volunteer"],
                condition=models.Q(status__in=LIVE),
                name="signup_one_live_per_volunteer",
            ),
            models.CheckConstraint(condition=models.Q(seats__gte=1), name="signup_seats_min"),
        ]
        indexes = [
            models.Index(fields=["activity", "status", "created_at"], name="signup_activity_idx"),
            models.Index(fields=["volunteer", "-created_at"], name="signup_volunteer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} → {self.activity_id} ({self.status})"

    @property
    def holds_place(self) -> bool:
        return self.status in HOLDING_PLACE

    @property
    def is_live(self) -> bool:
        return self.status in LIVE


class Reminder(models.Model):
    """A reminder sent for one registration and activity day: the unique row makes the job
    send it once, whichever worker runs it and however often."""

    signup = models.ForeignKey(Signup, on_delete=models.CASCADE, related_name="reminders")
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["signup", "day"], name="reminder_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.signup_id} @ {self.day}"
