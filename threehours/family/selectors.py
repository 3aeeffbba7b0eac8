"""Reads of family accounts."""

from __future__ import annotations

from django.db.models import QuerySet

from threehours.accounts.models import User
from threehours.core.errors import NotFound

from .models import Guardianship


def children_of(*, guardian: User) -> QuerySet[User]:
    """The children `guardian` acts for now (not those handed over at 18), oldest first."""
    ids = Guardianship.objects.current().filter(guardian=guardian).values("child_id")
    return User.objects.filter(pk__in=ids, guarded=True).order_by("birth_date", "pk")


def access_child_for_guardian(*, guardian: User, child_id: int) -> User:
    """The child `child_id` if `guardian` is a current guardian of it; else NotFound (another
    family's child is an unknown id)."""
    child = children_of(guardian=guardian).filter(pk=child_id).first()
    if child is None:
        raise NotFound()
    return child


def is_guardian_of(*, guardian: User, child_ids: list[int]) -> bool:
    if not child_ids:
        return True
    found = (
        Guardianship.objects.current()
        .filter(guardian=guardian, child_id__in=child_ids, child__guarded=True)
        .count()
    )
    return found == len(set(child_ids))
