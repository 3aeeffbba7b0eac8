"""Consent (issue #16 §1): which documents and separate consents a person has given, and
recording them. Filled in by the privacy work."""

from __future__ import annotations
