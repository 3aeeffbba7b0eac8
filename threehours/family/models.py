"""Family accounts — 小宝 (docs/product.md §6, issue #14).

A child is a `accounts.User` row with `guarded=True`: no phone, no e-mail, no password, so
nobody can log in as it; its name and ID number are stored like an adult's (encrypted, masked,
unique by blind index), and its hours are entries of the one ledger under its own id, so that
`verify_ledger`, the summaries and the certificates treat a child's record like anyone's. The
guardians reach the child through `Guardianship`; at 18 the child claims the row itself (it gets
a phone and stops being guarded, `Guardianship.ended_at` is set)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class GuardianshipQuerySet(models.QuerySet):
    def current(self) -> GuardianshipQuerySet:
        """Guardians who act for the child now (not after the hand-over at 18)."""
        return self.filter(ended_at__isnull=True)


class Guardianship(models.Model):
    """One guardian of one child, with the guardian's separate consent to process the child's
    personal data (PIPL Art. 31): the text version and the time are kept. A child has one or
    two guardians (the second one invited by phone, `GuardianInvitation`)."""

    child = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="guardians")
    guardian = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="guardianships"
    )
    # Who added the child (the first guardian) or invited this one.
    added_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    consent_version = models.CharField(_("consent text version"), max_length=20)
    consented_at = models.DateTimeField(_("consent given at"))
    created_at = models.DateTimeField(auto_now_add=True)
    # The child claimed the record at 18: the guardian keeps a read-only view of what happened
    # before this moment, nothing after it.
    ended_at = models.DateTimeField(_("handed over at"), null=True, blank=True)

    objects = GuardianshipQuerySet.as_manager()

    class Meta:
        verbose_name = _("guardianship")
        verbose_name_plural = _("guardianships")
        constraints = [
            models.UniqueConstraint(
                fields=["child", "guardian"], name="guardianship_once_per_guardian"
            ),
            models.CheckConstraint(
                condition=~Q(child=models.F("guardian")), name="guardianship_not_self"
            ),
        ]
        indexes = [models.Index(fields=["guardian", "child"], name="guardianship_guardian_idx")]

    def __str__(self) -> str:
        return f"{self.guardian_id} → {self.child_id}"


class GuardianInvitation(models.Model):
    """A guardian invites the child's other parent by phone number. The invited person logs in
    with that phone, sees the invitation under 我的小宝 and confirms the same child with their own
    consent (or declines). Only the phone's blind index is needed to match; the number is kept
    masked for display."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Withdrawn")
        EXPIRED = "expired", _("Expired")

    child = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(_("phone number"), max_length=11)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    accepted_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("guardian invitation")
        verbose_name_plural = _("guardian invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["child", "phone"],
                condition=Q(status="pending"),
                name="guardianinvitation_one_pending_per_phone",
            ),
        ]
        indexes = [models.Index(fields=["phone", "status"], name="guardianinvitation_phone_idx")]

    def __str__(self) -> str:
        return f"invite {self.child_id} → {self.phone[:3]}****"


def private_storage():
    from django.core.files.storage import storages

    return storages["private"]


def portrait_upload_to(instance: ChildPortrait, filename: str) -> str:
    return f"family/{instance.child_id}/portrait/{filename}"


class ChildPortrait(models.Model):
    """An optional photo of the child, so that staff can recognise them on site. Re-encoded
    without metadata and stored privately: served only to the child's current guardians."""

    child = models.OneToOneField("accounts.User", on_delete=models.CASCADE, related_name="+")
    image = models.ImageField(
        _("photo"),
        upload_to=portrait_upload_to,
        storage=private_storage,
        width_field="width",
        height_field="height",
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("child's photo")
        verbose_name_plural = _("children's photos")

    def __str__(self) -> str:
        return f"portrait of {self.child_id}"
