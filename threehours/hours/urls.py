"""Certificates (我的公益时 → 公益证书) and their public verification (mounted at the site root)."""

from django.urls import path  # noqa: F401

from . import verify_views, views

app_name = "hours"

urlpatterns: list = [
    *verify_views.urlpatterns,
    *views.urlpatterns,
]
