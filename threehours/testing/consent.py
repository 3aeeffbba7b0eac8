"""Test helper: a person who has given every consent (issue #16 §1), for tests about something
else that register, set a real name or check in with a position through the pages or the API.
Tests about consent itself create people without it."""

from __future__ import annotations

from django.utils import timezone

from threehours.accounts.consent import CONSENT_VERSIONS, policies_current
from threehours.accounts.models import Consent


def consent_all(*users, but: tuple[str, ...] = ()) -> None:
    """Record the current user agreement and privacy policy and every separate consent for
    each of `users` (idempotent), except the kinds in `but`."""
    now = timezone.now()
    versions = {kind: policy.version for kind, policy in policies_current().items()}
    versions.update(CONSENT_VERSIONS)
    for kind in but:
        versions.pop(kind, None)
    Consent.objects.bulk_create(
        [
            Consent(user=user, kind=kind, version=version, given_at=now)
            for user in users
            for kind, version in versions.items()
        ],
        ignore_conflicts=True,
    )
