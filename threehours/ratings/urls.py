"""Volunteers' rating pages (mounted at the site root by config/urls.py)."""

from django.urls import path  # noqa: F401

app_name = "ratings"

urlpatterns: list = []
