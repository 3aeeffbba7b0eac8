"""The cost of the request id, the access log and the metrics per request (issue #17 §6).

    uv run python bench/observe_overhead.py      # ≈ 10 s, no database

`RequestMiddleware` (core/observe.py) around a view that answers a check-in-sized JSON body,
against the view alone: the best of 7 runs of 5,000 calls for each combination of the access
log (its JSON formatter, writing to memory) and the metrics (this process's registry).
"""

from __future__ import annotations

import io
import logging
import os
import timeit


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["THREEHOURS_DEBUG"] = "1"
    os.environ["THREEHOURS_LOG_FORMAT"] = "json"
    import django

    django.setup()
    from django.conf import settings
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from threehours.core import observe

    for name in ("", "threehours.access"):
        for handler in logging.getLogger(name).handlers:
            handler.stream = io.StringIO()
    body = b'{"ok": true}' * 20
    match = resolve("/api/v1/activities/12")

    def view(request):
        request.resolver_match = match
        return HttpResponse(body, content_type="application/json")

    request = RequestFactory().post("/api/v1/activities/12/checkin")
    base = min(timeit.repeat(lambda: view(request), number=5000, repeat=7)) / 5000
    for access, metrics in [(False, False), (True, False), (False, True), (True, True)]:
        settings.ACCESS_LOG, settings.METRICS_ENABLED = access, metrics
        middleware = observe.RequestMiddleware(view)
        best = min(timeit.repeat(lambda m=middleware: m(request), number=5000, repeat=7)) / 5000
        print(
            f"access_log={access!s:5} metrics={metrics!s:5}: "
            f"+{(best - base) * 1e6:.1f} µs per request"
        )


if __name__ == "__main__":
    main()
