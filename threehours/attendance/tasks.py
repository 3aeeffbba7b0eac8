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
