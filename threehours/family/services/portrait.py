"""The child's optional photo for recognition on site (issue #14 §1): checked by content,
re-encoded without metadata, stored privately, shown only to the child's guardians."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from threehours.accounts.models import User
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.images import image_clean

from ..models import ChildPortrait
from ..selectors import access_child_for_guardian

PORTRAIT_MAX_BYTES = 8 * 1024 * 1024


def _storage():
    return ChildPortrait._meta.get_field("image").storage


def child_portrait_set(*, guardian: User, child: User, upload: UploadedFile) -> ChildPortrait:
    """Store `upload` as the child's photo, replacing an earlier one. Raises NotFound (not the
    guardian's child), InvalidImage, ImageTooLarge, ImageTooSmall: nothing is written then.
    The image is checked and re-encoded before the transaction; a file written for a rolled
    back row is deleted, a replaced file after the commit."""
    access_child_for_guardian(guardian=guardian, child_id=child.pk)
    image = image_clean(upload, max_bytes=PORTRAIT_MAX_BYTES, max_side=1200, min_side=200)
    written = ""
    try:
        with transaction.atomic(durable=True):
            child = lock_one(
                User, pk=access_child_for_guardian(guardian=guardian, child_id=child.pk).pk
            )
            old = ChildPortrait.objects.filter(child=child).first()
            old_name = old.image.name if old else ""
            if old:
                old.delete()
            portrait = ChildPortrait(child=child, uploaded_by=guardian)
            portrait.image.save(image.content.name, image.content, save=False)
            written = portrait.image.name
            portrait.save()
            audit_record(actor=guardian, verb="family.child_portrait_set", target=child)
            if old_name:
                transaction.on_commit(lambda: _storage().delete(old_name))
    except Exception:
        if written:
            _storage().delete(written)  # no file without its row
        raise
    return portrait


@transaction.atomic(durable=True)
def child_portrait_remove(*, guardian: User, child: User) -> bool:
    """Delete the child's photo; False when there was none. Raises NotFound (not the
    guardian's child). The file is deleted after the commit."""
    child = access_child_for_guardian(guardian=guardian, child_id=child.pk)
    portrait = ChildPortrait.objects.select_for_update().filter(child=child).first()
    if portrait is None:
        return False
    name = portrait.image.name
    portrait.delete()
    audit_record(actor=guardian, verb="family.child_portrait_removed", target=child)
    transaction.on_commit(lambda: _storage().delete(name))
    return True
