from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import services


@db_task(
    retries=settings.NOTIFY_MAX_RETRIES,
    retry_delay=settings.NOTIFY_RETRY_DELAY_SECONDS,
    context=True,
)
def delivery_send_task(delivery_id: int, task=None) -> None:
    services.delivery_attempt(delivery_id=delivery_id, final=task is None or task.retries == 0)


@db_periodic_task(crontab(minute="*/10"))
def delivery_requeue_stale_task() -> None:
    for delivery_id in services.delivery_requeue_stale():
        delivery_send_task(delivery_id)


# Every night at 03:05: sent and failed SMS/e-mails past DELIVERY_RETENTION_DAYS are deleted
# (issue #16 §4, docs/privacy.md).
@db_periodic_task(crontab(hour="3", minute="5"))
def deliveries_purge_task() -> None:
    from .retention import deliveries_purge

    deliveries_purge()
