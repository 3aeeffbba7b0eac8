"""Operators' list of phone-number reveals (issue #16 §5, docs/privacy.md): every time an
organisation admin or an operator revealed a volunteer's masked number, newest first."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from threehours.signups import selectors as signup_selectors

from .views import operator_required


@operator_required
@require_GET
def phone_reveals_view(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("org", "")
    org_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
    rows = signup_selectors.phone_reveals_recent(limit=200, organisation_id=org_id)
    return render(request, "platform_admin/phone_reveals.html", {"rows": rows, "org_id": org_id})


urlpatterns = [
    path("phone-reveals/", phone_reveals_view, name="phone-reveals"),
]
