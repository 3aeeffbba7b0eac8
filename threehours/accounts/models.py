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
    # The ID number itself is only ever stored encrypted (PRODUCT.md §9).
    id_number_encrypted = models.TextField(_("ID number (encrypted)"), blank=True)
    id_number_index = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    real_name_verified_at = models.DateTimeField(_("real name recorded at"), null=True, blank=True)

    # A child's record kept by guardians (family app, PRODUCT.md §6): no phone, no e-mail, no
    # password, so nobody logs in as it, until the child claims it at 18 with an own phone.
    guarded = models.BooleanField(_("child kept by guardians"), default=False)

    is_active = models.BooleanField(_("active"), default=True)
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
                condition=Q(email__isnull=False) | Q(phone__isnull=False) | Q(guarded=True),
                name="user_has_email_or_phone",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.nickname:
            return self.nickname
        if self.guarded:
            return self.real_name or f"#{self.pk}"
        if self.phone:
            return mask_phone(self.phone)
        return self.email or f"#{self.pk}"

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
