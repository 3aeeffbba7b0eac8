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
    """One volunteer's registration for an activity (docs/product.md §3).

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
    # A family registration (和孩子一起报名, docs/product.md §6): the guardian's children (guarded
    # users)
    # who come along, each taking a place; the guardian takes one too. One row, so the family is
    # confirmed, waits or is cancelled as one entry.
    children = models.ManyToManyField(
        "accounts.User", through="SignupChild", related_name="family_signups", blank=True
    )
    commitment_accepted_at = models.DateTimeField(null=True, blank=True)
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
            # The statistics roll-up reads one month of registrations (issue #16 §6).
            models.Index(fields=["created_at"], name="signup_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} → {self.activity_id} ({self.status})"

    @property
    def holds_place(self) -> bool:
        return self.status in HOLDING_PLACE

    @property
    def is_live(self) -> bool:
        return self.status in LIVE


class SignupChild(models.Model):
    """One child in a family registration. PROTECTs the child: a child who was ever registered
    keeps their account (family.services refuses to remove them).

    `activity` and `live` repeat the signup's activity and whether its status is live, so the
    database itself refuses a child in two live registrations of one activity (the two parents
    registering the same child at the same moment): `signupchild_one_live_per_activity`.
    signups.services keep `live` in step with the signup's status, in the same transaction."""

    signup = models.ForeignKey(Signup, on_delete=models.CASCADE, related_name="signup_children")
    child = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey("activities.Activity", on_delete=models.CASCADE, related_name="+")
    live = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["signup", "child"], name="signupchild_once"),
            models.UniqueConstraint(
                fields=["activity", "child"],
                condition=models.Q(live=True),
                name="signupchild_one_live_per_activity",
            ),
        ]
        indexes = [models.Index(fields=["child", "signup"], name="signupchild_child_idx")]

    def __str__(self) -> str:
        return f"{self.child_id} with {self.signup_id}"


class Reminder(models.Model):
    """A reminder sent for one registration, activity day and kind (the evening before, or the
    same morning for afternoon activities): the unique row makes the job send each once,
    whichever worker runs it and however often."""

    class Kind(models.TextChoices):
        EVENING = "evening", _("the evening before")
        MORNING = "morning", _("the same morning")

    signup = models.ForeignKey(Signup, on_delete=models.CASCADE, related_name="reminders")
    day = models.DateField()
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.EVENING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["signup", "day", "kind"], name="reminder_once_per_day_and_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signup_id} @ {self.day} ({self.kind})"


def export_storage():
    from django.core.files.storage import storages

    return storages["private"]


def export_upload_to(instance: Export, filename: str) -> str:
    return f"exports/{instance.organisation_id}/{instance.pk}/{filename}"


class Export(models.Model):
    """A staff export too large to build in a request (issue 5 §7): built by a job into private
    storage, then downloaded through a view that checks the organisation. The row stays as the
    audit trail of who exported which personal data, and when."""

    class Kind(models.TextChoices):
        REGISTRANTS = "registrants", _("Registrants of an activity")
        HOURS = "hours", _("Hours by date range")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Being prepared")
        RUNNING = "running", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    organisation = models.ForeignKey(
        "orgs.Organisation", on_delete=models.CASCADE, related_name="exports"
    )
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="exports"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # {"activity_id": …, "format": …} or {"from": "YYYY-MM-DD", "to": …, "format": …}
    params = models.JSONField(default=dict)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    row_count = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=export_upload_to, storage=export_storage, blank=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [
            models.Index(fields=["organisation", "-created_at"], name="export_org_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
