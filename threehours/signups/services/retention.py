"""Retention of staff export files (issue #16 §4, docs/privacy.md): a file built by the export
job is deleted EXPORT_FILE_RETENTION_DAYS after it was requested; the Export row stays as the
audit trail of who exported which personal data and when (its download then answers 404)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone

from threehours.core.retention import BATCH

from ..models import Export

logger = logging.getLogger(__name__)


def export_files_purge(*, now: dt.datetime | None = None, batch: int = BATCH) -> int:
    """Delete the files of exports requested more than EXPORT_FILE_RETENTION_DAYS ago, `batch`
    rows at a time. Each row is claimed by compare-and-set on its file name before the file
    goes, so two runs at once delete each file once. Returns how many files were deleted."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.EXPORT_FILE_RETENTION_DAYS)
    storage = Export._meta.get_field("file").storage
    deleted = missing = 0
    last_pk = 0
    while True:
        rows = list(
            Export.objects.filter(created_at__lt=cutoff, pk__gt=last_pk)
            .exclude(file="")
            .order_by("pk")
            .values_list("pk", "file")[:batch]
        )
        if not rows:
            break
        for pk, name in rows:
            last_pk = pk
            if not Export.objects.filter(pk=pk, file=name).update(file=""):
                continue  # another run claimed it
            if storage.exists(name):
                storage.delete(name)
            else:
                missing += 1
            deleted += 1
        if len(rows) < batch:
            break
    logger.info(
        "retention: %s export files deleted (%s already gone), older than %s days",
        deleted,
        missing,
        settings.EXPORT_FILE_RETENTION_DAYS,
    )
    return deleted
