"""E-mail accounts: registration, verification, log-in with lock-out, password reset."""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from threehours.core.audit import audit_record
from threehours.core.errors import DomainError, InvalidInput
from threehours.notifications.services import email_send

from ..consent import consents_missing, consents_record_documents
from ..errors import (
    AccountLocked,
    BadLinkToken,
    EmailNotVerified,
    EmailTaken,
    InvalidCredentials,
)
from ..models import ApiToken, User
from .closing import consent_required_for, login_refusal

EMAIL_VERIFY_SALT = "threehours.accounts.email-verify"


_DUMMY_HASH = make_password("timing-equaliser")


# --- e-mail accounts --------------------------------------------------------------------------


def _email_clean(raw: str) -> str:
    email = (raw or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(fields={"email": [_("Enter a valid e-mail address.")]}) from exc
    return email


def _password_check(password: str, user: User | None = None) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(fields={"password": list(exc.messages)}) from exc


def email_verification_link(user: User) -> str:
    token = signing.dumps({"u": user.pk, "e": user.email}, salt=EMAIL_VERIFY_SALT)
    return settings.SITE_URL + reverse("accounts:email-verify", args=[token])


def _send_verification(user: User) -> None:
    link = email_verification_link(user)
    email_send(
        to=user.email,
        user=user,
        subject=_("Please verify your e-mail address"),
        body=_(
            "Welcome to threehours.\n\nOpen this link to verify your e-mail address "
            "(valid for 3 days):\n%(link)s\n\nIf you did not sign up, ignore this message."
        )
        % {"link": link},
    )


@transaction.atomic(durable=True)
def email_account_register(
    *, email: str, password: str, agree: bool = False, ip: str | None = None
) -> User:
    """Create an e-mail account (organisation staff) and send the verification link.
    PIPL: no account before consent: without `agree` to the current user agreement and
    privacy policy, ConsentRequired and nothing written; with it both consents are recorded
    with the account. Raises InvalidInput (bad e-mail or weak password), ConsentRequired,
    EmailTaken."""
    email = _email_clean(email)
    _password_check(password, User(email=email))
    missing = consents_missing(None)
    if missing and not agree:
        raise consent_required_for(missing)
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken(fields={"email": [str(EmailTaken.default_message)]})
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password)
    except IntegrityError as exc:
        raise EmailTaken(fields={"email": [str(EmailTaken.default_message)]}) from exc
    audit_record(actor=user, verb="account.registered_by_email", target=user)
    consents_record_documents(user=user, ip=ip)
    _send_verification(user)
    return user


def email_verification_resend(*, email: str) -> None:
    """Send the link again to an unverified account; says nothing about unknown addresses."""
    user = User.objects.filter(
        email__iexact=(email or "").strip(), email_verified_at__isnull=True, is_active=True
    ).first()
    if user is not None:
        with transaction.atomic(durable=True):
            _send_verification(user)


@transaction.atomic(durable=True)
def email_verify(*, token: str) -> User:
    """Mark the e-mail of the link's account verified. Raises BadLinkToken."""
    try:
        data = signing.loads(
            token, salt=EMAIL_VERIFY_SALT, max_age=settings.EMAIL_VERIFY_MAX_AGE_SECONDS
        )
    except signing.BadSignature as exc:
        raise BadLinkToken() from exc
    user = User.objects.select_for_update().filter(pk=data.get("u"), email=data.get("e")).first()
    if user is None:
        raise BadLinkToken()
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        audit_record(actor=user, verb="account.email_verified", target=user)
    return user


def email_login(
    *,
    email: str,
    password: str,
    agree: bool = False,
    cancel_closing: bool = False,
    ip: str | None = None,
    require_consent: bool = True,
) -> User:
    """Check an e-mail and password. Counts failures and locks the account after
    LOGIN_MAX_FAILURES. A person who has not accepted the current user agreement and privacy
    policy must `agree` (operators and the operator log-in, `require_consent=False`, are
    exempt): without it ConsentRequired, nothing written; with it both consents are recorded.
    A closing account is refused unless `cancel_closing`.
    Raises InvalidCredentials, AccountLocked, AccountInactive, EmailNotVerified,
    ConsentRequired, AccountClosing, AccountClosed."""
    now = timezone.now()
    error: DomainError | None = None
    with transaction.atomic(durable=True):
        user = User.objects.select_for_update().filter(email__iexact=(email or "").strip()).first()
        if user is None:
            make_password(password)  # same work as a real check: no timing oracle on addresses
            error = InvalidCredentials()
        elif user.locked_until and user.locked_until > now:
            seconds = math.ceil((user.locked_until - now).total_seconds())
            error = AccountLocked(minutes=math.ceil(seconds / 60), retry_after=seconds)
        elif not user.check_password(password):
            user.failed_login_count += 1
            if user.failed_login_count >= settings.LOGIN_MAX_FAILURES:
                user.locked_until = now + dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
                user.failed_login_count = 0
                audit_record(actor=None, verb="account.locked", target=user)
                minutes = math.ceil(settings.LOGIN_LOCKOUT_SECONDS / 60)
                error = AccountLocked(minutes=minutes, retry_after=settings.LOGIN_LOCKOUT_SECONDS)
            else:
                error = InvalidCredentials()
            user.save(update_fields=["failed_login_count", "locked_until"])
        elif (refusal := login_refusal(user)) is not None and not (
            cancel_closing and user.is_closing and user.is_active
        ):
            error = refusal
        elif user.email_verified_at is None:
            error = EmailNotVerified()
        else:
            missing = [] if user.is_staff or not require_consent else consents_missing(user)
            if missing and not agree:
                error = consent_required_for(missing)  # nothing written
            else:
                if cancel_closing:
                    login_refusal(user, cancel_closing=True)
                if missing:
                    consents_record_documents(user=user, ip=ip)
                user.failed_login_count = 0
                user.locked_until = None
                user.last_login = now
                user.save(update_fields=["failed_login_count", "locked_until", "last_login"])
    if error is not None:
        raise error
    assert user is not None
    return user


def password_reset_request(*, email: str) -> None:
    """E-mail a reset link to an active account; says nothing about unknown addresses."""
    user = User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.SITE_URL + reverse("accounts:password-reset-confirm", args=[uid, token])
    with transaction.atomic(durable=True):
        email_send(
            to=user.email,
            user=user,
            subject=_("Reset your password"),
            body=_(
                "Someone asked to reset the password of your threehours account.\n\n"
                "Open this link to choose a new password:\n%(link)s\n\n"
                "If it was not you, ignore this message: your password stays as it is."
            )
            % {"link": link},
        )


def password_reset_user(*, uidb64: str, token: str) -> User:
    """The account a reset link belongs to. Raises BadLinkToken."""
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist) as exc:
        raise BadLinkToken() from exc
    if not default_token_generator.check_token(user, token):
        raise BadLinkToken()
    return user


@transaction.atomic(durable=True)
def password_reset_confirm(*, uidb64: str, token: str, password: str) -> User:
    """Set a new password through a reset link and lift any lockout.
    Raises BadLinkToken, InvalidInput."""
    user = password_reset_user(uidb64=uidb64, token=token)
    _password_check(password, user)
    user.set_password(password)
    user.failed_login_count = 0
    user.locked_until = None
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()  # the link proved the address
    user.save(update_fields=["password", "failed_login_count", "locked_until", "email_verified_at"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(actor=user, verb="account.password_reset", target=user)
    return user
