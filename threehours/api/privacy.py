"""Issue #16 (API.md "Privacy and account"): filled in by the privacy work."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["privacy and account"])
