from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from . import selectors


def operator_required(view):
    """Only platform operators (Django staff); others are sent to the operator log-in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not (request.user.is_authenticated and request.user.is_staff):
            return redirect_to_login(request.get_full_path(), reverse("accounts:ops-login"))
        return view(request, *args, **kwargs)

    return wrapper


@operator_required
def ops_home_view(request: HttpRequest) -> HttpResponse:
    return render(request, "platform_admin/home.html", {"stats": selectors.platform_stats()})
