"""API: see API.md "After the activity" (issue #15)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["after the activity"])
