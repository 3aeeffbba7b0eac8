"""Loaded with `-p` by pytest before Django reads its settings: gives the test run safe,
self-contained defaults (keys, a temporary var/ folder, jobs run inline, in-memory SMS and
e-mail) without a `.env`, and compiles the translations. Any variable already set wins."""

from __future__ import annotations

import os
import tempfile

_VAR = tempfile.mkdtemp(prefix="threehours-test-var-")
os.makedirs(os.path.join(_VAR, "static"), exist_ok=True)  # whitenoise warns when it is missing

for name, value in {
    "THREEHOURS_SECRET_KEY": "test-only-secret-key-never-use-in-production-0123456789",
    # A fixed Fernet key so test runs are reproducible; production reads its own.
    "THREEHOURS_FIELD_ENCRYPTION_KEYS": "6NbWN6ZZhEGGgnxuY7pxBVfqk0WxNdAZTo4gr2Up3Ng=",
    "THREEHOURS_VAR_DIR": _VAR,
    "THREEHOURS_JOBS_IMMEDIATE": "true",
    "THREEHOURS_SMS_BACKEND": "memory",
    "THREEHOURS_EMAIL_BACKEND": "memory",
    "THREEHOURS_SSL_REDIRECT": "false",
    "THREEHOURS_SECURE_COOKIES": "false",
    "THREEHOURS_LOG_FORMAT": "text",
    "THREEHOURS_ACCESS_LOG": "false",  # tests assert on their own log lines (issue #17)
    "THREEHOURS_STATIC_MANIFEST": "false",
    # Playwright's sync API runs an event loop in the test thread; the ORM calls beside it are
    # ordinary synchronous calls (NOTES.md).
    "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
}.items():
    os.environ.setdefault(name, value)

from threehours.core.i18n import compile_messages  # noqa: E402

compile_messages()
