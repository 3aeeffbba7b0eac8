from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import export_services


# No retries: a second run would find the export no longer queued and do nothing.
@db_task()
def export_build_task(export_id: int) -> None:
    export_services.export_build(export_id=export_id)


# Every hour at :17: the operator statistics' roll-up of the current and the previous month
# (issue #16 §6); `manage.py stats_rollup --all` rebuilds every month.
@db_periodic_task(crontab(minute="17"))
def stats_rollup_task() -> None:
    import logging
    import time

    from . import stats

    started = time.monotonic()
    rows = stats.stats_rollup_recent()
    logging.getLogger(__name__).info(
        "stats roll-up: %s rows in %.1f s", rows, time.monotonic() - started
    )
