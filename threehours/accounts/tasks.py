from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(minute="*"))
def token_usage_flush_task() -> None:
    services.token_usage_flush()


# Every night at 03:10 and 03:20: SMS codes and dead API tokens past their retention period
# are deleted (issue #16 §4, docs/privacy.md).
@db_periodic_task(crontab(hour="3", minute="10"))
def sms_codes_purge_task() -> None:
    from .services.retention import sms_codes_purge

    sms_codes_purge()


@db_periodic_task(crontab(hour="3", minute="20"))
def api_tokens_purge_task() -> None:
    from .services.retention import api_tokens_purge

    api_tokens_purge()
