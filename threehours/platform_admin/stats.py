"""Operator pages of issue #16: filled in by the privacy work. This module lists its own URLs."""

from __future__ import annotations

urlpatterns: list = []
