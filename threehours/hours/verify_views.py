"""The public verification of a certificate (issue #15 §4): `/verify/<serial>`, the address its
QR code holds, and `/verify/` to type a serial from paper. Shows whether it is genuine and what
it certifies — nothing more.

Anyone may open it, logged out, on a phone: the page reads no session and sets no cookie (its
template has no CSRF token, no messages, no user), so shared caches may keep it. It is cached
for 60 s (`Cache-Control: public, max-age=60`) with an ETag and Last-Modified that change when
the certificate is revoked: a revocation shows everywhere within a minute. Served through its
own short middleware stack (settings.PUBLIC_PAGE_MIDDLEWARE) and a per-process cache of the
rendered pages (verify_cache.py); the pages that are rendered are counted per IP
(settings.VERIFY_RATE; 429 above it). Rendered without context processors: the templates use
no request, user, messages or CSRF token."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import loader
from django.urls import path
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from threehours.core.errors import RateLimited
from threehours.core.ratelimit import ratelimit_check

from .verification import certificate_public, serial_normalise

CACHE_SECONDS = 60


def render(_request: HttpRequest, name: str, context: dict, status: int = 200) -> HttpResponse:
    """The template alone: no context processor (user, messages, CSRF token, CSP nonce) runs."""
    return HttpResponse(loader.render_to_string(name, context), status=status)


def _limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = render(request, "hours/verify_limited.html", {"message": exc.message}, status=429)
    response["Retry-After"] = str(exc.retry_after or 60)
    response["X-Robots-Tag"] = "noindex"
    return response


def _public(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    # Served by PUBLIC_PAGE_MIDDLEWARE (core/handlers.py): no session, so no `Vary: Cookie`
    # splitting the shared caches by every visitor's cookies.
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def certificate_verify_view(request: HttpRequest, serial: str) -> HttpResponse:
    try:
        ratelimit_check(request, group="web.verify", rate=settings.VERIFY_RATE)
    except RateLimited as exc:
        return _limited(request, exc)
    certificate = certificate_public(serial=serial)
    if certificate is None:
        response = render(request, "hours/verify_unknown.html", {"serial": serial[:40]}, status=404)
        return _public(request, response)
    if certificate["serial"] != serial:  # typed by hand: show the one address of the page
        return redirect("hours:verify", serial=certificate["serial"], permanent=True)
    changed = certificate["revoked_at"] or certificate["issued_at"]
    digest = hashlib.sha256(
        f"{certificate['serial']}|{certificate['state']}|{changed.isoformat()}|"
        f"{get_language()}".encode()
    ).hexdigest()
    etag = f'"{digest[:32]}"'
    last_modified = int(changed.timestamp())
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = render(request, "hours/verify.html", {"c": certificate})
        response["ETag"] = etag
        response["Last-Modified"] = http_date(last_modified)
    return _public(request, response)


@require_safe
def certificate_verify_form_view(request: HttpRequest) -> HttpResponse:
    """`/verify/?serial=…`: type the serial printed on a certificate."""
    typed = request.GET.get("serial", "").strip()
    error = False
    if typed:
        normal = serial_normalise(typed)
        if normal is not None:
            return redirect("hours:verify", serial=normal)
        error = True
    response = render(request, "hours/verify_form.html", {"typed": typed[:40], "error": error})
    return _public(request, response)


urlpatterns = [
    path("verify/", certificate_verify_form_view, name="verify-form"),
    path("verify/<str:serial>", certificate_verify_view, name="verify"),
]
