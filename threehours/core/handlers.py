"""The API's own, shorter middleware stack.

Every request under `/api/` authenticates with a bearer token and answers JSON: it needs no
session, CSRF cookie, messages, htmx or page security headers, yet went through all of
`MIDDLEWARE` — about 7 % of a check-in's CPU (bench/README.md). `config.wsgi` sends `/api/`
to a handler built from `API_MIDDLEWARE` instead; the test suite's API client uses the same
stack (conftest.py), so the API is tested as it is served.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

API_PREFIX = "/api/"


class ApiMiddlewareMixin:
    """A Django handler whose middleware chain is `settings.API_MIDDLEWARE`."""

    def load_middleware(self, is_async=False):
        # Django's loader reads settings.MIDDLEWARE; it runs once, when the worker loads the
        # application (or at a test client's first request), before any request is served.
        pages = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = pages


class ApiWSGIHandler(ApiMiddlewareMixin, WSGIHandler):
    pass
