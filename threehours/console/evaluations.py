"""Console pages of issue #15 (evaluations). Their paths are listed in `urlpatterns` here and put
before the activity catch-all by console/urls.py."""

from __future__ import annotations

from django.urls import path  # noqa: F401

urlpatterns: list = []
