"""Settings for threehours: the only module that reads the environment.

Every variable is documented in `.env.example` and in the README's configuration table.
Without `DATABASE_URL` the embedded default applies: a SQLite file under ./var/, no Redis,
and jobs queued in SQLite.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("THREEHOURS_VAR_DIR") or BASE_DIR / "var")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str) -> str | None:
    """A secret from `NAME`, or from the file named by `NAME_FILE` (Docker/systemd secrets)."""
    value = os.environ.get(name)
    if value:
        return value.strip()
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    return None


def _kept_secret(filename: str, make) -> str:
    """A secret generated once and kept under ./var/ (embedded, debug set-ups only)."""
    path = VAR_DIR / filename
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value)
    return value


def _demo_secret(filename: str) -> str | None:
    """The secret `threehours demo` kept beside its embedded database, if there is one.

    The demo database's ID numbers are encrypted with the demo's key, so whoever opens that
    database (`threehours manage …` without THREEHOURS_DEBUG) needs the same keys. Only for the
    embedded set-up: with DATABASE_URL a kept file never stands in for a missing secret."""
    path = VAR_DIR / filename
    if env_str("DATABASE_URL") or not path.exists():
        return None
    return path.read_text(encoding="utf-8").strip()


DEBUG = env_bool("THREEHOURS_DEBUG", False)

SECRET_KEY = env_secret("THREEHOURS_SECRET_KEY") or _demo_secret("secret_key") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "THREEHOURS_SECRET_KEY is required when THREEHOURS_DEBUG is off "
            "(`threehours demo` turns debug on and keeps a generated key in ./var/)."
        )
    SECRET_KEY = _kept_secret("secret_key", lambda: secrets.token_urlsafe(50))

# Fernet keys for personal data at rest (ID numbers). The first key encrypts; all keys decrypt, so
# a new key can be put in front and old rows re-encrypted at leisure.
FIELD_ENCRYPTION_KEYS = [
    key.strip()
    for key in (
        env_secret("THREEHOURS_FIELD_ENCRYPTION_KEYS") or _demo_secret("field_encryption_key") or ""
    ).split(",")
    if key.strip()
]
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "THREEHOURS_FIELD_ENCRYPTION_KEYS is required when THREEHOURS_DEBUG is off; make one "
            "with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )
    FIELD_ENCRYPTION_KEYS = [
        _kept_secret("field_encryption_key", lambda: Fernet.generate_key().decode())
    ]
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "THREEHOURS_FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key"
        ) from exc

ALLOWED_HOSTS = env_list(
    "THREEHOURS_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
CSRF_TRUSTED_ORIGINS = env_list("THREEHOURS_CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("THREEHOURS_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "huey.contrib.djhuey",
    "ninja",
    "threehours.core",
    "threehours.accounts",
    "threehours.notifications",
    "threehours.family",
    "threehours.orgs",
    "threehours.activities",
    "threehours.signups",
    "threehours.attendance",
    "threehours.hours",
    "threehours.ratings",
    "threehours.rewards",
    "threehours.reporting",
    "threehours.privacy",
    "threehours.api",
    "threehours.platform_admin",
    "threehours.console",
]

MIDDLEWARE = [
    "threehours.core.observe.RequestMiddleware",  # request id, metrics, access log (issue #17)
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "threehours.api.middleware.ApiErrorMiddleware",  # JSON 404/405 under /api/
    "threehours.core.middleware.NullCharacterMiddleware",  # a NUL in a query or a form: 400
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "threehours.accounts.language.UserLanguageMiddleware",  # a logged-in user's own language
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "threehours.core.middleware.PageCSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
]
# Read-your-writes for read replicas: marks a browser that just wrote (core/routers.py).
MIDDLEWARE += ["threehours.core.routers.ReadYourWritesMiddleware"]
# Requests under /api/ (bearer tokens, JSON answers) pass only these (core/handlers.py).
API_MIDDLEWARE = [
    "threehours.core.observe.RequestMiddleware",  # request id, metrics, access log (issue #17)
    "django.middleware.security.SecurityMiddleware",  # HTTPS redirect, HSTS, nosniff
    "threehours.api.cors.ApiCorsMiddleware",  # CORS_ORIGINS; not loaded when the list is empty
    "django.middleware.locale.LocaleMiddleware",  # Accept-Language: en gives English messages
    "threehours.api.middleware.ApiErrorMiddleware",  # JSON 404 and 405
]
# The public verification pages /verify/… (anyone, logged out, no cookie set; core/handlers.py)
# pass only these: every response header of the full stack but the session's and CSRF's.
PUBLIC_PAGE_MIDDLEWARE = [
    "threehours.core.observe.RequestMiddleware",  # request id, metrics, access log (issue #17)
    "django.middleware.security.SecurityMiddleware",  # HTTPS redirect, HSTS, nosniff, referrer
    "threehours.hours.verify_cache.VerifyPageCacheMiddleware",  # rendered pages, ≤ 60 s
    "django.middleware.locale.LocaleMiddleware",  # the language cookie or Accept-Language
    "threehours.core.middleware.NullCharacterMiddleware",  # a NUL in the query: 400
    "django.middleware.common.CommonMiddleware",  # Content-Length
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "threehours.core.middleware.PageCSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "threehours" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    }
]

# --- Database ---------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {exc}") from exc
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, probing a kept connection only after it sat idle (core/postgresql).
        DATABASES["default"]["ENGINE"] = "threehours.core.postgresql"
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "threehours.sqlite3",
            "OPTIONS": {
                # The write lock is taken at BEGIN, so check-then-write services queue on SQLite
                # the way select_for_update() makes them queue on PostgreSQL (docs/style.md §4).
                "transaction_mode": "IMMEDIATE",
                "timeout": 5,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

# --- Read replicas (docs/operations.md "Read replicas") ------------------------------------------
# DATABASE_REPLICA_URLS: comma-separated streaming replicas of DATABASE_URL, as aliases replica_0,
# replica_1, … with the primary's options. Only views that opt in (core/routers.py) read from them;
# writes, migrations and every other read stay on the primary.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS")
if DATABASE_REPLICA_URLS and not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs DATABASE_URL (the primary)")
for _index, _url in enumerate(DATABASE_REPLICA_URLS):
    try:
        _replica = dj_database_url.parse(_url, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"])
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URLS cannot be read: {exc}") from exc
    _replica["ENGINE"] = DATABASES["default"]["ENGINE"]
    _replica["CONN_HEALTH_CHECKS"] = DATABASES["default"].get("CONN_HEALTH_CHECKS", False)
    # A replica that does not answer is skipped, so it must not hold a request for long.
    _replica["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), "connect_timeout": 2}
    # Tests read the primary's test database through the replica (it streams the whole cluster)
    # and never create, flush or migrate one on it.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{_index}"] = _replica
DATABASE_ROUTERS = ["threehours.core.routers.ReplicaRouter"]
# After a request that wrote, that browser reads from the primary for this long (read-your-writes).
REPLICA_STICKY_SECONDS = env_int("REPLICA_STICKY_SECONDS", 5, minimum=0)
# A replica further behind than this (seconds of replay) is skipped until it catches up.
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 3, minimum=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, rate limits, jobs ----------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "threehours.core.cache.RedisCache",  # Django's, one client per pool
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "threehours",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions: read from Redis, written to both (a page request reads its session from Redis
# instead of the database). Without Redis only the database: a per-process cache would keep a
# session alive in the other workers after its logout.
SESSION_ENGINE = "django.contrib.sessions.backends." + ("cached_db" if REDIS_URL else "db")
# The user behind a session is read by one prepared statement (threehours.accounts.backends).
AUTHENTICATION_BACKENDS = ["threehours.accounts.backends.AccountBackend"]

HUEY_IMMEDIATE = env_bool("THREEHOURS_JOBS_IMMEDIATE", False)
if REDIS_URL:
    HUEY = {
        # Periodic tasks run once per schedule slot however many workers run (issue #17).
        "huey_class": "threehours.core.jobs.OncePerSlotRedisHuey",
        "name": "threehours",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {
            "workers": env_int("THREEHOURS_WORKER_THREADS", 4, minimum=1),
            "worker_type": "thread",
        },
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "threehours",
        "filename": str(VAR_DIR / "jobs.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {
            "workers": env_int("THREEHOURS_WORKER_THREADS", 2, minimum=1),
            "worker_type": "thread",
        },
    }

# --- Auth ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:me"


# Phone login (docs/api.md "Accounts"). Test phones accept a fixed code and never send an SMS.
def _parse_test_phones(raw: list[str]) -> dict[str, str]:
    phones: dict[str, str] = {}
    for item in raw:
        phone, sep, code = item.partition(":")
        if (
            not sep
            or not phone.isdigit()
            or len(phone) != 11
            or not (code.isdigit() and len(code) == 6)
        ):
            raise ImproperlyConfigured(
                f"THREEHOURS_TEST_PHONES entries look like 13800000001:123456, not {item!r}"
            )
        phones[phone] = code
    return phones


TEST_PHONES = _parse_test_phones(env_list("THREEHOURS_TEST_PHONES"))
SMS_CODE_TTL_SECONDS = env_int("THREEHOURS_SMS_CODE_TTL_SECONDS", 300, minimum=30)
SMS_CODE_MAX_WRONG = env_int("THREEHOURS_SMS_CODE_MAX_WRONG", 5, minimum=1)
SMS_RESEND_SECONDS = env_int("THREEHOURS_SMS_RESEND_SECONDS", 60, minimum=1)
SMS_DAILY_CAP_PER_PHONE = env_int("THREEHOURS_SMS_DAILY_CAP_PER_PHONE", 10, minimum=1)
SMS_DAILY_CAP_PER_IP = env_int("THREEHOURS_SMS_DAILY_CAP_PER_IP", 50, minimum=1)
LOGIN_MAX_FAILURES = env_int("THREEHOURS_LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("THREEHOURS_LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
EMAIL_VERIFY_MAX_AGE_SECONDS = 3 * 24 * 3600

# Attendance (docs/product.md §4): the on-site QR token's lifetime, wrong 4-digit codes allowed per
# volunteer and activity-day, the identity provider (dotted path or "none"), and how long a
# pending credit after a forgotten check-out waits for confirmation.
CHECKIN_QR_SECONDS = env_int("THREEHOURS_CHECKIN_QR_SECONDS", 30, minimum=10)
CHECKIN_CODE_MAX_WRONG = env_int("THREEHOURS_CHECKIN_CODE_MAX_WRONG", 5, minimum=1)
CHECKIN_GUESS_ALERT = env_int("THREEHOURS_CHECKIN_GUESS_ALERT", 20, minimum=2)
IDENTITY_PROVIDER = env_str("THREEHOURS_IDENTITY_PROVIDER") or "none"
PENDING_CREDIT_DAYS = env_int("THREEHOURS_PENDING_CREDIT_DAYS", 7, minimum=1)
# Integrity (issue #12): wrong codes on one activity-day, across all volunteers, after which the
# day's code rotates (docs/decisions/0009 says why 30); a reported accuracy at or below this many
# metres is flagged as too good to be a phone's; a correction that raises a day's credit by more
# than this many hours over what was measured, or is for a day more than this many days back,
# waits for a second staff member.
CHECKIN_CODE_ROTATE_AFTER = env_int("THREEHOURS_CHECKIN_CODE_ROTATE_AFTER", 30, minimum=2)
CHECKIN_ACCURACY_SUSPECT_M = env_int("THREEHOURS_CHECKIN_ACCURACY_SUSPECT_M", 2, minimum=0)
CORRECTION_APPROVAL_HOURS = env_int("THREEHOURS_CORRECTION_APPROVAL_HOURS", 2, minimum=0)
# Photos taken when guardians check children in are deleted this many days after (issue #14).
CHILD_PHOTO_RETENTION_DAYS = env_int("THREEHOURS_CHILD_PHOTO_RETENTION_DAYS", 90, minimum=1)
CORRECTION_APPROVAL_DAYS = env_int("THREEHOURS_CORRECTION_APPROVAL_DAYS", 7, minimum=0)
API_TOKEN_TTL_DAYS = env_int("THREEHOURS_API_TOKEN_TTL_DAYS", 30, minimum=1)
# Issue #16: a person's data download (ZIP of JSON + PDF summary) is kept this many days, then
# deleted by a job; at most this many may be asked for per person and day. A requested account
# closure (注销) takes effect after this many days of cooling-off (cancellable until then).
DATA_EXPORT_TTL_DAYS = env_int("THREEHOURS_DATA_EXPORT_TTL_DAYS", 7, minimum=1)
DATA_EXPORT_DAILY_LIMIT = env_int("THREEHOURS_DATA_EXPORT_DAILY_LIMIT", 3, minimum=1)
CLOSURE_COOLING_OFF_DAYS = env_int("THREEHOURS_CLOSURE_COOLING_OFF_DAYS", 7, minimum=0)
# Retention (issue #16 §4, docs/privacy.md): the nightly jobs delete what is older than this.
SMS_CODE_RETENTION_DAYS = env_int("THREEHOURS_SMS_CODE_RETENTION_DAYS", 30, minimum=2)
CHECKIN_ATTEMPT_RETENTION_DAYS = env_int("THREEHOURS_CHECKIN_ATTEMPT_RETENTION_DAYS", 90, minimum=2)
API_TOKEN_RETENTION_DAYS = env_int("THREEHOURS_API_TOKEN_RETENTION_DAYS", 30, minimum=1)
EXPORT_FILE_RETENTION_DAYS = env_int("THREEHOURS_EXPORT_FILE_RETENTION_DAYS", 7, minimum=1)
DELIVERY_RETENTION_DAYS = env_int("THREEHOURS_DELIVERY_RETENTION_DAYS", 90, minimum=1)
# Masking (issue #16 §5): how many phone numbers one staff member may reveal in an hour.
PHONE_REVEALS_PER_HOUR = env_int("THREEHOURS_PHONE_REVEALS_PER_HOUR", 30, minimum=1)

# django-ratelimit: blocked requests become 429 through this view; counters live in the cache,
# which must be Redis when several processes serve (README, "Production").
RATELIMIT_VIEW = "threehours.core.views.rate_limited_view"
RATELIMIT_IP_META_KEY = env_str("THREEHOURS_CLIENT_IP_HEADER") or None
if RATELIMIT_IP_META_KEY is None:
    del RATELIMIT_IP_META_KEY
# Public certificate verification (/verify/<serial> and its API), per IP. Raised only by the
# verification benchmark (bench/verification.py), whose 100 clients share one address.
VERIFY_RATE = env_str("THREEHOURS_VERIFY_RATE") or "60/m"
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"] if not REDIS_URL else []

# --- Notifications ---------------------------------------------------------------------------
SMS_BACKEND = env_str("THREEHOURS_SMS_BACKEND", "console")
EMAIL_CHANNEL_BACKEND = env_str("THREEHOURS_EMAIL_BACKEND", "console")
OUTBOX_DIR = Path(env_str("THREEHOURS_OUTBOX_DIR") or VAR_DIR / "outbox")
_EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "memory": "django.core.mail.backends.locmem.EmailBackend",
}
if EMAIL_CHANNEL_BACKEND not in _EMAIL_BACKENDS:
    raise ImproperlyConfigured(
        f"THREEHOURS_EMAIL_BACKEND must be one of {sorted(_EMAIL_BACKENDS)}, "
        f"not {EMAIL_CHANNEL_BACKEND!r}"
    )
EMAIL_BACKEND = _EMAIL_BACKENDS[EMAIL_CHANNEL_BACKEND]
EMAIL_FILE_PATH = OUTBOX_DIR / "email"
DEFAULT_FROM_EMAIL = env_str("THREEHOURS_EMAIL_FROM", "threehours <noreply@threehours.local>")
if EMAIL_CHANNEL_BACKEND == "smtp":
    EMAIL_HOST = env_str("THREEHOURS_SMTP_HOST")
    if not EMAIL_HOST:
        raise ImproperlyConfigured("THREEHOURS_SMTP_HOST is required with the smtp e-mail backend")
    EMAIL_PORT = env_int("THREEHOURS_SMTP_PORT", 465)
    EMAIL_HOST_USER = env_str("THREEHOURS_SMTP_USER")
    EMAIL_HOST_PASSWORD = env_secret("THREEHOURS_SMTP_PASSWORD") or ""
    EMAIL_USE_SSL = EMAIL_PORT == 465
    EMAIL_USE_TLS = not EMAIL_USE_SSL
# Settings of the real SMS provider (Aliyun-compatible HTTP API); read only when selected.
SMS_PROVIDER_ACCESS_KEY_ID = env_secret("THREEHOURS_SMS_ACCESS_KEY_ID")
SMS_PROVIDER_ACCESS_KEY_SECRET = env_secret("THREEHOURS_SMS_ACCESS_KEY_SECRET")
SMS_PROVIDER_SIGN_NAME = env_str("THREEHOURS_SMS_SIGN_NAME")
SMS_PROVIDER_TEMPLATE_CODE = env_str("THREEHOURS_SMS_TEMPLATE_CODE")
NOTIFY_MAX_RETRIES = env_int("THREEHOURS_NOTIFY_MAX_RETRIES", 5, minimum=0)
NOTIFY_RETRY_DELAY_SECONDS = env_int("THREEHOURS_NOTIFY_RETRY_DELAY_SECONDS", 60, minimum=1)

# --- i18n and time ---------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
# Each language is named in itself, so a reader can always find their own.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "threehours" / "locale"]
# Date formats per language (DATE_FORMAT, MONTH_DAY_FORMAT…): core/formats/<locale>/formats.py.
FORMAT_MODULE_PATH = ["threehours.core.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "threehours" / "static"]
STATIC_ROOT = Path(env_str("THREEHOURS_STATIC_ROOT") or VAR_DIR / "static")
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("THREEHOURS_MEDIA_ROOT") or VAR_DIR / "media")
# Qualification scans and other private files: never under MEDIA_URL, served only through
# views that check who is asking.
PRIVATE_MEDIA_ROOT = Path(env_str("THREEHOURS_PRIVATE_MEDIA_ROOT") or VAR_DIR / "private")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "threehours.core.storage.PrivateFileStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT)},
    },
    "staticfiles": {
        # Hashed names need `collectstatic` first (`threehours serve` runs it).
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("THREEHOURS_STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# TrueType CJK fonts for PDFs, first found wins (reportlab cannot embed Noto CJK's CFF outlines).
CJK_FONT_PATHS = env_list(
    "THREEHOURS_CJK_FONT",
    [
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/truetype/arphic/uming.ttc",
    ],
)

# --- Security --------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("THREEHOURS_SSL_REDIRECT", True)
    # Behind the proxy of deploy/nginx (which always overwrites X-Forwarded-Proto) the header says
    # whether the client used https. Turn it off when the nodes can be reached without that
    # proxy: a client could then claim https itself.
    if env_bool("THREEHOURS_TRUST_X_FORWARDED_PROTO", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("THREEHOURS_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = env_int("THREEHOURS_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preload lists are hard to leave: opt in (issue #17 §6).
    SECURE_HSTS_PRELOAD = env_bool("THREEHOURS_HSTS_PRELOAD", False)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- `threehours serve` ----------------------------------------------------------------------
# granian (HTTP in Rust) by default; gunicorn (gthread) as the pure-Python alternative.
SERVE_SERVER = env_str("THREEHOURS_WEB_SERVER", "granian")
if SERVE_SERVER not in {"granian", "gunicorn"}:
    raise ImproperlyConfigured("THREEHOURS_WEB_SERVER must be granian or gunicorn")
SERVE_WORKERS = env_int("THREEHOURS_WEB_WORKERS", 2, minimum=1)
# Python threads per worker. Two: one runs while the other waits for the database; more only
# queue on the interpreter lock (a burst's p99 doubled with 8, bench/README.md).
SERVE_THREADS = env_int("THREEHOURS_WEB_THREADS", 2, minimum=1)
SERVE_BIND = env_str("THREEHOURS_BIND", "127.0.0.1:8000")
# gunicorn only:
SERVE_WORKER_CLASS = env_str("THREEHOURS_WEB_WORKER_CLASS", "gthread")
# Each worker its own listening socket (SO_REUSEPORT): the kernel spreads new connections over
# the workers. With one shared socket, a burst's keep-alive connections often piled onto one
# worker and left a core idle (bench/README.md).
SERVE_REUSE_PORT = env_bool("THREEHOURS_WEB_REUSE_PORT", True)

# --- Logging ---------------------------------------------------------------------------------
LOG_FORMAT = env_str("THREEHOURS_LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("THREEHOURS_LOG_FORMAT must be text or json")
LOG_LEVEL = env_str("THREEHOURS_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "access_json": {"()": "threehours.core.observe.AccessJsonFormatter"},
    },
    # Every line carries the id of the request (or job) it belongs to (core/observe.py).
    "filters": {"request_id": {"()": "threehours.core.observe.RequestIdFilter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        },
        # The access log (one line per request): a cheaper JSON formatter of its own.
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "access_json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        # Giving huey a handler here stops run_huey from adding a second one of its own.
        "huey": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        # 4xx answers (full, closed, wrong code) are the API working as designed; a log line for
        # each costs a registration rush dearly. Server errors are still logged.
        "django.request": {"level": "ERROR"},
        "threehours.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}

# --- Observability (issue #17 §6; docs/operations.md "Watching") ------------------------------
# One JSON line per request on the logger `threehours.access` (core/observe.py). Off unless
# asked for: behind deploy/nginx the proxy writes the JSON access log (with the request id and
# the node), and the app's own line cost the check-in burst 10–15 % of its throughput
# (bench/checkin_burst.py, 1,418/1,447 vs 1,210/1,239 check-ins/s). Turn it on when no proxy
# logs for you.
ACCESS_LOG = env_bool("THREEHOURS_ACCESS_LOG", False)
# The client's address in the access log: the header the rate limits key on
# (THREEHOURS_CLIENT_IP_HEADER, e.g. HTTP_X_REAL_IP; its last address), else REMOTE_ADDR.
CLIENT_IP_HEADER = env_str("THREEHOURS_CLIENT_IP_HEADER")
# Prometheus: `/metrics` answers only `Authorization: Bearer <token>`; 404 when unset.
METRICS_TOKEN = env_secret("THREEHOURS_METRICS_TOKEN") or ""
METRICS_ENABLED = env_bool("THREEHOURS_METRICS", bool(METRICS_TOKEN))
# Prometheus scrapes each web node directly, over plain HTTP on the private network: no
# redirect to https for /metrics (the token is still required).
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]
# Several processes (web workers, the job worker) write their counts here; `/metrics` sums
# them. `threehours serve` empties it at start (core.metrics.metrics_dir_clean).
METRICS_DIR = env_str("THREEHOURS_METRICS_DIR") or env_str("PROMETHEUS_MULTIPROC_DIR")
if METRICS_ENABLED and not METRICS_DIR and not DEBUG:
    METRICS_DIR = str(VAR_DIR / "metrics")
if METRICS_ENABLED and METRICS_DIR:
    Path(METRICS_DIR).mkdir(parents=True, exist_ok=True)
    # prometheus-client reads it when first imported (after settings).
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = METRICS_DIR
elif not METRICS_ENABLED:
    METRICS_DIR = ""

# Sentry: only with a DSN. No personal data is sent (core/sentry.py).
SENTRY_DSN = env_secret("SENTRY_DSN") or ""
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
try:
    SENTRY_TRACES_SAMPLE_RATE = float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0") or 0)
except ValueError as exc:
    raise ImproperlyConfigured("SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1") from exc
if not 0 <= SENTRY_TRACES_SAMPLE_RATE <= 1:
    raise ImproperlyConfigured("SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1")
if SENTRY_DSN:
    from threehours.core.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

# The deploy check warns when preload is off (security.W021): off is the chosen default.
if not DEBUG and not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]

# CORS for the JSON API (api/cors.py): origins allowed to call /api/v1/ from a browser, e.g.
# "https://app.example.org". Empty: same-origin only (no CORS header is ever sent).
CORS_ORIGINS = env_list("THREEHOURS_CORS_ORIGINS")
CORS_ALLOW_CREDENTIALS = env_bool("THREEHOURS_CORS_ALLOW_CREDENTIALS", False)
CORS_MAX_AGE = env_int("THREEHOURS_CORS_MAX_AGE", 600, minimum=0)
