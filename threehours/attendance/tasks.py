from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


# Every 15 minutes: after an activity day has ended, forgotten check-outs become pending
# credits (the first run after midnight); proposals past their expiry close.
@db_periodic_task(crontab(minute="*/15"))
def pending_credits_task() -> None:
    services.pending_credits_create_due()
    services.pending_credits_expire()


# Every night at 03:30: children's check-in photos past CHILD_PHOTO_RETENTION_DAYS are deleted
# (issue #14 §3); the rows stay with `deleted_at`.
@db_periodic_task(crontab(hour="3", minute="30"))
def child_photos_expire_task() -> None:
    services.child_photos_expire()


# Every night at 03:40: check-in attempts past CHECKIN_ATTEMPT_RETENTION_DAYS are deleted,
# accepted check-ins aside (issue #16 §4, docs/privacy.md).
@db_periodic_task(crontab(hour="3", minute="40"))
def checkin_attempts_purge_task() -> None:
    from .services.retention import checkin_attempts_purge

    checkin_attempts_purge()
