"""Volunteers' ratings of activities (评价分享, issue #15 §1)."""

from __future__ import annotations
