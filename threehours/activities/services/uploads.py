"""An activity's pictures: the cover and the images inside its description."""

from __future__ import annotations

import io
import uuid
from pathlib import PurePosixPath

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image

from threehours.accounts.models import User
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.images import CleanImage, image_clean
from threehours.core.qrscan import image_has_payment_qr
from threehours.orgs.models import Organisation

from ..errors import PaymentQrImage
from ..models import Activity, cover_upload_to

COVER_MAX_BYTES = 5 * 1024 * 1024


COVER_RECOMMENDED_MIN_BYTES = 400 * 1024


def activity_cover_set(*, activity: Activity, user: User, upload) -> bool:
    """Check, re-encode (at most 1600 px, no EXIF) and attach a cover image. Returns True when
    the original was under the guide's recommended 400 KB (accepted, with a warning).
    Raises InvalidImage, ImageTooLarge, ImageTooSmall, PaymentQrImage."""
    from threehours.core.images import image_clean

    image = image_clean(upload, max_bytes=COVER_MAX_BYTES, max_side=1600, min_side=200)
    _refuse_payment_qr(image)
    with transaction.atomic(durable=True):
        activity = lock_one(Activity, pk=activity.pk)
        old = activity.cover.name
        activity.cover.save(image.content.name, image.content, save=False)
        activity.save(update_fields=["cover", "cover_width", "cover_height", "updated_at"])
        audit_record(actor=user, verb="activity.cover", target=activity)
        if old:
            storage = activity.cover.storage
            transaction.on_commit(lambda: storage.delete(old))
    return image.original_size < COVER_RECOMMENDED_MIN_BYTES


def _refuse_payment_qr(image: CleanImage) -> None:
    """Raise PaymentQrImage when a QR code in the (re-encoded) image is a payment code."""
    image.content.seek(0)
    with Image.open(io.BytesIO(image.content.read())) as picture:
        found = image_has_payment_qr(picture)
    image.content.seek(0)
    if found:
        raise PaymentQrImage()


DESCRIPTION_IMAGE_MAX_BYTES = 5 * 1024 * 1024


DESCRIPTION_IMAGE_DIR = "activities/images"


DESCRIPTION_IMAGE_MIN = 32  # small pictures (a logo, an icon) are fine inside a text


def activity_image_store(*, org: Organisation, user: User, upload) -> str:
    """Check, re-encode (at most 1600 px, no EXIF) and store an image for an activity
    description in public storage; returns its URL (under MEDIA_URL, as the sanitiser
    requires). Raises InvalidImage, ImageTooLarge, ImageTooSmall, PaymentQrImage."""
    image = image_clean(
        upload, max_bytes=DESCRIPTION_IMAGE_MAX_BYTES, max_side=1600, min_side=DESCRIPTION_IMAGE_MIN
    )
    _refuse_payment_qr(image)
    name = default_storage.save(f"{DESCRIPTION_IMAGE_DIR}/{image.content.name}", image.content)
    audit_record(actor=user, verb="activity.image", target=org, data={"name": name})
    return default_storage.url(name)


def _cover_duplicate(copy: Activity) -> None:
    """Give a copy its own cover file: replacing a cover deletes the old file, which must not
    be the original activity's picture. A cover whose file is gone is left out of the copy."""
    storage, name = copy.cover.storage, copy.cover.name
    try:
        with storage.open(name) as original:
            new_name = storage.save(
                cover_upload_to(copy, f"{uuid.uuid4().hex}{PurePosixPath(name).suffix}"),
                File(original),
            )
    except OSError:
        copy.cover, copy.cover_width, copy.cover_height = "", 0, 0
        return
    # Should the copy's transaction roll back, this file belongs to nobody (harmless).
    copy.cover.name = new_name
