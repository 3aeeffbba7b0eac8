from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "threehours.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Failed jobs are counted for /metrics (core/metrics.py).
        from huey.contrib.djhuey import HUEY
        from huey.signals import SIGNAL_ENQUEUED, SIGNAL_ERROR

        from .metrics import job_enqueued, job_failed

        HUEY.signal(SIGNAL_ERROR)(job_failed)
        # A job queued during a request: a log line with both ids (core/metrics.py).
        HUEY.signal(SIGNAL_ENQUEUED)(job_enqueued)
