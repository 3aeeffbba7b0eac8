"""Request ids, the JSON access log and the request metrics (issue #17 §6).

`RequestMiddleware` is the first middleware of every stack (pages, the API, the public
verification pages: config/settings.py). For each request it

- takes the proxy's `X-Request-ID` when it is a sane token (1–128 letters, digits, `.`, `_`,
  `-`, `:`), else makes one (32 hex digits), keeps it in a context variable that
  `RequestIdFilter` copies onto every log record, and answers it in the `X-Request-ID` header;
- counts the request and its latency by route pattern (never the raw path: the labels stay
  bounded) and status (core/metrics.py), when metrics are on;
- writes one access-log line (logger `threehours.access`) when `ACCESS_LOG` is on: method, path
  (never the query string, which may carry codes or tokens), route, status, duration, bytes,
  request id, user id, client address.

Jobs queued during a request log the id of that request (`request_id_for_job`, core/apps.py).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from time import perf_counter

from django.conf import settings
from django.utils.functional import empty

_request_id: ContextVar[str] = ContextVar("threehours_request_id", default="-")
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")
_METHODS = frozenset(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])

access_logger = logging.getLogger("threehours.access")


def request_id() -> str:
    """The id of the request being served in this thread, or "-" outside a request."""
    return _request_id.get()


def request_id_set(value: str):
    """Make `value` the current id (a job running for a request); returns the reset token."""
    return _request_id.set(value)


def request_id_reset(token) -> None:
    _request_id.reset(token)


def request_id_from(header: str | None) -> str:
    """The proxy's id when it is a sane token, else a new one."""
    if header and _SANE_ID.match(header):
        return header
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (a handler's filter in LOGGING)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


def route_of(request) -> str:
    """The URL pattern that served the request ("api/v1/activities/<int:activity_id>"), or
    "static" (whitenoise), "unmatched" (404 before any view, 400 of a middleware): bounded."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        # Files answered by whitenoise before any URL is resolved.
        return "static" if request.path.startswith(settings.STATIC_URL) else "unmatched"
    return match.route or match.view_name or "unmatched"


def _user_id(request) -> int | None:
    """The user's id when the request already knows it; never loads a session for the log."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)  # SimpleLazyObject of AuthenticationMiddleware
    if wrapped is empty:
        return None
    return getattr(wrapped, "pk", None)


def _client_addr(request) -> str:
    header = settings.CLIENT_IP_HEADER
    if header:
        value = request.META.get(header, "")
        if value:
            # X-Forwarded-For: "client, proxy1, …": the address our proxy appended is last.
            return value.rsplit(",", 1)[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _body_bytes(response) -> int | None:
    if response.streaming:
        length = response.get("Content-Length")
        return int(length) if length and length.isdigit() else None
    return len(response.content)


class RequestMiddleware:
    """Request id, metrics and the access log: first in every middleware stack."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.access_log = settings.ACCESS_LOG
        self.metrics = settings.METRICS_ENABLED
        if self.metrics:
            from . import metrics

            self.requests = metrics.REQUESTS
            self.latency = metrics.LATENCY

    def __call__(self, request):
        rid = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = rid
        token = _request_id.set(rid)
        start = perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            if self.metrics or self.access_log:
                self._record(request, response, perf_counter() - start)
        finally:
            _request_id.reset(token)
        return response

    def _record(self, request, response, seconds: float) -> None:
        route = route_of(request)
        method = request.method if request.method in _METHODS else "other"
        status = response.status_code
        if self.metrics:
            self.requests.labels(route, method, str(status)).inc()
            self.latency.labels(route).observe(seconds)
        if self.access_log and access_logger.isEnabledFor(logging.INFO):
            duration_ms = round(seconds * 1000, 2)
            access_logger.info(
                "%s %s %s %sms",
                method,
                request.path,
                status,
                duration_ms,
                extra={
                    "method": method,
                    "path": request.path,
                    "route": route,
                    "status": status,
                    "duration_ms": duration_ms,
                    "bytes": _body_bytes(response),
                    "user_id": _user_id(request),
                    "remote_addr": _client_addr(request),
                },
            )


_ACCESS_FIELDS = (
    "method",
    "path",
    "route",
    "status",
    "duration_ms",
    "bytes",
    "user_id",
    "remote_addr",
)


class AccessJsonFormatter(logging.Formatter):
    """The access log's JSON line, built by hand: the same keys as the JSON formatter of the
    other loggers (time, level, logger, request_id, message) plus the request's fields, at
    about a third of python-json-logger's cost per line (a line per request)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for name in _ACCESS_FIELDS:
            line[name] = getattr(record, name, None)
        return json.dumps(line, ensure_ascii=False)
