"""Identity verification at check-in is pluggable (issue #6 §2): THREEHOURS_IDENTITY_PROVIDER
names a class with `verify(user, evidence) -> bool` (e.g. a face-verification service), or
"none" for no identity step. After two failed checks on an activity day the volunteer may use
the green channel: the 4-digit code read out by staff replaces the identity check."""

from __future__ import annotations

from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

GREEN_CHANNEL_AFTER = 2


class IdentityProvider(Protocol):
    def verify(self, user: Any, evidence: str) -> bool: ...


def identity_provider() -> IdentityProvider | None:
    name = settings.IDENTITY_PROVIDER
    if not name or name == "none":
        return None
    return import_string(name)()
