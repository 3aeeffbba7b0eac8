from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Method(models.TextChoices):
    QR = "qr", _("QR code")
    CODE = "code", _("4-digit code")
    GREEN = "green", _("green channel (code from staff)")
    STAFF = "staff", _("by staff")


class Attendance(models.Model):
    """One registrant's presence on one activity day (PRODUCT.md §4): checked in, then checked
    out. Hours are credited in the hours ledger at check-out, never stored here twice: `hours`
    is the credited value for display, written in the same transaction as the ledger entry."""

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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["signup", "day"], name="attendance_one_per_signup_day"),
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
