"""Retention of check-in attempts (issue #16 §4, docs/privacy.md).

Every check-in and check-out attempt is logged (Attempt) with its position, accepted or
refused. What reads them: the wrong-code and identity budgets and the guessing alert (the same
day, or the last ten minutes) and the position evidence of accepted check-ins (hours export,
attendance board, integrity report — any past period). So after CHECKIN_ATTEMPT_RETENTION_DAYS
the job deletes every attempt except accepted check-ins, which are the check-in snapshot of the
attendance record and live as long as it does.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone

from threehours.core.retention import BATCH, delete_in_batches

from ..models import Attempt

logger = logging.getLogger(__name__)

ACCEPTED = "ok"


def checkin_attempts_purge(*, now: dt.datetime | None = None, batch: int = BATCH) -> int:
    """Delete the refused attempts and the check-out attempts older than
    CHECKIN_ATTEMPT_RETENTION_DAYS; accepted check-ins stay (position evidence). Idempotent;
    returns how many were deleted and logs it."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.CHECKIN_ATTEMPT_RETENTION_DAYS)
    old = Attempt.objects.filter(created_at__lt=cutoff).exclude(
        action=Attempt.Action.CHECKIN, result=ACCEPTED
    )
    deleted = delete_in_batches(old, batch=batch)
    logger.info(
        "retention: %s check-in attempts deleted, older than %s days (accepted check-ins kept)",
        deleted,
        settings.CHECKIN_ATTEMPT_RETENTION_DAYS,
    )
    return deleted
