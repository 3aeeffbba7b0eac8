from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import services


@db_task(retries=3, retry_delay=60)
def activity_registrants_notify_task(
    activity_id: int, event: str, changes: dict | str | None = None
) -> None:
    services.activity_registrants_notify(activity_id=activity_id, event=event, changes=changes)


# Every 15 minutes: from 18:00 local time on, reminders for tomorrow go out, and from 08:00
# until noon the same-morning reminders for today's afternoon activities; registrations made
# later are reminded at the next run.
@db_periodic_task(crontab(minute="*/15"))
def reminders_send_due_task() -> None:
    services.reminders_send_due()


# Every night at 03:50: export files past EXPORT_FILE_RETENTION_DAYS are deleted; the rows stay
# as the audit trail (issue #16 §4, docs/privacy.md).
@db_periodic_task(crontab(hour="3", minute="50"))
def export_files_purge_task() -> None:
    from .services.retention import export_files_purge

    export_files_purge()
