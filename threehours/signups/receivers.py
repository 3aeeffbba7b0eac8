"""Receivers of lower floors' signals, connected in SignupsConfig.ready()."""

from __future__ import annotations

from django.db import transaction

from .tasks import activity_registrants_notify_task


def activity_changed_notify_registrants(
    sender, *, activity, event: str, changes: dict | str | None = None, **kwargs
) -> None:
    """After commit, tell the activity's registrants (a job: there may be hundreds)."""
    transaction.on_commit(lambda: activity_registrants_notify_task(activity.pk, event, changes))
