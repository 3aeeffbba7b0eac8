"""Site-wide middleware of our own."""

from __future__ import annotations

import json
from collections.abc import Callable

from csp.middleware import CSPMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

from .handlers import API_PREFIX


class PageCSPMiddleware(CSPMiddleware):
    """The Content-Security-Policy on pages, not on JSON answers.

    A browser never renders a JSON body (SecurityMiddleware sends `nosniff`), so a policy on it
    protects nothing, while building it cost 5 % of every API request's CPU (bench/README.md).
    """

    def process_response(self, request, response):
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        return super().process_response(request, response)


def _json_holds_nul(body: bytes) -> bool:
    """Whether a JSON text that spells `\\u0000` somewhere holds a NUL in a string (and not,
    say, an escaped backslash followed by "u0000"). Not JSON: False, the parser answers it."""
    try:
        stack = [json.loads(body)]
    except ValueError:
        return False
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def nul_in_request(request: HttpRequest) -> str:
    """Where a request holds a NUL character (U+0000): "query", "body" or "" for nowhere.
    PostgreSQL cannot store or compare one and no field of ours means one, so it is refused
    before any view runs. Files of a multipart body are not read (a JPEG holds NUL bytes)."""
    if "%00" in request.META.get("QUERY_STRING", ""):
        return "query"
    if request.method not in ("POST", "PUT", "PATCH"):
        return ""
    kind = request.content_type or ""
    if kind == "application/json" or kind.endswith("+json"):
        body = request.body
        if b"\x00" in body or (b"\\u0000" in body and _json_holds_nul(body)):
            return "body"
    elif kind in ("multipart/form-data", "application/x-www-form-urlencoded") and any(
        "\x00" in value for _key, values in request.POST.lists() for value in values
    ):
        return "body"
    return ""


class NullCharacterMiddleware:
    """Pages: a NUL character in the query or the form fields is a 400 (the API answers it in
    its own format, api.middleware). After LocaleMiddleware, so the answer is translated."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX) and nul_in_request(request):
            return HttpResponseBadRequest(
                _("Null characters are not allowed."), content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)
