"""Volunteer-facing site pages that belong to no single context yet (home, activity tab).
The activities context takes these over when it arrives."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home_view(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


def activities_view(request: HttpRequest) -> HttpResponse:
    return render(request, "core/activities.html")
