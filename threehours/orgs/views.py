from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required(login_url="accounts:org-login")
def console_home_view(request: HttpRequest) -> HttpResponse:
    return render(request, "orgs/home.html")
