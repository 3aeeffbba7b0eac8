"""The authentication backend of the pages' sessions."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from threehours.core.db import Columns, id_in_range

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
        if not id_in_range(pk):
            return None
        user = _USERS.get(**{User._meta.pk.name: pk})
        return user if user is not None and self.user_can_authenticate(user) else None
