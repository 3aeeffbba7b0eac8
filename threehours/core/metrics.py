"""Prometheus metrics (issue #17 §6), exposed at `/metrics` behind a bearer token.

`threehours serve` runs several worker processes, and the worker another: each writes its
counts into files under `METRICS_DIR` (prometheus-client's multiprocess mode; settings.py sets
PROMETHEUS_MULTIPROC_DIR before this module is imported) and `/metrics` sums them. The directory
must be emptied when the server starts (`metrics_dir_clean`, called by `threehours serve`), or
the counts of the processes of a previous run would be added in.

Labels are bounded: the route is the URL pattern (never the path), the method one of seven,
the task a job's name. No label holds a user, an activity or a query.
"""

from __future__ import annotations

import hmac
import logging
import shutil
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

from .observe import request_id

REQUESTS = Counter(
    "threehours_http_requests",
    "HTTP requests answered, by route pattern, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "threehours_http_request_duration_seconds",
    "Time to answer a request (inside Django), by route pattern.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CHECKINS = Counter("threehours_checkins", "Check-ins recorded (volunteers, all methods).")
REGISTRATIONS = Counter("threehours_registrations", "Registrations made (any state).")
JOB_FAILURES = Counter("threehours_job_failures", "Jobs that raised, by task.", ["task"])


def metrics_dir_clean(directory: str | Path | None = None) -> None:
    """Empty the multiprocess directory (before the server's workers start)."""
    directory = Path(directory or settings.METRICS_DIR or "")
    if not str(directory) or str(directory) == ".":
        return
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)


def checkin_counted(count: int = 1) -> None:
    """After a check-in is committed (attendance services)."""
    if settings.METRICS_ENABLED:
        CHECKINS.inc(count)


def registration_counted() -> None:
    """After a registration is committed (signups services)."""
    if settings.METRICS_ENABLED:
        REGISTRATIONS.inc()


def job_failed(signal, task, exc=None) -> None:
    """huey's SIGNAL_ERROR handler (core/apps.py)."""
    if settings.METRICS_ENABLED:
        JOB_FAILURES.labels(getattr(task, "name", "unknown")).inc()


_jobs_logger = logging.getLogger("threehours.jobs")


def job_enqueued(signal, task, exc=None) -> None:
    """huey's SIGNAL_ENQUEUED handler: a job queued while serving a request is logged with that
    request's id and the job's id, which the worker's own lines name ("Executing …: <id>")."""
    if request_id() != "-":
        _jobs_logger.info("job queued: %s %s", getattr(task, "name", "?"), getattr(task, "id", "?"))


class QueueCollector:
    """The job queue's depth, read from huey's storage at each scrape."""

    def collect(self):
        from huey.contrib.djhuey import HUEY

        pending = GaugeMetricFamily("threehours_jobs_pending", "Jobs queued, not yet started.")
        scheduled = GaugeMetricFamily(
            "threehours_jobs_scheduled", "Jobs scheduled for later (retries, ETAs)."
        )
        try:
            pending.add_metric([], HUEY.pending_count())
            scheduled.add_metric([], HUEY.scheduled_count())
        except Exception:  # the queue unreachable: the scrape still answers the rest
            return
        yield pending
        yield scheduled


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if settings.METRICS_DIR:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in list(REGISTRY._collector_to_names):
            registry.register(collector)
    registry.register(QueueCollector())
    return registry


def metrics_view(request: HttpRequest) -> HttpResponse:
    """`GET /metrics` with `Authorization: Bearer <THREEHOURS_METRICS_TOKEN>`; 404 when no token
    is configured or the token is wrong (the endpoint does not reveal itself)."""
    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        raise Http404
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
