"""Operators' list of phone-number reveals (issue #16 §5, docs/privacy.md): every time an
organisation admin or an operator revealed a volunteer's masked number, newest first."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from threehours.accounts.models import User
from threehours.core.errors import DomainError
from threehours.signups import selectors as signup_selectors
from threehours.signups import services as signup_services

from .views import operator_required


@operator_required
@require_GET
def phone_reveals_view(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("org", "")
    org_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
    rows = signup_selectors.phone_reveals_recent(limit=200, organisation_id=org_id)
    return render(request, "platform_admin/phone_reveals.html", {"rows": rows, "org_id": org_id})


TEMPLATE = "platform_admin/partials/_phone_revealed.html"


@operator_required
@require_POST
@never_cache
def user_phone_reveal_view(request: HttpRequest, user_id: int) -> HttpResponse:
    """An operator reveals one person's phone number (audited like an organisation admin's,
    with no organisation). Answers the fragment that replaces the 显示号码 button of
    `platform_admin/partials/_phone.html`; a refusal in its place (429 when over the hour's
    budget)."""
    person = User.objects.filter(pk=user_id).first()
    if person is None:
        raise Http404
    context = {"phone": "", "error": ""}
    try:
        context["phone"] = signup_services.phone_reveal(
            actor=request.user, person=person, organisation=None
        )
    except DomainError as exc:
        context["error"] = exc.message
        status = 200 if request.htmx else exc.status
        return render(
            request, "platform_admin/partials/_phone_revealed.html", context, status=status
        )
    return render(request, "platform_admin/partials/_phone_revealed.html", context)


urlpatterns = [
    path("phone-reveals/", phone_reveals_view, name="phone-reveals"),
    path("users/<int:user_id>/phone/", user_phone_reveal_view, name="user-phone-reveal"),
]
