from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A province, city or district of GB/T 2260 (loaded from orgs/data/regions.json)."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("province")
        CITY = 2, _("city")
        DISTRICT = 3, _("district")

    code = models.CharField(max_length=12, primary_key=True)
    name = models.CharField(max_length=40)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"], name="region_parent_idx")]

    def __str__(self) -> str:
        return self.label

    # City-level entries that stand for "the districts directly under the province" carry no
    # name of their own (municipalities such as 上海市, and county groups).
    PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

    @property
    def label(self) -> str:
        """The name to show: a placeholder city shows its province's name instead."""
        if self.name in self.PLACEHOLDER_NAMES and self.parent_id:
            return self.parent.name
        return self.name


class Organisation(models.Model):
    """An organisation's application and, once approved, the organisation itself."""

    class Category(models.TextChoices):
        SOCIAL_ORG = "social_org", _("Social organisation registered with civil affairs")
        SCHOOL = "school", _("School volunteer organisation")
        COMMUNITY = "community", _("Community / village volunteer organisation")
        PUBLIC_SERVICE = (
            "public_service",
            _("Public-service unit (hospital, museum, nursing home…)"),
        )

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Under review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    name = models.CharField(_("organisation name"), max_length=60)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    province = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("province")
    )
    city = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("city")
    )
    district = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    address = models.CharField(_("address"), max_length=120)
    contact_name = models.CharField(_("contact person"), max_length=30)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    intro = models.TextField(_("introduction"), max_length=2000)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    certificate_valid_until = models.DateField(_("certificate valid until"), null=True, blank=True)

    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    reject_reason = models.TextField(_("reason for rejection"), blank=True)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="org_applications",
        verbose_name=_("applicant"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    suspend_reason = models.TextField(_("reason for suspension"), blank=True)
    # Operators may raise an organisation's activity-size limit (docs/product.md §2, "Places").
    places_limit = models.PositiveIntegerField(_("places limit per activity"), default=100)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # The ratings of all its activities (issue #15 §1), kept like Activity.rating_count.
    rating_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    rating_sum = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [
            models.Index(fields=["state", "submitted_at"], name="org_review_queue_idx"),
            models.Index(fields=["certificate_valid_until"], name="org_cert_expiry_idx"),
        ]
        constraints = [
            # One open application per user at a time (draft, submitted or rejected).
            models.UniqueConstraint(
                fields=["applicant"],
                condition=~Q(state="approved"),
                name="org_one_open_application_per_user",
            ),
            models.CheckConstraint(
                condition=~Q(category="social_org")
                | Q(state="draft")
                | (Q(certificate_valid_until__isnull=False) & ~Q(credit_code="")),
                name="org_social_org_has_certificate",
            ),
            models.CheckConstraint(
                condition=~Q(state="rejected") | ~Q(reject_reason=""),
                name="org_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def rating_average(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None

    @property
    def needs_certificate(self) -> bool:
        return self.category == self.Category.SOCIAL_ORG

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    def certificate_expired_on(self, day: dt.date) -> bool:
        return bool(self.certificate_valid_until and self.certificate_valid_until < day)

    def can_publish_on(self, day: dt.date) -> bool:
        """Approved, not suspended, and (for registered social organisations) holding a valid
        certificate (docs/product.md §1.6). Derived, never stored."""
        return (
            self.state == self.State.APPROVED
            and not self.is_suspended
            and not self.certificate_expired_on(day)
        )

    @property
    def region_label(self) -> str:
        city = (
            ""
            if self.city.name in {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
            else self.city.name
        )
        return f"{self.province.name}{city}{self.district.name}"


def private_storage():
    from django.core.files.storage import storages

    return storages["private"]


def qualification_upload_to(instance: QualificationFile, filename: str) -> str:
    return f"orgs/{instance.organisation_id}/qualifications/{filename}"


class QualificationFile(models.Model):
    """A photo or scan of a qualification document, re-encoded without metadata."""

    class Kind(models.TextChoices):
        REGISTRATION_CERTIFICATE = (
            "registration_certificate",
            _("Legal-person registration certificate"),
        )
        ENDORSEMENT = "endorsement", _("Endorsement letter")
        RENEWED_CERTIFICATE = "renewed_certificate", _("Renewed registration certificate")
        OTHER = "other", _("Other supporting document")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    image = models.ImageField(
        _("image"),
        upload_to=qualification_upload_to,
        storage=private_storage,
        width_field="width",
        height_field="height",
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    original_name = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    renewal = models.ForeignKey(
        "CertificateRenewal", null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("qualification file")
        verbose_name_plural = _("qualification files")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Membership(models.Model):
    """A user's role in an organisation."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        COORDINATOR = "coordinator", _("Coordinator")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], name="membership_one_per_user_and_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


class Invitation(models.Model):
    """An e-mailed invitation to join an organisation's staff. Only the token's hash is kept."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=12, choices=Membership.Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    def is_open(self, now: dt.datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now


class CertificateRenewal(models.Model):
    """A renewed registration certificate with its new validity date, waiting for an operator."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="renewals"
    )
    valid_until = models.DateField(_("new validity end date"))
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    reject_reason = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("certificate renewal")
        verbose_name_plural = _("certificate renewals")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(state="pending"),
                name="renewal_one_pending_per_org",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.valid_until}"


class ExpiryWarning(models.Model):
    """One certificate-expiry warning sent (30 or 7 days before, or on expiry), so that each
    is sent once per certificate date whatever the job's schedule."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="expiry_warnings"
    )
    valid_until = models.DateField()
    days_before = models.SmallIntegerField()  # 30, 7, or 0 for "expired"
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "valid_until", "days_before"], name="expirywarning_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.valid_until} -{self.days_before}d"
