"""Family registrations for attendance tests, written directly (the registration service of
issue #14 §2 lives in signups), and an on-site photo made with Pillow."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from PIL import Image

from threehours.activities.models import Activity
from threehours.signups.models import Signup, SignupChild


def family_activity(activity: Activity) -> Activity:
    Activity.objects.filter(pk=activity.pk).update(family=True)
    activity.family = True
    return activity


def family_signup(activity: Activity, guardian, children) -> Signup:
    """A confirmed family registration: the guardian and `children`, 1 + n places."""
    signup = Signup.objects.create(
        activity=activity, volunteer=guardian, status="confirmed", seats=1 + len(children)
    )
    for child in children:
        SignupChild.objects.create(signup=signup, child=child, activity=activity)
    Activity.objects.filter(pk=activity.pk).update(places_taken=F("places_taken") + signup.seats)
    return signup


def jpeg_bytes(size=(640, 480), colour=(200, 80, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG", quality=80)
    return out.getvalue()


def photo_upload(name="family.jpg", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes() if content is None else content, "image/jpeg")
