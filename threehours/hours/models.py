from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    # Attended, offline volunteer service: what service records and certificates count.
    SERVICE = "service", _("volunteer service time")
    # The 0.1 公益时 of an online activity: participation credit, not service time.
    ONLINE = "online", _("online participation credit")


class LedgerImmutable(Exception):
    """Code tried to change or delete a ledger entry: a programming error, never a refusal a
    user can cause. Append a correction or reversal instead."""


class LedgerEntryQuerySet(models.QuerySet):
    """Entries can be read and created, nothing else (the database refuses too, by trigger:
    migration hours 0002)."""

    def update(self, **kwargs):
        raise LedgerImmutable("ledger entries are never updated; append a correction")

    def bulk_update(self, objs, fields, batch_size=None):
        raise LedgerImmutable("ledger entries are never updated; append a correction")

    def delete(self):
        raise LedgerImmutable("ledger entries are never deleted; append a reversal")


class LedgerEntry(models.Model):
    """One immutable change to a volunteer's hours: a credit at check-out, a staff correction
    (a signed difference, with a reason) or a reversal. Never updated, never deleted (refused
    here and by database triggers); every foreign key PROTECTs it, so deleting a volunteer,
    an activity, an organisation or an attendance with entries is refused too. The
    volunteer's total is the sum of entries (HoursSummary caches it in the same transaction)."""

    class EntryType(models.TextChoices):
        CREDIT = "credit", _("credit")
        CORRECTION = "correction", _("correction")
        REVERSAL = "reversal", _("reversal")

    volunteer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey("activities.Activity", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "orgs.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(_("day"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    entry_type = models.CharField(_("entry"), max_length=10, choices=EntryType.choices)
    attendance = models.ForeignKey(
        "attendance.Attendance", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("hours entry")
        verbose_name_plural = _("hours entries")
        constraints = [
            models.UniqueConstraint(
                fields=["attendance"],
                condition=models.Q(entry_type="credit"),
                name="ledgerentry_one_credit_per_attendance",
            ),
            models.CheckConstraint(condition=~models.Q(hours=0), name="ledgerentry_hours_not_zero"),
            models.CheckConstraint(
                condition=~models.Q(entry_type="credit") | models.Q(hours__gt=0),
                name="ledgerentry_credit_positive",
            ),
            models.CheckConstraint(
                condition=~models.Q(entry_type="correction") | ~models.Q(reason=""),
                name="ledgerentry_correction_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["volunteer", "-created_at"], name="ledger_volunteer_idx"),
            models.Index(fields=["activity", "day"], name="ledger_activity_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} {self.day} {self.hours:+} ({self.entry_type})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerImmutable("ledger entries are never updated; append a correction")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutable("ledger entries are never deleted; append a reversal")


class HoursSummary(models.Model):
    """A volunteer's totals, moved with F() in the same transaction as each ledger entry, so
    reading them is one indexed row. `verify_ledger` recomputes them from the entries."""

    volunteer = models.OneToOneField(
        "accounts.User", primary_key=True, on_delete=models.CASCADE, related_name="hours_summary"
    )
    service_hours = models.DecimalField(max_digits=8, decimal_places=1, default=0)
    online_hours = models.DecimalField(max_digits=8, decimal_places=1, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("hours total")
        verbose_name_plural = _("hours totals")

    def __str__(self) -> str:
        return f"{self.volunteer_id}: {self.service_hours} + {self.online_hours}"


class PendingCredit(models.Model):
    """Hours proposed after a forgotten check-out: from the check-in time to the end of that
    day's window. Credited only when the volunteer confirms and a coordinator co-signs;
    expires after PENDING_CREDIT_DAYS otherwise (issue #6 §5)."""

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for confirmation")
        DISPUTED = "disputed", _("Disputed by the volunteer")
        CREDITED = "credited", _("Credited")
        EXPIRED = "expired", _("Expired")
        REFUSED = "refused", _("Refused by staff")
        SUPERSEDED = "superseded", _("Replaced by a staff correction")

    attendance = models.OneToOneField(
        "attendance.Attendance", on_delete=models.PROTECT, related_name="pending_credit"
    )
    hours = models.DecimalField(max_digits=4, decimal_places=1)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    volunteer_confirmed_at = models.DateTimeField(null=True, blank=True)
    volunteer_note = models.CharField(max_length=300, blank=True)
    cosigned_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pending credit")
        verbose_name_plural = _("pending credits")
        indexes = [models.Index(fields=["state", "expires_at"], name="pendingcredit_state_idx")]

    def __str__(self) -> str:
        return f"{self.attendance_id}: {self.hours} ({self.state})"
