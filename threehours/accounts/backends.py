"""The authentication backend of the pages' sessions."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from threehours.core.db import Columns

from .models import User

_USERS = Columns(User, "u")


class AccountBackend(ModelBackend):
    """Django's ModelBackend, but the user behind a session is read by one hand-written,
    prepared SELECT of every column (core.db.Columns). Every page request of a logged-in user
    reads it, and compiling `User.objects.get(pk=…)` was a fifth of the check-in page's CPU in
    a rush (bench/README.md)."""

    def get_user(self, user_id):
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        if not 0 < pk < 2**63:
            return None
        user = _USERS.get(**{User._meta.pk.name: pk})
        return user if user is not None and self.user_can_authenticate(user) else None
