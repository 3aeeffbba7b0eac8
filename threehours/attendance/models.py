from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Method(models.TextChoices):
    QR = "qr", _("QR code")
    CODE = "code", _("4-digit code")
    GREEN = "green", _("green channel (code from staff)")
    STAFF = "staff", _("by staff")


def child_photo_storage():
    from django.core.files.storage import storages

    return storages["private"]


def child_photo_upload_to(instance: ChildPhoto, filename: str) -> str:
    return f"children/{instance.activity_id}/{instance.day:%Y%m%d}/{filename}"


class ChildPhoto(models.Model):
    """The photo a guardian takes on site when checking children in (docs/product.md §6: guardian,
    child and the activity's banner in one picture): stored privately, seen only by the family
    and the activity's staff, deleted after CHILD_PHOTO_RETENTION_DAYS by a scheduled job (the
    row stays with `deleted_at`, so the board can say the photo existed)."""

    activity = models.ForeignKey("activities.Activity", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    guardian = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    image = models.ImageField(
        upload_to=child_photo_upload_to,
        storage=child_photo_storage,
        blank=True,
        width_field="width",
        height_field="height",
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="childphoto_created_idx")]

    def __str__(self) -> str:
        return f"photo {self.activity_id} {self.day} by {self.guardian_id}"


class Attendance(models.Model):
    """One person's presence on one activity day (docs/product.md §4): checked in, then checked
    out. Hours are credited in the hours ledger at check-out, never stored here twice: `hours`
    is the credited value for display, written in the same transaction as the ledger entry.
    A family registration has one row per person and day: the guardian's (`volunteer` is the
    registrant) and each child's (`volunteer` is the child, `photo` the check-in photo)."""

    signup = models.ForeignKey(
        "signups.Signup", on_delete=models.PROTECT, related_name="attendances"
    )
    activity = models.ForeignKey(
        "activities.Activity", on_delete=models.PROTECT, related_name="attendances"
    )
    volunteer = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="attendances"
    )
    day = models.DateField(_("day"))
    checked_in_at = models.DateTimeField(_("checked in at"))
    checkin_method = models.CharField(max_length=8, choices=Method.choices)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    checkout_method = models.CharField(max_length=8, choices=Method.choices, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1, null=True, blank=True)
    photo = models.ForeignKey(
        ChildPhoto, null=True, blank=True, on_delete=models.SET_NULL, related_name="attendances"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["signup", "volunteer", "day"], name="attendance_one_per_person_day"
            ),
            models.CheckConstraint(
                condition=models.Q(checked_out_at__isnull=True)
                | models.Q(checked_out_at__gte=models.F("checked_in_at")),
                name="attendance_checkout_after_checkin",
            ),
        ]
        indexes = [models.Index(fields=["activity", "day"], name="attendance_activity_day_idx")]

    def __str__(self) -> str:
        return f"{self.volunteer_id} @ {self.activity_id} {self.day}"


class Attempt(models.Model):
    """Every check-in / check-out attempt, accepted or refused, for audit (issue #6 §2)."""

    class Action(models.TextChoices):
        CHECKIN = "checkin", _("check-in")
        CHECKOUT = "checkout", _("check-out")

    activity = models.ForeignKey("activities.Activity", on_delete=models.CASCADE, related_name="+")
    volunteer = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    day = models.DateField()
    action = models.CharField(max_length=8, choices=Action.choices)
    method = models.CharField(max_length=8, choices=Method.choices, blank=True)
    result = models.CharField(max_length=40)  # "ok" or the refusal's error code
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    coord = models.CharField(max_length=6, blank=True)
    accuracy_m = models.PositiveIntegerField(null=True, blank=True)
    distance_m = models.PositiveIntegerField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["volunteer", "activity", "day", "result"], name="attempt_volunteer_idx"
            ),
            models.Index(fields=["activity", "day", "result"], name="attempt_activity_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.volunteer_id}@{self.activity_id} {self.day}: {self.result}"


class GuessingAlert(models.Model):
    """Staff were told once that many wrong codes arrived for an activity-day."""

    activity = models.ForeignKey("activities.Activity", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "day"], name="guessingalert_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} {self.day}"


class NoShow(models.Model):
    """Staff marked a confirmed registrant absent on an activity day (after the day)."""

    signup = models.ForeignKey("signups.Signup", on_delete=models.CASCADE, related_name="no_shows")
    day = models.DateField()
    marked_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["signup", "day"], name="noshow_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.signup_id} absent {self.day}"


class DayCode(models.Model):
    """The state of one activity-day's 4-digit code (issue #12 §4). Wrong codes are counted
    here across all volunteers; past CHECKIN_CODE_ROTATE_AFTER the code rotates at once
    (`generation` moves on, codes.day_code derives the new code from it). No row: generation
    0 and nothing wrong yet. Written only on the wrong-code path and by staff."""

    activity = models.ForeignKey("activities.Activity", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    generation = models.PositiveIntegerField(default=0)
    # Wrong codes for the current generation, and for the whole day.
    wrong = models.PositiveIntegerField(default=0)
    wrong_total = models.PositiveIntegerField(default=0)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "day"], name="daycode_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} {self.day} #{self.generation} ({self.wrong_total} wrong)"


class Correction(models.Model):
    """A staff member's correction of a day's attendance (docs/product.md §4 integrity, issue #12
    §3). Applied at once, or pending until a second staff member of the organisation (or an
    operator) approves it, when it raises the day's credit by more than
    CORRECTION_APPROVAL_HOURS over what check-in and check-out measured, or is for a day more
    than CORRECTION_APPROVAL_DAYS back. Kept for every correction, for the integrity report."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        PENDING = "pending_approval", _("Waiting for a second staff member")
        APPROVED = "approved", _("Approved and applied")
        REJECTED = "rejected", _("Rejected")

    class Why(models.TextChoices):
        NONE = "", _("within the limits")
        RAISE = "raise", _("raises the measured hours by more than the limit")
        OLD = "old", _("for a day long ago")

    signup = models.ForeignKey("signups.Signup", on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey("activities.Activity", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "orgs.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    volunteer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    checkin_at = models.DateTimeField(_("check-in"))
    checkout_at = models.DateTimeField(_("check-out"))
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1)
    # What check-in and check-out had measured (the day's credit entry), and what the ledger
    # held for the day when the correction was asked for.
    measured_hours = models.DecimalField(max_digits=4, decimal_places=1, default=0)
    held_hours = models.DecimalField(max_digits=4, decimal_places=1, default=0)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices)
    why_pending = models.CharField(max_length=8, choices=Why.choices, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    # The attendance it set, once applied.
    attendance = models.ForeignKey(
        Attendance, null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attendance correction")
        verbose_name_plural = _("attendance corrections")
        indexes = [
            models.Index(
                fields=["organisation", "status", "-created_at"], name="correction_org_idx"
            ),
            models.Index(fields=["volunteer", "-created_at"], name="correction_volunteer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.signup_id} {self.day} → {self.hours} h ({self.status})"
