"""Phone codes: log-in by SMS code and binding a phone to an account."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from threehours.core.audit import audit_record
from threehours.core.db import lock_key
from threehours.core.errors import DomainError
from threehours.core.timeutil import local_day_bounds, local_today
from threehours.notifications.services import sms_send

from ..consent import consents_missing, consents_record_documents
from ..errors import (
    AccountInactive,
    BadSmsCode,
    InvalidPhone,
    PhoneAlreadyBound,
    PhoneTaken,
    SmsCodeExhausted,
    SmsCodeExpired,
    SmsDailyCapReached,
    SmsTooFrequent,
)
from ..identity import (
    is_valid_phone,
    normalise_phone,
)
from ..models import SmsCode, User
from .closing import consent_required_for, login_refusal

# --- phone codes ------------------------------------------------------------------------------


def _code_hash(phone: str, purpose: str, code: str) -> str:
    message = f"{phone}:{purpose}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def phone_clean(raw: str) -> str:
    """Normalise a phone number or raise InvalidPhone."""
    phone = normalise_phone(raw)
    if not is_valid_phone(phone):
        raise InvalidPhone(fields={"phone": [str(InvalidPhone.default_message)]})
    return phone


@transaction.atomic(durable=True)
def sms_code_send(*, phone: str, purpose: str, ip: str | None) -> int:
    """Create a code for `phone` and send it by SMS; return the seconds until another may be sent.
    Test phones get their fixed code and no SMS. Locks the phone's name (advisory lock).
    Raises InvalidPhone, SmsTooFrequent, SmsDailyCapReached."""
    phone = phone_clean(phone)
    now = timezone.now()
    ttl = dt.timedelta(seconds=settings.SMS_CODE_TTL_SECONDS)
    fixed = settings.TEST_PHONES.get(phone)
    if fixed is not None:
        SmsCode.objects.create(
            phone=phone,
            purpose=purpose,
            code_hash=_code_hash(phone, purpose, fixed),
            is_test_phone=True,
            ip=ip,
            created_at=now,
            expires_at=now + ttl,
        )
        return 0
    lock_key(f"sms:{phone}")
    sent = SmsCode.objects.filter(is_test_phone=False)
    last = (
        sent.filter(phone=phone)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is not None:
        wait = settings.SMS_RESEND_SECONDS - (now - last).total_seconds()
        if wait > 0:
            raise SmsTooFrequent(seconds=settings.SMS_RESEND_SECONDS, retry_after=math.ceil(wait))
    day_start, day_end = local_day_bounds(local_today())
    tomorrow = math.ceil((day_end - now).total_seconds())
    if (
        sent.filter(phone=phone, created_at__gte=day_start).count()
        >= settings.SMS_DAILY_CAP_PER_PHONE
    ):
        raise SmsDailyCapReached(retry_after=tomorrow)
    if (
        ip
        and sent.filter(ip=ip, created_at__gte=day_start).count() >= settings.SMS_DAILY_CAP_PER_IP
    ):
        raise SmsDailyCapReached(retry_after=tomorrow)
    code = f"{secrets.randbelow(10**6):06d}"
    SmsCode.objects.create(
        phone=phone,
        purpose=purpose,
        code_hash=_code_hash(phone, purpose, code),
        ip=ip,
        created_at=now,
        expires_at=now + ttl,
    )
    minutes = settings.SMS_CODE_TTL_SECONDS // 60
    sms_send(
        phone=phone,
        sensitive=True,
        text=_(
            "[threehours] Your verification code is %(code)s, valid for %(minutes)s minutes. "
            "Never tell it to anyone."
        )
        % {"code": code, "minutes": minutes},
    )
    return settings.SMS_RESEND_SECONDS


def _sms_code_consume(*, phone: str, purpose: str, code: str) -> DomainError | None:
    """Use the phone's newest code of `purpose`; return the refusal instead of raising it, so
    the caller's transaction commits the wrong-try count. Must run inside a transaction."""
    now = timezone.now()
    fixed = settings.TEST_PHONES.get(phone)
    row = (
        SmsCode.objects.select_for_update()
        .filter(phone=phone, purpose=purpose)
        .order_by("-created_at")
        .first()
    )
    live = row is not None and row.used_at is None and row.expires_at > now
    if fixed is not None and not live:
        # Test phones log in without a prior send: a fresh row carries the fixed code.
        row = SmsCode.objects.create(
            phone=phone,
            purpose=purpose,
            code_hash=_code_hash(phone, purpose, fixed),
            is_test_phone=True,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.SMS_CODE_TTL_SECONDS),
        )
        live = True
    if row is None or not live:
        return SmsCodeExpired()
    if row.wrong_tries >= settings.SMS_CODE_MAX_WRONG:
        return SmsCodeExhausted()
    if not hmac.compare_digest(row.code_hash, _code_hash(phone, purpose, code or "")):
        row.wrong_tries += 1
        row.save(update_fields=["wrong_tries"])
        if row.wrong_tries >= settings.SMS_CODE_MAX_WRONG:
            return SmsCodeExhausted()
        return BadSmsCode(fields={"code": [str(BadSmsCode.default_message)]})
    row.used_at = now
    row.save(update_fields=["used_at"])
    return None


def phone_login(
    *,
    phone: str,
    code: str,
    agree: bool = False,
    cancel_closing: bool = False,
    ip: str | None = None,
) -> User:
    """Log in with a phone code, creating the volunteer's account on first login.

    PIPL: no account before consent. A new person, or one who has not accepted the current
    version of the user agreement or the privacy policy, must `agree`; without it ConsentRequired
    is raised once the code is proven, the code left unused and nothing written. With it both
    consents are recorded (version, time, ip) in the transaction that creates the account.
    A closing account (注销 requested) is refused with AccountClosing, the code left unused,
    unless `cancel_closing`: then the closing is cancelled and the person logged in.
    Raises InvalidPhone, ConsentRequired, BadSmsCode, SmsCodeExpired, SmsCodeExhausted,
    AccountClosing, AccountClosed, AccountInactive."""
    phone = phone_clean(phone)
    error: DomainError | None = None
    with transaction.atomic(durable=True):
        error = _sms_code_consume(phone=phone, purpose=SmsCode.Purpose.LOGIN, code=code)
        user = None
        if error is None:
            # Asked only once the code is proven, so that nobody learns without the code whether
            # a number has an account; raising rolls the code's use back (it stays usable).
            missing = consents_missing(User.objects.filter(phone=phone).first())
            if missing and not agree:
                raise consent_required_for(missing)
            user, created = User.objects.get_or_create(
                phone=phone, defaults={"phone_bound_at": timezone.now()}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                audit_record(actor=user, verb="account.created_by_phone", target=user)
            refusal = login_refusal(user, cancel_closing=cancel_closing)
            if refusal is not None and not isinstance(refusal, AccountInactive):
                # Nothing of this attempt is kept: the code stays usable for the next step.
                raise refusal
            if missing:
                consents_record_documents(user=user, ip=ip)
            user.last_login = timezone.now()
            user.save(update_fields=["last_login"])
            error = refusal
    if error is not None:
        raise error
    assert user is not None
    return user


def phone_bind_send(*, user: User, phone: str, ip: str | None) -> int:
    """Send a binding code to `phone`. Raises PhoneAlreadyBound, PhoneTaken and sms_code_send's."""
    phone = phone_clean(phone)
    if user.phone:
        raise PhoneAlreadyBound()
    if User.objects.filter(phone=phone).exists():
        raise PhoneTaken()
    return sms_code_send(phone=phone, purpose=SmsCode.Purpose.BIND, ip=ip)


def phone_bind(*, user: User, phone: str, code: str) -> User:
    """Bind `phone` to an account that has none, proven by a code sent to it.
    Raises PhoneAlreadyBound, PhoneTaken, InvalidPhone and the code errors."""
    phone = phone_clean(phone)
    with transaction.atomic(durable=True):
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.phone:
            raise PhoneAlreadyBound()
        if User.objects.filter(phone=phone).exists():
            raise PhoneTaken()
        error = _sms_code_consume(phone=phone, purpose=SmsCode.Purpose.BIND, code=code)
        if error is None:
            locked.phone = phone
            locked.phone_bound_at = timezone.now()
            try:
                with transaction.atomic():
                    locked.save(update_fields=["phone", "phone_bound_at"])
            except IntegrityError:
                error = PhoneTaken()
            else:
                audit_record(actor=locked, verb="account.phone_bound", target=locked)
    if error is not None:
        raise error
    user.phone, user.phone_bound_at = locked.phone, locked.phone_bound_at
    return user
