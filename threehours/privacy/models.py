"""A person's own data (issue #16 §§2–3): the download of everything held about them, and the
request to close their account (注销) with its cooling-off period."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def private_storage():
    from django.core.files.storage import storages

    return storages["private"]


def data_export_upload_to(instance: DataExport, filename: str) -> str:
    return f"data-exports/{instance.user_id}/{filename}"


class DataExport(models.Model):
    """One download of everything held about a person: a ZIP with the JSON and the
    human-readable PDF summary, prepared by a job, kept DATA_EXPORT_TTL_DAYS and then deleted."""

    class State(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    file = models.FileField(upload_to=data_export_upload_to, storage=private_storage, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("data download")
        verbose_name_plural = _("data downloads")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="dataexport_user_idx"),
            models.Index(fields=["state", "expires_at"], name="dataexport_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"data export #{self.pk} of {self.user_id} ({self.state})"


class AccountClosure(models.Model):
    """A request to close an account. It takes effect at `effective_at` (the cooling-off
    period, cancellable until then); the closing job then anonymises the account and sets
    `completed_at`. The row stays as the record that the person asked for it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="closures"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    effective_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("account closure")
        verbose_name_plural = _("account closures")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(cancelled_at__isnull=True, completed_at__isnull=True),
                name="closure_one_open_per_user",
            ),
        ]
        indexes = [
            models.Index(
                fields=["effective_at"],
                condition=Q(cancelled_at__isnull=True, completed_at__isnull=True),
                name="closure_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"closure of {self.user_id} on {self.effective_at:%Y-%m-%d}"
