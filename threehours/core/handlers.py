"""Shorter middleware stacks for requests that need no session.

Every request under `/api/` authenticates with a bearer token and answers JSON: it needs no
session, CSRF cookie, messages, htmx or page security headers, yet went through all of
`MIDDLEWARE` — about 7 % of a check-in's CPU (bench/README.md). `config.wsgi` sends `/api/`
to a handler built from `API_MIDDLEWARE` instead.

The public verification pages (`/verify/`, `/verify/<serial>`, issue #15 §4) are opened by anyone
who scans a certificate's QR code: they read no session, no user and no CSRF token, and set no
cookie. They go through `PUBLIC_PAGE_MIDDLEWARE`, which keeps what they need (HTTPS redirect and
security headers, the language from the cookie or Accept-Language, the page security headers,
the per-process cache of rendered pages) and drops sessions, authentication, CSRF, messages,
htmx: about a quarter of such a page's CPU.

The test suite's clients use the same stacks for the same paths (conftest.py), so the API and
these pages are tested as they are served.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

API_PREFIX = "/api/"
# Paths served by PUBLIC_PAGE_MIDDLEWARE (hours.verify_views): the form and every certificate.
PUBLIC_PAGE_PREFIX = "/verify/"


class StackMiddlewareMixin:
    """A Django handler whose middleware chain is the setting named `middleware_setting`."""

    middleware_setting = "MIDDLEWARE"

    def load_middleware(self, is_async=False):
        # Django's loader reads settings.MIDDLEWARE; it runs once, when the worker loads the
        # application (or at a test client's first request), before any request is served.
        pages = settings.MIDDLEWARE
        settings.MIDDLEWARE = getattr(settings, self.middleware_setting)
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = pages


class ApiMiddlewareMixin(StackMiddlewareMixin):
    """A Django handler whose middleware chain is `settings.API_MIDDLEWARE`."""

    middleware_setting = "API_MIDDLEWARE"


class PublicPageMiddlewareMixin(StackMiddlewareMixin):
    """A Django handler whose middleware chain is `settings.PUBLIC_PAGE_MIDDLEWARE`."""

    middleware_setting = "PUBLIC_PAGE_MIDDLEWARE"


class ApiWSGIHandler(ApiMiddlewareMixin, WSGIHandler):
    pass


class PublicPageWSGIHandler(PublicPageMiddlewareMixin, WSGIHandler):
    pass
