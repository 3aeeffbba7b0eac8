"""Volunteers' incentive pages: the catalogue and 我的权益 (mounted at the site root)."""

from django.urls import path  # noqa: F401

app_name = "rewards"

urlpatterns: list = []
