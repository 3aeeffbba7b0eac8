"""JSON errors for API requests that no operation answered (docs/api.md, "Errors")."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from threehours.api.api import not_routed_response, null_character_response
from threehours.core.handlers import API_PREFIX


class ApiErrorMiddleware:
    """Under /api/, Django's HTML 404 for an unknown path and ninja's plain-text 405 for a
    wrong method become the API's `{"code", "message"}`, in the request's language; a NUL
    character anywhere in the query or the fields is refused before any operation runs. In both
    middleware stacks (the ASGI app serves /api/ through MIDDLEWARE), after LocaleMiddleware,
    so that the message is written in the language it activated."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            refused = null_character_response(request)
            if refused is not None:
                return refused
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX) and response.status_code in (404, 405):
            return not_routed_response(request, response)
        return response
