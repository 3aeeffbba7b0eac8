"""Operator pages of issue #15 (ratings); `urlpatterns` is added by platform_admin/urls.py."""

from __future__ import annotations

from django.urls import path  # noqa: F401

urlpatterns: list = []
