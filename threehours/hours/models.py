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
            # The statistics roll-up reads one month of entries (issue #16 §6).
            models.Index(fields=["day"], name="ledger_day_idx"),
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


class ServiceEvaluation(models.Model):
    """服务评价: the organisation's short evaluation of one volunteer (or child) for one activity,
    recorded by staff after the hours are credited (issue #15 §2). Part of the service record; a
    certificate carries it when its holder chooses. One per person and activity; staff may
    change it (updated_at, audited)."""

    class Grade(models.TextChoices):
        EXCELLENT = "excellent", _("Excellent")
        GOOD = "good", _("Good")
        SATISFACTORY = "satisfactory", _("Satisfactory")

    TEXT_MAX = 200

    volunteer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey("activities.Activity", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "orgs.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    signup = models.ForeignKey("signups.Signup", on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(_("grade"), max_length=12, choices=Grade.choices)
    text = models.CharField(_("evaluation"), max_length=TEXT_MAX, blank=True)
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("service evaluation")
        verbose_name_plural = _("service evaluations")
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "activity"], name="serviceevaluation_one_per_activity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} @ {self.activity_id}: {self.grade}"


def certificate_upload_to(instance: Certificate, filename: str) -> str:
    return f"certificates/{instance.issued_at:%Y/%m}/{instance.serial}.pdf"


def private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class Certificate(models.Model):
    """公益证书 (issue #15 §3–4): a service-record proof of `holder`'s service hours in a period
    (optionally at one organisation), rendered once to a PDF that is stored privately and fixed
    by its SHA-256. The serial is random (not guessable) and opens the public verification page.
    A child's certificate has the child as holder and the guardian who asked as `issued_to`.
    Revoked (never deleted) when a later ledger entry changes the hours it certified, or when
    the holder's account is closed (issue #16)."""

    class State(models.TextChoices):
        VALID = "valid", _("Valid")
        REVOKED = "revoked", _("Revoked")

    class RevokedReason(models.TextChoices):
        CORRECTION = "correction", _("The hours it certified were corrected after it was issued.")
        ACCOUNT_CLOSED = "account_closed", _("The holder's account was closed.")
        HOLDER = "holder", _("Withdrawn by its holder.")

    class Language(models.TextChoices):
        ZH = "zh-hans", "中文"
        EN = "en", "English"

    serial = models.CharField(_("serial number"), max_length=32, unique=True)
    holder = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    issued_to = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "orgs.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Always set: "all time" is stored as the first entry's day to the day of issue.
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    all_time = models.BooleanField(default=False)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ZH)
    include_evaluations = models.BooleanField(default=False)
    # What the verification page shows, fixed at issue (a later change of name does not alter
    # a certificate already handed to an employer).
    holder_masked = models.CharField(max_length=40)
    total_hours = models.DecimalField(max_digits=8, decimal_places=1)
    activity_count = models.PositiveIntegerField(default=0)
    pdf = models.FileField(upload_to=certificate_upload_to, storage=private_storage, blank=True)
    sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=8, choices=State.choices, default=State.VALID)
    revoked_reason = models.CharField(
        max_length=16, choices=RevokedReason.choices, blank=True, default=""
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField()

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        indexes = [
            models.Index(fields=["holder", "state", "date_to"], name="certificate_holder_idx"),
            models.Index(fields=["issued_to", "-issued_at"], name="certificate_issued_to_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_from__lte=models.F("date_to")),
                name="certificate_period_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(state="valid", revoked_at__isnull=True)
                | models.Q(state="revoked", revoked_at__isnull=False),
                name="certificate_revoked_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.serial
