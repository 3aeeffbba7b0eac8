"""Account services: phone-code login, e-mail accounts, API tokens, real name, phone binding.

Invariants guarded here:
- an SMS code is valid for SMS_CODE_TTL_SECONDS, used at most once, and dies after
  SMS_CODE_MAX_WRONG wrong tries; only its HMAC is stored;
- a phone gets a new code at most every SMS_RESEND_SECONDS and at most SMS_DAILY_CAP_PER_PHONE a
  local day; an IP at most SMS_DAILY_CAP_PER_IP a day (test phones are exempt from both, never
  from the wrong-try limit);
- one account per phone, per e-mail address and per ID number (database constraints);
- ID numbers are stored only encrypted, with a blind index for uniqueness;
- an e-mail account is locked for LOGIN_LOCKOUT_SECONDS after LOGIN_MAX_FAILURES wrong passwords.
Refusals that must still record something (a wrong try, a failed log-in) commit that record and
raise after the transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from redis.exceptions import ResponseError as RedisResponseError

from threehours.core.audit import audit_record
from threehours.core.crypto import blind_index, encrypt_text
from threehours.core.db import Columns, hot_cursor, lock_key
from threehours.core.errors import DomainError, InvalidInput
from threehours.core.redisclient import HashBuffer, redis_client
from threehours.core.timeutil import local_day_bounds, local_today
from threehours.notifications.services import email_send, sms_send

from .errors import (
    AccountInactive,
    AccountLocked,
    BadLinkToken,
    BadSmsCode,
    EmailNotVerified,
    EmailTaken,
    IdNumberTaken,
    InvalidCredentials,
    InvalidIdNumber,
    InvalidPhone,
    PhoneAlreadyBound,
    PhoneTaken,
    SmsCodeExhausted,
    SmsCodeExpired,
    SmsDailyCapReached,
    SmsTooFrequent,
)
from .identity import (
    id_birth_date,
    is_valid_id_number,
    is_valid_phone,
    mask_id_number,
    normalise_id_number,
    normalise_phone,
)
from .models import ApiToken, SmsCode, User

EMAIL_VERIFY_SALT = "threehours.accounts.email-verify"
TOKEN_PREFIX = "th_"
_DUMMY_HASH = make_password("timing-equaliser")


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


def phone_login(*, phone: str, code: str) -> User:
    """Log in with a phone code, creating the volunteer's account on first login.
    Raises InvalidPhone, BadSmsCode, SmsCodeExpired, SmsCodeExhausted, AccountInactive."""
    phone = phone_clean(phone)
    with transaction.atomic(durable=True):
        error = _sms_code_consume(phone=phone, purpose=SmsCode.Purpose.LOGIN, code=code)
        user = None
        if error is None:
            user, created = User.objects.get_or_create(
                phone=phone, defaults={"phone_bound_at": timezone.now()}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                audit_record(actor=user, verb="account.created_by_phone", target=user)
            user.last_login = timezone.now()
            user.save(update_fields=["last_login"])
    if error is not None:
        raise error
    assert user is not None
    if not user.is_active:
        raise AccountInactive()
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


# --- API tokens -------------------------------------------------------------------------------


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_issue(*, user: User, name: str = "") -> str:
    """Create a bearer token for `user` and return it; only its hash is stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    ApiToken.objects.create(
        user=user,
        key_hash=_token_hash(raw),
        name=name[:64],
        created_at=now,
        # "Used" at issue: a fresh token's first requests need no write (a registration rush
        # is mostly first requests).
        last_used_at=now,
        expires_at=now + dt.timedelta(days=settings.API_TOKEN_TTL_DAYS),
    )
    return raw


_TOKEN_COLUMNS = Columns(ApiToken, "t")
_USER_COLUMNS = Columns(User, "u")
TOKEN_USED_KEY = "threehours:token-last-used"
TOKEN_USED_EVERY = dt.timedelta(minutes=5)


def _token_query(connection) -> str:
    # Identifiers come from the models, values are parameters.
    return (
        f"SELECT {_TOKEN_COLUMNS.sql(connection)}, {_USER_COLUMNS.sql(connection)} "  # noqa: S608
        f"FROM {_TOKEN_COLUMNS.table(connection)} "
        f"JOIN {_USER_COLUMNS.table(connection)} ON u.id = t.user_id "
        "WHERE t.key_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s"
    )


def token_authenticate(raw: str) -> tuple[User, ApiToken] | None:
    """The user and token behind `raw`, or None when unknown, revoked, expired or inactive.

    Every API request passes here, so it is one hand-written SELECT (the ORM's compiling of
    the same query cost ten times its execution, bench/README.md). The last-use time is kept
    to within five minutes: with Redis it is recorded there (by the process's HashBuffer, a
    second later, many in one HSET) and written to the token by `token_usage_flush` every
    minute, so a rush of first requests writes nothing to the database."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    connection = connections[DEFAULT_DB_ALIAS]
    with hot_cursor(connection) as cursor:
        cursor.execute(
            _token_query(connection),
            [_token_hash(raw), connection.ops.adapt_datetimefield_value(now)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    token = _TOKEN_COLUMNS.load(row, 0, connection)
    user = _USER_COLUMNS.load(row, len(_TOKEN_COLUMNS), connection)
    if not user.is_active:
        return None
    token.user = user
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USED_EVERY:
        _token_mark_used(token, now)
    return user, token


def _token_mark_used(token: ApiToken, now: dt.datetime) -> None:
    if redis_client() is None:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    else:
        _TOKENS_USED.set(str(token.pk), now.isoformat())


def _tokens_used_write(used: dict[str, str]) -> int:
    """Write last-use times (token id → ISO time) into the tokens, never moving one back."""
    written = 0
    with transaction.atomic():
        for token_id, iso in sorted(used.items(), key=lambda item: int(item[0])):
            at = dt.datetime.fromisoformat(iso)
            written += (
                ApiToken.objects.filter(pk=int(token_id))
                .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=at))
                .update(last_used_at=at)
            )
    return written


# The requests' last-use times reach Redis a second later, many in one HSET (one round trip
# fewer per request in a rush); when Redis refuses, they are written into the tokens.
_TOKENS_USED = HashBuffer(TOKEN_USED_KEY, fallback=_tokens_used_write)


def token_usage_flush() -> int:
    """Write the last-use times recorded in Redis into the tokens; returns how many tokens
    were written. Run every minute by the job worker; a no-op without Redis."""
    client = redis_client()
    if client is None:
        return 0
    batch = f"{TOKEN_USED_KEY}:flushing:{secrets.token_hex(8)}"
    try:
        client.rename(TOKEN_USED_KEY, batch)
    except RedisResponseError:
        return 0  # nothing recorded since the last flush
    used = client.hgetall(batch)
    written = _tokens_used_write(used)
    client.delete(batch)
    return written


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


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
def email_account_register(*, email: str, password: str) -> User:
    """Create an e-mail account (organisation staff) and send the verification link.
    Raises InvalidInput (bad e-mail or weak password), EmailTaken."""
    email = _email_clean(email)
    _password_check(password, User(email=email))
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken(fields={"email": [str(EmailTaken.default_message)]})
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password)
    except IntegrityError as exc:
        raise EmailTaken(fields={"email": [str(EmailTaken.default_message)]}) from exc
    audit_record(actor=user, verb="account.registered_by_email", target=user)
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


def email_login(*, email: str, password: str) -> User:
    """Check an e-mail and password. Counts failures and locks the account after
    LOGIN_MAX_FAILURES. Raises InvalidCredentials, AccountLocked, AccountInactive,
    EmailNotVerified."""
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
        elif not user.is_active:
            error = AccountInactive()
        elif user.email_verified_at is None:
            error = EmailNotVerified()
        else:
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


# --- real name --------------------------------------------------------------------------------


def _real_name_clean(raw: str) -> str:
    name = " ".join((raw or "").split())
    if not 2 <= len(name) <= 30 or any(ch.isdigit() for ch in name):
        raise InvalidInput(fields={"real_name": [_("Enter your name as on your ID card.")]})
    return name


@transaction.atomic(durable=True)
def real_name_set(*, user: User, real_name: str, id_number: str) -> User:
    """Record the user's real name and resident ID number (encrypted; masked for display).
    Raises InvalidInput, InvalidIdNumber, IdNumberTaken."""
    name = _real_name_clean(real_name)
    number = normalise_id_number(id_number)
    if not is_valid_id_number(number, today=local_today()):
        raise InvalidIdNumber(fields={"id_number": [str(InvalidIdNumber.default_message)]})
    index = blind_index(number, purpose="id_number")
    locked = User.objects.select_for_update().get(pk=user.pk)
    if User.objects.filter(id_number_index=index).exclude(pk=user.pk).exists():
        raise IdNumberTaken(fields={"id_number": [str(IdNumberTaken.default_message)]})
    locked.real_name = name
    locked.id_number_encrypted = encrypt_text(number)
    locked.id_number_index = index
    locked.id_number_masked = mask_id_number(number)
    locked.birth_date = id_birth_date(number)
    locked.real_name_verified_at = timezone.now()
    fields = [
        "real_name",
        "id_number_encrypted",
        "id_number_index",
        "id_number_masked",
        "birth_date",
        "real_name_verified_at",
    ]
    try:
        with transaction.atomic():
            locked.save(update_fields=fields)
    except IntegrityError as exc:
        raise IdNumberTaken(fields={"id_number": [str(IdNumberTaken.default_message)]}) from exc
    audit_record(actor=user, verb="account.real_name_set", target=locked)
    for field in fields:
        setattr(user, field, getattr(locked, field))
    return user
