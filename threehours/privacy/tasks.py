from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import services


@db_task(retries=2, retry_delay=60)
def data_export_build_task(export_id: int) -> None:
    services.data_export_build(export_id=export_id)


# Hourly: downloads past their DATA_EXPORT_TTL_DAYS lose their file.
@db_periodic_task(crontab(minute="7"))
def data_exports_expire_task() -> None:
    services.data_exports_expire()


# Every 10 minutes: accounts whose cooling-off is over are anonymised.
@db_periodic_task(crontab(minute="*/10"))
def closures_due_task() -> None:
    services.closures_due()
