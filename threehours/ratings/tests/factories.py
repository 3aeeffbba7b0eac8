from __future__ import annotations

import datetime as dt
import io

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from threehours.signups.tests.factories import attended, local_at, published_activity, volunteers


def jpeg_upload(name="photo.jpg", size=(640, 480), colour=(60, 140, 90)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG", quality=80)
    return SimpleUploadedFile(name, out.getvalue(), "image/jpeg")


def credited_volunteer(org, *, start: int = 0, activity=None):
    """A published one-day activity of `org` (unless given) and a volunteer credited 1.0 h for
    it, by the real services."""
    activity = activity or published_activity(org, questions=[])
    (person,) = volunteers(1, start=start)
    attended(org, activity, person)
    return activity, person


def after_end(activity, days: int, hh: int = 10):
    """Travel to `days` days after the activity's last day, hh:00 Asia/Shanghai."""
    return time_machine.travel(local_at(activity.end_date, hh, day_offset=days), tick=False)


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)
