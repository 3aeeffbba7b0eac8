"""The JSON API (`/api/v1/`): one NinjaAPI, one router per context, one error format
(docs/api.md)."""

from __future__ import annotations

import json
import logging

import pydantic_core
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja import renderers as ninja_renderers
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from threehours.core.errors import DomainError
from threehours.core.middleware import nul_in_request

from . import (
    accounts,
    activities,
    attendance,
    certificates,
    evaluations,
    family,
    family_records,
    notifications,
    ops_users,
    orgs,
    policies,
    privacy,
    ratings,
    rewards,
    signups,
    verification,
)

log = logging.getLogger(__name__)


class JSONRenderer(ninja_renderers.JSONRenderer):
    """JSON written by pydantic-core (Rust): dates, times and decimals as ninja's encoder
    writes them, without its Python callback for each of them (a sixth of a discovery page's
    CPU went there). Anything else it does not know, such as a lazy translation, as text."""

    def render(self, request: HttpRequest, data, *, response_status: int) -> bytes:
        return pydantic_core.to_json(data, fallback=str)


class MalformedJSON(ValueError):
    """The request body is not JSON (or not UTF-8)."""


class JSONParser(Parser):
    """ninja's parser, raising one exception of ours for a body that is not JSON. ninja turns
    any parser exception into HttpError(400, "Cannot parse request body") in English, keeping
    ours as its cause; `http_error` below answers it as `invalid_json`, translated."""

    def parse_body(self, request: HttpRequest):
        try:
            return json.loads(request.body)
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
            raise MalformedJSON(str(exc)) from exc


api = NinjaAPI(
    renderer=JSONRenderer(),
    parser=JSONParser(),
    title="threehours API",
    version="1",
    description="JSON API of the threehours volunteer platform. Errors are "
    '`{"code", "message", "fields"}`; `Accept-Language: en` gives English messages.',
    urls_namespace="api",
)
api.add_router("/", accounts.router)
api.add_router("/", notifications.router)
api.add_router("/", orgs.router)
api.add_router("/", activities.router)
api.add_router("/", signups.router)
api.add_router("/", attendance.router)
api.add_router("/", family.router)
api.add_router("/", family_records.router)
api.add_router("/", ratings.router)
api.add_router("/", certificates.router)
api.add_router("/", rewards.router)
api.add_router("/", evaluations.router)
api.add_router("/", verification.router)
api.add_router("/", policies.router)
api.add_router("/", privacy.router)
api.add_router("/", ops_users.router)


def error_response(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
    retry_after: int | None = None,
) -> HttpResponse:
    body: dict = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = api.create_response(request, body, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    # docs/api.md: `fields` belong to validation errors (400) only; a conflict names no field.
    fields = exc.fields if exc.status == 400 else None
    return error_response(request, exc.status, exc.code, exc.message, fields, exc.retry_after)


def _field_name(loc: list) -> str:
    names = [str(part) for part in loc if isinstance(part, str)]
    names = [n for n in names if n not in {"body", "payload", "query", "path", "form", "file"}]
    return ".".join(names) or "body"


# The bounds of schemas.py (issue #12 §6), as the person typing the number reads them.
_NUMBER_MESSAGES = {
    "finite_number": lambda: _("Enter a finite number."),
    "greater_than_equal": lambda: _("Enter a number of at least %(ge)s."),
    "greater_than": lambda: _("Enter a number greater than %(gt)s."),
    "less_than_equal": lambda: _("Enter a number of at most %(le)s."),
    "less_than": lambda: _("Enter a number less than %(lt)s."),
}


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        name = _field_name(list(error.get("loc", [])))
        kind = error.get("type", "")
        if kind == "missing":
            text = _("This field is required.")
        elif kind == "extra_forbidden":
            text = _("This field is not allowed.")
        elif kind.endswith("_type") or kind.endswith("_parsing"):
            text = _("This value has the wrong type.")
        elif kind in _NUMBER_MESSAGES:
            text = _NUMBER_MESSAGES[kind]() % (error.get("ctx") or {})
        else:
            text = _("This value is not valid.")
        fields.setdefault(name, []).append(text)
    return error_response(request, 400, "invalid_input", _("Some fields are not valid."), fields)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, 401, "unauthorized", _("Please log in: the token is missing, invalid or revoked.")
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, MalformedJSON):
        return error_response(
            request, 400, "invalid_json", _("The request body is not valid JSON.")
        )
    codes = {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        429: "rate_limited",
    }
    return error_response(
        request, exc.status_code, codes.get(exc.status_code, "error"), str(exc.message)
    )


def null_character_response(request: HttpRequest) -> HttpResponse | None:
    """400 `invalid_input` for a request whose query, form fields or JSON body hold a NUL
    character (core.middleware.nul_in_request); None when there is none."""
    where = nul_in_request(request)
    if not where:
        return None
    return error_response(
        request,
        400,
        "invalid_input",
        _("Some fields are not valid."),
        {where: [_("Null characters are not allowed.")]},
    )


def not_routed_response(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The JSON error for what Django answers before any API operation runs: 404 for a path
    no operation has, 405 for a method the path's operations do not take (ninja writes plain
    text). Anything else, and any JSON answer, is returned unchanged."""
    if response.get("Content-Type", "").startswith("application/json"):
        return response
    if response.status_code == 404:
        return error_response(request, 404, "not_found", _("Not found."))
    if response.status_code == 405:
        methods = response.get("Allow", "")
        answer = error_response(
            request,
            405,
            "method_not_allowed",
            _("This address does not take %(method)s; it takes %(allowed)s.")
            % {"method": request.method, "allowed": methods},
        )
        answer["Allow"] = methods
        return answer
    return response
