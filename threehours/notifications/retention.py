"""Retention of sent SMS and e-mails (issue #16 §4, docs/privacy.md): a Delivery row holds the
recipient's address and the text; once sent or given up it is kept DELIVERY_RETENTION_DAYS for
support questions ("I never got the message"), then deleted by a nightly job."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone

from threehours.core.retention import BATCH, delete_in_batches

from .models import Delivery

logger = logging.getLogger(__name__)


def deliveries_purge(*, now: dt.datetime | None = None, batch: int = BATCH) -> int:
    """Delete sent and failed deliveries created more than DELIVERY_RETENTION_DAYS ago; those
    still waiting or sending are never touched. Idempotent; returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.DELIVERY_RETENTION_DAYS)
    done = (Delivery.Status.SENT, Delivery.Status.FAILED)
    deleted = delete_in_batches(
        Delivery.objects.filter(created_at__lt=cutoff, status__in=done), batch=batch
    )
    logger.info(
        "retention: %s deliveries deleted, older than %s days",
        deleted,
        settings.DELIVERY_RETENTION_DAYS,
    )
    return deleted
