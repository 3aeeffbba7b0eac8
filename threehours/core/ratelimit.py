"""Request-rate limits shared by pages and the API, counted in the cache (Redis in production,
so that every process sees the same counters)."""

from __future__ import annotations

from django.http import HttpRequest
from django_ratelimit.core import get_usage

from .errors import RateLimited


def ratelimit_check(request: HttpRequest, *, group: str, rate: str, key: str = "ip") -> None:
    """Count this request against `rate` (e.g. "10/m") for its IP (or `key`).
    Raises RateLimited with Retry-After once the rate is exceeded."""
    if key == "ip" and not request.META.get("REMOTE_ADDR"):
        # Servers always set REMOTE_ADDR; some WSGI test clients do not. Count such requests
        # together rather than failing.
        key = "header:x-no-remote-addr"
    usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
    if usage is not None and usage["should_limit"]:
        raise RateLimited(retry_after=max(1, int(usage["time_left"])))
