"""Read replicas: which database a query goes to (settings.DATABASE_REPLICA_URLS).

Writes, migrations and every read go to the primary ("default"), except the reads of a view
that opts in with `@replica_reads` (or `on_replica` in an API operation): public, read-only pages
(discovery, an activity's page, an organisation's page, the activity list API). Most reads happen
in a transaction that then writes, so nothing is routed by guessing; a view says so.

Three rules keep a replica from being seen:
- **Read-your-writes.** A request that wrote (any successful POST/PUT/PATCH/DELETE) marks the
  browser with a signed, timestamped cookie (`ReadYourWritesMiddleware`); while it is younger than
  `REPLICA_STICKY_SECONDS`, that browser's reads go to the primary. Anonymous browsers too.
- **Lagging.** A replica whose replay is more than `REPLICA_MAX_LAG_SECONDS` behind is skipped.
  The lag is measured on the replica (received but not replayed WAL: time since the last replayed
  commit; nothing pending: 0) and kept per process for `HEALTH_SECONDS`.
- **Down.** A replica that does not connect is skipped for `HEALTH_SECONDS`; one that fails during
  the view makes the view run again on the primary. Never an error page because of a replica.
"""

from __future__ import annotations

import contextvars
import functools
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

T = TypeVar("T")

DEFAULT = "default"
STICKY_COOKIE = "th_primary"
STICKY_SALT = "threehours.core.routers.sticky"
HEALTH_SECONDS = 1.0
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# The alias this context's reads go to; None: the primary.
_reads_from: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "threehours_reads_from", default=None
)
# alias -> (checked at, monotonic; usable)
_health: dict[str, tuple[float, bool]] = {}

_LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() IS NOT NULL
         AND pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 1e9)
END
"""


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica_")]


def reset_replica_health() -> None:
    """Forget what this process learnt about its replicas (tests, after starting one again)."""
    _health.clear()


def replica_lag_seconds(alias: str) -> float:
    """How far `alias` is behind the primary, in seconds; raises DatabaseError if it is down."""
    with connections[alias].cursor() as cursor:
        cursor.execute(_LAG_SQL)
        return float(cursor.fetchone()[0])


def _usable(alias: str) -> bool:
    now = time.monotonic()
    known = _health.get(alias)
    if known is not None and now - known[0] < HEALTH_SECONDS:
        return known[1]
    try:
        ok = replica_lag_seconds(alias) <= settings.REPLICA_MAX_LAG_SECONDS
    except DatabaseError:
        ok = False
        _close_quietly(alias)
    _health[alias] = (now, ok)
    return ok


def _answers(alias: str) -> bool:
    _close_quietly(alias)
    try:
        replica_lag_seconds(alias)
    except DatabaseError:
        return False
    return True


def _mark_down(alias: str) -> None:
    _health[alias] = (time.monotonic(), False)
    _close_quietly(alias)


def _close_quietly(alias: str) -> None:
    with suppress(DatabaseError):
        connections[alias].close()


def choose_replica() -> str | None:
    """A replica that answers and is not lagging (in random order), or None."""
    aliases = replica_aliases()
    random.shuffle(aliases)
    for alias in aliases:
        if _usable(alias):
            return alias
    return None


@contextmanager
def reads_from(alias: str | None) -> Iterator[None]:
    """Within the block, ORM reads go to `alias` (None: the primary)."""
    token = _reads_from.set(alias)
    try:
        yield
    finally:
        _reads_from.reset(token)


def read_connection():
    """The connection for a hand-built read (core.db statements bypass the router): the
    replica inside `reads_from`, else the primary."""
    return connections[_reads_from.get() or DEFAULT]


def recently_wrote(request: HttpRequest) -> bool:
    return (
        request.get_signed_cookie(
            STICKY_COOKIE,
            default=None,
            salt=STICKY_SALT,
            max_age=settings.REPLICA_STICKY_SECONDS,
        )
        is not None
    )


def on_replica(request: HttpRequest, answer: Callable[[], T]) -> T:
    """`answer()` with its reads on a replica when one is configured and usable and the browser
    has not just written; else on the primary. `answer` must not write: it may run twice (again
    on the primary when the replica fails midway)."""
    if request.method not in ("GET", "HEAD") or not replica_aliases() or recently_wrote(request):
        return answer()
    # The session and the user are the browser's own: read them from the primary first.
    user = getattr(request, "user", None)
    if user is not None:
        user.is_authenticated  # noqa: B018 — loads the lazy user now
    alias = choose_replica()
    if alias is None:
        return answer()
    try:
        with reads_from(alias):
            return answer()
    except DatabaseError:
        if _answers(alias):
            raise  # the replica is fine: the error is the view's own
        _mark_down(alias)
    return answer()


def replica_reads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A read-only view whose reads may come from a replica (see `on_replica`). For Django
    Ninja operations use `on_replica` in the body: Ninja reads the function's annotations."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return on_replica(request, lambda: view(request, *args, **kwargs))

    return wrapped


class ReplicaRouter:
    """Writes and migrations on the primary; reads where `reads_from` says (else the primary)."""

    def db_for_read(self, model, **hints) -> str:
        return _reads_from.get() or DEFAULT

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # replicas hold the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT


class ReadYourWritesMiddleware:
    """After a request that may have written and succeeded, the browser reads from the primary
    for REPLICA_STICKY_SECONDS (a signed cookie that carries its own time). Without replicas it
    does nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.method not in SAFE_METHODS
            and response.status_code < 400
            and settings.REPLICA_STICKY_SECONDS > 0
            and replica_aliases()
        ):
            response.set_signed_cookie(
                STICKY_COOKIE,
                "1",
                salt=STICKY_SALT,
                max_age=settings.REPLICA_STICKY_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
