"""The public verification of a certificate (issue #15 §4): `/verify/<serial>`, the address its
QR code holds. Shows whether it is genuine and what it certifies — nothing more."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from .models import Certificate


def certificate_verify_view(request: HttpRequest, serial: str) -> HttpResponse:
    certificate = Certificate.objects.filter(serial=serial.upper()).first()
    if certificate is None:
        raise Http404
    return render(request, "hours/verify.html", {"certificate": certificate})


urlpatterns = [
    path("verify/<str:serial>", certificate_verify_view, name="verify"),
]
