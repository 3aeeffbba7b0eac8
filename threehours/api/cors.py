"""CORS for the JSON API (issue #17 §7): browsers on the listed origins may call `/api/v1/`.

`settings.CORS_ORIGINS` (THREEHOURS_CORS_ORIGINS) lists exact origins ("https://app.example.org").
Empty (the default): the middleware is not loaded and no CORS header is ever sent, so browsers
allow same-origin calls only. The API authenticates with bearer tokens, not cookies, so
credentials are not allowed unless CORS_ALLOW_CREDENTIALS says so.

- A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from a listed origin
  is answered 204 here, with the methods and headers the API accepts.
- Any other answer to a listed origin carries `Access-Control-Allow-Origin: <that origin>`.
- Every answer under /api/v1/ carries `Vary: Origin` (caches must not mix origins).
- An origin not listed gets no CORS header: the browser refuses the call.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

API_V1_PREFIX = "/api/v1/"
ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, Accept, Accept-Language, X-Request-ID"
EXPOSE_HEADERS = "X-Request-ID, Retry-After"


class ApiCorsMiddleware:
    def __init__(self, get_response):
        self.origins = frozenset(origin.rstrip("/") for origin in settings.CORS_ORIGINS)
        if not self.origins:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.credentials = settings.CORS_ALLOW_CREDENTIALS
        self.max_age = str(settings.CORS_MAX_AGE)

    def __call__(self, request):
        if not request.path.startswith(API_V1_PREFIX):
            return self.get_response(request)
        origin = request.META.get("HTTP_ORIGIN", "")
        allowed = origin in self.origins
        if (
            allowed
            and request.method == "OPTIONS"
            and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META
        ):
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = ALLOW_METHODS
            response["Access-Control-Allow-Headers"] = ALLOW_HEADERS
            response["Access-Control-Max-Age"] = self.max_age
        else:
            response = self.get_response(request)
        patch_vary_headers(response, ("Origin",))
        if allowed:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
            if self.credentials:
                response["Access-Control-Allow-Credentials"] = "true"
        return response
