"""The on-site proofs of presence: a rotating signed QR token naming the activity and day, and
the 4-digit verification code per activity and day (the same for check-in and check-out).
Both are derived from the secret key, so every web process agrees and nothing is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time

from django.conf import settings
from django.core import signing

SALT = "threehours.attendance.qr"


def day_code(activity_id: int, day: dt.date, generation: int = 0) -> str:
    """The 4-digit code of an activity day (签到/签退验证码). `generation` counts the day's
    rotations after too many wrong codes (models.DayCode); each gives an unrelated code."""
    message = f"code:{activity_id}:{day.isoformat()}".encode()
    if generation:
        message += f":{generation}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 10000:04d}"


def qr_token_make(activity_id: int, day: dt.date) -> tuple[str, float]:
    """A signed token for the on-site QR code and the time (epoch seconds) it expires."""
    token = signing.dumps({"a": activity_id, "d": day.isoformat()}, salt=SALT, compress=False)
    return token, time.time() + settings.CHECKIN_QR_SECONDS


def qr_token_valid(token: str, *, activity_id: int, day: dt.date) -> bool:
    """True for a token of this activity and day that is at most CHECKIN_QR_SECONDS old (plus
    as much again for the walk from scanning to the page's button)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.CHECKIN_QR_SECONDS * 2)
    except signing.BadSignature:  # includes SignatureExpired
        return False
    return data.get("a") == activity_id and data.get("d") == day.isoformat()
