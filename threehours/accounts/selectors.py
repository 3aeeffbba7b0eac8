"""Reads of accounts for the operator console (issue #16 §6)."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from threehours.core.errors import NotFound

from .models import User

_DIGITS = re.compile(r"^\d{4,11}$")


def user_search_for_operators(*, q: str) -> QuerySet[User]:
    """Accounts matching `q`: a full phone number, its last 4 (or more) digits, an e-mail
    address (exact, any case), or part of a real name or nickname. An empty `q` finds nobody
    (the page asks for something to look for). Newest first; the caller pages the result."""
    q = (q or "").strip().replace(" ", "")
    if not q:
        return User.objects.none()
    if _DIGITS.match(q):
        found = Q(phone=q) if len(q) == 11 else Q(phone__endswith=q)
    elif "@" in q:
        found = Q(email__iexact=q)
    else:
        found = Q(real_name__icontains=q) | Q(nickname__icontains=q)
    return User.objects.filter(found)


def access_user_for_operator(*, user_id: int) -> User:
    """One account by id for an operator; unknown ids raise NotFound."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user
