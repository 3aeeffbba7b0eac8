"""Removing a child added by mistake (issue #14 §1). A child who was ever registered for an
activity or holds any hours keeps the record: the registration, attendance and ledger rows
PROTECT the child's row, so the database refuses the deletion and nothing is removed."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError

from threehours.accounts.models import User
from threehours.core.audit import audit_record
from threehours.core.db import lock_one

from ..errors import ChildHasRecords
from ..models import ChildPortrait, GuardianInvitation, Guardianship
from ..selectors import access_child_for_guardian


def child_remove(*, guardian: User, child: User) -> None:
    """Delete the child's account with its guardianships, invitations and photo, when nothing
    else refers to it. Raises NotFound (not a current guardian of the child) and
    ChildHasRecords (registrations, check-ins or hours exist); nothing is deleted then.
    Locks the child's row; the photo file is deleted after the commit."""
    try:
        with transaction.atomic(durable=True):
            child = access_child_for_guardian(guardian=guardian, child_id=child.pk)
            child = lock_one(User, pk=child.pk)
            portrait = ChildPortrait.objects.filter(child=child).first()
            file_name = portrait.image.name if portrait else ""
            audit_record(
                actor=guardian,
                verb="family.child_removed",
                target=child,
                data={"id_number_masked": child.id_number_masked},
            )
            GuardianInvitation.objects.filter(child=child).delete()
            ChildPortrait.objects.filter(child=child).delete()
            Guardianship.objects.filter(child=child).delete()
            child.delete()
            if file_name:
                storage = ChildPortrait._meta.get_field("image").storage
                transaction.on_commit(lambda: storage.delete(file_name))
    # PROTECT is checked by Django before deleting; a row added meanwhile by another
    # transaction is caught by the foreign key itself (at commit on PostgreSQL).
    except (ProtectedError, RestrictedError, IntegrityError) as exc:
        raise ChildHasRecords() from exc
