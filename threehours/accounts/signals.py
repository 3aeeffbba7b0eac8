"""Signals of accounts that apps on higher floors listen to (docs/decisions/0010)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by accounts.services.closing_cancel(user) after a requested account closure was
# cancelled (the person logged in during the cooling-off). Arguments: sender=User, user=.
closing_cancelled = Signal()
