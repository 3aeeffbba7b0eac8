from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from threehours.core.crypto import decrypt_text

from .identity import age_on, mask_id_number, mask_phone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str | None = None, password: str | None = None, **extra) -> User:
        email = self.normalize_email(email).lower() if email else None
        user = self.model(email=email, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        extra.setdefault("email_verified_at", timezone.now())
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """One person. Volunteers sign in by phone; organisation staff and operators by e-mail.
    The same person may be both (a volunteer who also runs an organisation)."""

    email = models.EmailField(_("e-mail"), unique=True, null=True, blank=True)
    email_verified_at = models.DateTimeField(_("e-mail verified at"), null=True, blank=True)
    phone = models.CharField(_("phone number"), max_length=11, unique=True, null=True, blank=True)
    phone_bound_at = models.DateTimeField(_("phone bound at"), null=True, blank=True)
    nickname = models.CharField(_("nickname"), max_length=30, blank=True)

    real_name = models.CharField(_("real name"), max_length=30, blank=True)
    # The ID number itself is only ever stored encrypted (docs/product.md §9).
    id_number_encrypted = models.TextField(_("ID number (encrypted)"), blank=True)
    id_number_index = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    real_name_verified_at = models.DateTimeField(_("real name recorded at"), null=True, blank=True)

    # A child's record kept by guardians (family app, docs/product.md §6): no phone, no e-mail, no
    # password, so nobody logs in as it, until the child claims it at 18 with an own phone.
    guarded = models.BooleanField(_("child kept by guardians"), default=False)

    is_active = models.BooleanField(_("active"), default=True)
    # Why an operator disabled the account (issue #16 §6); shown to the person at log-in.
    disabled_reason = models.CharField(_("reason for disabling"), max_length=200, blank=True)
    # Account closing (注销, issue #16 §3): `closing_at` is when a requested closure takes effect
    # (cancellable until then; meanwhile the account cannot register, check in or log in);
    # `closed_at` is when the account was anonymised. Both are on the row so that the hot paths
    # (registration, check-in, log-in) see them without another query.
    closing_at = models.DateTimeField(_("closing on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    is_staff = models.BooleanField(_("platform operator"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    failed_login_count = models.PositiveIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    # The language the person reads: set by the language switch (or, until they use it, by the
    # first page they read logged in when that was not Chinese), applied on every page they see
    # while logged in, and the language of everything written to them (inbox, SMS, e-mail).
    # Empty: not known yet — pages follow the browser, messages are in Chinese.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(email__isnull=False)
                | Q(phone__isnull=False)
                | Q(guarded=True)
                | Q(closed_at__isnull=False),
                name="user_has_email_or_phone",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.closed_at is not None:
            return str(_("Closed account"))
        if self.nickname:
            return self.nickname
        if self.guarded:
            return self.real_name or f"#{self.pk}"
        if self.phone:
            return mask_phone(self.phone)
        return self.email or f"#{self.pk}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def is_closing(self) -> bool:
        return self.closing_at is not None and self.closed_at is None

    @property
    def phone_bound(self) -> bool:
        return bool(self.phone)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone) if self.phone else ""

    @property
    def real_name_verified(self) -> bool:
        return self.real_name_verified_at is not None

    def age_on(self, day: dt.date) -> int | None:
        return age_on(self.birth_date, day) if self.birth_date else None

    def id_number_plain(self) -> str:
        """Decrypt the ID number. Only for the rare code path that needs it (certificates)."""
        return decrypt_text(self.id_number_encrypted) if self.id_number_encrypted else ""

    @staticmethod
    def mask_id(id_number: str) -> str:
        return mask_id_number(id_number)


class SmsCode(models.Model):
    """One verification code sent by SMS (or a test phone's fixed code). Only its hash is kept."""

    class Purpose(models.TextChoices):
        LOGIN = "login", _("log in")
        BIND = "bind", _("bind phone")

    phone = models.CharField(max_length=11)
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64)
    is_test_phone = models.BooleanField(default=False)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    wrong_tries = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["phone", "purpose", "-created_at"], name="smscode_phone_idx"),
            models.Index(fields=["ip", "created_at"], name="smscode_ip_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="smscode_expires_after_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{mask_phone(self.phone)} {self.purpose} {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A bearer token of the JSON API. Only the SHA-256 of the token is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"token #{self.pk} of {self.user_id}"


class PolicyDocument(models.Model):
    """One version of the user agreement or the privacy policy (issue #16 §1), written by
    operators in Markdown (rendered and sanitised on display). Versions are never edited once
    published: a change is a new version, which every user is asked to accept at next log-in."""

    class Kind(models.TextChoices):
        TERMS = "terms", _("User agreement")
        PRIVACY = "privacy", _("Privacy policy")

    kind = models.CharField(_("document"), max_length=8, choices=Kind.choices)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=100)
    body_markdown = models.TextField(_("text (Markdown)"))
    changes = models.CharField(_("what changed"), max_length=300, blank=True)
    # Null: a draft an operator is still writing; set: in force from then on.
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("policy document")
        verbose_name_plural = _("policy documents")
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="policy_kind_version_unique"),
        ]
        indexes = [models.Index(fields=["kind", "-published_at"], name="policy_current_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class Consent(models.Model):
    """A person's consent to one version of one thing (issue #16 §1; PIPL Art. 14, 29, 23):
    the two documents at log-in, and the separate consents asked right before the act that
    needs them. `version` is the document's version for terms/privacy and the version of the
    consent text (accounts.consent.CONSENT_VERSIONS) for the others. Withdrawing keeps the row."""

    class Kind(models.TextChoices):
        TERMS = "terms", _("User agreement")
        PRIVACY = "privacy", _("Privacy policy")
        ID_NUMBER = "id_number", _("ID number")
        LOCATION = "location", _("Location at check-in")
        FACE = "face", _("Face / identity check")
        CHILD = "child", _("A child's data")
        SHARE_WITH_ORG = "share_with_org", _("Sharing registration data with the organiser")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("consent to"), max_length=16, choices=Kind.choices)
    version = models.PositiveIntegerField(_("version"))
    given_at = models.DateTimeField(_("given at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "version"], name="consent_user_kind_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} v{self.version}"
