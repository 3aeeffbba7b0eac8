"""Signals of the accounts app, for apps on higher floors that must react
(core/tests/test_floors.py)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `user` when the person cancelled the closing of their account (注销) by logging in
# again during the cooling-off period; the privacy app marks its AccountClosure cancelled.
# Sent inside the cancelling transaction: a receiver's writes commit with it.
closing_cancelled = Signal()
