from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


# 01:00 UTC is 09:00 in Asia/Shanghai: warnings arrive at the start of the working day.
@db_periodic_task(crontab(hour="1", minute="0"))
def certificate_expiry_check_task() -> None:
    services.certificate_expiry_check()
