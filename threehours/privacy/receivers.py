"""Loose ends tied by signals from lower floors (docs/decisions/0010)."""

from __future__ import annotations

from django.dispatch import receiver

from threehours.accounts.signals import closing_cancelled

from . import services


@receiver(closing_cancelled, dispatch_uid="privacy.closing_cancelled")
def on_closing_cancelled(sender, user, **kwargs) -> None:
    """The person logged in during the cooling-off and accounts cancelled the closing: the
    open request is marked cancelled too."""
    services.closure_cancelled_elsewhere(user=user)
