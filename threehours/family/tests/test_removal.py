"""Removing a child (issue #14 §1): only a current guardian, only without any registration or
hours; the photo, invitations and guardianships go with the child; nothing is removed when
refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from threehours.accounts.models import User
from threehours.core.audit import AuditEntry
from threehours.core.errors import NotFound
from threehours.orgs.tests.factories import image_upload

from .. import errors, services
from ..models import ChildPortrait, GuardianInvitation, Guardianship
from ..selectors import children_of
from .factories import child_of, guardian

pytestmark = pytest.mark.django_db


def test_a_child_without_records_is_removed_with_photo_and_invitations(
    django_capture_on_commit_callbacks,
):
    parent = guardian()
    child = child_of(parent)
    portrait = services.child_portrait_set(guardian=parent, child=child, upload=image_upload())
    storage = portrait.image.storage
    name = portrait.image.name
    assert storage.exists(name)
    services.guardian_invite(guardian=parent, child=child, phone="13900000002")
    child_id = child.pk

    with django_capture_on_commit_callbacks(execute=True):
        services.child_remove(guardian=parent, child=child)

    assert not User.objects.filter(pk=child_id).exists()
    assert not Guardianship.objects.filter(child_id=child_id).exists()
    assert not GuardianInvitation.objects.filter(child_id=child_id).exists()
    assert not ChildPortrait.objects.filter(child_id=child_id).exists()
    assert not storage.exists(name)
    assert list(children_of(guardian=parent)) == []
    assert AuditEntry.objects.filter(verb="family.child_removed", target_id=str(child_id)).exists()


def test_another_familys_child_is_not_found_and_kept():
    parent = guardian()
    child = child_of(parent)
    stranger = guardian("13900000002", name="李四")
    with pytest.raises(NotFound):
        services.child_remove(guardian=stranger, child=child)
    assert User.objects.filter(pk=child.pk).exists()
    assert Guardianship.objects.filter(child=child).count() == 1


def test_a_child_ever_registered_is_kept(activity):
    from threehours.signups.models import Signup, SignupChild

    parent = guardian()
    child = child_of(parent)
    signup = Signup.objects.create(
        activity=activity, volunteer=parent, status=Signup.Status.CANCELLED, seats=2
    )
    SignupChild.objects.create(signup=signup, child=child, activity=activity, live=False)

    with pytest.raises(errors.ChildHasRecords) as caught:
        services.child_remove(guardian=parent, child=child)
    assert caught.value.status == 409
    assert User.objects.filter(pk=child.pk).exists()
    assert list(children_of(guardian=parent)) == [child]
    assert not AuditEntry.objects.filter(verb="family.child_removed").exists()


def test_a_child_with_hours_is_kept(activity):
    from threehours.hours.services import ledger_append

    parent = guardian()
    child = child_of(parent)
    with transaction.atomic():
        ledger_append(
            volunteer=child,
            activity=activity,
            day=activity.start_date,
            hours=Decimal("1.0"),
            entry_type="correction",
            actor=activity.organisation.applicant,
            reason="test",
        )
    with pytest.raises(errors.ChildHasRecords):
        services.child_remove(guardian=parent, child=child)
    assert list(children_of(guardian=parent)) == [child]
