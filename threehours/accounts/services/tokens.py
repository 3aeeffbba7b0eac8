"""API tokens: issue, authenticate (a hot path: one prepared statement), revoke."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Q
from django.utils import timezone
from redis.exceptions import ResponseError as RedisResponseError

from threehours.core.db import Columns, hot_cursor
from threehours.core.redisclient import HashBuffer, redis_client

from ..models import ApiToken, User

TOKEN_PREFIX = "th_"


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


def sign_out_everywhere(*, user: User) -> int:
    """End every API token and page session of `user` (disabling, closing the account).
    Tokens are revoked; sessions die because Django checks a session against a hash of the
    password field: an account without a usable password gets a new unusable one. An account
    with a password keeps it, and its sessions end only if the caller also makes it inactive or
    changes the password. Returns the number of tokens revoked."""
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not user.has_usable_password():
        user.set_unusable_password()
        User.objects.filter(pk=user.pk).update(password=user.password)
    return revoked
