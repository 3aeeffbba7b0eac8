"""我的 → 个人信息与隐私 (issue #16 §§2–3): what we hold, the data download, which
organisations received my data, and closing the account."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from threehours.core.errors import DomainError, NotFound
from threehours.core.storage import private_file_response

from . import selectors, services
from .models import DataExport


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


@login_required
@require_GET
def home_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "privacy/home.html",
        {
            "downloads": list(selectors.data_exports_of(user=user)[:5]),
            "organisations": selectors.organisations_received(user=user),
            "closure": selectors.closure_open(user=user),
            "email_masked": _email_masked(user.email or ""),
        },
    )


def _email_masked(email: str) -> str:
    local, _at, domain = email.partition("@")
    return f"{local[:2]}***@{domain}" if domain else ""


@login_required
@require_POST
def data_export_request_view(request: HttpRequest) -> HttpResponse:
    try:
        services.data_export_request(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Your data is being prepared. Reload this page in a minute to download it."),
        )
    return redirect("privacy:home")


@login_required
@require_GET
def data_export_file_view(request: HttpRequest, export_id: int) -> HttpResponse:
    """The ZIP of a ready download, to its owner only: anyone else's, or one not ready or
    expired, is 404."""
    try:
        export = selectors.data_export_get_for_user(user=request.user, export_id=export_id)
    except NotFound as exc:
        raise Http404 from exc
    if export.state != DataExport.State.READY or not export.file:
        raise Http404
    response = private_file_response(export.file)
    response["Content-Disposition"] = f'attachment; filename="my-data-{export.pk}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def closure_view(request: HttpRequest) -> HttpResponse:
    """The confirmation page of closing the account; POST with `confirm` asks for it."""
    user = request.user
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            error = _("Tick the box to confirm that you want to close your account.")
        else:
            try:
                services.closure_request(user=user, ip=_ip(request))
            except DomainError as exc:
                error = exc.message
            else:
                return redirect("privacy:closure")
    return render(
        request,
        "privacy/closure.html",
        {
            "closure": selectors.closure_open(user=user),
            "alone_admin": selectors.organisations_alone_administered(user=user),
            "children": selectors.children_left_alone(user=user),
            "error": error,
            "cooling_off_days": settings.CLOSURE_COOLING_OFF_DAYS,
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def closure_cancel_view(request: HttpRequest) -> HttpResponse:
    try:
        services.closure_cancel(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Closing your account was cancelled. Your account stays."))
    return redirect("privacy:home")
