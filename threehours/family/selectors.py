"""Reads of family accounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from threehours.accounts.models import User
from threehours.core.errors import NotFound

from .models import ChildPortrait, GuardianInvitation, Guardianship


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


def children_with_guardians(*, guardian: User) -> list[User]:
    """children_of() for the 我的小宝 list: each child with `.guardian_list` (current guardians,
    first added first) and `.has_portrait`, in three queries."""
    children = list(
        children_of(guardian=guardian).prefetch_related(
            Prefetch(
                "guardians",
                queryset=Guardianship.objects.current()
                .select_related("guardian")
                .order_by("created_at", "pk"),
                to_attr="current_links",
            )
        )
    )
    with_portrait = set(
        ChildPortrait.objects.filter(child__in=children).values_list("child_id", flat=True)
    )
    for child in children:
        child.guardian_list = [link.guardian for link in child.current_links]
        child.has_portrait = child.pk in with_portrait
    return children


def guardians_of(*, child: User) -> list[User]:
    """The child's current guardians, first added first."""
    links = (
        Guardianship.objects.current()
        .filter(child=child)
        .select_related("guardian")
        .order_by("created_at", "pk")
    )
    return [link.guardian for link in links]


def invitations_for_user(*, user: User) -> QuerySet[GuardianInvitation]:
    """Pending, unexpired invitations sent to `user`'s phone, newest first."""
    if not user.phone:
        return GuardianInvitation.objects.none()
    return (
        GuardianInvitation.objects.filter(
            phone=user.phone,
            status=GuardianInvitation.Status.PENDING,
            expires_at__gt=timezone.now(),
            child__guarded=True,
        )
        .select_related("child", "invited_by")
        .order_by("-created_at", "-pk")
    )


def pending_invitations_of_child(*, child: User) -> QuerySet[GuardianInvitation]:
    """The child's invitations still waiting for an answer (not expired), oldest first."""
    return (
        GuardianInvitation.objects.filter(
            child=child,
            status=GuardianInvitation.Status.PENDING,
            expires_at__gt=timezone.now(),
        )
        .select_related("invited_by")
        .order_by("created_at", "pk")
    )


def portrait_of(*, child: User) -> ChildPortrait | None:
    return ChildPortrait.objects.filter(child=child).first()


# --- the hand-over at 18: what a former guardian still reads (family.services.claim) ---------


def former_children_of(*, guardian: User) -> QuerySet[User]:
    """The children `guardian` kept until they claimed their record at 18, each annotated with
    `handed_over_at` (when this guardian's link ended), latest hand-over first."""
    links = Guardianship.objects.filter(
        guardian=guardian, child=OuterRef("pk"), ended_at__isnull=False
    )
    return (
        # Handed over: the child claimed the row (no longer guarded), not merely left a link.
        User.objects.filter(Exists(links), guarded=False)
        .annotate(handed_over_at=Subquery(links.values("ended_at")[:1]))
        .order_by("-handed_over_at", "pk")
    )


@dataclass(frozen=True)
class ChildRecordAccess:
    """A child's record as a guardian may read it: everything while the guardian acts for the
    child (`handed_over_at` None), or — after the hand-over — only what happened before it."""

    child: User
    handed_over_at: dt.datetime | None = None

    @property
    def read_only(self) -> bool:
        return self.handed_over_at is not None


def access_child_record_for_guardian(*, guardian: User, child_id: int) -> ChildRecordAccess:
    """The record of `child_id` for its current guardian, or the read-only view of a former
    guardian; NotFound for anyone else (another family's child is an unknown id)."""
    child = children_of(guardian=guardian).filter(pk=child_id).first()
    if child is not None:
        return ChildRecordAccess(child=child)
    former = former_children_of(guardian=guardian).filter(pk=child_id).first()
    if former is None:
        raise NotFound()
    return ChildRecordAccess(child=former, handed_over_at=former.handed_over_at)


def family_has_records(*, guardian: User) -> bool:
    """Whether `guardian` keeps, or kept until the hand-over, any child's record (家庭公益时
    is linked from 我的公益时 then)."""
    return Guardianship.objects.filter(guardian=guardian).exists()
