"""The retention jobs (issue #16 §4, docs/privacy.md), each in the app that owns its rows and
scheduled there by a nightly huey task; this list lets `manage.py retention_run` run them all
once. Each job is a service `(*, now=None, batch=…) -> int`: idempotent, batched, logging its
count and returning it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils.module_loading import import_string

# (name, dotted path of the service); add a line when an app gains a retention job.
JOBS: tuple[tuple[str, str], ...] = (
    ("sms_codes", "threehours.accounts.services.retention.sms_codes_purge"),
    ("api_tokens", "threehours.accounts.services.retention.api_tokens_purge"),
    ("checkin_attempts", "threehours.attendance.services.retention.checkin_attempts_purge"),
    ("export_files", "threehours.signups.services.retention.export_files_purge"),
    ("child_photos", "threehours.attendance.services.child_photos_expire"),
    ("deliveries", "threehours.notifications.retention.deliveries_purge"),
    ("data_downloads", "threehours.privacy.services.data_exports_expire"),
)


def retention_jobs() -> list[tuple[str, Callable[..., int]]]:
    return [(name, import_string(path)) for name, path in JOBS]


def retention_run(*, now: dt.datetime | None = None, batch: int | None = None) -> dict[str, int]:
    """Run every retention job once; {job name: rows or files deleted}."""
    extra = {"batch": batch} if batch else {}
    return {name: job(now=now, **extra) for name, job in retention_jobs()}
