"""Retention of accounts' technical rows (issue #16 §4, docs/privacy.md): SMS codes and API
tokens past their period are deleted by nightly jobs (accounts/tasks.py), in batches."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from threehours.core.retention import BATCH, delete_in_batches

from ..models import ApiToken, SmsCode

logger = logging.getLogger(__name__)


def sms_codes_purge(*, now: dt.datetime | None = None, batch: int = BATCH) -> int:
    """Delete SMS codes created more than SMS_CODE_RETENTION_DAYS ago (used or not: the codes
    themselves are only HMACs; the rows serve the daily sending caps, which look at one day,
    and abuse checks). Idempotent; returns how many were deleted and logs it."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.SMS_CODE_RETENTION_DAYS)
    deleted = delete_in_batches(SmsCode.objects.filter(created_at__lt=cutoff), batch=batch)
    logger.info(
        "retention: %s SMS codes deleted, older than %s days",
        deleted,
        settings.SMS_CODE_RETENTION_DAYS,
    )
    return deleted


def api_tokens_purge(*, now: dt.datetime | None = None, batch: int = BATCH) -> int:
    """Delete API tokens that expired or were revoked more than API_TOKEN_RETENTION_DAYS ago
    (a dead token authenticates nobody; the grace period keeps it for questions about recent
    use). Live tokens are never touched. Idempotent; returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.API_TOKEN_RETENTION_DAYS)
    deleted = delete_in_batches(
        ApiToken.objects.filter(Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff)),
        batch=batch,
    )
    logger.info(
        "retention: %s API tokens deleted, expired or revoked more than %s days ago",
        deleted,
        settings.API_TOKEN_RETENTION_DAYS,
    )
    return deleted
